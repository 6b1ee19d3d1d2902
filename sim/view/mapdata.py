"""What the drill-room map draws, from the city's own data (no base-map tiles).

:class:`MapGeometry` is computed once per city and sent to the browser once
(streets and nodes in screen pixels as flat arrays, a scale bar; the page
draws the streets once to a cached canvas); :func:`map_frame` once per map
update, only what moves, as compact flat arrays: closed streets, residents
aggregated by node (``[node, radius, state]`` triples), shelters with fill
against capacity, units by state and each hazard's field (a grid as a PNG
image, points as dots). Each layer is its own property of the map widget,
so an update sends only the layers that changed.
"""

from __future__ import annotations

import base64
import math
import struct
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from citysim.agents.states import State

__all__ = ["STATE_COLOURS", "STATE_PALETTE", "UNIT_COLOURS", "MapGeometry", "map_frame",
           "png_data_url"]

STATE_COLOURS: dict[int, tuple[str, str]] = {
    State.AT_HOME: ("at home", "#9e9e9e"), State.WARNED: ("warned", "#fdd835"),
    State.DECIDING: ("deciding", "#fb8c00"), State.EVACUATING: ("on the way", "#1e88e5"),
    State.EVACUATED: ("in a shelter", "#43a047"),
    State.SHELTERED_IN_PLACE: ("sheltering in place", "#8e24aa"),
    State.NOT_EVACUATED: ("not evacuated", "#6d4c41"), State.INJURED: ("injured", "#f06292"),
    State.DEAD: ("dead", "#000000"), State.TRAPPED: ("trapped", "#e53935"),
    State.RESCUED: ("rescued", "#00acc1"),
}
"""Legend label and colour of each resident state."""
STATE_PALETTE = [STATE_COLOURS[s][1] for s in range(len(State))]
"""Colour of each resident state code, in ``State`` order (how the page colours ``nodes``)."""
UNIT_COLOURS = ["#2e7d32", "#f9a825", "#c62828", "#6a1b9a", "#1565c0", "#616161"]
"""Colour of a unit by :class:`~citysim.agents.response.UnitState` value."""


@dataclass(frozen=True)
class MapGeometry:
    """The city in screen pixels (y down), computed once.

    Attributes
    ----------
    width_px, height_px
        Size of the map.
    x0_m, y1_m, px_per_m
        Frame origin (west, north) and scale.
    streets
        ``[x1, y1, x2, y2]`` per street (both directions of a road drawn once).
    node_xy
        ``x, y`` of every node, flat (``[x0, y0, x1, y1, ...]``).
    street_edges
        The edges of each street (one or two).
    scale_bar
        ``(length_m, length_px)`` of a round scale bar about a fifth of the width.
    """

    width_px: int
    height_px: int
    x0_m: float
    y1_m: float
    px_per_m: float
    streets: list[list[float]]
    node_xy: list[float]
    street_edges: list[list[int]]
    scale_bar: tuple[float, float]

    @property
    def streets_flat(self) -> list[float]:
        """The streets as one flat list ``[x1, y1, x2, y2, x1, ...]`` (what the page draws)."""
        return [v for street in self.streets for v in street]

    @classmethod
    def of(cls, network: Any, width_px: int = 720) -> MapGeometry:
        """The geometry of a road network drawn ``width_px`` wide (with a 10 px margin)."""
        x, y = network.node_x_m, network.node_y_m
        x0, x1, y0, y1 = float(x.min()), float(x.max()), float(y.min()), float(y.max())
        scale = (width_px - 20) / max(x1 - x0, y1 - y0, 1.0)
        height = int(math.ceil((y1 - y0) * scale)) + 20
        tail, head = network.edge_tail, network.edge_head
        seen: dict[tuple[int, int], int] = {}
        streets: list[list[float]] = []
        edges: list[list[int]] = []
        for e in range(network.n_edges):
            a, b = int(tail[e]), int(head[e])
            key = (min(a, b), max(a, b))
            if key in seen:
                edges[seen[key]].append(e)
                continue
            seen[key] = len(streets)
            streets.append([round(10 + (x[a] - x0) * scale, 1), round(10 + (y1 - y[a]) * scale, 1),
                            round(10 + (x[b] - x0) * scale, 1), round(10 + (y1 - y[b]) * scale, 1)])
            edges.append([e])
        target = (x1 - x0) / 5 or 100.0
        length = 10 ** math.floor(math.log10(target))
        length *= max(k for k in (1, 2, 5) if k * length <= target)
        node_xy = np.column_stack([10 + (x - x0) * scale, 10 + (y1 - y) * scale]).round(1)
        return cls(width_px, height, x0, y1, scale, streets, node_xy.ravel().tolist(), edges,
                   (float(length), round(length * scale, 1)))

    def to_px(self, x_m: np.ndarray, y_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Screen pixels of frame points."""
        return (10 + (np.asarray(x_m) - self.x0_m) * self.px_per_m,
                10 + (self.y1_m - np.asarray(y_m)) * self.px_per_m)

    def to_m(self, px: float, py: float) -> tuple[float, float]:
        """Frame point (m) of a screen pixel."""
        return self.x0_m + (px - 10) / self.px_per_m, self.y1_m - (py - 10) / self.px_per_m


def png_data_url(rgba: np.ndarray) -> str:
    """A ``data:image/png`` URL of an RGBA uint8 image (rows top to bottom)."""
    h, w, _ = rgba.shape
    raw = b"".join(b"\x00" + rgba[r].tobytes() for r in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _hazard_layers(model: Any, geo: MapGeometry) -> tuple[list[dict[str, Any]],
                                                           list[list[float]], list[str]]:
    images, dots, labels = [], [], []
    for hazard in model.hazards:
        frame = hazard.frame()
        if frame is None:
            continue
        labels.append(frame.label)
        if frame.grid is not None and frame.extent_m is not None:
            grid = np.asarray(frame.grid, dtype=float)
            top = frame.vmax or float(np.nanmax(grid)) if np.isfinite(grid).any() else 1.0
            v = np.clip(np.nan_to_num(grid / max(top, 1e-12), nan=0.0), 0.0, 1.0)[::-1]
            rgba = np.zeros((*v.shape, 4), dtype=np.uint8)
            rgba[..., 0] = (255 * (1 - v)).astype(np.uint8)
            rgba[..., 1] = (120 + 60 * (1 - v)).astype(np.uint8)
            rgba[..., 2] = 255
            rgba[..., 3] = np.where(np.isnan(grid[::-1]) | (v <= 0), 0, 80 + 150 * v)
            xa, ya = geo.to_px(np.array([frame.extent_m[0], frame.extent_m[1]]),
                               np.array([frame.extent_m[3], frame.extent_m[2]]))
            images.append({"href": png_data_url(rgba), "x": float(xa[0]), "y": float(ya[0]),
                           "w": float(xa[1] - xa[0]), "h": float(ya[1] - ya[0])})
        elif frame.x_m is not None and frame.y_m is not None and frame.value is not None:
            px, py = geo.to_px(frame.x_m, frame.y_m)
            top = frame.vmax or float(np.max(frame.value)) or 1.0
            dots += [[round(float(a), 1), round(float(b), 1), round(float(c) / top, 2)]
                     for a, b, c in zip(px, py, frame.value, strict=True)]
    return images, dots, labels


def map_frame(model: Any, geo: MapGeometry) -> dict[str, Any]:
    """Everything dynamic the map draws now (plain lists and numbers).

    Residents are counted at their current node (those on a street at the
    node they left), in one ``bincount``; each occupied node is one circle,
    ``nodes = [node, radius (0.1 px), state, node, ...]``: its area
    proportional to the persons there and its colour that of their
    commonest state (:data:`STATE_COLOURS`, in ``State`` order).
    """
    net, res = model.world.network, model.residents
    closed_edge = np.asarray(model.edge_closed, dtype=bool)
    closed = ([k for k, edges in enumerate(geo.street_edges) if closed_edge[edges].all()]
              if closed_edge.any() else [])
    n_states = len(State)
    counts = np.bincount(res.node * n_states + res.state, weights=res.persons,
                         minlength=net.n_nodes * n_states).reshape(net.n_nodes, n_states)
    total = counts.sum(axis=1)
    occupied = np.flatnonzero(total > 0)
    top = float(total.max()) if total.size else 1.0
    radius = np.rint(10.0 + 50.0 * np.sqrt(total[occupied] / max(top, 1.0))).astype(np.int64)
    nodes = np.column_stack([occupied, radius, counts[occupied].argmax(axis=1)])
    sh = model.world.shelters
    sx, sy = geo.to_px(sh.x_m, sh.y_m)
    shelters = [{"id": sh.id[k], "x": round(float(sx[k]), 1), "y": round(float(sy[k]), 1),
                 "fill": round(float(model.shelters.occupancy[k])
                               / max(float(sh.capacity[k]), 1.0), 3),
                 "text": f"{sh.id[k]}: {int(model.shelters.occupancy[k]):,} / "
                         f"{int(sh.capacity[k]):,}"} for k in range(len(sh.id))]
    st = model.world.stations
    units = []
    for unit in model.response.units:
        at_station = unit.scene_node < 0 or int(unit.state) in (0, 5)
        x = st.x_m[unit.station] if at_station else net.node_x_m[unit.scene_node]
        y = st.y_m[unit.station] if at_station else net.node_y_m[unit.scene_node]
        ux, uy = geo.to_px(np.array([x]), np.array([y]))
        units.append({"name": unit.name, "x": round(float(ux[0]) + 4 * (unit.index % 3), 1),
                      "y": round(float(uy[0]) + 4 * (unit.index // 3 % 3), 1),
                      "colour": UNIT_COLOURS[int(unit.state)],
                      "state": unit.state.name.lower().replace("_", " ")})
    images, dots, labels = _hazard_layers(model, geo)
    return {"closed": closed, "nodes": nodes.ravel().tolist(), "shelters": shelters,
            "units": units, "images": images, "hazard_dots": dots, "hazard_labels": labels,
            "t_s": float(model.t_s)}
