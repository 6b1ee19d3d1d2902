"""Travel-time matrices, isochrones, path reconstruction, validation and the no-JIT path."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citysim.routing import _kernels, isochrone, path_edges, shortest_costs, travel_times
from tests import naive
from tests.routing.routing_cases import cases, make_network

SETTINGS = settings(max_examples=80, deadline=None)
ROOT = Path(__file__).resolve().parents[2]


@SETTINGS
@given(cases(max_sources=6), st.data())
def test_travel_times_match_floyd_warshall(case, data):
    net = case.net
    targets = np.array(
        data.draw(st.lists(st.integers(0, case.n - 1), min_size=1, max_size=5)), dtype=np.int64
    )
    origins = case.sources
    got = travel_times(net, origins, targets, weight_s=case.weight, closed=case.closed)
    assert got.shape == (origins.shape[0], targets.shape[0])
    full = naive.all_pairs_costs(
        case.n, net.edge_tail.tolist(), net.edge_head.tolist(), case.weight.tolist(),
        case.closed.tolist(),
    )
    expect = np.array([[full[o][t] for t in targets] for o in origins])
    np.testing.assert_allclose(got, expect, rtol=1e-12, atol=0.0)
    # early exit changes nothing: the same numbers as a full single-source search
    for i, o in enumerate(origins):
        full_row = shortest_costs(net, o, weight_s=case.weight, closed=case.closed).dist_s
        np.testing.assert_array_equal(got[i], full_row[targets])
    # serial and parallel kernels agree bit for bit, whatever the block count
    args = (net.indptr, net.edge_head, case.weight, case.closed, origins, targets)
    serial = _kernels._travel_times(*args)
    for n_blocks in (1, 2, 3):
        np.testing.assert_array_equal(_kernels._travel_times_parallel(*args, n_blocks), serial)
    np.testing.assert_array_equal(got, serial)


def test_travel_times_many_origins_and_empty():
    net = make_network(5, [0, 1, 2, 3, 4], [1, 2, 3, 4, 0])
    w = np.arange(1.0, 6.0)
    origins = np.arange(5).repeat(4)  # enough origins for the parallel path
    got = travel_times(net, origins, [0, 0, 3], weight_s=w)
    ring = np.cumsum(np.concatenate([[0.0], w]))
    for i, o in enumerate(origins):
        for j, t in enumerate([0, 0, 3]):
            expect = ring[t] - ring[o] if t >= o else ring[5] - ring[o] + ring[t]
            assert got[i, j] == pytest.approx(expect)
    assert travel_times(net, [], [1, 2]).shape == (0, 2)
    assert travel_times(net, [1], []).shape == (1, 0)


def test_travel_times_threaded_path_matches_full_searches():
    # a 30 x 30 grid and 16 origins: enough work for travel_times to use threads
    side = 30
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    right = (ii[:, :-1] * side + jj[:, :-1]).ravel()
    up = (ii[:-1, :] * side + jj[:-1, :]).ravel()
    net = make_network(
        side * side, np.concatenate([right, right + 1, up, up + side]),
        np.concatenate([right + 1, right, up + side, up]),
    )
    rng = np.random.default_rng(7)
    w = rng.uniform(1.0, 5.0, net.n_edges)
    closed = rng.random(net.n_edges) < 0.1
    origins = rng.choice(net.n_nodes, 16, replace=False)
    targets = rng.choice(net.n_nodes, 7)
    got = travel_times(net, origins, targets, weight_s=w, closed=closed)
    for i, o in enumerate(origins):
        row = shortest_costs(net, o, weight_s=w, closed=closed).dist_s[targets]
        np.testing.assert_array_equal(got[i], row)


@SETTINGS
@given(cases(), st.floats(0.0, 20.0, allow_nan=False))
def test_isochrone_definition(case, budget):
    net = case.net
    iso = isochrone(
        net, case.sources, budget, weight_s=case.weight, closed=case.closed,
        source_offset_s=case.offsets,
    )
    full = shortest_costs(
        net, case.sources, weight_s=case.weight, closed=case.closed, source_offset_s=case.offsets
    ).dist_s
    np.testing.assert_array_equal(iso.node_mask, full <= budget)
    np.testing.assert_array_equal(iso.dist_s, np.where(full <= budget, full, np.inf))
    edge_ok = (full[net.edge_tail] + case.weight <= budget) & case.usable()
    np.testing.assert_array_equal(iso.edge_mask, edge_ok)
    assert iso.node_mask.dtype == bool and iso.edge_mask.shape == (net.n_edges,)


def test_path_edges():
    net = make_network(4, [0, 1, 2, 0], [1, 2, 3, 3])
    w = np.where((net.edge_tail == 0) & (net.edge_head == 3), 10.0, 1.0)
    paths = shortest_costs(net, [0], weight_s=w)
    edges = path_edges(paths.pred_edge, net.edge_tail, 3)
    assert net.edge_tail[edges].tolist() == [0, 1, 2]
    assert net.edge_head[edges].tolist() == [1, 2, 3]
    assert path_edges(paths.pred_edge, net.edge_tail, 0).shape == (0,)
    assert path_edges(paths.pred_edge, net.edge_tail, 0).dtype == np.int64
    e12 = np.flatnonzero((net.edge_tail == 1) & (net.edge_head == 2))[0]
    loop = np.array([-1, -1, e12, -1])
    loop[1] = np.flatnonzero((net.edge_tail == 2) & (net.edge_head == 3))[0]  # tail 2 -> loops
    with pytest.raises(ValueError, match="cycle"):
        path_edges(loop, net.edge_tail, 1)
    with pytest.raises(ValueError, match="node index"):
        path_edges(paths.pred_edge, net.edge_tail, 4)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weight_s": np.ones(2)}, "weight_s must have shape"),
        ({"weight_s": np.array([1.0, np.nan, 1.0])}, "non-negative"),
        ({"weight_s": np.array([1.0, -1.0, 1.0])}, "non-negative"),
        ({"closed": np.zeros(4, dtype=bool)}, "closed must have shape"),
        ({"source_offset_s": [1.0, 2.0]}, "source_offset_s must be a scalar or have shape"),
        ({"source_offset_s": -1.0}, "finite and non-negative"),
        ({"source_offset_s": np.inf}, "finite and non-negative"),
        ({"max_cost_s": -1.0}, "max_cost_s"),
        ({"max_cost_s": float("nan")}, "max_cost_s"),
    ],
)
def test_shortest_costs_rejects_bad_input(kwargs, match):
    net = make_network(3, [0, 1, 2], [1, 2, 0])
    with pytest.raises(ValueError, match=match):
        shortest_costs(net, [0], **kwargs)


@pytest.mark.parametrize(
    ("nodes", "match"),
    [([3], "node indices in 0..2"), ([-1], "node indices"), ([[0, 1]], "1-D"), ([0.5], "integer")],
)
def test_node_indices_are_checked(nodes, match):
    net = make_network(3, [0, 1, 2], [1, 2, 0])
    with pytest.raises(ValueError, match=match):
        shortest_costs(net, nodes)
    with pytest.raises(ValueError, match=match):
        travel_times(net, [0], nodes)


def test_isochrone_rejects_negative_budget():
    net = make_network(3, [0, 1, 2], [1, 2, 0])
    with pytest.raises(ValueError, match="budget_s"):
        isochrone(net, [0], -1.0)


NOJIT_SCRIPT = textwrap.dedent(
    """
    import numpy as np
    from citysim.routing import _kernels, next_hop_tree, shortest_costs, travel_times
    from citysim.world.network import RoadNetwork

    rng = np.random.default_rng(3)
    n, m = 30, 90
    net = RoadNetwork.from_edges(
        rng.random(n), rng.random(n), rng.integers(0, n, m), rng.integers(0, n, m),
        length_m=rng.random(m) * 100 + 1, road_class=np.zeros(m, dtype=int),
    )
    a = shortest_costs(net, [0, 5], source_offset_s=[0.0, 3.0])
    b = next_hop_tree(net, [1, 2])
    c = travel_times(net, np.arange(n), [3, 4, 3])
    d = _kernels._travel_times_parallel(
        net.indptr, net.edge_head, net.travel_time_s, np.zeros(0, dtype=bool),
        np.arange(n), np.array([3, 4, 3]), 2,
    )
    np.savez(
        OUT, dist=a.dist_s, origin=a.origin, pred=a.pred_edge, cost=b.cost_s,
        target=b.target, next_edge=b.next_edge, next_node=b.next_node, tt=c, tt_par=d,
    )
    """
)


def test_kernels_give_the_same_results_without_jit(tmp_path):
    results = {}
    for flag in ("0", "1"):
        out = tmp_path / f"jit{flag}.npz"
        env = {**os.environ, "NUMBA_DISABLE_JIT": flag}
        code = f"OUT = {str(out)!r}\n" + NOJIT_SCRIPT
        subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT, timeout=120)
        with np.load(out) as f:
            results[flag] = {k: f[k] for k in f.files}
    for key, value in results["0"].items():
        np.testing.assert_array_equal(results["1"][key], value, err_msg=key)
