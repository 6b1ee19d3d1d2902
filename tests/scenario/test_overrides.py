import pytest

from citysim.errors import ScenarioError
from citysim.scenario import Override, apply_overrides, load_scenario, parse_override


def _load(data_dir, *overrides, seed=None):
    return load_scenario(data_dir / "full.yaml", overrides=list(overrides), seed=seed)


def _problems(data_dir, *overrides, seed=None):
    with pytest.raises(ScenarioError) as info:
        _load(data_dir, *overrides, seed=seed)
    return [(p.path, p.line, p.message) for p in info.value.problems]


def test_nested_and_indexed_overrides(data_dir):
    s = _load(
        data_dir,
        "hazards[1].release.rate_kg_s=10",
        "behaviour.compliance=0.6",
        "run.duration=2h",
        "city.network.synthetic.rows=10",
        "hazards[0].rain_mm_h=[[0, 5], [30min, 0]]",
        "shelters[0].location={x: 1, y: 2}",
        "behaviour.response_delay.median=2min",
        "outputs.plots=false",
    )
    assert s.hazards[1].release.rate_kg_s == 10
    assert s.behaviour.compliance == 0.6
    assert s.run.duration == 7200
    assert s.city.network.synthetic.rows == 10
    assert s.hazards[0].rain_mm_h.value_at(60) == 5 and s.hazards[0].rain_mm_h.value_at(1800) == 0
    assert (s.shelters[0].location.x, s.shelters[0].location.y) == (1, 2)
    assert s.behaviour.response_delay.median == 120
    assert s.outputs.plots is False
    assert s.overrides[0] == "hazards[1].release.rate_kg_s=10" and len(s.overrides) == 8


def test_seed_replaces_run_seed_and_is_recorded(data_dir):
    s = _load(data_dir, "run.seed=5", seed=11)
    assert s.run.seed == 11 and s.overrides == ("run.seed=5", "run.seed=11")


def test_overrides_apply_in_order(data_dir):
    assert _load(data_dir, "run.dt=1s", "run.dt=2s").run.dt == 2


def test_an_override_may_create_missing_keys(data_dir, tmp_path):
    s = _load(data_dir, "city.origin=", "shelters[1].location={x: 100, y: 100}",
              "response.background_calls.profile=[" + "1," * 23 + "1]")
    assert s.city.origin is None and len(s.response.background_calls.profile) == 24
    minimal = tmp_path / "m.yaml"
    minimal.write_text("name: m\nrun: {duration: 1h, dt: 10s}\ncity: {network: {synthetic: {}}}\n")
    s = load_scenario(
        minimal,
        overrides=["city.terrain.synthetic.kind=valley", "behaviour.mode_share={walk: 1, car: 0}"],
    )
    assert s.city.terrain.synthetic.kind == "valley" and s.behaviour.mode_share.walk == 1


def test_created_keys_are_judged_by_validation(data_dir):
    problems = _problems(data_dir, "behaviour.compliancy=0.5", "run.dt=10h")
    assert sorted(problems) == [
        (
            "behaviour.compliancy",
            None,
            "unknown key 'compliancy' (expected one of: warnings, response_delay, compliance, "
            "action, walk_speed_mps, mode_share, persons_per_car, word_of_mouth_per_h); "
            "did you mean 'compliance'? "
            "(value from override 'behaviour.compliancy=0.5')",
        ),
        (
            "run.dt",
            None,
            "expected dt <= duration (6h), got 10h (value from override 'run.dt=10h')",
        ),
    ]


@pytest.mark.parametrize(
    ("override", "path", "words"),
    [
        ("hazards[3].type=fire", "hazards[3].type", "index [3] out of range: hazards has 3 items"),
        (
            "run.duration.hours=2",
            "run.duration.hours",
            "run.duration is a str ('6h'), not a mapping",
        ),
        ("run[0]=1", "run[0]", "cannot index [0]: run is a mapping, not a list"),
        ("shelters.csv=x.csv", "shelters.csv", "shelters is a list, not a mapping"),
        ("name.first=a", "name.first", "not a mapping"),
        ("behaviour..compliance=1", "behaviour..compliance", "expected a path such as"),
        ("hazards[x].type=fire", "hazards[x].type", "expected a path such as"),
        ("=3", "", "expected a path such as"),
        ("behaviour.compliance", "", "expected key.path=value"),
        ("behaviour.compliance=[1, 2", "behaviour.compliance", "the value is not valid YAML"),
    ],
)
def test_bad_overrides_name_the_override(data_dir, override, path, words):
    problems = _problems(data_dir, override)
    assert len(problems) == 1, problems
    got_path, line, message = problems[0]
    assert got_path == path and line is None
    assert words in message and repr(override) in message


def test_every_bad_override_is_reported(data_dir):
    problems = _problems(data_dir, "a", "hazards[9].x=1", "run.duration.y=1", seed=-1)
    assert {p for p, _, _ in problems} == {"", "hazards[9].x", "run.duration.y", "run.seed"}


def test_parse_override_values_are_yaml():
    assert parse_override("a.b=2h").value == "2h"
    assert parse_override("a.b=0.6").value == 0.6
    assert parse_override("a.b=[1, 2]").value == [1, 2]
    assert parse_override("a.b={x: 1, y: 2}").value == {"x": 1, "y": 2}
    assert parse_override("a.b=").value is None
    assert parse_override("a.b=x=y").value == "x=y"
    o = parse_override(" hazards[0].release.rate_kg_s = 10 ")
    assert o.loc == ("hazards", 0, "release", "rate_kg_s") and o.value == 10
    assert o.path == "hazards[0].release.rate_kg_s"


def test_apply_overrides_copies_and_takes_override_objects():
    data = {"a": {"b": [1, 2]}}
    out = apply_overrides(data, [Override.of("a.b[1]", {"x": [3]}), "a.c=4"])
    assert out == {"a": {"b": [1, {"x": [3]}], "c": 4}} and data == {"a": {"b": [1, 2]}}
    assert Override.of("a.b[1]", {"x": [3]}).text == "a.b[1]={x: [3]}"
    assert apply_overrides(data, []) is data


# --- a sub-key merges into the schema's default --------------------------------------

NO_RESPONSE = """\
name: defaults
run: {duration: 1h, dt: 10s}
city: {network: {synthetic: {rows: 4, cols: 4}}, buildings: {synthetic: {}}}
stations: [{id: F1, location: {node: 0}, units: {engine: 1}}]
hazards:
  - type: fire
    ignitions: [{location: {node: 5}, at: 0}]
"""


def test_a_sub_key_merges_into_the_default_of_its_parent(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text(NO_RESPONSE)
    s = load_scenario(path, overrides=[
        "response.service_time.median=30min",       # section and key both defaulted
        "behaviour.walk_speed_mps.sd=0.1",
        "stations[0].units.ladder=1",                # merges into the file's units
        "hazards[0].needs.rescue=1",                 # fire default: two engines
    ])
    # the other keys are the schema's defaults (schema.py), not emptied
    assert (s.response.service_time.dist, s.response.service_time.median,
            s.response.service_time.sigma) == ("lognormal", 1800.0, 0.5)
    assert (s.behaviour.walk_speed_mps.mean, s.behaviour.walk_speed_mps.sd,
            s.behaviour.walk_speed_mps.min) == (1.34, 0.1, 0.5)
    assert (s.stations[0].units.engine, s.stations[0].units.ladder) == (1, 1)
    assert (s.hazards[0].needs.engine, s.hazards[0].needs.rescue) == (2, 1)
    # a value the file gives is what an override merges into
    s = load_scenario(path, overrides=["response.service_time={dist: fixed, value: 10min}",
                                       "response.service_time.value=20min"])
    assert (s.response.service_time.dist, s.response.service_time.value) == ("fixed", 1200.0)


def test_cli_set_of_a_defaulted_sub_key(tmp_path, capsys):
    from citysim.cli import main

    path = tmp_path / "d.yaml"
    path.write_text(NO_RESPONSE)
    assert main(["validate", str(path), "--set", "response.service_time.median=30min"]) == 0
    assert main(["validate", str(path), "--set", "response.service_time.mediann=30min"]) == 2
    err = capsys.readouterr().err
    assert "response.service_time.mediann: unknown key 'mediann'" in err
    assert "did you mean 'median'?" in err and "Traceback" not in err


def test_unknown_sub_keys_still_name_their_path(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text(NO_RESPONSE)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides=["city.origin.lat=10", "response.nosuch.median=1",
                                       "hazards[0].wind.speed=3", "run.limits.x=1"])
    got = {p.path: p.message for p in info.value.problems}
    # city.origin has no default (None): created empty, then judged
    assert got["city.origin.lon"] == "required key is missing"
    assert got["response.nosuch"].startswith("unknown key 'nosuch'")
    assert got["hazards[0].wind.speed"].startswith("unknown key 'speed'")
    assert "did you mean 'speed_mps'?" in got["hazards[0].wind.speed"]
    assert got["run.limits"].startswith("unknown key 'limits'")
    assert all("(value from override" in got[k]
               for k in ("response.nosuch", "hazards[0].wind.speed", "run.limits"))


def test_a_sweep_varies_a_defaulted_sub_key(tmp_path):
    from citysim.experiments import load_experiment
    from citysim.experiments.sweep import run_sweep
    from tests.experiments.cases import town, write

    town(tmp_path)  # no response section: service_time is the schema's default
    experiment = load_experiment(write(tmp_path, "sweep.yaml", """\
kind: sweep
base: town.yaml
method: morris
samples: 2
parameters:
  response.service_time.median: [10min, 30min]
  behaviour.compliance: [0.5, 1.0]
outputs: [evacuated]
out: results/sweep
"""))
    result = run_sweep(experiment, workers=0)
    assert len(result.table) == 2 * (2 + 1) and result.failed == 0
    medians = result.table["response.service_time.median"]
    assert medians.between(600, 1800).all() and medians.nunique() > 1
