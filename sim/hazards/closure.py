"""Roads blocked by an event other than the hazards: a lorry across a bridge, a collapse.

``type: road_closure`` closes streets at scripted times, for drills and
what-if runs ("what if the ring-road bridge is blocked at 30 min?"). One
block lists every closure::

    hazards:
      - type: road_closure
        closures:
          - {id: B1, label: Ring-road bridge blocked, location: {x: 900, y: 1500},
             at: 30min, until: 2h}
          - {location: {lon: 113.66, lat: 34.75}, radius_m: 150, at: 1h}

A closure with ``radius_m: 0`` (the default) blocks the street nearest to its
location (both directions); with ``radius_m > 0`` every road segment passing
within that distance. Closed edges get a speed factor 0: the model re-routes
residents and engines around them, and reopens them at ``until``.

Besides ``road_closures.parquet`` (one row per closed edge) it writes
``road_closure_events.parquet``, the drill-timeline hook every hazard may use
(``t_s, event, text, to, expected_action, objective, ref``): ``citysim drill``
turns each row into an inject.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from citysim.hazards.base import FieldSpec, Frame, Hazard
from citysim.hazards.registry import register_hazard_model
from citysim.scenario.hazards.closure import Closure, RoadClosureConfig

if TYPE_CHECKING:
    from citysim.world.builder import World

__all__ = ["Closure", "RoadClosureConfig", "RoadClosureHazard", "segment_distance_m"]

EXAMPLE = {"type": "road_closure",
           "closures": [{"id": "B1", "location": {"x": 450, "y": 450}, "at": 120, "until": 480}]}
"""A minimal block for the hazard contract test."""


def segment_distance_m(px: float, py: float, ax: np.ndarray, ay: np.ndarray, bx: np.ndarray,
                       by: np.ndarray) -> np.ndarray:
    """Distance from a point to each segment ``a``-``b`` (m).

    Parameters
    ----------
    px, py
        The point (m).
    ax, ay, bx, by
        Segment ends (m), arrays of one shape.

    Returns
    -------
    numpy.ndarray
        Shortest distance to each segment.
    """
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(length2 > 0, ((px - ax) * dx + (py - ay) * dy) / length2, 0.0)
    f = np.clip(f, 0.0, 1.0)
    return np.hypot(ax + f * dx - px, ay + f * dy - py)


@register_hazard_model("road_closure")
class RoadClosureHazard(Hazard):
    """Streets closed from ``at`` to ``until``; a speed factor of 0 on them meanwhile."""

    type_name = "road_closure"
    fields = (FieldSpec("speed_factor", "float64", "1", "edge", "out", "0 on blocked edges"),)

    def __init__(self, cfg: RoadClosureConfig, world: World) -> None:
        net = world.network
        self.cfg = cfg
        locator = world.locator()  # off the map: refused, as a shelter is
        paths = [("closures", k, "location") for k in range(len(cfg.closures))]
        self.x_m, self.y_m, _ = locator.resolve([c.location for c in cfg.closures], paths)
        ax, ay = net.node_x_m[net.edge_tail], net.node_y_m[net.edge_tail]
        bx, by = net.node_x_m[net.edge_head], net.node_y_m[net.edge_head]
        self.segments = (ax, ay, bx, by)
        self.edges: list[np.ndarray] = []
        for k, c in enumerate(cfg.closures):
            d = segment_distance_m(self.x_m[k], self.y_m[k], ax, ay, bx, by)
            if c.radius_m > 0:
                hit = d <= c.radius_m
            else:  # the nearest street: the nearest edge and every edge between its two ends
                e = int(np.argmin(d))
                ends = {int(net.edge_tail[e]), int(net.edge_head[e])}
                hit = np.isin(net.edge_tail, list(ends)) & np.isin(net.edge_head, list(ends))
            self.edges.append(np.flatnonzero(hit))
        self.node_id = net.node_id
        self.edge_nodes = (net.edge_tail, net.edge_head)
        self.at_s = np.array([c.at for c in cfg.closures], dtype=np.float64)
        self.until_s = np.array([math.inf if c.until is None else c.until
                                 for c in cfg.closures], dtype=np.float64)
        self.n_edges = net.n_edges
        self.t_end_s = 0.0
        self.active = np.zeros(len(cfg.closures), dtype=bool)
        self._factor = np.ones(net.n_edges)

    @classmethod
    def from_config(cls, cfg: RoadClosureConfig, world: World,
                    rng: np.random.Generator) -> RoadClosureHazard:
        """Build the closures from their YAML block and the world (no randomness)."""
        return cls(cfg, world)

    def advance(self, t_s: float, dt_s: float) -> None:
        """Close and reopen the streets whose times fall before ``t_s + dt_s``."""
        self.t_end_s = t_s + dt_s
        self.active = (self.at_s <= self.t_end_s + 1e-9) & (self.t_end_s + 1e-9 < self.until_s)
        factor = np.ones(self.n_edges)
        for k in np.flatnonzero(self.active):
            factor[self.edges[k]] = 0.0
        self._factor = factor

    def edge_effects(self) -> np.ndarray:
        """0 on the edges of active closures, 1 elsewhere."""
        return self._factor

    def sample(self, x_m: np.ndarray, y_m: np.ndarray) -> dict[str, np.ndarray]:
        """No point fields."""
        return {}

    def summary(self) -> dict[str, float | str | None]:
        """``road_closure_edges_closed``: edges closed at the end of the run."""
        return {"road_closure_edges_closed": int((self._factor == 0).sum())}

    def frame(self) -> Frame | None:
        """The midpoints of the blocked edges now (value 1), or None when none is blocked."""
        closed = np.flatnonzero(self._factor == 0)
        if not closed.size:
            return None
        ax, ay, bx, by = self.segments
        return Frame(label="road blocked", x_m=(ax[closed] + bx[closed]) / 2,
                     y_m=(ay[closed] + by[closed]) / 2, value=np.ones(closed.size), vmax=1.0)

    def _rows(self) -> list[dict[str, Any]]:
        rows = []
        for k, c in enumerate(self.cfg.closures):
            for e in self.edges[k]:
                rows.append({
                    "closure": c.id, "label": c.label, "edge": int(e),
                    "from_node": int(self.node_id[self.edge_nodes[0][e]]),
                    "to_node": int(self.node_id[self.edge_nodes[1][e]]),
                    "t_closed_s": float(c.at),
                    "t_reopened_s": float(c.until) if c.until is not None else math.nan,
                })
        return rows

    def tables(self) -> dict[str, Any]:
        """``road_closures`` (one row per blocked edge) and ``road_closure_events``.

        ``road_closures``: ``closure, label, edge, from_node, to_node,
        t_closed_s, t_reopened_s`` (NaN: never reopened). The events
        (closing, reopening) only for what happened within the run.
        """
        closures = pd.DataFrame(self._rows(), columns=[
            "closure", "label", "edge", "from_node", "to_node", "t_closed_s", "t_reopened_s"])
        events = []
        for k, c in enumerate(self.cfg.closures):
            edges = self.edges[k]
            if not edges.size or c.at > self.t_end_s + 1e-9:
                continue
            streets = ", ".join(sorted({f"{min(a, b)}-{max(a, b)}" for a, b in zip(
                self.node_id[self.edge_nodes[0][edges]], self.node_id[self.edge_nodes[1][edges]],
                strict=True)}))
            ref = f"road_closures.parquet:closure={c.id}"
            events.append({
                "t_s": float(c.at), "event": f"{c.label[0].upper()}{c.label[1:]} ({c.id})",
                "text": f"{c.label} ({c.id}): {edges.size} road segments closed at "
                        f"({self.x_m[k]:.0f}, {self.y_m[k]:.0f}) m, streets between nodes "
                        f"{streets}.",
                "to": "traffic police", "expected_action": "Close the road, set diversions and "
                "tell fire dispatch and shelters which routes are cut",
                "objective": "Traffic management: closures known to dispatch", "ref": ref,
            })
            if c.until is not None and c.until <= self.t_end_s + 1e-9:
                events.append({
                    "t_s": float(c.until), "event": f"Road reopened ({c.id}: {c.label})",
                    "text": f"{c.label} ({c.id}) cleared; the road is open again.",
                    "to": "traffic police", "expected_action": "Lift the diversions; tell fire "
                    "dispatch the route is open", "objective": "Traffic management", "ref": ref,
                })
        return {"road_closures": closures,
                "road_closure_events": pd.DataFrame(events, columns=[
                    "t_s", "event", "text", "to", "expected_action", "objective", "ref"])}
