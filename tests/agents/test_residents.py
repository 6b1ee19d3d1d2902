"""Resident dynamics (docs/RESIDENTS.md): free flow, bottlenecks, spillback, shelters."""

import numpy as np
import pandas as pd
import pytest

import citysim
from citysim.agents import _kernels
from citysim.agents.states import State
from citysim.agents.traffic import (
    PED_CRITICAL_DENSITY_P_M2,
    PED_MAX_FLOW_P_MS,
    car_speed_mps,
    edge_traffic,
    walk_speed_mps,
)
from citysim.scenario import load_scenario_text
from tests.agents.line_world import (
    assert_roads_consistent,
    line_model,
    line_network,
    run,
    scenario_model,
)


def test_kernel_state_codes_match_the_enum():
    assert (_kernels.AT_HOME, _kernels.WARNED, _kernels.DECIDING, _kernels.EVACUATING,
            _kernels.EVACUATED, _kernels.SHELTERED_IN_PLACE, _kernels.NOT_EVACUATED) == (
        State.AT_HOME, State.WARNED, State.DECIDING, State.EVACUATING, State.EVACUATED,
        State.SHELTERED_IN_PLACE, State.NOT_EVACUATED)


def test_kernel_speeds_match_the_numpy_reference():
    net = line_network([100.0, 40.0, 250.0], width_m=[8.0, 3.0, 12.0], lanes=[1, 2, 1],
                       capacity_vph=[600, 1500, 900], speed_mps=[8.0, 13.9, 2.0])
    traffic = edge_traffic(net)
    rng = np.random.default_rng(0)
    factor = np.array([[0.9, 0.3, 1.0], [1.0, 0.5, 0.8]])  # walkers, cars
    roads = (net.edge_head, net.length_m, net.width_m, net.lanes, net.speed_mps, factor,
             traffic.flow_per_s, traffic.storage)
    for _ in range(200):
        occ = rng.uniform(0, 1, (2, 3)) * traffic.storage * rng.choice([0, 1], (2, 3))
        queued = occ * rng.uniform(0, 1, (2, 3)) * rng.choice([0, 1], (2, 3))
        free, walk, car = _kernels.edge_speeds(roads, occ, queued)
        v0 = rng.uniform(0.5, 2.0)
        for e in range(3):
            length = net.length_m[e]
            lw = max(length - queued[0, e] / (5.4 * net.width_m[e]), 0.01 * length)
            lc = max(length - queued[1, e] * 7.5 / net.lanes[e], 0.01 * length)
            np.testing.assert_allclose(free[:, e], [lw, lc], rtol=1e-12)
            rho = (occ[0, e] - queued[0, e]) / (lw * net.width_m[e])
            expect_walk = walk_speed_mps(v0 * factor[0, e], rho)
            got = _kernels._speed(v0, 0, e, walk, car, factor)
            np.testing.assert_allclose(got, expect_walk, rtol=1e-12)
            k = max(occ[1, e] - queued[1, e] - 1, 0) / (net.lanes[e] * lc)
            expect_car = car_speed_mps(k, net.speed_mps[e] * factor[1, e],
                                       traffic.flow_per_s[1, e] / net.lanes[e] * factor[1, e])
            np.testing.assert_allclose(car[e], expect_car, rtol=1e-12)


def test_speeds_fall_with_density_and_the_walking_capacity_is_the_curves_peak():
    rho = np.linspace(0.01, 5.4, 200)
    v = walk_speed_mps(1.34, rho)
    assert np.all(np.diff(v) <= 1e-12) and v[0] == pytest.approx(1.34, rel=1e-3)
    assert v[-1] == 0.0  # standing at jam density: those walkers are the edge's queue
    # Weidmann's flow peaks at about 1.225 persons/(m s) near 1.75 persons/m² (MODELS.md;
    # a dense scan of the curve gives 1.2249 at 1.7507): the walking lane's capacity
    assert PED_MAX_FLOW_P_MS == pytest.approx(1.2249, abs=1e-4)
    assert PED_CRITICAL_DENSITY_P_M2 == pytest.approx(1.7507, abs=1e-3)
    assert (rho * v).max() <= PED_MAX_FLOW_P_MS + 1e-12
    k = np.linspace(0.001, 1 / 7.5, 200)
    vc = car_speed_mps(k, 13.9, 600 / 3600)
    assert np.all(np.diff(vc) <= 1e-12) and vc[0] == 13.9
    assert (k * vc)[-1] == pytest.approx(600 / 3600)
    assert (k * vc).max() == pytest.approx(2000 / 3600, rel=0.01)


@pytest.mark.parametrize("dt", [1.0, 5.0])
def test_free_flow_arrival_is_distance_over_speed(dt):
    lengths = [120.0, 75.0, 300.0]
    net = line_network(lengths, speed_mps=[10.0, 5.0, 12.5])
    walker = run(line_model(net, home_nodes=[0], persons=[1], shelter_nodes=[3],
                            capacities=[10], dt=dt, v0=1.2))
    # warned at the end of the first step, zero response delay: departs at t = dt
    assert walker.residents.t_arrive_s[0] == pytest.approx(dt + sum(lengths) / 1.2, abs=1e-9)
    driver = run(line_model(net, home_nodes=[0], persons=[1], shelter_nodes=[3],
                            capacities=[10], dt=dt, car=1.0))
    assert driver.residents.mode[0] == 1
    expected = dt + 120 / 10 + 75 / 5 + 300 / 12.5
    assert driver.residents.t_arrive_s[0] == pytest.approx(expected, abs=1e-9)


def test_flow_through_a_bottleneck_equals_its_capacity():
    # 3000 walkers pass a 2 m wide edge (capacity: Weidmann's flow peak, 1.2249 persons/(m s)
    # at 1.7507 persons/m², by hand from the curve, x 2 m = 2.4498 persons/s)
    net = line_network([100.0, 100.0, 100.0], width_m=[30.0, 2.0, 30.0])
    model = run(line_model(net, home_nodes=[0] * 3000, persons=[1] * 3000, shelter_nodes=[3],
                           capacities=[5000], dt=1.0, duration="1h"))
    t = np.sort(model.residents.t_arrive_s)
    assert np.isfinite(t).all()
    lo, hi = t[600], t[2400]  # the steady middle of the passage
    rate = 1800 / (hi - lo)
    assert rate == pytest.approx(2.4498, rel=0.02)


def queued_agents(model, queue):
    """Agents waiting in queue ``queue`` (edge ends: mode * n_edges + edge)."""
    q = model.roads.q_head[queue]
    count = 0
    while q >= 0:
        count += 1
        q = model.residents.q_next[q]
    return count


@pytest.mark.parametrize("bottleneck_vph, spills", [(300.0, True), (5400.0, False)])
def test_queues_spill_back_upstream(bottleneck_vph, spills):
    # 120 cars leave together: a wide approach, a short link (storage 3 lanes x 50 m / 7.5 m
    # = 20 cars), then a short exit link (24 cars) whose capacity makes the difference
    net = line_network([500.0, 50.0, 60.0], lanes=[3, 3, 3],
                       capacity_vph=[5400, 5400, bottleneck_vph], speed_mps=[12.0, 12.0, 12.0])
    model = line_model(net, home_nodes=[0] * 120, persons=[1] * 120, shelter_nodes=[3],
                       capacities=[500], dt=1.0, duration="40min", car=1.0)
    storage = model.roads.traffic.storage[1]
    seen = {"short_full": False, "approach_queue_at_10min": None}

    def watch(m):
        occ = m.roads.occupancy[1]
        assert occ[1] <= storage[1] + 1 + 1e-9  # one car may enter an almost full link
        seen["short_full"] |= bool(occ[1] + 1 > storage[1])
        if m.t_s == 600:
            seen["approach_queue_at_10min"] = queued_agents(m, m.world.network.n_edges + 0)

    run(model, every_step=watch)
    assert seen["short_full"] is spills
    # with the exit restricted the queue reaches back onto the approach and stays there
    assert (seen["approach_queue_at_10min"] > 20) is spills
    assert np.isfinite(model.residents.t_arrive_s).all()  # everyone gets through in the end


OVERFLOW = """\
name: overflow
run: {duration: 40min, dt: 2s, seed: 5}
city:
  network: {synthetic: {kind: grid, rows: 9, cols: 9, block_m: 120, arterial_every: 4}}
  population: {residents: 3001, persons_per_agent: 2}
shelters:
  - {id: SMALL, location: {x: 480, y: 480}, capacity: 301}
  - {id: BIG, location: {x: 960, y: 0}, capacity: 2000}
  - {id: FAR, location: {x: 0, y: 960}, capacity: 300}
behaviour:
  warnings: [{at: 0, reach: 1.0}]
  response_delay: {dist: lognormal, median: 2min, sigma: 0.5}
  compliance: 1.0
  action: evacuate
  mode_share: {walk: 0.6, car: 0.4}
outputs: {every: 1min, plots: false}
"""


def test_people_are_conserved_and_shelters_never_overfill():
    model = scenario_model(OVERFLOW)
    res = model.residents
    capacity = model.shelters.capacity

    def check(m):
        assert m.state_counts().sum() == 3001
        assert np.all(m.shelters.occupancy <= capacity)
        assert_roads_consistent(m)
        inside = np.bincount(res.shelter[res.shelter >= 0],
                             weights=res.persons[res.shelter >= 0], minlength=3)
        np.testing.assert_array_equal(inside, m.shelters.occupancy)

    run(model, every_step=check)
    sh = model.shelters
    # SMALL holds 301 but agents are 2 persons: it closes at 300 or 301, turning people away
    assert sh.full[0] and sh.turned_away[0] > 0 and np.isfinite(sh.t_full_s[0])
    assert sh.occupancy.sum() == min(3001, int(capacity.sum())) - (capacity[0] - sh.occupancy[0])
    assert model.state_counts()[State.EVACUATED] == sh.occupancy.sum()


def test_same_seed_same_run_other_seed_other_times():
    a = citysim.run(load_scenario_text(OVERFLOW, base_dir="."))
    b = citysim.run(load_scenario_text(OVERFLOW, base_dir="."))
    c = citysim.run(load_scenario_text(OVERFLOW, base_dir=".", seed=6))
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    pd.testing.assert_frame_equal(a.agents, b.agents)
    assert a.summary["evacuation_time_p50_s"] != c.summary["evacuation_time_p50_s"]
    assert a.summary["evacuated"] > 2000


def test_a_lone_car_keeps_free_speed_on_short_edges():
    # short OpenStreetMap-like edges: a car is not slowed by its own density (dt such
    # that v * dt stays below the shortest edge: at most one node crossing per step)
    net = line_network([10.0, 12.0, 8.0, 20.0], lanes=[1, 1, 1, 1], speed_mps=[13.9] * 4)
    model = run(line_model(net, home_nodes=[0], persons=[1], shelter_nodes=[4],
                           capacities=[5], dt=0.5, car=1.0))
    assert model.residents.t_arrive_s[0] == pytest.approx(0.5 + 50.0 / 13.9, abs=1e-9)


def test_the_last_step_is_cut_to_the_end_of_the_run():
    # dt 5 s, duration 12 s: steps of 5, 5 and 2 s; a walker that would arrive at 13 s
    # has not arrived when the run ends
    net = line_network([8.0])
    model = run(line_model(net, home_nodes=[0], persons=[1], shelter_nodes=[1],
                           capacities=[5], dt=5.0, duration="12s", v0=1.0))
    assert model.steps == 3 and model.t_s == 12.0
    assert np.isnan(model.residents.t_arrive_s[0])
    assert model.residents.pos_m[0] == pytest.approx(7.0)  # departed at 5 s, walked 7 s


def test_the_clock_does_not_drift_with_small_steps():
    # a running float sum of 0.1 s steps is off by more than 1e-9 after about 38 min,
    # which delayed warnings and records by a step
    net = line_network([50.0])
    model = line_model(net, home_nodes=[0], persons=[1], shelter_nodes=[1], capacities=[5],
                       dt=0.1, duration="41min")
    model.plan.warn_at_s[:] = 2400.0  # the scenario's warning moved to 40 min
    run(model)
    assert model.residents.t_act_s[0] == 2400.0
    ts = model.timeseries_frame()
    np.testing.assert_allclose(ts["t_s"], np.arange(len(ts)) * 0.1)


def test_agents_stopped_by_a_hazard_leave_the_roads_cleanly():
    model = scenario_model(OVERFLOW)
    res = model.residents
    while model.t_s < 240:
        model.step()
    on_road = np.flatnonzero((res.state == State.EVACUATING) | (res.state == State.DECIDING))
    queued = on_road[res.queue[on_road] >= 0]
    moving = on_road[res.queue[on_road] < 0]
    assert queued.size > 10 and moving.size > 10
    victims = np.concatenate([queued[::3], moving[::3]])
    res.stop(victims, State.DEAD, model.roads)
    assert (res.edge[victims] == -1).all() and (res.queue[victims] == -1).all()
    while model.running:
        model.step()
        assert_roads_consistent(model)
        assert model.state_counts().sum() == 3001
    assert (res.state[victims] == State.DEAD).all()  # never revived into a shelter
    dead = int(res.persons[victims].sum())
    assert model.state_counts()[State.DEAD] == dead


@pytest.mark.parametrize("rho, expected", [
    # Weidmann (1993), 1.34 (1 - exp(-1.913 (1/rho - 1/5.4))), evaluated by hand
    # (MODELS.md's 1.282 and 0.643 at 0.5 and 2.0 are not what the formula gives)
    (0.5, 1.298), (1.0, 1.058), (2.0, 0.606), (3.0, 0.331),
])
def test_walkers_in_a_corridor_follow_weidmanns_curve(rho, expected):
    from benchmarks.validation.residents import corridor_speed_mps

    # walkers spread along a street at the density, moved by one model step; 0.1 % for
    # the 3-digit reference values
    assert corridor_speed_mps(rho) == pytest.approx(expected, rel=1e-3)


def test_the_walking_flow_peaks_at_about_1_22_near_1_75_persons_per_m2():
    from benchmarks.validation.residents import corridor_speed_mps

    flows = {rho: rho * corridor_speed_mps(rho) for rho in (1.5, 1.75, 2.0)}
    assert max(flows, key=flows.get) == 1.75
    assert flows[1.75] == pytest.approx(1.225, abs=1e-3)  # MODELS.md: about 1.22


def test_walkers_standing_in_a_jam_are_the_queue_and_drain_at_capacity():
    # a 50 m x 2 m street packed at jam density (5.4 persons/m²: 540 walkers), nobody queued
    # yet: Weidmann's speed is 0 there, so they stand in the queue and leave at the capacity
    # (1.2249 x 2 = 2.4498 persons/s, by hand from the curve's peak): about 220 s
    net = line_network([50.0], width_m=[2.0])
    n = 540
    model = line_model(net, home_nodes=[0] * n, persons=[1] * n, shelter_nodes=[1],
                       capacities=[n], dt=1.0, duration="10min", v0=1.34)
    res = model.residents
    res.place(np.arange(n), 0, (np.arange(n) + 0.5) * 50.0 / n, model.roads, net)
    res.n_undecided = 0
    model.step()
    assert (res.queue[res.state == State.EVACUATING] >= 0).all()
    run(model)
    assert (res.state == State.EVACUATED).all()
    assert res.t_arrive_s.max() == pytest.approx(n / 2.4498, abs=2.0)
