"""New hydrants: where along the uncovered streets to put them (LSCP / MCLP).

The demand is what the current hydrants leave uncovered
(:mod:`citysim.analysis.hydrants`): each building whose frontage is beyond
the radius along the streets (weight 1), or, in a city without buildings,
a point every :data:`DEMAND_SPACING_M` along the uncovered stretches.
Candidate sites are points along the uncovered stretches, at most
:data:`CANDIDATE_SPACING_M` apart (a hydrant stands at the kerb).  The cost
of serving demand point ``i`` from candidate ``j`` is the hose length
along the streets (:func:`citysim.world.hydrants.frontage_hose_m`); a
candidate covers a point within the radius.  MCLP picks the ``n`` sites
that cover the most demand, LSCP the fewest that cover all that can be
(:mod:`citysim.placement.models`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from citysim.analysis.hydrants import HYDRANT_RADIUS_M, HydrantCoverage
from citysim.placement.models import Placement, lscp, mclp
from citysim.world.hydrants import Hydrants, frontage_hose_m, hose_distances, snap_to_edges
from citysim.world.network import RoadNetwork

__all__ = ["CANDIDATE_SPACING_M", "DEMAND_SPACING_M", "HydrantPlan", "place_hydrants",
           "with_new_hydrants"]

CANDIDATE_SPACING_M = 25.0
"""Largest distance between candidate sites along an uncovered stretch (m)."""
DEMAND_SPACING_M = 10.0
"""Spacing of demand points along uncovered stretches when the city has no buildings (m)."""


@dataclass(frozen=True, eq=False)
class HydrantPlan:
    """New hydrants chosen among candidates.

    Attributes
    ----------
    placement
        The model's result (``open`` over the candidates).
    cand_edge, cand_offset_m, cand_x_m, cand_y_m
        The candidate sites: edge, position along it (m), coordinates (m).
    demand_weight
        Weight of each demand point (uncovered building or street point).
    covered_after
        Demand the new hydrants cover (the demand is what the current ones miss).
    """

    placement: Placement
    cand_edge: np.ndarray
    cand_offset_m: np.ndarray
    cand_x_m: np.ndarray
    cand_y_m: np.ndarray
    demand_weight: np.ndarray
    covered_after: float

    @property
    def chosen(self) -> np.ndarray:
        """Indices of the chosen candidates."""
        return np.flatnonzero(self.placement.open)


def _along(network: RoadNetwork, edge: np.ndarray, start: np.ndarray, end: np.ndarray,
           spacing_m: float) -> tuple[np.ndarray, ...]:
    """Points at most ``spacing_m`` apart on stretches ``[start, end]`` of edges (ends inside)."""
    n = np.maximum(np.ceil((end - start) / spacing_m).astype(np.int64), 1)
    owner = np.repeat(np.arange(edge.size), n)
    k = np.arange(owner.size) - (np.cumsum(n) - n)[owner]
    off = start[owner] + (k + 0.5) * (end - start)[owner] / n[owner]
    e = edge[owner].astype(np.int64)
    length = network.length_m[e]
    f = np.where(length > 0, off / np.where(length > 0, length, 1.0), 0.0)
    t, h = network.edge_tail[e], network.edge_head[e]
    x = network.node_x_m[t] + f * (network.node_x_m[h] - network.node_x_m[t])
    y = network.node_y_m[t] + f * (network.node_y_m[h] - network.node_y_m[t])
    return e, off, x, y


def place_hydrants(
    network: RoadNetwork,
    coverage: HydrantCoverage,
    building_xy_m: tuple[np.ndarray, np.ndarray] | None,
    n_new: int,
    *,
    model: str = "mclp",
    radius_m: float = HYDRANT_RADIUS_M,
    candidate_spacing_m: float = CANDIDATE_SPACING_M,
) -> HydrantPlan:
    """Choose new hydrant sites along the uncovered streets (module docstring).

    Parameters
    ----------
    network
        The road network.
    coverage
        Coverage of the current hydrants.
    building_xy_m
        Building centres, or ``None`` (the demand is then street points).
    n_new
        Hydrants to place (MCLP); LSCP places as many as it needs.
    model
        ``mclp`` or ``lscp``.
    radius_m
        Protection radius along the streets (m).
    candidate_spacing_m
        Spacing of candidate sites along the gaps (m).

    Returns
    -------
    HydrantPlan

    Raises
    ------
    ValueError
        For an unknown model, or when nothing is uncovered.
    """
    if model not in ("mclp", "lscp"):
        raise ValueError(f"model must be mclp or lscp for hydrants, got {model!r}")
    gaps = coverage.gaps
    if not len(gaps):
        raise ValueError("every street is already within reach of a hydrant: nothing to place")
    g_edge = gaps["street"].to_numpy(dtype=np.int64)
    g0, g1 = gaps["start_m"].to_numpy(float), gaps["end_m"].to_numpy(float)
    c_edge, c_off, c_x, c_y = _along(network, g_edge, g0, g1, candidate_spacing_m)
    if building_xy_m is not None and coverage.building_distance_m.size:
        miss = ~coverage.building_covered
        d_x, d_y = building_xy_m[0][miss], building_xy_m[1][miss]
        d_edge, d_off, _ = snap_to_edges(network, d_x, d_y)
    else:
        d_edge, d_off, d_x, d_y = _along(network, g_edge, g0, g1, DEMAND_SPACING_M)
    weight = np.ones(d_edge.size)
    cost = np.empty((d_edge.size, c_edge.size))
    for j in range(c_edge.size):
        node_dist, _ = hose_distances(network, c_edge[j:j + 1], c_off[j:j + 1])
        cost[:, j] = frontage_hose_m(network, node_dist, d_edge, d_off, c_edge[j:j + 1],
                                     c_off[j:j + 1])
    fixed = np.zeros(c_edge.size, dtype=bool)
    if model == "mclp":
        placement = mclp(cost, weight, radius_m, int(n_new), fixed=fixed)
    else:
        placement, _ = lscp(cost, radius_m, fixed=fixed, weight=weight)
    after = float(weight[(cost[:, placement.open] <= radius_m + 1e-9).any(axis=1)].sum())
    return HydrantPlan(placement=placement, cand_edge=c_edge, cand_offset_m=c_off,
                       cand_x_m=c_x, cand_y_m=c_y, demand_weight=weight, covered_after=after)


def with_new_hydrants(hydrants: Hydrants, plan: HydrantPlan, flow_l_s: float) -> Hydrants:
    """The current hydrants and the plan's new ones (ids ``NEW1``, ``NEW2``, ...)."""
    k = plan.chosen
    return Hydrants(id=hydrants.id + [f"NEW{i + 1}" for i in range(k.size)],
                    x_m=np.r_[hydrants.x_m, plan.cand_x_m[k]],
                    y_m=np.r_[hydrants.y_m, plan.cand_y_m[k]],
                    edge=np.r_[hydrants.edge, plan.cand_edge[k]].astype(np.int64),
                    offset_m=np.r_[hydrants.offset_m, plan.cand_offset_m[k]],
                    flow_l_s=np.r_[hydrants.flow_l_s, np.full(k.size, float(flow_l_s))],
                    in_service=np.r_[hydrants.in_service, np.ones(k.size, dtype=bool)])
