"""Fuzzing the loader: bad input of any shape gives a ScenarioError, never another exception.

Every generated input must either load (and then its resolved form must be
JSON and load back to the same scenario) or raise ScenarioError with at least
one Problem whose path is a string.
"""

from __future__ import annotations

import copy
import json
import os
import string
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citysim.errors import ScenarioError
from citysim.scenario import Scenario, load_scenario, load_scenario_dict, load_scenario_text

DATA = Path(__file__).parent / "data"
FULL = yaml.safe_load((DATA / "full.yaml").read_text())
# CITYSIM_FUZZ_EXAMPLES=5000 pytest tests/scenario/test_fuzz.py for a longer hunt
SETTINGS = settings(
    max_examples=int(os.environ.get("CITYSIM_FUZZ_EXAMPLES", "250")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _keys(value, out):
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(k)
            _keys(v, out)
    elif isinstance(value, list):
        for v in value:
            _keys(v, out)
    return out


VOCABULARY = sorted(
    _keys(FULL, set())
    | {
        "graphml",
        "osm",
        "asc",
        "csv",
        "node",
        "lon",
        "lat",
        "value",
        "sd",
        "median",
        "low",
        "high",
        "shape",
        "scale",
        "max",
        "mass_kg",
        "infiltration_mm_h",
        "mixing_height_m",
        "node_weight",
        "profile",
        "rings",
        "spokes",
        "ring_spacing_m",
        "jitter_m",
        "base_m",
        "area_m2",
        "aegl_ppm",
        "probit",
        "mw_g_mol",
        "aegl2",
        "aegl3",
        "a",
        "b",
        "n",
        "units",
    }
)
DURATIONISH = st.from_regex(
    r"-?[0-9.]{0,4} ?(d|h|min|s|m|hours|x)?[0-9.]{0,3}(min|s)?", fullmatch=True
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.integers(-(2**80), 2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    DURATIONISH,
    st.sampled_from(
        [
            "uniform",
            "flood",
            "fire",
            "chemical_leak",
            "chlorine",
            "grid",
            "radial",
            "closed",
            "open",
            "D",
            "urban",
            "normal",
            "lognormal",
            "fixed",
            "weibull",
            "auto",
            "10min",
            "1h30min",
            "shelters.csv",
            "stations.csv",
            "dem.asc",
            "city.osm",
            "full.yaml",
            "missing.csv",
            "/",
            "",
            ".",
            "..",
            "~nobody/x",
            "a\x00b",
            "x" * 300,
        ]
    ),
)
KEYS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False))
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(VOCABULARY), st.text(max_size=6), KEYS), children, max_size=4
        ),
    ),
    max_leaves=12,
)


def _check(load):
    try:
        scenario = load()
    except ScenarioError as exc:
        assert exc.problems
        for p in exc.problems:
            assert isinstance(p.path, str) and isinstance(p.message, str) and p.message
            assert p.line is None or (isinstance(p.line, int) and p.line >= 1)
        assert str(exc)
        return None
    assert isinstance(scenario, Scenario)
    resolved = scenario.resolved()
    again = load_scenario_dict(json.loads(json.dumps(resolved, allow_nan=False)), base_dir="/")
    assert again == scenario and again.resolved() == resolved
    return scenario


def _paths(value, loc=()):
    yield loc
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*loc, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*loc, i))


def _get(data, loc):
    for part in loc:
        data = data[part]
    return data


@SETTINGS
@given(st.dictionaries(st.sampled_from(VOCABULARY), VALUES, max_size=8))
def test_random_documents(doc):
    text = yaml.safe_dump(doc, allow_unicode=True)
    _check(lambda: load_scenario_text(text, base_dir=DATA))
    _check(lambda: load_scenario_dict(doc, base_dir=DATA))


@SETTINGS
@given(VALUES)
def test_random_values_at_the_top(value):
    _check(lambda: load_scenario_dict(value, base_dir=DATA))


@SETTINGS
@given(st.data())
def test_random_mutations_of_a_valid_scenario(data):
    doc = copy.deepcopy(FULL)
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        paths = [p for p in _paths(doc) if p]
        loc = data.draw(st.sampled_from(paths), label="where")
        parent = _get(doc, loc[:-1])
        action = data.draw(st.sampled_from(["delete", "replace", "replace", "add"]), label="what")
        if action == "delete":
            del parent[loc[-1]]
        elif action == "replace":
            parent[loc[-1]] = data.draw(VALUES, label="value")
        elif isinstance(parent, dict):
            key = data.draw(
                st.one_of(st.sampled_from(VOCABULARY), st.text(max_size=6)), label="key"
            )
            parent[key] = data.draw(VALUES, label="value")
        else:
            parent.append(data.draw(VALUES, label="value"))
    _check(lambda: load_scenario_dict(doc, base_dir=DATA))


PATH_PART = st.one_of(
    st.sampled_from(VOCABULARY),
    st.sampled_from(["[0]", "[1]", "[5]", "[x]", "..", "[", "]", "="]),
    st.text(alphabet=string.ascii_lowercase + "_.[]0123456789 ", max_size=6),
)


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.lists(PATH_PART, min_size=1, max_size=5),
            st.one_of(
                DURATIONISH,
                st.text(max_size=10),
                VALUES.map(lambda v: yaml.safe_dump(v, default_flow_style=True).strip()),
            ),
        ),
        max_size=4,
    ),
    st.one_of(st.none(), st.integers(-5, 2**65)),
)
def test_random_overrides(overrides, seed):
    texts = []
    for parts, value in overrides:
        path = ""
        for part in parts:
            path += part if part.startswith("[") or not path else "." + part
        texts.append(f"{path}={value}")
    _check(lambda: load_scenario_dict(FULL, base_dir=DATA, overrides=texts, seed=seed))


@SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes_as_the_file(tmp_path, content):
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(content)
    _check(lambda: load_scenario(path))


@SETTINGS
@given(st.text(alphabet=st.sampled_from(list(":-[]{},&*!|>'\"#%@` \n\tabcxyz019.~?")), max_size=80))
def test_random_yaml_like_text(text):
    _check(lambda: load_scenario_text(text, base_dir=DATA))


CSV_CELLS = st.one_of(
    st.sampled_from(
        [
            "id",
            "name",
            "capacity",
            "kind",
            "x",
            "y",
            "lon",
            "lat",
            "node",
            "area_m2",
            "engine",
            "turnout",
            "S1",
            "5",
            "-5",
            "1.5",
            "1e3",
            "nan",
            "inf",
            "",
            " ",
            "60s",
            "soon",
            '"a,b"',
            '"',
            "\t",
        ]
    ),
    st.text(max_size=5),
)


HEADERS = st.one_of(
    st.sampled_from(
        [
            ["id", "capacity", "x", "y"],
            ["id", "name", "capacity", "kind", "lon", "lat"],
            ["id", "node", "engine", "turnout"],
            ["id", "x", "y", "area_m2"],
            ["id", "node"],
        ]
    ),
    st.lists(CSV_CELLS, max_size=7),
)


@SETTINGS
@given(
    HEADERS,
    st.lists(st.lists(CSV_CELLS, min_size=0, max_size=7), min_size=0, max_size=6),
    st.sampled_from(["shelters", "stations", "candidates.shelters", "candidates.stations"]),
    st.booleans(),
)
def test_random_csv_files(tmp_path, header, rows, section, crlf):
    rows = [header, *rows]
    newline = "\r\n" if crlf else "\n"
    (tmp_path / "sites.csv").write_text(newline.join(",".join(r) for r in rows), newline="")
    key, _, sub = section.partition(".")
    block = f"{key}:\n  {sub}: {{csv: sites.csv}}\n" if sub else f"{key}: {{csv: sites.csv}}\n"
    text = (
        "name: t\nrun: {duration: 1h, dt: 10s}\ncity:\n  network: {synthetic: {}}\n"
        "  origin: {lon: 1, lat: 2}\n" + block
    )
    _check(lambda: load_scenario_text(text, base_dir=tmp_path))


def test_deep_nesting_is_an_error_not_a_crash():
    _check(lambda: load_scenario_text("a: " + "[" * 5000 + "]" * 5000, base_dir=DATA))
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    _check(lambda: load_scenario_dict({"name": "x", "shelters": deep}, base_dir=DATA))
    _check(lambda: load_scenario_dict({"name": "x", "z": deep}, base_dir=DATA, overrides=["a=1"]))
