"""Real DEMs: GeoTIFF and SRTM .hgt readers, reprojection and resampling (tests/data)."""

import zipfile
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image
from pyproj import Transformer

from citysim.errors import ScenarioError
from citysim.projection import LocalFrame
from citysim.scenario import load_scenario_text
from citysim.scenario.geogrid import GeoGrid, read_geotiff, read_hgt
from citysim.world.elevation import to_frame
from citysim.world.terrain import MARGIN_CELLS, dem_terrain

DATA = Path(__file__).resolve().parents[1] / "data"
TIF = DATA / "poa_elevation_cut.tif"
HGT = DATA / "N42E001.hgt.zip"
ANDORRA_LA_VELLA = (1 + 626 / 1200, 43 - 592 / 1200)
"""Sample (row 592, column 626) of N42E001: Andorra la Vella, 1024 m (shared SOURCES.md)."""


def test_geotiff_matches_an_independent_read_of_pixels_and_tags():
    grid = read_geotiff(TIF)
    raw = np.array(Image.open(TIF), dtype=np.float64)  # Pillow: an independent TIFF decoder
    with tifffile.TiffFile(TIF) as tif:
        scale = tif.pages[0].tags[33550].value
        tie = tif.pages[0].tags[33922].value
    assert grid.crs == "EPSG:4326" and grid.shape == raw.shape == (60, 60)
    assert (grid.x0, grid.y0, grid.dx, grid.dy) == (tie[3], tie[4], scale[0], scale[1])
    # every pixel centre reads back its own value; the lake (0, the NODATA tag) is NaN
    rows, cols = np.mgrid[0:60, 0:60]
    lon = tie[3] + (cols + 0.5) * scale[0]
    lat = tie[4] - (rows + 0.5) * scale[1]
    got = grid.sample(lon.ravel(), lat.ravel()).reshape(60, 60)
    np.testing.assert_array_equal(np.isnan(got), raw == 0)
    np.testing.assert_allclose(got[raw > 0], raw[raw > 0], atol=1e-9)
    assert (raw == 0).sum() > 500 and (raw > 0).sum() > 500  # shore: lake and city both there


def test_geotiff_extra_nodata_value_and_outside_points():
    plain = read_geotiff(TIF)
    masked = read_geotiff(TIF, nodata=5)
    assert np.isnan(masked.values).sum() == np.isnan(plain.values).sum() + (plain.values == 5).sum()
    west, south, east, north = plain.bounds
    assert np.isnan(plain.sample(np.array([west - 1e-4, east + 1e-4]), np.array([south, north])))\
        .all()


def test_hgt_reads_the_tile_and_the_known_elevation():
    grid = read_hgt(HGT)
    with zipfile.ZipFile(HGT) as archive:
        raw = np.frombuffer(archive.read("N42E001.hgt"), dtype=">i2").reshape(1201, 1201)
    assert grid.shape == (1201, 1201) and grid.crs == "EPSG:4326"
    np.testing.assert_array_equal(np.isnan(grid.values), raw == -32768)
    ok = raw != -32768
    np.testing.assert_array_equal(grid.values[ok], raw[ok])
    # samples sit on whole-degree lines: the first at (1 E, 43 N), 3 arc-seconds apart
    assert grid.sample(np.array([ANDORRA_LA_VELLA[0]]), np.array([ANDORRA_LA_VELLA[1]]))[0] \
        == pytest.approx(1024.0, abs=1e-9)
    west, south, east, north = grid.bounds
    assert west == pytest.approx(1 - 1.5 / 3600) and north == pytest.approx(43 + 1.5 / 3600)


@pytest.mark.parametrize(("name", "content", "match"), [
    ("N42E001.hgt", b"\x00" * 100, "not an SRTM tile"),
    ("tile.hgt", b"\x00" * (1201 * 1201 * 2), "name must give the tile corner"),
])
def test_bad_hgt_files(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ScenarioError, match=match) as info:
        read_hgt(path, yaml_path="city.terrain.hgt")
    assert info.value.problems[0].path == "city.terrain.hgt"


def test_not_a_tiff(tmp_path):
    path = tmp_path / "dem.tif"
    path.write_text("hello")
    with pytest.raises(ScenarioError, match="not a readable TIFF"):
        read_geotiff(path, yaml_path="city.terrain.geotiff")


def _plane_grid(frame: LocalFrame, cell: float, nodata_block: bool = False) -> GeoGrid:
    """A grid in the frame's own CRS holding z = 2 + 0.01 x - 0.003 y (x, y pixel centres)."""
    rows = cols = 40
    x0, y0 = -200.0, 200.0
    xc = x0 + (np.arange(cols) + 0.5) * cell
    yc = y0 - (np.arange(rows) + 0.5) * cell
    x, y = np.meshgrid(xc, yc)
    values = 2 + 0.01 * x - 0.003 * y
    if nodata_block:
        values[10:20, 10:20] = np.nan
    return GeoGrid(values, x0, y0, cell, cell, frame.proj)


@pytest.mark.parametrize("cell_m", [4.0, 10.0, 25.0, 30.0])
def test_resampling_reproduces_a_plane_at_any_cell_size(cell_m):
    # bilinear sampling and block means are exact for a plane: the reference is the plane
    frame = LocalFrame(10.0, 45.0)
    grid = _plane_grid(frame, 10.0)
    out = to_frame(grid, frame.proj, x0_m=-150.0, y0_m=-150.0, rows=8, cols=9, cell_m=cell_m)
    x, y = out.cell_centres()
    inside = (x > -195) & (x < 195) & (y > -195) & (y < 195)
    np.testing.assert_allclose(out.values[inside], (2 + 0.01 * x - 0.003 * y)[inside], atol=1e-9)


def test_nodata_keeps_its_shape_when_resampled():
    frame = LocalFrame(10.0, 45.0)
    grid = _plane_grid(frame, 10.0, nodata_block=True)  # no data over x -100..0, y 0..100
    for cell_m in (5.0, 20.0):
        out = to_frame(grid, frame.proj, x0_m=-200.0, y0_m=-200.0, rows=int(400 // cell_m),
                       cols=int(400 // cell_m), cell_m=cell_m)
        x, y = out.cell_centres()
        in_block = (x > -100) & (x < 0) & (y > 0) & (y < 100)
        assert np.isnan(out.values[in_block]).all()
        assert np.isfinite(out.values[~in_block]).all()


def test_dem_terrain_covers_the_network_in_the_frame():
    grid = read_geotiff(TIF)
    west, south, east, north = grid.bounds
    frame = LocalFrame.for_points([west, east], [south, north])
    bounds = (-500.0, -400.0, 500.0, 400.0)
    dem = dem_terrain(TIF, kind="geotiff", frame_crs=frame.proj, bounds_m=bounds, cell_m=30.0)
    assert dem.cell_m == 30.0 and dem.x0_m % 30 == 0 and dem.y0_m % 30 == 0
    gx0, gy0, gx1, gy1 = dem.bounds_m
    assert gx0 <= -500 - MARGIN_CELLS * 30 + 30 and gx1 >= 500 + MARGIN_CELLS * 30 - 30
    assert gy0 <= -400 - MARGIN_CELLS * 30 + 30 and gy1 >= 400 + MARGIN_CELLS * 30 - 30
    # each cell reads the DEM at its own place: compare with the source at the cell centre
    x, y = dem.cell_centres()
    lon, lat = frame.to_lonlat(x, y)
    source = grid.sample(lon.ravel(), lat.ravel()).reshape(x.shape)
    both = np.isfinite(source) & np.isfinite(dem.values)
    assert both.mean() > 0.5
    # a 30 m cell averages 2 x 2 samples of a ~27 x 31 m pixel grid: within the local relief
    assert np.median(np.abs(dem.values[both] - source[both])) < 1.0
    assert np.isnan(dem.values).any()  # the lake


def test_dem_terrain_without_a_geographic_frame_is_an_error():
    with pytest.raises(ScenarioError, match="geographic frame") as info:
        dem_terrain(TIF, kind="geotiff", frame_crs=None, bounds_m=(0, 0, 10, 10))
    assert info.value.problems[0].path == "city.terrain.geotiff"


def test_dem_far_from_the_network_is_an_error():
    frame = LocalFrame(100.0, 10.0)
    with pytest.raises(ScenarioError, match="no data over the road network"):
        dem_terrain(HGT, kind="hgt", frame_crs=frame.proj, bounds_m=(0, 0, 1000, 1000))


HGT_CITY = """\
name: andorra-dem
run: {{duration: 10min, dt: 10s}}
city:
  network: {{osm: {net}}}
  terrain: {{hgt: {hgt}, cell_m: 90}}
  population: {{residents: 10}}
"""


def test_scenario_terrain_from_an_hgt_tile(tmp_path):
    from citysim.rng import world_streams
    from citysim.world.builder import build_world

    text = HGT_CITY.format(net=DATA / "andorra_la_vella.osm.pbf", hgt=HGT)
    scenario = load_scenario_text(text, base_dir=tmp_path)
    assert scenario.city.terrain.kind == "hgt" and scenario.city.terrain.cell_m == 90
    world = build_world(scenario, world_streams(0))
    dem, net = world.terrain, world.network
    z = dem.sample(net.node_x_m, net.node_y_m)
    assert np.isfinite(z).all()  # the window kept in the tile covers the town
    # Andorra la Vella's sample, 1024 m: the 90 m cell around it averages 1009..1037 m terrain
    x, y = Transformer.from_crs("EPSG:4326", world.crs, always_xy=True).transform(
        *ANDORRA_LA_VELLA)
    assert 1005 < dem.sample(np.atleast_1d(x), np.atleast_1d(y))[0] < 1040
    assert world.describe()["terrain"]["cell_m"] == 90


@pytest.mark.parametrize(("terrain", "path", "match"), [
    ("{asc: dem.asc, cell_m: 30}", "city.terrain.cell_m", "applies to geotiff or hgt only"),
    ("{hgt: tile.hgt, geotiff: dem.tif}", "city.terrain", "exactly one of"),
    ("{geotiff: dem.tif, cell_m: -1}", "city.terrain.cell_m", "expected a value > 0"),
])
def test_terrain_schema_errors(tmp_path, terrain, path, match):
    for name in ("dem.asc", "tile.hgt", "dem.tif"):
        (tmp_path / name).write_text("x")
    text = HGT_CITY.format(net=DATA / "andorra_la_vella.osm.pbf", hgt="x").replace(
        "terrain: {hgt: x, cell_m: 90}", f"terrain: {terrain}")
    with pytest.raises(ScenarioError, match=match) as info:
        load_scenario_text(text, base_dir=tmp_path)
    assert path in [p.path for p in info.value.problems]
