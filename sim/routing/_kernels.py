"""Numba kernels for shortest paths on the CSR road network.

Plain arrays in, plain arrays out; no validation here (see
:mod:`citysim.routing.paths`, which owns shapes and dtypes).

All searches are Dijkstra's algorithm with an array heap (4-ary, see below)
and *lazy deletion*: a node is pushed again whenever its tentative cost
strictly improves, and stale entries (key greater than the node's current
cost) are skipped when popped.  Every relaxation that succeeds is a strict
decrease, each edge is relaxed at most once (when its tail is settled), so
the heap never holds more than ``n_edges + n_sources`` entries and is
allocated once at that size (only the part in use is ever touched).

Determinism and ties
--------------------
The heap orders entries by ``(cost, node index)``, so among nodes of equal
tentative cost the lowest node index is settled first.  Relaxation only
accepts a *strictly* smaller cost, and the edges of a node are scanned in
their CSR order, so among equally short ways to reach a node the one through
the predecessor settled first wins (and, on a tie of that too, the edge with
the lowest position in the scan).  Among sources placed on the same node with
the same offset, the lowest source index wins.  Same input, same output,
bit for bit; ``tests/naive.py`` reproduces this rule with :mod:`heapq`.

Costs are ``float64`` seconds in the public API, but nothing here depends on
the unit.  An edge is unusable when ``closed[e]`` is true or its weight is
``inf``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from citysim.heap import heap_new as _heap_new
from citysim.heap import heap_pop as _heap_pop
from citysim.heap import heap_push as _heap_push


@njit(cache=True)
def _search(indptr, neighbour, weight, closed, arc_edge, record_node, sources, source_offset,
            max_cost):
    """Multi-source Dijkstra over an adjacency in CSR form.

    The arcs of node ``u`` are the positions ``k in indptr[u]:indptr[u + 1]``,
    leading to ``neighbour[k]`` at cost ``weight[k]``; ``closed[k]`` (when
    ``closed`` is not empty) or an infinite weight make an arc unusable.
    ``arc_edge[k]`` is the edge id reported for arc ``k`` (``k`` itself when
    ``arc_edge`` is empty).

    Returns
    -------
    dist, origin, via_edge, via_node
        Cost, index into ``sources`` of the nearest source, and the edge by
        which each node was reached (``-1`` at sources and unreachable nodes;
        ``dist`` is ``inf`` where unreachable or beyond ``max_cost``); the
        node that edge was scanned from, shape (n,) when ``record_node``
        else (0,).
    """
    n = indptr.shape[0] - 1
    check_closed = closed.shape[0] > 0
    map_edges = arc_edge.shape[0] > 0
    dist = np.full(n, np.inf)
    origin = np.full(n, -1, dtype=np.int64)
    via_edge = np.full(n, -1, dtype=np.int64)
    via_node = np.full(n if record_node else 0, -1, dtype=np.int64)
    # every push but the sources' is a strict improvement through one arc,
    # and each arc is scanned once: at most len(neighbour) + len(sources).
    heap = _heap_new(neighbour.shape[0] + sources.shape[0])
    size = 0
    for i in range(sources.shape[0]):
        s = sources[i]
        c = source_offset[i]
        if c <= max_cost and c < dist[s]:
            dist[s] = c
            origin[s] = i
            size = _heap_push(heap, size, c, s)
    while size > 0:
        du, u, size = _heap_pop(heap, size)
        if du > dist[u]:
            continue  # stale entry
        ou = origin[u]
        for k in range(indptr[u], indptr[u + 1]):
            w = weight[k]
            if not w < np.inf or (check_closed and closed[k]):
                continue
            nd = du + w
            v = neighbour[k]
            if nd < dist[v] and nd <= max_cost:
                dist[v] = nd
                origin[v] = ou
                via_edge[v] = arc_edge[k] if map_edges else k
                if record_node:
                    via_node[v] = u
                size = _heap_push(heap, size, nd, v)
    return dist, origin, via_edge, via_node


@njit(cache=True)
def _dijkstra_forward(indptr, edge_head, weight_s, closed, sources, source_offset_s, max_cost_s):
    """Multi-source Dijkstra from ``sources`` along out-edges.

    Parameters
    ----------
    indptr, edge_head
        CSR row pointer over tails (n + 1,) and edge heads (m,).
    weight_s
        Edge cost (s), ``inf`` = unusable.
    closed
        Edge closure mask (m,), or an empty array when nothing is closed.
    sources
        Source nodes (k,), duplicates allowed.
    source_offset_s
        Initial cost at each source (s), shape (k,).
    max_cost_s
        Search cutoff (s); nodes costlier than it are left unreachable.

    Returns
    -------
    dist_s : ndarray of float64
        Cost from the nearest source (s), ``inf`` when unreachable.
    origin : ndarray of int64
        Index into ``sources`` of that source, ``-1`` when unreachable.
    pred_edge : ndarray of int64
        Edge by which the node was reached, ``-1`` at sources and unreachable.
    """
    # out-edges are stored in CSR order: an arc position is its edge id
    no_map = np.zeros(0, dtype=np.int64)
    dist, origin, pred_edge, _ = _search(
        indptr, edge_head, weight_s, closed, no_map, False, sources, source_offset_s, max_cost_s
    )
    return dist, origin, pred_edge


@njit(cache=True)
def _dijkstra_reverse(
    rev_indptr, rev_edges, rev_tail, weight_s, closed, sources, source_offset_s, max_cost_s
):
    """Multi-source Dijkstra *toward* ``sources`` along in-edges (next-hop tree).

    The in-edge costs are first gathered into in-edge order (closures folded
    in as ``inf``) so that the search reads them sequentially, as the forward
    search does; that costs one pass over the edges and saves about a third
    of the search time. The tails come already in that order (``rev_tail``,
    kept by the network).

    Parameters
    ----------
    rev_indptr, rev_edges
        In-edges of each node: ``rev_edges[rev_indptr[v]:rev_indptr[v + 1]]``.
    rev_tail
        Tail of each in-edge, in in-edge order: ``edge_tail[rev_edges]`` (m,).
    weight_s, closed, sources, source_offset_s, max_cost_s
        As in :func:`_dijkstra_forward`; ``source_offset_s`` is the cost
        added on arrival at each source.

    Returns
    -------
    cost_s : ndarray of float64
        Cost to the nearest source (s), ``inf`` when it cannot be reached.
    nearest : ndarray of int64
        Index into ``sources`` of that source, ``-1`` when unreachable.
    next_edge : ndarray of int64
        First edge to take toward it, ``-1`` at sources and unreachable nodes.
    next_node : ndarray of int64
        Head of ``next_edge``, ``-1`` likewise.
    """
    m = rev_edges.shape[0]
    check_closed = closed.shape[0] > 0
    arc_weight = np.empty(m, dtype=np.float64)
    for k in range(m):
        e = rev_edges[k]
        arc_weight[k] = np.inf if check_closed and closed[e] else weight_s[e]
    no_closure = np.zeros(0, dtype=np.bool_)
    return _search(
        rev_indptr, rev_tail, arc_weight, no_closure, rev_edges, True, sources, source_offset_s,
        max_cost_s,
    )


@njit(cache=True)
def _one_to_targets(
    indptr, edge_head, weight_s, closed, origin, target_slot, n_distinct, out_row,
    dist, heap, touched,
):
    """Dijkstra from one node until every distinct target is settled.

    ``target_slot[v]`` is the column of node ``v`` in ``out_row`` (``-1`` if
    not a target).  ``dist`` must be all ``inf`` on entry and is restored to
    all ``inf`` on exit (only the touched nodes are reset).
    """
    check_closed = closed.shape[0] > 0
    n_touched = 0
    dist[origin] = 0.0
    touched[n_touched] = origin
    n_touched += 1
    size = _heap_push(heap, 0, 0.0, origin)
    remaining = n_distinct
    while size > 0 and remaining > 0:
        du, u, size = _heap_pop(heap, size)
        if du > dist[u]:
            continue
        slot = target_slot[u]
        if slot >= 0:
            out_row[slot] = du
            remaining -= 1
            if remaining == 0:
                break
        for e in range(indptr[u], indptr[u + 1]):
            w = weight_s[e]
            if not w < np.inf or (check_closed and closed[e]):
                continue
            nd = du + w
            v = edge_head[e]
            dv = dist[v]
            if nd < dv:
                if dv == np.inf:
                    touched[n_touched] = v
                    n_touched += 1
                dist[v] = nd
                size = _heap_push(heap, size, nd, v)
    for i in range(n_touched):
        dist[touched[i]] = np.inf


@njit(cache=True)
def _target_slots(n, targets):
    """Map nodes to their first column in ``targets``; return ``(slot, n_distinct)``."""
    slot = np.full(n, -1, dtype=np.int64)
    n_distinct = 0
    for j in range(targets.shape[0]):
        t = targets[j]
        if slot[t] < 0:
            slot[t] = j
            n_distinct += 1
    return slot, n_distinct


@njit(cache=True)
def _fill_duplicate_targets(out, targets, slot):
    """Copy each repeated target's column from its first occurrence."""
    for j in range(targets.shape[0]):
        first = slot[targets[j]]
        if first != j:
            out[:, j] = out[:, first]


@njit(cache=True)
def _travel_times_block(
    indptr, edge_head, weight_s, closed, origins, slot, n_distinct, out, lo, hi
):
    """Fill rows ``lo:hi`` of ``out`` with one buffer set (serial helper)."""
    n = indptr.shape[0] - 1
    dist = np.full(n, np.inf)
    heap = _heap_new(edge_head.shape[0] + 1)
    touched = np.empty(n, dtype=np.int64)
    for i in range(lo, hi):
        _one_to_targets(
            indptr, edge_head, weight_s, closed, origins[i], slot, n_distinct, out[i],
            dist, heap, touched,
        )


@njit(cache=True)
def _travel_times(indptr, edge_head, weight_s, closed, origins, targets):
    """Travel-time matrix from ``origins`` to ``targets`` (one thread).

    Parameters
    ----------
    indptr, edge_head, weight_s, closed
        As in :func:`_dijkstra_forward`.
    origins, targets
        Node indices, shapes (p,) and (q,); repeats allowed.

    Returns
    -------
    ndarray of float64, shape (p, q)
        Cost (s) from each origin to each target, ``inf`` when unreachable.
    """
    n = indptr.shape[0] - 1
    out = np.full((origins.shape[0], targets.shape[0]), np.inf)
    slot, n_distinct = _target_slots(n, targets)
    _travel_times_block(indptr, edge_head, weight_s, closed, origins, slot, n_distinct, out, 0,
                        origins.shape[0])
    _fill_duplicate_targets(out, targets, slot)
    return out


@njit(cache=True, parallel=True)
def _travel_times_parallel(indptr, edge_head, weight_s, closed, origins, targets, n_blocks):
    """As :func:`_travel_times`, origins split into ``n_blocks`` run in parallel.

    Each block owns its heap and cost buffers; rows are independent, so the
    result is identical to the serial kernel.
    """
    n = indptr.shape[0] - 1
    p = origins.shape[0]
    out = np.full((p, targets.shape[0]), np.inf)
    slot, n_distinct = _target_slots(n, targets)
    for b in prange(n_blocks):
        lo = (b * p) // n_blocks
        hi = ((b + 1) * p) // n_blocks
        _travel_times_block(indptr, edge_head, weight_s, closed, origins, slot, n_distinct, out,
                            lo, hi)
    _fill_duplicate_targets(out, targets, slot)
    return out
