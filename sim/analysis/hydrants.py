"""Hydrant coverage: which streets and buildings a hose from a hydrant reaches.

GB 50974-2014 (§7.2, 市政消火栓: "市政消火栓的保护半径不应超过150m，间距不应大于
120m") asks for municipal hydrants along the streets at most 120 m apart, each
protecting at most 150 m around it (MODELS.md, "Hydrants"; docs/fire-protection.md).
The hose is laid on the ground along the streets, not through the blocks, so
the 150 m are measured **along the street network**:

- The hose network is the drivable streets, each counted once and walkable
  both ways (a hose is laid against a one-way street's traffic), of length
  ``L``.  A hydrant stands at a point of a street, ``p`` from its first end
  ``u`` (:class:`~citysim.world.hydrants.Hydrants`).
- One multi-source Dijkstra from every usable hydrant (a virtual node joined
  to ``u`` by ``p`` and to the other end ``v`` by ``L - p``) gives each node
  its distance ``D`` to the nearest hydrant along the streets, and which one.
- The point at ``x`` along a street is ``min(D_u + x, D_v + L - x, |x - p_h|)``
  from the nearest hydrant (the last term for hydrants on that street).  It
  is **covered** when that is at most the radius ``R``: from each end the
  first ``R - D`` of the street, plus ``[p_h - R, p_h + R]`` around each
  hydrant on it; the covered length is the length of the union.
- A **building** is reached at the point of a street nearest to its centre
  (its frontage); it is covered when that point is.  The last metres from
  the street to the door are not counted.

``hydrant_street_fraction`` is covered street length over all street length
(each two-way street once), ``hydrant_building_fraction`` covered buildings
over all buildings.  :func:`straight_line_covered` gives, for comparison,
the buildings within ``R`` in a straight line: a hose cannot cross a block,
so that overstates the coverage where hydrants stand behind one.

**Spacing.**  Along a street the hydrants are ordered by position; the
nearest hydrant beyond each end (``D_u`` before ``u``, ``D_v`` after ``v``,
through the network) closes the list, so for a street laid along a chain of
edges the consecutive gaps are the distances between consecutive hydrants
along it.  A gap longer than the spacing (120 m) between two different
hydrants is a **spacing violation**; a gap found on several edges of the
same stretch (same two hydrants, same length) is reported once.

Everything here is pure: arrays in, arrays and tables out.  The verb
(``citysim coverage``: hydrants unusable under ``--at``, the files, the
map) is :mod:`citysim.app.coverage`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from citysim.analysis.coverage import street_pairs
from citysim.world.hydrants import Hydrants, hose_distances, hose_length_m, street_edges
from citysim.world.network import RoadNetwork

__all__ = [
    "HYDRANT_RADIUS_M",
    "HYDRANT_SPACING_M",
    "HydrantCoverage",
    "hydrant_coverage",
    "straight_line_covered",
]

HYDRANT_RADIUS_M = 150.0
"""Protection radius of a municipal hydrant along the streets (m): GB 50974-2014 §7.2
(clause 7.2.5 as we recall its number; the wording is confirmed from reproductions)."""
HYDRANT_SPACING_M = 120.0
"""Largest spacing of municipal hydrants along a street (m): GB 50974-2014 §7.2, the
same clause as :data:`HYDRANT_RADIUS_M`."""
_EPS_M = 1e-9
"""Stands for a zero length in the sparse graph (explicit zeros would be dropped)."""


@dataclass(frozen=True, eq=False)
class HydrantCoverage:
    """Hydrant coverage of the streets and buildings of a city.

    Attributes
    ----------
    radius_m, spacing_m
        The protection radius and the spacing standard (m).
    usable
        Hydrants counted (in service and usable at the time), shape (h,).
    node_distance_m
        Distance along the streets from each node to the nearest usable
        hydrant (m), ``inf`` where none reaches, shape (n,).
    node_hydrant
        That hydrant (index into the hydrants), ``-1`` where none, shape (n,).
    street_edge
        One directed edge per street, shape (k,).
    street_length_m, street_covered_m
        Length of each street and its covered length (m), shape (k,).
    gaps
        Uncovered stretches: ``street`` (edge), ``start_m``, ``end_m`` (along
        the edge from its tail), ``x0, y0, x1, y1`` (m).
    building_distance_m
        Hose length from the nearest usable hydrant to each building's
        frontage (m), ``inf`` where none, shape (b,).
    building_street
        The street (index into ``street_edge``) of each building's frontage,
        shape (b,).
    spacing
        Spacing violations: ``street`` (edge), ``from_hydrant``,
        ``to_hydrant``, ``gap_m``.
    """

    radius_m: float
    spacing_m: float
    usable: np.ndarray
    node_distance_m: np.ndarray
    node_hydrant: np.ndarray
    street_edge: np.ndarray
    street_length_m: np.ndarray
    street_covered_m: np.ndarray
    gaps: pd.DataFrame
    building_distance_m: np.ndarray
    building_street: np.ndarray
    spacing: pd.DataFrame

    @property
    def building_covered(self) -> np.ndarray:
        """Buildings whose frontage is within the radius of a usable hydrant, shape (b,)."""
        return self.building_distance_m <= self.radius_m + _EPS_M

    @property
    def street_fraction(self) -> float:
        """Covered street length over all street length (NaN without streets)."""
        total = float(self.street_length_m.sum())
        return float(self.street_covered_m.sum()) / total if total > 0 else math.nan

    @property
    def building_fraction(self) -> float:
        """Covered buildings over all buildings (NaN without buildings)."""
        n = self.building_distance_m.size
        return float(self.building_covered.sum()) / n if n else math.nan


def _streets(network: RoadNetwork) -> tuple[np.ndarray, np.ndarray]:
    usable = np.zeros(network.n_edges, dtype=bool)
    usable[street_edges(network)] = True
    return street_pairs(network, usable)


def _on_streets(network: RoadNetwork, forward: np.ndarray, reverse: np.ndarray,
                edge: np.ndarray, offset_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Street index and position along its forward edge of points given on any direction."""
    index = np.full(network.n_edges, -1, dtype=np.int64)
    index[forward] = np.arange(forward.size)
    flip = np.zeros(network.n_edges, dtype=bool)
    two_way = reverse >= 0
    index[reverse[two_way]] = np.flatnonzero(two_way)
    flip[reverse[two_way]] = True
    street = index[edge]
    length = network.length_m[forward[street]]
    own = network.length_m[edge]
    scaled = offset_m * np.where(own > 0, length / np.where(own > 0, own, 1.0), 0.0)
    return street, np.where(flip[edge], length - scaled, scaled)


def hydrant_coverage(
    network: RoadNetwork,
    hydrants: Hydrants,
    building_xy_m: tuple[np.ndarray, np.ndarray] | None = None,
    *,
    usable: np.ndarray | None = None,
    radius_m: float = HYDRANT_RADIUS_M,
    spacing_m: float = HYDRANT_SPACING_M,
) -> HydrantCoverage:
    """Street and building coverage of the hydrants, and their spacing (module docstring).

    Parameters
    ----------
    network
        The road network.
    hydrants
        The hydrants on its streets.
    building_xy_m
        Building centres ``(x, y)`` (m); default none.
    usable
        Hydrants that count, shape (h,); default those in service.
    radius_m
        Protection radius along the streets (m).
    spacing_m
        Largest spacing along a street (m).

    Returns
    -------
    HydrantCoverage
    """
    ok = (hydrants.in_service.copy() if usable is None
          else np.asarray(usable, dtype=bool) & hydrants.in_service)
    forward, reverse = _streets(network)
    h_street, h_pos = _on_streets(network, forward, reverse, hydrants.edge, hydrants.offset_m)
    use = np.flatnonzero(ok)
    node_dist, node_hyd_local = hose_distances(network, hydrants.edge[use],
                                               hydrants.offset_m[use])
    node_hyd = (np.where(node_hyd_local >= 0, use[np.maximum(node_hyd_local, 0)], -1)
                if use.size else node_hyd_local)
    u = network.edge_tail[forward].astype(np.int64)
    v = network.edge_head[forward].astype(np.int64)
    length = network.length_m[forward].astype(np.float64)
    du, dv = node_dist[u], node_dist[v]
    on_street: dict[int, list[int]] = {}
    for k in use:
        on_street.setdefault(int(h_street[k]), []).append(int(k))
    covered = np.empty(forward.size)
    gaps: list[tuple[int, float, float]] = []
    violations: dict[tuple[str, str, float], tuple[int, str, str, float]] = {}
    for s in range(forward.size):
        L = float(length[s])
        here = on_street.get(s, [])
        spans = [(0.0, min(L, radius_m - du[s])), (max(0.0, L - (radius_m - dv[s])), L)]
        spans += [(max(0.0, h_pos[k] - radius_m), min(L, h_pos[k] + radius_m)) for k in here]
        free = _complement(spans, L)
        covered[s] = L - sum(b - a for a, b in free)
        gaps.extend((int(forward[s]), a, b) for a, b in free)
        items = sorted([(float(h_pos[k]), int(k)) for k in here])
        if np.isfinite(du[s]):
            items.insert(0, (-float(du[s]), int(node_hyd[u[s]])))
        if np.isfinite(dv[s]):
            items.append((L + float(dv[s]), int(node_hyd[v[s]])))
        for (pa, ha), (pb, hb) in zip(items[:-1], items[1:], strict=True):
            gap = pb - pa
            if ha != hb and gap > spacing_m + _EPS_M:
                a_id, b_id = sorted((hydrants.id[ha], hydrants.id[hb]))
                violations.setdefault((a_id, b_id, round(gap, 6)),
                                      (int(forward[s]), hydrants.id[ha], hydrants.id[hb], gap))
    gap_frame = _gap_frame(network, gaps)
    spacing = pd.DataFrame(list(violations.values()),
                           columns=["street", "from_hydrant", "to_hydrant", "gap_m"])
    if building_xy_m is None:
        b_dist, b_street = np.zeros(0), np.zeros(0, dtype=np.int64)
    else:
        b_dist, b_street = _building_distance(network, forward, reverse, hydrants, ok,
                                              building_xy_m)
    return HydrantCoverage(radius_m=float(radius_m), spacing_m=float(spacing_m), usable=ok,
                           node_distance_m=node_dist, node_hydrant=node_hyd.astype(np.int64),
                           street_edge=forward, street_length_m=length,
                           street_covered_m=covered, gaps=gap_frame,
                           building_distance_m=b_dist, building_street=b_street,
                           spacing=spacing)


def _complement(spans: list[tuple[float, float]], length_m: float) -> list[tuple[float, float]]:
    """The parts of ``[0, length_m]`` outside every span (spans with end < start are empty)."""
    out = []
    at = 0.0
    for a, b in sorted((a, b) for a, b in spans if b > a):
        if a > at:
            out.append((at, a))
        at = max(at, b)
    if at < length_m:
        out.append((at, length_m))
    return out


def _gap_frame(network: RoadNetwork, gaps: list[tuple[int, float, float]]) -> pd.DataFrame:
    if not gaps:
        return pd.DataFrame(columns=["street", "start_m", "end_m", "x0", "y0", "x1", "y1"])
    edge = np.array([g[0] for g in gaps], dtype=np.int64)
    start = np.array([g[1] for g in gaps])
    end = np.array([g[2] for g in gaps])
    length = network.length_m[edge]
    tail, head = network.edge_tail[edge], network.edge_head[edge]
    nx, ny = network.node_x_m, network.node_y_m

    def at(f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return nx[tail] + f * (nx[head] - nx[tail]), ny[tail] + f * (ny[head] - ny[tail])

    safe = np.where(length > 0, length, 1.0)
    x0, y0 = at(start / safe)
    x1, y1 = at(end / safe)
    return pd.DataFrame({"street": edge, "start_m": start, "end_m": end,
                         "x0": x0, "y0": y0, "x1": x1, "y1": y1})


def _building_distance(network: RoadNetwork, forward: np.ndarray, reverse: np.ndarray,
                       hydrants: Hydrants, usable: np.ndarray,
                       building_xy_m: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, ...]:
    """Hose length from the nearest usable hydrant to each building's frontage (m), its street."""
    bx, by = (np.asarray(c, dtype=np.float64) for c in building_xy_m)
    if bx.size == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    dist, edge, offset = hose_length_m(network, hydrants, bx, by, usable=usable)
    street, _ = _on_streets(network, forward, reverse, edge, offset)
    return dist, street


def straight_line_covered(hydrants: Hydrants, x_m: np.ndarray, y_m: np.ndarray,
                          radius_m: float = HYDRANT_RADIUS_M,
                          usable: np.ndarray | None = None) -> np.ndarray:
    """Points within ``radius_m`` in a straight line of a usable hydrant (a circle buffer).

    For comparison only: the standard's radius is along the streets.
    """
    ok = hydrants.in_service if usable is None else np.asarray(usable, bool) & hydrants.in_service
    x = np.asarray(x_m, dtype=np.float64)
    y = np.asarray(y_m, dtype=np.float64)
    if not ok.any():
        return np.zeros(x.shape, dtype=bool)
    d, _ = cKDTree(np.column_stack([hydrants.x_m[ok], hydrants.y_m[ok]])).query(
        np.column_stack([x, y]))
    return d <= radius_m + _EPS_M
