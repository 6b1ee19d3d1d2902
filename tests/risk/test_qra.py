"""The static QRA (citysim risk): the MODELS.md reference case, additivity, F-N and PLL, input.

The reference case is computed by hand (:func:`benchmarks.validation.risk.hand_individual_risk`,
also in docs/VALIDATION.md) from the formulas of MODELS.md (Briggs rural D
plume, CCPS chlorine probit), without the model's code. The reference plume
is passive: the model's Britter-McQuaid switch would call 10 kg/s of
chlorine vapour dense, so the gas is given a density below the air's.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from benchmarks.validation.risk import (
    CITY,
    F_PER_YEAR,
    RECEPTORS,
    hand_individual_risk,
    risk_file,
    source,
)
from citysim.app.risk import run_risk
from citysim.cli import main
from citysim.experiments.spec import load_experiment
from citysim.risk import assess
from citysim.rng import world_streams
from citysim.scenario import load_scenario
from citysim.world.builder import build_world

_source = source  # the reference release, from (x, 0)


def _write(tmp_path: Path, name: str, sources: list[dict], receptors: list[dict], *,
           sectors: int = 72, rose: list[float] | None = None) -> Path:
    path = risk_file(tmp_path, sources, receptors, sectors=sectors, name=name)
    if rose is not None:
        risk = yaml.safe_load(path.read_text())
        risk["weather"]["rose"] = rose
        path.write_text(yaml.safe_dump(risk, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("city")
    (folder / "city.yaml").write_text(yaml.safe_dump(CITY))
    scenario = load_scenario(folder / "city.yaml")
    return build_world(scenario, world_streams(int(scenario.run.seed)))


def test_single_source_reference_case_within_5_percent(tmp_path):
    # receptors between and on sector centres, 300-700 m out: several directions count
    receptors = [{"id": f"R{i}", "location": {"x": r * math.cos(math.radians(a)),
                                              "y": r * math.sin(math.radians(a))}}
                 for i, (r, a) in enumerate(RECEPTORS)]
    path = _write(tmp_path, "ref", [_source("P1", 0.0)], receptors)
    out = run_risk(path).out_dir
    table = pd.read_csv(out / "receptors.csv")
    assert list(table.columns) == ["receptor", "x", "y", "individual_risk_per_year"]
    for row in table.itertuples():
        hand = hand_individual_risk(row.x, row.y, 72)
        assert hand > 1e-8  # a meaningful case: the receptor is well inside the lethal zone
        # 5 %: the model integrates the plume's front and tail (Palazzi), the hand case
        # takes 30 min at the steady concentration; the difference is ~1 % in the load
        assert row.individual_risk_per_year == pytest.approx(hand, rel=0.05), row.receptor
    for name in ("individual_risk.tif", "individual_risk.png", "fn_curve.csv", "fn_curve.png",
                 "risk_inventory.csv"):
        assert (out / name).stat().st_size > 0
    assert list(pd.read_csv(out / "fn_curve.csv").columns)[:2] == ["n", "frequency_per_year"]


def test_risk_adds_over_sources_and_scales_with_frequency(tmp_path, world):
    receptors = [{"id": "R1", "location": {"x": 400.0, "y": 30.0}},
                 {"id": "R2", "location": {"x": 150.0, "y": 200.0}}]

    def ir_and_pll(name, sources):
        result = assess(load_experiment(_write(tmp_path, name, sources, receptors,
                                               sectors=12)), world)
        return result.receptors["individual_risk_per_year"].to_numpy(), \
            result.summary["pll_per_year"]

    a, pll_a = ir_and_pll("a", [_source("A", 0.0)])
    b, pll_b = ir_and_pll("b", [_source("B", 250.0)])
    ab, pll_ab = ir_and_pll("ab", [_source("A", 0.0), _source("B", 250.0)])
    assert (a > 0).all() and (b > 0).all()
    np.testing.assert_allclose(ab, a + b, rtol=1e-12)
    assert pll_ab == pytest.approx(pll_a + pll_b, rel=1e-12)
    a3, pll_a3 = ir_and_pll("a3", [_source("A", 0.0, frequency=3 * F_PER_YEAR)])
    np.testing.assert_allclose(a3, 3 * a, rtol=1e-12)
    assert pll_a3 == pytest.approx(3 * pll_a, rel=1e-12)


def test_pll_is_the_sum_of_frequency_times_deaths_and_the_area_under_fn(tmp_path, world):
    result = assess(load_experiment(_write(tmp_path, "pll", [_source("A", 0.0),
                                                             _source("B", 250.0)], [],
                                           sectors=12)), world)
    ev = result.events
    assert (ev["deaths"] > 1).any()  # people die in some events: a non-trivial curve
    pll = float((ev["frequency_per_year"] * ev["deaths"]).sum())
    assert result.summary["pll_per_year"] == pytest.approx(pll, rel=1e-12)
    # integral of F(N) dN over the step curve is the same sum, computed another way
    fn = result.fn
    n = np.r_[0.0, fn["n"].to_numpy()]
    area = float(np.sum(np.diff(n) * fn["frequency_per_year"].to_numpy()))
    assert area == pytest.approx(pll, rel=1e-9)
    assert (np.diff(fn["frequency_per_year"]) <= 0).all()  # F falls with N


def test_a_receptor_upwind_of_every_source_has_zero_risk(tmp_path, world):
    # the wind always blows from the west (sector 3 of 4: from 270 deg), to the east
    sources = [_source("A", 300.0), _source("B", 500.0)]
    receptors = [{"id": "up", "location": {"x": 100.0, "y": 0.0}},
                 {"id": "down", "location": {"x": 800.0, "y": 0.0}}]
    result = assess(load_experiment(_write(tmp_path, "up", sources, receptors, sectors=4,
                                           rose=[0.0, 0.0, 0.0, 1.0])), world)
    ir = dict(zip(result.receptors["receptor"], result.receptors["individual_risk_per_year"],
                  strict=True))
    assert ir["up"] == 0.0
    assert ir["down"] > 1e-7


def test_bad_inventory_rows_exit_2_naming_row_and_column(tmp_path, capsys):
    (tmp_path / "city.yaml").write_text(yaml.safe_dump(CITY))
    (tmp_path / "plants.csv").write_text(
        "id,name,x,y,substance,inventory_kg\n"
        "P1,Chlorine works,0,0,chlorine,50000\n"
        "P2,Ammonia works,300,zero,ammonia,20000\n"
        "P3,Acid works,500,0,chlorine,-5\n")
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"kind": "risk", "base": "city.yaml",
                                    "sources": {"csv": "plants.csv"}}))
    assert main(["risk", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "[row 2].y" in err and "'zero'" in err
    assert "[row 3].inventory_kg" in err
    assert "[row 1]" not in err


def test_purple_book_defaults_when_releases_are_omitted(tmp_path):
    (tmp_path / "city.yaml").write_text(yaml.safe_dump(CITY))
    path = tmp_path / "defaults.yaml"
    path.write_text(yaml.safe_dump({"kind": "risk", "base": "city.yaml", "sources": [
        {"id": "P1", "location": {"x": 0, "y": 0}, "substance": "chlorine",
         "inventory_kg": 60000}]}))
    exp = load_experiment(path)
    losses = exp.sources[0].losses
    assert [(r.id, r.frequency_per_year) for r in losses] == [
        ("G1_instantaneous", 5e-7), ("G2_10min", 5e-7), ("G3_hole_10mm", 1e-5)]
    assert losses[0].mass_kg == 60000 and losses[1].rate_kg_s * losses[1].duration == 60000
    assert len(exp.weather.classes) == 6 and exp.weather.sectors == 12


def test_without_a_site_removes_exactly_its_share(tmp_path, capsys):
    path = _write(tmp_path, "what-if", [_source("A", 0.0), _source("B", 250.0)], [],
                  sectors=12)
    before = run_risk(path)
    after = run_risk(path, without=["B"])
    assert after.out_dir.name == "what-if-without-B"
    inventory = before.result.inventory
    share_a = inventory.loc[inventory["source"] == "A", "pll_static_per_year"].sum()
    assert 0 < share_a < before.result.summary["pll_per_year"]
    assert after.result.summary["pll_per_year"] == pytest.approx(share_a, rel=1e-12)
    assert main(["risk", str(path), "--without", "C"]) == 2
    assert "no source 'C'" in capsys.readouterr().err


def test_risk_sources_layer_puts_each_name_on_its_own_site(tmp_path):
    """The layer joins names and PLL to positions by id, not by rank (inventory) against file order.

    Three sites in file order A, B, C (x = 200, 500, 800 m) with frequencies
    making the PLL ranking B, C, A. Each feature, read back with pyogrio, must
    sit at its own site: the point's longitude, by hand from the city's origin
    (x = 0 at 113.6 E, 1 m = 1 / (111,320 cos 34.7°) degree), within 2 m.
    """
    import pyogrio

    sites = {"A": (200.0, 1e-8), "B": (500.0, 1e-4), "C": (800.0, 1e-6)}
    sources = [{**_source(sid, x, f), "name": f"Works {sid}"} for sid, (x, f) in sites.items()]
    path = _write(tmp_path, "names", sources, [], sectors=12)
    city = {**CITY, "city": {**CITY["city"], "origin": {"lon": 113.6, "lat": 34.7}}}
    (tmp_path / "city.yaml").write_text(yaml.safe_dump(city))
    outcome = run_risk(path)
    ranked = list(dict.fromkeys(outcome.result.inventory["source"]))
    assert ranked == ["B", "C", "A"]  # the set-up: the ranking is not the file's order
    layer = pyogrio.read_dataframe(outcome.out_dir / "gis" / "risk_sources.geojson")
    assert sorted(layer["source"]) == ["A", "B", "C"]
    deg_per_m = 1.0 / (111_320.0 * math.cos(math.radians(34.7)))
    pll = outcome.result.inventory.groupby("source")["pll_static_per_year"].sum()
    for row in layer.itertuples():
        x, _ = sites[row.source]
        assert row.name == f"Works {row.source}"
        assert row.geometry.x == pytest.approx(113.6 + x * deg_per_m, abs=2 * deg_per_m)
        assert row.geometry.y == pytest.approx(34.7, abs=2 * deg_per_m)
        assert row.pll_static_per_year == pytest.approx(pll[row.source], rel=1e-12)


def test_gis_layers_for_a_city_on_the_map(tmp_path):
    import json

    path = _write(tmp_path, "gis", [_source("A", 0.0)], [], sectors=12)
    city = {**CITY, "city": {**CITY["city"], "origin": {"lon": 113.6, "lat": 34.7}}}
    (tmp_path / "city.yaml").write_text(yaml.safe_dump(city))
    risk = yaml.safe_load(path.read_text())
    risk["places"] = [{"id": "S1", "kind": "school", "location": {"x": 300.0, "y": 10.0}}]
    risk["installations"] = "new"  # 3e-7 per year for a school
    path.write_text(yaml.safe_dump(risk))
    out = run_risk(path).out_dir / "gis"
    zones = json.loads((out / "ir_contours.geojson").read_text())
    levels = [f["properties"]["level_per_year"] for f in zones["features"]]
    assert levels and levels == sorted(levels)
    areas = [f["properties"]["area_km2"] for f in zones["features"]]
    assert areas == sorted(areas, reverse=True)  # a higher level lies inside a lower one
    lon, lat = json.loads((out / "risk_sources.geojson").read_text())["features"][0][
        "geometry"]["coordinates"]
    assert lon == pytest.approx(113.6, abs=1e-6) and lat == pytest.approx(34.7, abs=1e-6)
    place = json.loads((out / "risk_places.geojson").read_text())["features"][0]
    assert place["properties"]["breaks_criterion"] is True  # 300 m downwind: about 8e-7
