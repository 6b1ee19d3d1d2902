"""Facilities from OSM tags, and the ``{osm: ...}`` site lists of scenarios."""

import math
from pathlib import Path

import numpy as np
import osmium
import pytest
from pyproj import Geod

from citysim.errors import ScenarioError
from citysim.scenario import load_scenario_text
from citysim.scenario.facilities import parse_kinds, read_facilities

DATA = Path(__file__).resolve().parents[1] / "data"
FULL = DATA / "andorra_la_vella_full.osm.pbf"
GEOD = Geod(ellps="WGS84")


def _way_ring(path: Path, way_id: int) -> list[tuple[float, float]]:
    """The (lon, lat) ring of one way, read straight from the file."""
    for way in osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY) \
            .with_locations():
        if way.is_way() and way.id == way_id:
            return [(n.lon, n.lat) for n in way.nodes]
    raise AssertionError(f"way {way_id} not in {path}")


def test_andorra_facilities_with_polygon_areas():
    found = {f.id: f for f in read_facilities(FULL, ["fire_station", "hospital", "school", "park",
                                                    "square"])}
    station = found["w704181819"]
    assert station.kind == "fire_station" and station.name == "Parc de Bombers d'Andorra la Vella"
    # area against the geodesic area of the same ring (pyproj): the frame is within 1e-5
    for ident in ("w704181819", "w6275507", "w194554955"):
        lon, lat = zip(*_way_ring(FULL, int(ident[1:])), strict=True)
        area, _ = GEOD.polygon_area_perimeter(lon, lat)
        assert found[ident].area_m2 == pytest.approx(abs(area), rel=1e-4)
    assert found["w6275507"].name == "Parc Central" and found["w6275507"].area_m2 > 17_000
    # the centroid of a convex outline lies inside its bounding box
    lon, lat = zip(*_way_ring(FULL, 6275507), strict=True)
    park = found["w6275507"]
    assert min(lon) < park.lon < max(lon) and min(lat) < park.lat < max(lat)
    # schools mapped as nodes have no area; kinds come in the order asked
    assert found["n6436075685"].area_m2 is None
    kinds = [f.kind for f in found.values()]
    assert kinds == sorted(kinds, key=["fire_station", "hospital", "school", "park",
                                       "square"].index)


def test_bbox_keeps_only_what_is_inside():
    box = (1.515, 42.500, 1.530, 42.510)
    inside = read_facilities(FULL, ["park", "square"], bbox=box)
    everything = read_facilities(FULL, ["park", "square"])
    assert 0 < len(inside) < len(everything)
    assert all(box[0] <= f.lon <= box[2] and box[1] <= f.lat <= box[3] for f in inside)


OSM_XML = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
{nodes}
  <way id="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>
    <tag k="landuse" v="education"/><tag k="name" v="Grounds"/></way>
  <way id="2"><nd ref="11"/><nd ref="12"/><nd ref="13"/><nd ref="14"/><nd ref="11"/></way>
  <way id="3"><nd ref="21"/><nd ref="22"/><nd ref="23"/><nd ref="24"/><nd ref="21"/></way>
  <way id="4"><nd ref="31"/><nd ref="32"/><nd ref="33"/><nd ref="34"/><nd ref="31"/>
    <tag k="highway" v="pedestrian"/></way>
  <way id="5"><nd ref="41"/><nd ref="42"/><nd ref="43"/><nd ref="44"/><nd ref="41"/>
    <tag k="highway" v="pedestrian"/><tag k="area" v="yes"/></way>
  <way id="6"><nd ref="51"/><nd ref="52"/><nd ref="53"/><nd ref="54"/><nd ref="51"/>
    <tag k="amenity" v="school"/></way>
  <relation id="7">
    <member type="way" ref="2" role="outer"/><member type="way" ref="3" role="inner"/>
    <tag k="type" v="multipolygon"/><tag k="leisure" v="park"/><tag k="name" v="Ring park"/>
  </relation>
</osm>
"""
M = 1 / 111_320  # about a metre, in degrees at the equator


def _square(ident: int, x0: float, y0: float, side_m: float, tags: str = "") -> list[str]:
    pts = [(x0, y0), (x0 + side_m, y0), (x0 + side_m, y0 + side_m), (x0, y0 + side_m)]
    return [f'  <node id="{ident + k}" lon="{x * M:.9f}" lat="{y * M:.9f}">{tags}</node>'
            for k, (x, y) in enumerate(pts, start=1)]


def _geodesic(x0: float, y0: float, side_m: float) -> float:
    xs = np.array([x0, x0 + side_m, x0 + side_m, x0]) * M
    ys = np.array([y0, y0, y0 + side_m, y0 + side_m]) * M
    return abs(GEOD.polygon_area_perimeter(xs, ys)[0])


def _test_file(tmp_path: Path) -> Path:
    nodes = (
        _square(0, 0, 0, 100)                  # a campus (landuse=education), 100 x 100 m
        + _square(10, 1000, 0, 100)            # park outer 100 x 100 m ...
        + _square(20, 1040, 40, 20)            # ... minus a 20 x 20 m hole
        + _square(30, 2000, 0, 50)             # closed pedestrian street, no area tag
        + _square(40, 3000, 0, 50)             # pedestrian square (area=yes)
        + _square(50, 20, 20, 10)              # a school building inside the grounds
        + ['  <node id="100" lon="0.00045" lat="0.00045"><tag k="amenity" v="school"/></node>',
           '  <node id="101" lon="0.05" lat="0.05"><tag k="amenity" v="school"/>'
           '<tag k="name" v="Lone school"/></node>']
    )
    path = tmp_path / "made.osm"
    path.write_text(OSM_XML.format(nodes="\n".join(nodes)))
    return path


def test_multipolygons_holes_parts_and_pedestrian_areas(tmp_path):
    path = _test_file(tmp_path)
    found = {f.id: f for f in read_facilities(path, ["school", "park", "square"])}
    # the school building (w6) and the school node (n100) inside the campus are part of it
    assert set(found) == {"w1", "n101", "r7", "w5"} and found["w1"].kind == "school"
    # reference: geodesic areas of the rings as written (pyproj), the hole taken out; OSM
    # keeps coordinates to 1e-7 degrees (about 1 cm), 2e-4 of a side of 100 m at most
    assert found["w1"].area_m2 == pytest.approx(_geodesic(0, 0, 100), rel=3e-4)
    assert found["r7"].area_m2 == pytest.approx(_geodesic(1000, 0, 100) - _geodesic(1040, 40, 20),
                                                rel=3e-4)
    assert found["r7"].name == "Ring park" and found["r7"].kind == "park"
    assert found["w5"].kind == "square"
    assert found["w5"].area_m2 == pytest.approx(_geodesic(3000, 0, 50), rel=6e-4)
    assert found["n101"].area_m2 is None and found["n101"].name == "Lone school"
    # the centroid of the ring park falls in its hole: the location is a point of the ring
    x, y = found["r7"].lon / M, found["r7"].lat / M
    assert 1000 < x < 1100 and 0 < y < 100 and not (1040 <= x <= 1060 and 40 <= y <= 60)
    assert found["w1"].lon == pytest.approx(50 * M, abs=1e-6)  # a plain square: its centre


def test_tag_kinds():
    rules = parse_kinds(["amenity=hospital|clinic", "park"])
    assert rules == {"hospital": (("amenity", ("hospital", "clinic")),),
                     "park": (("leisure", ("park",)),)}
    with pytest.raises(ValueError, match="unknown facility kind 'parks'"):
        parse_kinds(["parks"])
    assert [f.kind for f in read_facilities(FULL, ["amenity=hospital"])] == ["hospital"]


CITY = """\
name: osm-sites
run: {{duration: 10min, dt: 10s}}
city:
  network: {{osm: {net}}}
  population: {{residents: 100}}
{rest}
"""


def _load(tmp_path, rest: str, net: Path = FULL):
    return load_scenario_text(CITY.format(net=net, rest=rest), base_dir=tmp_path)


def test_scenario_sites_from_osm(tmp_path):
    s = _load(tmp_path, """\
shelters: {osm: [park, square], min_area_m2: 1000, exclude: [w565493750]}
stations: {osm: fire_station, turnout: 60s}
candidates:
  shelters: {osm: school, point_area_m2: 800, m2_per_person: 2}
  stations: {osm: amenity=fire_station}
""")
    parks = {f.id: f for f in read_facilities(FULL, ["park", "square"])}
    big = {k for k, f in parks.items() if f.area_m2 and f.area_m2 >= 1000} - {"w565493750"}
    assert {sh.id for sh in s.shelters} == big
    for sh in s.shelters:
        assert sh.places == math.floor(parks[sh.id].area_m2 / 1.5 + 1e-9)
        assert sh.kind in ("park", "square") and sh.location.kind == "lonlat"
    assert [st.id for st in s.stations] == ["w704181819"]
    assert s.stations[0].units.engine == 2 and s.stations[0].turnout == 60.0
    assert s.candidates.stations[0].units.engine == 1  # candidate stations: one engine
    schools = s.candidates.shelters
    assert {c.places for c in schools if c.id.startswith("n")} == {400}  # 800 m² / 2 m²
    # the sites are inline in the resolved scenario, which loads back the same
    from citysim.scenario.loader import load_scenario_dict

    again = load_scenario_dict(s.resolved(), base_dir=tmp_path)
    assert again.shelters == s.shelters and again.stations == s.stations


def test_mixed_site_list(tmp_path):
    (tmp_path / "extra.csv").write_text("id,x,y,capacity\nX1,0,0,50\n")
    s = _load(tmp_path, """\
shelters:
  - {id: S0, location: {lon: 1.52, lat: 42.505}, capacity: 10}
  - {osm: park, min_area_m2: 10000}
  - {csv: extra.csv}
""")
    assert [sh.id for sh in s.shelters] == ["S0", "w6275507", "X1"]


@pytest.mark.parametrize(("rest", "path", "match"), [
    ("shelters: {osm: parks}", "shelters.osm", "unknown facility kind 'parks'"),
    ("shelters: {osm: park, min_area_m2: 1e9}", "shelters.osm", "no park found"),
    ("shelters: {osm: park, colour: red}", "shelters.colour", "unknown key"),
    ("shelters:\n  - {id: A, location: {x: 0, y: 0}, capacity: 1}\n  - {osm: park, bad: 1}",
     "shelters[1].bad", "unknown key"),
])
def test_osm_site_errors(tmp_path, rest, path, match):
    with pytest.raises(ScenarioError, match=match) as info:
        _load(tmp_path, rest)
    assert path in [p.path for p in info.value.problems]


def test_sites_need_an_osm_file_when_the_network_is_not_one(tmp_path):
    text = CITY.format(net=FULL, rest="shelters: {osm: park}").replace(
        f"osm: {FULL}", "synthetic: {rows: 3, cols: 3}")
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, base_dir=tmp_path)
    assert "shelters.file" in [p.path for p in info.value.problems]
    # naming the file is enough
    s = load_scenario_text(text.replace("{osm: park}", f"{{osm: park, file: {FULL}}}").replace(
        "synthetic: {rows: 3, cols: 3}", f"osm: {FULL}"), base_dir=tmp_path)
    assert len(s.shelters) > 5


def test_osm_sites_snap_to_roads_cars_reach(tmp_path):
    from citysim.rng import world_streams
    from citysim.world.builder import build_world
    from citysim.world.sites import car_nodes

    text = CITY.format(net=FULL, rest="shelters: {osm: [park, square], min_area_m2: 1000}\n"
                                      "stations: {osm: fire_station}")
    s = load_scenario_text(text.replace(f"osm: {FULL}}}", f"osm: {FULL}, walk: true}}"),
                           base_dir=tmp_path)
    world = build_world(s, world_streams(0))
    cars = car_nodes(world.network)
    assert not cars.all()  # footway junctions exist ...
    assert cars[world.shelters.node].all() and cars[world.stations.node].all()  # ... no site there
    assert np.all(world.shelters.capacity == [sh.places for sh in s.shelters])
