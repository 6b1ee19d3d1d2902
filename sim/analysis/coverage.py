"""Station coverage: who and what the first engine reaches within the standard.

The travel time to a place counts from dispatch (SCENARIO_SPEC.md): the
station's turnout plus the driving time on the road network.  One forward
multi-source Dijkstra from every station that has at least one unit of the
type asked for (``unit="engine"`` by default: the 5-minute standard of China
建标152-2017 is about the first engine, MODELS.md), each source starting at
its turnout time, gives per node

- ``time_s``: the earliest arrival from dispatch (s), ``inf`` when no
  station can reach it;
- ``station``: the first-arriving station, i.e. the node's *district*.

On top of that:

**Population coverage** is the share of persons living at nodes reached
within the standard ``S`` (``time_s <= S``).

**Road-length coverage** (``area_fraction``) is the share of drivable street
length whose *points* are reached within ``S``.  An engine drives into a
street from one end: along a directed edge ``(u, v)`` of travel time ``w``,
the point at fraction ``f`` of its length is reached at ``t_u + f w``.  The
covered part from ``u`` is therefore the first
``a = clip((S - t_u) / w, 0, 1)`` of it; a two-way street (an edge paired
with its reverse ``(v, u)``, travel time ``w'``) is also entered from ``v``
and covers its last ``b = clip((S - t_v) / w', 0, 1)``.  Each street is
counted once, and its covered length is that of the union
``L min(1, a + b)`` (a point is covered when either end reaches it in
time).  A one-way street is covered from its tail only: an engine does not
drive against the traffic.  The same rule splits a street between the
districts of its two ends at the point reached at the same time from both,
``f* = clip((t_v + w' - t_u) / (w + w'), 0, 1)``; so each station's district
road length, covered road length and the latest arrival anywhere on its
district's streets (the time to reach the *edge* of the district, which is
what 建标152-2017 limits to 5 min) are exact too.  Non-drivable edges
(pedestrian streets) are neither in the numerator nor the denominator;
streets closed by a hazard stay in the denominator (they are road the
station should cover) and are reached, if at all, from their open
direction only.

**Raster area** (``raster_area_fraction``), for context: the network's
bounding box is cut into cells; a cell belongs to the district of its
nearest node and is covered when that node is.  The per-station
``district_area_km2`` (cells of its district) is compared with the
建标152-2017 limit for a class-1 station (7 km²; 4 km² class 2, 2 km²
small stations: the scenario does not say a station's class).  The box
includes any empty land inside it (parks, water): on real cities read the
road-length share first.

Everything here is pure: :func:`station_coverage` takes a world (and,
optionally, hazard closures and speed factors) and returns arrays;
:func:`coverage_nodes` and :func:`coverage_report` shape them as
``coverage_nodes.parquet`` and ``coverage.json``. The ``citysim coverage``
verb (the network at a time of the run, the files, the map) is
:mod:`citysim.app.coverage`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from citysim.routing import shortest_costs
from citysim.world.builder import World, node_population
from citysim.world.network import RoadNetwork
from citysim.world.sites import UNIT_TYPES

__all__ = [
    "AREA_LIMITS_KM2",
    "Coverage",
    "CoverageRaster",
    "coverage_nodes",
    "coverage_report",
    "station_coverage",
    "street_pairs",
]

AREA_LIMITS_KM2: dict[str, float] = {"class_1": 7.0, "class_2": 4.0, "small": 2.0}
"""Largest district area by station class (km²): 建标152-2017 第十四条, "设在城市的消防站，
一级站不宜大于7km²，二级站不宜大于4km²，小型站不宜大于2km²" (and at most 15 km² for a
普通站 on the urban fringe, not modelled); GB 51080-2015 §4.1.3 gives the 7 km² for
普通消防站.  Confirmed from reproductions of the texts (docs/fire-protection.md)."""
AREA_LIMIT_KM2 = AREA_LIMITS_KM2["class_1"]
"""The limit each station's district is checked against (the scenario gives no class)."""
RASTER_CELLS = 400
"""Raster cells across the longer side of the network's bounding box, by default."""
_TIME_TOL_S = 1e-9
"""A node reached exactly at the standard is covered, despite float rounding."""


@dataclass(frozen=True, eq=False)
class CoverageRaster:
    """The network's bounding box in cells, each in its nearest node's district.

    Attributes
    ----------
    x0_m, y0_m
        Lower-left corner of the box (m).
    cell_w_m, cell_h_m
        Cell width and height (m); the cells tile the box exactly.
    station
        District of each cell (index into the world's stations, ``-1`` when
        its nearest node is unreached), shape (ny, nx), row 0 at ``y0_m``.
    covered
        Whether the cell's nearest node is reached within the standard,
        shape (ny, nx).
    """

    x0_m: float
    y0_m: float
    cell_w_m: float
    cell_h_m: float
    station: np.ndarray
    covered: np.ndarray

    @property
    def cell_area_km2(self) -> float:
        """Area of one cell (km²)."""
        return self.cell_w_m * self.cell_h_m / 1e6

    @property
    def x_edges_m(self) -> np.ndarray:
        """Cell boundaries along x (m), shape (nx + 1,)."""
        return self.x0_m + self.cell_w_m * np.arange(self.station.shape[1] + 1)

    @property
    def y_edges_m(self) -> np.ndarray:
        """Cell boundaries along y (m), shape (ny + 1,)."""
        return self.y0_m + self.cell_h_m * np.arange(self.station.shape[0] + 1)


@dataclass(frozen=True, eq=False)
class Coverage:
    """Station coverage of a city within a response standard.

    Attributes
    ----------
    standard_s
        The standard: latest arrival after dispatch that counts (s).
    unit_type
        Unit type whose stations were sources (one of ``UNIT_TYPES``).
    time_s
        Earliest arrival after dispatch at each node (turnout + driving, s),
        shape (n,); ``inf`` where no station reaches.
    station
        First-arriving station at each node (index into ``world.stations``),
        shape (n,); ``-1`` where none reaches.
    population
        Persons living at each node, shape (n,).
    covered_population, total_population
        Persons at nodes reached within the standard, and all persons.
    covered_road_m, total_road_m
        Drivable street length reached within the standard, and all of it
        (each street once, see the module docstring).
    raster
        The bounding-box raster of districts and covered cells.
    hazard_closed
        Edges closed by the ``closed`` mask or a zero speed factor, shape (m,)
        (non-drivable edges not included).
    stations
        One row per station of the world (those without the unit type
        included, with empty districts): ``station, name, node, x_m, y_m,
        units, turnout_s, district_population, covered_population,
        district_covered_fraction, district_road_km, covered_road_km,
        district_area_km2, area_limit_km2, within_area_limit,
        district_max_time_s, meets_time_standard``.
    """

    standard_s: float
    unit_type: str
    time_s: np.ndarray
    station: np.ndarray
    population: np.ndarray
    covered_population: float
    total_population: float
    covered_road_m: float
    total_road_m: float
    raster: CoverageRaster
    hazard_closed: np.ndarray
    stations: pd.DataFrame

    @property
    def covered(self) -> np.ndarray:
        """Nodes reached within the standard, shape (n,)."""
        return self.time_s <= self.standard_s + _TIME_TOL_S

    @property
    def coverage_fraction(self) -> float:
        """Share of persons reached within the standard (NaN with nobody)."""
        return _share(self.covered_population, self.total_population)

    @property
    def area_fraction(self) -> float:
        """Share of drivable street length reached within the standard."""
        return _share(self.covered_road_m, self.total_road_m)

    @property
    def raster_area_fraction(self) -> float:
        """Share of the network's bounding box whose nearest node is covered."""
        cells = self.raster.covered
        return _share(float(cells.sum()), float(cells.size))


def _share(part: float, whole: float) -> float:
    return float(part) / float(whole) if whole > 0 else math.nan


# --------------------------------------------------------------------------- streets


def street_pairs(network: RoadNetwork, usable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pair usable directed edges into streets, each counted once.

    An edge ``(u, v)`` and an edge ``(v, u)`` of about the same length
    (within 1 m or 1 %) are the two directions of one street; parallel edges
    between the same two nodes pair in order of length.  An edge left
    without a partner is a one-way street.

    Parameters
    ----------
    network
        The road network.
    usable
        Edges that count as streets (e.g. drivable ones), shape (m,).

    Returns
    -------
    forward : numpy.ndarray
        One edge id per street, shape (k,), int64, in increasing order.
    reverse : numpy.ndarray
        Its reverse edge id, or ``-1`` for a one-way street, shape (k,).
    """
    usable = np.asarray(usable, dtype=bool)
    edges = np.flatnonzero(usable)
    tail = network.edge_tail[edges].astype(np.int64)
    head = network.edge_head[edges].astype(np.int64)
    length = network.length_m[edges]
    lo, hi = np.minimum(tail, head), np.maximum(tail, head)
    up = tail < head
    # group by the unordered pair, then by direction and length
    order = np.lexsort((edges, length, ~up, hi, lo))
    partner = np.full(edges.shape[0], -1, dtype=np.int64)
    key = lo[order] * (int(network.n_nodes) + 1) + hi[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    ends = np.r_[starts[1:], order.shape[0]]
    for s, e in zip(starts, ends, strict=True):
        if e - s < 2:
            continue
        group = order[s:e]
        fwd = [i for i in group if up[i]]
        bwd = [i for i in group if not up[i]]
        j = 0
        for i in fwd:  # both lists ascend by length: a greedy merge pairs nearest ones
            while j < len(bwd) and length[bwd[j]] < length[i] - _pair_tolerance(length[i]):
                j += 1
            if j < len(bwd) and abs(length[bwd[j]] - length[i]) <= _pair_tolerance(length[i]):
                partner[i], partner[bwd[j]] = bwd[j], i
                j += 1
    first = (partner < 0) | (np.arange(edges.shape[0]) < np.maximum(partner, 0))
    keep = np.flatnonzero(first)
    forward = edges[keep]
    reverse = np.where(partner[keep] >= 0, edges[np.maximum(partner[keep], 0)], -1)
    return forward.astype(np.int64), reverse.astype(np.int64)


def _pair_tolerance(length_m: float) -> float:
    return max(1.0, 0.01 * float(length_m))


@dataclass(frozen=True, eq=False)
class _Streets:
    """Per street: length, the two ends' parts, covered shares, districts, latest times."""

    length_m: np.ndarray
    covered_m: np.ndarray
    part_m: np.ndarray  # (2, k): length belonging to the tail's / head's district
    part_covered_m: np.ndarray  # (2, k)
    part_station: np.ndarray  # (2, k), -1 where that part is reached by no one
    part_max_time_s: np.ndarray  # (2, k), latest arrival on the part, nan when empty


def _street_coverage(
    network: RoadNetwork,
    forward: np.ndarray,
    reverse: np.ndarray,
    weight_s: np.ndarray,
    time_s: np.ndarray,
    station: np.ndarray,
    standard_s: float,
) -> _Streets:
    """Apply the per-street rule of the module docstring (vectorised)."""
    u = network.edge_tail[forward].astype(np.int64)
    v = network.edge_head[forward].astype(np.int64)
    length = network.length_m[forward].astype(np.float64)
    w1 = weight_s[forward]
    w2 = np.where(reverse >= 0, weight_s[np.maximum(reverse, 0)], np.inf)
    tu, tv = time_s[u], time_s[v]
    from_u = np.isfinite(tu) & np.isfinite(w1)  # the street is entered at u
    from_v = np.isfinite(tv) & np.isfinite(w2)
    a = _reach_share(standard_s - tu, w1, from_u)
    b = _reach_share(standard_s - tv, w2, from_v)
    covered = length * np.minimum(1.0, a + b)
    # the point reached at the same time from both ends
    split = np.where(from_u, 1.0, 0.0)
    both = from_u & from_v
    total_w = w1[both] + w2[both]
    split[both] = np.where(total_w > 0,
                           np.clip((tv[both] + w2[both] - tu[both]) / np.where(total_w > 0,
                                                                                total_w, 1.0),
                                   0.0, 1.0),
                           (tu[both] <= tv[both]).astype(np.float64))
    share = np.stack([split, 1.0 - split])
    part_m = length * share
    part_covered = length * np.minimum(np.stack([a, b]), share)
    part_station = np.stack([np.where(from_u, station[u], -1), np.where(from_v, station[v], -1)])
    with np.errstate(invalid="ignore"):
        latest = np.stack([tu + split * w1, tv + (1.0 - split) * w2])
    latest = np.where((share > 0) & (part_station >= 0), latest, np.nan)
    part_m = np.where(part_station >= 0, part_m, 0.0)
    return _Streets(length_m=length, covered_m=covered, part_m=part_m,
                    part_covered_m=part_covered, part_station=part_station,
                    part_max_time_s=latest)


def _reach_share(slack_s: np.ndarray, weight_s: np.ndarray, entered: np.ndarray) -> np.ndarray:
    """Share of an edge driven within ``slack_s`` of entering it: ``clip(slack / w, 0, 1)``."""
    out = np.zeros(slack_s.shape[0])
    go = entered & (slack_s >= -_TIME_TOL_S)
    w = weight_s[go]
    out[go] = np.where(w > 0, np.clip(slack_s[go] / np.where(w > 0, w, 1.0), 0.0, 1.0), 1.0)
    return out


# --------------------------------------------------------------------------- coverage


def station_coverage(
    world: World,
    *,
    standard_s: float,
    closed: np.ndarray | None = None,
    speed_factor: np.ndarray | None = None,
    unit: str = "engine",
    raster_cell_m: float | None = None,
) -> Coverage:
    """Population and road coverage of the stations within a response standard.

    Parameters
    ----------
    world
        The built world.
    standard_s
        Latest arrival after dispatch that counts (s), positive.
    closed
        Edges closed by hazards, shape (m,); default none.  Non-drivable
        edges are closed to engines in any case.
    speed_factor
        Per-edge speed multiplier in [0, 1] (0 closes the edge), shape (m,);
        default 1.  Driving time is ``travel_time_s / speed_factor``.
    unit
        Unit type that must be at a station for it to count (``UNIT_TYPES``).
    raster_cell_m
        Side of the raster cells (m); default the longer side of the
        network's bounding box over :data:`RASTER_CELLS`.

    Returns
    -------
    Coverage

    Raises
    ------
    ValueError
        For a non-positive standard, an unknown unit type or arrays of the
        wrong shape.
    """
    from citysim.agents.draws import CAR
    from citysim.agents.traffic import edge_traffic

    standard = float(standard_s)
    if not (standard > 0 and math.isfinite(standard)):
        raise ValueError(f"standard_s must be a positive number of seconds, got {standard_s!r}")
    if unit not in UNIT_TYPES:
        raise ValueError(f"unit must be one of {', '.join(UNIT_TYPES)}; got {unit!r}")
    net = world.network
    m = net.n_edges
    factor = np.ones(m) if speed_factor is None else np.asarray(speed_factor, dtype=np.float64)
    hazard_closed = np.zeros(m, dtype=bool) if closed is None else np.asarray(closed, dtype=bool)
    for name, arr in (("closed", hazard_closed), ("speed_factor", factor)):
        if arr.shape != (m,):
            raise ValueError(f"{name} must have shape ({m},), one per edge, got {arr.shape}")
    drivable = edge_traffic(net).usable[CAR]  # as dispatch has it (citysim.agents.response)
    shut = hazard_closed | ~drivable | ~(factor > 0)
    with np.errstate(divide="ignore"):
        weight = np.where(shut, np.inf, net.travel_time_s / np.where(factor > 0, factor, 1.0))

    st = world.stations
    n_st = len(st)
    col = UNIT_TYPES.index(unit)
    units = (st.units[:, col].astype(np.int64) if n_st else np.zeros(0, dtype=np.int64))
    sources = np.flatnonzero(units > 0)
    if sources.size:
        paths = shortest_costs(net, st.node[sources].astype(np.int64), weight_s=weight,
                               source_offset_s=st.turnout_s[sources].astype(np.float64))
        time_s = paths.dist_s
        station = np.where(paths.origin >= 0, sources[np.maximum(paths.origin, 0)], -1)
    else:
        time_s = np.full(net.n_nodes, np.inf)
        station = np.full(net.n_nodes, -1, dtype=np.int64)
    station = station.astype(np.int64)

    pop = node_population(world)
    covered_node = time_s <= standard + _TIME_TOL_S
    forward, reverse = street_pairs(net, drivable)
    streets = _street_coverage(net, forward, reverse, weight, time_s, station, standard)
    raster = _raster(net, time_s, station, covered_node, raster_cell_m)
    table = _station_table(world, units, station, covered_node, pop, streets, raster, standard)
    return Coverage(
        standard_s=standard, unit_type=unit, time_s=time_s, station=station, population=pop,
        covered_population=float(pop[covered_node].sum()), total_population=float(pop.sum()),
        covered_road_m=float(streets.covered_m.sum()), total_road_m=float(streets.length_m.sum()),
        raster=raster, hazard_closed=hazard_closed | ~(factor > 0), stations=table,
    )


def _raster(
    net: RoadNetwork,
    time_s: np.ndarray,
    station: np.ndarray,
    covered_node: np.ndarray,
    cell_m: float | None,
) -> CoverageRaster:
    xmin, ymin, xmax, ymax = net.bounds_m
    width, height = max(xmax - xmin, 1.0), max(ymax - ymin, 1.0)
    if cell_m is None:
        cell_m = max(width, height) / RASTER_CELLS
    if not (cell_m > 0 and math.isfinite(cell_m)):
        raise ValueError(f"raster_cell_m must be positive, got {cell_m!r}")
    nx, ny = max(1, round(width / cell_m)), max(1, round(height / cell_m))
    cw, ch = width / nx, height / ny
    cx = xmin + cw * (np.arange(nx) + 0.5)
    cy = ymin + ch * (np.arange(ny) + 0.5)
    gx, gy = np.meshgrid(cx, cy)
    nearest, _ = net.nearest_node(gx.ravel(), gy.ravel())
    reached = np.isfinite(time_s[nearest])
    cell_station = np.where(reached, station[nearest], -1).reshape(ny, nx)
    return CoverageRaster(x0_m=xmin, y0_m=ymin, cell_w_m=cw, cell_h_m=ch,
                          station=cell_station, covered=covered_node[nearest].reshape(ny, nx))


def _station_table(
    world: World,
    units: np.ndarray,
    station: np.ndarray,
    covered_node: np.ndarray,
    pop: np.ndarray,
    streets: _Streets,
    raster: CoverageRaster,
    standard_s: float,
) -> pd.DataFrame:
    st = world.stations
    n_st = len(st)

    def per_station(index: np.ndarray, weights: np.ndarray) -> np.ndarray:
        ok = index >= 0
        return np.bincount(index[ok], weights=weights[ok], minlength=n_st)[:n_st]

    district_pop = per_station(station, pop)
    covered_pop = per_station(station, np.where(covered_node, pop, 0.0))
    part_station = streets.part_station.ravel()
    road_m = per_station(part_station, streets.part_m.ravel())
    road_cov_m = per_station(part_station, streets.part_covered_m.ravel())
    cells = np.bincount(raster.station[raster.station >= 0].ravel(), minlength=n_st)[:n_st]
    area_km2 = cells * raster.cell_area_km2
    latest = np.full(n_st, np.nan)
    times = streets.part_max_time_s.ravel()
    ok = (part_station >= 0) & np.isfinite(times)
    if ok.any():
        np.fmax.at(latest, part_station[ok], times[ok])
    node_ids = world.network.node_id
    rows = []
    for k in range(n_st):
        latest_k = float(latest[k]) if np.isfinite(latest[k]) else None
        rows.append({
            "station": st.id[k], "name": st.name[k], "node": int(node_ids[st.node[k]]),
            "x_m": float(st.x_m[k]), "y_m": float(st.y_m[k]), "units": int(units[k]),
            "turnout_s": float(st.turnout_s[k]),
            "district_population": float(district_pop[k]),
            "covered_population": float(covered_pop[k]),
            "district_covered_fraction": (float(covered_pop[k] / district_pop[k])
                                          if district_pop[k] > 0 else None),
            "district_road_km": float(road_m[k] / 1000.0),
            "covered_road_km": float(road_cov_m[k] / 1000.0),
            "district_area_km2": float(area_km2[k]),
            "area_limit_km2": AREA_LIMIT_KM2,
            "within_area_limit": bool(area_km2[k] <= AREA_LIMIT_KM2),
            "district_max_time_s": latest_k,
            "meets_time_standard": (None if latest_k is None
                                    else bool(latest_k <= standard_s + _TIME_TOL_S)),
        })
    columns = ["station", "name", "node", "x_m", "y_m", "units", "turnout_s",
               "district_population", "covered_population", "district_covered_fraction",
               "district_road_km", "covered_road_km", "district_area_km2", "area_limit_km2",
               "within_area_limit", "district_max_time_s", "meets_time_standard"]
    return pd.DataFrame(rows, columns=columns)


# --------------------------------------------------------------------------- hazards


def coverage_nodes(world: World, coverage: Coverage) -> pd.DataFrame:
    """The per-node table of ``coverage_nodes.parquet``.

    Columns: ``node`` (the network's node id, as ``{node: ID}`` locations
    use), ``node_index``, ``x, y`` (m), ``population`` (persons),
    ``time_s`` (arrival after dispatch, NaN where unreached), ``station``
    (first-arriving station id, ``None`` where unreached), ``covered``.
    """
    net = world.network
    ids = np.asarray(world.stations.id + [None], dtype=object)
    return pd.DataFrame({
        "node": net.node_id.astype(np.int64),
        "node_index": np.arange(net.n_nodes, dtype=np.int64),
        "x": net.node_x_m, "y": net.node_y_m,
        "population": coverage.population,
        "time_s": np.where(np.isfinite(coverage.time_s), coverage.time_s, np.nan),
        "station": ids[coverage.station],  # -1 picks the trailing None
        "covered": coverage.covered,
    })


def coverage_report(
    coverage: Coverage, *, at_s: float | None, provenance: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The ``coverage.json`` content.

    Parameters
    ----------
    coverage
        The coverage.
    at_s
        Run time whose network was used (s), or ``None``.
    provenance
        Provenance block (:func:`citysim.io.provenance.provenance`).

    Returns
    -------
    dict
        Flat headline keys first, then ``stations`` and ``provenance``.
    """
    cov = coverage
    finite = np.isfinite(cov.time_s)
    pop = cov.population
    return {
        "coverage_fraction": cov.coverage_fraction,
        "area_fraction": cov.area_fraction,
        "raster_area_fraction": cov.raster_area_fraction,
        "standard_s": cov.standard_s,
        "unit_type": cov.unit_type,
        "at_s": at_s,
        "population_total": cov.total_population,
        "population_covered": cov.covered_population,
        "population_uncovered": cov.total_population - cov.covered_population,
        "population_unreachable": float(pop[~finite].sum()),
        "road_km_total": cov.total_road_m / 1000.0,
        "road_km_covered": cov.covered_road_m / 1000.0,
        "raster_cell_m": [cov.raster.cell_w_m, cov.raster.cell_h_m],
        "nodes_total": int(cov.time_s.shape[0]),
        "nodes_covered": int(cov.covered.sum()),
        "nodes_unreachable": int((~finite).sum()),
        "closed_edges": int(cov.hazard_closed.sum()),
        "max_node_time_s": float(cov.time_s[finite].max()) if finite.any() else None,
        "district_area_limits_km2": dict(AREA_LIMITS_KM2),
        "definitions": {
            "time": "turnout + driving time on the network from the first-arriving station "
                    "with the unit type",
            "coverage_fraction": "persons at nodes reached within the standard / all persons",
            "area_fraction": "drivable street length whose points are reached within the "
                             "standard / all drivable street length (each street once; a "
                             "two-way street is entered from both ends)",
            "raster_area_fraction": "cells of the network's bounding box whose nearest node "
                                    "is reached within the standard / all cells",
            "district_max_time_s": "latest arrival at any point of the district's streets",
            "district_area_km2": "raster cells whose nearest node the station reaches first",
        },
        "stations": cov.stations.astype(object).where(cov.stations.notna(), None)
                                .to_dict(orient="records"),
        "provenance": provenance,
    }
