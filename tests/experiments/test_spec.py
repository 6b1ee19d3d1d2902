"""Experiment files: what they accept, and bad input reported with its YAML path and line."""

from __future__ import annotations

import pytest

from citysim.cli import main
from citysim.errors import ScenarioError
from citysim.experiments import load_experiment, run_batch
from tests.experiments.cases import cli, town, write


def _problems(path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_experiment(path)
    return [str(p) for p in info.value.problems]


def test_ranges_take_durations_and_paths_are_relative_to_the_file(tmp_path):
    town(tmp_path)
    path = write(tmp_path, "s.yaml", """\
kind: sweep
base: town.yaml
method: morris
samples: 4
parameters:
  behaviour.compliance: [0.5, 1.0]
  behaviour.response_delay.median: [2min, 30min]
outputs: [evacuated]
out: ../elsewhere
""")
    sweep = load_experiment(path)
    assert sweep.parameters["behaviour.response_delay.median"] == [120.0, 1800.0]
    assert sweep.base == tmp_path / "town.yaml"
    assert sweep.out == (tmp_path.parent / "elsewhere").resolve()
    assert sweep.replications is None and sweep.plots is False


def test_every_problem_with_its_path_and_line(tmp_path):
    town(tmp_path)
    path = write(tmp_path, "bad.yaml", """\
kind: sweep
base: town.yaml
method: sobl
samples: 100
parameters:
  behaviour.compliance: [1.0, 0.5]
  behaviour..bad: [1, 2]
outputs: []
replicatons: 3
""")
    problems = _problems(path)
    assert any(p.startswith("method (line 3): expected one of: sobol, morris") and
               "did you mean 'sobol'" in p for p in problems), problems
    assert any(p.startswith("parameters.behaviour.compliance (line 6): expected low < high")
               for p in problems), problems
    assert any(p.startswith("parameters.behaviour..bad (line 7): expected a path")
               for p in problems), problems
    assert any(p.startswith("outputs (line 8): expected at least one KPI") for p in problems)
    assert any(p.startswith("replicatons (line 9): unknown key") and "'replications'" in p
               for p in problems), problems


def test_sobol_samples_a_power_of_two_and_kinds(tmp_path):
    town(tmp_path)
    sweep = write(tmp_path, "s.yaml", "kind: sweep\nbase: town.yaml\nsamples: 100\n"
                                      "parameters: {behaviour.compliance: [0.5, 1]}\n"
                                      "outputs: [evacuated]\n")
    assert any("power of 2" in p for p in _problems(sweep))
    assert any(p.startswith("kind (line 1): expected one of: batch, sweep, calibrate")
               for p in _problems(write(tmp_path, "k.yaml", "kind: batsh\nbase: town.yaml\n")))
    missing = write(tmp_path, "m.yaml", "kind: batch\nbase: nowhere.yaml\n")
    assert any(p.startswith("base (line 2): input file not found") for p in _problems(missing))


def test_scenario_paths_are_checked_alike_in_set_vary_and_parameters(tmp_path):
    town(tmp_path)
    sweep = write(tmp_path, "s.yaml", "kind: sweep\nbase: town.yaml\nsamples: 4\nparameters: {}\n"
                                      "outputs: [evacuated]\nset: {run.replications: 3}\n")
    assert _problems(sweep) == [
        "parameters (line 4): expected at least one parameter",
        "set.run.replications (line 6): the experiment sets each run's replications itself: "
        "use the experiment's key replications"]
    calibrate = write(tmp_path, "c.yaml", "kind: calibrate\nbase: town.yaml\n"
                                          "parameters: {run.seed: [1, 2]}\n"
                                          "target: {kpis: {evacuated: 400}}\n")
    assert _problems(calibrate) == [
        "parameters.run.seed (line 3): the experiment sets each run's seed itself: use the "
        "experiment's key seed"]
    empty = write(tmp_path, "e.yaml", "kind: calibrate\nbase: town.yaml\nparameters: {}\n"
                                      "target: {kpis: {evacuated: 400}}\n")
    assert _problems(empty) == ["parameters (line 3): expected at least one parameter"]
    batch = write(tmp_path, "b.yaml", "kind: batch\nbase: town.yaml\nvary: {}\nset: {run: {}}\n")
    assert _problems(batch) == [
        "set.run (line 4): the experiment sets each run's seed and replications itself: use "
        "the experiment's keys seed and replications"]


def test_calibration_targets(tmp_path):
    town(tmp_path)
    write(tmp_path, "obs.csv", "# a comment\nt_s,arrived_fraction\n0,0\n600,0.5\n")
    ok = load_experiment(write(tmp_path, "c.yaml", """\
kind: calibrate
base: town.yaml
parameters: {behaviour.walk_speed_mps.mean: [0.8, 1.6]}
target: {csv: obs.csv, column: arrived_fraction, against: t_s}
"""))
    assert ok.target.form == "curve" and ok.trials == 100 and ok.population_size == 5
    kpis = load_experiment(write(tmp_path, "k.yaml", """\
kind: calibrate
base: town.yaml
parameters: {behaviour.compliance: [0.5, 1]}
target: {kpis: {evacuated: 400}}
population: 6
"""))
    assert kpis.target.form == "kpis" and kpis.population_size == 6
    bad = write(tmp_path, "bad.yaml", """\
kind: calibrate
base: town.yaml
parameters: {behaviour.compliance: [0.5, 1]}
target: {csv: obs.csv, column: arrived_fraction}
population: 3
""")
    problems = _problems(bad)
    assert any(p.startswith("target.simulated (line 4): a distribution target needs")
               for p in problems), problems
    assert any(p.startswith("population (line 5): expected at least 5") for p in problems)


def test_a_refused_value_is_reported_where_the_experiment_gives_it(tmp_path):
    town(tmp_path)
    path = write(tmp_path, "b.yaml", """\
kind: batch
base: town.yaml
vary:
  behaviour.compliance: [0.5, 1.5]
  run.dt: [10s, 5s]
out: results/b
""")
    with pytest.raises(ScenarioError) as info:
        run_batch(load_experiment(path), workers=0)
    problems = [str(p) for p in info.value.problems]
    # one problem per bad value (not one per combination), at its place in the file
    assert problems == ["vary.behaviour.compliance[1] (line 4): behaviour.compliance: expected "
                        "a value <= 1, got 1.5"], problems
    assert not (tmp_path / "results").exists()  # bad input: nothing is run or written


def test_cli_exit_codes_for_bad_input(tmp_path, capsys):
    town(tmp_path)
    path = write(tmp_path, "b.yaml", "kind: batch\nbase: town.yaml\n"
                                     "vary: {behaviour.compliance: [-1]}\n")
    assert main(["batch", str(path), "--workers", "0"]) == 2
    err = capsys.readouterr().err
    assert ("vary.behaviour.compliance[0] (line 3): behaviour.compliance: expected a value "
            ">= 0, got -1") in err
    assert "Traceback" not in err
    seeds = write(tmp_path, "s.yaml", "kind: batch\nbase: town.yaml\nvary: {run.seed: [1, 2]}\n")
    assert main(["batch", str(seeds), "--workers", "0"]) == 2
    assert "vary.run.seed (line 3): the experiment sets each run's seed itself" in \
        capsys.readouterr().err
    sweep = write(tmp_path, "w.yaml", "kind: sweep\nbase: town.yaml\nsamples: 4\n"
                                      "parameters: {behaviour.compliance: [0.5, 1]}\n"
                                      "outputs: [evacuated]\n")
    assert main(["batch", str(sweep)]) == 2
    assert "citysim batch needs kind: batch, got sweep" in capsys.readouterr().err
    assert main(["batch", str(path), "--workers", "-1"]) == 2
    err = capsys.readouterr().err
    assert "--workers: expected 0 or more, got -1" in err and "Traceback" not in err
    done = cli("batch", str(path), "--workers", "1", "--scheduler", "tcp://127.0.0.1:1",
               cwd=tmp_path)
    assert done.returncode == 2 and "not allowed with argument" in done.stderr


def test_a_path_that_is_not_text_is_refused_with_its_place(tmp_path):
    # found by the experiment fuzzer: a null key used to raise AttributeError
    town(tmp_path)
    path = write(tmp_path, "e.yaml", "kind: batch\nbase: town.yaml\nset: {null: 1}\n"
                                     "vary: {behaviour.compliance: [0.6, 0.9]}\n")
    (problem,) = _problems(path)
    assert problem.startswith("set.None[key] (line 3)") and "expected text" in problem
