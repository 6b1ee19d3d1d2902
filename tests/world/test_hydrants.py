"""Hydrants in the city: the ``hydrants:`` key in its forms, snapped onto the streets."""

import numpy as np
import pytest

from citysim.cli import main
from citysim.rng import world_streams
from citysim.scenario import load_scenario
from citysim.world.builder import build_world
from citysim.world.hydrants import snap_to_edges, synthetic_hydrants
from citysim.world.synthetic import grid_city

HEAD = ("name: t\nrun: {duration: 10min, dt: 10s, seed: 1}\ncity:\n"
        "  network: {synthetic: {kind: grid, rows: 5, cols: 5, block_m: 100}}"
        "\n  population: {residents: 100}\n")


def _world(tmp_path, hydrants):
    path = tmp_path / "s.yaml"
    path.write_text(HEAD + hydrants)
    return build_world(load_scenario(path), world_streams(1))


def test_bad_hydrant_rows_exit_2_naming_their_row(tmp_path, capsys):
    (tmp_path / "h.csv").write_text("id,x,y,flow_l_s,in_service\nH1,100,100,15,true\n"
                                    "H2,200,abc,15,yes\nH3,300,100,-2,maybe\nH1,0,0,,\n")
    (tmp_path / "s.yaml").write_text(HEAD + "hydrants: {csv: h.csv}\n")
    code = main(["validate", str(tmp_path / "s.yaml")])
    err = capsys.readouterr().err
    assert code == 2
    assert "hydrants.csv[row 2].y" in err and "'abc' (h.csv, line 3)" in err
    assert "hydrants.csv[row 3].flow_l_s" in err and "expected a value > 0" in err
    assert "hydrants.csv[row 3].in_service" in err and "'maybe'" in err
    assert "Traceback" not in err
    (tmp_path / "h.csv").write_text("id,x,y\nH1,100,100\nH2,200,0\nH1,0,0\n")
    assert main(["validate", str(tmp_path / "s.yaml")]) == 2
    err = capsys.readouterr().err
    assert "hydrants.csv[row 3].id" in err and "already used by row 1" in err


def test_listed_hydrants_stand_on_the_nearest_street(tmp_path):
    w = _world(tmp_path, "hydrants:\n  - {id: A, location: {x: 130, y: 4}}\n"
                         "  - {id: B, location: {x: 396, y: 260}, flow_l_s: 10, "
                         "in_service: false}\n")
    h = w.hydrants
    assert h.id == ["A", "B"]
    np.testing.assert_allclose([h.x_m[0], h.y_m[0]], [130, 0], atol=1e-9)
    np.testing.assert_allclose([h.x_m[1], h.y_m[1]], [400, 260], atol=1e-9)
    net = w.network
    tail = net.edge_tail[h.edge[0]]
    # the offset is the distance from the edge's tail to the point
    assert h.offset_m[0] == pytest.approx(abs(net.node_x_m[tail] - 130), abs=1e-9)
    assert list(h.in_service) == [True, False] and list(h.flow_l_s) == [15.0, 10.0]


def test_a_long_spacing_gives_one_hydrant_per_street():
    net = grid_city(3, 3, block_m=100, arterial_every=0)
    assert len(synthetic_hydrants(net, 1000.0, 15.0)) == 12  # one per street


def test_absent_and_empty(tmp_path):
    assert _world(tmp_path, "").hydrants is None
    assert len(_world(tmp_path, "hydrants: []\n").hydrants) == 0


def test_synthetic_hydrants_are_spaced_along_every_street(tmp_path):
    h = _world(tmp_path, "hydrants: {synthetic: {spacing_m: 40}}\n").hydrants
    # 40 streets of 100 m, three hydrants each at 100/6, 50, 500/6 m
    assert len(h) == 40 * 3
    np.testing.assert_allclose(np.sort(np.unique(np.round(h.offset_m, 6))),
                               [100 / 6, 50, 500 / 6])


def test_snap_picks_the_nearest_edge_exactly():
    net = grid_city(3, 3, block_m=100, arterial_every=0)
    edge, offset, dist = snap_to_edges(net, np.array([55.0, 170.0]), np.array([12.0, 93.0]))
    assert dist == pytest.approx([12.0, 7.0])
    for e, o, (x, y) in zip(edge, offset, [(55, 0), (170, 100)], strict=True):
        t, hd = net.edge_tail[e], net.edge_head[e]
        f = o / net.length_m[e]
        px = net.node_x_m[t] + f * (net.node_x_m[hd] - net.node_x_m[t])
        py = net.node_y_m[t] + f * (net.node_y_m[hd] - net.node_y_m[t])
        assert (px, py) == pytest.approx((x, y))


def test_the_resolved_scenario_keeps_hydrants_and_class_and_old_ones_are_unchanged(tmp_path):
    from citysim.scenario import load_scenario_dict

    (tmp_path / "h.csv").write_text("id,x,y,in_service\nH1,100,0,no\n")
    text = (HEAD + "stations: [{id: F, location: {x: 0, y: 0}, units: {engine: 1}, "
            "class: small}]\nhydrants: {csv: h.csv}\n")
    (tmp_path / "s.yaml").write_text(text)
    s = load_scenario(tmp_path / "s.yaml")
    data = s.resolved()
    assert data["stations"][0]["class"] == "small"
    assert data["hydrants"][0]["in_service"] is False
    again = load_scenario_dict(data, base_dir=tmp_path)
    assert again.resolved() == data and again.digest() == s.digest()
    (tmp_path / "plain.yaml").write_text(HEAD + "stations: [{id: F, location: {x: 0, y: 0}, "
                                                "units: {engine: 1}}]\n")
    plain = load_scenario(tmp_path / "plain.yaml").resolved()
    assert "hydrants" not in plain and "class" not in plain["stations"][0]


def test_hydrants_from_osm_tags(tmp_path):
    from pathlib import Path

    from citysim.scenario import load_scenario_text
    from citysim.scenario.facilities import read_facilities

    full = Path(__file__).resolve().parents[1] / "data" / "andorra_la_vella_full.osm.pbf"
    text = (f"name: t\nrun: {{duration: 10min, dt: 10s}}\ncity:\n  network: {{osm: {full}}}\n"
            "  population: {residents: 100}\nhydrants: {osm: fire_hydrant, flow_l_s: 20}\n")
    s = load_scenario_text(text, base_dir=tmp_path)
    tagged = read_facilities(full, ["emergency=fire_hydrant"])
    assert sorted(h.id for h in s.hydrants) == sorted(f.id for f in tagged) and len(tagged) >= 5
    assert {h.flow_l_s for h in s.hydrants} == {20.0}
    w = build_world(s, world_streams(1))
    assert len(w.hydrants) == len(tagged)
    assert w.network.drivable[w.hydrants.edge].all()
