from types import SimpleNamespace as NS

import numpy as np
import pytest

from citysim.errors import ScenarioError
from citysim.projection import LocalFrame
from citysim.world.sites import Locator, build_shelters, build_stations
from citysim.world.synthetic import grid_city


def loc(**kw):
    base = {"x": None, "y": None, "lon": None, "lat": None, "node": None}
    return NS(**{**base, **kw})


@pytest.fixture
def net():
    return grid_city(5, 5, block_m=100, arterial_every=0)


def test_locations_snap_to_nearest_node(net):
    locator = Locator(net, None, 500.0)
    x, y, node = locator.resolve([loc(x=140, y=260), loc(node=7)], ["a", "b"])
    assert node[0] == 3 * 5 + 1  # (100, 300) is row 3, col 1
    assert (x[0], y[0]) == (140, 260)
    assert node[1] == 7 and (x[1], y[1]) == (200.0, 100.0)


def test_every_bad_location_is_reported_with_its_path(net):
    locator = Locator(net, None, 150.0)
    items = [
        NS(id="S1", name=None, kind=None, places=10, location=loc(x=200, y=200)),
        NS(id="S2", name=None, kind=None, places=10, location=loc(x=5000, y=200)),
        NS(id="S3", name=None, kind=None, places=10, location=loc(node=999)),
        NS(id="S4", name=None, kind=None, places=10, location=loc(lon=1.5, lat=42.5)),
    ]
    with pytest.raises(ScenarioError) as info:
        build_shelters(locator, items)
    paths = [p.path for p in info.value.problems]
    assert paths == ["shelters[2].location.node", "shelters[3].location",
                     "shelters[1].location"]
    text = str(info.value)
    assert "off the map" in text and "4600 m from the nearest road node" in text
    assert "no node with id 999" in text and "no geographic frame" in text


def test_lon_lat_locations_use_the_frame(net):
    frame = LocalFrame.centered_on(113.65, 34.75)
    locator = Locator(net, frame.proj, 500.0)
    lon, lat = frame.to_lonlat(np.array([200.0]), np.array([300.0]))
    x, y, node = locator.resolve([loc(lon=float(lon[0]), lat=float(lat[0]))], ["p"])
    assert x[0] == pytest.approx(200.0, abs=1e-3) and y[0] == pytest.approx(300.0, abs=1e-3)
    assert node[0] == 3 * 5 + 2


def test_stations_carry_units_and_turnout(net):
    locator = Locator(net, None, 500.0)
    items = [NS(id="F1", name="Central", location=loc(node=12), turnout=80.0,
                units=NS(engine=2, ladder=1, rescue=0, hazmat=0, ambulance=1))]
    st = build_stations(locator, items)
    assert st.units.tolist() == [[2, 1, 0, 0, 1]]
    assert st.turnout_s.tolist() == [80.0] and st.node.tolist() == [12]
