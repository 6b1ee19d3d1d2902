"""Fuzzing experiment files and every verb's options (issue #21).

An experiment file of any shape loads and designs its runs, or is refused
with ScenarioError problems; a verb given any option values exits 0 or 2
(bad input, one message, no traceback), never 1 with a crash.
"""

from __future__ import annotations

import copy
import os

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citysim.cli import main
from citysim.errors import ScenarioError
from citysim.experiments import load_experiment
from citysim.experiments.design import design_runs
from citysim.experiments.spec import BatchExperiment, SweepExperiment
from tests.experiments.cases import town
from tests.scenario.test_fuzz import VALUES, VOCABULARY, _get, _paths

EXAMPLES = int(os.environ.get("CITYSIM_FUZZ_EXAMPLES", "60"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])
EXPERIMENTS = [
    {"kind": "batch", "base": "town.yaml", "seed": 3, "replications": 2, "out": "results/b",
     "set": {"behaviour.compliance": 0.9},
     "vary": {"behaviour.compliance": [0.6, 0.9], "behaviour.response_delay.median": ["2min"]}},
    {"kind": "sweep", "base": "town.yaml", "method": "morris", "samples": 4, "out": "results/s",
     "parameters": {"behaviour.compliance": [0.3, 1.0], "response.standard": ["2min", "10min"]},
     "outputs": ["evacuated", "fatalities"]},
    {"kind": "calibrate", "base": "town.yaml", "trials": 5, "out": "results/c",
     "parameters": {"behaviour.compliance": [0.3, 1.0]},
     "target": {"kpis": {"evacuated": 100}}},
]
WORDS = sorted(set(VOCABULARY) | {
    "kind", "base", "seed", "replications", "out", "set", "vary", "method", "samples",
    "parameters", "outputs", "trials", "target", "kpis", "csv", "column", "against",
    "simulated", "quantiles", "population", "optimizer_seed", "sample_seed", "levels", "plots",
    "behaviour.compliance", "run.duration", "hazards[0].type", "batch", "sweep", "calibrate",
    "sobol", "morris"})


def _check_experiment(path):
    try:
        experiment = load_experiment(path)
    except ScenarioError as exc:
        assert exc.problems and all(isinstance(p.path, str) and p.message for p in exc.problems)
        return
    if isinstance(experiment, BatchExperiment):
        variants = [dict(zip(experiment.vary, values, strict=True))
                    for values in zip(*experiment.vary.values(), strict=False)] or [{}]
    elif isinstance(experiment, SweepExperiment):
        variants = [{name: low for name, (low, _) in experiment.parameters.items()}]
    else:
        return
    try:
        design_runs(experiment, variants, locate=lambda v, p: ("vary", p))
    except ScenarioError as exc:
        assert exc.problems and all(p.message for p in exc.problems)


@SETTINGS
@given(st.data())
def test_random_mutations_of_valid_experiments(tmp_path, data):
    town(tmp_path)
    doc = copy.deepcopy(data.draw(st.sampled_from(EXPERIMENTS), label="experiment"))
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        paths = [p for p in _paths(doc) if p]
        loc = data.draw(st.sampled_from(paths), label="where")
        parent = _get(doc, loc[:-1])
        action = data.draw(st.sampled_from(["delete", "replace", "add"]), label="what")
        if action == "delete":
            del parent[loc[-1]]
        elif action == "replace":
            parent[loc[-1]] = data.draw(VALUES, label="value")
        elif isinstance(parent, dict):
            parent[data.draw(st.sampled_from(WORDS), label="key")] = data.draw(VALUES)
        else:
            parent.append(data.draw(VALUES, label="value"))
    path = tmp_path / "e.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    _check_experiment(path)


# option values: garbage, edge numbers, and a few valid ones; no scheduler address that
# would be tried (no ":"), no worker count that would start a cluster
ANY = st.one_of(st.sampled_from(["0", "-1", "1", "2", "1.5", "nan", "inf", "-inf", "1e400",
                                 "5min", "-5min", "2h", "soon", "", " ", "engine", "ladder",
                                 "x", "pmedian", "mexclp", "lscp", "1" * 30]),
                st.text(alphabet=st.characters(blacklist_characters=":\x00",
                                               blacklist_categories=("Cs",)), max_size=8))
OPTIONS = {
    "run": ["--seed", "--set"],
    "validate": ["--seed", "--set"],
    "coverage": ["--standard", "--unit", "--at", "--seed"],
    "optimize": ["--shelters", "--stations", "--model", "--replications", "--standard",
                 "--busy-fraction"],
    "batch": ["--workers", "--scheduler"],
    "sweep": ["--workers", "--scheduler"],
    "calibrate": ["--workers", "--scheduler"],
    "report": [],
    "drill": ["--tolerance", "--seed", "--compare", "--from"],
}


@settings(max_examples=max(20, EXAMPLES * 2 // 3), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.data())
def test_random_options_of_every_verb(tmp_path, capsys, data):
    town(tmp_path)
    (tmp_path / "e.yaml").write_text(yaml.safe_dump(EXPERIMENTS[0]).replace("results/b",
                                                                             "nowhere/b"))
    verb = data.draw(st.sampled_from(sorted(OPTIONS)), label="verb")
    target = {"batch": "e.yaml", "sweep": "e.yaml", "calibrate": "e.yaml",
              "report": "nowhere"}.get(verb, "town.yaml")
    argv = [verb, str(tmp_path / target)]
    for option in data.draw(st.lists(st.sampled_from(OPTIONS[verb] or ["--out"]), max_size=3,
                                     unique=True), label="options"):
        value = data.draw(ANY, label=option)
        if option in ("--workers",) and value.strip() not in ("0", "-1", "x", ""):
            value = "-1"  # a real cluster is another test's business
        argv += [option, value]
    if verb in ("run", "coverage", "optimize", "drill"):
        argv += ["--out", str(tmp_path / "out")]
    if verb in ("run", "optimize", "drill", "batch", "sweep", "calibrate"):
        argv.append("--no-progress")
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse refuses an option as it parses
        code = exit_.code
    err = capsys.readouterr().err
    assert code in (0, 2), (argv, err)
    assert "Traceback" not in err, (argv, err)
