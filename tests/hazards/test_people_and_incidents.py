"""Hazards acting on people and raising incidents, through the test-only ``danger_zone``."""

import math

import numpy as np
import yaml

from citysim.agents.response import UnitState
from citysim.agents.states import State, final_groups
from citysim.model import CityModel
from citysim.rng import replication_seeds, world_streams
from citysim.scenario import load_scenario_text
from citysim.world.builder import build_world
from tests.hazards import danger_zone
from tests.scenarios import SMALL_CITY

EVERYONE_GOES = ("behaviour: {warnings: [{at: 0, reach: 1.0}], compliance: 1.0, action: evacuate, "
                 "word_of_mouth_per_h: 0, response_delay: {dist: fixed, value: 30}}\n"
                 "response: {service_time: {dist: fixed, value: 120}}\n")


def model_with(tmp_path, **block):
    zone = {**danger_zone.EXAMPLE, **block}
    text = SMALL_CITY + EVERYONE_GOES + yaml.safe_dump({"hazards": [zone]})
    scenario = load_scenario_text(text, base_dir=tmp_path)
    world = build_world(scenario, world_streams(scenario.run.seed))
    return CityModel(scenario, replication_seeds(scenario.run.seed, 1)[0], world=world)


def run_checking(model):
    """Run to the end; people are conserved and nobody leaves the dead or trapped on their own."""
    total = int(model.residents.persons.sum())
    dead_before = np.zeros(len(model.residents), dtype=bool)
    while model.running:
        trapped_before = model.residents.state == State.TRAPPED
        where = model.residents.node.copy()
        model.step()
        state = model.residents.state
        assert sum(final_groups(model.state_counts()).values()) == total
        assert (state[dead_before] == State.DEAD).all()
        still = trapped_before & (state == State.TRAPPED)
        assert (model.residents.node[still] == where[still]).all()
        assert np.isin(state[trapped_before], (State.TRAPPED, State.RESCUED)).all()
        dead_before = state == State.DEAD
        response = model.response  # the running count of open incidents, against a recount
        assert len(response.active) == sum(1 for k, r in enumerate(response.incidents)
                                           if not r["lost"] and not response.is_over(k))
        for k in range(len(response.incidents)):  # units on scene, against a recount
            assert response.on_scene(k)[0] == sum(
                1 for u in response.units if u.incident == k and u.state == UnitState.ON_SCENE)
    model.finish()


def test_trapped_residents_wait_for_the_rescue_incident_that_names_them(tmp_path,
                                                                         with_danger_zone):
    model = model_with(tmp_path)
    run_checking(model)
    (hazard,) = model.hazards
    inc = model.incidents_frame()
    rescues = inc[inc["kind"] == "rescue"]
    assert hazard.trapped_total > 0 and len(rescues) > 0
    state = model.residents.state
    rescued = state == State.RESCUED
    # everyone whose rescue incident cleared is out, the others still wait
    cleared = rescues["t_clear_s"].notna().sum()
    assert rescued.any() and cleared > 0
    if cleared < len(rescues):
        assert (state == State.TRAPPED).any()
    reached = rescues.dropna(subset=["t_arrive_s"])
    assert (reached["t_arrive_s"] >= reached["t_call_s"]).all()
    cleared_rows = reached.dropna(subset=["t_clear_s"])
    assert (cleared_rows["t_clear_s"] >= cleared_rows["t_arrive_s"]).all()
    groups = final_groups(model.state_counts())
    persons = model.residents.persons
    assert groups["evacuated"] == int(persons[(state == State.EVACUATED) | rescued].sum())
    assert not np.isfinite(model.residents.t_arrive_s[rescued]).any()  # not a shelter arrival


def test_a_held_incident_keeps_its_unit_until_the_hazard_releases_it(tmp_path, with_danger_zone):
    model = model_with(tmp_path, hold_s=400)
    (hazard,) = model.hazards
    blaze_unit = None
    while model.running:
        model.step()
        inc = model.response.incidents
        blaze = next((r for r in inc if r["kind"] == "blaze"), None)
        if blaze is not None and blaze["unit"] and blaze_unit is None:
            blaze_unit = next(u for u in model.response.units if u.name == blaze["unit"])
        if blaze_unit is not None and math.isnan(hazard.blaze_over_s):
            assert blaze_unit.state == UnitState.ON_SCENE  # no service time ends it early
    model.finish()
    blaze = model.incidents_frame().set_index("kind").loc["blaze"]
    assert blaze["t_call_s"] == danger_zone.EXAMPLE["at"]
    # released at the end of the step in which hold_s was over
    assert blaze["t_arrive_s"] + 400 <= blaze["t_clear_s"] < blaze["t_arrive_s"] + 400 + model.dt_s
    assert blaze["t_clear_s"] == hazard.blaze_over_s
    assert blaze_unit.state in (UnitState.RETURNING, UnitState.AVAILABLE)
    counts = [n for _, n, _ in hazard.attended]
    assert counts[0] == 0 and max(counts) == 1  # told before and after the engine came


def test_a_lethal_hazard_kills_only_those_outdoors_in_it(tmp_path, with_danger_zone):
    model = model_with(tmp_path, lethal=True)
    run_checking(model)
    state = model.residents.state
    dead = state == State.DEAD
    assert dead.any()
    summary_dead = final_groups(model.state_counts())["fatalities"]
    assert summary_dead == int(model.residents.persons[dead].sum())
    # the dead stopped inside the zone; nobody sheltered in a shelter or at home died
    (hazard,) = model.hazards
    net = model.world.network
    d = np.hypot(net.node_x_m[model.residents.node[dead]] - hazard.x_m,
                 net.node_y_m[model.residents.node[dead]] - hazard.y_m)
    assert (d <= hazard.cfg.radius_m + 150).all()  # at most one block from where they were hit
    assert not (dead & (model.residents.shelter >= 0)).any()
