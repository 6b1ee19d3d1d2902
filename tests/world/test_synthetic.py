import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from citysim.world.road_classes import CLASS_INDEX, ROAD_CLASSES
from citysim.world.synthetic import grid_city, radial_city


def strongly_connected(net) -> bool:
    adj = csr_matrix((np.ones(net.n_edges), (net.edge_tail, net.edge_head)),
                     shape=(net.n_nodes, net.n_nodes))
    return connected_components(adj, directed=True, connection="strong")[0] == 1


def check_csr(net) -> None:
    assert net.indptr[0] == 0 and net.indptr[-1] == net.n_edges
    assert np.all(np.diff(net.indptr) >= 0)
    assert np.all(np.diff(net.edge_tail) >= 0)
    for u in range(net.n_nodes):
        assert np.all(net.edge_tail[net.indptr[u]:net.indptr[u + 1]] == u)
    assert np.array_equal(np.sort(net.rev_edges), np.arange(net.n_edges))
    for v in range(net.n_nodes):
        assert np.all(net.edge_head[net.rev_edges[net.rev_indptr[v]:net.rev_indptr[v + 1]]] == v)


def test_grid_counts_lengths_and_classes():
    net = grid_city(6, 8, block_m=150, arterial_every=3)
    assert net.n_nodes == 48
    # 6 rows x 7 east-west + 5 x 8 north-south segments, each both ways
    assert net.n_edges == 2 * (6 * 7 + 5 * 8)
    np.testing.assert_allclose(net.length_m, 150.0)
    check_csr(net)
    assert strongly_connected(net)
    names = set(net.class_names())
    assert {"primary", "secondary", "residential"} <= names
    # arterials are faster than residential streets, travel time = length / speed
    prim = net.road_class == CLASS_INDEX["primary"]
    res = net.road_class == CLASS_INDEX["residential"]
    assert net.speed_mps[prim].min() > net.speed_mps[res].max()
    np.testing.assert_allclose(net.travel_time_s, net.length_m / net.speed_mps)
    assert np.all(net.capacity_vph > 0) and np.all(net.width_m > net.lanes * 2.5)


def test_perturbed_grid_is_reproducible_and_keeps_the_border():
    a = grid_city(10, 10, block_m=100, arterial_every=5, jitter_m=20,
                  rng=np.random.default_rng(1))
    b = grid_city(10, 10, block_m=100, arterial_every=5, jitter_m=20,
                  rng=np.random.default_rng(1))
    regular = grid_city(10, 10, block_m=100, arterial_every=5)
    np.testing.assert_array_equal(a.node_x_m, b.node_x_m)
    moved = np.hypot(a.node_x_m - regular.node_x_m, a.node_y_m - regular.node_y_m)
    assert moved.max() > 0 and moved.max() <= np.hypot(100 / 3, 100 / 3) + 1e-9
    assert a.bounds_m == regular.bounds_m
    np.testing.assert_allclose(
        a.length_m, np.hypot(a.node_x_m[a.edge_head] - a.node_x_m[a.edge_tail],
                             a.node_y_m[a.edge_head] - a.node_y_m[a.edge_tail]))
    with pytest.raises(ValueError):
        grid_city(3, 3, block_m=100, arterial_every=0, jitter_m=5)


def test_radial_city_has_rings_and_spokes():
    net = radial_city(4, 8, ring_spacing_m=200, arterial_every=2)
    check_csr(net)
    assert strongly_connected(net)
    cx, cy = 800.0, 800.0
    r = np.hypot(net.node_x_m - cx, net.node_y_m - cy)
    np.testing.assert_allclose(np.unique(np.round(r, 6)), [0, 200, 400, 600, 800])
    assert (net.road_class == CLASS_INDEX["primary"]).sum() == 2 * 8 * 4
    # ring arcs stay about one ring spacing long
    ring = net.road_class != CLASS_INDEX["primary"]
    assert net.length_m[ring].max() < 200 * 1.05
    assert all(c.name for c in ROAD_CLASSES)
