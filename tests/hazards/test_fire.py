"""The fire hazard in the city: roads, warnings, engines, outputs, the old-town scenario."""

import json
import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import citysim
from citysim.agents.states import State
from citysim.errors import ScenarioError
from citysim.io.hazard_layers import hazard_layers
from citysim.model import CityModel
from citysim.rng import replication_seeds, world_streams
from citysim.scenario import load_scenario, load_scenario_text
from citysim.world.builder import build_world
from tests.contract import contract_problems

REPO = Path(__file__).resolve().parents[2]

# a 3 x 3 grid of 100 m blocks and one wooden house, 10 m x 10 m, 8 m north of the
# street y = 100 between x = 0 and x = 100
ONE_HOUSE = """\
name: one-house
run: {duration: 50min, dt: 10s, seed: 3}
city:
  network: {synthetic: {kind: grid, rows: 4, cols: 4, block_m: 100, arterial_every: 50}}
  population: {residents: 1600, persons_per_agent: 1}
  buildings: {csv: houses.csv}
shelters: [{id: S, location: {x: 300, y: 300}, capacity: 5000}]
behaviour: {compliance: 1.0, action: evacuate, word_of_mouth_per_h: 0,
            response_delay: {dist: fixed, value: 0}}
outputs: {every: 1min, plots: false, probes: [{id: P, location: {x: 52, y: 110}}]}
hazards:
  - {type: fire, ignitions: [{location: {x: 50, y: 108}, at: 60}], warn_radius_m: 120}
"""

# four dense wooden blocks of 200 m in a 6 m/s west wind; a station at the west edge
DISTRICT = """\
name: district-fire
run: {duration: 100min, dt: 10s, seed: 21}
city:
  network: {synthetic: {kind: grid, rows: 3, cols: 3, block_m: 200, arterial_every: 50}}
  population: {residents: 600, persons_per_agent: 3}
  buildings: {synthetic: {density: 0.75, footprint_m: 9, gap_m: 2.5,
              fire_resistant_fraction: 0.2}}
shelters: [{id: S, location: {x: 400, y: 400}, capacity: 5000}]
stations: [{id: F, location: {x: 0, y: 100}, units: {engine: 4}, turnout: 60s}]
outputs: {every: 2min, plots: false}
hazards:
  - type: fire
    ignitions: [{location: {x: 30, y: 100}, at: 0}]
    wind: {speed_mps: 6, from_deg: 270}
    call_delay: 2min
"""


def scenario(tmp_path, text, houses="x,y,footprint_m2,structure\n50,108,100,wood\n"):
    (tmp_path / "houses.csv").write_text(houses)
    return load_scenario_text(text, base_dir=tmp_path)


def test_a_fire_needs_buildings(tmp_path):
    text = DISTRICT.replace("  buildings: {synthetic: {density: 0.75, footprint_m: 9, "
                            "gap_m: 2.5,\n              fire_resistant_fraction: 0.2}}\n", "")
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, base_dir=tmp_path)
    assert [p.path for p in info.value.problems] == ["city.buildings"]
    assert "required by hazards[0] (fire)" in info.value.problems[0].message


def test_roads_next_to_a_burning_house_close_and_reopen(tmp_path):
    out = citysim.run(scenario(tmp_path, ONE_HOUSE.replace("50min", "45min")))
    # fully involved at 60 s + (3 + 0.375 * 10) min = 465 s, burned out 30 min later
    t_full, t_out = 60 + 405, 60 + 405 + 1800
    closed = out.timeseries.set_index("t_s")["closed_edges"]
    assert (closed.loc[:t_full - 60] == 0).all()
    # the street in front (y = 100, x 0..100: 8 m away) in both directions, nothing else
    assert (closed.loc[t_full + 60:t_out - 60] == 2).all()
    assert (closed.loc[t_out + 60:] == 0).all()
    (fire,) = out.hazards
    net = out.world.network
    edges = np.unique(fire.closure_edges)
    ends = {(net.node_x_m[net.edge_tail[e]], net.node_y_m[net.edge_tail[e]],
             net.node_x_m[net.edge_head[e]], net.node_y_m[net.edge_head[e]]) for e in edges}
    assert ends == {(0.0, 100.0, 100.0, 100.0), (100.0, 100.0, 0.0, 100.0)}
    table = out.hazard_tables["fire_buildings"]
    assert table.loc[0, "state"] == "burned_out"
    assert table.loc[0, "t_ignite_s"] == 60 and table.loc[0, "t_involved_s"] == t_full
    assert table.loc[0, "t_out_s"] == t_out
    probes = out.probes.set_index("t_s")["fire_state"]
    assert probes.loc[0] == 0 and probes.loc[600] == 2 and probes.loc[2400] == 3
    # no units anywhere: the call is never answered, and over when the house is out
    inc = out.incidents
    assert inc["kind"].tolist() == ["building_fire"] and inc["t_call_s"].tolist() == [60.0]
    assert inc["t_clear_s"].iloc[0] == pytest.approx(math.ceil(t_out / 10) * 10)


def test_residents_near_the_fire_are_warned_and_leave(tmp_path):
    s = scenario(tmp_path, ONE_HOUSE)
    world = build_world(s, world_streams(s.run.seed))
    model = CityModel(s, replication_seeds(s.run.seed, 1)[0], world=world)
    while model.t_s < 30:
        model.step()
    assert (model.residents.state == State.AT_HOME).all()
    while model.t_s < 600:
        model.step()
    net = world.network
    home = model.plan.home_node
    dist = np.hypot(net.node_x_m[home] - 50, net.node_y_m[home] - 108)
    state = model.residents.state
    near = dist <= 120
    assert near.any() and (~near).any()
    assert not (state[near] == State.AT_HOME).any()
    assert (state[~near] == State.AT_HOME).all()


def test_engines_on_scene_reduce_the_buildings_burned(tmp_path):
    with_units = citysim.run(scenario(tmp_path, DISTRICT))
    without = citysim.run(scenario(tmp_path, DISTRICT.replace(
        "stations: [{id: F, location: {x: 0, y: 100}, units: {engine: 4}, turnout: 60s}]",
        "stations: []")))
    burned, unchecked = (o.summary["fire_buildings_burned"] for o in (with_units, without))
    assert with_units.world.buildings.x_m.tolist() == without.world.buildings.x_m.tolist()
    assert unchecked > 40 and burned < 0.8 * unchecked
    assert without.summary["fire_buildings_extinguished"] == 0
    put_out = with_units.summary["fire_buildings_extinguished"]
    assert put_out > 0
    # every building put out was put out 20 min after a first arrival
    inc = with_units.incidents
    assert set(inc["kind"]) == {"building_fire"}
    arrivals = inc["t_arrive_s"].dropna().to_numpy()
    table = with_units.hazard_tables["fire_buildings"]
    done = table[table["state"] == "extinguished"]
    assert len(done) == put_out
    assert all(np.isclose(arrivals, t - 1200.0).any() for t in done["t_out_s"])
    # each burning building was called in 2 min after it caught fire, held till it was out
    ignited = table["t_ignite_s"].dropna().to_numpy()
    assert len(inc) == len(ignited)
    np.testing.assert_allclose(np.sort(inc["t_call_s"]), np.sort(ignited) + 120.0)
    cleared = inc.dropna(subset=["t_clear_s", "t_arrive_s"])
    assert (cleared["t_clear_s"] >= cleared["t_arrive_s"]).all()


def test_same_seed_same_fire_and_random_delays_vary_by_replication(tmp_path):
    text = DISTRICT.replace("    call_delay: 2min\n", "    call_delay: 2min\n"
                            "    spread_time_sigma: 0.5\n").replace("100min", "40min")
    a = citysim.run(scenario(tmp_path, text))
    b = citysim.run(scenario(tmp_path, text))
    pd.testing.assert_frame_equal(a.hazard_tables["fire_buildings"],
                                  b.hazard_tables["fire_buildings"])
    c = citysim.run(scenario(tmp_path, text.replace("seed: 21", "seed: 22")))
    assert not a.hazard_tables["fire_buildings"]["t_ignite_s"].equals(
        c.hazard_tables["fire_buildings"]["t_ignite_s"])


def test_old_town_fire_runs_end_to_end(tmp_path):
    s = load_scenario(REPO / "scenarios" / "old-town-fire.yaml")
    out = citysim.run(s, out=tmp_path / "run")
    run = tmp_path / "run"
    assert contract_problems(run) == []
    summary = json.loads((run / "summary.json").read_text())
    buildings = pd.read_parquet(run / "fire_buildings.parquet")
    progress = pd.read_parquet(run / "fire_progress.parquet")
    assert list(buildings.columns) == ["building", "x", "y", "footprint_m2", "structure", "state",
                                       "t_ignite_s", "t_involved_s", "t_out_s", "source"]
    assert list(progress.columns) == ["t_s", "burning", "burned_out", "extinguished", "ignited"]
    caught = buildings[buildings["state"] != "unburned"]
    assert summary["fire_buildings_burned"] == len(caught) > 50  # a conflagration
    assert summary["fire_burned_area_m2"] == pytest.approx(caught["footprint_m2"].sum())
    assert summary["fire_buildings_extinguished"] > 0
    last = progress.iloc[-1]
    assert last["ignited"] == len(caught) and last["t_s"] == s.run.duration
    assert (np.diff(progress["ignited"]) >= 0).all()
    assert last["burning"] + last["burned_out"] + last["extinguished"] == len(caught)
    # fire spreads east, downwind: the burned area lies mostly east of the ignition
    assert (caught["x"] > 1120).mean() > 0.6
    # the figure is written and opens
    image = plt.imread(run / "plots" / "fire_progression.png")
    assert image.shape[0] > 400 and image.shape[1] > 800
    # more burning buildings than engines: most calls queue, and units still reach some
    incidents = pd.read_parquet(run / "incidents.parquet")
    assert incidents["queued"].mean() > 0.5 and incidents["t_arrive_s"].notna().sum() > 10
    # roads closed at some point, residents warned and evacuating
    assert out.timeseries["closed_edges"].max() > 0 and summary["evacuated"] > 0
    (fire,) = out.hazards
    layer = hazard_layers(fire, out.world)["fire_buildings"]
    assert len(layer) == len(caught)
    ring = layer[0]["geometry"]["coordinates"][0]
    assert layer[0]["geometry"]["type"] == "Polygon" and ring[0] == ring[-1] and len(ring) == 5
    frame = fire.frame()
    assert len(frame.x_m) == len(buildings) and set(np.unique(frame.value)) <= {0, 1, 2, 3, 4}
