"""GIS export: GeoJSON layers valid under RFC 7946, in WGS84 when the city is on the Earth."""

import json
import math

import numpy as np
import pytest

from citysim.analysis.coverage import station_coverage
from citysim.app.run import run
from citysim.io.geojson import CORE_LAYERS
from citysim.projection import LocalFrame
from citysim.scenario import load_scenario, load_scenario_text
from tests.report.storm_city import ORIGIN, write_storm
from tests.scenarios import SMALL_CITY

GEOMETRY_DEPTH = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2,
                  "Polygon": 2, "MultiPolygon": 3}


def ring_area(ring):
    """Signed area (shoelace): > 0 counter-clockwise."""
    x, y = np.asarray(ring, dtype=float).T
    return 0.5 * float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]))


def position_problems(p, wgs84):
    if not (isinstance(p, list) and len(p) in (2, 3)
            and all(isinstance(c, int | float) and math.isfinite(c) for c in p)):
        return [f"bad position {p!r}"]
    if wgs84 and not (-180 <= p[0] <= 180 and -90 <= p[1] <= 90):
        return [f"position {p!r} is not lon, lat"]
    return []


def geometry_problems(g, wgs84):
    """RFC 7946 section 3.1 checks of one geometry."""
    if g is None:
        return []
    kind = g.get("type")
    if kind not in GEOMETRY_DEPTH:
        return [f"unknown geometry type {kind!r}"]
    out = []

    def walk(c, depth):
        if depth == 0:
            out.extend(position_problems(c, wgs84))
            return
        if not isinstance(c, list):
            out.append(f"{kind}: expected an array")
            return
        for x in c:
            walk(x, depth - 1)

    coords = g.get("coordinates")
    walk(coords, GEOMETRY_DEPTH[kind])
    if out:
        return out
    lines = [coords] if kind == "LineString" else coords if kind == "MultiLineString" else []
    out += [f"{kind} with fewer than 2 positions" for line in lines if len(line) < 2]
    polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
    for rings in polygons:
        for k, ring in enumerate(rings):
            if len(ring) < 4 or ring[0] != ring[-1]:
                out.append(f"{kind} ring not closed or shorter than 4 positions")
            elif (ring_area(ring) > 0) != (k == 0):  # exterior CCW, holes CW (3.1.6)
                out.append(f"{kind} ring {k} winds the wrong way")
    return out


def collection_problems(fc, wgs84):
    out = []
    if fc.get("type") != "FeatureCollection" or not isinstance(fc.get("features"), list):
        return ["not a FeatureCollection"]
    for f in fc["features"]:
        if f.get("type") != "Feature" or "geometry" not in f or "properties" not in f:
            out.append("bad feature")
            continue
        if f["properties"] is not None and not isinstance(f["properties"], dict):
            out.append("properties must be an object or null")
        if "id" in f and not isinstance(f["id"], str | int | float):
            out.append("id must be a string or number")
        out += geometry_problems(f["geometry"], wgs84)
    return out


def strict_load(path):
    """Parse as JSON proper: NaN and Infinity are not JSON."""
    def refuse(name):
        raise ValueError(f"{path.name}: {name} is not JSON")

    return json.loads(path.read_text(), parse_constant=refuse)


@pytest.fixture(scope="module")
def storm_wgs84(tmp_path_factory):
    root = tmp_path_factory.mktemp("gis")
    out = run(load_scenario(write_storm(root), overrides=[
        "outputs.animation=false", "outputs.plots=false"]), out=root / "out")
    return out, root / "out" / "gis"


@pytest.fixture(scope="module")
def small_local(tmp_path_factory):
    # a synthetic city needs city.origin for GeoJSON (tests/world/test_builder.py)
    root = tmp_path_factory.mktemp("gis-local")
    text = SMALL_CITY.replace("plots: false", "plots: false\n  geojson: true") + (
        "response: {standard: 2min, background_calls: {rate_per_h: 30}}\n")
    scenario = load_scenario_text(text, base_dir=root, overrides=[
        f"city.origin={{lon: {ORIGIN[0]}, lat: {ORIGIN[1]}}}"])
    out = run(scenario, out=root / "out")
    return out, root / "out" / "gis"


def test_every_layer_is_valid_geojson_in_wgs84(storm_wgs84):
    out, gis = storm_wgs84
    index = strict_load(gis / "index.json")
    assert index["crs"].startswith("EPSG:4326")
    names = set(index["layers"])
    assert set(CORE_LAYERS) | {"flooded_roads", "road_closures"} <= names
    for name, info in index["layers"].items():
        fc = strict_load(gis / info["file"])
        assert collection_problems(fc, wgs84=True) == [], name
        assert fc["name"] == name and "citysim_crs" not in fc
        assert len(fc["features"]) == info["features"]
    assert {p.name for p in gis.iterdir()} == {f"{n}.geojson" for n in names} | {"index.json"}


def test_coordinates_are_lon_lat_of_the_run_frame(storm_wgs84):
    out, gis = storm_wgs84
    frame = LocalFrame.centered_on(113.65, 34.75)
    shelters = strict_load(gis / "shelters.geojson")["features"]
    assert [f["id"] for f in shelters] == list(out.shelters["shelter"])
    for f, (_, row) in zip(shelters, out.shelters.iterrows(), strict=True):
        lon, lat = frame.to_lonlat(row["x"], row["y"])
        assert f["geometry"]["coordinates"] == pytest.approx([float(lon), float(lat)], abs=1e-7)
        assert f["properties"]["capacity"] == row["capacity"]
        assert f["properties"]["load_fraction"] == pytest.approx(
            row["peak_occupancy"] / row["capacity"])
    hill = shelters[0]["geometry"]["coordinates"]  # (0, 1600) m: north of the origin
    assert hill[0] == pytest.approx(113.65, abs=1e-6) and hill[1] > 34.75 + 0.014


def test_flooded_roads_carry_their_closure_times(storm_wgs84):
    out, gis = storm_wgs84
    table = out.hazard_tables["flooded_roads"]
    features = strict_load(gis / "flooded_roads.geojson")["features"]
    assert len(features) == len(table)
    net = out.world.network
    frame = LocalFrame.centered_on(113.65, 34.75)
    for f, row in zip(features, table.to_dict("records"), strict=True):
        p = f["properties"]
        assert p["edge"] == row["edge"] == f["id"]  # one row per edge: the edge is the id
        if np.isnan(row["t_closed_s"]):
            assert p["t_closed_s"] is None
        else:
            assert p["t_closed_s"] == row["t_closed_s"]
        e = row["edge"]
        ends = [frame.to_lonlat(net.node_x_m[n], net.node_y_m[n])
                for n in (net.edge_tail[e], net.edge_head[e])]
        np.testing.assert_allclose(f["geometry"]["coordinates"], np.array(ends, float), atol=1e-7)
    assert any(f["properties"]["t_closed_s"] for f in features)


def test_incidents_and_hazard_layers(storm_wgs84):
    out, gis = storm_wgs84
    incidents = strict_load(gis / "incidents.geojson")["features"]
    assert [f["id"] for f in incidents] == list(out.incidents["incident"])
    for f in incidents:
        rt = f["properties"]["response_time_s"]
        assert f["properties"]["within_standard"] is (None if rt is None else rt <= 180.0)
    closures = strict_load(gis / "road_closures.geojson")["features"]
    assert len(closures) == 2 and all(f["geometry"]["type"] == "LineString" for f in closures)
    assert {f["properties"]["closure"] for f in closures} == {"LORRY"}
    assert all(f["properties"]["t_closed_s"] == 1200 for f in closures)


def test_districts_and_gaps_are_the_coverage_raster(small_local):
    import shapely

    out, gis = small_local
    cov = station_coverage(out.world, standard_s=120.0)
    cell_km2 = cov.raster.cell_area_km2
    districts = strict_load(gis / "station_districts.geojson")["features"]
    gaps = strict_load(gis / "coverage_gaps.geojson")["features"]

    frame = LocalFrame.centered_on(*ORIGIN)

    def metres(feature):
        return shapely.transform(shapely.geometry.shape(feature["geometry"]),
                                 lambda lonlat: np.column_stack(frame.to_xy(*lonlat.T)))

    def area_km2(features):
        return sum(metres(f).area for f in features) / 1e6

    # the union of the cells of each district / of the uncovered cells; written to 1 cm, so
    # the area is exact to about perimeter x 0.5 cm (< 1e-5 of these areas)
    assert area_km2(districts) == pytest.approx(
        (cov.raster.station >= 0).sum() * cell_km2, rel=1e-5)
    assert area_km2(gaps) == pytest.approx((~cov.raster.covered).sum() * cell_km2, rel=1e-5)
    assert [f["properties"]["district_area_km2"] for f in districts] == pytest.approx(
        list(cov.stations["district_area_km2"]), rel=1e-12)
    shapes = [metres(f) for f in districts]
    assert all(s.is_valid for s in shapes)
    assert shapely.union_all(shapes).area == pytest.approx(sum(s.area for s in shapes))
    people = sum(f["properties"]["population"] for f in gaps)
    assert gaps and 0 < people <= cov.total_population - cov.covered_population + 1e-9


def test_gdal_reads_every_layer_in_wgs84_where_the_city_is(storm_wgs84):
    import pyogrio

    out, gis = storm_wgs84
    frame = LocalFrame.centered_on(*ORIGIN)
    net = out.world.network
    lon, lat = frame.to_lonlat(net.node_x_m, net.node_y_m)
    index = strict_load(gis / "index.json")
    assert "roads" in index["layers"]
    for name, info in index["layers"].items():
        meta = pyogrio.read_info(gis / info["file"])
        assert meta["crs"] == "EPSG:4326", name
        if meta["features"] == 0:
            continue
        west, south, east, north = meta["total_bounds"]
        # GDAL's own reading of the file: degrees around Zhengzhou, not metres from (0, 0)
        assert 113.5 < west <= east < 113.8 and 34.6 < south <= north < 34.9, (name, west, east)
        if name == "roads":
            np.testing.assert_allclose([west, south, east, north],
                                       [lon.min(), lat.min(), lon.max(), lat.max()], atol=1e-6)


def test_no_layer_is_written_in_local_metres():
    # GeoJSON is WGS84 (RFC 7946): a city without a geographic frame cannot be exported
    from citysim.io.geojson import to_collection

    square = {"type": "Feature", "properties": {},
              "geometry": {"type": "Point", "coordinates": [10.0, 20.0]}}
    with pytest.raises(ValueError, match="geographic frame"):
        to_collection("roads", [square], None)
