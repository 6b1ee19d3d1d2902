import numpy as np
import pytest

from citysim.errors import ScenarioError
from citysim.world.raster import Raster, read_asc, write_asc
from citysim.world.terrain import synthetic_terrain


def test_asc_round_trip_keeps_orientation_and_nodata(tmp_path):
    values = np.arange(12, dtype=float).reshape(3, 4)
    values[1, 2] = np.nan
    r = Raster(values, x0_m=100.0, y0_m=-50.0, cell_m=25.0)
    write_asc(tmp_path / "g.asc", r)
    text = (tmp_path / "g.asc").read_text().splitlines()
    # the first data row in the file is the NORTH row (row 2 here)
    assert text[6].split()[0] == "8.0"
    back = read_asc(tmp_path / "g.asc", yaml_path="city.terrain.asc")
    np.testing.assert_array_equal(np.isnan(back.values), np.isnan(values))
    np.testing.assert_allclose(np.nan_to_num(back.values), np.nan_to_num(values))
    assert (back.x0_m, back.y0_m, back.cell_m) == (100.0, -50.0, 25.0)
    # sampling: the point (160, 10) lies in column 2, row 2
    assert back.sample(np.array([160.0]), np.array([10.0]))[0] == 10.0
    assert np.isnan(back.sample(np.array([0.0]), np.array([0.0]))[0])


def test_asc_cell_centre_header(tmp_path):
    p = tmp_path / "c.asc"
    p.write_text("ncols 2\nnrows 1\nxllcenter 5\nyllcenter 5\ncellsize 10\n1 2\n")
    r = read_asc(p, yaml_path="x")
    assert (r.x0_m, r.y0_m) == (0.0, 0.0)


@pytest.mark.parametrize("text, fragment", [
    ("hello\n", "not an ESRI ASCII grid"),
    ("ncols 2\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 2 3\n", "file has 3"),
    ("ncols 2\nnrows 1\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 x\n", "must be numbers"),
    ("ncols 2\nnrows 1\nxllcorner 0\nyllcorner 0\ncellsize -1\n1 2\n", "positive"),
])
def test_malformed_asc_names_the_yaml_path(tmp_path, text, fragment):
    p = tmp_path / "bad.asc"
    p.write_text(text)
    with pytest.raises(ScenarioError) as info:
        read_asc(p, yaml_path="city.terrain.asc")
    assert info.value.problems[0].path == "city.terrain.asc"
    assert fragment in str(info.value)


@pytest.mark.parametrize("kind", ["plane", "bowl", "valley"])
def test_synthetic_terrain_covers_the_network_and_has_its_shape(kind):
    bounds = (0.0, 0.0, 1000.0, 600.0)
    t = synthetic_terrain(bounds, kind=kind, cell_m=25, slope=0.002, depth_m=5, base_m=10)
    x0, y0, x1, y1 = t.bounds_m
    assert x0 <= 0 and y0 <= 0 and x1 >= 1000 and y1 >= 600
    z = t.values
    assert z.min() >= 10 - 1e-9
    # the plane falls toward +x in every kind
    assert np.all(np.diff(z.mean(axis=0)) < 0) or kind == "bowl"
    if kind == "bowl":
        flat = synthetic_terrain(bounds, kind=kind, cell_m=25, slope=0.0, depth_m=5, base_m=10)
        r, c = np.unravel_index(np.argmin(flat.values), z.shape)
        assert abs(r - (z.shape[0] - 1) / 2) <= 1 and abs(c - (z.shape[1] - 1) / 2) <= 1
        assert flat.values.max() - flat.values.min() == pytest.approx(5, rel=0.1)
    if kind == "valley":
        # lowest along the middle row, rising toward both edges
        col = z[:, z.shape[1] // 2]
        assert np.argmin(col) in (z.shape[0] // 2 - 1, z.shape[0] // 2)
        assert col[0] - col.min() > 4 and col[-1] - col.min() > 4
