"""``citysim coverage``: the network at a time of the run, the files, the headline, bad options."""

import json
import math

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
import yaml

from citysim.app.coverage import run_coverage
from citysim.cli import main
from citysim.scenario import load_scenario_text
from tests.hazards import road_block
from tests.scenarios import SMALL_CITY, write_scenario


def test_a_hazard_closure_at_a_time_reduces_coverage(tmp_path, with_road_block, capsys):
    # the roads around (300, 600) close at 300 s; the station at (600, 450) stays open
    block = {**road_block.EXAMPLE, "location": {"x": 300, "y": 600}, "radius_m": 100}
    text = SMALL_CITY + yaml.safe_dump({"hazards": [block]})
    path = write_scenario(tmp_path, text)
    scenario = load_scenario_text(text, base_dir=tmp_path)
    normal = run_coverage(scenario, standard_s=120.0)
    before = run_coverage(scenario, standard_s=120.0, at_s=0.0)  # the block comes at 300 s
    np.testing.assert_array_equal(before.coverage.time_s, normal.coverage.time_s)
    out = tmp_path / "at10"
    code = main(["coverage", str(path), "--standard", "2min", "--at", "10min",
                 "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    report = json.loads((out / "coverage.json").read_text())
    assert report["at_s"] == 600.0 and report["standard_s"] == 120.0
    assert report["closed_edges"] > 0 and normal.report["closed_edges"] == 0
    assert 0 < report["nodes_unreachable"] < 5  # the blocked crossing, not the city
    assert report["coverage_fraction"] < normal.coverage.coverage_fraction
    assert report["area_fraction"] < normal.coverage.area_fraction
    nodes = pd.read_parquet(out / "coverage_nodes.parquet")
    later = nodes["time_s"].fillna(math.inf).to_numpy()
    assert (later >= normal.coverage.time_s - 1e-9).all()
    assert (later > normal.coverage.time_s + 1e-9).any()


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("coverage")
    path = write_scenario(folder)
    out = folder / "out"
    code = main(["coverage", str(path), "--out", str(out)])
    return code, out


def test_cli_writes_the_files_and_prints_the_headline(cli_run, capsys):
    code, out = cli_run
    assert code == 0
    report = json.loads((out / "coverage.json").read_text())
    for key in ("coverage_fraction", "area_fraction", "raster_area_fraction", "standard_s",
                "unit_type", "at_s", "stations", "provenance"):
        assert key in report
    assert report["standard_s"] == 300.0 and report["unit_type"] == "engine"
    assert report["at_s"] is None
    assert 0 < report["coverage_fraction"] <= 1 and 0 < report["area_fraction"] <= 1
    (row,) = report["stations"]
    for key in ("station", "district_population", "covered_population", "district_area_km2",
                "district_road_km"):
        assert key in row
    assert row["station"] == "F1" and row["district_population"] == 5003
    assert report["provenance"]["scenario"]["name"] == "small-town"
    assert report["provenance"]["world"]["stations"] == 1
    nodes = pd.read_parquet(out / "coverage_nodes.parquet")
    assert list(nodes.columns[:7]) == ["node", "node_index", "x", "y", "population", "time_s",
                                       "station"]
    assert nodes["population"].sum() == 5003
    assert not list(out.rglob("*.tmp"))


def test_cli_map_is_not_blank(cli_run):
    _, out = cli_run
    image = mpimg.imread(out / "plots" / "coverage_map.png")
    assert image.shape[0] > 400 and image.shape[1] > 400
    assert image[..., :3].std() > 0.05


@pytest.mark.parametrize("args, message", [
    (["--standard", "5m"], "--standard '5m'"),
    (["--standard=-5min"], "expected a positive duration"),
    (["--standard", "0"], "expected a positive duration"),
    (["--at", "soon"], "--at 'soon'"),
    (["--at", "3h"], "after the end of the run"),
    (["--unit", "boat"], "--unit 'boat'"),
])
def test_cli_bad_options_exit_2_and_write_nothing(tmp_path, capsys, args, message):
    path = write_scenario(tmp_path)
    out = tmp_path / "out"
    code = main(["coverage", str(path), "--out", str(out), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and "Traceback" not in err
    assert not out.exists()


def test_cli_bad_scenario_exits_2(tmp_path, capsys):
    path = write_scenario(tmp_path, SMALL_CITY.replace("{x: 600, y: 450}", "{x: 60000, y: 450}"))
    assert main(["coverage", str(path), "--out", str(tmp_path / "o")]) == 2
    assert "stations[0].location" in capsys.readouterr().err


def test_hydrants_closed_at_a_time_are_unusable(tmp_path, with_road_block, capsys):
    # H1 stands in the road block that closes at 300 s; H2 far from it
    block = {**road_block.EXAMPLE, "location": {"x": 300, "y": 600}, "radius_m": 100}
    hydrants = [{"id": "H1", "location": {"x": 300, "y": 600}},
                {"id": "H2", "location": {"x": 900, "y": 900}}]
    text = SMALL_CITY + yaml.safe_dump({"hazards": [block], "hydrants": hydrants})
    path = write_scenario(tmp_path, text)
    normal = run_coverage(load_scenario_text(text, base_dir=tmp_path))
    assert normal.report["hydrants_usable"] == 2
    assert 0 < normal.report["hydrant_street_fraction"] < 1
    out = tmp_path / "at10"
    assert main(["coverage", str(path), "--at", "10min", "--out", str(out)]) == 0, \
        capsys.readouterr().err
    report = json.loads((out / "coverage.json").read_text())
    assert report["hydrants_total"] == 2 and report["hydrants_usable"] == 1
    assert report["hydrant_street_fraction"] < normal.report["hydrant_street_fraction"]
    gaps = pd.read_csv(out / "hydrant_gaps.csv")
    km = (gaps.end_m - gaps.start_m).sum() / 1000.0
    assert km == pytest.approx(report["hydrant_street_km_uncovered"])
    assert (out / "plots" / "hydrant_map.png").stat().st_size > 0
    assert (out / "hydrant_spacing.csv").exists()
    assert not (out / "gis").exists()  # no geographic frame: no GeoJSON


def test_hydrant_gaps_layer_in_wgs84(tmp_path):
    text = SMALL_CITY.replace("  population:", "  origin: {lon: 113.6, lat: 34.7}\n"
                              "  buildings: {synthetic: {density: 0.2, footprint_m: 12}}\n"
                              "  population:") + yaml.safe_dump(
        {"hydrants": [{"id": "H1", "location": {"x": 300, "y": 600}}]})
    run = run_coverage(load_scenario_text(text, base_dir=tmp_path), out_dir=tmp_path / "o")
    layer = json.loads((tmp_path / "o" / "gis" / "hydrant_gaps.geojson").read_text())
    kinds = [f["properties"]["kind"] for f in layer["features"]]
    assert kinds.count("street") == len(run.hydrants.gaps)
    assert kinds.count("building") == int((~run.hydrants.building_covered).sum()) > 0
    lon, lat = layer["features"][0]["geometry"]["coordinates"][0]
    assert 113 < lon < 114 and 34 < lat < 35
    assert run.report["hydrant_building_fraction"] == pytest.approx(
        run.hydrants.building_covered.mean())


def test_hydrants_in_flood_water_are_unusable():
    from citysim.app.coverage import HYDRANT_HEIGHT_M, hydrants_usable_at, model_at
    from citysim.rng import world_streams
    from citysim.world.builder import build_world
    from tests.hazards.test_flood import BOWL, STORM

    storm = STORM.replace("[50min, 20]", "[50min, 300]").replace("[10min, 150]", "[10min, 300]")
    text = (BOWL.format(hazards=storm).replace("duration: 2h", "duration: 1h")
            + "hydrants: [{id: C, location: {x: 1000, y: 1000}}, "
              "{id: E, location: {x: 0, y: 1000}}]\n")
    scenario = load_scenario_text(text, base_dir=".")
    world = build_world(scenario, world_streams(4))
    model = model_at(scenario, world, 3600.0)
    depth = model.hazards[0].sample(world.hydrants.x_m, world.hydrants.y_m)["depth_m"]
    assert depth[0] > HYDRANT_HEIGHT_M > depth[1]  # the bowl's centre is under water
    assert hydrants_usable_at(model).tolist() == [False, True]
    assert hydrants_usable_at(model_at(scenario, world, 0.0)).tolist() == [True, True]


def test_a_city_without_stations_is_covered_nowhere(tmp_path, capsys):
    # found by the option fuzzer: the compliance map of no station used to crash
    from tests.experiments.cases import town

    assert main(["coverage", str(town(tmp_path)), "--out", str(tmp_path / "out")]) == 0
    assert json.loads((tmp_path / "out" / "coverage.json").read_text())["coverage_fraction"] == 0
    table = pd.read_csv(tmp_path / "out" / "stations_compliance.csv")
    assert table.empty
    assert not (tmp_path / "out" / "plots" / "stations_compliance.png").exists()


def test_hydrants_on_a_street_the_fire_closed_are_unusable(tmp_path):
    from citysim.app.coverage import hydrants_usable_at, model_at
    from citysim.rng import world_streams
    from citysim.world.builder import build_world
    from tests.hazards.test_fire import ONE_HOUSE, scenario

    # the house is fully involved at 465 s and closes the street in front (y = 100)
    text = ONE_HOUSE + ("hydrants: [{id: A, location: {x: 50, y: 100}},"
                        " {id: B, location: {x: 0, y: 140}}]\n")
    s = scenario(tmp_path, text)
    world = build_world(s, world_streams(int(s.run.seed)))
    assert hydrants_usable_at(model_at(s, world, 300.0)).tolist() == [True, True]
    assert hydrants_usable_at(model_at(s, world, 600.0)).tolist() == [False, True]
    assert hydrants_usable_at(model_at(s, world, 2400.0)).tolist() == [True, True]  # out
    run = run_coverage(s, at_s=600.0)
    assert run.report["hydrants_usable"] == 1
    assert run.report["hydrant_street_fraction"] < run_coverage(s).report[
        "hydrant_street_fraction"]
