"""Underpasses, waterlogging points and the flood's planner outputs."""

import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import citysim
from citysim.errors import ScenarioError
from citysim.hazards import _flood_kernels
from citysim.io.geojson import layers_of_run
from citysim.io.hazard_layers import hazard_layers
from citysim.plots import hazard_figures, save_figure
from citysim.results import write_results
from citysim.rng import world_streams
from citysim.scenario import load_scenario_text
from citysim.world.builder import build_world

TOWN = """\
name: underpass-town
run: {{duration: 75min, dt: 10s, seed: 3}}
city:
  network: {{synthetic: {{kind: grid, rows: 11, cols: 11, block_m: 200, arterial_every: 5}}}}
  terrain:
    synthetic:
      kind: plane
      cell_m: 25
      slope: 0.001
      underpasses: {underpasses}
  population: {{residents: 2000, persons_per_agent: 2}}
shelters: [{{id: S, location: {{x: 0, y: 0}}, capacity: 3000}}]
stations: [{{id: F1, location: {{x: 1400, y: 1400}}, units: {{engine: 2, rescue: 3}}}}]
behaviour:
  warnings: [{{at: 5min, reach: 1.0}}]
  action: evacuate
  response_delay: {{dist: fixed, value: 20min}}
  compliance: 1.0
  mode_share: {{walk: 0.3, car: 0.7}}
  word_of_mouth_per_h: 0
response: {{service_time: {{dist: fixed, value: 10min}}}}
hazards:
  - type: flood
    rain_mm_h: [[0, 0], [5min, 150], [45min, 0]]
    drainage_mm_h: 20
    manning_n: 0.04
outputs: {{every: 5min, plots: true}}
"""
TWO = ("[{location: {x: 1100, y: 1000}, depth_m: 4, length_m: 120, name: Jingguang}, "
       "{location: {x: 400, y: 1000}, depth_m: 3, length_m: 80}]")


def town(underpasses: str = TWO, tmp_path=".") -> object:
    return load_scenario_text(TOWN.format(underpasses=underpasses), base_dir=tmp_path)


@pytest.fixture(scope="module")
def run():
    return citysim.run(town())


def test_underpasses_are_troughs_under_their_road():
    world = build_world(town(), world_streams(3))
    up, terrain, net = world.underpasses, world.terrain, world.network
    assert up.name == ("Jingguang", "underpass 2")
    # the first runs east-west along y = 1000, centred on the point; the second, given at a
    # node, along the first edge of the node nearest to it (north-south)
    np.testing.assert_allclose([up.x_m[0], up.y_m[0], up.x_m[1], up.y_m[1]],
                               [1100, 1000, 400, 1000])
    assert abs(up.axis[0, 0]) == 1.0 and abs(up.axis[1, 1]) == 1.0
    # floor 4 m below the plane over the middle half (60 m), ramps over 30 m each side
    rows, cols = terrain.shape
    r = int((1000 - terrain.y0_m) // terrain.cell_m)
    c = int((1100 - terrain.x0_m) // terrain.cell_m)
    assert up.carve_m[r, c] == pytest.approx(4.0)
    assert up.carve_m.max() == pytest.approx(4.0)
    assert (up.cell_underpass[r, c - 2:c + 3] == 0).all()  # 5 cells along the road...
    assert (up.cell_underpass[r - 1] != 0).all() and (up.cell_underpass[r + 1] != 0).all()
    plain = build_world(town("0"), world_streams(3))
    np.testing.assert_allclose(terrain.values, plain.terrain.values - up.carve_m)
    # edges through the troughs: both directions of the dipping roads, nothing across them
    through = np.flatnonzero(up.edge_underpass == 0)
    assert len(through) == 2
    xs = net.node_x_m[net.edge_tail[through]], net.node_x_m[net.edge_head[through]]
    assert set(np.concatenate(xs)) == {1000.0, 1200.0}
    assert (net.node_y_m[net.edge_tail[through]] == 1000).all()
    assert (up.edge_underpass == 1).sum() == 4  # the node's two north-south edges, both ways
    assert world.describe()["underpasses"] == ["Jingguang", "underpass 2"]


def test_a_number_of_underpasses_goes_to_arterial_crossings():
    # a 16 x 16 grid has primary arterials on lines 5 and 10: four crossings
    bigger = TOWN.replace("rows: 11, cols: 11", "rows: 16, cols: 16")
    world = build_world(load_scenario_text(bigger.format(underpasses="2"), base_dir="."),
                        world_streams(3))
    up = world.underpasses
    assert up.name == ("underpass 1", "underpass 2")
    # spread out: the crossing nearest the centre (all four tie: the lowest node), then the
    # one farthest from it; the road that dips alternates east-west, north-south
    assert list(zip(up.x_m, up.y_m, strict=True)) == [(1000.0, 1000.0), (2000.0, 2000.0)]
    assert tuple(np.abs(up.axis[0])) == (1.0, 0.0) and tuple(np.abs(up.axis[1])) == (0.0, 1.0)
    assert (up.depth_m == 5.0).all() and (up.length_m == 160.0).all()
    assert (up.edge_underpass >= 0).sum() == 8  # two edges each side of each crossing
    with pytest.raises(ScenarioError) as err:
        build_world(load_scenario_text(bigger.format(underpasses="5"), base_dir="."),
                    world_streams(3))
    text = str(err.value)
    assert "city.terrain.synthetic.underpasses" in text and "has 4" in text


def test_underpasses_drown_first_and_lead_the_waterlogging_list(run):
    roads = run.hazard_tables["flooded_roads"]
    first = roads.iloc[0]
    assert first["kind"] == "underpass"  # the first closure is in a trough
    closed = roads[roads["t_closed_s"].notna()]
    assert set(closed["kind"]) == {"underpass"}  # 150 mm/h for 40 min: only they close
    wl = run.hazard_tables["waterlogging"]
    assert list(wl.columns) == ["rank", "kind", "name", "edge", "from_node", "to_node", "x", "y",
                                "length_m", "max_depth_m", "t_max_depth_s", "t_closed_s"]
    assert list(wl["rank"]) == list(range(1, len(wl) + 1))
    assert wl["max_depth_m"].is_monotonic_decreasing
    under = wl[wl["kind"] == "underpass"]
    assert list(under["rank"]) == [1, 2] and set(under["name"]) == {"Jingguang", "underpass 2"}
    assert under["t_closed_s"].notna().all() and (under["max_depth_m"] > 2.0).all()
    jingguang = under.set_index("name").loc["Jingguang"]
    assert (jingguang["x"], jingguang["y"], jingguang["length_m"]) == (1100.0, 1000.0, 120.0)
    streets = wl[wl["kind"] == "road"]
    assert (streets["max_depth_m"] >= 0.15).all() and len(streets) > 0
    assert not set(streets["edge"]) & set(roads.loc[roads["kind"] == "underpass", "edge"])
    assert wl.attrs["csv"]
    s = run.summary
    assert s["flood_underpasses_flooded"] == 2
    assert s["flood_waterlogging_points"] == int((wl["max_depth_m"] >= 0.15).sum())
    assert s["flood_first_road_closed_s"] == first["t_closed_s"]


def test_roads_over_an_underpass_stay_open_while_it_is_closed(run):
    net = run.world.network
    hazard = run.hazards[0]
    node = int(np.flatnonzero((net.node_x_m == 400) & (net.node_y_m == 1000))[0])
    across = (((net.edge_tail == node) | (net.edge_head == node))
              & (net.node_y_m[net.edge_tail] == net.node_y_m[net.edge_head]))
    assert across.sum() == 4 and (hazard.edge_underpass[across] < 0).all()
    # the water stood metres deep in the trough under them, a few cm on the road above
    assert hazard.up_max_depth_m[1] > 2.0
    assert hazard.max_edge_depth_m[across].max() < 0.3
    assert np.isnan(hazard.t_closed_s[across]).all()


def test_drivers_caught_in_an_underpass_are_rescued(run):
    hazard = run.hazards[0]
    s = run.summary
    inc = run.incidents
    rescues = inc[inc["kind"] == "flood_rescue"]
    assert s["flood_rescue_calls"] == len(rescues) > 0
    assert rescues["t_arrive_s"].notna().all()  # the units reached the tunnels' ends
    assert rescues["units"].str.startswith("F1-rescue").all()
    assert run.timeseries["rescued"].iloc[-1] > 0
    assert s["flood_persons_trapped"] > 0 and s["flood_max_hazard_rating"] > 1.25
    assert hazard.rescue_calls == len(rescues)


def test_the_flood_draws_its_maps_frames_and_layers(run, tmp_path):
    hazard = run.hazards[0]
    figures = hazard_figures(hazard, run.world)
    assert set(figures) == {"flood_max_depth", "flood_timeline"}
    for name, fig in figures.items():
        path = save_figure(fig, tmp_path / f"{name}.png")
        image = plt.imread(path)
        assert image.shape[0] > 400 and image.shape[1] > 600
    frame = hazard.frame()
    x0, x1, y0, y1 = frame.extent_m
    rows, cols = frame.grid.shape
    assert (x1 - x0, y1 - y0) == (cols * 25.0, rows * 25.0)
    wet = np.isfinite(frame.grid)
    assert wet.any() and (~wet).any()
    assert np.nanmin(frame.grid) >= 0.01  # dry (under 1 cm) is NaN
    assert frame.vmax == 2.0 and frame.label == "water depth (m)"
    np.testing.assert_array_equal(np.isfinite(frame.grid), hazard.h >= 0.01)
    roads = layers_of_run(run)["flooded_roads"]
    assert len(roads) == len(run.hazard_tables["flooded_roads"])
    first = roads[0]
    assert first["geometry"]["type"] == "LineString"
    assert len(first["geometry"]["coordinates"]) == 2
    assert first["properties"]["t_closed_s"] == run.hazard_tables["flooded_roads"][
        "t_closed_s"].iloc[0]
    layers = hazard_layers(hazard, run.world)
    assert set(layers) == {"underpasses"}  # the flooded roads are the generic edge-table layer
    tunnels = layers["underpasses"]
    assert [f["properties"]["name"] for f in tunnels] == ["Jingguang", "underpass 2"]
    (ax, ay), (bx, by) = tunnels[0]["geometry"]["coordinates"]
    assert (ax, ay, bx, by) == (1040.0, 1000.0, 1160.0, 1000.0)
    json.dumps(layers)  # plain JSON


def test_the_run_writes_the_waterlogging_table_and_the_flood_figures(run, tmp_path):
    write_results(run, tmp_path, plots=True)
    back = pd.read_parquet(tmp_path / "waterlogging.parquet")
    pd.testing.assert_frame_equal(back, run.hazard_tables["waterlogging"], check_like=False)
    csv = pd.read_csv(tmp_path / "waterlogging.csv", encoding="utf-8-sig")
    assert list(csv.columns) == list(back.columns) and len(csv) == len(back) > 0
    assert (csv["rank"].to_numpy() == back["rank"].to_numpy()).all()
    assert not (tmp_path / "flooded_roads.csv").exists()  # only the planners' list
    assert (tmp_path / "plots" / "flood_max_depth.png").is_file()
    assert (tmp_path / "plots" / "flood_timeline.png").is_file()


def test_same_seed_same_flood(run):
    again = citysim.run(town())
    pd.testing.assert_frame_equal(again.hazard_tables["waterlogging"],
                                  run.hazard_tables["waterlogging"])
    pd.testing.assert_frame_equal(again.incidents, run.incidents)
    a = {k: v for k, v in run.summary.items() if k != "wall_time_s"}
    b = {k: v for k, v in again.summary.items() if k != "wall_time_s"}
    assert a == b


ASC_CITY = """\
name: nodata
run: {{duration: 30min, dt: 10s}}
city:
  network: {{synthetic: {{kind: grid, rows: 5, cols: 5, block_m: 100}}}}
  terrain: {{asc: dem.asc}}
  population: {{residents: 10}}
hazards:
  - type: flood
    rain_mm_h: 100
    drainage_mm_h: 0
{inflows}
"""


def write_dem(folder) -> np.ndarray:
    """A 20 x 20 DEM of 25 m cells from (-50, -50), a NODATA block in its north-east."""
    z = np.add.outer(np.linspace(2.0, 0.0, 20), np.linspace(1.0, 0.0, 20))  # row 0 north
    z[2:8, 12:18] = -9999.0
    header = ("ncols 20\nnrows 20\nxllcorner -50\nyllcorner -50\ncellsize 25\n"
              "NODATA_value -9999\n")
    (folder / "dem.asc").write_text(header + "\n".join(" ".join(f"{v:g}" for v in row)
                                                      for row in z) + "\n")
    return z


def test_nodata_cells_are_outside_the_flood(tmp_path):
    write_dem(tmp_path)
    out = citysim.run(load_scenario_text(ASC_CITY.format(inflows=""), base_dir=tmp_path))
    hazard = out.hazards[0]
    wall = ~np.isfinite(out.world.terrain.values)
    assert wall.sum() == 36
    assert hazard.z[wall].min() == _flood_kernels.Z_WALL_M
    assert hazard.h[wall].max() == 0.0 and hazard.max_h[wall].max() == 0.0
    active_m2 = (400 - 36) * 25.0 * 25.0
    # rain on the 364 cells with data only: 100 mm/h for 30 min
    assert out.summary["flood_rain_m3"] == pytest.approx(0.05 * active_m2, rel=1e-12)
    assert out.summary["flood_volume_balance_error"] < 1e-12


def test_an_inflow_without_terrain_data_is_an_error(tmp_path):
    write_dem(tmp_path)
    # (310, 310) m lies in the NODATA block (columns 12-17 from x = 250 m, rows 2-7 from the north)
    text = ASC_CITY.format(inflows="    inflows: [{location: {x: 360, y: 310}, m3_s: 5}]")
    with pytest.raises(ScenarioError) as err:
        citysim.run(load_scenario_text(text, base_dir=tmp_path))
    assert "inflows[0].location" in str(err.value) and "without data" in str(err.value)
