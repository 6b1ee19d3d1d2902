"""The Python front door: ``import citysim`` is cheap; ``citysim.run`` runs and returns results."""

import json
import subprocess
import sys

import pytest

import citysim
from citysim.scenario import load_scenario
from tests.scenarios import write_scenario


def test_import_loads_nothing_until_a_name_is_used():
    code = ("import sys, citysim; loaded = sorted(m for m in sys.modules if m.startswith("
            "'citysim')); print(loaded); citysim.CityModel; "
            "print('citysim.model' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[0] == "['citysim']" and out[1] == "True"
    assert set(citysim.__all__) >= {"load_scenario", "build_world", "CityModel", "run",
                                    "run_batch", "run_sweep", "ScenarioError", "__version__"}
    with pytest.raises(AttributeError):
        citysim.no_such_name  # noqa: B018


def test_run_from_a_path_writes_only_when_asked(tmp_path):
    path = write_scenario(tmp_path)
    result = citysim.run(path, seed=5, overrides=["run.duration=10min"])
    assert result.summary["residents_total"] == 5003 and result.summary["steps"] == 60
    assert set(result.timeseries["t_s"]) and len(result.replications) == 1
    assert result.provenance["seed"] == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.yaml"]  # nothing written
    again = citysim.run(load_scenario(path), seed=5, overrides=["run.duration=10min"],
                        out=tmp_path / "o")
    assert again.summary["evacuated"] == result.summary["evacuated"]
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["steps"] == 60


def test_bad_input_raises_scenario_error(tmp_path):
    with pytest.raises(citysim.ScenarioError, match="run.dt"):
        citysim.run(write_scenario(tmp_path), overrides=["run.dt=-1s"])
