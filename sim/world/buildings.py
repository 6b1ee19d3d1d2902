"""Buildings of the city: synthetic plots inside the street blocks, or a CSV file.

A building is a square footprint centred on ``(x_m, y_m)`` with its sides
along the axes of the frame (side ``sqrt(footprint_m2)``) and a structure
class (:data:`STRUCTURES`). The classes follow the Hamada urban-fire model
(docs MODELS.md, "Urban fire"): ``wood`` (bare timber) and
``fire_resistant`` (timber protected by mortar or plaster, the "fire-resistant
ratio f" of the formula) both burn, the latter more slowly;
``noncombustible`` buildings (reinforced concrete, masonry) never catch fire
and act as fire breaks.

**Synthetic** (``city.buildings.synthetic``): the blocks between the
streets are filled with grids of plots ``footprint_m + gap_m`` apart or a
little more, the outer plots facing the streets :data:`SETBACK_M` (or a
little more) behind their walkable width, none farther than
:data:`MAX_DEPTH_M` from a street (so no building stands on a road or out in
the open); see :func:`synthetic_buildings`.
Each plot is built on with probability ``density`` (the schema's "share of
building plots built on"), and a built one is fire-resistant with probability
``fire_resistant_fraction``; draws come from the world stream
``world.buildings``, so every replication shares the same city.

**CSV** (``city.buildings.csv``): columns ``x, y`` (m, the scenario frame)
or ``lon, lat`` (WGS84, needs a geographic frame), ``footprint_m2`` (> 0),
``structure`` (one of :data:`STRUCTURES`) and optionally ``id``. A bad cell
is reported as ``city.buildings.csv[row N].<column>`` (N-th data row,
1-based) with the file's name and line, as for shelter files; a building
farther than ``city.max_snap_m`` from every road node is off the map.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from citysim.errors import Problem, ScenarioError
from citysim.scenario.base import closest
from citysim.world.network import RoadNetwork

__all__ = [
    "MAX_DEPTH_M",
    "SETBACK_M",
    "STRUCTURES",
    "Buildings",
    "build_buildings",
    "read_buildings_csv",
    "road_points",
    "synthetic_buildings",
]

STRUCTURES: tuple[str, ...] = ("wood", "fire_resistant", "noncombustible")
"""Structure classes; a building's ``structure`` code is its index here."""
WOOD, FIRE_RESISTANT, NONCOMBUSTIBLE = 0, 1, 2
SETBACK_M = 1.0
"""Clear space between a synthetic building and the walkable edge of a street (m)."""
MAX_DEPTH_M = 100.0
"""A synthetic plot's centre lies at most this far from a street (m)."""
ROAD_POINT_SPACING_M = 1.0
"""Spacing of the points that stand for the streets when plots are checked (m)."""
PLOT_CELL_M = 1.0
"""Finest cell of the raster that finds the blocks (m)."""
MAX_PLOT_CELLS = 4_000_000
"""The block raster is coarsened beyond this many cells (large cities)."""
PLOT_PHASES = 8
"""Shifts of a block's grid tried along each axis (fractions of the pitch)."""
MAX_REPORTED = 20
"""Bad CSV rows reported one by one; the rest are counted."""
_CSV_COLUMNS = ("id", "x", "y", "lon", "lat", "footprint_m2", "structure")
_YAML_CSV = ("city", "buildings", "csv")


@dataclass(frozen=True, eq=False)
class Buildings:
    """Buildings as arrays, one entry per building.

    Attributes
    ----------
    id
        Identifiers (the CSV ``id`` column, or ``B<k>`` from 1).
    x_m, y_m
        Centre of the footprint in the scenario frame (m).
    footprint_m2
        Footprint area (m²).
    structure
        Index into :data:`STRUCTURES` (int8).
    """

    id: list[str]
    x_m: np.ndarray
    y_m: np.ndarray
    footprint_m2: np.ndarray
    structure: np.ndarray

    def __len__(self) -> int:
        return len(self.id)

    @property
    def side_m(self) -> np.ndarray:
        """Side of each (square) footprint (m)."""
        return np.sqrt(self.footprint_m2)

    def structure_names(self) -> np.ndarray:
        """The structure class of each building, as a name."""
        return np.asarray(STRUCTURES, dtype=object)[self.structure]


def _streets(network: RoadNetwork) -> np.ndarray:
    """One directed edge per street (its lower-numbered direction), sorted."""
    tail, head = network.edge_tail, network.edge_head
    pair = np.minimum(tail, head).astype(np.int64) * network.n_nodes + np.maximum(tail, head)
    return np.sort(np.unique(pair, return_index=True)[1])


def road_points(network: RoadNetwork, spacing_m: float) -> tuple[np.ndarray, ...]:
    """Points along every street, at most ``spacing_m`` apart, ends included.

    A two-way street is sampled once (its lower-numbered direction).

    Parameters
    ----------
    network
        The road network.
    spacing_m
        Largest distance between consecutive points of an edge (m).

    Returns
    -------
    x_m, y_m : numpy.ndarray
        The points (m).
    edge : numpy.ndarray
        The edge each point lies on.
    """
    edges = _streets(network)
    tail, head = network.edge_tail[edges], network.edge_head[edges]
    ax, ay = network.node_x_m[tail], network.node_y_m[tail]
    bx, by = network.node_x_m[head], network.node_y_m[head]
    counts = np.ceil(np.hypot(bx - ax, by - ay) / spacing_m).astype(np.int64) + 1
    owner = np.repeat(np.arange(edges.size), counts)
    start = np.cumsum(counts) - counts
    frac = (np.arange(owner.size) - start[owner]) / np.maximum(counts[owner] - 1, 1)
    return (ax[owner] + frac * (bx - ax)[owner], ay[owner] + frac * (by - ay)[owner],
            edges[owner])


def _plot_space(network: RoadNetwork, side_m: float) -> tuple[np.ndarray, float, float, float]:
    """Raster of the blocks: where a plot centre may lie, one label per block.

    A cell is free when a square footprint centred on it keeps
    :data:`SETBACK_M` (plus half a cell, so that the raster errs on the
    safe side) from every street's walkable width, lies within
    :data:`MAX_DEPTH_M` of a street and inside the network's bounding box.
    The connected free areas are the blocks.

    Returns
    -------
    labels : numpy.ndarray
        Block number of each cell (0: not free), shape (rows, cols), row 0 south.
    x0_m, y0_m, cell_m : float
        Centre of cell (0, 0) and the cell size (m).
    """
    from scipy import ndimage

    xmin, ymin, xmax, ymax = network.bounds_m
    cell = max(PLOT_CELL_M, math.sqrt(max((xmax - xmin) * (ymax - ymin), 1.0) / MAX_PLOT_CELLS))
    cols = int(math.ceil((xmax - xmin) / cell)) + 1
    rows = int(math.ceil((ymax - ymin) / cell)) + 1
    rx, ry, edge = road_points(network, cell / 2)
    col = np.clip(np.rint((rx - xmin) / cell).astype(np.int64), 0, cols - 1)
    row = np.clip(np.rint((ry - ymin) / cell).astype(np.int64), 0, rows - 1)
    free = np.ones((rows, cols), dtype=bool)
    width = network.width_m[edge]
    for w in np.unique(width):
        road = np.zeros((rows, cols), dtype=bool)
        road[row[width == w], col[width == w]] = True
        chebyshev = ndimage.distance_transform_cdt(~road, metric="chessboard") * cell
        free &= chebyshev >= side_m / 2 + w / 2 + SETBACK_M + cell / 2
    road = np.zeros((rows, cols), dtype=bool)
    road[row, col] = True
    free &= ndimage.distance_transform_edt(~road) * cell <= MAX_DEPTH_M
    labels, _ = ndimage.label(free)
    return labels, xmin, ymin, cell


def _grid_lines(lo: float, hi: float, pitch_m: float) -> list[np.ndarray]:
    """Candidate positions of a block's plot rows along one axis, best first.

    First the rows stretched to span ``lo..hi`` exactly (spacing ``pitch_m``
    or a little more: the outer rows at the setback on both sides), then rows
    ``pitch_m`` apart at :data:`PLOT_PHASES` shifts (for blocks that are not
    rectangles).
    """
    n = int((hi - lo) // pitch_m) + 1
    lines = [np.linspace(lo, hi, n) if n > 1 else np.array([(lo + hi) / 2])]
    for shift in np.arange(PLOT_PHASES) * pitch_m / PLOT_PHASES:
        lines.append(np.arange(lo + shift, hi + 1e-9, pitch_m))
    return lines


def _block_plots(network: RoadNetwork, side_m: float, pitch_m: float) -> np.ndarray:
    """Plot centres filling each block with a square grid at least ``pitch_m`` apart.

    Each block gets its own grid: of the candidate rows and columns of
    :func:`_grid_lines`, the pair that puts the most plots inside the block
    (the first such pair: the stretched grid when it does as well).

    Returns
    -------
    numpy.ndarray
        Plot centres, shape (k, 2), block by block.
    """
    from scipy import ndimage

    labels, x0, y0, cell = _plot_space(network, side_m)
    rows, cols = labels.shape
    out = []
    for k, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is None:
            continue
        xs = _grid_lines(x0 + box[1].start * cell, x0 + (box[1].stop - 1) * cell, pitch_m)
        ys = _grid_lines(y0 + box[0].start * cell, y0 + (box[0].stop - 1) * cell, pitch_m)
        best = np.zeros((0, 2))
        for gx_line in xs:
            for gy_line in ys:
                gx, gy = np.meshgrid(gx_line, gy_line)
                c = np.clip(np.rint((gx.ravel() - x0) / cell).astype(np.int64), 0, cols - 1)
                r = np.clip(np.rint((gy.ravel() - y0) / cell).astype(np.int64), 0, rows - 1)
                inside = labels[r, c] == k
                if inside.sum() > len(best):
                    best = np.column_stack([gx.ravel()[inside], gy.ravel()[inside]])
        out.append(best)
    return np.concatenate(out) if out else np.zeros((0, 2))


def synthetic_buildings(network: RoadNetwork, *, density: float, footprint_m: float,
                        gap_m: float, fire_resistant_fraction: float,
                        rng: np.random.Generator) -> Buildings:
    """Lay out building plots inside the blocks of ``network`` and build on some.

    The blocks are the areas between the streets (:func:`_plot_space`); each
    is filled with a square grid of plots ``footprint_m + gap_m`` apart (or
    a little more, stretched so that a rectangular block's outer plots face
    its streets at :data:`SETBACK_M` behind their walkable width; shifted to
    hold the most plots in other blocks). A plot is
    kept when its square keeps the setback from every street (checked
    exactly against points every :data:`ROAD_POINT_SPACING_M` along the
    streets). Each plot is then built on with probability ``density``.

    Parameters
    ----------
    network
        The road network.
    density
        Probability that a plot is built on, (0, 1].
    footprint_m
        Side of every building (m).
    gap_m
        Separation between the buildings of neighbouring plots (m).
    fire_resistant_fraction
        Probability that a building is fire-resistant (else wood).
    rng
        The ``world.buildings`` stream.

    Returns
    -------
    Buildings
        In plot order.
    """
    plots = _block_plots(network, footprint_m, footprint_m + gap_m)
    rx, ry, edge = road_points(network, ROAD_POINT_SPACING_M)
    roads = np.column_stack([rx, ry])
    keep = np.ones(len(plots), dtype=bool)
    if len(plots) and len(roads):
        # a square footprint clears a road point when their Chebyshev distance exceeds
        # half the side plus the clearance; one tree per street width
        width = network.width_m[edge]
        for w in np.unique(width):
            clear = footprint_m / 2 + w / 2 + SETBACK_M - 1e-6
            near, _ = cKDTree(roads[width == w]).query(plots, p=np.inf, distance_upper_bound=clear)
            keep &= ~np.isfinite(near)
    plots = plots[keep]
    built = rng.random(len(plots)) < density
    resistant = rng.random(len(plots)) < fire_resistant_fraction
    n = int(built.sum())
    return Buildings(
        id=[f"B{k + 1}" for k in range(n)],
        x_m=plots[built, 0].copy(), y_m=plots[built, 1].copy(),
        footprint_m2=np.full(n, footprint_m**2),
        structure=np.where(resistant[built], FIRE_RESISTANT, WOOD).astype(np.int8),
    )


def read_buildings_csv(path: Path, locator: Any) -> Buildings:
    """Read buildings from a CSV file (see the module docstring for the columns).

    Parameters
    ----------
    path
        The file.
    locator
        The world's :class:`citysim.world.sites.Locator` (network, frame,
        ``max_snap_m`` and the scenario's problem maker).

    Returns
    -------
    Buildings

    Raises
    ------
    ScenarioError
        For a missing or unreadable file, a bad header, and every bad row
        (bad number, footprint <= 0, unknown structure, off the map).
    """
    problem = locator.problem
    name = Path(path).name
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [h.strip() for h in next(reader, [])]
            records = [(reader.line_num, cells) for cells in reader
                       if any(c.strip() for c in cells)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ScenarioError([problem(_YAML_CSV, f"cannot read {name}: {exc}")]) from None
    _check_header(header, name, problem)
    col = {h: k for k, h in enumerate(header)}
    geographic = "lon" in col
    first, second = ("lon", "lat") if geographic else ("x", "y")
    if geographic and locator.crs is None:
        raise ScenarioError([problem(_YAML_CSV, f"{name} gives lon/lat, but this city has no "
                                                "geographic frame: use x, y or set city.origin")])
    n = len(records)
    values = np.full((n, 3), np.nan)
    structure = np.zeros(n, dtype=np.int8)
    ids: list[str] = []
    bad: list[Problem] = []
    for row, (line, cells) in enumerate(records):
        where = (*_YAML_CSV, f"[row {row + 1}]")
        if len(cells) != len(header):
            bad.append(problem(where, f"expected {len(header)} cells as in the header, got "
                                      f"{len(cells)} ({name}, line {line})"))
            continue
        ids.append(cells[col["id"]].strip() if "id" in col else f"B{row + 1}")
        for k, column in enumerate((first, second, "footprint_m2")):
            text = cells[col[column]].strip()
            try:
                values[row, k] = float(text)
            except ValueError:
                bad.append(problem((*where, column), f"expected a number, got {text!r} "
                                                     f"({name}, line {line})"))
                continue
            if not math.isfinite(values[row, k]):
                bad.append(problem((*where, column), f"expected a finite number, got {text!r} "
                                                     f"({name}, line {line})"))
        if values[row, 2] <= 0:
            bad.append(problem((*where, "footprint_m2"),
                               f"expected an area > 0 m², got {values[row, 2]:g} "
                               f"({name}, line {line})"))
        kind = cells[col["structure"]].strip()
        if kind in STRUCTURES:
            structure[row] = STRUCTURES.index(kind)
        else:
            message = (f"unknown structure {kind!r} (expected one of: {', '.join(STRUCTURES)})")
            guess = closest(kind, STRUCTURES)
            if guess is not None:
                message += f"; did you mean {guess!r}?"
            bad.append(problem((*where, "structure"), f"{message} ({name}, line {line})"))
    if not bad:
        x, y = values[:, 0], values[:, 1]
        if geographic and n:
            from pyproj import Transformer

            x, y = Transformer.from_crs("EPSG:4326", locator.crs, always_xy=True).transform(x, y)
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if n:
            _, dist = locator.network.nearest_node(x, y)
            xmin, ymin, xmax, ymax = locator.network.bounds_m
            # mypy: row: one numpy index per bad row
            for row in np.flatnonzero(dist > locator.max_snap_m):  # type: ignore[assignment]
                bad.append(problem(
                    (*_YAML_CSV, f"[row {row + 1}]"),
                    f"off the map: ({x[row]:.0f}, {y[row]:.0f}) m is {dist[row]:.0f} m from the "
                    f"nearest road node (the network spans x {xmin:.0f}..{xmax:.0f}, y "
                    f"{ymin:.0f}..{ymax:.0f} m; city.max_snap_m is {locator.max_snap_m:g} m) "
                    f"({name}, line {records[row][0]})"))
    if bad:
        if len(bad) > MAX_REPORTED:
            more = len(bad) - MAX_REPORTED
            bad = [*bad[:MAX_REPORTED],
                   problem(_YAML_CSV, f"... and {more} more problem{'s' if more > 1 else ''} "
                                      f"in {name}")]
        raise ScenarioError(bad)
    return Buildings(id=ids, x_m=x, y_m=y, footprint_m2=values[:, 2].copy(), structure=structure)


def _check_header(header: list[str], name: str, problem: Any) -> None:
    problems = []
    if not any(header):
        problems.append(problem(_YAML_CSV, f"{name} is empty: expected a header row"))
    for column in header:
        if column and column not in _CSV_COLUMNS:
            message = (f"{name}: unknown column {column!r} (expected some of: "
                       f"{', '.join(_CSV_COLUMNS)})")
            guess = closest(column, _CSV_COLUMNS)
            if guess is not None:
                message += f"; did you mean {guess!r}?"
            problems.append(problem(_YAML_CSV, message))
    if any(header):
        if not ({"x", "y"} <= set(header) or {"lon", "lat"} <= set(header)):
            problems.append(problem(_YAML_CSV, f"{name}: missing location columns: x and y, "
                                               "or lon and lat"))
        elif {"x", "y"} <= set(header) and {"lon", "lat"} & set(header):
            problems.append(problem(_YAML_CSV, f"{name}: give x, y or lon, lat, not both"))
        problems += [problem(_YAML_CSV, f"{name}: missing column {c!r}")
                     for c in ("footprint_m2", "structure") if c not in header]
    if problems:
        raise ScenarioError(problems)


def build_buildings(spec: Any, locator: Any, rng: np.random.Generator) -> Buildings | None:
    """Build the buildings named by ``city.buildings``.

    Parameters
    ----------
    spec
        The scenario's ``city.buildings`` (``None``: no buildings).
    locator
        The world's :class:`citysim.world.sites.Locator`.
    rng
        The ``world.buildings`` stream (synthetic buildings).

    Returns
    -------
    Buildings or None
    """
    if spec is None:
        return None
    if spec.synthetic is not None:
        s = spec.synthetic
        return synthetic_buildings(locator.network, density=s.density, footprint_m=s.footprint_m,
                                   gap_m=s.gap_m, fire_resistant_fraction=s.fire_resistant_fraction,
                                   rng=rng)
    return read_buildings_csv(spec.csv, locator)
