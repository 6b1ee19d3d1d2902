"""Routing benchmarks: citysim's numba searches against scipy.sparse.csgraph.

The network is a perturbed square grid built here with numpy (no dependency
on the synthetic city generator): jittered node positions, two-way streets
between 4-neighbours, about 3% of directed edges removed (one-way streets,
dead ends), and per-edge costs = free-flow travel time x U(0.8, 1.5).

Both sides get their graph ready-made outside the timed region (scipy a CSR
matrix, transposed for the reverse search), so the timings compare the
searches plus each side's own per-call input checks.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from benchmarks.common import BenchResult, compare, register
from citysim.routing import _kernels, next_hop_tree, shortest_costs, travel_times
from citysim.world.network import RoadNetwork

GRID_SIDE = {"full": 320, "quick": 120, "smoke": 12}  # 102,400 / 14,400 / 144 nodes
N_SOURCES = {"full": 50, "quick": 20, "smoke": 3}
N_ORIGINS = {"full": 32, "quick": 16, "smoke": 4}
N_TARGETS = 20


@cache
def grid_case(side: int, seed: int = 20240601) -> tuple[RoadNetwork, np.ndarray, csr_matrix]:
    """A perturbed ``side x side`` grid: the network, per-edge costs (s), the scipy matrix."""
    rng = np.random.default_rng(seed)
    spacing_m = 100.0
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    node = (ii * side + jj).ravel()
    x = (jj.ravel() + rng.uniform(-0.3, 0.3, node.size)) * spacing_m
    y = (ii.ravel() + rng.uniform(-0.3, 0.3, node.size)) * spacing_m
    right = (ii[:, :-1] * side + jj[:, :-1]).ravel()
    up = (ii[:-1, :] * side + jj[:-1, :]).ravel()
    tail = np.concatenate([right, right + 1, up, up + side])
    head = np.concatenate([right + 1, right, up + side, up])
    keep = rng.random(tail.size) >= 0.03
    tail, head = tail[keep], head[keep]
    length = np.hypot(x[tail] - x[head], y[tail] - y[head])
    net = RoadNetwork.from_edges(
        x, y, tail, head, length_m=length, road_class=np.full(tail.size, 6)  # residential
    )
    weight = net.travel_time_s * rng.uniform(0.8, 1.5, net.n_edges)
    n = net.n_nodes
    # int32 indices: csgraph's own index type, so scipy does not convert per call
    matrix = csr_matrix(
        (weight, net.edge_head.astype(np.int32), net.indptr.astype(np.int32)), shape=(n, n)
    )
    return net, weight, matrix


def _pick(n: int, k: int, seed: int) -> np.ndarray:
    return np.sort(np.random.default_rng(seed).choice(n, size=k, replace=False)).astype(np.int64)


@register("dijkstra_multi_source")
def bench_dijkstra(size: str, repeats: int) -> BenchResult:
    net, weight, matrix = grid_case(GRID_SIDE[size])
    sources = _pick(net.n_nodes, N_SOURCES[size], 1)

    def ours():
        return shortest_costs(net, sources, weight_s=weight)

    def ref():
        return dijkstra(matrix, directed=True, indices=sources, min_only=True,
                        return_predecessors=True)

    ours_s, ref_s, first_s = compare(ours, ref, repeats)
    got = ours()
    dist, _, nearest = ref()
    reached = np.isfinite(dist)
    agree = bool(
        np.allclose(got.dist_s, dist, rtol=1e-12, atol=0.0)
        and np.array_equal(sources[got.origin[reached]], nearest[reached])
    )
    return BenchResult(
        ours_s, ref_s, 1.0,
        f"shortest_costs vs csgraph.dijkstra(indices, min_only, predecessors); "
        f"{net.n_nodes:,} nodes, {net.n_edges:,} edges, {sources.size} sources",
        first_s, agree,
    )


def _next_hop(size: str, repeats: int, *, prebuilt: bool) -> BenchResult:
    net, weight, matrix = grid_case(GRID_SIDE[size])
    targets = _pick(net.n_nodes, N_SOURCES[size], 2)
    n = net.n_nodes
    # static structure of the transposed graph, in-edges grouped by head
    rev_tail = net.edge_tail[net.rev_edges].astype(np.int32)
    rev_indptr = net.rev_indptr.astype(np.int32)
    transposed = csr_matrix((weight[net.rev_edges], rev_tail, rev_indptr), shape=(n, n))

    def ours():
        return next_hop_tree(net, targets, weight_s=weight)

    def ref():
        if prebuilt:
            graph = transposed
        else:  # the weights of this call, put in transposed order
            graph = csr_matrix((weight[net.rev_edges], rev_tail, rev_indptr), shape=(n, n))
        return dijkstra(graph, directed=True, indices=targets, min_only=True,
                        return_predecessors=True)

    ours_s, ref_s, first_s = compare(ours, ref, repeats)
    got = ours()
    cost, next_node, nearest = ref()
    reached = np.isfinite(cost)
    hop = reached & (got.next_node >= 0)
    agree = bool(
        np.allclose(got.cost_s, cost, rtol=1e-12, atol=0.0)
        and np.array_equal(targets[got.target[reached]], nearest[reached])
        and np.array_equal(got.next_node[hop], next_node[hop])
    )
    how = "a transpose built once" if prebuilt else "the transpose of this call's weights"
    return BenchResult(
        ours_s, ref_s, 1.0,
        f"next_hop_tree vs csgraph.dijkstra(min_only, predecessors) on {how}; "
        f"{n:,} nodes, {targets.size} targets",
        first_s, agree,
    )


@register("next_hop_tree")
def bench_next_hop(size: str, repeats: int) -> BenchResult:
    return _next_hop(size, repeats, prebuilt=False)


@register("next_hop_tree_prebuilt")
def bench_next_hop_prebuilt(size: str, repeats: int) -> BenchResult:
    return _next_hop(size, repeats, prebuilt=True)


@register("travel_times")
def bench_travel_times(size: str, repeats: int) -> BenchResult:
    net, weight, matrix = grid_case(GRID_SIDE[size])
    origins = _pick(net.n_nodes, N_ORIGINS[size], 3)
    targets = _pick(net.n_nodes, min(N_TARGETS, net.n_nodes), 4)

    def ours():
        return travel_times(net, origins, targets, weight_s=weight)

    def ref():
        return dijkstra(matrix, directed=True, indices=origins)[:, targets]

    ours_s, ref_s, first_s = compare(ours, ref, max(1, repeats // 2))
    agree = bool(np.allclose(ours(), ref(), rtol=1e-12, atol=0.0))
    return BenchResult(
        ours_s, ref_s, 1.0,
        f"travel_times (early exit, threads over origins) vs csgraph.dijkstra rows; "
        f"{origins.size} x {targets.size} on {net.n_nodes:,} nodes",
        first_s, agree,
    )


@register("travel_times_threads")
def bench_travel_times_threads(size: str, repeats: int) -> BenchResult:
    net, weight, _ = grid_case(GRID_SIDE[size])
    origins = _pick(net.n_nodes, N_ORIGINS[size], 3)
    targets = _pick(net.n_nodes, min(N_TARGETS, net.n_nodes), 4)
    closed = np.zeros(0, dtype=bool)
    args = (net.indptr, net.edge_head, weight, closed, origins, targets)
    from numba import get_num_threads

    threads = get_num_threads()

    def ours():
        return _kernels._travel_times_parallel(*args, min(threads, origins.size))

    def ref():
        return _kernels._travel_times(*args)

    ours_s, ref_s, first_s = compare(ours, ref, max(1, repeats // 2))
    agree = bool(np.array_equal(ours(), ref()))
    return BenchResult(
        ours_s, ref_s, 1.0,
        f"travel-time kernel, prange over origins ({threads} threads) vs one thread; "
        f"{origins.size} x {targets.size} on {net.n_nodes:,} nodes",
        first_s, agree,
    )
