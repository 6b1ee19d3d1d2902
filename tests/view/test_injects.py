"""Injects as data: a live session replays bit for bit from its saved injects file."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from citysim.cli import main
from citysim.errors import ScenarioError
from citysim.metrics import summarize_model
from citysim.scenario import load_scenario
from citysim.scenario.injects import Injects, load_injects, with_injects
from citysim.view.session import DrillModel
from tests.view.drill_city import DRILL_CITY

LIVE = [  # (step at which the controller acts, inject)
    (6, {"close_road": {"id": "R1", "location": {"x": 450, "y": 375}}}),
    (12, {"warning": {"location": {"x": 900, "y": 900}, "radius_m": 400.0}}),
    (18, {"out_of_service": "F1-engine1"}),
    (24, {"fire": {"location": {"x": 300, "y": 750}}}),
    (30, {"reopen_road": "R1"}),
    (36, {"back_in_service": "F1-engine1"}),
    (42, {"release": {"location": {"x": 750, "y": 300}, "rate_kg_s": 2.0,
                      "duration": 600.0}}),
    (45, {"shelter": {"id": "X1", "location": {"x": 1050, "y": 0}, "capacity": 800}}),
]


def _live_session(scenario, **settings) -> DrillModel:
    model = DrillModel(scenario, **settings)
    pending = list(LIVE)
    while model.running:
        while pending and model.steps == pending[0][0]:
            model.add_inject(**pending.pop(0)[1])
        model.step()
    model.finish()
    return model


def _without_wall_time(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k != "wall_time_s"}


def test_live_injects_replay_bit_for_bit(tmp_path):
    path = tmp_path / "drill.yaml"
    path.write_text(DRILL_CITY)
    scenario = load_scenario(path)
    live = _live_session(scenario, compliance=0.7, engine_per_station=3)
    assert [j.at for j in live.injects] == [10.0 * s for s, _ in LIVE]
    file = tmp_path / "injects.yaml"
    file.write_text(live.injects_yaml())
    saved = yaml.safe_load(file.read_text())
    assert saved["set"][0] == "behaviour.compliance=0.7"
    assert [next(k for k in j if k != "at") for j in saved["injects"]] == [
        next(iter(kind)) for _, kind in LIVE]

    out = tmp_path / "replay"
    assert main(["run", str(path), "--injects", str(file), "--out", str(out),
                 "--no-progress"]) == 0
    replayed = json.loads((out / "summary.json").read_text())
    mine = json.loads(json.dumps(summarize_model(live, wall_time_s=0.0)))
    assert _without_wall_time(replayed) == _without_wall_time(mine)
    # the injects did act: a fire burned, gas was released, the road was closed then reopened
    assert replayed["fire_buildings_burned"] >= 1
    assert "plume_aegl2_area_km2" in replayed
    assert replayed["road_closure_edges_closed"] == 0
    shelters = pd.read_parquet(out / "shelters.parquet").set_index("shelter")
    assert shelters.loc["X1", "arrivals"] > 0  # the extra shelter took evacuees once open
    arrived = live.residents.t_arrive_s[live.residents.shelter == len(shelters) - 1]
    assert arrived.size and arrived.min() > 450.0  # ... and none before it opened
    plain = tmp_path / "plain"
    assert main(["run", str(path), "--out", str(plain), "--no-progress"]) == 0
    assert _without_wall_time(json.loads((plain / "summary.json").read_text())) != \
        _without_wall_time(replayed)


def test_injects_map_onto_scenario_mechanisms(tmp_path):
    path = tmp_path / "drill.yaml"
    path.write_text(DRILL_CITY)
    scenario = load_scenario(path)
    injects = Injects.model_validate({"injects": [
        {"at": 60.0, "close_road": {"id": "R1", "location": {"x": 450, "y": 375}}},
        {"at": 120.0, "reopen_road": "R1"},
        {"at": 30.0, "out_of_service": "F1-engine1"},
        {"at": 90.0, "warning": {"location": {"x": 0, "y": 0}, "radius_m": 300.0}},
    ]})
    injected = with_injects(scenario, injects)
    closure = injected.hazards[-1]
    assert closure.type == "road_closure"
    assert (closure.closures[0].at, closure.closures[0].until) == (60.0, 120.0)
    spell = injected.response.out_of_service[0]
    assert (spell.unit, spell.at, spell.until) == ("F1-engine1", 30.0, None)
    assert injected.behaviour.warnings[-1].area.radius_m == 300.0


def test_area_warning_reaches_only_its_area(tmp_path):
    path = tmp_path / "drill.yaml"
    path.write_text(DRILL_CITY.replace("warnings: [{at: 1min, reach: 0.5}]", "warnings: []"))
    model = DrillModel(load_scenario(path))
    model.add_inject(warning={"location": {"x": 0, "y": 0}, "radius_m": 300.0})
    model.step()
    net, res = model.world.network, model.residents
    home = res.plan.home_node
    inside = (net.node_x_m[home] ** 2 + net.node_y_m[home] ** 2) <= 300.0 ** 2
    warned = res.state != 0
    assert warned[inside].all() and inside.any()
    assert not warned[~inside].any()


def test_bad_injects_exit_2_naming_the_inject(tmp_path, capsys):
    path = tmp_path / "drill.yaml"
    path.write_text(DRILL_CITY)
    bad = tmp_path / "injects.yaml"
    bad.write_text("injects:\n  - {at: 1min, reopen_road: R9}\n  - {at: 2min}\n")
    with pytest.raises(ScenarioError, match=r"injects\[1\]"):
        load_injects(bad)
    assert main(["run", str(path), "--injects", str(bad), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "injects[1]" in err and "exactly one of" in err and "Traceback" not in err
    bad.write_text("injects:\n  - {at: 1min, reopen_road: R9}\n")
    assert main(["run", str(path), "--injects", str(bad), "--no-progress"]) == 2
    assert "no closed road 'R9'" in capsys.readouterr().err


def test_view_refuses_a_bad_scenario_as_validate_does(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(DRILL_CITY.replace("seed: 5}", "seed: 5}\nbehaviour: {compliance: 2}")
                   .replace("behaviour:\n  warnings", "extra:\n  warnings"))
    assert main(["validate", str(bad)]) == 2
    validate_err = capsys.readouterr().err
    assert main(["view", str(bad), "--port", "1"]) == 2  # refused before any server starts
    view_err = capsys.readouterr().err
    assert view_err == validate_err
    assert "behaviour.compliance" in view_err and "Traceback" not in view_err


def test_injects_apply_to_the_running_model_without_rerunning_it(tmp_path):
    """Several injects at different times change the live model in place; the replay agrees."""
    path = tmp_path / "drill.yaml"
    path.write_text(DRILL_CITY)
    model = DrillModel(load_scenario(path))
    residents, state, collector = model.residents, model.residents.state, model.datacollector
    schedule = {0: {"out_of_service": "F1-engine2"},
                7: {"close_road": {"id": "R1", "location": {"x": 450, "y": 375}}},
                19: {"warning": {"location": {"x": 600, "y": 600}, "radius_m": 250.0,
                                 "reach": 0.8}},
                33: {"close_road": {"id": "R2", "location": {"x": 750, "y": 600}}},
                50: {"reopen_road": "R1"}}
    while model.running:
        if model.steps in schedule:
            steps, rows = model.steps, len(collector.model_vars["t_s"])
            model.add_inject(**schedule[model.steps])
            # the same model, not re-stepped from zero: its clock, arrays and records are kept
            assert model.steps == steps and model.t_s == 10.0 * steps
            assert model.residents is residents and model.residents.state is state
            assert model.datacollector is collector
            assert len(collector.model_vars["t_s"]) == rows
        model.step()
    model.finish()
    assert [j.at for j in model.injects] == [10.0 * s for s in schedule]
    assert model.response.units[1].name == "F1-engine2"
    file = tmp_path / "injects.yaml"
    file.write_text(model.injects_yaml())
    out = tmp_path / "replay"
    assert main(["run", str(path), "--injects", str(file), "--out", str(out),
                 "--no-progress"]) == 0
    replayed = json.loads((out / "summary.json").read_text())
    mine = json.loads(json.dumps(summarize_model(model, wall_time_s=0.0)))
    assert _without_wall_time(replayed) == _without_wall_time(mine)
    assert replayed["road_closure_edges_closed"] >= 1  # R2 is still closed at the end
    closures = pd.read_parquet(out / "road_closures.parquet")
    assert set(closures["closure"]) == {"R1", "R2"}
    provenance = json.loads((out / "provenance.json").read_text())
    assert [next(k for k in j if k != "at") for j in provenance["injects"]] == [
        next(iter(kind)) for kind in schedule.values()]
