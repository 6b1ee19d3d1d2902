"""OSM import: one network for cars and walkers, clipping to a box, the real Porto Alegre."""

from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from citysim.world.osm import DRIVE_WALK, read_osm
from citysim.world.road_classes import CLASS_INDEX
from citysim.world.sites import Locator, car_nodes

ROOT = Path(__file__).resolve().parents[2]
FULL = ROOT / "tests" / "data" / "andorra_la_vella_full.osm.pbf"
POA = ROOT / "data" / "porto_alegre" / "poa_osm.pbf"
PEDESTRIAN = CLASS_INDEX["pedestrian"]


@pytest.fixture(scope="module")
def nets():
    return {"drive": read_osm(FULL), "both": read_osm(FULL, network_type=DRIVE_WALK)}


def _pairs(net, mask):
    return set(zip(net.node_id[net.edge_tail[mask]].tolist(),
                   net.node_id[net.edge_head[mask]].tolist(), strict=True))


def test_walk_only_edges_are_pedestrian_and_cars_keep_their_roads(nets):
    drive, both = nets["drive"], nets["both"]
    walk_only = ~both.drivable
    assert walk_only.sum() > 100 and both.drivable.sum() >= drive.n_edges
    np.testing.assert_array_equal(walk_only, both.road_class == PEDESTRIAN)
    # the drivable part is the drive network, only cut at more nodes (where footways join):
    # the same street length, the same one-way streets
    assert both.length_m[both.drivable].sum() == pytest.approx(drive.length_m.sum(), rel=0.02)
    one_way = {(u, v) for u, v in _pairs(both, both.drivable)
               if (v, u) not in _pairs(both, both.drivable)}
    # each got a walking twin the other way, unless a footway already ran back
    assert one_way and 0.9 * len(one_way) < both.meta["walk_twins"] <= len(one_way)
    assert both.meta["walk_only_ways"] > 50 and both.meta["network_type"] == DRIVE_WALK
    assert "walk:" in both.meta["osm_filter"]


def test_walkers_can_go_both_ways_everywhere(nets):
    both = nets["both"]
    pairs = _pairs(both, np.ones(both.n_edges, dtype=bool))
    assert all((v, u) in pairs for u, v in pairs)
    # one-way streets have footway-wide walking twins the other way (the twins of streets
    # dropped with small components aside)
    twins = ~both.drivable & np.isclose(both.width_m, 4.0)
    assert 0.95 * both.meta["walk_twins"] <= twins.sum() <= both.meta["walk_twins"]


def test_cars_reach_every_car_node_and_places_snap_to_them(nets):
    both = nets["both"]
    cars = car_nodes(both)
    assert 0 < cars.sum() < both.n_nodes  # footway junctions are not car nodes
    e = both.drivable & cars[both.edge_tail] & cars[both.edge_head]
    adj = csr_matrix((np.ones(e.sum()), (both.edge_tail[e], both.edge_head[e])),
                     shape=(both.n_nodes,) * 2)
    _, labels = connected_components(adj, directed=True, connection="strong")
    assert len(set(labels[cars].tolist())) == 1
    # a point on a footway junction snaps to the nearest node cars reach
    foot = np.flatnonzero(~cars)[0]

    class At:
        x = float(both.node_x_m[foot])
        y = float(both.node_y_m[foot])

    locator = Locator(both, both.crs, 10_000.0)
    _, _, node = locator.resolve([At()], [("shelters", 0, "location")])
    d = np.hypot(both.node_x_m - At.x, both.node_y_m - At.y)
    assert cars[node[0]] and d[node[0]] == d[cars].min()
    assert car_nodes(nets["drive"]).all()  # a drive network: every node


def test_bbox_clips_the_ways():
    box = (1.515, 42.500, 1.530, 42.510)
    net = read_osm(FULL, bbox=box)
    lon, lat = Transformer.from_crs(net.crs, "EPSG:4326", always_xy=True).transform(
        net.node_x_m, net.node_y_m)
    assert lon.min() >= box[0] and lon.max() <= box[2]
    assert lat.min() >= box[1] and lat.max() <= box[3]
    assert net.meta["bbox"] == list(box) and net.meta["ways_outside"] > 0
    assert net.meta["ways_clipped"] > 0 and net.n_edges > 50


def test_porto_alegre_loads_with_more_than_10000_edges():
    net = read_osm(POA)
    assert net.n_edges > 10_000
    dropped = net.meta["dropped"]
    assert net.meta["edges_read"] == net.n_edges + dropped["edges"] + net.meta["self_loops"]
    assert dropped["components"] > 0 and dropped["edges"] < 0.02 * net.n_edges
