"""Brute-force references for the location models: every plan enumerated.

Plain Python over :func:`itertools.combinations`; the capacitated p-median
of one plan is a max-flow-min-cost problem solved by networkx (network
simplex on integer data), independent of the MILP the models use.
"""

from __future__ import annotations

import itertools
import math

import networkx as nx


def plans(k: int, fixed: list[bool], n_new: int):
    """Every set of open sites: all fixed ones plus ``n_new`` of the others."""
    free = [j for j in range(k) if not fixed[j]]
    base = [j for j in range(k) if fixed[j]]
    for extra in itertools.combinations(free, n_new):
        yield sorted(base + list(extra))


def covered(cost, weight, standard, sites) -> float:
    return sum(w for row, w in zip(cost, weight, strict=True)
               if any(row[j] <= standard for j in sites))


def expected(cost, weight, standard, sites, units, q) -> float:
    total = 0.0
    for row, w in zip(cost, weight, strict=True):
        n = sum(units[j] for j in sites if row[j] <= standard)
        total += w * (1.0 - q ** n)
    return total


def median(cost, weight, sites, capacity=None) -> tuple[float, float]:
    """(served demand, total weighted time) of one plan: most served first, then least time."""
    if capacity is None:
        served = time = 0.0
        for row, w in zip(cost, weight, strict=True):
            best = min((row[j] for j in sites), default=math.inf)
            if math.isfinite(best):
                served += w
                time += w * best
        return served, time
    g = nx.DiGraph()
    for i, (row, w) in enumerate(zip(cost, weight, strict=True)):
        g.add_edge("s", ("d", i), capacity=int(w), weight=0)
        for j in sites:
            if math.isfinite(row[j]):
                g.add_edge(("d", i), ("f", j), weight=int(row[j]))
    for j in sites:
        g.add_edge(("f", j), "t", capacity=int(capacity[j]), weight=0)
    if "t" not in g or "s" not in g:
        return 0.0, 0.0
    flow = nx.max_flow_min_cost(g, "s", "t")
    served = sum(flow["s"][v] for v in g.successors("s"))
    return float(served), float(nx.cost_of_flow(g, flow))


def best_lscp(cost, standard, fixed) -> int:
    k = len(cost[0])
    coverable = [i for i, row in enumerate(cost) if any(t <= standard for t in row)]
    for n in range(0, k - sum(fixed) + 1):
        for sites in plans(k, fixed, n):
            if all(any(cost[i][j] <= standard for j in sites) for i in coverable):
                return n
    raise AssertionError("no cover found")


def best_mclp(cost, weight, standard, n_new, fixed) -> float:
    return max(covered(cost, weight, standard, s) for s in plans(len(cost[0]), fixed, n_new))


def best_mexclp(cost, weight, standard, n_new, fixed, units, q) -> float:
    return max(expected(cost, weight, standard, s, units, q)
               for s in plans(len(cost[0]), fixed, n_new))


def best_median(cost, weight, n_new, fixed, capacity=None) -> tuple[float, float]:
    """Lexicographic best over all plans: the most served demand, then the least time."""
    results = [median(cost, weight, s, capacity) for s in plans(len(cost[0]), fixed, n_new)]
    return min(results, key=lambda r: (-r[0], r[1]))
