"""Road networks from OpenStreetMap files, offline: ``.osm``, ``.osm.bz2``, ``.osm.pbf``.

The import has three steps:

1. **Extract the roads** with pyosmium into a temporary OSM XML file: the
   ways that osmnx's own Overpass filter for the network type would download
   (``osmnx._overpass._get_network_filter``: for ``drive`` a ``highway`` tag
   that is not a footway, path, cycleway, steps, pedestrian way, track,
   service road, ..., no ``access=private``, no ``motor_vehicle=no`` ...),
   with the locations of the nodes they use. Every format goes through this
   step, not only PBF (which osmnx cannot read): osmnx's XML reader turns
   *every* way into edges, so a full extract would otherwise give rivers
   and building outlines as roads. Ways are kept whole; a way referring to
   nodes missing from the file (a badly cut extract) keeps its longest run
   of located nodes (``meta["ways_clipped"]``) or is dropped
   (``meta["ways_incomplete"]``). Node tags are not carried over; the road
   graph does not use them.
2. **Build the graph** with :func:`osmnx.graph_from_xml` (topology
   simplified; one-way handling, ``bidirectional`` for walking networks and
   edge ``length`` as osmnx does them), then speeds and travel times with
   :func:`citysim.world.graphml.impute_speeds` (osmnx's ``add_edge_speeds`` /
   ``add_edge_travel_times``).
3. **Convert** with :func:`citysim.world.graphml.network_from_graph`: lon/lat
   projected onto a :class:`~citysim.projection.LocalFrame` centred on
   the data, lanes per direction, largest strongly connected component.

The filter text used is kept in ``meta["osm_filter"]``, so provenance shows
exactly which ways were read.

**Drive and walk** (``network_type="drive+walk"``): one network for both
modes, as citysim's residents share one CSR network with per-mode usability
(cars use only ``drivable`` edges, walkers any edge). The ways read are those
of osmnx's ``drive`` filter and those of its ``walk`` filter. Ways of the
drive filter keep their class, one-way rules and speeds. Ways only the walk
filter lets through (footways, paths, steps, pedestrian streets, service
alleys, roads closed to motor vehicles) become edges of class ``pedestrian``
(``drivable`` false, so cars stay off them) in both directions, as osmnx
builds walking networks. Simplification never merges a walk-only way with a
drivable one (osmnx ``edge_attrs_differ``). Walkers may go both ways along a
one-way street: each one-way drivable edge gets a walk-only twin in the other
direction, with the width of the two footways (``meta["walk_twins"]``).
Motorways stay walkable, as in a ``drive`` import (a limitation of the
single walk/drive split).

**Clipping** (``bbox``): only the parts of ways inside a lon/lat box are
read, each way cut to its longest run of nodes inside (``ways_clipped``;
``ways_outside`` counts ways with no node inside).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import osmium
import osmnx as ox
from osmnx._overpass import _get_network_filter

from citysim.errors import ScenarioError
from citysim.projection import LocalFrame
from citysim.world.graphml import impute_speeds, network_from_graph
from citysim.world.network import RoadNetwork
from citysim.world.road_classes import FOOTWAY_WIDTH_M

BBox = tuple[float, float, float, float]
"""``(west, south, east, north)`` in degrees (WGS84)."""

SUPPORTED_SUFFIXES: tuple[str, ...] = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf")
"""File name endings :func:`read_osm` accepts (the format is taken from the name)."""

DRIVE_WALK = "drive+walk"
"""Network type of one network for cars and walkers (module docstring)."""
NETWORK_TYPES: tuple[str, ...] = (
    "drive", "drive_service", "walk", "bike", "all_public", "all", DRIVE_WALK,
)
"""osmnx network types, and :data:`DRIVE_WALK`."""
WALK_ONLY = "walk_only"
"""Edge attribute marking walk-only edges while the graph is built."""

NOT_DRIVABLE = '["highway"!~"via_ferrata"]'
"""Added to osmnx's drive filters: climbing routes that the filter lets through
(a 337 m via ferrata in the Andorra extract would otherwise join the car network)."""
_CLAUSE = re.compile(r'\["([^"]+)"(?:(!?~)"([^"]*)")?\]')


@dataclass(frozen=True)
class _TagRule:
    """One Overpass clause: ``["k"]``, ``["k"~"re"]`` or ``["k"!~"re"]``."""

    key: str
    op: str
    pattern: re.Pattern[str] | None

    def matches(self, tags: dict[str, str]) -> bool:
        value = tags.get(self.key)
        if self.op == "has":
            return value is not None
        assert self.pattern is not None
        found = value is not None and self.pattern.search(value) is not None
        return found if self.op == "~" else not found


def read_osm(
    path: str | Path,
    *,
    network_type: str = "drive",
    frame: LocalFrame | None = None,
    yaml_path: str = "",
    bbox: BBox | None = None,
) -> RoadNetwork:
    """Read the road network of an OSM file, offline.

    Parameters
    ----------
    path
        An OSM XML (``.osm``, ``.osm.bz2``, ``.osm.gz``) or PBF (``.osm.pbf``)
        file.
    network_type
        Which ways are roads, as in osmnx: one of :data:`NETWORK_TYPES`
        (``drive+walk``: both, module docstring).
    frame
        Metric frame to project into; default: centred on the roads' nodes.
    yaml_path
        YAML path of the setting that named the file, used in errors.
    bbox
        ``(west, south, east, north)`` (degrees): read only what lies inside.

    Returns
    -------
    RoadNetwork
        The largest strongly connected component. ``meta`` holds ``source``,
        ``format``, ``network_type``, ``osm_filter``, ``ways`` (read),
        ``ways_clipped``, ``ways_incomplete``, ``ways_outside``, ``bbox``,
        ``walk_only_ways`` and ``walk_twins`` (``drive+walk``) and
        ``dropped``, besides the entries of
        :func:`citysim.world.graphml.network_from_graph`.

    Raises
    ------
    ScenarioError
        If the file is missing, of an unsupported kind, unreadable, or holds
        no roads of that type.
    ValueError
        If ``network_type`` is unknown.
    """
    G, meta = _osm_graph(Path(path), network_type, yaml_path, bbox)
    return network_from_graph(G, frame=frame, source=str(path), yaml_path=yaml_path, meta=meta)


def _osm_graph(
    path: Path, network_type: str, yaml_path: str, bbox: BBox | None = None
) -> tuple[nx.MultiDiGraph, dict[str, Any]]:
    """Steps 1 and 2 of :func:`read_osm`: the osmnx graph (lon/lat) with speeds.

    Also used by ``tests/data/make_fixtures.py`` to write the GraphML fixture.
    """
    if network_type not in NETWORK_TYPES:
        raise ValueError(f"network_type must be one of {NETWORK_TYPES}, got {network_type!r}")
    fmt = _format(path, yaml_path)
    if not path.is_file():
        raise ScenarioError(f"OSM file {str(path)!r} not found", path=yaml_path)
    both = network_type == DRIVE_WALK
    query = _network_filter("drive" if both else network_type)
    walk_query = _network_filter("walk") if both else None
    rules = _parse_filter(query)
    walk_rules = _parse_filter(walk_query) if walk_query is not None else None
    with tempfile.TemporaryDirectory(prefix="citysim-osm-") as tmp:
        roads = Path(tmp) / "roads.osm"
        try:
            report, walk_only = _extract_roads(path, roads, rules, walk_rules, bbox)
        except RuntimeError as exc:  # libosmium reports parse errors as RuntimeError
            raise ScenarioError(
                f"{str(path)!r} is not a readable OSM file: {exc}", path=yaml_path
            ) from exc
        if report["ways"] == 0:
            raise ScenarioError(
                f"{str(path)!r} has no roads of network type {network_type!r}"
                + (" inside city.bbox" if bbox is not None else ""), path=yaml_path
            )
        G = ox.graph_from_xml(
            roads,
            bidirectional=network_type in ox.settings.bidirectional_network_types,
            simplify=not both,
            retain_all=True,
        )
    if both:
        G, twins = _mark_walk_only(G, walk_only)
        report = {**report, "walk_only_ways": len(walk_only), "walk_twins": twins}
    if G.number_of_edges() == 0:  # e.g. only closed rings, which simplification removes
        raise ScenarioError(
            f"{str(path)!r} has no connected roads of network type {network_type!r}",
            path=yaml_path,
        )
    impute_speeds(G)
    osm_filter = query if walk_query is None else f"drive: {query} | walk: {walk_query}"
    meta = {"format": fmt, "network_type": network_type, "osm_filter": osm_filter, **report}
    if bbox is not None:
        meta["bbox"] = [float(v) for v in bbox]
    return G, meta


def _network_filter(network_type: str) -> str:
    """Return osmnx's Overpass way filter for a network type (drive: no via ferrata)."""
    query = _get_network_filter(network_type)
    if network_type.startswith("drive"):
        query += NOT_DRIVABLE
    return query


def _mark_walk_only(G: nx.MultiDiGraph, walk_only: set[int]) -> tuple[nx.MultiDiGraph, int]:
    """Simplify a drive+walk graph keeping the modes apart; add walking twins.

    Walk-only edges become class ``pedestrian`` (not drivable). Each drivable
    edge with no edge back gets a walk-only reverse twin, footway-wide.

    Returns
    -------
    tuple
        The simplified graph and the number of twins added.
    """
    for _, _, d in G.edges(data=True):
        d[WALK_ONLY] = d["osmid"] in walk_only
    G = ox.simplify_graph(G, edge_attrs_differ=[WALK_ONLY])
    twins = []
    for u, v, d in G.edges(data=True):
        if d[WALK_ONLY]:
            d["highway"] = "pedestrian"
        elif not G.has_edge(v, u):
            twin = {"osmid": d["osmid"], "length": d["length"], "highway": "pedestrian",
                    "oneway": False, "reversed": True, WALK_ONLY: True,
                    "width_m": 2 * FOOTWAY_WIDTH_M}
            if "geometry" in d:
                twin["geometry"] = d["geometry"].reverse()
            twins.append((v, u, twin))
    for v, u, twin in twins:
        G.add_edge(v, u, **twin)
    for _, _, d in G.edges(data=True):
        del d[WALK_ONLY]
    return G, len(twins)


def _format(path: Path, yaml_path: str) -> str:
    name = path.name.lower()
    for suffix in sorted(SUPPORTED_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix.removeprefix(".")
    raise ScenarioError(
        f"{str(path)!r} is not an OSM file: expected a name ending in "
        + ", ".join(SUPPORTED_SUFFIXES),
        path=yaml_path,
    )


def _parse_filter(query: str) -> tuple[_TagRule, ...]:
    """Turn an osmnx Overpass way filter into tag rules.

    Overpass semantics: ``["k"]`` needs the key; ``["k"~"re"]`` needs a value
    matching ``re`` (unanchored search); ``["k"!~"re"]`` holds when the key is
    absent or its value does not match.
    """
    rules = []
    end = 0
    for match in _CLAUSE.finditer(query):
        if match.start() != end:
            break
        key, op, pattern = match.groups()
        rules.append(_TagRule(key, op or "has", re.compile(pattern) if op else None))
        end = match.end()
    if end != len(query) or not rules:
        raise RuntimeError(f"cannot parse osmnx's network filter {query!r}")
    return tuple(rules)


def _extract_roads(
    src: Path,
    dst: Path,
    rules: tuple[_TagRule, ...],
    walk_rules: tuple[_TagRule, ...] | None = None,
    bbox: BBox | None = None,
) -> tuple[dict[str, int], set[int]]:
    """Write the ways passing ``rules`` (or ``walk_rules``), and their nodes, to OSM XML ``dst``.

    Ways passing only ``walk_rules`` lose their ``oneway`` and ``junction``
    tags (walkers use them both ways).

    Returns
    -------
    report : dict
        ``ways`` written, ``ways_clipped`` (shortened to their longest run of
        nodes present in the file and inside ``bbox``), ``ways_incomplete``
        (dropped: fewer than two such nodes) and ``ways_outside`` (dropped:
        no node inside ``bbox``).
    walk_only : set of int
        Ids of the ways written that passed only ``walk_rules``.
    """
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    locations: dict[int, tuple[float, float]] = {}
    walk_only: set[int] = set()
    clipped = incomplete = outside = 0
    processor: Iterable[Any] = (  # osmium yields one proxy type per kind of element
        osmium.FileProcessor(str(src), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    for way in processor:
        tags = {tag.k: tag.v for tag in way.tags}
        if not all(rule.matches(tags) for rule in rules):
            if walk_rules is None or not all(rule.matches(tags) for rule in walk_rules):
                continue
            walk_only.add(way.id)
            tags = {k: v for k, v in tags.items() if k not in ("oneway", "junction")}
        run = _longest_located_run(way.nodes, bbox)
        if len(run) < 2:
            if bbox is not None and not _any_inside(way.nodes, bbox):
                outside += 1
            else:
                incomplete += 1
            walk_only.discard(way.id)
            continue
        if len(run) < len(way.nodes):
            clipped += 1
        for ref, lon, lat in run:
            locations[ref] = (lon, lat)
        ways.append((way.id, [ref for ref, _, _ in run], tags))
    out = osmium.io.File(str(dst), "osm,add_metadata=false")
    with osmium.SimpleWriter(out, overwrite=True) as writer:
        for ref in sorted(locations):
            writer.add_node(osmium.osm.mutable.Node(id=ref, location=locations[ref]))
        for way_id, refs, tags in ways:
            writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=refs, tags=tags))
    report = {"ways": len(ways), "ways_clipped": clipped, "ways_incomplete": incomplete}
    if bbox is not None:
        report["ways_outside"] = outside
    return report, walk_only


def _inside(loc: osmium.osm.Location, bbox: BBox | None) -> bool:
    if not loc.valid():
        return False
    return bbox is None or (bbox[0] <= loc.lon <= bbox[2] and bbox[1] <= loc.lat <= bbox[3])


def _any_inside(nodes: osmium.osm.WayNodeList, bbox: BBox) -> bool:
    return any(_inside(node.location, bbox) for node in nodes)


def _longest_located_run(
    nodes: osmium.osm.WayNodeList, bbox: BBox | None = None
) -> list[tuple[int, float, float]]:
    """The longest run of consecutive way nodes whose location is known (and inside ``bbox``)."""
    best: list[tuple[int, float, float]] = []
    current: list[tuple[int, float, float]] = []
    for node in nodes:
        loc = node.location
        if _inside(loc, bbox):
            current.append((node.ref, loc.lon, loc.lat))
            if len(current) > len(best):
                best = current
        else:
            current = []
    return best
