"""Reverse search (next-hop trees toward targets) against references, and by walking it."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings

from citysim.routing import next_hop_tree
from tests.routing.routing_cases import Case, cases, make_network, naive_reverse, scipy_costs

SETTINGS = settings(max_examples=120, deadline=None)


def run(case: Case):
    return next_hop_tree(
        case.net, case.sources, weight_s=case.weight, closed=case.closed,
        target_offset_s=case.offsets,
    )


@SETTINGS
@given(cases())
def test_matches_naive_exactly(case):
    tree = run(case)
    cost, nearest, next_edge, next_node = naive_reverse(case)
    np.testing.assert_array_equal(tree.cost_s, cost)
    np.testing.assert_array_equal(tree.target, nearest)
    np.testing.assert_array_equal(tree.next_edge, next_edge)
    np.testing.assert_array_equal(tree.next_node, next_node)


@SETTINGS
@given(cases())
def test_matches_scipy_on_transpose(case):
    tree = run(case)
    np.testing.assert_allclose(tree.cost_s, scipy_costs(case, reverse=True), rtol=1e-12, atol=0.0)


@SETTINGS
@given(cases())
def test_following_next_hops_reaches_a_target_at_cost(case):
    tree = run(case)
    net = case.net
    usable = case.usable()
    targets = set(case.sources.tolist())
    for start in range(case.n):
        if not np.isfinite(tree.cost_s[start]):
            assert tree.next_edge[start] == -1 and tree.next_node[start] == -1
            assert tree.target[start] == -1 and start not in targets
            continue
        goal = tree.target[start]
        v, total, steps = start, 0.0, 0
        while tree.next_edge[v] >= 0:
            e = tree.next_edge[v]
            assert usable[e] and net.edge_tail[e] == v
            assert net.edge_head[e] == tree.next_node[v]
            assert tree.target[v] == goal
            assert tree.cost_s[v] == case.weight[e] + tree.cost_s[tree.next_node[v]]
            total += case.weight[e]
            v = tree.next_node[v]
            steps += 1
            assert steps < case.n
        assert v == case.sources[goal]
        assert tree.next_node[v] == -1
        assert tree.cost_s[v] == case.offsets[goal]
        assert math.isclose(total + case.offsets[goal], tree.cost_s[start], rel_tol=1e-12)


def test_next_hop_example_with_closure():
    # 0 -> 1 -> 3 (cost 1 + 1), 0 -> 2 -> 3 (cost 1 + 5); target 3
    net = make_network(4, [0, 1, 0, 2], [1, 3, 2, 3])
    w = np.array([1.0 if net.edge_tail[e] in (0, 1) else 5.0 for e in range(net.n_edges)])
    w[(net.edge_tail == 0) & (net.edge_head == 2)] = 1.0
    tree = next_hop_tree(net, [3], weight_s=w)
    assert tree.next_node.tolist() == [1, 3, 3, -1]
    assert tree.cost_s.tolist() == [2.0, 1.0, 5.0, 0.0]
    closed = (net.edge_tail == 1) & (net.edge_head == 3)
    tree = next_hop_tree(net, [3], weight_s=w, closed=closed)
    assert tree.next_node.tolist() == [2, -1, 3, -1]
    assert tree.cost_s.tolist() == [6.0, np.inf, 5.0, 0.0]
    assert tree.target.tolist() == [0, -1, 0, 0]
