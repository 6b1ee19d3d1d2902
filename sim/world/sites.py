"""Places in the city: locations snapped to nodes, shelters, stations and probes.

A scenario location is ``{x, y}`` (scenario frame, m), ``{lon, lat}`` (WGS84,
projected into the frame) or ``{node: ID}`` (a network node id). Every
location snaps to its nearest node that cars can reach (:func:`car_nodes`:
all nodes of a drive network; in a drive+walk network, not the footway
junctions, so engines leave every station and evacuees can drive to every
shelter); one farther than ``city.max_snap_m`` from every such node is off
the map, and that is an error naming its YAML path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from citysim.errors import Problem, ScenarioError
from citysim.scenario.problems import Loc, format_path
from citysim.world.network import RoadNetwork

UNIT_TYPES: tuple[str, ...] = ("engine", "ladder", "rescue", "hazmat", "ambulance")
"""Responder unit types, in column order of :attr:`Stations.units`."""


def car_nodes(network: RoadNetwork) -> np.ndarray:
    """Nodes of the largest strongly connected part of the drivable network.

    Parameters
    ----------
    network
        The road network.

    Returns
    -------
    numpy.ndarray
        Boolean mask over nodes; every node when no edge is drivable.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    e = np.flatnonzero(network.drivable)
    if e.size == 0:
        return np.ones(network.n_nodes, dtype=bool)
    adj = csr_matrix((np.ones(e.size), (network.edge_tail[e], network.edge_head[e])),
                     shape=(network.n_nodes, network.n_nodes))
    _, labels = connected_components(adj, directed=True, connection="strong")
    on_road = np.zeros(network.n_nodes, dtype=bool)
    on_road[network.edge_tail[e]] = True
    sizes = np.bincount(labels[on_road])
    return labels == int(np.argmax(sizes))


@dataclass(frozen=True)
class Locator:
    """Turns scenario locations into frame coordinates and nodes.

    Parameters
    ----------
    network
        The road network.
    crs
        PROJ string of the metric frame when it is geographic, else ``None``
        (then lon/lat locations are an error).
    max_snap_m
        Farthest a location may lie from its nearest node (m).
    problem
        Makes a :class:`~citysim.errors.Problem` at a YAML location (the loaded
        scenario's ``problem``, which adds the line in the file).
    """

    network: RoadNetwork
    crs: str | None
    max_snap_m: float
    problem: Callable[[Loc, str], Problem] = lambda loc, msg: Problem(format_path(loc), msg)
    _node_index: dict[int, int] = field(init=False, repr=False, compare=False)
    _snap: tuple[np.ndarray, cKDTree] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {int(v): i for i, v in enumerate(self.network.node_id)}
        object.__setattr__(self, "_node_index", index)
        snap = np.flatnonzero(car_nodes(self.network))
        tree = cKDTree(np.column_stack([self.network.node_x_m[snap], self.network.node_y_m[snap]]))
        object.__setattr__(self, "_snap", (snap, tree))

    def resolve(
        self, locations: Sequence[Any], paths: Sequence[Loc]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Resolve locations to coordinates and nodes.

        Parameters
        ----------
        locations
            Scenario location models (attributes ``x, y``, ``lon, lat`` or ``node``).
        paths
            YAML location of each, as a tuple (``("shelters", 2, "location")``).

        Returns
        -------
        x_m, y_m : numpy.ndarray
            Coordinates in the frame (m); for ``{node}`` the node's position.
        node : numpy.ndarray
            Nearest (or named) node index.

        Raises
        ------
        ScenarioError
            Listing every location that is off the map, names an unknown
            node, or uses lon/lat in a city without a geographic frame.
        """
        n = len(locations)
        x = np.zeros(n)
        y = np.zeros(n)
        node = np.full(n, -1, dtype=np.int64)
        problems: list[Problem] = []
        failed = np.zeros(n, dtype=bool)
        to_xy = None
        for k, (loc, path) in enumerate(zip(locations, paths, strict=True)):
            if getattr(loc, "node", None) is not None:
                if int(loc.node) not in self._node_index:
                    problems.append(self.problem((*path, "node"), (
                        f"no node with id {loc.node} in the road network (after keeping its "
                        "largest strongly connected part)")))
                    failed[k] = True
                    continue
                node[k] = self._node_index[int(loc.node)]
                x[k], y[k] = self.network.node_x_m[node[k]], self.network.node_y_m[node[k]]
            elif getattr(loc, "lon", None) is not None:
                if self.crs is None:
                    problems.append(self.problem(path, "lon/lat given, but this city has no "
                                                 "geographic frame: use {x, y} or set "
                                                 "city.origin"))
                    failed[k] = True
                    continue
                if to_xy is None:
                    from pyproj import Transformer  # only for WGS84 locations

                    to_xy = Transformer.from_crs("EPSG:4326", self.crs, always_xy=True)
                x[k], y[k] = to_xy.transform(loc.lon, loc.lat)
            else:
                x[k], y[k] = loc.x, loc.y
        todo = (node < 0) & ~failed
        if todo.any():
            snap, tree = self._snap
            dist, k = tree.query(np.column_stack([x[todo], y[todo]]))
            node[todo] = snap[k]
            idx = np.flatnonzero(todo)
            # mypy: k: from the query's index array to one index
            for k, d in zip(idx, dist, strict=True):  # type: ignore[assignment]
                if d > self.max_snap_m:
                    xmin, ymin, xmax, ymax = self.network.bounds_m
                    problems.append(self.problem(
                        paths[k],
                        f"off the map: ({x[k]:.0f}, {y[k]:.0f}) m is {d:.0f} m from the nearest "
                        f"road node (the network spans x {xmin:.0f}..{xmax:.0f}, y "
                        f"{ymin:.0f}..{ymax:.0f} m; city.max_snap_m is {self.max_snap_m:g} m)",
                    ))
        if problems:
            raise ScenarioError(problems)
        return x, y, node


@dataclass(frozen=True, eq=False)
class Shelters:
    """Shelters as arrays, one entry per shelter.

    Attributes
    ----------
    id, name, kind
        Identifiers and descriptions from the scenario.
    x_m, y_m
        Location (m).
    node
        Node the shelter is reached at.
    capacity
        Persons it can hold.
    """

    id: list[str]
    name: list[str]
    kind: list[str]
    x_m: np.ndarray
    y_m: np.ndarray
    node: np.ndarray
    capacity: np.ndarray

    def __len__(self) -> int:
        return len(self.id)

    def extended(self, more: Shelters) -> Shelters:
        """These shelters, then ``more``."""
        return Shelters(id=[*self.id, *more.id], name=[*self.name, *more.name],
                        kind=[*self.kind, *more.kind], x_m=np.concatenate([self.x_m, more.x_m]),
                        y_m=np.concatenate([self.y_m, more.y_m]),
                        node=np.concatenate([self.node, more.node]),
                        capacity=np.concatenate([self.capacity, more.capacity]))


@dataclass(frozen=True, eq=False)
class Stations:
    """Fire and rescue stations as arrays.

    Attributes
    ----------
    id, name
        Identifiers.
    x_m, y_m
        Location (m).
    node
        Node units leave from.
    units
        Units by type, shape (n, len(UNIT_TYPES)), columns as :data:`UNIT_TYPES`.
    turnout_s
        Time from dispatch to leaving the station (s).
    station_class
        Declared 建标152-2017 class of each (``class_1``, ``class_2``,
        ``small``), ``None`` where the scenario does not say; default none.
    """

    id: list[str]
    name: list[str]
    x_m: np.ndarray
    y_m: np.ndarray
    node: np.ndarray
    units: np.ndarray
    turnout_s: np.ndarray
    station_class: list[str | None] | None = None

    def unit_names(self) -> list[tuple[str, str, int]]:
        """Every unit as ``(name, type, station index)``, station by station.

        Names are the station id, the type and a number: ``F1-engine2``.
        """
        return [(f"{sid}-{kind}{j + 1}", kind, s)
                for s, sid in enumerate(self.id)
                for k, kind in enumerate(UNIT_TYPES)
                for j in range(int(self.units[s, k]))]

    def __len__(self) -> int:
        return len(self.id)


@dataclass(frozen=True, eq=False)
class Probes:
    """Fixed points where hazard fields are recorded."""

    id: list[str]
    x_m: np.ndarray
    y_m: np.ndarray
    node: np.ndarray


def site_loc(section: str, index: int, item: Any) -> Loc:
    """YAML location of a site's ``location``: in the list, or in its CSV file."""
    row = getattr(item, "csv_row", None)
    if row is not None:
        return (section, "csv", f"[row {row[1]}]", "location")
    return (section, index, "location")


def _resolve_all(
    locator: Locator, items: Sequence[Any], section: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    paths = [site_loc(section, i, it) for i, it in enumerate(items)]
    return locator.resolve([it.location for it in items], paths)


def _ids_and_names(items: Sequence[Any]) -> dict[str, list[str]]:
    """Ids, and names defaulting to the id."""
    return {"id": [str(s.id) for s in items],
            "name": [str(getattr(s, "name", None) or s.id) for s in items]}


def build_shelters(locator: Locator, items: Sequence[Any], section: str = "shelters") -> Shelters:
    """Resolve the scenario's shelters.

    Parameters
    ----------
    locator
        Location resolver of the world.
    items
        Scenario shelter entries (``id, name, location, kind`` and ``places``:
        the capacity, or the usable area over the area per person).
    section
        YAML path of the list, for errors.

    Returns
    -------
    Shelters
    """
    x, y, node = _resolve_all(locator, items, section)
    return Shelters(
        **_ids_and_names(items),
        kind=[str(getattr(s, "kind", None) or "") for s in items],
        x_m=x, y_m=y, node=node,
        capacity=np.array([int(s.places) for s in items], dtype=np.int64),
    )


def build_stations(locator: Locator, items: Sequence[Any], section: str = "stations") -> Stations:
    """Resolve the scenario's stations.

    Parameters
    ----------
    locator
        Location resolver of the world.
    items
        Scenario station entries (``id, name, location, units, turnout``).
    section
        YAML path of the list, for errors.

    Returns
    -------
    Stations
    """
    x, y, node = _resolve_all(locator, items, section)
    units = np.array(
        [[int(getattr(s.units, t, 0) or 0) for t in UNIT_TYPES] for s in items], dtype=np.int64
    ).reshape(len(items), len(UNIT_TYPES))
    return Stations(
        **_ids_and_names(items),
        x_m=x, y_m=y, node=node, units=units,
        turnout_s=np.array([float(s.turnout) for s in items], dtype=np.float64),
        station_class=[getattr(s, "station_class", None) for s in items],
    )


def build_probes(locator: Locator, items: Sequence[Any]) -> Probes:
    """Resolve the scenario's output probes."""
    paths = [("outputs", "probes", i, "location") for i in range(len(items))]
    x, y, node = locator.resolve([p.location for p in items], paths)
    return Probes(id=[str(p.id) for p in items], x_m=x, y_m=y, node=node)
