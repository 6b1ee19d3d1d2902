"""Dynamic mode: full citysim runs of the dominant events, against the static QRA."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import yaml

from benchmarks.validation.risk import CITY, risk_file, source
from citysim.app.risk import run_risk


def test_static_and_dynamic_agree_when_nobody_is_warned_or_moves(tmp_path):
    # the wind always from the west across the town; nobody acts on a warning
    # (compliance 0), everyone breathes the outdoor air (static: nobody indoors;
    # dynamic: homes that exchange their air almost at once)
    path = risk_file(tmp_path, [{**source("A", 0.0), "location": {"x": 0.0, "y": 500.0}}], [],
                     sectors=4, name="agree")
    city = {**CITY, "behaviour": {"compliance": 0.0}}
    (tmp_path / "city.yaml").write_text(yaml.safe_dump(city))
    risk = yaml.safe_load(path.read_text())
    risk["weather"]["rose"] = [0.0, 0.0, 0.0, 1.0]
    risk.update({"mode": "both", "presence": {"indoors_day": 0.0, "indoors_night": 0.0},
                 "dynamic": {"events": 1, "duration": "45min",
                             "air_exchange": {"home_per_h": 1.0e5}}})
    path.write_text(yaml.safe_dump(risk, sort_keys=False))
    outcome = run_risk(path)
    events = pd.read_csv(outcome.out_dir / "events.csv")
    simulated = events[events["simulated"]]
    assert len(simulated) == 2  # the day and the night event of the one direction
    static_n = float(simulated["deaths"].iloc[0])
    dynamic_n = float(simulated["deaths_dynamic"].iloc[0])
    assert static_n > 50  # the plume crosses the town: a real test
    # each resident dies with probability P (its own probit threshold): the toll is a sum
    # of Bernoulli draws, variance sum P(1-P) <= N; 4 sigma, and 3 % for the
    # grid of the dynamic run's sub-steps against the static quadrature
    assert abs(dynamic_n - static_n) <= 4 * math.sqrt(static_n) + 0.03 * static_n
    fn = pd.read_csv(outcome.out_dir / "fn_curve.csv")
    assert set(fn["mode"]) == {"static", "dynamic"}
    summary = outcome.result.summary
    assert summary["events_simulated"] == 1 and summary["pll_dynamic_per_year"] > 0
    # resumable as a batch: the finished run is found, not made again
    run_json = outcome.out_dir / "runs" / simulated["run_id"].iloc[0] / "run.json"
    stamp = run_json.stat().st_mtime_ns
    again = pd.read_csv(run_risk(path).out_dir / "events.csv")
    assert run_json.stat().st_mtime_ns == stamp
    assert again["deaths_dynamic"].equals(events["deaths_dynamic"])
    # the white paper says how far the simulated city moves PLL
    from citysim.report.white_paper import white_paper_html

    text = white_paper_html(outcome.out_dir, "en")
    assert "with the city&#x27;s warning and response" in text and "instead of" in text
    # the lead and the method name the modes that ran (from the results), not "static"
    method = text.split('<section id="method">', 1)[1]
    assert "Mode: static and dynamic" in method and "static only" not in method
    assert "the 1 with the largest static frequency × deaths were also simulated" in method
    assert "static and dynamic modes" in text.split("</header>", 1)[0]


def test_replications_of_an_event_average_and_split_its_frequency(tmp_path):
    path = risk_file(tmp_path, [{**source("A", 0.0), "location": {"x": 0.0, "y": 500.0}}], [],
                     sectors=4, name="reps")
    risk = yaml.safe_load(path.read_text())
    risk["weather"]["rose"] = [0.0, 0.0, 0.0, 1.0]  # one direction: one simulated event
    risk.update({"mode": "dynamic", "dynamic": {"events": 1, "duration": "45min",
                                                "replications": 3}})
    path.write_text(yaml.safe_dump(risk, sort_keys=False))
    outcome = run_risk(path)
    events = pd.read_csv(outcome.out_dir / "events.csv")
    simulated = events[events["simulated"]]
    assert len(simulated) == 2 and len(events) == 2  # day and night of the one direction
    ids = simulated["run_id"].iloc[0].split(";")
    assert len(set(ids)) == 3
    records = [json.loads((outcome.out_dir / "runs" / i / "run.json").read_text()) for i in ids]
    assert [r["replication"] for r in records] == [0, 1, 2]
    tolls = [float(r["summary"]["plume_fatalities"]) for r in records]
    assert len(set(tolls)) > 1 and min(tolls) > 10  # three draws, not one run three times
    # by hand: the event's deaths are the mean toll, PLL is f x mean
    assert simulated["deaths_dynamic"].iloc[0] == pytest.approx(sum(tolls) / 3, rel=1e-12)
    f_total = float(simulated["frequency_per_year"].sum())
    assert outcome.result.summary["pll_dynamic_per_year"] == pytest.approx(
        f_total * sum(tolls) / 3, rel=1e-12)
    # the F-N curve: each replication an outcome of f / 3
    fn = pd.read_csv(outcome.out_dir / "fn_curve.csv")
    dyn = fn[fn["mode"] == "dynamic"]
    assert sorted(dyn["n"]) == sorted(set(tolls))
    for row in dyn.itertuples():
        share = sum(t >= row.n for t in tolls) / 3
        assert row.frequency_per_year == pytest.approx(f_total * share, rel=1e-12)
    assert np.isclose(dyn["frequency_per_year"].max(), f_total)
