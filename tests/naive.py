"""Slow, obviously-correct reference implementations for kernel tests.

Plain Python (lists, dicts, :mod:`heapq`); no numba, no vectorisation.
Each function states which kernel it mirrors.
"""

from __future__ import annotations

import heapq
import math


def dijkstra(
    n: int,
    adjacency: list[list[tuple[int, int, float]]],
    sources: list[int],
    offsets: list[float],
    max_cost: float = math.inf,
) -> tuple[list[float], list[int], list[int], list[int]]:
    """Multi-source Dijkstra with :mod:`heapq`, the same tie rule as the kernels.

    Mirrors ``citysim.routing._kernels._search``: entries ordered by
    ``(cost, node)``, only strictly shorter costs accepted, neighbours
    scanned in the given order, among equal sources the first.

    Parameters
    ----------
    n
        Number of nodes.
    adjacency
        ``adjacency[u]`` lists ``(edge id, neighbour, cost)`` in scan order;
        unusable edges already left out.
    sources, offsets
        Source nodes and their initial costs.
    max_cost
        Costs above it are left unreachable.

    Returns
    -------
    dist, origin, via_edge, via_node
        Per node: cost, index into ``sources``, edge by which it was reached
        and the node at its other end (``inf`` / ``-1`` when unreachable).
    """
    dist = [math.inf] * n
    origin = [-1] * n
    via_edge = [-1] * n
    via_node = [-1] * n
    heap: list[tuple[float, int]] = []
    for i, (s, c) in enumerate(zip(sources, offsets, strict=True)):
        if c <= max_cost and c < dist[s]:
            dist[s] = c
            origin[s] = i
            heapq.heappush(heap, (c, s))
    done = [False] * n
    while heap:
        d, u = heapq.heappop(heap)
        if done[u] or d > dist[u]:
            continue
        done[u] = True
        for e, v, w in adjacency[u]:
            nd = d + w
            if nd < dist[v] and nd <= max_cost:
                dist[v] = nd
                origin[v] = origin[u]
                via_edge[v] = e
                via_node[v] = u
                heapq.heappush(heap, (nd, v))
    return dist, origin, via_edge, via_node


def forward_adjacency(n, tails, heads, weights, closed):
    """Out-edge lists ``(edge, head, cost)`` in edge-id order, usable edges only."""
    adjacency: list[list[tuple[int, int, float]]] = [[] for _ in range(n)]
    for e, (t, h, w, c) in enumerate(zip(tails, heads, weights, closed, strict=True)):
        if not c and w < math.inf:
            adjacency[t].append((e, h, w))
    return adjacency


def reverse_adjacency(n, tails, heads, weights, closed):
    """In-edge lists ``(edge, tail, cost)`` in edge-id order, usable edges only."""
    adjacency: list[list[tuple[int, int, float]]] = [[] for _ in range(n)]
    for e, (t, h, w, c) in enumerate(zip(tails, heads, weights, closed, strict=True)):
        if not c and w < math.inf:
            adjacency[h].append((e, t, w))
    return adjacency


def all_pairs_costs(n, tails, heads, weights, closed):
    """Travel-time matrix by Floyd–Warshall over usable edges (min over parallels)."""
    d = [[math.inf] * n for _ in range(n)]
    for i in range(n):
        d[i][i] = 0.0
    for t, h, w, c in zip(tails, heads, weights, closed, strict=True):
        if not c and w < d[t][h]:
            d[t][h] = w
    for k in range(n):
        dk = d[k]
        for i in range(n):
            dik = d[i][k]
            if dik == math.inf:
                continue
            di = d[i]
            for j in range(n):
                if dik + dk[j] < di[j]:
                    di[j] = dik + dk[j]
    return d
