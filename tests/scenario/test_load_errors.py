"""Invalid scenarios: each problem at its YAML path and line, with a clear message."""

import pytest

from citysim.errors import ScenarioError
from citysim.scenario import load_scenario, load_scenario_text

# (what is changed in full.yaml, replacement, expected path, line, words of the message)
CASES = [
    pytest.param(
        "rate_kg_s: 5",
        "rate_kgs: 5",
        "hazards[1].release.rate_kgs",
        43,
        "unknown key 'rate_kgs' (expected one of: rate_kg_s, mass_kg, start, duration); "
        "did you mean 'rate_kg_s'?",
        id="unknown-key-at-depth",
    ),
    pytest.param(
        "rate_kg_s: 5",
        "rate_kg_s: -5",
        "hazards[1].release.rate_kg_s",
        43,
        "expected a value > 0, got -5",
        id="negative-rate",
    ),
    pytest.param(  # issue #21: refused as a drill inject after the end already was
        "warnings: [{at: 10min, reach: 0.9}]",
        "warnings: [{at: 7h, reach: 0.9}]",
        "behaviour.warnings[0].at",
        49,
        "expected a time within the run (run.duration: 6h), got 7h",
        id="warning-after-the-end",
    ),
    pytest.param(
        "  dt: 5s",
        "  dt: 7h",
        "run.dt",
        6,
        "expected dt <= duration (6h), got 7h",
        id="dt-over-duration",
    ),
    pytest.param(
        "  duration: 6h",
        "  duration: six hours",
        "run.duration",
        5,
        'like "90s", "15min", "2h", "1h30min"',
        id="bad-duration-string",
    ),
    pytest.param(
        "  - type: fire",
        "  - type: wildfire",
        "hazards[2].type",
        45,
        "unknown hazard type 'wildfire' (known: chemical_leak, fire, flood, road_closure)",
        id="unknown-hazard-type",
    ),
    pytest.param(
        "{id: S3,",
        "{id: S1,",
        "shelters[2].id",
        25,
        "duplicate id 'S1'",
        id="duplicate-shelter-id",
    ),
    pytest.param(
        "{csv: candidate_shelters.csv}",
        "{csv: no_such_file.csv}",
        "candidates.shelters.csv",
        27,
        "input file not found: ",
        id="missing-csv",
    ),
    pytest.param(
        "    synthetic: {kind: grid, rows: 40",
        "    graphml: city.graphml\n    synthetic: {kind: grid, rows: 40",
        "city.network",
        10,
        "expected exactly one of: synthetic, graphml, osm; got synthetic and graphml",
        id="two-network-sources",
    ),
    pytest.param(
        "mode_share: {walk: 0.7, car: 0.3}",
        "mode_share: {walk: 0.7, car: 0.2}",
        "behaviour.mode_share",
        54,
        "expected walk + car = 1, got 0.7 + 0.2 = 0.9",
        id="mode-share-sum",
    ),
    pytest.param(
        "    substance: chlorine",
        "    substance: chlorin",
        "hazards[1].substance",
        42,
        "did you mean 'chlorine'?",
        id="unknown-substance",
    ),
    pytest.param(
        "stability: D",
        "stability: G",
        "hazards[1].weather.stability",
        44,
        "expected one of: A, B, C, D, E, F, got 'G'",
        id="bad-literal",
    ),
    pytest.param(
        "name: zhengzhou-rainstorm",
        "name: Zhengzhou Rainstorm",
        "name",
        2,
        "lowercase letters, digits",
        id="bad-name",
    ),
    pytest.param(
        "  origin: {lon: 113.65, lat: 34.76}\n",
        "",
        "shelters[1].location",
        23,
        "needs city.origin",
        id="lonlat-without-origin",
    ),
    pytest.param(
        "  terrain:\n    synthetic: {kind: bowl, cell_m: 25, slope: 0.002, depth_m: 4}\n",
        "",
        "city.terrain",
        9,
        "required by hazards[0] (flood)",
        id="flood-without-terrain",
    ),
    pytest.param(
        "[[0, 0], [1h, 50], [2h, 201.9]",
        "[[0, 0], [2h, 50], [1h, 201.9]",
        "hazards[0].rain_mm_h[2][0]",
        34,
        "times must increase strictly: 1h follows 2h",
        id="series-times",
    ),
    pytest.param(
        "{dist: normal, mean: 1.34, sd: 0.26, min: 0.5}",
        "{dist: lognormal, sigma: 0.26}",
        "behaviour.walk_speed_mps.median",
        53,
        "a lognormal distribution needs median and sigma",
        id="distribution-missing-parameter",
    ),
    pytest.param(
        "{dist: normal, mean: 1.34, sd: 0.26, min: 0.5}",
        "{dist: normal, mean: 1.34, sd: 0.26}",
        "behaviour.walk_speed_mps",
        53,
        "can draw values <= 0",
        id="walk-speed-may-be-negative",
    ),
    pytest.param(
        "  compliance: 0.85",
        "  compliance: yes",
        "behaviour.compliance",
        51,
        "expected a number, got true",
        id="boolean-for-number",
    ),
    pytest.param(
        "  max_snap_m: 400",
        "  max_snap_m: '400'",
        "city.max_snap_m",
        13,
        "expected a number, got '400'",
        id="string-for-number",
    ),
    pytest.param(
        "    residents: 200000",
        "    residents: 200000.0",
        "city.population.residents",
        17,
        "expected a whole number, got 200000.0",
        id="float-for-int",
    ),
    pytest.param(
        "{id: P1, location",
        "{id: P1, locaton",
        "outputs.probes[0].locaton",
        63,
        "did you mean 'location'?",
        id="typo-in-list-item",
    ),
    pytest.param(
        "  - {id: S3, location: {node: 5}, capacity: 300}",
        "  - {id: S3, location: {node: 5}}",
        "shelters[2].capacity",
        25,
        "required: give capacity (persons), or area_m2",
        id="missing-key",
    ),
    pytest.param(
        "  dt: 5s",
        "  dt: 5s\n  dt: 6s",
        "run.dt",
        7,
        "duplicate key 'dt' (first on line 6)",
        id="duplicate-yaml-key",
    ),
    pytest.param(
        "{kind: grid, rows: 40",
        "{kind: grid, rings: 3, rows: 40",
        "city.network.synthetic.rings",
        11,
        "rings applies to kind: radial only",
        id="other-kind-parameter",
    ),
    pytest.param(
        "  background_calls: {rate_per_h: 2, distribution: population}",
        "  background_calls: {rate_per_h: 2, profile: [1, 2, 3]}",
        "response.background_calls.profile",
        59,
        "expected at least 24 items, got 3",
        id="profile-length",
    ),
    pytest.param(
        "release: {rate_kg_s: 5,",
        "release: {mass_kg: 100, rate_kg_s: 5,",
        "hazards[1].release.mass_kg",
        43,
        "not both",
        id="two-release-kinds",
    ),
    pytest.param(
        "  plots: true",
        "  plots: true\nextra_section: 1",
        "extra_section",
        65,
        "unknown key 'extra_section'",
        id="unknown-section",
    ),
]


@pytest.mark.parametrize(("old", "new", "path", "line", "words"), CASES)
def test_invalid_scenarios(full_text, problems_of, old, new, path, line, words):
    assert old in full_text
    problems = problems_of(full_text.replace(old, new, 1))
    assert (path, line) in [(p, n) for p, n, _ in problems], problems
    message = next(m for p, n, m in problems if (p, n) == (path, line))
    assert words in message, message
    assert len(problems) == 1, problems


def test_all_problems_are_reported_at_once(full_text, problems_of):
    text = (
        full_text.replace("rate_kg_s: 5", "rate_kg_s: -5")
        .replace("  dt: 5s", "  dt: 7h")
        .replace("{id: S3,", "{id: S1,")
        .replace("  compliance: 0.85", "  compliance: 1.5")
        .replace("type: fire", "type: fyre")
    )
    paths = {p for p, _, _ in problems_of(text)}
    assert paths == {
        "hazards[1].release.rate_kg_s",
        "run.dt",
        "shelters[2].id",
        "behaviour.compliance",
        "hazards[2].type",
    }


def test_problems_come_in_file_order(full_text, problems_of):
    text = full_text.replace("  compliance: 0.85", "  compliance: 1.5").replace(
        "  dt: 5s", "  dt: 0"
    )
    assert [n for _, n, _ in problems_of(text)] == [6, 51]


def test_yaml_syntax_error_has_its_line(problems_of):
    problems = problems_of("name: x\nrun:\n  duration: [1, 2\n  dt: 3\ncity: {}\n")
    assert len(problems) == 1 and problems[0][0] == "" and problems[0][1] == 4
    assert problems[0][2].startswith("invalid YAML")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "the file is empty"),
        ("# only a comment\n", "the file is empty"),
        ("- a\n- b\n", "expected a scenario: a mapping"),
        ("just text", "expected a scenario: a mapping"),
        ("a: 1\n---\nb: 2\n", "expected a single document"),
        ("a: !!python/object:os.system {}\n", "invalid YAML"),
        ("a: &x [*x]\n", "alias refers to the value that contains it"),
        ("a: 2021-13-45\n", "invalid YAML value"),
        ("a: \x00\n", "invalid YAML"),
    ],
)
def test_files_that_are_not_scenarios(problems_of, text, words):
    problems = problems_of(text)
    assert len(problems) == 1 and words in problems[0][2], problems


def test_alias_bomb_is_refused(problems_of):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 8)]
    problems = problems_of("\n".join(lines) + "\n")
    assert "too large once aliases are expanded" in problems[0][2]


def test_unreadable_files(tmp_path):
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "missing.yaml")
    assert "cannot read the file" in str(info.value)
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(bad)
    assert info.value.problems[0].line == 1 and "not UTF-8" in info.value.problems[0].message
    assert info.value.source == bad.absolute()


def _csv_problems(tmp_path, csv_text, section="shelters", origin=False):
    (tmp_path / "sites.csv").write_text(csv_text)
    text = (
        "name: t\nrun: {duration: 1h, dt: 10s}\ncity:\n  network: {synthetic: {}}\n"
        + ("  origin: {lon: 1, lat: 1}\n" if origin else "")
        + f"{section}: {{csv: sites.csv}}\n"
    )
    try:
        load_scenario_text(text, base_dir=tmp_path)
    except ScenarioError as exc:
        return [(p.path, p.line, p.message) for p in exc.problems]
    return []


def test_bad_csv_rows_name_the_file_and_row(tmp_path):
    problems = _csv_problems(
        tmp_path,
        "id,name,capacity,kind,x,y\n"
        "A,Alpha,100,park,0,0\n"
        "B,Beta,lots,park,10,10\n"
        "\n"
        "C,Gamma,-5,school,20,\n",
    )
    assert sorted(problems) == [
        (
            "shelters.csv[row 2].capacity",
            5,
            "expected a whole number, got 'lots' (sites.csv, line 3)",
        ),
        ("shelters.csv[row 3].capacity", 5, "expected a value >= 0, got -5 (sites.csv, line 5)"),
        (
            "shelters.csv[row 3].y",
            5,
            "missing: a location given by x needs y too (sites.csv, line 5)",
        ),
    ]


def test_duplicate_ids_in_csv(tmp_path):
    problems = _csv_problems(tmp_path, "id,capacity,node\nA,1,1\nB,2,2\nA,3,3\n")
    assert problems == [
        (
            "shelters.csv[row 3].id",
            5,
            "duplicate id 'A' (already used by row 1) (sites.csv, line 4)",
        )
    ]


@pytest.mark.parametrize(
    ("csv_text", "words"),
    [
        ("", "sites.csv is empty"),
        ("id,capacity,x,y,colour\nA,1,0,0,red\n", "unknown column 'colour'"),
        ("id,capacty,x,y\nA,1,0,0\n", "did you mean 'capacity'?"),
        ("id,capacity\nA,1\n", "missing location columns"),
        ("name,capacity,x,y\nA,1,0,0\n", "missing column 'id'"),
        ("id,x,y\nA,0,0\n", "missing column 'capacity'"),
        ("id,capacity,x,y\nA,1,0\n", "expected 4 cells as in the header, got 3"),
    ],
)
def test_bad_csv_files(tmp_path, csv_text, words):
    problems = _csv_problems(tmp_path, csv_text)
    assert any(words in m for _, _, m in problems), problems
    assert all(p.startswith("shelters.csv") for p, _, _ in problems)


def test_station_csv_needs_unit_columns(tmp_path):
    problems = _csv_problems(tmp_path, "id,node\nF1,3\n", section="stations")
    assert "missing unit columns" in problems[0][2]
    assert _csv_problems(tmp_path, "id,node,engine,turnout\nF1,3,,90s\n", section="stations") == []
    problems = _csv_problems(tmp_path, "id,node,engine,turnout\nF1,3,1,soon\n", section="stations")
    assert problems[0][0] == "stations.csv[row 1].turnout"


def test_other_list_forms_are_explained(problems_of):
    base = "name: t\nrun: {duration: 1h, dt: 10s}\ncity:\n  network: {synthetic: {}}\n"
    problems = problems_of(base + "shelters: shelters.csv\n")
    assert problems == [
        ("shelters", 5, "expected a list of shelters or {csv: path}, got 'shelters.csv'")
    ]
    problems = problems_of(base + "shelters: {file: shelters.csv}\n")
    assert {p for p, _, _ in problems} == {"shelters.file", "shelters.csv"}
    problems = problems_of(base + "hazards: [{rain_mm_h: 3}]\n")
    assert problems[0][:2] == ("hazards[0].type", 5)
    assert ("every hazard needs a type (one of: chemical_leak, fire, flood, road_closure)"
            in problems[0][2])
    problems = problems_of(base + "hazards: [flood]\n")
    assert problems[0][0] == "hazards[0]" and "a mapping with a type" in problems[0][2]


def test_yaml_1_1_number_surprises_are_not_silent(problems_of):
    base = "name: t\nrun: {duration: 1:30, dt: 10s}\ncity:\n  network: {synthetic: {}}\n"
    problems = problems_of(base + "shelters: [{id: 007, location: {node: 017}, capacity: 5}]\n")
    assert [(p, n) for p, n, _ in problems] == [
        ("run.duration", 2),
        ("shelters[0].location.node", 5),
    ]
    assert "got '1:30'" in problems[0][2] and "got '017'" in problems[1][2]


def test_exponent_numbers_are_numbers(tmp_path):
    text = "name: t\nrun: {duration: 1e4, dt: 10s}\ncity:\n  network: {synthetic: {}}\n"
    s = load_scenario_text(text + "  max_snap_m: 2.5e2\n", base_dir=tmp_path)
    assert s.run.duration == 10000 and s.city.max_snap_m == 250
