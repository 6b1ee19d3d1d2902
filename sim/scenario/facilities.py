"""Facilities from OpenStreetMap tags: fire stations, hospitals, schools, parks, squares.

:func:`read_facilities` reads an OSM file (``.osm``, ``.osm.bz2``,
``.osm.pbf``) offline with pyosmium and returns every element carrying the
tags of the requested kinds, as a point (WGS84) with its area when it is
mapped as a polygon. The scenario turns them into shelters, stations and
candidate sites (``{osm: [...]}`` in :mod:`citysim.scenario.sites`).

Kinds (:data:`KINDS`), or any ``key=value`` (``value`` may list
alternatives, ``amenity=school|college``; the kind is then the first value):

=================  ============================================================
``fire_station``   ``amenity=fire_station``
``hospital``       ``amenity=hospital``, ``healthcare=hospital``
``school``         ``amenity=school|college|university``, ``landuse=education``
                   (school grounds and campuses mapped as polygons carry their
                   area; a school inside a campus is part of it)
``park``           ``leisure=park``
``square``         ``place=square``, and ``highway=pedestrian`` mapped as an
                   area (``area=yes`` or a multipolygon), the pedestrian
                   squares of many cities
``assembly_point`` ``emergency=assembly_point``
``fire_hydrant``   ``emergency=fire_hydrant``
=================  ============================================================

Geometry: closed ways and multipolygon relations are assembled into polygons
(outer rings minus inner rings) by libosmium and projected onto a transverse
Mercator frame centred on the facilities (:class:`~citysim.projection.LocalFrame`;
areas within 1 part in 10^5 of the true ones); the area is the polygon's
area (m²) and the location its centroid, or a point on its surface when the
centroid falls outside it (a crescent-shaped park). Elements mapped as nodes
have no area. An element lying inside a larger polygon of the same kind (a
fire station's node inside its building outline, a school building inside
its grounds) is part of it and is not listed again. Open ways (a pedestrian
street) are not facilities.

Ids are the OSM element type and id, ``n123``, ``w123`` or ``r123``: stable
across extracts of different dates and extents.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import osmium
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon

from citysim.errors import ScenarioError
from citysim.projection import LocalFrame

KINDS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "fire_station": (("amenity", ("fire_station",)),),
    "hospital": (("amenity", ("hospital",)), ("healthcare", ("hospital",))),
    "school": (("amenity", ("school", "college", "university")), ("landuse", ("education",))),
    "park": (("leisure", ("park",)),),
    "square": (("place", ("square",)), ("highway", ("pedestrian",))),
    "assembly_point": (("emergency", ("assembly_point",)),),
    "fire_hydrant": (("emergency", ("fire_hydrant",)),),
}
"""Named kinds: each a list of ``(key, values)`` tag rules, any of which selects."""
AREA_ONLY: frozenset[tuple[str, str]] = frozenset({("highway", "pedestrian")})
"""Tags that make a facility only when mapped as an area (not as a street)."""


@dataclass(frozen=True)
class Facility:
    """One facility read from OSM.

    Attributes
    ----------
    id
        OSM type letter and id (``w123``).
    kind
        The kind that selected it.
    name
        Its ``name`` tag, or ``None``.
    lon, lat
        Location (WGS84 degrees): the node, or the polygon's centroid.
    area_m2
        Polygon area (m²), ``None`` for a node.
    """

    id: str
    kind: str
    name: str | None
    lon: float
    lat: float
    area_m2: float | None


def parse_kinds(kinds: Sequence[str]) -> dict[str, tuple[tuple[str, tuple[str, ...]], ...]]:
    """Turn kind names and ``key=value`` strings into tag rules.

    Parameters
    ----------
    kinds
        Names from :data:`KINDS` or ``key=value[|value...]`` strings.

    Returns
    -------
    dict
        Kind -> rules, in the order given.

    Raises
    ------
    ValueError
        For an unknown name or a malformed ``key=value``.
    """
    out: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {}
    for item in kinds:
        text = str(item).strip()
        if text in KINDS:
            out[text] = KINDS[text]
            continue
        key, sep, values = text.partition("=")
        choices = tuple(v.strip() for v in values.split("|") if v.strip())
        if not sep or not key.strip() or not choices:
            raise ValueError(f"unknown facility kind {text!r}: expected one of "
                             f"{', '.join(KINDS)}, or a tag as key=value")
        out[choices[0]] = ((key.strip(), choices),)
    return out


def read_facilities(
    path: str | Path,
    kinds: Sequence[str],
    *,
    bbox: tuple[float, float, float, float] | None = None,
    yaml_path: str = "",
) -> list[Facility]:
    """Read the facilities of some kinds from an OSM file.

    Parameters
    ----------
    path
        OSM XML or PBF file.
    kinds
        Kind names (:data:`KINDS`) or ``key=value`` tags.
    bbox
        ``(west, south, east, north)`` (degrees): keep only facilities
        located inside.
    yaml_path
        YAML path of the selection, for errors.

    Returns
    -------
    list of Facility
        Sorted by kind (in the order asked), then id. An element matching
        several kinds is listed under the first.

    Raises
    ------
    ScenarioError
        If the file cannot be read or a kind is unknown.
    """
    try:
        rules = parse_kinds(kinds)
    except ValueError as exc:
        raise ScenarioError(str(exc), path=yaml_path) from None
    keys = sorted({key for kind in rules.values() for key, _ in kind})
    found: list[tuple[str, str, str | None, object]] = []  # id, kind, name, geometry
    processor: Iterable[Any] = (  # osmium yields one proxy type per kind of element
        osmium.FileProcessor(str(path))
        .with_areas()
        .with_filter(osmium.filter.KeyFilter(*keys))
    )
    try:
        for obj in processor:
            if obj.is_way() or obj.is_relation():
                continue  # as areas (or not at all: open ways, other relations)
            tags = {tag.k: tag.v for tag in obj.tags}
            kind = _kind_of(tags, rules, area=obj.is_area())
            if kind is None:
                continue
            if obj.is_area():
                if obj.from_way() and tags.get("area") != "yes" and \
                        _only_area_tags(tags, rules[kind]):
                    continue  # a closed pedestrian street, not a square
                geometry: object = _rings(obj)
                if geometry is None:
                    continue
                ident = ("w" if obj.from_way() else "r") + str(obj.orig_id())
            else:
                if not obj.location.valid():
                    continue
                geometry = (obj.location.lon, obj.location.lat)
                ident = f"n{obj.id}"
            found.append((ident, kind, tags.get("name"), geometry))
    except RuntimeError as exc:  # libosmium reports parse errors as RuntimeError
        raise ScenarioError(f"{str(path)!r} is not a readable OSM file: {exc}",
                            path=yaml_path) from None
    return _resolve(found, list(rules), bbox)


def _only_area_tags(
    tags: dict[str, str], rules: tuple[tuple[str, tuple[str, ...]], ...]
) -> bool:
    """Whether only an area-only tag (``highway=pedestrian``) selected the element."""
    matched = [(k, tags[k]) for k, values in rules if tags.get(k) in values]
    return bool(matched) and all(m in AREA_ONLY for m in matched)


def _kind_of(
    tags: dict[str, str], rules: dict[str, tuple[tuple[str, tuple[str, ...]], ...]], *, area: bool
) -> str | None:
    for kind, kind_rules in rules.items():
        for key, values in kind_rules:
            value = tags.get(key)
            if value in values and (area or (key, value) not in AREA_ONLY):
                return kind
    return None


def _rings(area: osmium.osm.Area) -> list[tuple[list, list[list]]] | None:
    """Outer rings with their inner rings, as (lon, lat) lists; None if broken."""
    out = []
    try:
        for outer in area.outer_rings():
            ring = [(n.lon, n.lat) for n in outer]
            holes = [[(n.lon, n.lat) for n in inner] for inner in area.inner_rings(outer)]
            if len(ring) >= 4:
                out.append((ring, holes))
    except osmium.InvalidLocationError:
        return None
    return out or None


def _resolve(
    found: list[tuple[str, str, str | None, object]],
    order: list[str],
    bbox: tuple[float, float, float, float] | None,
) -> list[Facility]:
    """Project, measure, drop parts of larger facilities, clip to the box."""
    if not found:
        return []
    lons, lats = [], []
    for _, _, _, geometry in found:
        for lon, lat in _points(geometry):
            lons.append(lon)
            lats.append(lat)
    frame = LocalFrame.for_points(lons, lats)
    shapes = [_shape(geometry, frame) for _, _, _, geometry in found]
    areas = [s.area if not isinstance(s, Point) else None for s in shapes]
    centres = []
    for s in shapes:
        c = s.centroid if isinstance(s, Point) or s.contains(s.centroid) else \
            s.representative_point()
        centres.append(c)
    polys = [i for i, a in enumerate(areas) if a is not None and a > 0]
    tree = shapely.STRtree([shapes[i] for i in polys]) if polys else None
    out = []
    for i, (ident, kind, name, _) in enumerate(found):
        if tree is not None and _inside_larger(i, centres[i], areas[i], kind, found, polys,
                                               tree, areas):
            continue
        x_lon, x_lat = frame.to_lonlat(centres[i].x, centres[i].y)
        lon, lat = round(float(x_lon), 7), round(float(x_lat), 7)
        if bbox is not None and not (bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3]):
            continue
        area_i = areas[i]
        area = None if area_i is None else round(float(area_i), 1)
        if area is not None and area <= 0:
            continue
        out.append(Facility(ident, kind, name, lon, lat, area))
    rank = {k: r for r, k in enumerate(order)}
    out.sort(key=lambda f: (rank[f.kind], f.id[0], int(f.id[1:])))
    return out


def _inside_larger(
    i: int, centre: Point, area: float | None, kind: str, found: list, polys: list[int],
    tree: shapely.STRtree, areas: list[float | None],
) -> bool:
    """Whether element ``i`` lies inside a larger polygon of the same kind."""
    for hit in tree.query(centre, predicate="within"):
        j = polys[int(hit)]
        larger = areas[j]
        if (j != i and found[j][1] == kind and larger is not None
                and (area is None or larger > area)):
            return True
    return False


def _points(geometry: object) -> Iterable[tuple[float, float]]:
    if isinstance(geometry, tuple):
        yield geometry
        return
    for ring, _ in geometry:  # type: ignore[attr-defined]
        yield from ring


def _shape(geometry: object, frame: LocalFrame) -> Point | Polygon | MultiPolygon:
    """The element as a shapely geometry in the frame (m); polygons made valid."""
    if isinstance(geometry, tuple):
        x, y = frame.to_xy(*geometry)
        return Point(float(x), float(y))
    polygons = []
    for ring, holes in geometry:  # type: ignore[attr-defined]
        shell = np.column_stack(frame.to_xy(*np.array(ring).T))
        inner = [np.column_stack(frame.to_xy(*np.array(h).T)) for h in holes if len(h) >= 4]
        polygons.append(Polygon(shell, inner))
    shape = shapely.make_valid(MultiPolygon(polygons) if len(polygons) > 1 else polygons[0])
    return shape
