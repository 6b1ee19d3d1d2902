"""People in water: the hazard rating, who is slowed, trapped, injured, killed."""

import numpy as np
import pytest

from citysim.hazards.base import People, Setting
from citysim.hazards.flood import hazard_class, hazard_rating, wading_speed_factor
from citysim.model import build_hazards
from citysim.rng import world_streams
from citysim.scenario import load_scenario_text
from citysim.world.builder import build_world

CITY = """\
name: pool
run: {{duration: 1h, dt: 10s, seed: {seed}}}
city:
  network: {{synthetic: {{kind: grid, rows: 5, cols: 5, block_m: 100}}}}
  terrain: {{synthetic: {{kind: plane, cell_m: 20, slope: 0}}}}
  population: {{residents: 10}}
hazards:
  - type: flood
{extra}
"""


def flood(seed: int = 1, extra: str = ""):
    scenario = load_scenario_text(CITY.format(seed=seed, extra=extra), base_dir=".")
    world = build_world(scenario, world_streams(seed))
    (hazard,) = build_hazards(scenario, world, world_streams(seed))
    return hazard, world


def people(x, y, node, setting, persons=None) -> People:
    n = len(x)
    return People(x_m=np.asarray(x, float), y_m=np.asarray(y, float),
                  node=np.asarray(node, np.int64), setting=np.asarray(setting, np.int8),
                  persons=np.ones(n, np.int64) if persons is None else np.asarray(persons))


def test_hazard_rating_reference_values():
    # HR = d (v + 0.5) + DF; DF (urban) = 1 above 0.25 m or 2 m/s (Defra 2008)
    d = np.array([0.0, 0.2, 0.3, 0.1, 1.0, 0.25])
    v = np.array([3.0, 0.0, 0.0, 2.5, 1.0, 2.0])
    np.testing.assert_allclose(hazard_rating(d, v), [0.0, 0.1, 1.15, 1.3, 2.5, 0.625],
                               rtol=1e-15)
    # FD2320 classes: < 0.75 low, < 1.25 danger for some, < 2.0 for most, else for all
    hr = np.array([0.0, 0.74, 0.75, 1.24, 1.25, 1.99, 2.0, 5.0])
    np.testing.assert_array_equal(hazard_class(hr), [0, 0, 1, 1, 2, 2, 3, 3])


def test_water_traps_walkers_and_stalls_cars_but_spares_people_indoors():
    hazard, world = flood()
    net = world.network
    a = int(np.flatnonzero((net.node_x_m == 200) & (net.node_y_m == 200))[0])
    b = int(np.flatnonzero((net.node_x_m == 0) & (net.node_y_m == 0))[0])
    hazard.h[:] = 0.0
    idx, _ = hazard._cells(np.array([200.0]), np.array([200.0]))
    hazard.h.ravel()[idx] = 0.6  # HR = 0.6 x 0.5 + 1 = 1.3: danger for most
    settings = [Setting.ON_FOOT] * 3 + [Setting.IN_CAR, Setting.HOME, Setting.SHELTERING,
                                        Setting.ON_FOOT]
    who = people([200] * 6 + [0], [200] * 6 + [0], [a] * 6 + [b], settings,
                  persons=[1, 2, 3, 4, 5, 6, 7])
    harm = hazard.expose(0.0, 10.0, who)
    # walkers cannot go on (danger for most); the car stalls (0.6 m >= 0.3 m); indoors: none
    np.testing.assert_array_equal(harm.trapped, [1, 1, 1, 1, 0, 0, 0])
    assert not harm.dead.any()
    (call,) = hazard.incidents()
    assert call.kind == "flood_rescue" and call.node == a and call.t_s == 10.0
    assert dict(call.needs) == {"rescue": 1}
    np.testing.assert_array_equal(call.agents, [0, 1, 2, 3])
    # the car protects its occupants from harm below danger for all
    assert not harm.injured[3]
    # exposed again: the same agents, no second call
    harm2 = hazard.expose(10.0, 10.0, who)
    np.testing.assert_array_equal(harm2.trapped, harm.trapped)
    assert hazard.incidents() == []
    s = hazard.summary()
    assert s["flood_persons_in_water"] == 1 + 2 + 3 + 4
    assert s["flood_persons_trapped"] == 10 and s["flood_rescue_calls"] == 1
    assert s["flood_max_hazard_rating"] == pytest.approx(1.3)


def test_shallow_water_only_slows():
    hazard, world = flood()
    idx, _ = hazard._cells(np.array([200.0]), np.array([200.0]))
    hazard.h.ravel()[idx] = 0.2  # HR 0.1: low
    harm = hazard.expose(0.0, 10.0, people([200], [200], [12], [Setting.ON_FOOT]))
    assert not (harm.trapped.any() or harm.injured.any() or harm.dead.any())
    assert hazard.incidents() == []
    # what slows them is the road's wading factor (cars: Pregnolato's)
    assert 0 < hazard.walk_effects().min() <= 1


@pytest.mark.parametrize("setting", [Setting.ON_FOOT, Setting.IN_CAR])
def test_harm_follows_the_probabilities_and_the_seed(setting):
    n = 4000
    outcomes = []
    for seed in (1, 1, 2):
        hazard, _ = flood(seed)
        idx, _ = hazard._cells(np.array([200.0]), np.array([200.0]))
        hazard.h.ravel()[idx] = 2.1  # HR = 2.1 x 0.5 + 1 = 2.05: danger for all
        harm = hazard.expose(0.0, 10.0, people([200] * n, [200] * n, [12] * n, [setting] * n))
        outcomes.append(harm)
    a, same, other = outcomes
    np.testing.assert_array_equal(a.injured, same.injured)  # same seed, same people hurt
    np.testing.assert_array_equal(a.dead, same.dead)
    assert (a.injured != other.injured).any()  # another seed, others
    # injured with p = 0.5 (danger for all); an injured person dies with p = 0.02 x 2.05.
    # Tolerances: 4 binomial standard deviations (0.032 and 0.018).
    assert a.injured.mean() == pytest.approx(0.5, abs=4 * np.sqrt(0.25 / n))
    p_dead = 0.02 * 2.05
    share = a.dead.sum() / a.injured.sum()
    assert share == pytest.approx(p_dead, abs=4 * np.sqrt(p_dead * (1 - p_dead) / (n / 2)))
    assert not (a.dead & ~a.injured).any()
    assert a.trapped.sum() == n - a.dead.sum()  # everyone else waits for the boats


def test_the_people_in_water_block_sets_the_numbers():
    extra = ("    people_in_water: {injury_probability: [0, 0, 1], fatality_per_hr: 0, "
             "trapped_from: all, rescue_units: {rescue: 1, ambulance: 1}}")
    hazard, _ = flood(extra=extra)
    idx, _ = hazard._cells(np.array([200.0]), np.array([200.0]))
    hazard.h.ravel()[idx] = 2.1
    harm = hazard.expose(0.0, 10.0, people([200] * 50, [200] * 50, [12] * 50,
                                          [Setting.ON_FOOT] * 50))
    assert harm.injured.all() and not harm.dead.any() and harm.trapped.all()
    (call,) = hazard.incidents()
    assert dict(call.needs) == {"rescue": 1, "ambulance": 1}
    hazard.h.ravel()[idx] = 0.6  # danger for most: not trapped when trapped_from is 'all'
    fresh, _ = flood(extra=extra)
    fresh.h.ravel()[idx] = 0.6
    harm = fresh.expose(0.0, 10.0, people([200], [200], [12], [Setting.ON_FOOT]))
    assert not harm.trapped.any() and not harm.injured.any()


def test_in_an_underpass_or_over_it():
    from tests.hazards.test_flood_underpasses import town

    scenario = town()
    world = build_world(scenario, world_streams(3))
    (hazard,) = build_hazards(scenario, world, world_streams(3))
    net = world.network
    node = int(np.flatnonzero((net.node_x_m == 1000) & (net.node_y_m == 1000))[0])
    idx, _ = hazard._cells(np.array([1100.0]), np.array([1000.0]))
    hazard.h.ravel()[idx] = 3.0  # 3 m of water in the 4 m trough: 1 m below the street
    # on the road through the tunnel (its axis, off a node): 3 m; beside it, on the street
    # above the trough: dry
    who = people([1100.0, 1100.0], [1000.0, 1010.0], [node, node], [Setting.ON_FOOT] * 2)
    harm = hazard.expose(0.0, 10.0, who)
    np.testing.assert_array_equal(harm.trapped, [True, False])
    assert hazard.summary()["flood_persons_in_water"] == 1
    assert hazard.summary()["flood_max_hazard_rating"] == pytest.approx(3.0 * 0.5 + 1.0)


def test_injury_shares_are_named_validated_and_sweepable():
    from citysim.errors import ScenarioError

    hazard, _ = flood(extra="    people_in_water: {injury_probability: {most: 0.3}}")
    shares = hazard.cfg.people_in_water.injury_probability
    assert (shares.some, shares.most, shares.all) == (0.05, 0.3, 0.5)  # the rest default
    np.testing.assert_array_equal(shares.by_class(), [0.0, 0.05, 0.3, 0.5])
    with pytest.raises(ScenarioError) as err:
        flood(extra="    people_in_water: {injury_probability: [0.5, 0.2, 0.1]}")
    message = err.value.render()
    assert "hazards[0].people_in_water.injury_probability" in message
    assert "some <= most <= all" in message
    # an experiment sweeps one share by its path
    swept = load_scenario_text(CITY.format(seed=1, extra=""), base_dir=".", overrides=[
        "hazards[0].people_in_water.injury_probability.all=0.8"])
    assert swept.hazards[0].people_in_water.injury_probability.all == 0.8
PLAIN = """\
name: still-water
run: {{duration: 3h, dt: 10s, seed: 5}}
city:
  network: {{synthetic: {{kind: grid, rows: 5, cols: 5, block_m: 200}}}}
  terrain: {{synthetic: {{kind: plane, cell_m: 50, slope: 0}}}}
  population: {{residents: 500, persons_per_agent: 1}}
shelters: [{{id: S, location: {{x: 0, y: 0}}, capacity: 1000}}]
stations:
  - {{id: F1, location: {{x: 400, y: 400}}, units: {{rescue: 4}}, turnout: 60s}}
behaviour:
  warnings: [{{at: 0, reach: 1.0}}]
  action: evacuate
  response_delay: {{dist: fixed, value: 20min}}
  compliance: 1.0
  mode_share: {{walk: 1.0, car: 0.0}}
  word_of_mouth_per_h: 0
response:
  service_time: {{dist: fixed, value: 10min}}
outputs: {{every: 10min, plots: false}}
hazards:
  - type: flood
    rain_mm_h: [[0, {rain}], [10min, 0]]
    drainage_mm_h: 0
    boundary: closed
"""


def still_water(depth_m: float):
    """500 walkers who set off 20 min after the rain filled a flat closed plain to ``depth_m``."""
    from tests.agents.line_world import scenario_model

    return scenario_model(PLAIN.format(rain=depth_m * 6000.0))


def stuck_walkers(model) -> np.ndarray:
    """Walkers EVACUATING who cannot move: on an edge closed to walkers, or at speed 0 there."""
    from citysim.agents import _kernels
    from citysim.agents.states import State

    res = model.residents
    walking = np.flatnonzero((res.state == State.EVACUATING) & (res.mode == 0))
    roads = model._kernel_roads()
    _, walk, car = _kernels.edge_speeds(roads, model.roads.occupancy, model.roads.queued)
    factor = roads[5]  # the hazards' speed factors, walkers and cars
    speed = np.array([_kernels._speed(res.plan.v0_mps[i], 0, res.edge[i], walk, car, factor)
                      for i in walking])
    moving = res.queue[walking] < 0
    return walking[(model.walk_speed_factor[res.edge[walking]] <= 0) | (moving & (speed <= 0))]


def run_conserving(model):
    from citysim.agents.states import final_groups

    total = int(model.residents.persons.sum())
    while model.running:
        model.step()
        assert sum(final_groups(model.state_counts()).values()) == total
        assert stuck_walkers(model).size == 0
    model.finish()
    return model


@pytest.mark.parametrize("depth_m", [0.3, 0.4, 0.49])
def test_walkers_wade_through_still_water_below_danger_for_most(depth_m):
    # HR = 0.5 d + 1 = 1.15-1.245 (danger for some): nobody is trapped, everyone wades to the
    # shelter at 0.53 M^-0.19 m/s (M = d²/2): 0.95 m/s at 0.3 m, 0.80 at 0.49 m
    from citysim.agents.states import State

    model = run_conserving(still_water(depth_m))
    (flood_,) = model.hazards
    assert flood_.max_depth_m == pytest.approx(depth_m, rel=1e-3)
    state = model.residents.state
    assert (state == State.EVACUATED).all()
    assert flood_.rescue_calls == 0 and not (state == State.TRAPPED).any()
    # slowed, not stopped: the walk takes longer than it would in dry streets
    v = wading_speed_factor(np.array([depth_m]))[0]
    assert 0.55 < v < 0.75
    res = model.residents
    home = res.plan.home_node
    net = model.world.network
    distance = net.node_x_m[home] + net.node_y_m[home]  # Manhattan distance to the corner
    walked = res.t_arrive_s - res.t_act_s
    far = distance > 600
    assert (walked[far] > distance[far] / res.plan.v0_mps[far]).all()


def test_walkers_in_water_too_deep_to_go_on_are_trapped_and_call_for_rescue():
    # 0.6 m of still water: HR = 1.3, danger for most: nobody walks on, everyone who set off
    # waits where they stand for a rescue, one call per node
    from citysim.agents.states import State

    model = run_conserving(still_water(0.6))
    (flood_,) = model.hazards
    state = model.residents.state
    assert not (state == State.EVACUATING).any()
    stopped = np.isin(state, (State.TRAPPED, State.RESCUED, State.DEAD, State.EVACUATED))
    assert stopped.all()
    assert flood_.rescue_calls > 0
    inc = model.incidents_frame()
    assert (inc["kind"] == "flood_rescue").sum() == flood_.rescue_calls
    assert (state == State.RESCUED).any()  # the rescue units reached some of them
