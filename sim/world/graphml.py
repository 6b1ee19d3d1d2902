"""Road networks from GraphML files, and the graph-to-arrays conversion.

:func:`read_graphml` reads osmnx-saved GraphML (through
:func:`osmnx.load_graphml`) and plain networkx GraphML; :func:`network_from_graph`
turns any osmnx-style ``networkx.MultiDiGraph`` into a :class:`RoadNetwork`
and is shared with the OSM importer (:mod:`citysim.world.osm`).

Conventions (osmnx's, see SCENARIO_SPEC.md):

- **Coordinates.** The graph's ``crs`` attribute says what node ``x``/``y``
  are. Geographic (``epsg:4326``, as osmnx leaves unprojected graphs):
  lon/lat, projected onto a :class:`~citysim.projection.LocalFrame`
  (the given one, or one centred on the data). Projected (e.g. a UTM graph
  from ``osmnx.project_graph``): metres, kept as they are so that coordinates
  read off a GIS in that CRS still match, and ``RoadNetwork.crs`` is that
  CRS; with an explicit ``frame`` they are transformed into the frame
  instead. No ``crs``: ``x``/``y`` are taken as metres in an unknown frame
  (``crs`` None; ``frame`` cannot apply and is ignored).
- **Edge attributes.** ``length`` (m), ``speed_kph``, ``travel_time`` (s),
  ``lanes``, ``highway``, ``oneway``, ``capacity_vph``, ``width_m``.
  Strings such as ``"2;3"`` give their first number. Lists (osmnx merges the
  tags of the ways of a simplified edge into lists, built from sets, so in
  no stable order) give their smallest number (for ``lanes``: the
  bottleneck), ``highway`` its most major known class, ``oneway`` true if
  any entry is. Missing values take the road-class defaults of
  :mod:`citysim.world.road_classes`; a missing ``length`` is the straight
  distance between the end nodes. The OSM ``width`` tag (whole road, free
  text) is not read; only ``width_m``.
- **Lanes.** OSM and osmnx count ``lanes`` across both directions of a
  two-way road, while :class:`RoadNetwork` holds lanes per direction. A
  two-way edge (``oneway`` false; when ``oneway`` is missing, an edge whose
  reverse edge exists) gets ``max(lanes / 2, 1)``: half the cross-section,
  possibly fractional (``lanes=3`` gives 1.5 each way), which keeps the
  road's total capacity. One-way edges keep ``lanes``.
- **Speeds.** A graph with no ``speed_kph`` at all but some ``maxspeed``
  tags (an osmnx graph saved before ``add_edge_speeds``) gets the same
  speed imputation as an OSM import, :func:`impute_speeds`.
- **Nodes.** Integer node ids are kept as ``node_id``; other ids (``"n0"``)
  are replaced by their position in the file (``meta["node_ids"]``).
  Numeric node attributes other than coordinates and osmnx's own
  (``street_count``, ``osmid`` and the OSM node tags) go to ``node_attrs``.
- **Connectivity.** Parallel edges are kept, self-loops dropped, and only the
  largest strongly connected component is kept (``meta["dropped"]``).
"""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import networkx as nx
import numpy as np
import osmnx as ox
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from citysim.errors import ScenarioError
from citysim.projection import LocalFrame
from citysim.world.network import RoadNetwork
from citysim.world.road_classes import ROAD_CLASSES, class_code

_COORD_ATTRS = frozenset({"x", "y", "lon", "lat"})
_NOT_NODE_ATTRS = _COORD_ATTRS | {"street_count", "osmid", "highway", "junction", "railway", "ref"}
"""Node attributes never copied to ``node_attrs`` (coordinates, osmnx's own, OSM tags)."""

_TRUE = frozenset({"true", "yes", "1", "-1", "reverse", "t"})
_FALSE = frozenset({"false", "no", "0", "f"})
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_SNIFF_BYTES = 1 << 20

_PARSE_ERRORS = (
    ParseError,
    nx.NetworkXError,
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    SyntaxError,
    OSError,
)
"""What parsing a malformed file raises (XML, networkx, osmnx type conversion)."""


def read_graphml(
    path: str | Path, *, frame: LocalFrame | None = None, yaml_path: str = ""
) -> RoadNetwork:
    """Read a road network from a GraphML file.

    osmnx-saved files are loaded with :func:`osmnx.load_graphml`, other
    GraphML with :func:`networkx.read_graphml`; see the module docstring for
    how attributes, coordinates and lanes are read.

    Parameters
    ----------
    path
        The GraphML file.
    frame
        Metric frame to project geographic (or projected) coordinates into;
        default: a frame centred on the data when the graph is geographic,
        the graph's own CRS when it is projected.
    yaml_path
        YAML path of the setting that named the file, used in errors.

    Returns
    -------
    RoadNetwork
        The largest strongly connected component, with ``meta`` holding the
        source and what was dropped.

    Raises
    ------
    ScenarioError
        If the file is missing, is not GraphML, or holds no usable edges.
    """
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"GraphML file {str(path)!r} not found", path=yaml_path)
    osmnx_style = _is_osmnx_graphml(path)
    try:
        if osmnx_style:
            G = ox.load_graphml(path)
        else:
            G = nx.read_graphml(path, force_multigraph=True)
    except _PARSE_ERRORS as exc:
        raise ScenarioError(
            f"{str(path)!r} is not a readable GraphML file: {exc}", path=yaml_path
        ) from exc
    if not G.is_directed():
        G = G.to_directed()
    if _needs_speeds(G):
        impute_speeds(G)
    return network_from_graph(
        G,
        frame=frame,
        source=str(path),
        yaml_path=yaml_path,
        meta={"format": "graphml", "reader": "osmnx" if osmnx_style else "networkx"},
    )


def network_from_graph(
    G: nx.MultiDiGraph,
    *,
    frame: LocalFrame | None = None,
    source: str = "",
    yaml_path: str = "",
    meta: dict[str, Any] | None = None,
) -> RoadNetwork:
    """Turn an osmnx-style graph into a strongly connected :class:`RoadNetwork`.

    Parameters
    ----------
    G
        Directed (multi)graph with node ``x``/``y`` and osmnx edge attributes;
        its ``crs`` graph attribute says what ``x``/``y`` are (module
        docstring).
    frame
        Metric frame for geographic coordinates; default: centred on the data.
    source
        The file the graph came from, for ``meta`` and errors.
    yaml_path
        YAML path of the setting that named the file, used in errors.
    meta
        Extra entries for the network's ``meta``.

    Returns
    -------
    RoadNetwork
        The largest strongly connected component. ``meta`` holds ``source``,
        ``crs_source``, ``nodes_read``, ``edges_read``, ``self_loops``,
        ``node_ids`` and ``dropped`` (components, nodes, edges), plus ``meta``.

    Raises
    ------
    ScenarioError
        If the graph has no edges between distinct nodes, a node lacks
        coordinates, or the ``crs`` is not understood.
    """
    where = repr(source) if source else "the graph"
    nodes = list(G.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    edges = list(G.edges(data=True))
    tail = np.fromiter((index[u] for u, _, _ in edges), dtype=np.int64, count=len(edges))
    head = np.fromiter((index[v] for _, v, _ in edges), dtype=np.int64, count=len(edges))
    loops = int((tail == head).sum())
    if len(edges) == loops:
        raise ScenarioError(f"{where} has no road edges", path=yaml_path)

    x, y = _node_coordinates(G, nodes, where, yaml_path)
    x, y, crs, crs_source = _to_metric(G.graph.get("crs"), x, y, frame, where, yaml_path)

    length = np.array([_number(d.get("length")) for _, _, d in edges])
    missing = ~np.isfinite(length)
    length[missing] = np.hypot(x[head] - x[tail], y[head] - y[tail])[missing]
    lanes = np.array([_number(d.get("lanes")) for _, _, d in edges])
    two_way = np.array([_two_way(G, u, v, d.get("oneway")) for u, v, d in edges], dtype=bool)
    lanes = np.where(two_way, np.maximum(lanes / 2.0, 1.0), lanes)

    def column(name: str) -> np.ndarray:
        return np.array([_number(d.get(name)) for _, _, d in edges])

    node_id, id_kind = _node_ids(nodes)
    net = RoadNetwork.from_edges(
        x,
        y,
        tail,
        head,
        length_m=length,
        road_class=np.array([_road_class(d.get("highway")) for _, _, d in edges], dtype=np.int8),
        speed_mps=column("speed_kph") / 3.6,
        travel_time_s=column("travel_time"),
        lanes=lanes,
        capacity_vph=column("capacity_vph"),
        width_m=column("width_m"),
        node_id=node_id,
        node_attrs=_node_attrs(G, nodes),
        crs=crs,
        meta={
            "source": source,
            **(meta or {}),
            "crs_source": crs_source,
            "nodes_read": len(nodes),
            "edges_read": len(edges),
            "self_loops": loops,
            "node_ids": id_kind,
        },
    )
    return net.largest_strongly_connected()


def impute_speeds(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Add ``speed_kph`` and ``travel_time`` to every edge, the osmnx way.

    :func:`osmnx.routing.add_edge_speeds` gives each edge its ``maxspeed``
    and imputes the rest with the mean ``maxspeed`` of its highway type.
    Types with no ``maxspeed`` on any edge take the class default speed of
    :mod:`citysim.world.road_classes` (osmnx would use the mean over all types,
    and fails outright on a graph without any ``maxspeed``).
    :func:`osmnx.routing.add_edge_travel_times` then sets ``travel_time``.
    Lists of ``highway`` values are first put in a stable order, major class
    first, since osmnx imputes by the first entry.

    Parameters
    ----------
    G
        Graph with ``length`` and ``highway`` on every edge; modified in place.

    Returns
    -------
    networkx.MultiDiGraph
        ``G``.
    """
    observed: set[str] = set()
    seen: set[str] = set()
    for _, _, d in G.edges(data=True):
        if isinstance(d.get("highway"), list):
            d["highway"] = _highways(d["highway"])  # osmnx imputes by the first entry
        hwy = _highways(d.get("highway"))[0]
        seen.add(hwy)
        if any(_NUMBER.search(str(s)) for s in _as_list(d.get("maxspeed"))):
            observed.add(hwy)
    defaults = {h: ROAD_CLASSES[class_code(h)].speed_kph for h in seen - observed}
    ox.routing.add_edge_speeds(G, hwy_speeds=defaults or None)
    ox.routing.add_edge_travel_times(G)
    return G


# --- helpers --------------------------------------------------------------------------


def _is_osmnx_graphml(path: Path) -> bool:
    """Whether a GraphML file looks saved by osmnx (all-string keys, ``created_with``).

    :func:`osmnx.load_graphml` expects every value as a string, which
    :func:`osmnx.save_graphml` guarantees; the ``<key>`` declarations come
    before the graph, so reading the head of the file is enough.
    """
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES).decode("utf-8", errors="replace")
    head = re.split(r"<graph\b", head, maxsplit=1)[0]
    keys = re.findall(r"<key\b[^>]*>", head)
    if not keys or not any('attr.name="created_with"' in k for k in keys):
        return False
    return all('attr.type="string"' in k for k in keys)


def _needs_speeds(G: nx.MultiDiGraph) -> bool:
    """Whether no edge has ``speed_kph``, some have ``maxspeed`` and all ``highway``."""
    has_maxspeed = False
    for _, _, d in G.edges(data=True):
        if "speed_kph" in d or "highway" not in d:
            return False
        has_maxspeed = has_maxspeed or "maxspeed" in d
    return has_maxspeed


def _node_coordinates(
    G: nx.MultiDiGraph, nodes: list[Any], where: str, yaml_path: str
) -> tuple[np.ndarray, np.ndarray]:
    x = np.empty(len(nodes))
    y = np.empty(len(nodes))
    for i, node in enumerate(nodes):
        data = G.nodes[node]
        x[i] = _number(data.get("x", data.get("lon")))
        y[i] = _number(data.get("y", data.get("lat")))
        if not (math.isfinite(x[i]) and math.isfinite(y[i])):
            raise ScenarioError(
                f"node {node!r} of {where} has no numeric x/y coordinates", path=yaml_path
            )
    return x, y


def _to_metric(
    crs_attr: Any,
    x: np.ndarray,
    y: np.ndarray,
    frame: LocalFrame | None,
    where: str,
    yaml_path: str,
) -> tuple[np.ndarray, np.ndarray, str | None, str | None]:
    """Return metric coordinates, the network's ``crs`` and the source CRS."""
    if crs_attr is None or not str(crs_attr).strip():
        return x, y, None, None
    try:
        src = CRS.from_user_input(str(crs_attr))
    except CRSError as exc:
        raise ScenarioError(
            f"{where} has a crs that is not understood: {crs_attr!r}", path=yaml_path
        ) from exc
    if src.is_projected and frame is None:
        return x, y, src.to_string(), str(crs_attr)
    if not (src.is_geographic or src.is_projected):
        raise ScenarioError(
            f"{where} has a crs that is neither geographic nor projected: {crs_attr!r}",
            path=yaml_path,
        )
    if frame is None:  # geographic: x/y are lon/lat
        if np.abs(x).max() > 180.0 or np.abs(y).max() >= 90.0:
            raise ScenarioError(
                f"{where} says its crs is {crs_attr!r} (lon/lat) but has x/y outside it",
                path=yaml_path,
            )
        frame = LocalFrame.for_points(x, y)
    to_frame = Transformer.from_crs(src, CRS.from_user_input(frame.proj), always_xy=True)
    fx, fy = to_frame.transform(x, y)
    if not (np.all(np.isfinite(fx)) and np.all(np.isfinite(fy))):
        raise ScenarioError(
            f"{where} has node coordinates outside the range of its crs {crs_attr!r}",
            path=yaml_path,
        )
    return (
        np.asarray(fx, dtype=np.float64),
        np.asarray(fy, dtype=np.float64),
        frame.proj,
        str(crs_attr),
    )


def _node_ids(nodes: list[Any]) -> tuple[np.ndarray, str]:
    """Integer source ids when every node has one, else positions."""
    try:
        ids = [int(n) for n in nodes]
    except (TypeError, ValueError):
        return np.arange(len(nodes), dtype=np.int64), "positional"
    exact = all(str(n).strip().lstrip("+-").isdigit() for n in nodes)
    if exact and len(set(ids)) == len(ids):
        return np.array(ids, dtype=np.int64), "source"
    return np.arange(len(nodes), dtype=np.int64), "positional"


def _node_attrs(G: nx.MultiDiGraph, nodes: list[Any]) -> dict[str, np.ndarray]:
    """Numeric node attributes: every present value parses as a number."""
    names: set[str] = set()
    for node in nodes:
        names.update(G.nodes[node].keys())
    out: dict[str, np.ndarray] = {}
    for name in sorted(names - _NOT_NODE_ATTRS):
        values = np.full(len(nodes), np.nan)
        numeric = True
        for i, node in enumerate(nodes):
            value = G.nodes[node].get(name)
            if value is None:
                continue
            number = _strict_number(value)
            if number is None:
                numeric = False
                break
            values[i] = number
        if numeric:
            out[name] = values
    return out


def _two_way(G: nx.MultiDiGraph, u: Any, v: Any, oneway: Any) -> bool:
    flag = _flag(oneway)
    if flag is None:
        return bool(G.has_edge(v, u))
    return not flag


def _as_list(value: Any) -> list[Any]:
    """A value as a list: lists as they are, ``"[a, b]"`` strings evaluated."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("[") and text.endswith("]"):
            try:
                parsed = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                return [value]
            return list(parsed) if isinstance(parsed, list | tuple) else [parsed]
        return [value]
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _strict_number(value: Any) -> float | None:
    """A number, or a string that is exactly one; None otherwise (bools too)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _string_number(text: str) -> float:
    """A string's number: all of it (``"1e3"``), else its first number (``"2;3"``)."""
    number = _strict_number(text)
    if number is None:
        match = _NUMBER.search(text)
        number = float(match.group()) if match else None
    return math.nan if number is None else number


def _number(value: Any) -> float:
    """A value as a number; for a list, its smallest number; NaN if none.

    osmnx builds the lists of a simplified edge from sets, so their order
    changes between runs; the smallest entry does not (and for ``lanes`` it
    is the bottleneck of the merged ways).
    """
    numbers = []
    for item in _as_list(value):
        number = _string_number(item) if isinstance(item, str) else _strict_number(item)
        if number is not None and math.isfinite(number):
            numbers.append(number)
    return min(numbers) if numbers else math.nan


def _flag(value: Any) -> bool | None:
    """An osmnx/OSM ``oneway`` value as a bool; None when absent or unknown.

    A list (ways of different direction merged) is one-way if any item is.
    """
    flags = []
    for item in _as_list(value):
        if isinstance(item, bool | np.bool_):
            flags.append(bool(item))
            continue
        text = str(item).strip().lower()
        if text in _TRUE:
            flags.append(True)
        elif text in _FALSE:
            flags.append(False)
    return any(flags) if flags else None


def _highways(value: Any) -> list[str]:
    """``highway`` values, major class first (a stable order, unlike osmnx's lists)."""
    return sorted((str(v) for v in _as_list(value)), key=lambda h: (class_code(h), h))


def _road_class(value: Any) -> int:
    """Road-class code of an edge: its most major known class."""
    return class_code(_highways(value) or None)
