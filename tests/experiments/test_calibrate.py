"""citysim calibrate: recovers a known parameter from data the model itself generated."""

from __future__ import annotations

import json

import matplotlib.image as mpimg
import pandas as pd
import pytest

from citysim.app.run import run
from citysim.cli import main
from citysim.experiments import load_experiment
from citysim.experiments.calibrate import run_calibration
from citysim.scenario import load_scenario
from tests.experiments.cases import town, write

TRUE_MEDIAN_S = 240.0


def _observed_curve(scenario_path, replications) -> pd.DataFrame:
    """The arrived fraction over time, averaged over replications at the true response delay.

    Replications of the base scenario's own city (its seed), as the calibration runs it.
    """
    scenario = load_scenario(scenario_path, overrides=[
        f"behaviour.response_delay.median={TRUE_MEDIAN_S}", "behaviour.compliance=1.0",
        f"run.replications={max(replications) + 1}"])
    out = run(scenario)
    ts = out.timeseries[out.timeseries["replication"].isin(replications)]
    arrived = ts.groupby("t_s")["evacuated"].mean() / out.replications["residents_total"].iloc[0]
    return pd.DataFrame({"t_s": arrived.index, "arrived_fraction": arrived.to_numpy()})


def test_calibration_recovers_a_known_response_delay(tmp_path):
    scenario_path = town(tmp_path)
    # observed: the model itself at median 240 s, in replications the calibration does not
    # use (it runs replications 0 and 1 of the same city)
    _observed_curve(scenario_path, replications=(2, 3, 4)).to_csv(tmp_path / "obs.csv",
                                                                   index=False)
    experiment = load_experiment(write(tmp_path, "fit.yaml", """\
kind: calibrate
base: town.yaml
set: {behaviour.compliance: 1.0}
parameters:
  behaviour.response_delay.median: [1min, 10min]
target: {csv: obs.csv, column: arrived_fraction, against: t_s}
replications: 2
trials: 32
population: 8
out: results/fit
"""))
    result = run_calibration(experiment, workers=0)
    found = result.best["behaviour.response_delay.median"]
    # within 10 % of the truth (the search box spans 60-600 s; replication noise and
    # the 8 x 4 budget leave a few per cent)
    assert abs(found - TRUE_MEDIAN_S) < 0.10 * TRUE_MEDIAN_S, found
    assert result.loss < 0.03  # RMS difference of arrived fractions
    best = json.loads((result.out_dir / "best.json").read_text())
    assert best["parameters"] == result.best and best["loss"] == result.loss
    trials = pd.read_parquet(result.out_dir / "trials.parquet")
    assert len(trials) <= 32 and trials["loss"].min() == result.loss
    # far from the truth fits worse than the best
    far = trials[(trials["behaviour.response_delay.median"] - TRUE_MEDIAN_S).abs() > 120]
    assert (far["loss"] > 2 * result.loss).all() and len(far) > 0
    fit = pd.read_csv(result.out_dir / "fit.csv")
    assert list(fit.columns) == ["x", "observed", "simulated", "simulated_min", "simulated_max"]
    assert (fit["simulated_min"] <= fit["simulated"]).all()
    assert (fit["simulated"] <= fit["simulated_max"]).all()
    table = pd.read_parquet(result.out_dir / "batch.parquet")
    assert len(table) == 2 * len(trials) and set(table["trial"]) == set(trials["trial"])
    assert mpimg.imread(result.out_dir / "plots" / "fit.png").shape[0] > 200


def test_calibration_to_kpis_and_distributions_from_the_cli(tmp_path, capsys):
    town(tmp_path)
    scenario = load_scenario(tmp_path / "town.yaml", seed=7,
                             overrides=["behaviour.compliance=0.7"])
    truth = run(scenario)
    arrivals = truth.agents["t_arrive_s"].dropna().to_numpy()
    pd.DataFrame({"t_arrive_s": arrivals}).to_csv(tmp_path / "arrivals.csv", index=False)
    kpis = write(tmp_path, "kpis.yaml", f"""\
kind: calibrate
base: town.yaml
parameters: {{behaviour.compliance: [0.3, 1.0]}}
target: {{kpis: {{evacuated: {truth.summary["evacuated"]}}}}}
replications: 1
trials: 15
out: results/kpis
""")
    assert main(["calibrate", str(kpis), "--workers", "0", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "behaviour.compliance = 0.7" in out or "behaviour.compliance = 0.6" in out, out
    best = json.loads((tmp_path / "results" / "kpis" / "best.json").read_text())
    assert abs(best["parameters"]["behaviour.compliance"] - 0.7) < 0.08
    # a distribution target needs a simulated table column; a missing one is bad input
    wrong = write(tmp_path, "wrong.yaml", """\
kind: calibrate
base: town.yaml
parameters: {behaviour.compliance: [0.3, 1.0]}
target: {csv: arrivals.csv, column: t_arrive_s, simulated: shelters.t_arrive_s}
trials: 5
out: results/wrong
""")
    assert main(["calibrate", str(wrong), "--workers", "0", "--no-progress"]) == 2
    assert "target.simulated (line 4): no column 't_arrive_s' in shelters.parquet" in \
        capsys.readouterr().err


@pytest.mark.parametrize(("target", "where", "message"), [
    ("{kpis: {evacuated: 100, evacuatd: 100}}", "target.kpis.evacuatd (line 4)",
     "not a KPI of its runs: 'evacuatd'"),
    ("{csv: obs.csv, column: v, against: t_s, simulated: nosuchcol}", "target.simulated",
     "no simulated curve 'nosuchcol'"),
    ("{csv: obs.csv, column: v, simulated: incidents.nosuchcol}", "target.simulated",
     "no column 'nosuchcol' in incidents.parquet"),
    ("{csv: obs.csv, column: v, simulated: nosuch.v}", "target.simulated",
     "no table 'nosuch'"),
])
def test_every_name_of_the_target_is_checked_before_the_first_run(tmp_path, capsys, target,
                                                                   where, message):
    """Issue #21: an unknown KPI exited 0 with loss 1e30; an unknown column failed mid-way."""
    town(tmp_path)
    (tmp_path / "obs.csv").write_text("t_s,v\n0,0\n600,100\n")
    path = write(tmp_path, "bad.yaml", f"""\
kind: calibrate
base: town.yaml
parameters: {{behaviour.compliance: [0.3, 1.0]}}
target: {target}
trials: 5
out: results/bad
""")
    assert main(["calibrate", str(path), "--workers", "0", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert where in err and message in err, err
    assert not (tmp_path / "results").exists()  # nothing was run
