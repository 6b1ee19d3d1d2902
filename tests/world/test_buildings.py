"""Buildings: synthetic plots in the street blocks, the CSV reader and its errors."""

import numpy as np
import pytest
from scipy.spatial import cKDTree

from citysim.errors import ScenarioError
from citysim.rng import world_streams
from citysim.scenario import load_scenario
from citysim.world.builder import build_world
from citysim.world.buildings import SETBACK_M, STRUCTURES, road_points, synthetic_buildings
from citysim.world.synthetic import grid_city
from tests.scenarios import SMALL_CITY, write_scenario


def build(tmp_path, buildings_yaml, seed=11):
    text = SMALL_CITY.replace("  population:", f"  buildings: {buildings_yaml}\n  population:")
    text = text.replace("seed: 11", f"seed: {seed}")
    scenario = load_scenario(write_scenario(tmp_path, text))
    return build_world(scenario, world_streams(scenario.run.seed))


def layout(density=1.0, side=9.0, gap=2.5, resistant=0.0, seed=0, net=None):
    net = net or grid_city(5, 5, block_m=80, arterial_every=2)
    return net, synthetic_buildings(net, density=density, footprint_m=side, gap_m=gap,
                                    fire_resistant_fraction=resistant,
                                    rng=np.random.default_rng(seed))


def test_no_building_stands_on_a_road_or_too_close_to_another():
    net, b = layout()
    side, gap = 9.0, 2.5
    rx, ry, edge = road_points(net, 0.25)
    # Chebyshev distance from each footprint centre to every street point
    d = np.max(np.abs(np.stack([b.x_m[:, None] - rx[None], b.y_m[:, None] - ry[None]])), axis=0)
    need = side / 2 + net.width_m[edge][None] / 2 + SETBACK_M
    assert np.all(d >= need - 1e-6)
    pairs = cKDTree(np.column_stack([b.x_m, b.y_m])).query_pairs(side + gap - 1e-6, p=np.inf)
    assert not pairs  # every two footprints at least gap_m apart
    xmin, ymin, xmax, ymax = net.bounds_m
    assert (b.x_m >= xmin).all() and (b.x_m <= xmax).all()
    assert (b.y_m >= ymin).all() and (b.y_m <= ymax).all()


def test_plots_fill_every_block_and_face_the_street_across_the_road():
    net, b = layout()
    # every one of the 16 blocks (80 m) holds buildings
    block = (b.x_m // 80).astype(int) * 4 + (b.y_m // 80).astype(int)
    assert np.unique(block).size == 16
    # full density: the front rows face each other across a street at its walkable
    # width plus the setback on both sides (residential: 7 m + 2 x 1 m), plus at most
    # one cell of the 1 m block raster on each side
    residential = net.width_m.min()
    across = b.x_m[(b.y_m > 100) & (b.y_m < 140)]
    gap = across[across > 80].min() - across[across < 80].max() - 9.0
    assert residential + 2 * SETBACK_M <= gap <= residential + 2 * SETBACK_M + 2.0


def test_density_and_fire_resistant_share_are_drawn_per_plot():
    net = grid_city(8, 8, block_m=120, arterial_every=4)
    _, full = layout(density=1.0, net=net)
    _, half = layout(density=0.5, resistant=0.3, seed=3, net=net)
    n = len(full)
    assert n > 1500
    share = len(half) / n
    assert abs(share - 0.5) < 4 * np.sqrt(0.25 / n)  # binomial, 4 sd
    fr = np.mean(half.structure == 1)
    assert abs(fr - 0.3) < 4 * np.sqrt(0.21 / len(half))
    assert set(np.unique(half.structure)) == {0, 1}
    # the built plots are a subset of all plots
    plots = {(round(x, 6), round(y, 6)) for x, y in zip(full.x_m, full.y_m, strict=True)}
    assert all((round(x, 6), round(y, 6)) in plots for x, y in zip(half.x_m, half.y_m,
                                                                    strict=True))


def test_world_buildings_come_from_the_world_stream(tmp_path):
    spec = "{synthetic: {density: 0.6, footprint_m: 10, gap_m: 3, fire_resistant_fraction: 0.2}}"
    a = build(tmp_path, spec).buildings
    b = build(tmp_path, spec).buildings
    c = build(tmp_path, spec, seed=12).buildings
    np.testing.assert_array_equal(a.x_m, b.x_m)
    np.testing.assert_array_equal(a.structure, b.structure)
    assert len(a) != len(c) or not np.array_equal(a.x_m, c.x_m)
    assert np.all(a.footprint_m2 == 100.0) and a.id[0] == "B1"
    world = build(tmp_path, "{synthetic: {}}")
    assert world.describe()["buildings"] == len(world.buildings) > 0


def test_no_buildings_section_gives_none(tmp_path):
    scenario = load_scenario(write_scenario(tmp_path, SMALL_CITY))
    world = build_world(scenario, world_streams(11))
    assert world.buildings is None and world.describe()["buildings"] is None


def test_buildings_from_csv(tmp_path):
    (tmp_path / "b.csv").write_text(
        "id,x,y,footprint_m2,structure\n"
        "H1,100,120,81,wood\n"
        "\n"
        "H2,130.5,120,100,fire_resistant\n"
        "H3,500,500,400,noncombustible\n")
    b = build(tmp_path, "{csv: b.csv}").buildings
    assert b.id == ["H1", "H2", "H3"]
    np.testing.assert_allclose(b.x_m, [100, 130.5, 500])
    np.testing.assert_allclose(b.side_m, [9, 10, 20])
    assert b.structure.tolist() == [0, 1, 2]
    assert b.structure_names().tolist() == list(STRUCTURES)


def test_buildings_csv_in_lon_lat(tmp_path):
    from citysim.projection import LocalFrame

    frame = LocalFrame.centered_on(113.65, 34.75)
    lon, lat = frame.to_lonlat(np.array([450.0]), np.array([600.0]))
    (tmp_path / "b.csv").write_text(
        f"lon,lat,footprint_m2,structure\n{lon[0]:.9f},{lat[0]:.9f},80,wood\n")
    text_origin = "{csv: b.csv}\n  origin: {lon: 113.65, lat: 34.75}"
    b = build(tmp_path, text_origin).buildings
    assert b.x_m[0] == pytest.approx(450, abs=0.01) and b.y_m[0] == pytest.approx(600, abs=0.01)
    assert b.id == ["B1"]


@pytest.mark.parametrize("rows, path, words", [
    ("H1,100,120,81,brick\n", "city.buildings.csv[row 1].structure",
     "unknown structure 'brick' (expected one of: wood, fire_resistant, noncombustible)"),
    ("H1,100,120,81,woods\n", "city.buildings.csv[row 1].structure", "did you mean 'wood'?"),
    ("H1,100,120,81,wood\nH2,100,120,-4,wood\n", "city.buildings.csv[row 2].footprint_m2",
     "expected an area > 0 m², got -4 (b.csv, line 3)"),
    ("H1,100,abc,81,wood\n", "city.buildings.csv[row 1].y", "expected a number, got 'abc'"),
    ("H1,9000,120,81,wood\n", "city.buildings.csv[row 1]", "off the map: (9000, 120) m is"),
    ("H1,100,120,81\n", "city.buildings.csv[row 1]", "expected 5 cells as in the header"),
])
def test_bad_csv_rows_name_the_row_and_the_column(tmp_path, rows, path, words):
    (tmp_path / "b.csv").write_text("id,x,y,footprint_m2,structure\n" + rows)
    with pytest.raises(ScenarioError) as info:
        build(tmp_path, "{csv: b.csv}")
    problems = info.value.problems
    assert [p.path for p in problems] == [path]
    assert words in problems[0].message
    assert problems[0].line is not None  # the line of the csv key in the scenario file


@pytest.mark.parametrize("header, words", [
    ("x,y,footprint,structure", "unknown column 'footprint'"),
    ("x,y,footprint_m2", "missing column 'structure'"),
    ("x,footprint_m2,structure", "missing location columns: x and y, or lon and lat"),
])
def test_bad_csv_headers(tmp_path, header, words):
    (tmp_path / "b.csv").write_text(header + "\n100,120,81,wood\n")
    with pytest.raises(ScenarioError) as info:
        build(tmp_path, "{csv: b.csv}")
    assert any(words in p.message and p.path == "city.buildings.csv"
               for p in info.value.problems), info.value.problems


def test_many_bad_rows_are_counted_not_listed(tmp_path):
    rows = "".join(f"H{k},100,120,81,stone\n" for k in range(30))
    (tmp_path / "b.csv").write_text("id,x,y,footprint_m2,structure\n" + rows)
    with pytest.raises(ScenarioError) as info:
        build(tmp_path, "{csv: b.csv}")
    problems = info.value.problems
    assert len(problems) == 21 and "... and 10 more problems in b.csv" in problems[-1].message
