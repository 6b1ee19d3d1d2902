"""GraphML and OSM importers, on the small fixtures in tests/data (see its README)."""

import os
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import osmnx as ox
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from citysim.errors import ScenarioError
from citysim.projection import LocalFrame
from citysim.world.graphml import network_from_graph, read_graphml
from citysim.world.network import RoadNetwork
from citysim.world.osm import _parse_filter, read_osm

DATA = Path(__file__).resolve().parents[1] / "data"
STEM = "andorra_la_vella"
OSM_FORMATS = [f"{STEM}.osm", f"{STEM}.osm.bz2", f"{STEM}.osm.pbf"]
ALL_FIXTURES = [*OSM_FORMATS, f"{STEM}.graphml", "tiny_plain.graphml"]
ARRAYS = [
    "node_x_m",
    "node_y_m",
    "node_id",
    "indptr",
    "edge_tail",
    "edge_head",
    "length_m",
    "speed_mps",
    "travel_time_s",
    "lanes",
    "capacity_vph",
    "width_m",
    "road_class",
    "drivable",
    "rev_indptr",
    "rev_edges",
]


def _read(name: str, **kwargs) -> RoadNetwork:
    reader = read_graphml if name.endswith(".graphml") else read_osm
    return reader(DATA / name, **kwargs)


@pytest.fixture(scope="module")
def nets() -> dict[str, RoadNetwork]:
    return {name: _read(name) for name in ALL_FIXTURES}


def _assert_same_network(a: RoadNetwork, b: RoadNetwork) -> None:
    assert (a.n_nodes, a.n_edges) == (b.n_nodes, b.n_edges)
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


# --- every format ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_each_format_loads(nets, name):
    net = nets[name]
    assert net.n_nodes > 3 and net.n_edges > 3
    assert net.meta["source"] == str(DATA / name)


def test_osm_formats_give_the_same_network(nets):
    ref = nets[OSM_FORMATS[0]]
    assert ref.n_nodes > 100 and ref.n_edges > 200
    for name in OSM_FORMATS[1:]:
        net = nets[name]
        assert (net.n_nodes, net.n_edges) == (ref.n_nodes, ref.n_edges)
        assert net.length_m.sum() == pytest.approx(ref.length_m.sum(), rel=1e-6)
        _assert_same_network(net, ref)
        assert net.crs == ref.crs
        assert net.meta["dropped"] == ref.meta["dropped"]


def test_osmnx_graphml_gives_the_osm_network(nets):
    # The GraphML fixture is the .osm fixture's drive graph saved by osmnx.
    net = nets[f"{STEM}.graphml"]
    _assert_same_network(net, nets[f"{STEM}.osm"])
    assert net.meta["reader"] == "osmnx"
    assert net.meta["dropped"] == nets[f"{STEM}.osm"].meta["dropped"]


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_edge_attributes_are_si_and_consistent(nets, name):
    net = nets[name]
    for attr in ("length_m", "speed_mps", "travel_time_s", "lanes", "capacity_vph", "width_m"):
        values = getattr(net, attr)
        assert values.dtype == np.float64
        assert np.all(np.isfinite(values)) and np.all(values > 0), attr
    assert np.all(net.length_m < 5_000.0)  # the fixtures are about 1.5 km across
    assert np.all((net.speed_mps > 1.0) & (net.speed_mps < 40.0))  # m/s, not km/h
    # travel_time = length / speed: osmnx 2 no longer rounds; GraphML keeps repr(float)
    np.testing.assert_allclose(net.travel_time_s, net.length_m / net.speed_mps, rtol=1e-9)
    assert np.all(net.lanes >= 1.0)


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_csr_invariants(nets, name):
    net = nets[name]
    n, m = net.n_nodes, net.n_edges
    for ptr in (net.indptr, net.rev_indptr):
        assert ptr.shape == (n + 1,) and ptr[0] == 0 and ptr[-1] == m
        assert np.all(np.diff(ptr) >= 0)
    np.testing.assert_array_equal(net.edge_tail, np.repeat(np.arange(n), np.diff(net.indptr)))
    assert np.all(np.diff(net.edge_tail) >= 0)
    np.testing.assert_array_equal(np.sort(net.rev_edges), np.arange(m))
    np.testing.assert_array_equal(
        net.edge_head[net.rev_edges], np.repeat(np.arange(n), np.diff(net.rev_indptr))
    )
    assert np.all(net.edge_tail != net.edge_head)
    assert len(np.unique(net.node_id)) == n


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_strongly_connected_and_drop_report(nets, name):
    net = nets[name]
    adj = csr_matrix((np.ones(net.n_edges), (net.edge_tail, net.edge_head)), (net.n_nodes,) * 2)
    n_comp, _ = connected_components(adj, directed=True, connection="strong")
    assert n_comp == 1
    meta = net.meta
    dropped = meta["dropped"]
    assert meta["nodes_read"] - dropped["nodes"] == net.n_nodes
    assert meta["edges_read"] - meta["self_loops"] - dropped["edges"] == net.n_edges


@pytest.mark.parametrize("name", [*OSM_FORMATS, f"{STEM}.graphml"])
def test_coordinates_are_local_metres(nets, name):
    net = nets[name]
    assert net.crs is not None and net.crs.startswith("+proj=tmerc ")
    xmin, ymin, xmax, ymax = net.bounds_m
    assert max(abs(xmin), abs(xmax), abs(ymin), abs(ymax)) < 1_000.0
    assert xmax - xmin > 1_000.0 and ymax - ymin > 800.0  # the 1.48 km x 1.22 km cut
    # The frame is metric: a road is never shorter than the straight line between its
    # ends, and straight roads are as long. osmnx's length is a great circle on a
    # sphere (R = 6,371,009 m), off the WGS84 ellipsoid by up to 0.3 % at 42.5 N
    # (east-west too short, north-south too long), hence the 0.5 % tolerance.
    chord = np.hypot(
        net.node_x_m[net.edge_head] - net.node_x_m[net.edge_tail],
        net.node_y_m[net.edge_head] - net.node_y_m[net.edge_tail],
    )
    assert np.all(net.length_m >= chord * (1 - 5e-3))
    straight = np.isclose(net.length_m, chord, rtol=5e-3)
    assert straight.mean() > 0.3


def test_explicit_frame_is_used(nets):
    frame = LocalFrame.centered_on(1.5212467, 42.5069391)  # Andorra la Vella's place node
    net = read_osm(DATA / OSM_FORMATS[2], frame=frame)
    ref = nets[OSM_FORMATS[2]]
    assert net.crs == frame.proj != ref.crs
    lon, lat = frame.to_lonlat(net.node_x_m, net.node_y_m)
    ref_frame = LocalFrame.for_points(lon, lat)
    np.testing.assert_allclose(ref_frame.to_xy(lon, lat), (ref.node_x_m, ref.node_y_m), atol=1e-3)


# --- OSM specifics ---------------------------------------------------------------------


def test_drive_network_has_only_drivable_roads(nets):
    net = nets[OSM_FORMATS[0]]
    assert net.drivable.all()
    classes = set(net.class_names())
    assert classes <= {
        "primary",
        "secondary",
        "tertiary",
        "residential",
        "unclassified",
        "living_street",
        "trunk",
    }
    meta = net.meta
    assert meta["network_type"] == "drive" and meta["format"] == "osm"
    assert '"highway"!~' in meta["osm_filter"]
    assert meta["ways"] > 50 and meta["ways_clipped"] == meta["ways_incomplete"] == 0


def test_walk_network_is_bidirectional_and_has_footways():
    net = read_osm(DATA / OSM_FORMATS[2], network_type="walk")
    assert (~net.drivable).any()
    assert net.class_names().count("pedestrian") > 10
    pairs = set(zip(net.edge_tail.tolist(), net.edge_head.tolist(), strict=True))
    assert all((v, u) in pairs for u, v in pairs)


@pytest.mark.parametrize(
    ("tags", "keep"),
    [
        ({"highway": "residential"}, True),
        ({"highway": "primary_link", "oneway": "yes"}, True),
        ({"highway": "footway"}, False),
        ({"highway": "path"}, False),
        ({"highway": "cycleway"}, False),
        ({"highway": "steps"}, False),
        ({"highway": "pedestrian"}, False),
        ({"highway": "track"}, False),
        ({"highway": "service"}, False),
        ({"highway": "residential", "service": "parking_aisle"}, False),
        ({"highway": "residential", "access": "private"}, False),
        ({"highway": "residential", "motor_vehicle": "no"}, False),
        ({"highway": "residential", "area": "yes"}, False),
        ({"waterway": "river"}, False),
    ],
)
def test_drive_filter_follows_osmnx(tags, keep):
    from osmnx._overpass import _get_network_filter

    rules = _parse_filter(_get_network_filter("drive"))
    assert all(rule.matches(tags) for rule in rules) is keep


def test_filter_parser_rejects_what_it_does_not_know():
    with pytest.raises(RuntimeError, match="cannot parse"):
        _parse_filter('["highway"](if: t["x"] > 1)')


def test_incomplete_ways_are_clipped_and_speeds_default(tmp_path):
    # Way 10 refers to node 99, absent from the file: clipped to 1-2-3. Way 12 has
    # no located node: dropped. No maxspeed anywhere: class-default speeds.
    osm = tmp_path / "cut.osm"
    osm.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
  <node id="1" lat="42.5000" lon="1.5000"/>
  <node id="2" lat="42.5000" lon="1.5010"/>
  <node id="3" lat="42.5010" lon="1.5010"/>
  <node id="4" lat="42.5010" lon="1.5000"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="99"/>
    <tag k="highway" v="residential"/></way>
  <way id="11"><nd ref="3"/><nd ref="4"/><tag k="highway" v="primary"/></way>
  <way id="12"><nd ref="98"/><nd ref="99"/><tag k="highway" v="primary"/></way>
</osm>
""",
        encoding="utf-8",
    )
    net = read_osm(osm)
    assert net.meta["ways"] == 2
    assert net.meta["ways_clipped"] == 1 and net.meta["ways_incomplete"] == 1
    # simplified to one two-way road 1-4 of both classes, which counts as primary
    assert net.n_nodes == 2 and net.n_edges == 2
    np.testing.assert_array_equal(np.sort(net.node_id), [1, 4])
    assert net.class_names() == ["primary", "primary"]
    np.testing.assert_allclose(net.speed_mps * 3.6, 60.0)  # the primary default
    # 82 m + 111 m + 82 m (osmnx's great circle; 0.5 % covers sphere vs ellipsoid)
    np.testing.assert_allclose(net.length_m, 82.0 + 111.2 + 82.0, rtol=5e-3)


def test_roads_that_simplify_away_raise(tmp_path):
    # A closed ring with no junction: osmnx's simplification removes it entirely.
    osm = tmp_path / "ring.osm"
    osm.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
  <node id="1" lat="42.5" lon="1.5"/><node id="2" lat="42.5" lon="1.501"/>
  <node id="3" lat="42.501" lon="1.501"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="1"/>
    <tag k="highway" v="residential"/></way>
</osm>
""",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match="no connected roads"):
        read_osm(osm)


# --- GraphML specifics -----------------------------------------------------------------


def test_plain_graphml_defaults(nets):
    net = nets["tiny_plain.graphml"]
    assert net.crs is None and net.meta["reader"] == "networkx"
    assert net.meta["self_loops"] == 1
    assert net.meta["dropped"] == {"components": 2, "nodes": 3, "edges": 3}
    np.testing.assert_array_equal(net.node_id, [1, 2, 3, 4])
    np.testing.assert_array_equal(net.node_x_m, [0, 100, 100, 0])
    np.testing.assert_array_equal(net.node_attrs["population"], [100, 50.5, np.nan, np.nan])
    assert set(net.node_attrs) == {"population"}  # "name" is not numeric

    edges = {}
    for e in range(net.n_edges):
        key = (int(net.node_id[net.edge_tail[e]]), int(net.node_id[net.edge_head[e]]))
        edges.setdefault(key, []).append(e)
    assert sorted((k, len(v)) for k, v in edges.items()) == [
        ((1, 2), 2),  # parallel edges kept
        ((1, 4), 1),
        ((2, 1), 1),
        ((2, 3), 1),
        ((3, 4), 1),
        ((4, 1), 1),
    ]
    primary, residential = sorted(edges[(1, 2)], key=lambda e: net.length_m[e])
    expected = {
        # edge: (class, length m, km/h, travel s, lanes, capacity veh/h, width m)
        primary: ("primary", 100, 50, 7.2, 1, 1200, 7.5),  # "2" lanes two-way: 1 each way
        residential: ("residential", 150, 30, 18, 1, 600, 7),  # all defaults
        edges[(2, 3)][0]: ("secondary", 100, 50, 7.2, 2, 2000, 11),  # "2;3", one-way
        edges[(3, 4)][0]: ("residential", 100, 30, 12, 1, 600, 7),  # no length: straight
        edges[(4, 1)][0]: ("road", 100, 30, 12, 1, 600, 7),  # no attributes at all
        edges[(1, 4)][0]: ("tertiary", 100, 40, 9, 2, 1500, 9.5),  # "4", two-way: 2
    }
    names = net.class_names()
    for e, (cls, length, kph, tt, lanes, cap, width) in expected.items():
        assert names[e] == cls
        assert net.length_m[e] == pytest.approx(length)
        assert net.speed_mps[e] == pytest.approx(kph / 3.6)
        assert net.travel_time_s[e] == pytest.approx(tt)
        assert net.lanes[e] == lanes
        assert net.capacity_vph[e] == pytest.approx(cap)
        assert net.width_m[e] == pytest.approx(width)


def test_graphml_without_speeds_gets_the_osm_imputation(tmp_path, nets):
    G = ox.load_graphml(DATA / f"{STEM}.graphml")
    for _, _, d in G.edges(data=True):
        del d["speed_kph"], d["travel_time"]
    path = tmp_path / "nospeed.graphml"
    ox.save_graphml(G, path)
    net = read_graphml(path)
    _assert_same_network(net, nets[f"{STEM}.graphml"])


def test_projected_graphml(tmp_path, nets):
    G = ox.load_graphml(DATA / f"{STEM}.graphml")
    path = tmp_path / "utm.graphml"
    ox.save_graphml(ox.projection.project_graph(G, to_crs="EPSG:32631"), path)

    net = read_graphml(path)  # kept in its own CRS
    assert net.crs == "EPSG:32631"
    assert 370_000 < net.node_x_m.mean() < 390_000 and 4.70e6 < net.node_y_m.mean() < 4.72e6
    ref = nets[f"{STEM}.graphml"]
    assert (net.n_nodes, net.n_edges) == (ref.n_nodes, ref.n_edges)
    # project_graph rebuilds the graph, so nodes come in another order
    np.testing.assert_array_equal(np.sort(net.node_id), np.sort(ref.node_id))
    np.testing.assert_allclose(np.sort(net.length_m), np.sort(ref.length_m), rtol=1e-12)

    frame = LocalFrame.centered_on(1.52, 42.506)
    framed = read_graphml(path, frame=frame)  # or moved into a given frame
    direct = read_graphml(DATA / f"{STEM}.graphml", frame=frame)
    assert framed.crs == direct.crs == frame.proj
    order = np.argsort(framed.node_id)
    ref_order = np.argsort(direct.node_id)
    np.testing.assert_allclose(framed.node_x_m[order], direct.node_x_m[ref_order], atol=1e-3)
    np.testing.assert_allclose(framed.node_y_m[order], direct.node_y_m[ref_order], atol=1e-3)


def test_network_from_graph_directly():
    G = nx.MultiDiGraph()
    G.add_node("a", x=0.0, y=0.0, population="12")
    G.add_node("b", x=30.0, y=40.0, population="n/a")
    G.add_edge("a", "b", highway="['residential', 'primary']", lanes=["3", "2"])
    G.add_edge("b", "a", highway=["primary", "residential"], oneway="no")
    net = network_from_graph(G, source="memory")
    assert net.meta["node_ids"] == "positional" and net.node_attrs == {}
    np.testing.assert_array_equal(net.node_id, [0, 1])
    np.testing.assert_array_equal(net.length_m, [50.0, 50.0])
    assert net.class_names() == ["primary", "primary"]  # the most major, whatever the order
    assert net.lanes[0] == 1.0  # smallest of [3, 2], halved on a two-way road


# --- bad input -------------------------------------------------------------------------

_NO_EDGES = """<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="x" for="node" attr.name="x" attr.type="double"/>
  <key id="y" for="node" attr.name="y" attr.type="double"/>
  <graph edgedefault="directed">
    <node id="1"><data key="x">0</data><data key="y">0</data></node>
  </graph>
</graphml>
"""
_NO_COORDS = _NO_EDGES.replace('<data key="x">0</data>', "").replace(
    "</graph>", '<node id="2"/><edge source="1" target="2"/></graph>'
)
_ONLY_FOOTWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
  <node id="1" lat="42.5" lon="1.5"/><node id="2" lat="42.501" lon="1.5"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way>
  <way id="11"><nd ref="1"/><nd ref="2"/><tag k="waterway" v="river"/></way>
</osm>
"""


def _broken(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    if name == "notxml.graphml":
        path.write_text("this is not XML at all", encoding="utf-8")
    elif name == "osm_as.graphml":
        path.write_bytes((DATA / OSM_FORMATS[0]).read_bytes()[:2000])
    elif name == "not_graphml.graphml":
        path.write_text('<?xml version="1.0"?><html><body/></html>', encoding="utf-8")
    elif name == "no_edges.graphml":
        path.write_text(_NO_EDGES, encoding="utf-8")
    elif name == "no_coords.graphml":
        path.write_text(_NO_COORDS, encoding="utf-8")
    elif name in ("bad_crs.graphml", "metres_as_lonlat.graphml"):
        crs = "EPSG:999999" if name == "bad_crs.graphml" else "epsg:4326"
        text = (DATA / "tiny_plain.graphml").read_text(encoding="utf-8")
        text = text.replace(
            '<graph id="tiny" edgedefault="directed">',
            '<key id="crs" for="graph" attr.name="crs" attr.type="string"/>\n'
            f'<graph id="tiny" edgedefault="directed"><data key="crs">{crs}</data>',
        )
        path.write_text(text, encoding="utf-8")
    elif name == "garbage.osm":
        path.write_text("<osm><node id=", encoding="utf-8")
    elif name == "garbage.osm.pbf":
        path.write_bytes(b"\x00\x00\x00\x0dnot a pbf at all")
    elif name == "truncated.osm.pbf":
        path.write_bytes((DATA / OSM_FORMATS[2]).read_bytes()[:5000])
    elif name == "truncated.osm.bz2":
        path.write_bytes((DATA / OSM_FORMATS[1]).read_bytes()[:3000])
    elif name == "footways.osm":
        path.write_text(_ONLY_FOOTWAYS, encoding="utf-8")
    elif name == "city.txt":
        path.write_text("hello", encoding="utf-8")
    return path  # "missing.*": not written


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("notxml.graphml", "not a readable GraphML"),
        ("osm_as.graphml", "not a readable GraphML"),
        ("not_graphml.graphml", "not a readable GraphML"),
        ("no_edges.graphml", "no road edges"),
        ("no_coords.graphml", "no numeric x/y"),
        ("missing.graphml", "not found"),
        ("bad_crs.graphml", "crs that is not understood"),
        ("metres_as_lonlat.graphml", "x/y outside it"),
        ("garbage.osm", "not a readable OSM file"),
        ("garbage.osm.pbf", "not a readable OSM file"),
        ("truncated.osm.pbf", "not a readable OSM file"),
        ("truncated.osm.bz2", "not a readable OSM file"),
        ("footways.osm", "no roads of network type 'drive'"),
        ("missing.osm.pbf", "not found"),
        ("city.txt", "not an OSM file"),
    ],
)
def test_bad_files_raise_scenario_error(tmp_path, name, match):
    path = _broken(tmp_path, name)
    reader = read_graphml if name.endswith(".graphml") else read_osm
    with pytest.raises(ScenarioError, match=match) as info:
        reader(path, yaml_path="city.network.osm")
    assert name in str(info.value)
    assert info.value.problems[0].path == "city.network.osm"


def test_unknown_network_type():
    with pytest.raises(ValueError, match="network_type"):
        read_osm(DATA / OSM_FORMATS[2], network_type="boat")


@pytest.mark.slow
def test_import_is_deterministic_across_hash_seeds():
    # osmnx merges the tags of simplified edges through sets, whose order follows
    # PYTHONHASHSEED; the network must not.
    code = (
        "import hashlib\n"
        "from citysim.world.osm import read_osm\n"
        f"net = read_osm({str(DATA / OSM_FORMATS[2])!r})\n"
        "h = hashlib.sha256()\n"
        f"for name in {ARRAYS!r}:\n"
        "    h.update(getattr(net, name).tobytes())\n"
        "print(h.hexdigest())\n"
    )
    digests = set()
    for seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        )
        digests.add(out.stdout.strip())
    assert len(digests) == 1
    assert len(digests.pop()) == 64
