"""``citysim optimize``: bad requests, and plans proved (or not) by simulation."""

import json

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

import citysim
from citysim.app.optimize import paired_comparison, replication_kpis, run_optimize
from citysim.cli import main
from citysim.errors import ScenarioError
from citysim.placement import place, placement_problem, plan_scenario, plan_sites
from citysim.scenario import load_scenario
from tests.placement.cases import CITY, SHELTER_PLAN, built, small
from tests.scenarios import SMALL_CITY, write_scenario

# --------------------------------------------------------------------------- bad input


BAD = {
    "no candidates": (SMALL_CITY, ["--shelters", "1"],
                      "candidates.shelters: missing: --shelters needs candidate shelter sites"),
    "none asked": (CITY, ["--shelters", "0"], "--shelters: expected at least 1 site"),
    "too many": (CITY, ["--stations", "2"],
                 "--stations: 2 sites asked for, more than the 1 candidate sites in "
                 "candidates.stations"),
    "too many, all sites": (CITY, ["--stations", "3", "--no-keep-existing"],
                            "more than the 1 existing and 1 candidate stations"),
    "mexclp for shelters": (CITY, ["--shelters", "1", "--model", "mexclp"],
                            "--model: mexclp models busy response units"),
    "one replication": (CITY, ["--shelters", "1", "--replications", "1"],
                        "--replications: expected at least 2"),
    "bad standard": (CITY, ["--shelters", "1", "--standard", "soon"],
                     "citysim optimize: error: --standard 'soon'"),
    "busy fraction": (CITY, ["--stations", "1", "--busy-fraction", "1.5"], "--busy-fraction"),
    "duplicate id": (CITY.replace("id: C2,", "id: S1,"), ["--shelters", "1"],
                     "candidates.shelters[1].id (line 19): candidate id 'S1' is already"),
    "no capacity": (CITY.replace(", capacity: 700", ""), ["--shelters", "1"],
                    "candidates.shelters[1].capacity (line 19): missing: a candidate shelter "
                    "needs capacity"),
    "off the map": (CITY.replace("{x: 900, y: 900}", "{x: 9000, y: 900}"), ["--shelters", "1"],
                    "candidates.shelters[0].location (line 18): off the map"),
    "lscp needs more": (CITY, ["--shelters", "1", "--model", "lscp", "--standard", "2min"],
                        "--shelters: LSCP needs 2 new sites"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_request_exits_2_names_the_option_or_path(tmp_path, capsys, case):
    text, options, expected = BAD[case]
    path = write_scenario(tmp_path, text)
    out = tmp_path / "out"
    out.mkdir()
    (out / "placement.json").write_text("{\"kept\": true}")
    (out / "provenance.json").write_text("{}")  # an earlier result, which the new one replaces
    code = main(["optimize", str(path), *options, "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    assert expected in err, err
    assert "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == ["placement.json", "provenance.json"]  # kept


def test_candidates_from_csv_and_a_row_without_capacity(tmp_path, capsys):
    (tmp_path / "sites.csv").write_text("id,name,x,y,area_m2,capacity\n"
                                        "P1,Riverside park,900,900,3000,\n"
                                        "P2,Car park,150,1050,,\n")
    text = SMALL_CITY + "candidates:\n  shelters: {csv: sites.csv}\n"
    code = main(["optimize", str(write_scenario(tmp_path, text)), "--shelters", "1",
                 "--out", str(tmp_path / "out")])
    assert code == 2
    err = capsys.readouterr().err
    assert "candidates.shelters.csv[row 2].capacity (line 17): missing: a candidate" in err
    assert "(sites.csv, line 3)" in err
    (tmp_path / "sites.csv").write_text("id,name,x,y,area_m2,capacity\n"
                                        "P1,Riverside park,900,900,3000,\n"
                                        "P2,Car park,150,1050,,500\n")
    scenario = load_scenario(tmp_path / "small.yaml")
    sites = plan_sites(scenario, built(scenario), "shelters")
    assert sites.id[2:] == ["P1", "P2"] and sites.capacity[2:].tolist() == [2000, 500]


# --------------------------------------------------------------------------- the shipped case


def test_optimize_shelters_writes_plan_and_paired_intervals(tmp_path, capsys):
    out = tmp_path / "opt"
    code = main(["optimize", str(SHELTER_PLAN), "--shelters", "2", "--replications", "4",
                 "--out", str(out), "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 0
    plan = json.loads((out / "placement.json").read_text())
    assert plan["kind"] == "shelters" and plan["model"] == "pmedian"
    assert len(plan["chosen"]) == 2 and set(plan["chosen"]) <= {f"C{i}" for i in range(1, 7)}
    assert plan["open"][:2] == ["S1", "S2"]  # existing shelters kept
    assert plan["objective_name"] == "weighted_time_s"
    assert plan["objective"] == pytest.approx(plan["paper"]["proposed"]["weighted_time_s"])
    assert plan["parameters"]["capacitated"] and plan["parameters"]["standard_s"] == 600
    paper = plan["paper"]
    demand = 8000 * 0.9  # residents x compliance
    assert paper["current"]["unsheltered"] == pytest.approx(demand - 3000, rel=1e-6)
    assert paper["proposed"]["unsheltered"] == pytest.approx(0.0, abs=1e-3)
    # the comparison: paired replications, intervals around the mean difference
    table = pd.read_csv(out / "comparison.csv")
    rows = table.set_index("kpi")
    measured = rows[rows["pairs"] > 0]
    assert (measured["pairs"] == 4).all()
    assert (measured["difference_ci95_low"] <= measured["difference_mean"] + 1e-9).all()
    assert (measured["difference_mean"] <= measured["difference_ci95_high"] + 1e-9).all()
    assert rows.loc["unsheltered", "verdict"] == "proposed better"
    assert rows.loc["unsheltered", "difference_ci95_high"] < -1000
    assert rows.loc["evacuees_sheltered_p90_s", "verdict"] == "proposed better"
    assert rows.loc["evacuated", "verdict"] == "proposed better"
    # common random numbers: the same residents decline to leave in both plans
    cur = pd.read_parquet(out / "current" / "timeseries.parquet")
    new = pd.read_parquet(out / "proposed" / "timeseries.parquet")
    assert (cur.groupby("replication")["stayed"].last()
            == new.groupby("replication")["stayed"].last()).all()
    assert len(pd.read_parquet(out / "proposed" / "replications.parquet")) == 4
    assert len(pd.read_parquet(out / "proposed" / "shelters.parquet")
               .query("replication == 0")) == 4
    for name in ("plan_comparison.png", "placement_map.png"):
        image = mpimg.imread(out / "plots" / name)
        assert image.shape[0] > 300 and image.std() > 0.01
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["request"]["kind"] == "shelters" and prov["seed"] == 2024
    assert "proposed better" in printed and "C" in printed.splitlines()[0]


def test_plan_better_on_paper_is_better_in_simulation():
    """Same number of new shelters: the p-median plan against the plan of convenience.

    On paper both shelter every expected evacuee, and the p-median plan walks them less than
    60 % of the way. Simulated with common seeds, its p90 evacuation time is shorter and so is
    the time by which 90 % of those who set out are in a shelter (intervals below zero).
    """
    scenario = load_scenario(SHELTER_PLAN)
    problem = placement_problem(scenario, built(scenario), "shelters")
    best, _ = place(problem, "pmedian", 2)
    sites = problem.sites
    handy = sites.existing | np.isin(sites.id, ["C3", "C6"])  # beside the existing shelters
    assert set(best.new) != set(np.flatnonzero(~sites.existing & handy))
    good, poor = problem.paper(best.open), problem.paper(handy)
    assert good["unsheltered"] == pytest.approx(0.0, abs=1e-3)
    assert poor["unsheltered"] == pytest.approx(0.0, abs=1e-3)
    assert good["weighted_time_s"] < 0.6 * poor["weighted_time_s"]
    runs = [citysim.run(plan_scenario(scenario, sites, mask, replications=5))
            for mask in (handy, best.open)]
    table = paired_comparison(*(replication_kpis(r) for r in runs)).set_index("kpi")
    for kpi in ("evacuation_time_p90_s", "evacuees_sheltered_p90_s"):
        assert table.loc[kpi, "verdict"] == "proposed better", table.loc[kpi]
        assert table.loc[kpi, "difference_ci95_high"] < -300  # at least 5 min earlier


def test_optimize_stations_mexclp_central_site_answers_faster():
    """A second station: MEXCLP picks the central site; simulated response improves.

    A normal day (nobody evacuates) of 8 hours, six calls an hour. Paper: expected coverage
    (MEXCLP) rises from 55 % to 87 %. Simulation: the share reached within 5 min rises from
    about 71 % to 86 % (interval above zero; measured over seeds 1-3 and 2024). The current
    plan does better than on paper because a unit returning from a call answers from where it
    is, which the models do not see; the p90 response time falls by 15-35 s, an interval that
    touched zero for one seed of four, so only its sign is asserted.
    """
    scenario = load_scenario(SHELTER_PLAN, overrides=[
        "behaviour.compliance=0", "run.duration=8h", "run.dt=10s"])
    run = run_optimize(scenario, kind="stations", n_new=1, model="mexclp", replications=6)
    assert run.report["chosen"] == ["K1"]
    paper = run.report["paper"]
    assert paper["proposed"]["covered_demand"] == pytest.approx(8000.0)
    gain = paper["proposed"]["expected_covered_demand"] - paper["current"][
        "expected_covered_demand"]
    assert gain > 0.2 * 8000
    q = run.report["parameters"]["busy_fraction"]
    assert 0.0 < q < 0.95 and "estimated" in run.report["parameters"]["busy_fraction_rule"]
    table = run.comparison.set_index("kpi")
    assert table.loc["response_within_standard_fraction", "verdict"] == "proposed better"
    assert table.loc["response_within_standard_fraction", "proposed_mean"] == pytest.approx(
        paper["proposed"]["expected_covered_demand"] / 8000, abs=0.05)
    assert table.loc["response_time_p90_s", "difference_mean"] < 0
    assert table.loc["evacuation_time_p90_s", "verdict"] == "not measured"  # nobody left


def test_optimize_runs_both_plans_under_the_hazards(with_road_block, tmp_path):
    text = CITY.replace("run: {duration: 20min, dt: 10s, seed: 11}",
                        "run: {duration: 20min, dt: 10s, seed: 11, replications: 2}") + (
        "behaviour: {warnings: [{at: 0, reach: 1.0}], action: evacuate}\n"
        "hazards: [{type: road_block, location: {x: 450, y: 450}, radius_m: 160, at: 60}]\n")
    scenario = small(text, tmp_path)
    run = run_optimize(scenario, kind="shelters", n_new=1, out_dir=tmp_path / "o")
    assert run.report["replications"] == 2
    for plan in ("current", "proposed"):
        series = pd.read_parquet(tmp_path / "o" / plan / "timeseries.parquet")
        assert series["closed_edges"].max() > 0, plan
        prov = json.loads((tmp_path / "o" / plan / "provenance.json").read_text())
        assert prov["scenario"]["hazards"][0]["type"] == "road_block"
    assert len(run.proposed.world.shelters) == 3 and len(run.current.world.shelters) == 2


def test_request_checked_before_anything_runs():
    scenario = load_scenario(SHELTER_PLAN)
    with pytest.raises(ScenarioError, match="--shelters: 7 sites asked for, more than the 6"):
        run_optimize(scenario, kind="shelters", n_new=7)
