"""Shortest paths on the CSR road network (numba multi-source Dijkstra).

:func:`shortest_costs` searches forward from sources, :func:`next_hop_tree`
backward toward targets (the per-node next hop residents follow),
:func:`travel_times` gives origin-by-target matrices, :func:`isochrone` what
lies within a budget and :func:`path_edges` rebuilds a single path.
"""

from citysim.routing.paths import (
    Isochrone,
    NextHopTree,
    ShortestPaths,
    isochrone,
    next_hop_tree,
    path_edges,
    shortest_costs,
    travel_times,
)

__all__ = [
    "Isochrone",
    "NextHopTree",
    "ShortestPaths",
    "isochrone",
    "next_hop_tree",
    "path_edges",
    "shortest_costs",
    "travel_times",
]
