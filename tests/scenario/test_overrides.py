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
