"""One output-folder rule for every verb: --out, else outputs.dir (relative to the scenario file),
else results/<name> under the working directory (with the verb's suffix)."""

import json
from pathlib import Path

import pytest

from citysim.app.folders import output_folder
from citysim.cli import main
from citysim.scenario import load_scenario
from tests.scenarios import SMALL_CITY, write_scenario

WITH_DIR = SMALL_CITY.replace("  plots: false\n", "  plots: false\n  dir: ../out/town\n")


def test_the_rule_in_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sc").mkdir()
    plain = load_scenario(write_scenario(tmp_path / "sc"))
    placed = load_scenario(write_scenario(tmp_path / "sc", WITH_DIR, "placed.yaml"))
    assert output_folder(plain, tmp_path / "x", suffix="-coverage") == tmp_path / "x"
    assert output_folder(plain) == Path("results") / "small-town"
    assert output_folder(plain, suffix="-optimize") == Path("results") / "small-town-optimize"
    assert output_folder(placed).resolve() == (tmp_path / "out" / "town").resolve()
    assert output_folder(placed, suffix="-coverage").resolve() == \
        (tmp_path / "out" / "town-coverage").resolve()


@pytest.mark.parametrize("verb, extra, folder, written", [
    ("run", ["--no-progress"], "town", "summary.json"),
    ("coverage", [], "town-coverage", "coverage.json"),
])
def test_verbs_write_beside_outputs_dir_not_the_cwd(tmp_path, monkeypatch, verb, extra, folder,
                                                     written):
    (tmp_path / "sc").mkdir()
    (tmp_path / "cwd").mkdir()
    path = write_scenario(tmp_path / "sc", WITH_DIR)
    monkeypatch.chdir(tmp_path / "cwd")
    assert main([verb, str(path), *extra]) == 0
    assert json.loads((tmp_path / "out" / folder / written).read_text())
    assert not list((tmp_path / "cwd").iterdir())  # nothing under the working directory


def test_optimize_writes_beside_outputs_dir(tmp_path, monkeypatch):
    text = WITH_DIR + ("candidates:\n  shelters:\n"
                       "    - {id: C1, location: {x: 900, y: 900}, capacity: 700}\n")
    (tmp_path / "sc").mkdir()
    (tmp_path / "cwd").mkdir()
    path = write_scenario(tmp_path / "sc", text)
    monkeypatch.chdir(tmp_path / "cwd")
    assert main(["optimize", str(path), "--shelters", "1", "--replications", "2",
                 "--no-progress"]) == 0
    assert (tmp_path / "out" / "town-optimize" / "placement.json").exists()
    assert not list((tmp_path / "cwd").iterdir())
