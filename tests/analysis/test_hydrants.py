"""Hydrant coverage along the streets: against a brute-force network computation."""

import itertools

import networkx as nx
import numpy as np
import pytest

from citysim.analysis.hydrants import hydrant_coverage, straight_line_covered
from citysim.world.hydrants import Hydrants, snap_to_edges
from citysim.world.network import RoadNetwork
from citysim.world.synthetic import grid_city


def _hydrants(net, xy, in_service=None):
    x = np.array([p[0] for p in xy], dtype=float)
    y = np.array([p[1] for p in xy], dtype=float)
    edge, offset, _ = snap_to_edges(net, x, y)
    n = len(xy)
    return Hydrants(id=[f"H{i}" for i in range(n)], x_m=x, y_m=y, edge=edge, offset_m=offset,
                    flow_l_s=np.full(n, 15.0),
                    in_service=np.ones(n, bool) if in_service is None else np.array(in_service))


def _name(key, p, length):
    return ("n", key[0]) if p == 0 else ("n", key[1]) if p == length else (key, p)


def _brute_force(net, hyd, radius_m, step_m=0.5):
    """Covered street length by metre-fine subdivision of every street and networkx Dijkstra."""
    g = nx.Graph()
    seen = set()
    samples = []  # (street key, sample node)
    for e in range(net.n_edges):
        u, v = int(net.edge_tail[e]), int(net.edge_head[e])
        key = (min(u, v), max(u, v))
        if key in seen:
            continue
        seen.add(key)
        a, b = key
        length = float(net.length_m[e])
        pos = list(np.arange(0.0, length + 1e-9, step_m))
        for k in range(len(hyd)):
            if not hyd.in_service[k]:
                continue
            he = int(hyd.edge[k])
            if {int(net.edge_tail[he]), int(net.edge_head[he])} == {a, b}:
                p = float(hyd.offset_m[k]) if int(net.edge_tail[he]) == a else length - float(
                    hyd.offset_m[k])
                pos.append(p)
                g.add_edge(("h", k), _name(key, p, length), weight=0.0)
        pos = sorted(set(pos) | {length})
        names = [_name(key, p, length) for p in pos]
        for (p0, n0), (p1, n1) in itertools.pairwise(zip(pos, names, strict=True)):
            g.add_edge(n0, n1, weight=p1 - p0)
        samples.extend((key, p, nm) for p, nm in zip(pos, names, strict=True))
    g.add_node("src")
    for k in range(len(hyd)):
        if hyd.in_service[k]:
            g.add_edge("src", ("h", k), weight=0.0)
    dist = nx.single_source_dijkstra_path_length(g, "src", weight="weight")
    covered = 0.0
    by_street = {}
    for key, p, nm in samples:
        by_street.setdefault(key, []).append((p, dist.get(nm, np.inf)))
    for pts in by_street.values():
        pts.sort()
        for (p0, d0), (p1, d1) in itertools.pairwise(pts):
            # distance is piecewise linear between samples: covered share of the piece
            lo, hi = min(d0, d1), max(d0, d1)
            if hi <= radius_m:
                covered += p1 - p0
            elif lo <= radius_m and np.isfinite(hi):
                covered += (p1 - p0) * (radius_m - lo) / (hi - lo) if hi > lo else 0.0
    return covered


@pytest.mark.parametrize("radius_m", [60.0, 150.0, 230.0])
def test_street_coverage_equals_brute_force(radius_m):
    net = grid_city(4, 5, block_m=100, arterial_every=0)
    hyd = _hydrants(net, [(30, 0), (200, 170), (400, 300), (105, 300), (250, 200)],
                    in_service=[True, True, True, False, True])
    cov = hydrant_coverage(net, hyd, radius_m=radius_m)
    brute = _brute_force(net, hyd, radius_m)
    # the fine network is exact up to the half-metre pieces around a hydrant's own point
    assert cov.street_covered_m.sum() == pytest.approx(brute, abs=1.0)
    assert cov.street_length_m.sum() == pytest.approx(31 * 100)
    assert 0 < cov.street_fraction <= 1


def test_random_graph_equals_brute_force():
    rng = np.random.default_rng(7)
    net = grid_city(5, 5, block_m=80, arterial_every=0, jitter_m=15, rng=rng)
    pts = [(rng.uniform(0, 320), rng.uniform(0, 320)) for _ in range(4)]
    hyd = _hydrants(net, pts)
    cov = hydrant_coverage(net, hyd, radius_m=110.0)
    assert cov.street_covered_m.sum() == pytest.approx(_brute_force(net, hyd, 110.0), abs=1.0)
    # the gaps are exactly the uncovered length
    gaps = (cov.gaps.end_m - cov.gaps.start_m).sum()
    assert gaps == pytest.approx(cov.street_length_m.sum() - cov.street_covered_m.sum())


def test_a_block_stops_the_hose_where_a_circle_would_not():
    net = grid_city(3, 3, block_m=200, arterial_every=0)
    hyd = _hydrants(net, [(300, 0)])
    bx, by = np.array([300.0, 300.0]), np.array([140.0, 20.0])
    cov = hydrant_coverage(net, hyd, (bx, by))
    # building 0 fronts the street y = 200: 100 + 200 + 100 m of hose from (300, 0)
    assert cov.building_distance_m == pytest.approx([400.0, 0.0])
    assert list(cov.building_covered) == [False, True]
    assert list(straight_line_covered(hyd, bx, by)) == [True, True]
    assert cov.building_fraction == 0.5


def test_spacing_violations_on_a_street_laid_out_by_hand():
    # one straight street of five 100 m edges, both ways
    x = np.arange(6) * 100.0
    tail = np.r_[np.arange(5), np.arange(1, 6)]
    head = np.r_[np.arange(1, 6), np.arange(5)]
    net = RoadNetwork.from_edges(x, np.zeros(6), tail, head, length_m=np.full(10, 100.0),
                                 road_class=np.zeros(10, dtype=np.int8))
    hyd = _hydrants(net, [(0, 0), (100, 0), (250, 0), (390, 0), (500, 0)])
    cov = hydrant_coverage(net, hyd)
    found = {(tuple(sorted((r.from_hydrant, r.to_hydrant))), round(r.gap_m, 6))
             for r in cov.spacing.itertuples()}
    assert found == {(("H1", "H2"), 150.0), (("H2", "H3"), 140.0)}
    assert len(cov.spacing) == 2
    # every metre is within 150 m of a hydrant; at 60 m, two stretches are not
    assert cov.street_fraction == pytest.approx(1.0)
    tight = hydrant_coverage(net, hyd, radius_m=60.0)
    ends = np.sort(tight.gaps[["x0", "x1"]].to_numpy(), axis=1)
    np.testing.assert_allclose(ends[np.argsort(ends[:, 0])], [[160, 190], [310, 330]],
                               atol=1e-6)


def test_no_usable_hydrant_covers_nothing():
    net = grid_city(3, 3, block_m=100, arterial_every=0)
    hyd = _hydrants(net, [(50, 0)], in_service=[False])
    cov = hydrant_coverage(net, hyd, (np.array([50.0]), np.array([10.0])))
    assert cov.street_fraction == 0.0 and cov.building_fraction == 0.0
    assert np.isinf(cov.node_distance_m).all() and (cov.node_hydrant == -1).all()
