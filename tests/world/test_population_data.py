"""Real population data: hexagon/point CSV files and population GeoTIFFs."""

import csv
from pathlib import Path

import numpy as np
import pytest
import tifffile
from hypothesis import given
from hypothesis import strategies as st

from citysim.errors import ScenarioError
from citysim.projection import LocalFrame
from citysim.rng import world_streams
from citysim.scenario import load_scenario_text
from citysim.scenario.population_data import read_points_csv, read_points_raster
from citysim.world.builder import build_world
from citysim.world.network import RoadNetwork
from citysim.world.population import apportion, place_points, spacing_radius_m
from citysim.world.synthetic import grid_city

ROOT = Path(__file__).resolve().parents[2]
HEXGRID = ROOT / "data" / "porto_alegre" / "poa_hexgrid.csv"
CUT = ROOT / "tests" / "data" / "poa_hexgrid_cut.csv"
POA_TOTAL = 812_935
"""Persons in poa_hexgrid.csv (shared data SOURCES.md)."""


def _column_sum(path: Path, column: str) -> int:
    with path.open(newline="") as fh:
        return sum(int(row[column]) for row in csv.DictReader(fh))


def _city(frame: LocalFrame, *, rows: int, cols: int, block_m: float) -> RoadNetwork:
    """A grid network centred on the frame's origin, with the frame as its CRS."""
    net = grid_city(rows, cols, block_m=block_m, arterial_every=0)
    half_x, half_y = (cols - 1) * block_m / 2, (rows - 1) * block_m / 2
    return RoadNetwork.from_edges(net.node_x_m - half_x, net.node_y_m - half_y, net.edge_tail,
                                  net.edge_head, length_m=net.length_m,
                                  road_class=net.road_class, crs=frame.proj)


def _agent_points(counts: np.ndarray, ppa: int) -> np.ndarray:
    """Index of the point each agent belongs to (agents are made point by point)."""
    whole = counts.astype(np.int64)
    return np.repeat(np.arange(whole.size), -(-whole // ppa))


def test_the_whole_hexagon_grid_is_placed_person_for_person():
    points = read_points_csv(HEXGRID)
    assert points.total == POA_TOTAL == _column_sum(HEXGRID, "population")
    assert points.crs == "EPSG:4326" and points.x.size == 1227
    frame = LocalFrame.for_points(points.x, points.y)
    net = _city(frame, rows=61, cols=61, block_m=250.0)  # 15 x 15 km around the city
    pop = place_points(net, points, POA_TOTAL, 1, np.random.default_rng(1))
    assert pop.total == POA_TOTAL and pop.n_agents == POA_TOTAL
    assert pop.meta["persons_in_file"] == POA_TOTAL and pop.meta["residents"] == POA_TOTAL
    # an H3 resolution-9 hexagon is 0.105 km²: inscribed radius about 151 m
    assert pop.meta["radius_m"] == pytest.approx(151, rel=0.05)


def test_agents_live_near_their_hexagon_and_counts_hold_per_hexagon():
    points = read_points_csv(CUT)
    frame = LocalFrame.for_points(points.x, points.y)
    net = _city(frame, rows=61, cols=61, block_m=50.0)  # a node every 50 m
    ppa = 7
    pop = place_points(net, points, int(points.total), ppa, np.random.default_rng(2))
    which = _agent_points(points.count, ppa)
    assert which.size == pop.n_agents
    # each hexagon's persons add up exactly, in agents of ppa plus one remainder
    per_point = np.bincount(which, weights=pop.persons, minlength=points.x.size)
    np.testing.assert_array_equal(per_point, points.count)
    assert pop.persons.max() == ppa
    # and live within the radius (plus half a block's diagonal, the snap) of their hexagon
    px, py = frame.to_xy(points.x, points.y)
    d = np.hypot(net.node_x_m[pop.home_node] - px[which], net.node_y_m[pop.home_node] - py[which])
    assert d.max() <= pop.meta["radius_m"] + 50 * np.sqrt(2) / 2 + 1e-6
    again = place_points(net, points, int(points.total), ppa, np.random.default_rng(2))
    np.testing.assert_array_equal(again.home_node, pop.home_node)


@given(st.lists(st.floats(0, 1e4), min_size=1, max_size=40), st.integers(0, 10**6))
def test_apportion_is_whole_and_proportional(counts, total):
    counts = np.array(counts)
    if counts.sum() <= 0:
        if total:
            with pytest.raises(ValueError):
                apportion(counts, total)
        return
    whole = apportion(counts, total)
    share = counts * total / counts.sum()
    assert whole.sum() == total and whole.dtype == np.int64
    assert np.all(whole >= np.floor(share - 1e-6)) and np.all(whole <= np.ceil(share + 1e-6))


def test_apportion_keeps_whole_counts():
    counts = np.array([3, 0, 10, 7], dtype=float)
    np.testing.assert_array_equal(apportion(counts, 20), counts)


def test_spacing_radius_of_a_regular_grid():
    x, y = np.meshgrid(np.arange(10) * 300.0, np.arange(10) * 300.0)
    assert spacing_radius_m(x.ravel(), y.ravel()) == 150.0


CITY = """\
name: poa-people
run: {{duration: 10min, dt: 10s}}
city:
  network: {{osm: {net}}}
{bbox}
  population:
{residents}
    persons_per_agent: 4
    distribution: {{csv: {csv}{extra}}}
"""
POA_NET = ROOT / "data" / "porto_alegre" / "poa_osm.pbf"
CENTRE = (-51.235, -30.04, -51.215, -30.02)
"""The cut's box (tests/data/make_real_extracts.py HEX_BOX)."""


def _scenario(tmp_path, *, residents="", bbox=CENTRE, csv_path=HEXGRID, extra=""):
    box = "" if bbox is None else "  bbox: {{west: {}, south: {}, east: {}, north: {}}}".format(
        *bbox)
    text = CITY.format(net=POA_NET, bbox=box, residents=residents, csv=csv_path, extra=extra)
    return load_scenario_text(text, base_dir=tmp_path)


def test_scenario_residents_default_to_the_data_inside_the_bbox(tmp_path):
    s = _scenario(tmp_path)
    inside = _column_sum(CUT, "population")  # the cut holds exactly the hexagons of the box
    assert s.city.population.residents == inside
    world = build_world(s, world_streams(0))
    assert world.population.total == inside
    meta = world.describe()["population"]
    assert meta["persons_outside"] == POA_TOTAL - inside and meta["points"] == 1227
    # homes lie inside the box, on roads cars reach
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(world.crs, "EPSG:4326", always_xy=True).transform(
        world.network.node_x_m[world.population.home_node],
        world.network.node_y_m[world.population.home_node])
    assert lon.min() >= CENTRE[0] and lon.max() <= CENTRE[2]
    assert lat.min() >= CENTRE[1] and lat.max() <= CENTRE[3]
    # the resolved scenario says how many, and loads back the same
    from citysim.scenario.loader import load_scenario_dict

    assert load_scenario_dict(s.resolved(), base_dir=tmp_path).city.population.residents == inside


def test_given_residents_rescale_the_data(tmp_path):
    s = _scenario(tmp_path, residents="    residents: 1000", csv_path=CUT)
    world = build_world(s, world_streams(0))
    assert world.population.total == 1000
    points = read_points_csv(CUT)
    which = _agent_points(apportion(points.count, 1000), 4)
    per_point = np.bincount(which, weights=world.population.persons, minlength=points.x.size)
    np.testing.assert_array_equal(per_point, apportion(points.count, 1000))
    assert per_point.sum() == 1000


@pytest.mark.parametrize(("content", "match"), [
    ("id,lon,lat\n1,-51.2,-30.0\n", "missing column"),
    ("id,lon,lat,population\n1,-51.2,-30.0,-5\n", "expected a count >= 0"),
    ("id,lon,lat,population\n1,west,-30.0,5\n", "expected a number"),
])
def test_bad_population_csv(tmp_path, content, match):
    path = tmp_path / "pop.csv"
    path.write_text(content)
    with pytest.raises(ScenarioError, match=match) as info:
        _scenario(tmp_path, csv_path=path)
    assert info.value.problems[0].path == "city.population.distribution.csv"


def test_count_column_and_radius_options(tmp_path):
    s = _scenario(tmp_path, csv_path=CUT, extra=", count: population, radius_m: 0")
    world = build_world(s, world_streams(0))
    points = read_points_csv(CUT)
    from pyproj import Transformer

    px, py = Transformer.from_crs("EPSG:4326", world.crs, always_xy=True).transform(points.x,
                                                                                      points.y)
    # radius 0: everyone of a hexagon lives at the road node nearest its centre
    homes = world.population.home_node
    which = _agent_points(points.count, 4)
    from citysim.world.sites import car_nodes

    cars = np.flatnonzero(car_nodes(world.network))
    d = np.hypot(world.network.node_x_m[cars][None, :] - px[:, None],
                 world.network.node_y_m[cars][None, :] - py[:, None])
    np.testing.assert_array_equal(homes, cars[d.argmin(axis=1)][which])
    text = CITY.format(net=POA_NET, bbox="", residents="", csv=CUT, extra="")
    text = text.replace(f"{{csv: {CUT}}}", "{node_weight: population, radius_m: 10}")
    with pytest.raises(ScenarioError, match="applies to csv only") as info:
        load_scenario_text(text, base_dir=tmp_path)
    assert info.value.problems[0].path == "city.population.distribution.radius_m"


def _write_population_tif(path: Path, values: np.ndarray, west: float, north: float,
                          step: float) -> None:
    """A minimal EPSG:4326 GeoTIFF (pixel scale, tie point, geokeys)."""
    keys = (1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326)
    tifffile.imwrite(path, values.astype(np.float32), photometric="minisblack", metadata=None,
                     extratags=[(33550, "d", 3, (step, step, 0.0), True),
                                (33922, "d", 6, (0.0, 0.0, 0.0, west, north, 0.0), True),
                                (34735, "H", len(keys), keys, True)])


def test_population_geotiff_counts_and_pixels(tmp_path):
    values = np.zeros((20, 20))
    values[5, 5] = 1200.4
    values[12, 14] = 300.6
    values[0, 0] = np.nan
    west, north, step = -51.24, -30.02, 0.001  # about 100 m pixels
    _write_population_tif(tmp_path / "pop.tif", values, west, north, step)
    points = read_points_raster(tmp_path / "pop.tif")
    assert points.total == pytest.approx(1501.0) and points.x.size == 2
    text = CITY.format(net=POA_NET, bbox="  bbox: {west: -51.245, south: -30.045, east: -51.215,"
                       " north: -30.015}", residents="", csv="x", extra="")
    s = load_scenario_text(text.replace("{csv: x}", "{geotiff: pop.tif}"), base_dir=tmp_path)
    assert s.city.population.residents == 1501
    world = build_world(s, world_streams(0))
    assert world.population.total == 1501
    # the persons of a pixel live at the road node nearest a point of the pixel: no farther
    # from its centre than the centre's own nearest road node plus the pixel's diagonal
    from pyproj import Transformer

    from citysim.world.sites import car_nodes

    net = world.network
    to_frame = Transformer.from_crs("EPSG:4326", world.crs, always_xy=True)
    cars = np.flatnonzero(car_nodes(net))
    first = world.population.persons.cumsum() <= 1200  # point (5, 5) first, 1200 persons
    cx, cy = to_frame.transform(west + 5.5 * step, north - 5.5 * step)
    corner = np.hypot(*np.subtract(to_frame.transform(west + 5 * step, north - 5 * step),
                                   to_frame.transform(west + 6 * step, north - 6 * step)))
    nearest = np.hypot(net.node_x_m[cars] - cx, net.node_y_m[cars] - cy).min()
    home = world.population.home_node[first]
    d = np.hypot(net.node_x_m[home] - cx, net.node_y_m[home] - cy)
    assert d.max() <= nearest + corner + 1e-6
