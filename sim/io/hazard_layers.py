"""Each hazard type's own GIS layers, looked up by type.

A hazard model keeps its state as arrays and tables and knows nothing of
GeoJSON. This registry maps a hazard type
(:attr:`~citysim.hazards.base.Hazard.type_name`) to a function
``layers(hazard, world) -> {layer name: [GeoJSON Feature dict]}`` that builds
them, coordinates in the run's frame (m); :mod:`citysim.io.geojson` writes
them (in WGS84 when the city has a geographic frame) beside the layers every
run has. Hazard tables of road edges with closure times (``flooded_roads``,
``road_closures``) need no entry: the export draws every such table as a
LineString layer. A hazard added outside citysim registers its layers with
:func:`register_hazard_layers`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from citysim.hazards.registry import register_for_type

if TYPE_CHECKING:
    from citysim.world.builder import World

__all__ = ["HAZARD_LAYERS", "HazardLayers", "hazard_layers", "register_hazard_layers"]

Feature = dict[str, Any]
HazardLayers = Callable[[Any, Any], dict[str, list[Feature]]]
"""``layers(hazard, world)``: the hazard's GIS layers by name."""


def _feature(geometry: dict[str, Any], properties: dict[str, Any],
             fid: int | None = None) -> Feature:
    feature: Feature = {"type": "Feature", "geometry": geometry, "properties": properties}
    if fid is not None:
        feature["id"] = fid
    return feature


def _time(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def flood_layers(flood: Any, world: World) -> dict[str, list[Feature]]:
    """``underpasses``: the axis of every underpass, its deepest water and closure time."""
    up = world.underpasses
    features: list[Feature] = []
    if up is None:
        return {"underpasses": features}
    for k in range(len(up)):
        half = up.length_m[k] / 2 * up.axis[k]
        features.append(_feature({
            "type": "LineString",
            "coordinates": [[float(up.x_m[k] - half[0]), float(up.y_m[k] - half[1])],
                            [float(up.x_m[k] + half[0]), float(up.y_m[k] + half[1])]]}, {
            "name": up.name[k], "depth_m": float(up.depth_m[k]),
            "max_water_m": float(flood.up_max_depth_m[k]),
            "t_closed_s": _time(flood.up_t_closed_s[k])}, k))
    return {"underpasses": features}


def chemical_layers(leak: Any, world: World) -> dict[str, list[Feature]]:
    """``chemical_threat_zones``: one (multi)polygon per AEGL level that has a zone."""
    features = []
    for z in leak.zones.values():
        if not z.rings:
            continue
        polygons = [[ring.tolist()] for ring in z.rings]
        geometry = ({"type": "Polygon", "coordinates": polygons[0]} if len(polygons) == 1
                    else {"type": "MultiPolygon", "coordinates": polygons})
        features.append(_feature(geometry, {
            "level": f"AEGL-{z.level}", "substance": leak.cfg.substance.name,
            "aegl_minutes": z.minutes, "threshold_ppm": z.threshold_ppm,
            "threshold_mg_m3": z.threshold_mg_m3, "area_km2": z.area_km2,
            "distance_m": z.distance_m, "population": z.population}))
    return {"chemical_threat_zones": features}


def fire_layers(fire: Any, world: World) -> dict[str, list[Feature]]:
    """``fire_buildings``: the footprint of every building that caught fire (squares)."""
    table = fire.tables()["fire_buildings"]
    caught = table[table["state"] != "unburned"]
    features = []
    for row in caught.to_dict("records"):
        x, y, h = float(row["x"]), float(row["y"]), float(np.sqrt(row["footprint_m2"])) / 2
        ring = [[x - h, y - h], [x + h, y - h], [x + h, y + h], [x - h, y + h], [x - h, y - h]]
        features.append(_feature({"type": "Polygon", "coordinates": [ring]}, {
            "building": str(row["building"]), "structure": row["structure"],
            "state": row["state"], "t_ignite_s": _time(row["t_ignite_s"]),
            "t_out_s": _time(row["t_out_s"])}))
    return {"fire_buildings": features}


HAZARD_LAYERS: dict[str, HazardLayers] = {
    "chemical_leak": chemical_layers,
    "fire": fire_layers,
    "flood": flood_layers,
}
"""Layer function of each hazard type that has layers of its own."""


def register_hazard_layers(type_name: str, layers: HazardLayers) -> HazardLayers:
    """Register the layer function of a hazard type.

    Parameters
    ----------
    type_name
        The hazard's YAML ``type``.
    layers
        ``layers(hazard, world) -> {name: [GeoJSON Feature dict]}``, coordinates
        in the run's frame (m).

    Returns
    -------
    callable
        ``layers``, unchanged.

    Raises
    ------
    ValueError
        When another function is already registered for ``type_name``.
    """
    return register_for_type(HAZARD_LAYERS, type_name, layers, "layers")


def hazard_layers(hazard: Any, world: World) -> dict[str, list[Feature]]:
    """The GIS layers of a hazard as a run left it, by name (none for an unregistered type).

    Parameters
    ----------
    hazard
        A :class:`citysim.hazards.base.Hazard`.
    world
        The run's world.

    Returns
    -------
    dict
        Layer name to GeoJSON Feature dicts, coordinates in the run's frame (m).
    """
    layers = HAZARD_LAYERS.get(hazard.type_name)
    return {} if layers is None else layers(hazard, world)
