"""``type: road_closure``: streets blocked at scripted times (drills, what-ifs)."""

import numpy as np
import pytest
import yaml

from citysim.app.run import run
from citysim.errors import ScenarioError
from citysim.hazards.closure import segment_distance_m
from citysim.io.geojson import layers_of_run
from citysim.model import build_hazards
from citysim.rng import world_streams
from citysim.scenario import load_scenario_text
from citysim.world.builder import build_world
from tests.scenarios import SMALL_CITY


def scenario(tmp_path, closures):
    text = SMALL_CITY + yaml.safe_dump({"hazards": [{"type": "road_closure",
                                                     "closures": closures}]})
    return load_scenario_text(text, base_dir=tmp_path)


def test_segment_distance_against_brute_force():
    k = np.arange(50)
    ax, ay, bx, by = (50 + 50 * np.sin(k * c) for c in (1.1, 2.3, 3.7, 5.3))  # spread about
    px, py = 40.0, 60.0
    f = np.linspace(0, 1, 20001)[:, None]
    brute = np.hypot(ax + f * (bx - ax) - px, ay + f * (by - ay) - py).min(axis=0)
    np.testing.assert_allclose(segment_distance_m(px, py, ax, ay, bx, by), brute, atol=0.01)


def test_nearest_street_closes_and_reopens(tmp_path):
    sc = scenario(tmp_path, [{"location": {"x": 450, "y": 450}, "at": "5min", "until": "10min"}])
    out = run(sc)
    closed = out.timeseries.set_index("t_s")["closed_edges"]
    assert (closed.loc[:240] == 0).all()
    assert (closed.loc[360:480] == 2).all()  # the street, both directions
    assert (closed.loc[600:] == 0).all()
    table = out.hazard_tables["road_closures"]
    assert len(table) == 2 and set(table["closure"]) == {"C1"}
    assert set(map(tuple, table[["from_node", "to_node"]].to_numpy())) == {
        tuple(table[["from_node", "to_node"]].to_numpy()[0]),
        tuple(table[["from_node", "to_node"]].to_numpy()[0][::-1])}
    events = out.hazard_tables["road_closure_events"]
    assert list(events["t_s"]) == [300.0, 600.0]
    assert list(events["ref"]) == ["road_closures.parquet:closure=C1"] * 2
    assert len(layers_of_run(out)["road_closures"]) == 2


def test_radius_closes_every_segment_near_the_place(tmp_path):
    sc = scenario(tmp_path, [{"id": "ZONE", "location": {"x": 450, "y": 450},
                              "radius_m": 160}])
    world = build_world(sc, world_streams(0))
    (hazard,) = build_hazards(sc, world, world_streams(0))
    net = world.network
    d = segment_distance_m(450.0, 450.0, net.node_x_m[net.edge_tail], net.node_y_m[net.edge_tail],
                           net.node_x_m[net.edge_head], net.node_y_m[net.edge_head])
    hazard.advance(0.0, 10.0)
    np.testing.assert_array_equal(hazard.edge_effects() == 0, d <= 160)
    assert hazard.summary()["road_closure_edges_closed"] == int((d <= 160).sum())


def test_bad_closures_are_refused(tmp_path):
    with pytest.raises(ScenarioError, match=r"closures\[0\].*until after at"):
        scenario(tmp_path, [{"location": {"x": 450, "y": 450}, "at": "10min", "until": "5min"}])
    with pytest.raises(ScenarioError, match="duplicate id"):
        scenario(tmp_path, [{"id": "A", "location": {"x": 0, "y": 0}},
                            {"id": "A", "location": {"x": 150, "y": 0}}])
    with pytest.raises(ScenarioError, match="closures"):
        scenario(tmp_path, [])
