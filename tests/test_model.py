import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

import citysim
from citysim.agents.states import State
from citysim.app.run import run
from citysim.metrics import summarize_model
from citysim.model import CityModel
from citysim.rng import replication_seeds, world_streams
from citysim.scenario import load_scenario
from citysim.simulation import run_replication
from citysim.world.builder import build_world
from tests.scenarios import write_scenario


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    return load_scenario(write_scenario(tmp_path_factory.mktemp("s")))


def test_normal_day_runs_to_the_end_and_conserves_people(scenario):
    out = run(scenario)
    ts = out.timeseries
    assert ts["t_s"].iloc[0] == 0 and ts["t_s"].iloc[-1] == 1200
    np.testing.assert_allclose(np.diff(ts["t_s"]), 120)
    total = ts[["evacuated", "sheltered_in_place", "not_evacuated", "fatalities"]].sum(axis=1)
    assert (total == 5003).all()
    states = ts[["at_home", "warned", "deciding", "evacuating", "evacuated",
                 "sheltered_in_place", "stayed", "injured_waiting", "fatalities"]].sum(axis=1)
    assert (states == 5003).all()
    s = out.summary
    assert s["residents_total"] == 5003 and s["not_evacuated"] == 5003
    assert s["steps"] == 120
    # nothing happened, so the KPIs of events are null, not 0
    for key in ("evacuation_time_p50_s", "clearance_time_s", "response_time_p90_s",
                "calls_queued_fraction"):
        assert s[key] is None
    # the station's coverage of the intact network, as `citysim coverage` computes it
    from citysim.analysis.coverage import station_coverage

    expected = station_coverage(out.world, standard_s=300.0).coverage_fraction
    assert 0 < s["coverage_fraction"] <= 1 and s["coverage_fraction"] == expected
    assert s["incidents_total"] == 0 and len(out.incidents) == 0
    assert list(out.shelters["shelter"]) == ["S1", "S2"]
    assert len(out.probes) == len(ts)


def test_same_seed_same_results_other_seed_other_city(scenario):
    a, b = run(scenario), run(scenario)
    for name in ("timeseries", "incidents", "shelters", "probes"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    strip = lambda s: {k: v for k, v in s.items() if k != "wall_time_s"}  # noqa: E731
    assert strip(a.summary) == strip(b.summary)
    w1 = build_world(scenario, world_streams(1))
    w2 = build_world(scenario, world_streams(2))
    assert not np.array_equal(w1.population.home_node, w2.population.home_node)
    assert not np.array_equal(w1.network.node_x_m, w2.network.node_x_m)  # jittered grid


def test_replications_give_intervals_and_any_one_reruns_alone(tmp_path):
    sc = load_scenario(write_scenario(tmp_path), overrides=["run.replications=3"])
    out = run(sc, out=tmp_path / "out")
    assert len(out.replications) == 3
    assert set(out.timeseries["replication"]) == {0, 1, 2}
    s = out.summary["residents_total"]
    assert s == {"mean": 5003.0, "ci95_low": 5003.0, "ci95_high": 5003.0, "n": 3}
    assert out.summary["evacuation_time_p50_s"] is None
    world = build_world(sc, world_streams(sc.run.seed))
    model, summary = run_replication(sc, 1, world)
    row = out.replications.iloc[1]
    assert summary["steps"] == row["steps"] and summary["residents_total"] == row["residents"
                                                                                  "_total"]
    assert (tmp_path / "out" / "replications.parquet").exists()


def test_model_is_a_mesa_model_with_a_seeded_rng(scenario):
    world = build_world(scenario, world_streams(0))
    seq = replication_seeds(0, 1)[0]
    m1, m2 = CityModel(scenario, seq, world=world), CityModel(scenario, seq, world=world)
    assert m1.rng.random() == m2.rng.random()
    assert (m1.residents.state == State.AT_HOME).all()
    m1.step()
    assert m1.steps == 1 and m1.t_s == 10.0


def test_from_scenario_steps_to_the_replication_citysim_run_makes(tmp_path):
    # CityModel.from_scenario(s, replication=1) stepped to the end = row 1 of citysim.run
    sc = load_scenario(write_scenario(tmp_path), overrides=["run.replications=2"])
    whole = citysim.run(sc)
    model = CityModel.from_scenario(sc, replication=1)
    while model.running:
        model.step()
    model.finish()
    mine = summarize_model(model, wall_time_s=0.0)
    row = whole.replications.set_index("replication").loc[1]
    for kpi, value in mine.items():
        if kpi in ("wall_time_s",) or value is None:
            continue
        assert row[kpi] == pytest.approx(value, rel=0, abs=0), kpi
    rep1 = whole.timeseries[whole.timeseries["replication"] == 1]
    pdt.assert_frame_equal(model.timeseries_frame(),
                           rep1.drop(columns="replication").reset_index(drop=True),
                           check_dtype=False)


def test_the_model_needs_its_world():
    with pytest.raises(TypeError):
        CityModel(None, np.random.SeedSequence(0))  # no silent build of another city


def assert_counts_match_a_recount(model) -> None:
    """The running counts the time series read equal a full recount of the agents."""
    res = model.residents
    for mode in (0, 1):
        mine = res.mode == mode
        recount = np.bincount(res.state[mine], weights=res.persons[mine], minlength=len(State))
        np.testing.assert_array_equal(res.counts[mode], recount.astype(np.int64))
    hurt = res.injured & (res.state != State.DEAD)
    assert res.injured_persons == int(res.persons[hurt].sum())
    assert res.counts.sum() == int(res.persons.sum())  # nobody appears or vanishes


WORD_OF_MOUTH_AND_CARS = (
    "behaviour: {warnings: [{at: 1min, reach: 0.3}], compliance: 0.8, action: evacuate,\n"
    "  word_of_mouth_per_h: 6, mode_share: {walk: 0.6, car: 0.4},\n"
    "  response_delay: {dist: lognormal, median: 2min, sigma: 0.5}}\n")


@pytest.mark.parametrize("case", ["warnings_word_of_mouth_cars", "flood_traps_injures_rescues"])
def test_state_counts_are_kept_by_the_kernels_and_equal_a_recount_at_every_step(case):
    # the series read running counts (no per-agent scan); they must equal a recount of the
    # agents after every step of a real run, and the people must be conserved
    from tests.agents.line_world import scenario_model
    from tests.hazards.test_flood_people import still_water

    if case == "flood_traps_injures_rescues":
        model = still_water(0.6)
    else:
        from tests.scenarios import SMALL_CITY

        model = scenario_model(SMALL_CITY + WORD_OF_MOUTH_AND_CARS)
    assert_counts_match_a_recount(model)
    seen: set[int] = set()
    while model.running:
        model.step()
        assert_counts_match_a_recount(model)
        seen |= {int(s) for s in np.unique(model.residents.state)}
    model.finish()
    ts = model.timeseries_frame()
    res = model.residents
    final = {"evacuated_walk": res.counts[0, State.EVACUATED],
             "evacuated_car": res.counts[1, State.EVACUATED],
             "injured": res.injured_persons}
    for column, value in final.items():
        assert ts[column].iloc[-1] == value
    expected = ({State.TRAPPED, State.RESCUED, State.DEAD} if case.startswith("flood")
                else {State.WARNED, State.EVACUATING, State.EVACUATED,
                      State.NOT_EVACUATED})
    assert expected <= seen, seen  # the run went through the state changes it is meant to check
    if case.startswith("flood"):
        assert res.injured_persons > 0
