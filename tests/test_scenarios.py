"""The shipped scenarios: every one validates; the drill runs end to end (reduced)."""

import json
from pathlib import Path

import matplotlib.image as mpimg
import pandas as pd
import pytest

from citysim.cli import main
from tests.contract import contract_problems

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))
DRILL = SCENARIOS[0].parent / "district-drill.yaml"
PLOTS = ("city_map.png", "residents_by_state.png", "evacuation_curve.png",
         "shelter_loads.png", "evacuation_time_map.png")


def test_scenarios_are_shipped():
    assert DRILL in SCENARIOS and len(SCENARIOS) >= 2


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario_validates(path, capsys):
    assert main(["validate", str(path)]) == 0
    assert ": ok" in capsys.readouterr().out


@pytest.mark.slow
def test_drill_runs_end_to_end_reduced(tmp_path):
    out = tmp_path / "drill"
    code = main(["run", str(DRILL), "--out", str(out), "--no-progress",
                 "--set", "city.population.residents=3000", "--set", "run.duration=30min"])
    assert code == 0
    assert contract_problems(out) == []
    summary = json.loads((out / "summary.json").read_text())
    assert summary["residents_total"] == 3000
    assert 0 < summary["evacuated"] < 3000
    shelters = pd.read_parquet(out / "shelters.parquet")
    assert len(shelters) == 6 and (shelters["peak_occupancy"] <= shelters["capacity"]).all()
    for png in PLOTS:
        image = mpimg.imread(out / "plots" / png)
        assert image.shape[0] > 300 and image[..., :3].std() > 0.01, png
