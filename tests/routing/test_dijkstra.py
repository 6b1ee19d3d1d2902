"""Forward multi-source Dijkstra against naive, scipy and networkx references."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from citysim.routing import path_edges, shortest_costs
from tests.routing.routing_cases import (
    Case,
    cases,
    make_network,
    naive_forward,
    networkx_costs,
    scipy_costs,
)

SETTINGS = settings(max_examples=120, deadline=None)
CUTOFFS = st.one_of(st.just(math.inf), st.floats(0.0, 30.0, allow_nan=False))


def run(case: Case, max_cost_s: float = math.inf):
    return shortest_costs(
        case.net, case.sources, weight_s=case.weight, closed=case.closed,
        source_offset_s=case.offsets, max_cost_s=max_cost_s,
    )


@SETTINGS
@given(cases(), CUTOFFS)
def test_matches_naive_exactly(case, cutoff):
    got = run(case, cutoff)
    dist, origin, pred, _ = naive_forward(case, cutoff)
    np.testing.assert_array_equal(got.dist_s, dist)
    np.testing.assert_array_equal(got.origin, origin)
    np.testing.assert_array_equal(got.pred_edge, pred)
    assert got.dist_s.dtype == np.float64
    assert got.origin.dtype == np.int64 and got.pred_edge.dtype == np.int64


@SETTINGS
@given(cases())
def test_matches_scipy(case):
    got = run(case)
    np.testing.assert_allclose(got.dist_s, scipy_costs(case), rtol=1e-12, atol=0.0)


@SETTINGS
@given(cases(), st.one_of(st.none(), st.floats(0.0, 30.0, allow_nan=False)))
def test_matches_networkx_with_cutoff(case, cutoff):
    zero = Case(case.net, case.weight, case.closed, case.sources, np.zeros_like(case.offsets))
    got = run(zero, math.inf if cutoff is None else cutoff)
    np.testing.assert_allclose(got.dist_s, networkx_costs(zero, cutoff), rtol=1e-12, atol=0.0)


@SETTINGS
@given(cases())
def test_tree_is_consistent(case):
    """Every reached node hangs off its origin by usable edges adding up to its cost."""
    got = run(case)
    net = case.net
    usable = case.usable()
    for v in np.flatnonzero(np.isfinite(got.dist_s)):
        o = got.origin[v]
        assert 0 <= o < case.sources.shape[0]
        e = got.pred_edge[v]
        if e < 0:
            assert case.sources[o] == v
            assert got.dist_s[v] == case.offsets[o]
            continue
        assert net.edge_head[e] == v and usable[e]
        u = net.edge_tail[e]
        assert got.dist_s[u] + case.weight[e] == got.dist_s[v]
        assert got.origin[u] == o
        path = path_edges(got.pred_edge, net.edge_tail, v)
        assert net.edge_tail[path[0]] == case.sources[o]
        assert net.edge_head[path[-1]] == v
        np.testing.assert_array_equal(net.edge_head[path[:-1]], net.edge_tail[path[1:]])
        assert math.isclose(case.offsets[o] + case.weight[path].sum(), got.dist_s[v], rel_tol=1e-12)
    unreached = ~np.isfinite(got.dist_s)
    assert (got.origin[unreached] == -1).all() and (got.pred_edge[unreached] == -1).all()


@settings(max_examples=20, deadline=None)
@given(cases())
def test_same_input_same_output(case):
    a, b = run(case), run(case)
    for x, y in ((a.dist_s, b.dist_s), (a.origin, b.origin), (a.pred_edge, b.pred_edge)):
        assert x.tobytes() == y.tobytes()


def test_ties_settle_lowest_node_first():
    # 0 -> 1 -> 3 and 0 -> 2 -> 3, all cost 1; the edge 2 -> 3 is listed first.
    net = make_network(4, [0, 0, 2, 1], [2, 1, 3, 3])
    w = np.ones(net.n_edges)
    got = shortest_costs(net, [0], weight_s=w)
    assert got.dist_s.tolist() == [0.0, 1.0, 1.0, 2.0]
    assert net.edge_tail[got.pred_edge[3]] == 1  # node 1 is settled before node 2


def test_ties_between_sources():
    # Nodes 0 and 1 both reach 2 at cost 1; node 0 settles first, whatever the source order.
    net = make_network(3, [1, 0], [2, 2])
    w = np.ones(net.n_edges)
    got = shortest_costs(net, [1, 0], weight_s=w)
    assert got.origin.tolist() == [1, 0, 1]
    # Same node twice with equal offsets: the first listed wins; cheaper offset wins.
    assert shortest_costs(net, [0, 0], weight_s=w).origin[0] == 0
    got = shortest_costs(net, [0, 0], weight_s=w, source_offset_s=[2.0, 1.0])
    assert got.origin[0] == 1 and got.dist_s[2] == 2.0


def test_offsets_and_cutoff():
    # chain 0 -> 1 -> 2 -> 3, cost 10 each; sources 0 (offset 5) and 3 (offset 0)
    net = make_network(4, [0, 1, 2], [1, 2, 3])
    w = np.full(net.n_edges, 10.0)
    got = shortest_costs(net, [0, 2], weight_s=w, source_offset_s=[5.0, 0.0])
    assert got.dist_s.tolist() == [5.0, 15.0, 0.0, 10.0]
    assert got.origin.tolist() == [0, 0, 1, 1]
    cut = shortest_costs(net, [0, 2], weight_s=w, source_offset_s=[5.0, 0.0], max_cost_s=10.0)
    assert cut.dist_s.tolist() == [5.0, np.inf, 0.0, 10.0]  # the cutoff itself is included
    assert cut.pred_edge[1] == -1 and cut.origin[1] == -1
    # a source whose offset is beyond the cutoff is not used at all
    far = shortest_costs(net, [0], weight_s=w, source_offset_s=20.0, max_cost_s=10.0)
    assert far.origin[0] == -1


def test_closed_and_infinite_edges_are_unusable():
    net = make_network(3, [0, 0, 1], [1, 2, 2])
    w = np.ones(net.n_edges)
    closed = np.zeros(net.n_edges, dtype=bool)
    closed[0] = True  # 0 -> 1
    got = shortest_costs(net, [0], weight_s=w, closed=closed)
    assert got.dist_s.tolist() == [0.0, np.inf, 1.0]
    w[1] = np.inf  # 0 -> 2
    got = shortest_costs(net, [0], weight_s=w, closed=closed)
    assert got.dist_s.tolist() == [0.0, np.inf, np.inf]


def test_default_weight_is_travel_time_and_empty_sources():
    net = make_network(3, [0, 1], [1, 2])
    got = shortest_costs(net, 0)
    np.testing.assert_allclose(got.dist_s[2], net.travel_time_s.sum())
    none = shortest_costs(net, np.array([], dtype=np.int64))
    assert np.isinf(none.dist_s).all() and (none.origin == -1).all()
