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


# ONE_HOUSE (tests/hazards/test_fire.py): the house at (50, 108) is fully involved at
# 465 s and closes the street in front of it (y = 100, x = 0..100) until 2265 s. One
# engine, turned out late, reaches it after that; the tank lasts 2000 / 15 = 133.3 s.
CLOSED = "{id: A, location: {x: 50, y: 100}}"  # at the frontage, on the closed street
OPEN = "{id: B, location: {x: 0, y: 140}}"  # 50 m + 40 m of hose away, street open


def _one_house(tmp_path, name, hydrants):
    from tests.hazards.test_fire import ONE_HOUSE, scenario

    text = ONE_HOUSE.replace(
        "warn_radius_m: 120}",
        "warn_radius_m: 120, call_delay: 30s,\n"
        "     water: {tank_m3: 2, flow_l_s: 15, hose_reach_m: 150, hookup: 60s,"
        " lay_speed_mps: 1}}",
    ) + ("stations: [{id: F, location: {x: 300, y: 0}, units: {engine: 1}, turnout: 8min}]\n"
         f"hydrants: [{hydrants}]\n")
    sub = tmp_path / name
    sub.mkdir()
    out = citysim.run(scenario(sub, text))
    house = out.hazard_tables["fire_buildings"].iloc[0]
    arrive = out.incidents.loc[out.incidents["kind"] == "building_fire", "t_arrive_s"].iloc[0]
    return out, house, float(arrive)


@pytest.fixture(scope="module")
def one_house(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("closed_hydrant")
    return {name: _one_house(tmp, name, h) for name, h in
            (("closed", CLOSED), ("open", OPEN), ("both", f"{CLOSED}, {OPEN}"))}


def test_a_hydrant_on_a_street_the_fire_closed_cannot_be_hooked_up(one_house):
    out, house, arrive = one_house["closed"]
    assert 465 < arrive < 2265  # the street in front is closed when the crew arrives
    assert out.summary["fire_hydrant_hookups"] == 0
    assert out.summary["fire_tanks_run_dry"] == 1
    assert out.summary["fire_supply_requests"] == 1
    # the only engine is on scene: no water comes, the house burns out
    assert house["state"] == "burned_out" and house["t_out_s"] == pytest.approx(2265.0)


def test_the_crew_lays_hose_to_the_next_hydrant_on_an_open_street(one_house):
    tank_s = 2000 / 15
    gap_s = 60 + 90 - tank_s  # hook-up: 60 s + 90 m of hose at 1 m/s, after the tank
    for name in ("open", "both"):
        out, house, arrive = one_house[name]
        assert out.summary["fire_hydrant_hookups"] == 1, name
        assert out.summary["fire_tanks_run_dry"] == 0, name
        assert house["state"] == "extinguished", name
        assert house["t_out_s"] == pytest.approx(arrive + 1200 + gap_s), name
    # the hydrant at the door, closed by the fire, leaves the fire burning longer
    # than one 90 m of hose away on an open street (same fire, same seed)
    closed_out = one_house["closed"][1]["t_out_s"]
    assert closed_out > one_house["open"][1]["t_out_s"] + 300
