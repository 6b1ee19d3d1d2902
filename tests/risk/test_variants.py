"""What-ifs of a risk file (``variants:``): outputs, before/after numbers, --without, bad input."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
import yaml

from citysim.app.risk import run_risk
from citysim.cli import main
from citysim.report.white_paper import white_paper_html
from tests.report.browser import open_page, overflow_px
from tests.risk.test_qra import _source, _write

FAR_X_M = -30_000.0
"""Where the plant is moved: 30 km west of the town, beyond its lethal reach."""


@pytest.fixture(scope="module")
def moved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("variants")
    path = _write(folder, "belt", [_source("A", 0.0), _source("B", 600.0)],
                  [{"id": "R_OLD", "location": {"x": 700.0, "y": 0.0}},
                   {"id": "R_A", "location": {"x": 300.0, "y": 0.0}}], sectors=12)
    risk = yaml.safe_load(path.read_text())
    risk["places"] = [{"id": "S1", "kind": "school", "location": {"x": 750.0, "y": 20.0}}]
    risk["installations"] = "new"
    risk["variants"] = [
        {"id": "park", "name": "B to the chemical park", "move": {"B": {"x": FAR_X_M, "y": 0.0}}},
        {"id": "no-b", "remove": ["B"]},
        {"id": "small-b", "change": {"B": {"releases": [
            {"id": "hole", "rate_kg_s": 10.0, "duration": "30min", "height_m": 0.0,
             "frequency_per_year": 1.0e-6}]}}}]
    path.write_text(yaml.safe_dump(risk, sort_keys=False))
    return path, run_risk(path)


def test_moving_a_plant_out_of_town_lowers_pll_and_the_risk_by_its_old_site(moved):
    _, outcome = moved
    base, park = outcome.result, outcome.variants["park"]
    assert park.summary["pll_per_year"] < base.summary["pll_per_year"]
    before = base.receptors.set_index("receptor")["individual_risk_per_year"]
    after = park.receptors.set_index("receptor")["individual_risk_per_year"]
    assert before["R_OLD"] > 1e-7  # 100 m from the old site: a real test
    assert after["R_OLD"] < 0.5 * before["R_OLD"]
    # 30 km away the plant adds nothing in town: the same numbers as without it (A's alone)
    gone = outcome.variants["no-b"]
    alone = gone.receptors.set_index("receptor")["individual_risk_per_year"]
    assert park.summary["pll_per_year"] == pytest.approx(gone.summary["pll_per_year"],
                                                         rel=1e-9)
    assert after["R_OLD"] == pytest.approx(alone["R_OLD"], rel=1e-9)
    assert after["R_A"] == pytest.approx(alone["R_A"], rel=1e-9)
    # a tenth of the frequency, a tenth of the plant's risk (risk scales with frequency)
    small = outcome.variants["small-b"]
    inv = base.inventory
    pll_b = inv.loc[inv["source"] == "B", "pll_static_per_year"].sum()
    assert small.summary["pll_per_year"] == pytest.approx(
        base.summary["pll_per_year"] - 0.9 * pll_b, rel=1e-9)


def test_variant_outputs_and_the_comparison_table(moved):
    path, outcome = moved
    out = outcome.out_dir
    for vid in ("park", "no-b", "small-b"):
        for name in ("individual_risk.tif", "individual_risk.png", "fn_curve.csv",
                     "fn_curve.png", "receptors.csv", "risk_inventory.csv", "places.csv",
                     "events.csv", "risk_summary.json"):
            assert (out / "variants" / vid / name).stat().st_size > 0, (vid, name)
    for name in ("variants_individual_risk.png", "variants_fn_curve.png"):
        assert (out / name).stat().st_size > 0
    table = pd.read_csv(out / "variants.csv").set_index("variant")
    assert list(table.index) == ["base", "park", "no-b", "small-b"]
    base_pll = outcome.result.summary["pll_per_year"]
    park_pll = outcome.variants["park"].summary["pll_per_year"]
    assert table.loc["park", "pll_change"] == pytest.approx((park_pll - base_pll) / base_pll)
    assert table.loc["park", "ir_R_OLD"] < table.loc["base", "ir_R_OLD"]
    # the school by B's old site breaks its criterion before and not after
    assert table.loc["base", "places_breaking"] == "S1"
    assert table.loc["park", "places_breaking_change"] == -1
    # one map for all: the base and the variants share the grid
    base_tif = (out / "individual_risk.tif").stat().st_size
    assert (out / "variants" / "park" / "individual_risk.tif").stat().st_size == base_tif
    # --without is the same machinery: the numbers of the variant that removes B
    without = run_risk(path, without=["B"])
    assert without.result.summary["pll_per_year"] == pytest.approx(
        outcome.variants["no-b"].summary["pll_per_year"], rel=1e-12)
    assert not (without.out_dir / "variants.csv").exists()


def test_the_white_paper_shows_the_what_ifs(moved, tmp_path):
    _, outcome = moved
    assert main(["report", str(outcome.out_dir), "--lang", "en"]) == 0
    page = outcome.out_dir / "white_paper_en.html"
    check = open_page(page, tmp_path)
    # the map and the F-N curve of the base, the maps before/after and the overlaid curves
    assert check.loaded and check.images == 4 and check.broken == 0, check
    text = page.read_text(encoding="utf-8")
    assert "What-ifs" in text and "B to the chemical park (park) lowers PLL most" in text
    assert "情景比较" in white_paper_html(outcome.out_dir, "zh")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_white_paper_tables_fit_a_1100_px_window(moved, tmp_path, lang):
    """The what-if and inventory tables: short headings with units, no sideways scrolling.

    The what-if table had one column per quantity and per change (15 with
    snake_case headings): at 1100 px the page scrolled 1,500 px sideways.
    """
    _, outcome = moved
    assert main(["report", str(outcome.out_dir), "--lang", lang]) == 0
    page = outcome.out_dir / f"white_paper_{lang}.html"
    text = page.read_text(encoding="utf-8")
    assert text.count("<div class=scroll><table>") == text.count("<table>") > 3
    assert "<th>pll_static_per_year</th>" not in text and "<th>pll_change</th>" not in text
    assert {"en": "<th>PLL static (deaths/yr)</th>",
            "zh": "<th>潜在生命损失 PLL 静态（人/年）</th>"}[lang] in text
    assert overflow_px(page, tmp_path, 1100) == (0, 0)


def test_the_parts_of_unchanged_sources_are_shared_by_the_variants(moved):
    _, outcome = moved
    # A, B, B moved, B with its new releases: four parts; no-b needs none of its own
    assert len(list((outcome.out_dir / "static").glob("*.npz"))) == 4
    assert np.array_equal(outcome.result.grid_x_m, outcome.variants["park"].grid_x_m)


def test_bad_variants_exit_2_naming_their_path(tmp_path, capsys):
    path = _write(tmp_path, "bad", [_source("A", 0.0)], [], sectors=12)
    risk = yaml.safe_load(path.read_text())
    risk["variants"] = [{"id": "x", "move": {"P9": {"x": 0.0, "y": 0.0}}},
                        {"id": "x", "change": {"A": {"inventory_kg": -1}}},
                        {"id": "base", "add": [_source("A", 5.0)]},
                        {"id": "../up"}]
    path.write_text(yaml.safe_dump(risk, sort_keys=False))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    for where in ("variants[0].move.P9", "variants[1].id", "variants[1].change.A.inventory_kg",
                  "variants[2].id", "variants[2].add[0].id", "variants[3].id"):
        assert where in err, where
    assert "Traceback" not in err
    # an added shelter or station is checked as the scenario's own, named in the risk file
    risk["variants"] = [{"id": "s", "add_shelters": [
        {"id": "S9", "location": {"x": 100.0, "y": 100.0}, "capacity": -5}]},
        {"id": "t", "add_stations": [{"id": "F9", "location": {"x": 90_000.0, "y": 0.0},
                                      "units": {"engine": 1}}]}]
    path.write_text(yaml.safe_dump(risk, sort_keys=False))
    assert main(["validate", str(path)]) == 2
    assert "variants[0].add_shelters[0].capacity" in capsys.readouterr().err
    risk["variants"] = risk["variants"][1:]
    path.write_text(yaml.safe_dump(risk, sort_keys=False))
    assert main(["validate", str(path)]) == 2
    assert "variants[0].add_stations[0].location" in capsys.readouterr().err


def test_a_variant_without_any_source_has_no_risk(tmp_path):
    path = _write(tmp_path, "empty", [_source("A", 0.0)],
                  [{"id": "R1", "location": {"x": 300.0, "y": 0.0}}], sectors=12)
    risk = yaml.safe_load(path.read_text())
    risk["variants"] = [{"id": "none", "remove": ["A"]}]
    path.write_text(yaml.safe_dump(risk, sort_keys=False))
    outcome = run_risk(path)
    none = outcome.variants["none"]
    assert outcome.result.summary["pll_per_year"] > 0
    assert none.summary["pll_per_year"] == 0.0 and not none.individual_risk.any()
    assert len(none.fn) == 0 and len(none.inventory) == 0
    assert pd.read_csv(outcome.out_dir / "variants.csv")["pll_change"].iloc[1] == -1.0


def test_a_rerun_without_variants_leaves_no_stale_what_ifs(moved, tmp_path):
    original, outcome = moved
    out = tmp_path / "again"
    shutil.copytree(outcome.out_dir, out)
    shutil.copy(original.parent / "city.yaml", tmp_path / "city.yaml")
    path = tmp_path / original.name
    risk = yaml.safe_load(original.read_text())
    risk["variants"] = risk["variants"][:1]  # park only
    path.write_text(yaml.safe_dump(risk, sort_keys=False))
    run_risk(path, out=out)
    assert sorted(p.name for p in (out / "variants").iterdir()) == ["park"]
    assert list(pd.read_csv(out / "variants.csv")["variant"]) == ["base", "park"]
    del risk["variants"]
    path.write_text(yaml.safe_dump(risk, sort_keys=False))
    run_risk(path, out=out)
    assert not (out / "variants.csv").exists() and not list((out / "variants").iterdir())
    assert "What-ifs" not in white_paper_html(out, "en")
