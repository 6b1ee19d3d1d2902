"""Fire and rescue response: queueing references, audit chains, closures."""

import numpy as np
import pandas as pd
import pytest

import citysim
from citysim.metrics import summarize_model, within_standard
from citysim.scenario import load_scenario_text
from citysim.world.network import RoadNetwork
from citysim.world.synthetic import grid_city
from tests.agents.line_world import line_model, line_network, run

RESPONSE = """\
response:
  service_time: {{dist: exponential, mean: {mean_s}}}
  background_calls: {{rate_per_h: {rate}, distribution: population}}
  when_all_busy: {busy}
"""


def one_station_queue(engines, rate_per_h, mean_s, hours, busy):
    """Calls at the station itself (no turnout, no travel): an M/M/c queue or loss system."""
    net = line_network([100.0])
    model = line_model(net, home_nodes=[0], persons=[1], shelter_nodes=[1], capacities=[1],
                       dt=36000.0, duration=f"{hours}h", stations=[(0, {"engine": engines}, 0.0)],
                       extra=RESPONSE.format(mean_s=mean_s, rate=rate_per_h, busy=busy))
    run(model)
    model.finish()
    return model


def test_lost_calls_are_an_erlang_b_system():
    # c = 5, lambda = 3/h, E[S] = 1 h, calls lost when all are busy: B = 0.110054 (MODELS.md)
    model = one_station_queue(5, 3, 3600, 20000, "lost")
    inc = model.incidents_frame()
    # 60,000 calls; lost calls come in runs (busy periods): the batch-means standard error
    # is about 0.002; 0.008 is 4 of them
    assert len(inc) > 55000
    assert inc["lost"].mean() == pytest.approx(0.110054, abs=0.008)
    assert inc.loc[inc["lost"], "t_dispatch_s"].isna().all()


@pytest.mark.parametrize(("engines", "rate_per_h", "mean_s", "hours", "p_wait", "wq_min"), [
    (5, 3.0, 3600, 40000, 0.236152, 7.085),  # MODELS.md: a = 3, C = 0.236152, Wq = 7.085 min
    (2, 1.2, 2700, 60000, 0.279310, 11.426),  # a = 0.9, C = 0.279310, Wq = 11.426 min
])
def test_one_station_is_an_erlang_c_queue(engines, rate_per_h, mean_s, hours, p_wait, wq_min):
    model = one_station_queue(engines, rate_per_h, mean_s, hours, "queue")
    inc = model.incidents_frame()
    done = inc[inc["t_arrive_s"].notna()]
    assert len(done) > 60000
    # no turnout, no travel: the whole response time is the wait in the queue
    assert (done["turnout_s"] == 0).all() and (done["travel_s"] == 0).all()
    assert (done["response_time_s"] == done["queue_wait_s"]).all()
    wait_min = done["queue_wait_s"].to_numpy() / 60
    # waits are correlated within busy periods: 30 consecutive batches, whose means are
    # nearly independent, give the standard error; the run is long enough for it to be
    # under 5 % of Wq, and the mean must be within 3 of them
    batches = np.array([b.mean() for b in np.array_split(wait_min, 30)])
    se = batches.std(ddof=1) / np.sqrt(batches.size)
    assert se < 0.05 * wq_min
    assert abs(wait_min.mean() - wq_min) <= 3 * se
    queued = done["queued"].to_numpy(float)
    se_q = np.array([b.mean() for b in np.array_split(queued, 30)]).std(ddof=1) / np.sqrt(30)
    assert abs(queued.mean() - p_wait) <= 3 * se_q
    assert (done.loc[~done["queued"], "queue_wait_s"] == 0).all()
    utilisation = model.response.busy_unit_s / (engines * model.t_s)
    assert utilisation == pytest.approx(rate_per_h * mean_s / 3600 / engines, abs=0.02)


def test_a_call_that_waits_20_min_is_never_within_the_standard():
    # one engine, turnout 60 s, 100 m at 10 m/s to each of two calls; the first keeps it
    # 20 min on scene; the second, called at 1 s, gets it from that scene on its way back
    net = line_network([100.0, 100.0], speed_mps=[10.0, 10.0])
    model = line_model(net, home_nodes=[0], persons=[1], shelter_nodes=[2], capacities=[1],
                       dt=60.0, duration="1h", stations=[(0, {"engine": 1}, 60.0)],
                       extra=RESPONSE.format(mean_s=1, rate=0, busy="queue").replace(
                           "{dist: exponential, mean: 1}", "{dist: fixed, value: 20min}"))
    first = model.response.raise_incident(0.0, 1, "background", {"engine": 1})
    second = model.response.raise_incident(1.0, 2, "background", {"engine": 1})
    run(model)
    model.finish()
    inc = model.incidents_frame()
    a, b = inc.iloc[first], inc.iloc[second]
    assert (a["queue_wait_s"], a["turnout_s"], a["travel_s"]) == (0.0, 60.0, 10.0)
    assert a["response_time_s"] == 70.0
    # dispatched when the first clears (70 s + 20 min), no turnout, 10 s on from the scene
    assert b["queued"] and b["t_dispatch_s"] == 1270.0
    assert (b["queue_wait_s"], b["turnout_s"], b["travel_s"]) == (1269.0, 0.0, 10.0)
    assert b["response_time_s"] == 1279.0  # from the call, not the 10 s from dispatch
    summary = summarize_model(model, wall_time_s=0.0)
    assert summary["response_within_standard_fraction"] == 0.5  # only the first one
    assert summary["response_time_p90_s"] > 300
    assert model.stations_frame()["within_standard_fraction"].iloc[0] == 0.5



def test_unreached_calls_count_outside_the_standard_once_they_waited_longer():
    # run ends at 3600 s, standard 300 s: reached in 100 s (in), in 400 s (out), unreached
    # after 1000 s (out), unreached but called 100 s before the end (unknown: left out),
    # lost 10 s before the end (out: never reached)
    inc = pd.DataFrame({"t_call_s": [0.0, 0.0, 2600.0, 3500.0, 3590.0],
                        "response_time_s": [100.0, 400.0, np.nan, np.nan, np.nan],
                        "t_clear_s": [900.0, 900.0, np.nan, np.nan, np.nan],
                        "lost": [False, False, False, False, True]})
    assert within_standard(inc, 300.0, 3600.0) == 1 / 4
    # over without a unit 200 s after the call (a fire that went out): left out
    over = inc.iloc[[0, 2]].assign(t_clear_s=[900.0, 2800.0])
    assert within_standard(over, 300.0, 3600.0) == 1.0
    assert within_standard(inc.iloc[[3]], 300.0, 3600.0) is None


def two_sector_model(weights, *, hours=4000):
    # Larson's 1 x 2 mile region, two equal square sectors, a unit at each centre;
    # roads so fast that travel takes no time (the hypercube counts service only)
    mile = 1609.344
    grid = grid_city(8, 16, block_m=2 * mile / 15, arterial_every=0)  # 8 columns a sector
    net = RoadNetwork.from_edges(grid.node_x_m, grid.node_y_m, grid.edge_tail, grid.edge_head,
                                 length_m=grid.length_m, road_class=grid.road_class,
                                 speed_mps=np.full(grid.n_edges, 1e5))
    left = net.node_x_m < mile
    sector_nodes = [np.flatnonzero(left), np.flatnonzero(~left)]
    homes, persons = [], []
    for nodes, w in zip(sector_nodes, weights, strict=True):
        homes += list(nodes)
        persons += [w] * len(nodes)
    centres = [int(np.argmin(np.hypot(net.node_x_m - x, net.node_y_m - mile / 2)))
               for x in (mile / 2, 1.5 * mile)]
    model = line_model(net, home_nodes=homes, persons=persons, shelter_nodes=[0],
                       capacities=[0], dt=600.0, duration=f"{hours}h",
                       stations=[(centres[0], {"engine": 1}, 0.0),
                                 (centres[1], {"engine": 1}, 0.0)],
                       extra=RESPONSE.format(mean_s=1800, rate=2, busy="lost"))
    run(model)
    model.finish()
    return model, left


def sector_results(model, left):
    inc = model.incidents_frame()
    served = inc[~inc["lost"]]
    sector = np.where(left[served["node"].to_numpy()], 0, 1)
    unit = np.where(served["units"].str.startswith("F1").to_numpy(), 0, 1)
    busy = (served["t_clear_s"] - served["t_dispatch_s"]).to_numpy()
    workload = [busy[unit == k].sum() / model.t_s for k in (0, 1)]
    across = [float(np.mean((unit == k) & (sector != k))) for k in (0, 1)]  # of dispatches
    return inc["lost"].mean(), workload, across


def test_two_unit_hypercube_symmetric():
    model, left = two_sector_model([1, 1])
    lost, workload, across = sector_results(model, left)
    ts = model.timeseries_frame()
    # Larson (1974): P(both free) = 2/5, workloads 2/5, loss 1/5, 1/8 of the dispatches
    # cross sectors, for each unit; 8,000 calls: tolerances about 3 standard errors
    assert (ts["busy_units"] == 0).mean() == pytest.approx(0.4, abs=0.03)
    assert lost == pytest.approx(0.2, abs=0.02)
    assert workload == pytest.approx([0.4, 0.4], abs=0.03)
    assert across == pytest.approx([0.125, 0.125], abs=0.02)


def test_two_unit_hypercube_asymmetric():
    model, left = two_sector_model([3, 1])  # lambda1 = 1.5/h, lambda2 = 0.5/h
    lost, workload, _ = sector_results(model, left)
    assert lost == pytest.approx(0.2, abs=0.02)
    assert workload == pytest.approx([0.45, 0.35], abs=0.03)


NORMAL_DAY = """\
name: calls
run: {duration: 24h, dt: 10s, seed: 3}
city:
  network: {synthetic: {kind: grid, rows: 12, cols: 12, block_m: 250, arterial_every: 4}}
  population: {residents: 20000, persons_per_agent: 10}
stations:
  - {id: F1, location: {x: 500, y: 500}, units: {engine: 2}, turnout: 80s}
  - {id: F2, location: {x: 2250, y: 2250}, units: {engine: 1, ladder: 1}, turnout: 60s}
response:
  standard: 5min
  service_time: {dist: lognormal, median: 40min, sigma: 0.5}
  background_calls: {rate_per_h: 4, distribution: population}
outputs: {every: 10min, plots: false}
"""


def test_audit_chains_are_ordered_and_the_kpis_match_the_table():
    out = citysim.run(load_scenario_text(NORMAL_DAY, base_dir="."))
    inc = out.incidents
    assert len(inc) > 60 and inc["queued"].any()
    done = inc[inc["t_clear_s"].notna()]
    assert (done["t_call_s"] <= done["t_dispatch_s"]).all()
    assert (done["t_dispatch_s"] <= done["t_arrive_s"]).all()
    assert (done["t_arrive_s"] <= done["t_clear_s"]).all()
    assert (inc["response_time_s"].dropna() >= 0).all()
    reached = inc[inc["t_arrive_s"].notna()]
    parts = reached["queue_wait_s"] + reached["turnout_s"] + reached["travel_s"]
    np.testing.assert_allclose(parts, reached["response_time_s"], atol=1e-6)
    np.testing.assert_allclose(reached["response_time_s"],
                               reached["t_arrive_s"] - reached["t_call_s"], atol=1e-6)
    assert (reached.loc[reached["queued"], "queue_wait_s"] > 0).all()
    s = out.summary
    rt = inc["response_time_s"].dropna()
    assert s["incidents_total"] == len(inc)
    # calls still unreached at the end after more than 5 min count as outside the standard
    waiting = inc["t_arrive_s"].isna() & (24 * 3600 - inc["t_call_s"] > 300)
    assert waiting.any()
    assert s["response_within_standard_fraction"] == pytest.approx(
        (rt <= 300).sum() / (len(rt) + waiting.sum()))
    assert s["response_time_p90_s"] == pytest.approx(np.quantile(rt, 0.9))
    assert s["calls_queued_fraction"] == pytest.approx(inc["queued"].mean())
    assert 0 < s["unit_utilization"] < 1
    ts = out.timeseries
    assert ts["busy_units"].max() <= 3 and (ts["busy_units"] >= 0).all()
    # background calls need engines: the ladder never goes out
    assert not inc["units"].str.contains("ladder").any()
    st = out.stations.set_index("station")
    assert st["first_arrivals"].sum() == len(rt)
    assert st.loc["F1", "units_engine"] == 2 and st.loc["F2", "units_ladder"] == 1
    units = st["units"].to_numpy()
    pooled = (st["unit_utilization"].to_numpy() * units).sum() / units.sum()
    assert pooled == pytest.approx(s["unit_utilization"])


def test_closed_roads_lengthen_response(tmp_path, with_road_block):
    import yaml
    base = NORMAL_DAY.replace("24h", "12h")
    block = {"type": "road_block", "location": {"x": 500, "y": 500}, "radius_m": 260, "at": 0}
    closed = base + yaml.safe_dump({"hazards": [block]})
    normal = citysim.run(load_scenario_text(base, base_dir=tmp_path))
    blocked = citysim.run(load_scenario_text(closed, base_dir=tmp_path))
    a, b = normal.incidents, blocked.incidents
    # same calls (the hazard has its own random stream), longer ways around the closure
    pd.testing.assert_series_equal(a["t_call_s"], b["t_call_s"])
    assert b["response_time_s"].mean() > a["response_time_s"].mean()


def test_run_cards_and_priorities():
    # one station: two engines and a ladder; a building fire wants both engines and the
    # ladder; a later urgent call jumps the queue ahead of an earlier routine one
    net = line_network([200.0, 200.0], speed_mps=[10.0, 10.0])
    model = line_model(net, home_nodes=[0], persons=[1], shelter_nodes=[2], capacities=[1],
                       dt=10.0, duration="3h",
                       stations=[(0, {"engine": 2, "ladder": 1}, 60.0)],
                       extra=RESPONSE.format(mean_s=1800, rate=0, busy="queue"))
    resp = model.response
    fire = resp.raise_incident(0.0, 2, "building_fire", {"engine": 2, "ladder": 1}, priority=1)
    routine = resp.raise_incident(10.0, 1, "background", {"engine": 1}, priority=2)
    urgent = resp.raise_incident(20.0, 1, "rescue", {"engine": 1}, priority=1)
    run(model)
    model.finish()
    inc = model.incidents_frame().set_index("incident")
    f = inc.iloc[fire]
    assert sorted(f["units"].split(",")) == ["F1-engine1", "F1-engine2", "F1-ladder1"]
    assert f["response_time_s"] == pytest.approx(60 + 40)  # turnout + 400 m at 10 m/s
    assert not f["queued"] and inc.iloc[routine]["queued"] and inc.iloc[urgent]["queued"]
    # the urgent call gets the first engine freed, the routine one waits longer
    assert inc.iloc[urgent]["t_dispatch_s"] < inc.iloc[routine]["t_dispatch_s"]
    assert f["t_clear_s"] >= inc.iloc[fire]["t_arrive_s"]


JAM = """\
name: jam
run: {duration: 1h, dt: 5s, seed: 8}
city:
  network: {synthetic: {kind: grid, rows: 10, cols: 10, block_m: 200, arterial_every: 20}}
  population: {residents: 12000, persons_per_agent: 4}
shelters:
  - {id: S1, location: {x: 1600, y: 200}, capacity: 20000}  # next to the station
stations:
  - {id: F1, location: {x: 1800, y: 0}, units: {engine: 6}, turnout: 60s}
behaviour:
  warnings: %s
  response_delay: {dist: fixed, value: 0}
  compliance: 1.0
  action: evacuate
  mode_share: {walk: 0.0, car: 1.0}
  persons_per_car: 1.0
response:
  service_time: {dist: fixed, value: 20min}
  background_calls: {rate_per_h: 30, distribution: uniform}
outputs: {every: 5min, plots: false}
"""


def test_evacuating_traffic_slows_the_engines():
    calm = citysim.run(load_scenario_text(JAM % "[]", base_dir="."))
    jam = citysim.run(load_scenario_text(JAM % "[{at: 0, reach: 1.0}]", base_dir="."))
    a, b = calm.incidents, jam.incidents
    pd.testing.assert_series_equal(a["t_call_s"], b["t_call_s"])  # same calls
    early = a["t_call_s"] < 1200  # while 12,000 cars queue toward the shelter
    assert b["travel_s"][early].mean() > 1.2 * a["travel_s"][early].mean()


def test_a_unit_out_of_service_takes_no_call_and_finishes_the_one_it_has():
    # one station, two engines; engine1 goes out of service at 2 h (busy or not) until 6 h
    net = line_network([100.0])
    extra = RESPONSE.format(mean_s=1800, rate=2, busy="queue") + (
        "  out_of_service: [{unit: F1-engine1, at: 2h, until: 6h}]\n")
    model = line_model(net, home_nodes=[0], persons=[1], shelter_nodes=[1], capacities=[1],
                       dt=60.0, duration="10h", stations=[(0, {"engine": 2}, 0.0)], extra=extra)
    run(model)
    model.finish()
    inc = model.incidents_frame()
    by_one = inc[inc["units"].str.contains("F1-engine1")]
    assert ((by_one["t_dispatch_s"] < 7200) | (by_one["t_dispatch_s"] >= 21600)).all()
    assert (by_one["t_dispatch_s"] >= 21600).any()  # back in service afterwards
    # while it is out, calls queue behind the one engine left: more of them wait
    out = inc[(inc["t_call_s"] >= 7200) & (inc["t_call_s"] < 21600)]
    before = inc[inc["t_call_s"] < 7200]
    assert out["queued"].mean() > before["queued"].mean()
    assert (inc["response_time_s"].dropna() >= 0).all()


def test_out_of_service_names_a_unit_the_stations_have():
    from citysim.errors import ScenarioError
    from citysim.rng import Streams
    from citysim.world.builder import build_world
    from tests.scenarios import SMALL_CITY

    text = SMALL_CITY + "response: {out_of_service: [{unit: F1-engine9, at: 10min}]}\n"
    scenario = load_scenario_text(text, base_dir=".")
    with pytest.raises(ScenarioError) as err:
        build_world(scenario, Streams(np.random.SeedSequence(0)))
    message = err.value.render()
    assert "response.out_of_service[0].unit" in message and "F1-engine1" in message
    bad = SMALL_CITY + "response: {out_of_service: [{unit: F1-engine1, at: 1h, until: 10min}]}\n"
    with pytest.raises(ScenarioError, match="until must be after at"):
        load_scenario_text(bad, base_dir=".")


@pytest.mark.parametrize("spells", [
    "[{unit: F1-engine1, at: 10min, until: 60min}, {unit: F1-engine1, at: 20min, until: 30min}]",
    "[{unit: F1-engine1, at: 30min, until: 50min}, {unit: F1-engine1, at: 10min, until: 30min}]",
])
def test_overlapping_and_back_to_back_spells_keep_a_unit_out_until_the_last_ends(spells):
    from citysim.agents.response import UnitState

    net = line_network([100.0])
    extra = RESPONSE.format(mean_s=60, rate=0, busy="queue") + f"  out_of_service: {spells}\n"
    model = line_model(net, home_nodes=[0], persons=[1], shelter_nodes=[1], capacities=[1],
                       dt=60.0, duration="2h", stations=[(0, {"engine": 2}, 0.0)], extra=extra)
    end_s = 3600.0 if "60min" in spells else 3000.0
    engine1 = model.response.units[0]
    while model.running:
        model.step()
        out = engine1.state == UnitState.OUT_OF_SERVICE
        assert out == (600.0 <= model.t_s < end_s), model.t_s


def test_a_unit_is_never_counted_twice_for_one_incident():
    # a call needing two engines in a city with one: the engine goes once, the call waits
    net = line_network([100.0])
    extra = RESPONSE.format(mean_s=120, rate=0, busy="queue")
    model = line_model(net, home_nodes=[0], persons=[1], shelter_nodes=[1], capacities=[1],
                       dt=60.0, duration="1h", stations=[(0, {"engine": 1}, 0.0)], extra=extra)
    index = model.response.raise_incident(0.0, 1, "house_fire", {"engine": 2})
    run(model)
    inc = model.response.incidents[index]
    assert inc["units"] == "F1-engine1"  # sent once, not again as its own second engine
    assert model.response.needs_left[index] == {"engine": 1}
    assert not model.response.is_over(index)  # still waiting for a second engine


@pytest.mark.parametrize("speed", [1.5, 0.0])
def test_rescue_units_reach_a_call_inside_closed_roads_at_their_speed(tmp_path, with_road_block,
                                                                      speed):
    import yaml

    from citysim.model import CityModel
    from citysim.rng import replication_seeds, world_streams
    from citysim.world.builder import build_world
    from tests.hazards import road_block
    from tests.scenarios import SMALL_CITY

    text = (SMALL_CITY + f"response: {{rescue_speed_closed_mps: {speed}, "
            "service_time: {dist: fixed, value: 60}}\n"
            + yaml.safe_dump({"hazards": [{**road_block.EXAMPLE, "at": 0}]}))
    scenario = load_scenario_text(text, base_dir=tmp_path)
    world = build_world(scenario, world_streams(scenario.run.seed))
    model = CityModel(scenario, replication_seeds(scenario.run.seed, 1)[0], world=world)
    model.step()  # the block is closed from the first step
    (block,) = model.hazards
    net = world.network
    inside = np.flatnonzero(block.node_in_zone)
    # a node all of whose roads are closed: only a unit that may use closed roads gets there
    node = next(int(v) for v in inside
                if model.edge_closed[(net.edge_head == v) | (net.edge_tail == v)].all())
    engine_call = model.response.raise_incident(model.t_s, node, "trapped", {"engine": 1})
    rescue_call = model.response.raise_incident(model.t_s, node, "trapped", {"rescue": 1})
    while model.running:
        model.step()
    inc = model.response.incidents
    assert np.isnan(inc[engine_call]["t_arrive_s"])  # engines keep to open roads
    if speed == 0:
        assert np.isnan(inc[rescue_call]["t_arrive_s"])
        return
    assert inc[rescue_call]["unit"] == "F1-rescue1"
    # the last stretch goes at the rescue speed: slower than driving, but it gets there
    closed_in = model.edge_closed & (net.edge_head == node)
    slowest_last_leg = net.length_m[closed_in].min() / speed
    assert inc[rescue_call]["response_time_s"] >= slowest_last_leg
    assert np.isfinite(inc[rescue_call]["t_clear_s"])
