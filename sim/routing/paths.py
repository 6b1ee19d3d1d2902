"""Shortest paths on the road network: costs, next-hop trees, travel times.

Every function takes a :class:`~citysim.world.network.RoadNetwork`, per-edge
weights (any non-negative cost, seconds by convention; the network's
free-flow ``travel_time_s`` by default) and an optional closure mask, checks
shapes and values here, then calls the numba kernels of
:mod:`citysim.routing._kernels` on plain arrays.

Nodes are *indices* ``0..n-1`` into the network's arrays (not source node
ids); edges are edge ids (CSR positions).  An edge is unusable when it is
closed or its weight is ``inf``.  Costs are ``inf`` and indices ``-1`` where
nothing is reachable.

Ties are broken deterministically (see :mod:`citysim.routing._kernels`): the
search settles equal-cost nodes in order of node index and keeps the first
strictly-shortest way found, so the same input always gives the same output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import get_num_threads

from citysim.routing import _kernels
from citysim.world.network import RoadNetwork

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

# Threads over origins pay once origins x nodes exceeds about this: starting the
# parallel region costs ~0.5 ms (measured on 2 cores: 1,600 nodes x 4 origins
# ran 2.7x slower in parallel, x 8 origins 1.3x faster; 14,400 nodes x 2
# origins 1.5x faster).  See benchmarks/README.md.
_PARALLEL_MIN_WORK = 10_000


@dataclass(frozen=True, eq=False)
class ShortestPaths:
    """Result of a multi-source search from sources along edge directions.

    Attributes
    ----------
    dist_s
        Cost from the nearest source, offset included (s), shape (n,);
        ``inf`` when unreachable (or beyond the cutoff).
    origin
        Index into ``sources`` (not a node) of that nearest source, shape
        (n,); ``-1`` when unreachable.
    pred_edge
        Edge by which each node is reached on its shortest path, shape (n,);
        ``-1`` at sources and unreachable nodes.  See :func:`path_edges`.
    """

    dist_s: np.ndarray
    origin: np.ndarray
    pred_edge: np.ndarray

    def reachable(self) -> np.ndarray:
        """Return the boolean mask of nodes reached (finite cost)."""
        return np.isfinite(self.dist_s)


@dataclass(frozen=True, eq=False)
class NextHopTree:
    """Shortest ways from every node *to* the nearest of a set of targets.

    Following ``next_node`` from any node ``v`` with finite ``cost_s``
    reaches the target ``targets[target[v]]`` at that cost, one O(1) step at
    a time: ``cost_s[v] == weight_s[next_edge[v]] + cost_s[next_node[v]]``
    exactly, and at the target ``cost_s`` is its offset.

    Attributes
    ----------
    cost_s
        Cost from each node to its nearest target, target offset included
        (s), shape (n,); ``inf`` when no target can be reached.
    target
        Index into ``targets`` (not a node) of that nearest target, shape
        (n,); ``-1`` when none can be reached.
    next_edge
        First edge to take from each node, shape (n,); ``-1`` at targets and
        at nodes that cannot reach one.
    next_node
        Head of ``next_edge``, shape (n,); ``-1`` likewise.
    """

    cost_s: np.ndarray
    target: np.ndarray
    next_edge: np.ndarray
    next_node: np.ndarray


@dataclass(frozen=True, eq=False)
class Isochrone:
    """What can be reached within a cost budget.

    Attributes
    ----------
    node_mask
        Nodes whose cost is at most the budget, shape (n,).
    edge_mask
        Usable edges traversable in full within the budget (cost at the tail
        plus edge cost at most the budget), shape (m,).
    dist_s
        Cost from the nearest source (s), ``inf`` beyond the budget, shape (n,).
    """

    node_mask: np.ndarray
    edge_mask: np.ndarray
    dist_s: np.ndarray


def shortest_costs(
    network: RoadNetwork,
    sources: np.ndarray | list[int] | int,
    *,
    weight_s: np.ndarray | None = None,
    closed: np.ndarray | None = None,
    source_offset_s: np.ndarray | float | None = None,
    max_cost_s: float = math.inf,
) -> ShortestPaths:
    """Cost from the nearest of several sources to every node (multi-source Dijkstra).

    Parameters
    ----------
    network
        The road network.
    sources
        Source node indices, shape (k,); repeats allowed (the cheapest
        offset counts, then the lowest index).
    weight_s
        Edge costs (s), shape (m,), non-negative, ``inf`` for unusable;
        default ``network.travel_time_s``.
    closed
        Boolean closure mask over edges, shape (m,); default none closed.
    source_offset_s
        Initial cost at each source (s), e.g. a turnout time: a scalar or
        shape (k,), finite and non-negative; default 0.
    max_cost_s
        Stop the search beyond this cost (s); nodes costlier than it are
        reported unreachable.  Default no cutoff.

    Returns
    -------
    ShortestPaths
        ``dist_s``, ``origin`` and ``pred_edge`` for every node.
    """
    weight, closed_mask = _edge_inputs(network, weight_s, closed)
    src = _node_indices(sources, network.n_nodes, "sources")
    offset = _offsets(source_offset_s, src.shape[0], "source_offset_s")
    cutoff = _cutoff(max_cost_s)
    dist, origin, pred = _kernels._dijkstra_forward(
        network.indptr, network.edge_head, weight, closed_mask, src, offset, cutoff
    )
    return ShortestPaths(dist_s=dist, origin=origin, pred_edge=pred)


def next_hop_tree(
    network: RoadNetwork,
    targets: np.ndarray | list[int] | int,
    *,
    weight_s: np.ndarray | None = None,
    closed: np.ndarray | None = None,
    target_offset_s: np.ndarray | float | None = None,
    max_cost_s: float = math.inf,
) -> NextHopTree:
    """Next hop from every node toward its nearest target (reverse multi-source Dijkstra).

    One search over in-edges; residents then move by looking up
    ``next_node`` at their node, never by a search of their own.

    Parameters
    ----------
    network
        The road network.
    targets
        Target node indices (e.g. shelters with room), shape (k,); repeats
        allowed.
    weight_s
        Edge costs (s), shape (m,), non-negative, ``inf`` for unusable;
        default ``network.travel_time_s``.
    closed
        Boolean closure mask over edges, shape (m,); default none closed.
    target_offset_s
        Cost added on arriving at each target (s), scalar or shape (k,),
        finite and non-negative; default 0.
    max_cost_s
        Nodes farther than this from every target (s) are reported as
        unable to reach one.  Default no cutoff.

    Returns
    -------
    NextHopTree
        ``cost_s``, ``target``, ``next_edge`` and ``next_node`` for every node.
    """
    weight, closed_mask = _edge_inputs(network, weight_s, closed)
    tgt = _node_indices(targets, network.n_nodes, "targets")
    offset = _offsets(target_offset_s, tgt.shape[0], "target_offset_s")
    cutoff = _cutoff(max_cost_s)
    cost, nearest, next_edge, next_node = _kernels._dijkstra_reverse(
        network.rev_indptr, network.rev_edges, network.rev_tail, weight, closed_mask, tgt,
        offset, cutoff,
    )
    return NextHopTree(cost_s=cost, target=nearest, next_edge=next_edge, next_node=next_node)


def travel_times(
    network: RoadNetwork,
    origins: np.ndarray | list[int] | int,
    targets: np.ndarray | list[int] | int,
    *,
    weight_s: np.ndarray | None = None,
    closed: np.ndarray | None = None,
) -> np.ndarray:
    """Shortest travel time from each origin to each target.

    One forward search per origin, stopped as soon as every target is
    settled; origins run in parallel threads when there are enough of them
    (the result does not depend on it).

    Parameters
    ----------
    network
        The road network.
    origins, targets
        Node indices, shapes (p,) and (q,); repeats allowed.
    weight_s
        Edge costs (s), shape (m,), non-negative, ``inf`` for unusable;
        default ``network.travel_time_s``.
    closed
        Boolean closure mask over edges, shape (m,); default none closed.

    Returns
    -------
    numpy.ndarray
        Travel times (s), shape (p, q), ``inf`` where a target cannot be
        reached from an origin.
    """
    weight, closed_mask = _edge_inputs(network, weight_s, closed)
    org = _node_indices(origins, network.n_nodes, "origins")
    tgt = _node_indices(targets, network.n_nodes, "targets")
    if org.shape[0] == 0 or tgt.shape[0] == 0:
        return np.full((org.shape[0], tgt.shape[0]), np.inf)
    n_threads = get_num_threads()
    if n_threads > 1 and org.shape[0] > 1 and org.shape[0] * network.n_nodes >= _PARALLEL_MIN_WORK:
        n_blocks = min(org.shape[0], n_threads)
        return _kernels._travel_times_parallel(
            network.indptr, network.edge_head, weight, closed_mask, org, tgt, n_blocks
        )
    return _kernels._travel_times(network.indptr, network.edge_head, weight, closed_mask, org, tgt)


def isochrone(
    network: RoadNetwork,
    sources: np.ndarray | list[int] | int,
    budget_s: float,
    *,
    weight_s: np.ndarray | None = None,
    closed: np.ndarray | None = None,
    source_offset_s: np.ndarray | float | None = None,
) -> Isochrone:
    """Nodes and edges reachable from the nearest source within a cost budget.

    Parameters
    ----------
    network
        The road network.
    sources
        Source node indices, shape (k,).
    budget_s
        Cost budget (s), non-negative.
    weight_s
        Edge costs (s), shape (m,), non-negative, ``inf`` for unusable;
        default ``network.travel_time_s``.
    closed
        Boolean closure mask over edges, shape (m,); default none closed.
    source_offset_s
        Initial cost at each source (s), scalar or shape (k,); default 0.

    Returns
    -------
    Isochrone
        Node mask (cost <= budget), edge mask (tail cost + edge cost <=
        budget, edge usable) and the costs within the budget.
    """
    budget = float(budget_s)
    if not budget >= 0.0:
        raise ValueError(f"budget_s must be non-negative, got {budget_s!r}")
    weight, closed_mask = _edge_inputs(network, weight_s, closed)
    src = _node_indices(sources, network.n_nodes, "sources")
    offset = _offsets(source_offset_s, src.shape[0], "source_offset_s")
    dist, _, _ = _kernels._dijkstra_forward(
        network.indptr, network.edge_head, weight, closed_mask, src, offset, budget
    )
    node_mask = dist <= budget
    edge_mask = dist[network.edge_tail] + weight <= budget
    if closed_mask.shape[0]:
        edge_mask &= ~closed_mask
    return Isochrone(node_mask=node_mask, edge_mask=edge_mask, dist_s=dist)


def path_edges(pred_edge: np.ndarray, edge_tail: np.ndarray, target: int) -> np.ndarray:
    """Edges of the shortest path to ``target``, in travel order.

    Parameters
    ----------
    pred_edge
        Predecessor edges, e.g. :attr:`ShortestPaths.pred_edge`, shape (n,).
    edge_tail
        Tail node of every edge (``network.edge_tail``), shape (m,).
    target
        Node index the path ends at.

    Returns
    -------
    numpy.ndarray
        Edge ids (int64) from the source to ``target``; empty when
        ``target`` is a source *or* unreachable (tell them apart by its cost).

    Raises
    ------
    ValueError
        When ``pred_edge`` loops (it is not a shortest-path tree).
    """
    pred_edge = np.asarray(pred_edge)
    n = pred_edge.shape[0]
    node = int(target)
    if not 0 <= node < n:
        raise ValueError(f"target {target} is not a node index in 0..{n - 1}")
    out: list[int] = []
    e = int(pred_edge[node])
    while e >= 0:
        if len(out) >= n:
            raise ValueError("pred_edge has a cycle; it is not a shortest-path tree")
        out.append(e)
        e = int(pred_edge[int(edge_tail[e])])
    return np.array(out[::-1], dtype=np.int64)


# --------------------------------------------------------------------------- helpers


def _edge_inputs(
    network: RoadNetwork, weight_s: np.ndarray | None, closed: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Return contiguous ``(weight_s, closed)`` arrays for the kernels.

    ``weight_s`` is float64 of shape (m,); ``closed`` is bool of shape (m,),
    or of shape (0,) when nothing is closed (the kernels then skip the test).
    """
    m = network.n_edges
    if weight_s is None:
        weight = np.ascontiguousarray(network.travel_time_s, dtype=np.float64)
    else:
        weight = np.ascontiguousarray(weight_s, dtype=np.float64)
    if weight.shape != (m,):
        raise ValueError(f"weight_s must have shape ({m},), one per edge, got {weight.shape}")
    if weight_s is not None and not (weight >= 0.0).all():  # also rejects NaN
        raise ValueError("weight_s must be non-negative (inf marks an unusable edge), no NaN")
    if closed is None:
        closed_mask = np.zeros(0, dtype=np.bool_)
    else:
        closed_mask = np.ascontiguousarray(closed, dtype=np.bool_)
        if closed_mask.shape != (m,):
            raise ValueError(
                f"closed must have shape ({m},), one per edge, got {closed_mask.shape}"
            )
    return weight, closed_mask


def _node_indices(nodes: np.ndarray | list[int] | int, n: int, name: str) -> np.ndarray:
    """Return ``nodes`` as a contiguous 1-D int64 array of valid node indices."""
    arr = np.asarray(nodes)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of node indices, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must hold integer node indices, got dtype {arr.dtype}")
    arr = np.ascontiguousarray(arr, dtype=np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        raise ValueError(f"{name} must be node indices in 0..{n - 1}")
    return arr


def _offsets(values: np.ndarray | float | None, k: int, name: str) -> np.ndarray:
    """Return per-source offsets as a float64 array of shape (k,)."""
    if values is None:
        return np.zeros(k, dtype=np.float64)
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(k, float(arr))
    arr = np.ascontiguousarray(arr)
    if arr.shape != (k,):
        raise ValueError(f"{name} must be a scalar or have shape ({k},), got {arr.shape}")
    if not (np.isfinite(arr) & (arr >= 0.0)).all():
        raise ValueError(f"{name} must be finite and non-negative")
    return arr


def _cutoff(max_cost_s: float) -> float:
    """Return a valid search cutoff (s)."""
    cutoff = float(max_cost_s)
    if not cutoff >= 0.0:
        raise ValueError(f"max_cost_s must be non-negative (inf for none), got {max_cost_s!r}")
    return cutoff
