"""Water on the fireground: a fire out of a hydrant's reach burns more than one next to it."""

import numpy as np
import pytest

import citysim
from citysim.scenario import load_scenario_text
from tests.hazards.test_fire import DISTRICT

WATER = """\
    water: {tank_m3: 2, flow_l_s: 15, hose_reach_m: 150, hookup: 60s, lay_speed_mps: 1}
"""


def _run(tmp_path, hydrants):
    text = DISTRICT + WATER + f"hydrants: {hydrants}\n"
    return citysim.run(load_scenario_text(text, base_dir=tmp_path))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("water")
    near = _run(tmp, "[{id: H, location: {x: 40, y: 100}}]")  # beside the first house
    none = _run(tmp, "[]")
    unlimited = citysim.run(load_scenario_text(DISTRICT, base_dir=tmp))
    return near, none, unlimited


def test_no_hydrant_in_reach_burns_more_than_next_to_one(runs):
    near, none, _ = runs
    assert near.world.buildings.x_m.tolist() == none.world.buildings.x_m.tolist()
    burned_near = near.summary["fire_buildings_burned"]
    burned_none = none.summary["fire_buildings_burned"]
    assert burned_none > burned_near + 5
    assert near.summary["fire_hydrant_hookups"] >= 1
    assert none.summary["fire_hydrant_hookups"] == 0
    assert none.summary["fire_tanks_run_dry"] >= 1
    assert none.summary["fire_supply_requests"] >= 1
    assert "water_supply" in set(none.incidents["kind"])


def test_a_hookup_after_the_tank_runs_dry_delays_the_fire_out(runs):
    near, _, unlimited = runs
    # the first house: hose 10 m from the hydrant -> hook-up 70 s < 133 s of tank: no gap
    table = near.hazard_tables["fire_buildings"]
    first = table.loc[table["t_ignite_s"].idxmin()]
    inc = near.incidents[near.incidents["kind"] == "building_fire"]
    t_arrive = inc.loc[inc["t_call_s"].idxmin(), "t_arrive_s"]
    assert first["state"] == "extinguished"
    assert first["t_out_s"] == pytest.approx(t_arrive + 1200.0)
    # buildings out of the hydrant's reach: no hook-up, so never fewer burned than unlimited
    assert near.summary["fire_buildings_burned"] >= unlimited.summary["fire_buildings_burned"]


def test_ignition_times_are_true_times_after_a_hold(runs):
    _, none, _ = runs
    table = none.hazard_tables["fire_buildings"]
    inc = none.incidents[none.incidents["kind"] == "building_fire"]
    ignited = table["t_ignite_s"].dropna().to_numpy()
    np.testing.assert_allclose(np.sort(inc["t_call_s"]), np.sort(ignited) + 120.0)
