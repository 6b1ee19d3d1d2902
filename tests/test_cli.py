import json
import subprocess
import sys

import matplotlib.image as mpimg
import pytest

from citysim.cli import main
from tests.contract import contract_problems
from tests.placement.cases import CITY
from tests.scenarios import SMALL_CITY, write_scenario


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "citysim.cli", *args], capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    path = write_scenario(folder, SMALL_CITY.replace("plots: false", "plots: true"))
    out = folder / "out"
    proc = cli("run", str(path), "--out", str(out), "--no-progress")
    return proc, out


def test_run_writes_the_contract_and_prints_the_headline(finished_run):
    proc, out = finished_run
    assert proc.returncode == 0, proc.stderr
    assert "residents_total" in proc.stdout and "5,003" in proc.stdout
    assert contract_problems(out) == []
    for png in ("city_map.png", "residents_by_state.png"):
        image = mpimg.imread(out / "plots" / png)
        assert image.shape[0] > 200 and image.shape[1] > 200
        assert image[..., :3].std() > 0.01  # not a blank canvas
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["seed"] == 11 and prov["scenario"]["name"] == "small-town"
    assert len(prov["scenario_hash"]) == 64


def test_seed_and_set_overrides_reach_the_run(tmp_path):
    path = write_scenario(tmp_path)
    code = main(["run", str(path), "--out", str(tmp_path / "o"), "--no-progress", "--seed", "5",
                 "--set", "city.population.residents=777", "--set", "run.duration=5min"])
    assert code == 0
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    prov = json.loads((tmp_path / "o" / "provenance.json").read_text())
    assert summary["residents_total"] == 777 and summary["steps"] == 30
    assert prov["seed"] == 5 and prov["scenario"]["run"]["seed"] == 5
    assert prov["overrides"] == ["city.population.residents=777", "run.duration=5min",
                                 "run.seed=5"]


BROKEN = {
    "syntax": ("run: {duration: 1h, dt: 5s\ncity: [\n", "(line 2): invalid YAML"),
    "unknown key": (SMALL_CITY.replace("seed: 11", "seeds: 11"), "run.seeds"),
    "negative": (SMALL_CITY.replace("residents: 5003", "residents: -1"),
                 "city.population.residents"),
    "off the map": (SMALL_CITY.replace("{x: 300, y: 300}", "{x: 30000, y: 300}"),
                    "shelters[0].location (line 8): off the map"),
    "unknown node": (SMALL_CITY.replace("node: 60", "node: 6000"),
                     "shelters[1].location.node (line 9): no node with id 6000"),
    "missing file": (SMALL_CITY.replace(
        "synthetic: {kind: grid, rows: 8, cols: 8, block_m: 150, arterial_every: 4, "
        "jitter_m: 10}", "osm: nowhere.osm.pbf"), "city.network.osm"),
    "fire without buildings": (
        SMALL_CITY + "hazards: [{type: fire, ignitions: [{location: {x: 100, y: 100}}]}]\n",
        "city.buildings (line 3): missing: required by hazards[0] (fire)"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
@pytest.mark.parametrize("verb", ["validate", "run"])
def test_bad_input_exits_2_names_the_path_and_writes_nothing(tmp_path, capsys, case, verb):
    text, expected = BROKEN[case]
    path = write_scenario(tmp_path, text)
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("{\"kept\": true}")
    (out / "provenance.json").write_text("{}")  # an earlier result, kept on bad input
    extra = ["--out", str(out), "--no-progress"] if verb == "run" else []
    if case == "syntax":  # once through the real console entry point
        proc = cli(verb, str(path), *extra)
        code, err = proc.returncode, proc.stderr
    else:
        code, err = main([verb, str(path), *extra]), capsys.readouterr().err
    assert code == 2
    assert expected in err, err
    assert "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == ["provenance.json", "summary.json"]
    assert json.loads((out / "summary.json").read_text()) == {"kept": True}


def test_validate_ok_and_bad_arguments(tmp_path, capsys):
    path = write_scenario(tmp_path)
    assert main(["validate", str(path)]) == 0
    assert "ok" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        main(["run"])
    assert info.value.code == 2
    assert main(["run", str(path), "--set", "no-equals-sign"]) == 2
    assert "no-equals-sign" in capsys.readouterr().err


@pytest.mark.parametrize("verb, args, message", [
    ("coverage", ["--standard", "soon"], "--standard 'soon'"),
    ("optimize", ["--shelters", "1", "--standard", "soon"], "--standard 'soon'"),
    ("optimize", ["--shelters", "0"], "--shelters: expected at least 1 site"),
    ("drill", ["--from", "."], "give exactly one of"),
    ("run", ["--seed", "x"], "argument --seed: invalid int value"),
])
def test_every_verb_reports_bad_options_as_argparse_does(tmp_path, capsys, verb, args, message):
    path = write_scenario(tmp_path, CITY)  # with candidate sites: only the option is wrong
    try:
        code = main([verb, str(path), *args])
    except SystemExit as stop:  # argparse's own checks exit from parse_args
        code = stop.code
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("usage: citysim " + verb), err
    assert f"citysim {verb}: error: " in err and message in err, err
