import pickle

import numpy as np
import pytest
from pyproj import CRS, Geod

from citysim.projection import LocalFrame

GEOD = Geod(ellps="WGS84")
ANDORRA = (1.5212, 42.5069)
PORTO_ALEGRE = (-51.1993, -30.0519)


@pytest.mark.parametrize("centre", [ANDORRA, PORTO_ALEGRE, (0.0, 0.0), (151.2, -33.87)])
def test_round_trip_below_a_millimetre(centre):
    frame = LocalFrame.centered_on(*centre)
    rng = np.random.default_rng(1)
    lon = centre[0] + rng.uniform(-0.2, 0.2, 500)  # about +-20 km
    lat = centre[1] + rng.uniform(-0.2, 0.2, 500)
    x, y = frame.to_xy(lon, lat)
    lon2, lat2 = frame.to_lonlat(x, y)
    _, _, err_m = GEOD.inv(lon, lat, lon2, lat2)
    assert np.max(err_m) < 1e-3
    x2, y2 = frame.to_xy(lon2, lat2)
    assert np.max(np.hypot(x2 - x, y2 - y)) < 1e-3


@pytest.mark.parametrize("offset_km", [0.0, 5.0, 15.0])
@pytest.mark.parametrize("azimuth", [0.0, 37.0, 90.0, 135.0, 270.0])
def test_one_kilometre_is_one_kilometre(offset_km, azimuth):
    # Transverse Mercator scale error is ~ (d/R)^2/2: 3e-6 at 15 km; 0.1 % is generous.
    frame = LocalFrame.centered_on(*ANDORRA)
    lon0, lat0, _ = GEOD.fwd(*ANDORRA, 60.0, offset_km * 1000.0)
    lon1, lat1, _ = GEOD.fwd(lon0, lat0, azimuth, 1000.0)
    x, y = frame.to_xy([lon0, lon1], [lat0, lat1])
    d = float(np.hypot(x[1] - x[0], y[1] - y[0]))
    assert d == pytest.approx(1000.0, rel=1e-3)
    assert d == pytest.approx(1000.0, rel=1e-5)


def test_origin_and_axes():
    frame = LocalFrame.centered_on(*ANDORRA)
    x, y = frame.to_xy(*ANDORRA)
    assert x.shape == () and abs(float(x)) < 1e-9 and abs(float(y)) < 1e-9
    east, _, _ = GEOD.fwd(*ANDORRA, 90.0, 500.0)
    xe, ye = frame.to_xy(east, ANDORRA[1])
    assert float(xe) == pytest.approx(500.0, rel=1e-4)
    assert abs(float(ye)) < 2.0  # a parallel curves slightly away from the grid line
    north = GEOD.fwd(*ANDORRA, 0.0, 500.0)
    xn, yn = frame.to_xy(north[0], north[1])
    assert abs(float(xn)) < 1e-6 and float(yn) == pytest.approx(500.0, rel=1e-4)


def test_vectorised_shapes():
    frame = LocalFrame.centered_on(*ANDORRA)
    lon = np.full((3, 4), ANDORRA[0])
    lat = np.full((3, 4), ANDORRA[1])
    x, y = frame.to_xy(lon, lat)
    assert x.shape == (3, 4) and y.shape == (3, 4) and x.dtype == np.float64
    lon2, lat2 = frame.to_lonlat([0.0, 10.0], [0.0, 10.0])
    assert lon2.shape == (2,)


def test_for_points_uses_rounded_bbox_centre():
    lons = np.array([1.51, 1.5302, 1.52])
    lats = np.array([42.50, 42.51234, 42.505])
    frame = LocalFrame.for_points(lons, lats)
    assert frame.lon_0 == round((1.51 + 1.5302) / 2, 4)
    assert frame.lat_0 == round((42.50 + 42.51234) / 2, 4)
    # Points inside the box, or a tiny change of the box, leave the frame unchanged.
    assert LocalFrame.for_points([*lons, 1.515], [*lats, 42.502]) == frame
    assert LocalFrame.for_points(lons + 1e-7, lats) == frame


def test_for_points_rejects_no_points():
    with pytest.raises(ValueError, match="no points"):
        LocalFrame.for_points([], [])
    with pytest.raises(ValueError, match="no points"):
        LocalFrame.for_points([np.nan], [np.nan])


def test_proj_string():
    frame = LocalFrame.centered_on(1.5212, 42.5069)
    assert frame.proj == (
        "+proj=tmerc +lat_0=42.5069 +lon_0=1.5212 +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m"
    )
    crs = CRS.from_user_input(frame.proj)
    assert crs.is_projected


@pytest.mark.parametrize(("lon", "lat"), [(181.0, 0.0), (0.0, 90.0), (np.nan, 0.0)])
def test_rejects_bad_origin(lon, lat):
    with pytest.raises(ValueError, match="must be in"):
        LocalFrame(lon, lat)


def test_frozen_hashable_picklable():
    frame = LocalFrame.centered_on(*ANDORRA)
    frame.to_xy(1.0, 42.0)  # builds the cached transformer
    with pytest.raises(AttributeError):
        frame.lon_0 = 2.0  # type: ignore[misc]
    assert {frame: 1}[LocalFrame.centered_on(*ANDORRA)] == 1
    copy = pickle.loads(pickle.dumps(frame))
    assert copy == frame
    np.testing.assert_array_equal(copy.to_xy(1.6, 42.6), frame.to_xy(1.6, 42.6))
