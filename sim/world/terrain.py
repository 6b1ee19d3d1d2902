"""Terrain: synthetic elevation surfaces and DEM grids aligned with the network.

Synthetic terrain and real DEMs (GeoTIFF, SRTM ``.hgt``: :func:`dem_terrain`)
cover the network's bounding box plus a margin of two cells on every side,
with the south-west corner on a multiple of the cell size, so the same
scenario always gives the same grid. A DEM is reprojected into the run's
metric frame and resampled to the cell size by :mod:`citysim.world.elevation`;
cells it does not reach, or where it has no data, are NaN (walls to a flood).

- ``plane``: ``z = base_m + slope * (xmax - x)``: a plane falling toward the
  east (water runs to +x).
- ``bowl``: ``z = base_m + depth_m * (r / R)**2 + plane``, with ``r`` the
  distance from the centre of the box and ``R`` its half-diagonal: a
  depression in the middle of the city.
- ``valley``: ``z = base_m + depth_m * |y - yc| / (H / 2) + plane``: a
  V-shaped valley along the x axis through the middle of the box, falling
  east with the plane's slope.

**Underpasses** (:func:`with_underpasses`): a road that dips under a
crossing road or a railway is a trough in the terrain along that road, the
local depression where cloudburst water gathers first. Each is carved
``depth_m`` deep over the middle half of ``length_m`` with straight ramps
over the outer quarters, in the cells under the road's axis (a point on a
cell border belongs to the cell to its north-east, as the flood samples
roads). Placed from a list (a point on the road that dips: the trough runs
along the nearest road edge, centred on the point's projection onto it) or
as a number: that many crossings of arterials (``motorway``, ``trunk``,
``primary``), spread over the city (the one nearest the centre first, then
each time the crossing farthest from those taken, ties to the lowest node
index), the road that dips alternating between the two crossing directions.
:class:`Underpasses` keeps what the flood needs: the carving (so that roads
crossing *over* a trough read the water above the original ground) and the
edges that run *through* each trough.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from citysim.errors import ScenarioError
from citysim.scenario.geogrid import read_geotiff, read_hgt
from citysim.world.elevation import pixel_size_m, to_frame
from citysim.world.raster import Raster

MARGIN_CELLS = 2


def grid_over(
    bounds_m: tuple[float, float, float, float], cell_m: float
) -> tuple[float, float, int, int]:
    """Return ``(x0_m, y0_m, rows, cols)`` of the terrain grid covering ``bounds_m``.

    The south-west corner lies on a multiple of ``cell_m``, :data:`MARGIN_CELLS`
    cells beyond the box on every side.

    Parameters
    ----------
    bounds_m
        ``(xmin, ymin, xmax, ymax)`` to cover (m).
    cell_m
        Cell size (m).

    Returns
    -------
    tuple
        South-west corner (m) and shape.
    """
    xmin, ymin, xmax, ymax = bounds_m
    x0 = np.floor(xmin / cell_m) * cell_m - MARGIN_CELLS * cell_m
    y0 = np.floor(ymin / cell_m) * cell_m - MARGIN_CELLS * cell_m
    cols = int(np.ceil((xmax - x0) / cell_m)) + MARGIN_CELLS
    rows = int(np.ceil((ymax - y0) / cell_m)) + MARGIN_CELLS
    return float(x0), float(y0), rows, cols


def synthetic_terrain(
    bounds_m: tuple[float, float, float, float],
    *,
    kind: str,
    cell_m: float,
    slope: float,
    depth_m: float,
    base_m: float,
) -> Raster:
    """Return a synthetic elevation raster covering ``bounds_m``.

    Parameters
    ----------
    bounds_m
        ``(xmin, ymin, xmax, ymax)`` to cover (m).
    kind
        ``plane``, ``bowl`` or ``valley``.
    cell_m
        Cell size (m).
    slope
        Fall of the plane toward +x (m/m).
    depth_m
        Relief of the bowl or valley (m).
    base_m
        Elevation of the lowest point of the plane (m).

    Returns
    -------
    Raster
        Elevation (m).
    """
    x0, y0, rows, cols = grid_over(bounds_m, cell_m)
    grid = Raster(np.zeros((rows, cols)), x0, y0, float(cell_m))
    x, y = grid.cell_centres()
    gx0, gy0, gx1, gy1 = grid.bounds_m
    z = base_m + slope * (gx1 - x)
    xc, yc = (gx0 + gx1) / 2, (gy0 + gy1) / 2
    if kind == "bowl":
        r_max = np.hypot(gx1 - xc, gy1 - yc)
        z = z + depth_m * (np.hypot(x - xc, y - yc) / r_max) ** 2
    elif kind == "valley":
        z = z + depth_m * np.abs(y - yc) / ((gy1 - gy0) / 2)
    elif kind != "plane":
        raise ValueError(f"unknown synthetic terrain kind {kind!r}")
    return Raster(z, grid.x0_m, grid.y0_m, grid.cell_m)


def dem_terrain(
    path: Path,
    *,
    kind: str,
    frame_crs: str | None,
    bounds_m: tuple[float, float, float, float],
    cell_m: float | None = None,
    nodata: float | None = None,
    yaml_path: str = "city.terrain",
) -> Raster:
    """Read a real DEM and resample it onto the terrain grid of the run's frame.

    Parameters
    ----------
    path
        The GeoTIFF or SRTM tile.
    kind
        ``geotiff`` or ``hgt``.
    frame_crs
        CRS of the run's metric frame (``RoadNetwork.crs``); ``None`` is an
        error (the city has no geographic reference).
    bounds_m
        Extent to cover, ``(xmin, ymin, xmax, ymax)`` (m): the network's.
    cell_m
        Cell size (m); default: the DEM's pixel (its smaller side), to the metre.
    nodata
        An extra value meaning "no data" (e.g. 0 for open water).
    yaml_path
        YAML path of the terrain block, for errors.

    Returns
    -------
    Raster
        Elevation (m), NaN where the DEM has no data or does not reach.

    Raises
    ------
    ScenarioError
        If the file cannot be read, the city has no geographic frame, or the
        DEM does not overlap the network.
    """
    where = f"{yaml_path}.{kind}"
    if frame_crs is None:
        raise ScenarioError(
            "a GeoTIFF or SRTM DEM needs a city with a geographic frame (an OSM network, a "
            "GraphML with a crs, or a synthetic network with city.origin)", path=where)
    reader = read_geotiff if kind == "geotiff" else read_hgt
    grid = reader(path, nodata=nodata, yaml_path=where)
    if cell_m is None:
        cell_m = max(1.0, float(round(pixel_size_m(grid, frame_crs))))
    x0, y0, rows, cols = grid_over(bounds_m, cell_m)
    dem = to_frame(grid, frame_crs, x0_m=x0, y0_m=y0, rows=rows, cols=cols, cell_m=cell_m)
    if not np.isfinite(dem.values).any():
        xmin, ymin, xmax, ymax = bounds_m
        west, south, east, north = grid.bounds
        raise ScenarioError(
            f"the DEM ({grid.crs} {west:.4f}..{east:.4f}, {south:.4f}..{north:.4f}) has no "
            f"data over the road network (x {xmin:.0f}..{xmax:.0f}, y {ymin:.0f}..{ymax:.0f} m "
            "in the run's frame)", path=where)
    return dem


ARTERIAL_CLASSES = ("motorway", "trunk", "primary")
"""Road classes whose crossings may get an automatic underpass."""
UNDERPASS_DEPTH_M = 5.0
"""Default depth of an underpass trough below the ground (m): a 4.5-5 m clearance."""
UNDERPASS_LENGTH_M = 160.0
"""Default length of an underpass trough, ramps included (m)."""
_PARALLEL_COS = 0.95
"""An edge within 18 degrees of an underpass's axis runs through it."""


@dataclass(frozen=True, eq=False)
class Underpasses:
    """Road underpasses carved into the terrain.

    Attributes
    ----------
    name
        Name of each underpass (``underpass 1`` ... unless given).
    x_m, y_m
        Centre of each trough (m).
    axis
        Unit vector along each trough, shape (k, 2).
    depth_m, length_m
        Depth below the ground and length of each trough (m).
    edge_underpass
        For every network edge, the underpass it runs through, or -1, shape (m,).
    cell_underpass
        For every terrain cell, the underpass carved there, or -1, shape (rows, cols).
    carve_m
        Depth carved below the original ground in each cell (m), shape (rows, cols).
    """

    name: tuple[str, ...]
    x_m: np.ndarray
    y_m: np.ndarray
    axis: np.ndarray
    depth_m: np.ndarray
    length_m: np.ndarray
    edge_underpass: np.ndarray
    cell_underpass: np.ndarray
    carve_m: np.ndarray

    def __len__(self) -> int:
        return len(self.name)


def arterial_crossings(network: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes where arterials of two directions cross.

    Parameters
    ----------
    network
        The road network (:class:`citysim.world.network.RoadNetwork`).

    Returns
    -------
    node : numpy.ndarray
        Crossing nodes, ascending.
    first_axis, second_axis : numpy.ndarray
        Unit vectors of the two crossing arterials at each node, shape (k, 2);
        the first is the more east-west one.
    """
    from citysim.world.road_classes import CLASS_INDEX

    codes = [CLASS_INDEX[c] for c in ARTERIAL_CLASSES]
    arterial = np.isin(network.road_class, codes)
    tail, head = network.edge_tail[arterial], network.edge_head[arterial]
    dx = network.node_x_m[head] - network.node_x_m[tail]
    dy = network.node_y_m[head] - network.node_y_m[tail]
    norm = np.maximum(np.hypot(dx, dy), 1e-9)
    ux, uy = dx / norm, dy / norm
    flip = (ux < 0) | ((ux == 0) & (uy < 0))  # a line's direction, not its sense
    ux, uy = np.where(flip, -ux, ux), np.where(flip, -uy, uy)
    nodes, first, second = [], [], []
    for v in np.unique(tail):
        at = tail == v
        a = np.column_stack([ux[at], uy[at]])
        ew = a[np.argmax(np.abs(a[:, 0]))]
        other = a[np.abs(a @ ew) < 0.7]  # more than 45 degrees apart
        if len(other):
            nodes.append(v)
            first.append(ew)
            second.append(other[np.argmax(np.abs(other[:, 1]))])
    return (np.asarray(nodes, dtype=np.int64), np.reshape(first, (-1, 2)),
            np.reshape(second, (-1, 2)))


def _spread(x: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    """Indices of ``k`` points spread out: nearest the centre first, then farthest-first."""
    cx, cy = (x.min() + x.max()) / 2, (y.min() + y.max()) / 2
    chosen = [int(np.argmin(np.hypot(x - cx, y - cy)))]
    dist = np.hypot(x - x[chosen[0]], y - y[chosen[0]])
    while len(chosen) < k:
        nxt = int(np.argmax(dist))
        chosen.append(nxt)
        dist = np.minimum(dist, np.hypot(x - x[nxt], y - y[nxt]))
    return np.asarray(chosen, dtype=np.int64)


def _on_nearest_edge(network: Any, x: float, y: float) -> tuple[float, float, np.ndarray]:
    """Projection of a point on its nearest road edge and that edge's unit direction."""
    ax, ay = network.node_x_m[network.edge_tail], network.node_y_m[network.edge_tail]
    bx, by = network.node_x_m[network.edge_head], network.node_y_m[network.edge_head]
    dx, dy = bx - ax, by - ay
    length2 = np.maximum(dx * dx + dy * dy, 1e-12)
    f = np.clip(((x - ax) * dx + (y - ay) * dy) / length2, 0.0, 1.0)
    px, py = ax + f * dx, ay + f * dy
    e = int(np.argmin(np.hypot(px - x, py - y)))  # the first of equally near edges
    axis = np.array([dx[e], dy[e]]) / np.sqrt(length2[e])
    return float(px[e]), float(py[e]), axis


def carve_underpasses(
    terrain: Raster,
    network: Any,
    *,
    centre_m: np.ndarray,
    axis: np.ndarray,
    depth_m: np.ndarray,
    length_m: np.ndarray,
    names: Sequence[str],
) -> tuple[Raster, Underpasses]:
    """Carve underpass troughs into a terrain raster.

    Parameters
    ----------
    terrain
        Elevation (m).
    network
        The road network (to find the edges that run through each trough).
    centre_m
        Centre of each trough (m), shape (k, 2).
    axis
        Unit vector along each trough, shape (k, 2).
    depth_m, length_m
        Depth and length of each trough (m), shape (k,).
    names
        Name of each underpass.

    Returns
    -------
    terrain : Raster
        The carved elevation.
    underpasses : Underpasses
    """
    rows, cols = terrain.shape
    cell = terrain.cell_m
    carve = np.zeros((rows, cols))
    owner = np.full((rows, cols), -1, dtype=np.int64)
    for k in range(len(names)):
        half = length_m[k] / 2
        s = np.linspace(-half, half, int(np.ceil(8 * half / cell)) + 1)
        px = centre_m[k, 0] + s * axis[k, 0]
        py = centre_m[k, 1] + s * axis[k, 1]
        c = np.floor((px - terrain.x0_m) / cell).astype(np.int64)
        r = np.floor((py - terrain.y0_m) / cell).astype(np.int64)
        inside = (r >= 0) & (r < rows) & (c >= 0) & (c < cols)
        profile = depth_m[k] * np.clip((half - np.abs(s)) / (half / 2), 0.0, 1.0)
        for rr, cc, d in zip(r[inside], c[inside], profile[inside], strict=True):
            if d > carve[rr, cc]:
                carve[rr, cc] = d
                owner[rr, cc] = k
    edge_of = np.full(network.n_edges, -1, dtype=np.int64)
    ax, ay = network.node_x_m[network.edge_tail], network.node_y_m[network.edge_tail]
    bx, by = network.node_x_m[network.edge_head], network.node_y_m[network.edge_head]
    length = np.maximum(np.hypot(bx - ax, by - ay), 1e-9)
    for k in range(len(names)):
        u = axis[k]
        parallel = np.abs(((bx - ax) * u[0] + (by - ay) * u[1]) / length) >= _PARALLEL_COS
        # along and across the trough, of both ends of each edge
        sa = (ax - centre_m[k, 0]) * u[0] + (ay - centre_m[k, 1]) * u[1]
        sb = (bx - centre_m[k, 0]) * u[0] + (by - centre_m[k, 1]) * u[1]
        na = np.abs(-(ax - centre_m[k, 0]) * u[1] + (ay - centre_m[k, 1]) * u[0])
        nb = np.abs(-(bx - centre_m[k, 0]) * u[1] + (by - centre_m[k, 1]) * u[0])
        half = length_m[k] / 2
        overlaps = (np.minimum(sa, sb) < half) & (np.maximum(sa, sb) > -half)
        near = np.maximum(na, nb) <= cell
        edge_of[parallel & overlaps & near & (edge_of < 0)] = k
    carved = Raster(terrain.values - carve, terrain.x0_m, terrain.y0_m, cell)
    return carved, Underpasses(
        name=tuple(names), x_m=centre_m[:, 0].copy(), y_m=centre_m[:, 1].copy(),
        axis=axis.copy(), depth_m=np.asarray(depth_m, dtype=np.float64),
        length_m=np.asarray(length_m, dtype=np.float64), edge_underpass=edge_of,
        cell_underpass=owner, carve_m=carve)


def with_underpasses(
    terrain: Raster, network: Any, spec: int | Sequence[Any], locator: Any,
    yaml_path: tuple[Any, ...] = ("city", "terrain", "synthetic", "underpasses"),
) -> tuple[Raster, Underpasses]:
    """Place and carve the underpasses a scenario asks for.

    Parameters
    ----------
    terrain
        Elevation (m).
    network
        The road network.
    spec
        ``city.terrain.synthetic.underpasses``: a number of arterial crossings,
        or a list of underpass blocks (``location``, ``depth_m``, ``length_m``,
        ``name``).
    locator
        Resolves the locations (:class:`citysim.world.sites.Locator`).
    yaml_path
        YAML path of ``spec``, for errors.

    Returns
    -------
    terrain : Raster
        The carved elevation.
    underpasses : Underpasses

    Raises
    ------
    ScenarioError
        If the city has fewer arterial crossings than asked for, or a
        location is off the map.
    """
    if isinstance(spec, int):
        nodes, first, second = arterial_crossings(network)
        if len(nodes) < spec:
            raise ScenarioError(
                f"asked for {spec} underpasses at crossings of arterials "
                f"({', '.join(ARTERIAL_CLASSES)}), but the network has {len(nodes)}; list them "
                "instead ([{location: ..., depth_m: ..., length_m: ...}])",
                path=".".join(map(str, yaml_path)))
        pick = _spread(network.node_x_m[nodes], network.node_y_m[nodes], spec)
        centre = np.column_stack([network.node_x_m[nodes[pick]], network.node_y_m[nodes[pick]]])
        axis = np.where((np.arange(spec) % 2 == 0)[:, None], first[pick], second[pick])
        depth = np.full(spec, UNDERPASS_DEPTH_M)
        length = np.full(spec, UNDERPASS_LENGTH_M)
        names = [f"underpass {k + 1}" for k in range(spec)]
    else:
        paths = [(*yaml_path, k, "location") for k in range(len(spec))]
        x, y, _ = locator.resolve([u.location for u in spec], paths)
        on_edge = [_on_nearest_edge(network, x[k], y[k]) for k in range(len(spec))]
        centre = np.array([[px, py] for px, py, _ in on_edge]).reshape(-1, 2)
        axis = np.array([a for _, _, a in on_edge]).reshape(-1, 2)
        depth = np.array([u.depth_m for u in spec], dtype=np.float64)
        length = np.array([u.length_m for u in spec], dtype=np.float64)
        names = [u.name or f"underpass {k + 1}" for k, u in enumerate(spec)]
    return carve_underpasses(terrain, network, centre_m=centre, axis=axis, depth_m=depth,
                             length_m=length, names=names)
