"""``citysim drill``: a Master Scenario Events List from a run, and the exercise compared."""

import shutil

import numpy as np
import pandas as pd
import pytest

from citysim.cli import main
from citysim.drill.msel import MSEL_COLUMNS, build_msel
from citysim.drill.refs import resolve_ref
from citysim.humanize import clock, parse_clock
from citysim.scenario import load_scenario_text
from tests.report.storm_city import STORM_CITY, write_storm

KINDS = ("Warning issued", "Shelter HILL full", "Lorry across Ring Road (LORRY)",
         "Road reopened (LORRY: Lorry across Ring Road)", "roads closed by water",
         "Call waits for a free unit", "Response beyond the standard",
         "Metro operator reports water at Line 5 entrance",
         "Mutual aid requested for the district", "Unit F1-engine1 out of service",
         "Unit F1-engine1 back in service")


@pytest.fixture(scope="module")
def drill(tmp_path_factory):
    root = tmp_path_factory.mktemp("drill")
    scenario = write_storm(root)
    out = root / "out"
    code = main(["drill", str(scenario), "--out", str(out), "--no-progress",
                 "--set", "outputs.animation=false", "--set", "outputs.geojson=false",
                 "--set", "outputs.plots=false"])
    assert code == 0
    return out, pd.read_csv(out / "msel.csv", encoding="utf-8-sig", keep_default_na=False)


def test_timeline_is_complete_and_ordered(drill):
    out, msel = drill
    assert list(msel.columns) == MSEL_COLUMNS
    assert list(msel["inject_no"]) == list(range(1, len(msel) + 1))
    t = msel["scenario_time_s"].to_numpy(float)
    assert np.all(np.diff(t) >= 0) and t[0] >= 0 and t[-1] <= 6000
    assert list(msel["scenario_time"]) == [clock(x) for x in t]
    for column in ("event", "inject_text", "from", "to", "source_ref"):
        assert (msel[column].str.len() > 0).all(), column
    assert (msel["observed_time"] == "").all() and (msel["notes"] == "").all()
    for kind in KINDS:  # every kind of inject the run should give
        assert msel["event"].str.contains(kind, regex=False).any(), kind
    md = (out / "msel.md").read_text(encoding="utf-8")
    assert md.count("\n| ") == len(msel) + 1  # header + one row per inject
    assert "| 1 | 00:05:00 | Warning issued |" in md


def test_every_inject_traces_to_a_row_of_its_table(drill):
    out, msel = drill
    for ref in msel["source_ref"]:
        found = resolve_ref(ref, out)
        assert found is not None and (not isinstance(found, pd.DataFrame) or len(found)), ref
    with pytest.raises(KeyError):
        resolve_ref("incidents.parquet:incident=I999999", out)
    with pytest.raises(KeyError):
        resolve_ref("shelters.parquet:row=99", out)


def test_inject_times_are_the_simulated_times(drill):
    out, msel = drill
    shelters = pd.read_parquet(out / "shelters.parquet").set_index("shelter")
    incidents = pd.read_parquet(out / "incidents.parquet").set_index("incident")
    roads = pd.read_parquet(out / "flooded_roads.parquet")
    for row in msel.to_dict("records"):
        t, ref = float(row["scenario_time_s"]), row["source_ref"]
        key = ref.split("=", 1)[-1]
        if row["event"].startswith("Shelter"):
            assert t == pytest.approx(shelters.loc[key, "t_full_s"], abs=0.05)
            assert shelters.loc[key, "peak_occupancy"] == shelters.loc[key, "capacity"]
        elif row["event"] == "Response beyond the standard":
            inc = incidents.loc[key]
            assert t == pytest.approx(inc["t_call_s"] + 180.0, abs=0.05)  # from the call
            assert not inc["response_time_s"] <= 180.0
        elif row["event"] == "Call waits for a free unit":
            inc = incidents.loc[key]
            assert t == pytest.approx(inc["t_call_s"], abs=0.05)
            assert inc["queued"] or not inc["t_dispatch_s"] <= inc["t_call_s"] + 1.0
        elif "closed by water" in row["event"]:
            edge = roads[roads["edge"] == int(key)].iloc[0]
            assert t == pytest.approx(edge["t_closed_s"], abs=0.05)
        elif row["event"] == "Warning issued":
            assert t == 300.0
    streets = sum(int(e.split()[0]) for e in msel["event"] if "closed by water" in e)
    closed = roads[roads["t_closed_s"].notna()]
    pairs = {(min(a, b), max(a, b)) for a, b in zip(closed["from_node"], closed["to_node"],
                                                    strict=True)}
    assert streets == len(pairs)  # each flooded street announced once


def test_from_saved_results_gives_the_same_timeline(drill, tmp_path):
    out, msel = drill
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    (copy / "msel.csv").unlink()
    assert main(["drill", "--from", str(copy)]) == 0
    again = pd.read_csv(copy / "msel.csv", encoding="utf-8-sig", keep_default_na=False)
    pd.testing.assert_frame_equal(again, msel)


def test_hazard_event_tables_become_injects(drill, tmp_path):
    out, _ = drill
    copy = tmp_path / "run"
    shutil.copytree(out, copy)
    # a hazard's own events table, as HAZARD_INTERFACE describes it: t_s, event, text, ...
    pd.DataFrame({"t_s": [1500.0, 700.0], "event": ["Plume reaches No. 3 Middle School",
                                                    "Water in Wulongkou underpass"],
                  "text": ["AEGL-2 at the school gate", None], "to": ["education bureau", None],
                  "ref": ["shelters.parquet:shelter=PARK", None]}).to_parquet(
        copy / "test_events.parquet", index=False)
    msel = build_msel(copy)
    school = msel[msel["event"] == "Plume reaches No. 3 Middle School"].iloc[0]
    assert school["scenario_time_s"] == 1500.0 and school["to"] == "education bureau"
    assert school["source_ref"] == "shelters.parquet:shelter=PARK"
    assert school["from"] == "simulation (test_events)"
    water = msel[msel["event"] == "Water in Wulongkou underpass"].iloc[0]
    assert water["inject_text"] == "Water in Wulongkou underpass"
    assert water["source_ref"] == "test_events.parquet:row=1"
    assert resolve_ref(water["source_ref"], copy)["t_s"].iloc[0] == 700.0
    assert msel["scenario_time_s"].is_monotonic_increasing


def test_water_in_an_underpass_becomes_an_inject(drill, tmp_path):
    out, _ = drill
    copy = tmp_path / "run"
    shutil.copytree(out, copy)
    # the flood's waterlogging table (streets and underpasses ranked by their deepest water)
    pd.DataFrame({"rank": [1, 2, 3], "kind": ["underpass", "road", "underpass"],
                  "name": ["Jingguang tunnel", "primary 12-13", "Dry tunnel"],
                  "edge": [5, 6, 7], "max_depth_m": [2.6, 0.8, 0.1],
                  "t_closed_s": [2400.0, 2000.0, np.nan]}).to_parquet(
        copy / "waterlogging.parquet", index=False)
    msel = build_msel(copy)
    hit = msel[msel["event"].str.startswith("Underpass")]
    assert list(hit["event"]) == ["Underpass Jingguang tunnel flooded"]
    assert hit["scenario_time_s"].iloc[0] == 2400.0
    assert resolve_ref(hit["source_ref"].iloc[0], copy)["edge"].iloc[0] == 5


def test_compare_observed_with_simulated(drill, tmp_path, capsys):
    _, msel = drill
    filled = msel.copy()
    sim = filled["scenario_time_s"].astype(float)
    filled.loc[0, "observed_time"] = clock(sim[0] + 60)  # 1 min late: on time
    filled.loc[1, "observed_time"] = str(sim[1] + 600)  # 10 min late, in seconds
    filled.loc[2, "observed_time"] = clock(sim[2] - 300)  # 5 min early
    path = tmp_path / "msel.csv"
    filled.to_csv(path, index=False, encoding="utf-8-sig")
    assert main(["drill", "--compare", str(path)]) == 0
    said = capsys.readouterr().out
    assert f"3 of {len(msel)} injects observed" in said and "1 on time, 1 late, 1 early" in said
    result = pd.read_csv(tmp_path / "msel_compare.csv", encoding="utf-8-sig")
    assert list(result["difference_s"][:3]) == pytest.approx([60, 600, -300], abs=0.51)
    assert list(result["verdict"][:4]) == ["on time", "late", "early", "not observed"]
    assert "+00:10:00" in (tmp_path / "msel_compare.md").read_text(encoding="utf-8")


def test_compare_names_a_bad_observed_time(drill, tmp_path, capsys):
    _, msel = drill
    filled = msel.copy()
    filled.loc[4, "observed_time"] = "about noon"
    path = tmp_path / "msel.csv"
    filled.to_csv(path, index=False)
    assert main(["drill", "--compare", str(path)]) == 2
    err = capsys.readouterr().err
    assert "row 6 (inject 5) observed_time" in err and "about noon" in err


def test_drill_needs_exactly_one_source(tmp_path, capsys):
    assert main(["drill"]) == 2
    assert main(["drill", str(write_storm(tmp_path)), "--from", str(tmp_path)]) == 2
    assert "exactly one of" in capsys.readouterr().err


def test_scripted_inject_after_the_run_is_refused(tmp_path):
    from citysim.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"drill.injects\[1\].at"):
        load_scenario_text(STORM_CITY.replace("at: 50min", "at: 3h"), base_dir=tmp_path)


@pytest.mark.parametrize(("text", "seconds"), [("01:05:00", 3900), ("T+00:00:30", 30),
                                               ("90:00", 5400), ("125.5", 125.5)])
def test_parse_clock(text, seconds):
    assert parse_clock(text) == seconds


@pytest.mark.parametrize("text", ["1:75:00", "soon", "-5", "nan"])
def test_parse_clock_refuses(text):
    with pytest.raises(ValueError):
        parse_clock(text)


def test_scenarios_without_drill_or_animation_resolve_as_before(tmp_path):
    from citysim.scenario.loader import load_scenario_dict
    from tests.scenarios import SMALL_CITY

    plain = load_scenario_text(SMALL_CITY, base_dir=tmp_path).resolved()
    assert "drill" not in plain  # the digest of older scenarios does not change
    assert not {"animation", "animation_fps", "geojson"} & set(plain["outputs"])
    storm = load_scenario_text(STORM_CITY, base_dir=tmp_path)
    resolved = storm.resolved()
    assert resolved["outputs"]["animation"] is True and resolved["outputs"]["geojson"] is True
    assert resolved["drill"]["injects"][1]["at"] == 3000.0
    again = load_scenario_dict(resolved, base_dir=tmp_path)
    assert again.digest() == storm.digest() and again.drill == storm.drill
