"""Stations against 建标152-2017: class, area limit, edge time, vehicles, hydrants."""

import pytest

from citysim.analysis.compliance import MIN_VEHICLES, infer_class
from citysim.app.coverage import run_coverage
from citysim.scenario import load_scenario_text

CITY = """\
name: t
run: {duration: 10min, dt: 10s, seed: 1}
city:
  network: {synthetic: {kind: grid, rows: 11, cols: 11, block_m: 180}}
  population: {residents: 100}
stations:
  - {id: A, location: {x: 900, y: 900}, units: {engine: 2, ladder: 1}%s}
"""


def _table(tmp_path, station_extra="", tail=""):
    scenario = load_scenario_text(CITY % station_extra + tail, base_dir=tmp_path)
    run = run_coverage(scenario, out_dir=tmp_path / "o")
    return run, run.compliance.iloc[0]


def test_a_district_larger_than_its_class_limit_is_flagged(tmp_path):
    # 1.8 km x 1.8 km = 3.24 km²: within class 2's 4 km², beyond a small station's 2 km²
    run, small = _table(tmp_path, ", class: small")
    assert small["class"] == "small" and small["class_source"] == "declared"
    assert small["district_area_km2"] == pytest.approx(1.8 * 1.8, rel=0.02)
    assert small["area_limit_km2"] == 2.0 and small["area_met"] is not None
    assert not small["area_met"]
    assert not small["all_met"]
    _, two = _table(tmp_path, ", class: class_2")
    assert two["area_limit_km2"] == 4.0 and two["area_met"]
    written = (tmp_path / "o" / "stations_compliance.csv").read_text()
    assert written.splitlines()[1].startswith("A,A,class_2,declared")
    assert (tmp_path / "o" / "plots" / "stations_compliance.png").stat().st_size > 0


def test_undeclared_class_is_inferred_from_the_vehicles(tmp_path):
    _, row = _table(tmp_path)
    assert row["vehicles"] == 3 and row["class"] == "class_2"
    assert row["class_source"] == "inferred" and row["vehicles_met"]
    assert row["hydrants_met"] is None  # no hydrants: key
    assert infer_class(MIN_VEHICLES["class_1"]) == "class_1"
    assert infer_class(0) == "small"


def test_too_few_vehicles_and_a_hydrant_gap_are_not_met(tmp_path):
    _, row = _table(tmp_path, ", class: class_1",
                    "hydrants: [{id: H1, location: {x: 900, y: 900}}]\n")
    assert not row["vehicles_met"] and row["min_vehicles"] == MIN_VEHICLES["class_1"]
    assert 0 < row["hydrant_street_fraction"] < 0.2 and not row["hydrants_met"]
    _, full = _table(tmp_path, "", "hydrants: {synthetic: {spacing_m: 120}}\n")
    assert full["hydrant_street_fraction"] == pytest.approx(1.0)
    assert full["hydrants_met"]


def test_the_vehicle_minimums_are_a_scenario_parameter(tmp_path):
    # 3 fire vehicles: class 2 under the default minimums (5 / 2 / 2) ...
    run, row = _table(tmp_path)
    sources = run.report["compliance_sources"]
    assert sources["min_vehicles"] == {"value": MIN_VEHICLES, "confirmed": False,
                                       "source": sources["min_vehicles"]["source"]}
    assert "assumption" in sources["min_vehicles"]["source"]
    assert sources["area_limit_km2"]["confirmed"] and sources["standard_s"]["confirmed"]
    assert row["class"] == "class_2" and row["min_vehicles"] == 2
    # ... class 1 when the scenario says a class-1 station needs only 3
    tail = "response: {min_fire_vehicles: {class_1: 3, class_2: 2, small: 1}}\n"
    run, row = _table(tmp_path, "", tail)
    assert row["class"] == "class_1" and row["min_vehicles"] == 3 and row["vehicles_met"]
    assert row["area_limit_km2"] == 7.0
    assert run.report["compliance_sources"]["min_vehicles"]["value"] == {
        "class_1": 3, "class_2": 2, "small": 1}
    _, declared = _table(tmp_path, ", class: small", tail)
    assert declared["min_vehicles"] == 1 and declared["vehicles_met"]


def test_vehicle_minimums_out_of_order_are_refused(tmp_path):
    from citysim.errors import ScenarioError

    tail = "response: {min_fire_vehicles: {class_1: 2, class_2: 4}}\n"
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(CITY % "" + tail, base_dir=tmp_path)
    (problem,) = info.value.problems
    assert problem.path.startswith("response.min_fire_vehicles")
    assert "class_1 >= class_2 >= small" in problem.message
