"""GIS export: the layers of a run as GeoJSON files a planner opens in QGIS.

:func:`write_layers` writes into ``gis/`` (``outputs.geojson: true``):

- ``roads.geojson`` -- every street once (LineString): road class, length,
  speed, lanes, one-way;
- ``shelters.geojson`` -- Points: capacity, peak occupancy, load, turned
  away, when it filled;
- ``stations.geojson`` -- Points: units, incidents reached first, response
  p50/p90, share within the standard, utilisation;
- ``station_districts.geojson`` -- Polygons: each station's district (where
  its first engine arrives before any other's, on the intact network,
  :mod:`citysim.analysis.coverage`), with its population, the share covered
  within the standard, its area and the time to reach its edge;
- ``coverage_gaps.geojson`` -- Polygons: places no engine reaches within the
  response standard, each with the persons living there;
- ``incidents.geojson`` -- Points: every incident of the first replication
  with its audit chain, response time and whether it met the standard;
- one LineString layer per hazard table that lists road edges with closure
  times (columns ``edge`` and ``t_closed_s``: ``flooded_roads.geojson``,
  ``road_closures.geojson``), the edge as feature id when each row has its own;
- each hazard's own layers, looked up by its type
  (:mod:`citysim.io.hazard_layers`: threat zones, burned buildings,
  underpasses ...), under the names they give;
- ``index.json`` -- the layers, their feature counts and the coordinate system.

Districts and gaps are drawn from the coverage raster (cells of the
network's bounding box, each in its nearest node's district), so their areas
are those ``citysim coverage`` reports.

**Coordinates.** Every layer is in WGS84 longitude/latitude, as RFC 7946
requires, so QGIS and GDAL open it in place: the city needs a geographic
frame (an OSM or GraphML city with a CRS, or a synthetic city with
``city.origin``). The scenario refuses ``outputs.geojson`` for a city
without one, and :func:`to_collection` raises for it (there is no honest
way to write local metres as GeoJSON: readers take them for degrees).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from citysim.io.atomic import write_atomic, write_json
from citysim.io.hazard_layers import hazard_layers

if TYPE_CHECKING:
    from citysim.world.builder import World

__all__ = ["CORE_LAYERS", "layers_of_run", "to_collection", "write_layers"]

CORE_LAYERS = ("roads", "shelters", "stations", "station_districts", "coverage_gaps",
               "incidents")
"""Layers every export has (possibly with no features)."""
WGS84_DECIMALS = 7
"""Decimals kept of longitude/latitude (about 1 cm)."""

Feature = dict[str, Any]


def _feature(geometry: dict[str, Any], properties: dict[str, Any],
             fid: str | int | None = None) -> Feature:
    feature: Feature = {"type": "Feature", "geometry": geometry,
                        "properties": {k: _plain(v) for k, v in properties.items()}}
    if fid is not None:
        feature["id"] = _plain(fid)
    return feature


def _plain(value: Any) -> Any:
    """A JSON value: numpy scalars unwrapped, NaN, infinity and pd.NA as null."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _point(x: float, y: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [float(x), float(y)]}


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    first = table[table["replication"] == 0] if "replication" in table else table
    return first.to_dict("records")


def _edge_line(net: Any, e: int) -> dict[str, Any]:
    t, h = int(net.edge_tail[e]), int(net.edge_head[e])
    return {"type": "LineString", "coordinates": [[float(net.node_x_m[t]), float(net.node_y_m[t])],
                                                  [float(net.node_x_m[h]), float(net.node_y_m[h])]]}


def _roads(world: World) -> list[Feature]:
    from citysim.analysis.coverage import street_pairs
    from citysim.world.road_classes import ROAD_CLASSES

    net = world.network
    forward, reverse = street_pairs(net, np.ones(net.n_edges, dtype=bool))
    features = []
    for e, r in zip(forward, reverse, strict=True):
        features.append(_feature(_edge_line(net, int(e)), {
            "edge": int(e), "reverse_edge": int(r) if r >= 0 else None,
            "from_node": int(net.node_id[net.edge_tail[e]]),
            "to_node": int(net.node_id[net.edge_head[e]]),
            "road_class": ROAD_CLASSES[int(net.road_class[e])].name,
            "length_m": float(net.length_m[e]), "speed_kph": float(net.speed_mps[e] * 3.6),
            "lanes": float(net.lanes[e]), "oneway": bool(r < 0),
            "drivable": bool(net.drivable[e]),
        }, int(e)))
    return features


def _shelters(out: Any) -> list[Feature]:
    features = []
    for row in _records(out.shelters):
        cap = row.get("capacity")
        load = row["peak_occupancy"] / cap if cap else None
        features.append(_feature(_point(row["x"], row["y"]),
                                 {**row, "load_fraction": load}, row["shelter"]))
    return features


def _stations(out: Any) -> list[Feature]:
    st = out.world.stations
    rows = {r["station"]: r for r in _records(out.stations)}
    return [_feature(_point(st.x_m[k], st.y_m[k]), rows.get(sid, {"station": sid}), sid)
            for k, sid in enumerate(st.id)]


def _incidents(out: Any, standard_s: float) -> list[Feature]:
    features = []
    for row in _records(out.incidents):
        rt = row.get("response_time_s")
        met = None if rt is None or pd.isna(rt) else bool(rt <= standard_s)
        features.append(_feature(_point(row["x"], row["y"]), {
            # mypy: rt is a number whenever met is not None
            **row, "response_time_min": None if met is None else rt / 60.0,  # type: ignore[operator]
            "within_standard": met}, row["incident"]))
    return features


def _raster_polygons(raster: Any, mask: np.ndarray) -> Any:
    """Union of the raster cells in ``mask`` as one shapely geometry (row runs merged first)."""
    xe, ye = raster.x_edges_m, raster.y_edges_m  # shared cell edges: no slivers between rows
    boxes = []
    for r in np.flatnonzero(mask.any(axis=1)):
        row = np.r_[False, mask[r], False].astype(np.int8)
        change = np.flatnonzero(np.diff(row))
        starts, ends = change[::2], change[1::2]
        boxes.append(shapely.box(xe[starts], ye[r], xe[ends], ye[r + 1]))
    if not boxes:
        return shapely.Polygon()
    # tolerance 0 drops only the vertices on straight runs of cell edges
    return shapely.simplify(shapely.union_all(np.concatenate(boxes)), 0.0)


def _polygon_geometry(geom: Any) -> dict[str, Any]:
    """GeoJSON of a shapely (multi)polygon, exterior rings counter-clockwise (RFC 7946)."""
    geom = shapely.orient_polygons(geom, exterior_cw=False)
    return json.loads(shapely.to_geojson(geom))


def _parts(geom: Any) -> list[Any]:
    return list(geom.geoms) if hasattr(geom, "geoms") else ([] if geom.is_empty else [geom])


def _districts_and_gaps(out: Any, standard_s: float) -> tuple[list[Feature], list[Feature]]:
    from citysim.analysis.coverage import station_coverage

    world = out.world
    cov = station_coverage(world, standard_s=standard_s)
    raster = cov.raster
    net = world.network
    run_rows = {r["station"]: r for r in _records(out.stations)}
    districts = []
    for k, row in enumerate(cov.stations.to_dict("records")):
        geom = _raster_polygons(raster, raster.station == k)
        if geom.is_empty:
            continue
        run = run_rows.get(row["station"], {})
        districts.append(_feature(_polygon_geometry(geom), {
            **row, "standard_s": standard_s,
            "response_time_p90_s": run.get("response_time_p90_s"),
            "within_standard_fraction": run.get("within_standard_fraction"),
            "unit_utilization": run.get("unit_utilization"),
        }, row["station"]))
    gaps = []
    gap = _raster_polygons(raster, ~raster.covered)
    for i, part in enumerate(_parts(gap)):
        inside = shapely.contains_xy(part, net.node_x_m, net.node_y_m)
        times = cov.time_s[inside]
        reached = times[np.isfinite(times)]
        gaps.append(_feature(_polygon_geometry(part), {
            "gap": i + 1, "area_km2": part.area / 1e6,
            "population": float(cov.population[inside].sum()), "nodes": int(inside.sum()),
            "worst_arrival_s": float(reached.max()) if reached.size else None,
            "unreached_nodes": int((~np.isfinite(times)).sum()), "standard_s": standard_s,
        }, i + 1))
    return districts, gaps


def _edge_tables(out: Any) -> dict[str, list[Feature]]:
    """Hazard tables of road edges with closure times, as LineString layers."""
    from citysim.humanize import clock

    net = out.world.network
    layers = {}
    for name, table in out.hazard_tables.items():
        if not {"edge", "t_closed_s"} <= set(table.columns):
            continue
        by_edge = table["edge"].is_unique  # the edge is the feature's id when it names one row
        layers[name] = [_feature(_edge_line(net, int(row["edge"])), {
            **row, "t_closed": clock(row["t_closed_s"]) if pd.notna(row["t_closed_s"]) else None,
        }, int(row["edge"]) if by_edge else None) for row in table.to_dict("records")]
    return layers


def layers_of_run(out: Any) -> dict[str, list[Feature]]:
    """Every layer of a run, coordinates in the run's local frame (m).

    Parameters
    ----------
    out
        A :class:`citysim.simulation.RunResult`.

    Returns
    -------
    dict
        Layer name to its GeoJSON Feature dicts.
    """
    standard_s = float(out.provenance["scenario"]["response"]["standard"])
    districts, gaps = _districts_and_gaps(out, standard_s)
    layers: dict[str, list[Feature]] = {
        "roads": _roads(out.world), "shelters": _shelters(out), "stations": _stations(out),
        "station_districts": districts, "coverage_gaps": gaps,
        "incidents": _incidents(out, standard_s),
    }
    layers.update(_edge_tables(out))
    for hazard in out.hazards:
        for name, features in hazard_layers(hazard, out.world).items():
            layers[name] = [_feature(f["geometry"], f.get("properties") or {}, f.get("id"))
                            for f in features]
    return layers


def _is_position(coords: Any) -> bool:
    return bool(coords) and isinstance(coords[0], int | float)


def _collect(coords: Any, into: list[Any]) -> None:
    """Append every position of a GeoJSON coordinates array (any nesting) to ``into``."""
    if _is_position(coords):
        into.append(coords[:2])
    else:
        for c in coords:
            _collect(c, into)


def _rebuild(coords: Any, positions: Iterator[list[float]]) -> Any:
    """The same nesting as ``coords`` with the next positions from ``positions``."""
    if _is_position(coords):
        return next(positions)
    return [_rebuild(c, positions) for c in coords]


def _geometries(geometry: dict[str, Any] | None) -> Iterator[dict[str, Any]]:
    if geometry is None:
        return
    if geometry["type"] == "GeometryCollection":
        for g in geometry["geometries"]:
            yield from _geometries(g)
    else:
        yield geometry


def _with_coordinates(geometry: dict[str, Any] | None,
                      positions: Iterator[list[float]]) -> dict[str, Any] | None:
    if geometry is None:
        return None
    if geometry["type"] == "GeometryCollection":
        return {"type": "GeometryCollection",
                "geometries": [_with_coordinates(g, positions) for g in geometry["geometries"]]}
    return {"type": geometry["type"], "coordinates": _rebuild(geometry["coordinates"], positions)}


def coordinate_function(crs: str | None) -> Callable[[np.ndarray], np.ndarray]:
    """Local metres to WGS84 longitude/latitude.

    Parameters
    ----------
    crs
        The world's CRS (``World.crs``): a PROJ string or EPSG code of the run's
        frame.

    Returns
    -------
    callable
        Maps an (n, 2) array of x, y (m) to lon, lat (degrees).

    Raises
    ------
    ValueError
        When the city has no geographic frame (``crs`` is None): GeoJSON is
        WGS84 by definition, and local metres would be read as degrees.
    """
    if crs is None:
        raise ValueError("GeoJSON layers need a city with a geographic frame (an OSM or "
                         "GraphML city with a CRS, or city.origin for a synthetic city)")
    from pyproj import Transformer

    transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)

    def to_lonlat(xy: np.ndarray) -> np.ndarray:
        lon, lat = transformer.transform(xy[:, 0], xy[:, 1])
        return np.round(np.column_stack([lon, lat]), WGS84_DECIMALS)

    return to_lonlat


def to_collection(name: str, features: Iterable[Feature], crs: str | None) -> dict[str, Any]:
    """A FeatureCollection of features given in the run's frame, in export coordinates.

    Parameters
    ----------
    name
        Layer name (a foreign member ``name``, which QGIS shows).
    features
        Features in local metres.
    crs
        The world's CRS (see the module docstring; None raises ValueError).

    Returns
    -------
    dict
        A GeoJSON FeatureCollection.
    """
    features = list(features)
    found: list[Any] = []
    for f in features:
        for g in _geometries(f["geometry"]):
            _collect(g["coordinates"], found)
    xy = np.asarray(found, dtype=np.float64).reshape(-1, 2)
    positions = iter(coordinate_function(crs)(xy).tolist())
    collection: dict[str, Any] = {"type": "FeatureCollection", "name": name}
    collection["features"] = [{**f, "geometry": _with_coordinates(f["geometry"], positions)}
                              for f in features]
    return collection


def write_layers(out: Any, gis_dir: Path) -> list[Path]:
    """Write every layer of a run as ``<name>.geojson``, and ``index.json``.

    Parameters
    ----------
    out
        A :class:`citysim.simulation.RunResult`.
    gis_dir
        Destination folder (``<results>/gis``).

    Returns
    -------
    list of Path
        The files written.
    """
    gis_dir = Path(gis_dir)
    crs = out.world.crs
    written = []
    index: dict[str, Any] = {
        "crs": "EPSG:4326 (WGS84 longitude, latitude)",
        "frame": crs, "layers": {}}
    for name, features in layers_of_run(out).items():
        collection = to_collection(name, features, crs)
        text = json.dumps(collection, allow_nan=False, separators=(",", ":"))
        # mypy: a lambda binding its argument by default
        path = write_atomic(gis_dir / f"{name}.geojson", lambda p, t=text: p.write_text(t))  # type: ignore[misc]
        written.append(path)
        kinds = sorted({f["geometry"]["type"] for f in collection["features"]
                        if f["geometry"] is not None})
        index["layers"][name] = {"file": path.name, "features": len(features),
                                 "geometry": kinds}
    written.append(write_json(gis_dir / "index.json", index))
    return written
