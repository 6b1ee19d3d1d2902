"""citysim sweep: Sobol and Morris rank an influential parameter far above an inert one."""

from __future__ import annotations

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from citysim.cli import main
from citysim.experiments import load_experiment
from citysim.experiments.sweep import INDEX_NAMES, run_sweep
from tests.experiments.cases import town, write

# compliance decides how many leave; the response-time standard only grades fire
# engines, of which the town has none: it cannot change any evacuation KPI
SWEEP = """\
kind: sweep
base: town.yaml
method: {method}
samples: {samples}
parameters:
  behaviour.compliance: [0.3, 1.0]
  response.standard: [2min, 10min]
outputs: [evacuated, fatalities]
out: results/{method}
"""


@pytest.mark.parametrize(("method", "samples"), [("sobol", 16), ("morris", 6)])
def test_influential_parameter_ranks_far_above_an_inert_one(tmp_path, method, samples):
    town(tmp_path)
    experiment = load_experiment(write(tmp_path, f"{method}.yaml",
                                       SWEEP.format(method=method, samples=samples)))
    result = run_sweep(experiment, workers=0)
    n_points = samples * (2 + 2) if method == "sobol" else samples * (2 + 1)
    assert len(result.table) == n_points and result.failed == 0
    indices = pd.read_csv(result.out_dir / "indices.csv", keep_default_na=False,
                          na_values=[""])
    assert list(indices.columns) == ["parameter", "output", "method",
                                     *INDEX_NAMES[method], "note"]
    evac = indices[indices["output"] == "evacuated"].set_index("parameter")
    main_index = "ST" if method == "sobol" else "mu_star"
    strong = evac.loc["behaviour.compliance", main_index]
    inert = evac.loc["response.standard", main_index]
    # the inert parameter changes nothing (common random numbers): its index is exactly 0
    assert inert == 0.0
    if method == "sobol":
        # compliance explains (nearly) all the variance; estimators are noisy at N = 16
        assert strong > 0.5 and evac.loc["behaviour.compliance", "ST_conf"] > 0
        assert evac.loc["response.standard", "S1"] == 0.0
    else:
        # mu* is in persons per unit of the parameter's range: going from 30 % to
        # 100 % compliance sends about 70 % of 600 residents more to a shelter
        assert 250 < strong < 500
    # an output constant over the sample (nobody dies) is reported, not analysed
    fatal = indices[indices["output"] == "fatalities"]
    assert fatal["note"].str.contains("constant").all() and fatal[main_index].isna().all()
    # a bar chart per analysed output, re-opened
    image = mpimg.imread(result.out_dir / "plots" / "indices_evacuated.png")
    assert image.shape[0] > 200 and np.ptp(image) > 0
    assert not (result.out_dir / "plots" / "indices_fatalities.png").exists()


def test_sweep_cli_resumes_and_prints_the_indices(tmp_path, capsys):
    town(tmp_path)
    path = write(tmp_path, "m.yaml", SWEEP.format(method="morris", samples=4))
    assert main(["sweep", str(path), "--workers", "0", "--no-progress"]) == 0
    first = capsys.readouterr().out
    assert "behaviour.compliance" in first and "mu_star" in first
    assert main(["sweep", str(path), "--workers", "0", "--no-progress"]) == 0
    assert "(0 made now" in capsys.readouterr().out  # every sample found finished
    # issue #21: an unknown output is refused before the first run, not after every sample
    bad = write(tmp_path, "bad.yaml", SWEEP.format(method="morris", samples=4)
                .replace("[evacuated, fatalities]", "[evacuatd]")
                .replace("out: ", "out: bad-"))
    assert main(["sweep", str(bad), "--workers", "0", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "outputs[0] (line 8): not a KPI of its runs: 'evacuatd'" in err
    assert "Traceback" not in err
    assert not list(tmp_path.rglob("bad-*"))  # nothing was run
