"""Road classes and the defaults they imply for missing edge attributes.

Class names are OpenStreetMap ``highway`` values, as osmnx keeps them.
Where an edge carries no ``speed_kph``, ``lanes``, ``capacity_vph`` or
``width_m``, the value for its class below is used. Speeds follow the urban
defaults common to routing engines (OSRM/Valhalla car profiles, 2023) for
unposted roads; lane capacities follow MODELS.md (1,800-2,000 veh/h/lane on
free-flowing roads, 900-1,200 veh/h/lane on signalised urban arterials, less
on local streets); lane width 3.5 m on main roads and 3.0 m on local ones,
with a 2 m footway each side counted in the walkable width.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RoadClass:
    """Defaults for one road class.

    Attributes
    ----------
    name
        OSM ``highway`` value.
    speed_kph
        Free speed where none is posted (km/h).
    lanes
        Lanes per direction where none are tagged.
    capacity_vph_lane
        Flow capacity per lane (vehicles/h).
    lane_width_m
        Width of one lane (m).
    drivable
        Whether cars may use it.
    """

    name: str
    speed_kph: float
    lanes: int
    capacity_vph_lane: float
    lane_width_m: float
    drivable: bool = True


ROAD_CLASSES: tuple[RoadClass, ...] = (
    RoadClass("motorway", 100.0, 2, 2000.0, 3.5),
    RoadClass("trunk", 80.0, 2, 1800.0, 3.5),
    RoadClass("primary", 60.0, 2, 1200.0, 3.5),
    RoadClass("secondary", 50.0, 1, 1000.0, 3.5),
    RoadClass("tertiary", 40.0, 1, 900.0, 3.25),
    RoadClass("unclassified", 30.0, 1, 700.0, 3.0),
    RoadClass("residential", 30.0, 1, 600.0, 3.0),
    RoadClass("living_street", 10.0, 1, 300.0, 3.0),
    RoadClass("service", 20.0, 1, 300.0, 3.0),
    RoadClass("road", 30.0, 1, 600.0, 3.0),
    RoadClass("pedestrian", 5.0, 1, 0.0, 3.0, drivable=False),
)
"""Known classes, in drawing order (major first). Index = ``road_class`` code."""

CLASS_INDEX: dict[str, int] = {c.name: i for i, c in enumerate(ROAD_CLASSES)}
FALLBACK_CLASS = "road"
FOOTWAY_WIDTH_M = 2.0
"""Walkable width added on each side of a carriageway (m)."""


def class_code(highway: str | list[str] | None) -> int:
    """Return the road-class code for an OSM ``highway`` value.

    ``*_link`` roads take their parent's class; a list (osmnx merges ways of
    several classes into one edge) takes its first known entry; anything
    unknown becomes ``road``.

    Parameters
    ----------
    highway
        The ``highway`` tag value(s).

    Returns
    -------
    int
        Index into :data:`ROAD_CLASSES`.
    """
    values = highway if isinstance(highway, list) else [highway]
    for value in values:
        if value is None:
            continue
        name = str(value).strip().removesuffix("_link")
        if name in CLASS_INDEX:
            return CLASS_INDEX[name]
        if name in {"footway", "path", "steps", "cycleway", "track", "bridleway"}:
            return CLASS_INDEX["pedestrian"]
    return CLASS_INDEX[FALLBACK_CLASS]


def class_defaults(codes: np.ndarray) -> dict[str, np.ndarray]:
    """Per-edge default attributes for an array of class codes.

    Parameters
    ----------
    codes
        Road-class codes, shape (m,).

    Returns
    -------
    dict of numpy.ndarray
        ``speed_mps``, ``lanes``, ``capacity_vph_lane``, ``lane_width_m``,
        ``drivable``, each shape (m,).
    """
    table = ROAD_CLASSES
    speed = np.array([c.speed_kph / 3.6 for c in table])
    lanes = np.array([c.lanes for c in table], dtype=np.float64)
    cap = np.array([c.capacity_vph_lane for c in table])
    width = np.array([c.lane_width_m for c in table])
    drivable = np.array([c.drivable for c in table])
    return {
        "speed_mps": speed[codes],
        "lanes": lanes[codes],
        "capacity_vph_lane": cap[codes],
        "lane_width_m": width[codes],
        "drivable": drivable[codes],
    }
