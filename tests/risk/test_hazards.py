"""Flood and fire sources of a risk file (citysim risk): design storms, exposure, fire loss, input.

References that do not come from the model's code: the storm intensity
formula evaluated by hand (a literal), the exposure of a flat closed city
(rain with no drainage stands at the rain's depth everywhere: mass balance),
the trapezoid over ``1/T`` written out by hand, and the linearity of the
expected fire loss in the ignition frequencies.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from benchmarks.validation.risk import CITY
from citysim.app.risk import run_risk
from citysim.cli import main
from citysim.experiments.risk_hazards_spec import FireRisk, FloodRisk, StormFormula
from citysim.risk.fire import assess_fire
from citysim.risk.flood import assess_flood, chicago_hyetograph
from citysim.rng import world_streams
from citysim.scenario import load_scenario
from citysim.world.builder import build_world
from tests.risk.test_qra import _source

ZHENGZHOU = {"a_l_s_ha": 3073.0, "c": 0.892, "b_min": 15.1, "n": 0.824}
"""The stand-in formula of the example (docs/risk.md)."""
FLAT = {"synthetic": {"kind": "plane", "cell_m": 50, "slope": 0.0}}
STATIONS = [{"id": "F1", "name": "South-west", "location": {"x": 100, "y": 100},
             "units": {"engine": 1}},
            {"id": "F2", "name": "North-east", "location": {"x": 900, "y": 900},
             "units": {"engine": 1}}]


def _city(folder: Path, terrain: dict, *, buildings: bool = False,
          origin: dict | None = None) -> Path:
    city = copy.deepcopy(CITY)
    city["city"]["terrain"] = terrain
    if origin is not None:
        city["city"]["origin"] = origin
    if buildings:
        city["city"]["buildings"] = {"synthetic": {"density": 0.7, "footprint_m": 12,
                                                   "gap_m": 3}}
        city["stations"] = STATIONS
    path = folder / "city.yaml"
    path.write_text(yaml.safe_dump(city))
    return path


def _risk(folder: Path, name: str, **sections) -> Path:
    risk = {"kind": "risk", "base": "city.yaml",
            "sources": [_source("A", -2000.0)], "cell_m": 100.0,
            "weather": {"sectors": 4, "classes": [{"stability": "D", "wind_speed_mps": 5,
                                                   "probability": 1.0}]},
            "out": f"results/{name}", **sections}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(risk, sort_keys=False))
    return path


def _world(path: Path):
    scenario = load_scenario(path)
    return build_world(scenario, world_streams(int(scenario.run.seed)))


def test_the_storm_formula_reproduces_a_hand_computed_intensity():
    formula = StormFormula.model_validate(ZHENGZHOU)
    # by hand: q = 3073 (1 + 0.892 lg 100) / (60 + 15.1)^0.824 = 3073 x 2.784 / 35.12
    # = 243.6 L/(s ha), i = q / 167 = 1.4587 mm/min
    assert formula.intensity_mm_min(100.0, 60.0) == pytest.approx(1.4587, rel=1e-3)
    assert StormFormula.model_validate({**ZHENGZHOU, "a_l_s_ha": None,
                                        "a_mm_min": 3073 / 167}).intensity_mm_min(
        2.0, 10.0) == pytest.approx(3073 * (1 + 0.892 * math.log10(2)) / 25.1 ** 0.824 / 167)
    # the Chicago storm: its total is the formula's depth over the duration, its peak at r D
    t_s, rain = chicago_hyetograph(formula, 100.0, 7200.0, 300.0, 0.4)
    total_mm = float(np.sum(rain[:-1] * np.diff(t_s)) / 3600.0)
    # by hand: H(120 min) = A (1 + C lg 100) 120 / (120 + 15.1)^0.824
    # = 51.23 x 120 / 56.98 = 107.9 mm
    assert total_mm == pytest.approx(107.9, rel=1e-3)
    assert rain[-1] == 0.0 and t_s[-1] == 7200.0
    assert t_s[int(np.argmax(rain))] <= 0.4 * 7200 < t_s[int(np.argmax(rain))] + 300


@pytest.fixture(scope="module")
def flat_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("flat")
    _city(folder, FLAT)
    # no drainage, a closed flat city: the water stands at the rain's depth everywhere
    storms = [{"return_period_years": t, "rain_mm_h": [[0, mm * 2.0], [1800, 0]]}
              for t, mm in ((2, 0.0), (5, 100.0), (20, 200.0), (100, 400.0))]
    path = _risk(folder, "flat", flood={"storms": storms, "after": "10min", "dt": "5min",
                                        "hazard": {"drainage_mm_h": 0}})
    return run_risk(path)


def test_expected_annual_persons_exposed_is_the_hand_trapezoid(flat_run):
    out = flat_run.out_dir
    storms = pd.read_csv(out / "flood_storms.csv")
    n = float(CITY["city"]["population"]["residents"])
    # 0 and 0.1 m of water expose nobody (< 0.15 m), 0.2 and 0.4 m everybody
    assert storms["persons_exposed"].tolist() == [0.0, 0.0, n, n]
    assert storms["rain_mm"].tolist() == pytest.approx([0.0, 100.0, 200.0, 400.0])
    # by hand over p = 1/T = 0.5, 0.2, 0.05, 0.01, then the rare tail 0.01 N
    hand = (0.5 - 0.2) * (0 + 0) / 2 + (0.2 - 0.05) * (0 + n) / 2 \
        + (0.05 - 0.01) * (n + n) / 2 + 0.01 * n
    summary = json.loads((out / "risk_summary.json").read_text())
    assert summary["flood_expected_persons_exposed_per_year"] == pytest.approx(hand, rel=1e-12)
    for t in (2, 5, 20, 100):
        assert (out / "flood" / f"max_depth_T{t}.tif").stat().st_size > 0
        assert (out / "flood" / f"max_depth_T{t}.png").stat().st_size > 0
        assert (out / "flood" / f"waterlogging_T{t}.csv").is_file()


def test_flood_rows_keep_the_inventory_columns(flat_run):
    inventory = pd.read_csv(flat_run.out_dir / "risk_inventory.csv")
    chemical = inventory[inventory["source"] == "A"]
    flood = inventory[inventory["source"] == "flood"]
    assert list(inventory.columns[:6]) == ["source", "name", "substance", "loss", "kind",
                                           "released_kg"]
    assert len(chemical) == 1 and len(flood) == 4  # the chemical row first, then the storms
    assert flood["frequency_per_year"].tolist() == pytest.approx([0.5, 0.2, 0.05, 0.01])
    numeric = ["released_kg", "frequency_per_year", "lethal_1pct_distance_m",
               "pll_static_per_year", "share_of_total", "persons_exposed_per_year"]
    assert all(pd.api.types.is_float_dtype(inventory[c]) for c in numeric)
    assert flood["persons_exposed_per_year"].sum() == pytest.approx(json.loads(
        (flat_run.out_dir / "risk_summary.json").read_text())[
        "flood_expected_persons_exposed_per_year"])
    assert flood["share_of_total"].sum() == pytest.approx(1.0)


def test_a_rarer_storm_never_exposes_fewer_people(tmp_path):
    bowl = {"synthetic": {"kind": "bowl", "cell_m": 50, "slope": 0.0, "depth_m": 1.0}}
    world = _world(_city(tmp_path, bowl))
    flood = FloodRisk.model_validate({"formula": ZHENGZHOU, "return_periods": [1, 5, 20, 100],
                                      "duration": "1h", "after": "20min", "dt": "5min",
                                      "hazard": {"drainage_mm_h": 20}})
    storms = assess_flood(flood, world, 1).storms
    exposed = storms["persons_exposed"].to_numpy()
    assert exposed[-1] > exposed[0]  # a non-trivial case: the bowl fills
    assert (np.diff(exposed) >= 0).all(), exposed
    assert (np.diff(storms["max_depth_m"]) > 0).all()
    assert (np.diff(storms["rain_mm"]) > 0).all()


def test_expected_fire_loss_scales_linearly_with_ignition_frequency(tmp_path):
    path = _city(tmp_path, FLAT, buildings=True)
    world = _world(path)
    hazard = {"call_delay": "10min", "wind": {"speed_mps": 5, "from_deg": 270}}

    def loss(rates):
        fire = FireRisk.model_validate({"ignitions": rates, "samples": 2, "duration": "40min",
                                        "hazard": hazard})
        result = assess_fire(fire, path, world, 1, tmp_path / "runs")
        return result.districts.set_index("district")["expected_buildings_lost_per_year"], \
            result

    base, result = loss([{"structure": "wood", "per_building_per_year": 1e-3},
                         {"structure": "fire_resistant", "per_building_per_year": 5e-4}])
    tripled, _ = loss([{"structure": "wood", "per_building_per_year": 3e-3},
                       {"structure": "fire_resistant", "per_building_per_year": 1.5e-3}])
    assert set(base.index) == {"F1", "F2"}
    assert (result.ignitions["buildings_lost"] >= 1).all()  # the ignited building itself
    assert result.ignitions["buildings_lost"].max() > 1  # a fire that spread: not trivial
    pd.testing.assert_series_equal(tripled, 3 * base, rtol=1e-12)
    # per m² of footprint: the same when it gives every (12 m x 12 m) building the same rate
    per_m2, _ = loss([{"structure": "wood", "per_m2_per_year": 1e-3 / 144.0},
                      {"structure": "fire_resistant", "per_m2_per_year": 5e-4 / 144.0}])
    pd.testing.assert_series_equal(per_m2, base, rtol=1e-9)
    # by hand: F_dc x the mean loss of the district's sampled ignitions of that class
    ign = result.ignitions
    strata = result.strata.set_index(["district", "structure"])
    hand = sum(strata.loc[(d, c), "ignitions_per_year"] * g["buildings_lost"].mean()
               for (d, c), g in ign.groupby(["district", "structure"]))
    assert result.summary["fire_expected_buildings_lost_per_year"] == pytest.approx(hand,
                                                                                  rel=1e-12)


@pytest.mark.parametrize(("section", "where"), [
    ({"flood": {"formula": ZHENGZHOU, "return_periods": [10, 0.5]}}, "flood.return_periods[1]"),
    ({"flood": {"formula": {**ZHENGZHOU, "n": 1.2}}}, "flood.formula.n"),
    ({"flood": {"formula": ZHENGZHOU, "hazard": {"drainage_mm_h": -1}}},
     "flood.hazard.drainage_mm_h"),
    ({"flood": {"storms": [{"return_period_years": 10, "rain_mm_h": [[0, 50], [600, 0]]}],
                "hazard": {"rain_mm_h": 5}}}, "flood.hazard.rain_mm_h"),
    ({"flood": {"return_periods": [10]}}, "flood.formula"),
    ({"flood": {"storms": [{"return_period_years": 10, "rain_mm_h": [[0, 50]]}]}},
     "flood.storms[0].rain_mm_h"),
    ({"fire": {"ignitions": [{"structure": "noncombustible", "per_building_per_year": 1e-3}]}},
     "fire.ignitions[0].structure"),
    ({"fire": {"ignitions": [{"structure": "wood"}]}}, "fire.ignitions[0].per_building_per_year"),
    ({"fire": {"hazard": {"ignitions": []}}}, "fire.hazard.ignitions"),
])
def test_bad_flood_and_fire_rows_exit_2_naming_the_yaml_path(tmp_path, capsys, section, where):
    _city(tmp_path, FLAT)
    path = _risk(tmp_path, "bad", **section)
    assert main(["risk", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert where in err, err


def test_a_flood_without_terrain_exits_2(tmp_path, capsys):
    (tmp_path / "city.yaml").write_text(yaml.safe_dump(CITY))
    path = _risk(tmp_path, "dry", flood={"formula": ZHENGZHOU, "return_periods": [2]})
    assert main(["risk", str(path)]) == 2
    assert "city.terrain" in capsys.readouterr().err


def test_white_paper_has_flood_and_fire_with_computed_advice(tmp_path):
    from citysim.report.white_paper import white_paper_html
    from tests.report.browser import open_page

    _city(tmp_path, FLAT, buildings=True, origin={"lon": 113.6, "lat": 34.7})
    storms = [{"return_period_years": t, "rain_mm_h": [[0, mm * 2.0], [1800, 0]]}
              for t, mm in ((10, 100.0), (50, 300.0))]
    path = _risk(tmp_path, "both", flood={"storms": storms, "after": "10min", "dt": "5min",
                                          "hazard": {"drainage_mm_h": 0}},
                 fire={"samples": 2, "duration": "40min",
                       "hazard": {"call_delay": "10min", "wind": {"speed_mps": 5,
                                                                  "from_deg": 270}}})
    out = run_risk(path).out_dir
    # waterlogging points on the map: every street of the flat city has 0.3 m in the 50-year
    # storm, none 0.15 m in the 10-year one (0.1 m)
    points = json.loads((out / "gis" / "waterlogging_T50.geojson").read_text())["features"]
    assert len(points) == len(pd.read_csv(out / "flood" / "waterlogging_T50.csv")) > 0
    lon, lat = points[0]["geometry"]["coordinates"]
    assert abs(lon - 113.6) < 0.02 and abs(lat - 34.7) < 0.02
    assert json.loads((out / "gis" / "waterlogging_T10.geojson").read_text())["features"] == []
    districts = pd.read_csv(out / "fire_by_district.csv")
    worst = districts.loc[districts["expected_buildings_lost_per_year"].idxmax()]
    storms = pd.read_csv(out / "flood_storms.csv")
    top = storms.loc[storms["persons_exposed_per_year"].idxmax(), "return_period_years"]
    assert top == 50  # 0.1 m in the 10-year storm exposes nobody, 0.3 m everybody
    for lang, fire_word, storm in (("en", "loses most buildings", f"The {top:g}-year storm"),
                                   ("zh", "辖区火灾损失最大", f"{top:g} 年一遇暴雨对受淹")):
        text = white_paper_html(out, lang)
        advice = text.split('<section id="advice">', 1)[1].split("</section>", 1)[0]
        line = next(li for li in advice.split("<li>") if fire_word in li)
        assert f"({worst['district']})" in line or f"（{worst['district']}）" in line
        assert storm in advice
        assert 'id="flood"' in text and 'id="fire"' in text
    assert main(["report", str(out), "--lang", "en"]) == 0
    check = open_page(out / "white_paper_en.html", tmp_path)
    # the risk map, the F-N curve, a hazard map per storm and the fire map
    assert check.loaded and check.images == 5 and check.broken == 0, check


def test_a_variant_adding_a_station_by_the_worst_fire_district_lowers_its_loss(tmp_path):
    """Fire in what-ifs: re-run with the variant's stations on the base's ignitions.

    The base's worst district (first-due) and its simulated ignitions come
    from a first assessment; a variant then adds a station with two engines
    at the mean of those ignitions. Its expected loss in that district (the
    same buildings, rates and districts: common random numbers) must not rise
    and, here, falls; a variant that only moves a chemical site shares the
    base's fire (change 0) and every variant shares the flood.
    """
    _city(tmp_path, FLAT, buildings=True)
    fire = {"samples": 2, "duration": "40min",
            "hazard": {"call_delay": "5min", "wind": {"speed_mps": 5, "from_deg": 270}}}
    storms = [{"return_period_years": 10, "rain_mm_h": [[0, 100.0], [1800, 0]]}]
    flood = {"storms": storms, "after": "10min", "dt": "5min", "hazard": {"drainage_mm_h": 0}}
    out = run_risk(_risk(tmp_path, "fire-base", fire=fire, flood=flood)).out_dir
    base = pd.read_csv(out / "fire_by_district.csv").set_index("district")
    worst = str(base["expected_buildings_lost_per_year"].idxmax())
    ign = pd.read_csv(out / "fire_ignitions.csv")
    x, y = ign.loc[ign["district"] == worst, ["x", "y"]].mean()
    station = {"id": "F9", "name": "New", "location": {"x": float(x), "y": float(y)},
               "units": {"engine": 2}}
    variants = [{"id": "station", "add_stations": [station]},
                {"id": "moved", "move": {"A": {"x": -2500.0, "y": 0.0}}}]
    outcome = run_risk(_risk(tmp_path, "fire-base", fire=fire, flood=flood, variants=variants))
    after = pd.read_csv(outcome.out_dir / "variants" / "station" / "fire_by_district.csv"
                        ).set_index("district")
    assert set(after.index) == set(base.index)  # the base's districts
    before_w = base.loc[worst, "expected_buildings_lost_per_year"]
    after_w = after.loc[worst, "expected_buildings_lost_per_year"]
    assert after_w < before_w  # does not rise, and here falls
    again = pd.read_csv(outcome.out_dir / "variants" / "station" / "fire_ignitions.csv")
    pd.testing.assert_frame_equal(again[["district", "building_id", "ignitions_per_year"]],
                                  ign[["district", "building_id", "ignitions_per_year"]])
    table = pd.read_csv(outcome.out_dir / "variants.csv").set_index("variant")
    total = base["expected_buildings_lost_per_year"].sum()
    assert table.loc["base", "fire_buildings_lost_per_year"] == pytest.approx(total, rel=1e-12)
    assert table.loc["station", "fire_change"] < 0
    assert table.loc["moved", "fire_change"] == 0.0
    assert table["flood_persons_exposed_per_year"].nunique() == 1
    from citysim.report.white_paper import white_paper_html

    page = white_paper_html(outcome.out_dir, "en")
    whatifs = page.split('id="whatifs"', 1)[1]
    assert "<th>Fire: buildings lost (/yr, change)</th>" in whatifs
    # the station variant's fire map, captioned with the base plan's districts; not the moved
    # plant's (its fire is the base's)
    assert "variants/station/fire_by_district.png" in whatifs
    assert "variants/moved/fire_by_district.png" not in whatifs
    assert "districts of the base plan" in whatifs
    # on that map the added station is marked as added, not as a district losing 0 a year
    from citysim.experiments.spec import load_experiment
    from citysim.plots.risk_hazards import plot_fire_districts
    from citysim.risk.variants import variant_world

    exp = load_experiment(tmp_path / "fire-base.yaml")
    scenario = load_scenario(exp.base)
    world = variant_world(exp, scenario, 0, _world(Path(exp.base)))[1]
    fire = outcome.variant_hazards["station"].fire
    ax = plot_fire_districts(world, fire.district_of_building, fire.districts, added=["F9"]
                             ).axes[0]
    labels = [t.get_text() for t in ax.texts]
    assert "F9 (added)" in labels and not any(t.startswith("F9:") for t in labels)
    assert any(t.startswith(f"{worst}:") and t.endswith("/yr") for t in labels)
    legend = [t.get_text() for t in ax.figure.legends[0].get_texts()]
    assert any("base plan's districts" in t for t in legend)
    advice = page.split('<section id="advice">', 1)[1].split("</section>", 1)[0]
    assert "(station) lowers the expected fire loss most" in advice
