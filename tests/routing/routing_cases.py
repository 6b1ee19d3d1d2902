"""Random small road networks and reference solvers shared by the routing tests."""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
import numpy as np
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra as scipy_dijkstra

from citysim.world.network import RoadNetwork
from tests import naive

# Weights that make ties likely (small integers, zero) plus generic floats and
# unusable (inf) edges.
WEIGHTS = st.one_of(
    st.integers(0, 3).map(float),
    st.floats(0.0, 100.0, allow_nan=False, allow_infinity=False),
    st.just(math.inf),
)
OFFSETS = st.one_of(
    st.integers(0, 3).map(float), st.floats(0.0, 20.0, allow_nan=False, allow_infinity=False)
)


@dataclass
class Case:
    """A network with edge weights, closures and sources (or targets) with offsets."""

    net: RoadNetwork
    weight: np.ndarray
    closed: np.ndarray
    sources: np.ndarray
    offsets: np.ndarray

    @property
    def n(self) -> int:
        return self.net.n_nodes

    def usable(self) -> np.ndarray:
        return ~self.closed & np.isfinite(self.weight)


def make_network(n: int, tail, head, seed: int = 0) -> RoadNetwork:
    rng = np.random.default_rng(seed)
    tail = np.asarray(tail, dtype=np.int64)
    return RoadNetwork.from_edges(
        rng.random(n) * 1000.0,
        rng.random(n) * 1000.0,
        tail,
        np.asarray(head, dtype=np.int64),
        length_m=np.full(tail.shape[0], 100.0),
        road_class=np.zeros(tail.shape[0], dtype=int),
    )


@st.composite
def cases(draw, max_nodes: int = 12, max_edges: int = 40, max_sources: int = 4) -> Case:
    """Random directed multigraphs: disconnected parts, parallel edges, zero weights."""
    n = draw(st.integers(1, max_nodes))
    m = draw(st.integers(1, max_edges))
    node = st.integers(0, n - 1)
    tail = draw(st.lists(node, min_size=m, max_size=m))
    head = draw(st.lists(node, min_size=m, max_size=m))
    net = make_network(n, tail, head)
    m_net = net.n_edges  # self-loops dropped
    weight = np.array(draw(st.lists(WEIGHTS, min_size=m_net, max_size=m_net)), dtype=float)
    closed = np.array(draw(st.lists(st.booleans(), min_size=m_net, max_size=m_net)), dtype=bool)
    k = draw(st.integers(1, max_sources))
    sources = np.array(draw(st.lists(node, min_size=k, max_size=k)), dtype=np.int64)
    offsets = np.array(draw(st.lists(OFFSETS, min_size=k, max_size=k)), dtype=float)
    return Case(net, weight, closed, sources, offsets)


def naive_forward(case: Case, max_cost: float = math.inf):
    net = case.net
    adj = naive.forward_adjacency(
        case.n, net.edge_tail.tolist(), net.edge_head.tolist(), case.weight.tolist(),
        case.closed.tolist(),
    )
    return naive.dijkstra(case.n, adj, case.sources.tolist(), case.offsets.tolist(), max_cost)


def naive_reverse(case: Case, max_cost: float = math.inf):
    net = case.net
    adj = naive.reverse_adjacency(
        case.n, net.edge_tail.tolist(), net.edge_head.tolist(), case.weight.tolist(),
        case.closed.tolist(),
    )
    return naive.dijkstra(case.n, adj, case.sources.tolist(), case.offsets.tolist(), max_cost)


def min_csr(tail: np.ndarray, head: np.ndarray, w: np.ndarray, n: int) -> csr_matrix:
    """A csgraph matrix with parallel edges reduced to their minimum.

    ``csr_matrix`` would *sum* duplicate entries, so they are reduced by hand
    first; explicit zeros are edges for csgraph.
    """
    key = tail * n + head
    order = np.lexsort((w, key))
    first = np.ones(order.shape[0], dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    keep = order[first]
    return csr_matrix((w[keep], (tail[keep], head[keep])), shape=(n, n))


def scipy_costs(case: Case, *, reverse: bool = False) -> np.ndarray:
    """Cost from the nearest source (to it when ``reverse``) by csgraph, offsets included.

    A super node ``n`` gets an edge of cost ``offset`` to every source, on
    the transposed graph when ``reverse``.
    """
    n, k = case.n, case.sources.shape[0]
    use = case.usable()
    tail, head = case.net.edge_tail[use], case.net.edge_head[use]
    if reverse:
        tail, head = head, tail
    tail = np.concatenate([tail, np.full(k, n)])
    head = np.concatenate([head, case.sources])
    w = np.concatenate([case.weight[use], case.offsets])
    mat = min_csr(tail, head, w, n + 1)
    return scipy_dijkstra(mat, directed=True, indices=n)[:n]


def networkx_costs(case: Case, cutoff: float | None = None) -> np.ndarray:
    """Cost from the nearest source (zero offsets) by networkx on a MultiDiGraph."""
    g = nx.MultiDiGraph()
    g.add_nodes_from(range(case.n))
    for e in np.flatnonzero(case.usable()):
        g.add_edge(int(case.net.edge_tail[e]), int(case.net.edge_head[e]), weight=case.weight[e])
    got = nx.multi_source_dijkstra_path_length(
        g, set(case.sources.tolist()), cutoff=cutoff, weight="weight"
    )
    out = np.full(case.n, np.inf)
    for v, d in got.items():
        out[v] = d
    return out
