"""Where the residents live: agents placed on network nodes.

``residents`` persons are grouped into agents of ``persons_per_agent``
persons; the last agent takes the remainder, so the persons always add up to
``residents`` exactly. Each agent gets a home node:

- ``uniform``: every node equally likely;
- ``node_weight: ATTR``: proportional to a node attribute of the network
  (e.g. ``population`` in a GraphML file);
- ``asc: FILE``: a population raster (persons per cell, scenario frame):
  a cell is drawn in proportion to its count, a point uniformly inside the
  cell, and the agent lives at the node nearest that point.

Real population data (:class:`~citysim.scenario.population_data.PopulationPoints`,
read at load by :mod:`citysim.scenario.population_data`, placed by
:func:`place_points`):

- ``csv: FILE``: counts at points, such as the centres of a hexagon grid:
  columns ``lon, lat`` (WGS84) or ``x, y`` (scenario frame) and a count
  column (``population`` unless ``count`` names another); other columns are
  ignored. Each point's persons live within ``radius_m`` of it (default:
  half the median distance from a point to its nearest neighbour, the
  inscribed radius of a hexagon grid's cells);
- ``geotiff: FILE``: a population raster (persons per pixel, such as WorldPop
  or GHS-POP) in its own CRS; each pixel's persons live inside the pixel.

Here the persons are not drawn at random from the counts: every point gets
exactly its count (counts are first scaled to ``residents`` when it is given,
by largest remainders, so they stay whole and add up), split into agents of
``persons_per_agent`` (the last agent of a point takes the remainder). Only
where each agent lives inside its point's area is random; it lives at the
nearest node. ``city.bbox`` leaves out points outside the box.

Homes are nodes cars can reach (:func:`citysim.world.sites.car_nodes`) whenever
the network has any: in a drive+walk network, no one lives at a footway
junction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from citysim.errors import ScenarioError
from citysim.scenario.population_data import PopulationPoints
from citysim.world.network import RoadNetwork
from citysim.world.raster import Raster
from citysim.world.sites import car_nodes


@dataclass(frozen=True, eq=False)
class Population:
    """Residents' homes.

    Attributes
    ----------
    home_node
        Home node of each agent, shape (n_agents,), int64.
    persons
        Persons represented by each agent, shape (n_agents,), int64.
    """

    home_node: np.ndarray
    persons: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_agents(self) -> int:
        """Number of agents."""
        return int(self.home_node.shape[0])

    @property
    def total(self) -> int:
        """Number of persons."""
        return int(self.persons.sum())


def agent_sizes(residents: int, persons_per_agent: int) -> np.ndarray:
    """Persons in each agent: ``persons_per_agent`` each, the remainder in the last.

    Parameters
    ----------
    residents
        Persons to represent.
    persons_per_agent
        Persons per agent (>= 1).

    Returns
    -------
    numpy.ndarray
        int64 array summing to ``residents``.
    """
    full, rest = divmod(int(residents), int(persons_per_agent))
    sizes = np.full(full + (rest > 0), persons_per_agent, dtype=np.int64)
    if rest:
        sizes[-1] = rest
    return sizes


def place_population(
    network: RoadNetwork,
    persons: np.ndarray,
    rng: np.random.Generator,
    *,
    node_weight: str | None = None,
    raster: Raster | None = None,
    yaml_path: str = "city.population.distribution",
) -> Population:
    """Give every agent a home node.

    Parameters
    ----------
    network
        The road network.
    persons
        Persons per agent (from :func:`agent_sizes`).
    rng
        The ``population`` stream.
    node_weight
        Name of a node attribute to weight nodes by.
    raster
        Population raster (persons per cell).
    yaml_path
        Where the distribution was given, for errors.

    Returns
    -------
    Population
    """
    n = persons.shape[0]
    if raster is not None:
        counts = np.nan_to_num(raster.values, nan=0.0).ravel()
        if counts.min() < 0 or counts.sum() <= 0:
            raise ScenarioError(
                "population raster must hold non-negative counts with a positive total",
                path=f"{yaml_path}.asc",
            )
        cell = rng.choice(counts.size, size=n, p=counts / counts.sum())
        rows, cols = np.divmod(cell, raster.shape[1])
        x = raster.x0_m + (cols + rng.random(n)) * raster.cell_m
        y = raster.y0_m + (rows + rng.random(n)) * raster.cell_m
        home = _nearest_home(network, x, y)
    elif node_weight is not None:
        if node_weight not in network.node_attrs:
            known = ", ".join(sorted(network.node_attrs)) or "none"
            raise ScenarioError(
                f"the road network has no node attribute {node_weight!r} "
                f"(numeric node attributes: {known})",
                path=f"{yaml_path}.node_weight",
            )
        w = np.nan_to_num(network.node_attrs[node_weight], nan=0.0)
        if w.min() < 0 or w.sum() <= 0:
            raise ScenarioError(
                f"node attribute {node_weight!r} must be non-negative with a positive total",
                path=f"{yaml_path}.node_weight",
            )
        w = w * car_nodes(network)
        if w.sum() <= 0:
            w = np.nan_to_num(network.node_attrs[node_weight], nan=0.0)
        # mypy: choice() with size= returns an array
        home = rng.choice(network.n_nodes, size=n, p=w / w.sum())  # type: ignore[assignment]
    else:
        nodes = np.flatnonzero(car_nodes(network))
        home = nodes[rng.integers(0, nodes.size, size=n)]
    return Population(home_node=np.asarray(home, dtype=np.int64), persons=persons)


def _nearest_home(network: RoadNetwork, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The node cars can reach nearest to each point."""
    nodes = np.flatnonzero(car_nodes(network))
    tree = cKDTree(np.column_stack([network.node_x_m[nodes], network.node_y_m[nodes]]))
    _, k = tree.query(np.column_stack([x, y]))
    return nodes[k]


# --- real population data ----------------------------------------------------------------


def apportion(count: np.ndarray, total: int) -> np.ndarray:
    """Whole persons per point, adding up to ``total``, proportional to ``count``.

    Largest-remainder (Hamilton) rounding: every point gets the floor of its
    share and the points with the largest remainders one more (ties by
    order). Counts that are already whole and add up to ``total`` are kept.

    Parameters
    ----------
    count
        Non-negative counts, shape (p,).
    total
        Persons to share out, >= 0.

    Returns
    -------
    numpy.ndarray
        int64, shape (p,), summing to ``total``.
    """
    count = np.asarray(count, dtype=np.float64)
    if total == 0 or count.sum() <= 0:
        if total:
            raise ValueError("cannot share persons out over points that count none")
        return np.zeros(count.shape, dtype=np.int64)
    share = count / count.sum() * total
    whole = np.floor(share + 1e-9).astype(np.int64)
    rest = int(total - whole.sum())
    if rest > 0:
        order = np.argsort(-(share - whole), kind="stable")
        whole[order[:rest]] += 1
    return whole


def spacing_radius_m(x_m: np.ndarray, y_m: np.ndarray) -> float:
    """Half the median distance from a point to its nearest neighbour (m); 0 for one point."""
    if x_m.size < 2:
        return 0.0
    dist, _ = cKDTree(np.column_stack([x_m, y_m])).query(np.column_stack([x_m, y_m]), k=2)
    return float(np.median(dist[:, 1]) / 2.0)


def place_points(
    network: RoadNetwork,
    points: PopulationPoints,
    residents: int,
    persons_per_agent: int,
    rng: np.random.Generator,
) -> Population:
    """Give every person of the data a home node (module docstring).

    Parameters
    ----------
    network
        The road network; its ``crs`` must be set when the points are geographic.
    points
        The data (already clipped).
    residents
        Persons to place: the counts are scaled to this total.
    persons_per_agent
        Persons per agent (>= 1).
    rng
        The ``population`` stream.

    Returns
    -------
    Population
        ``meta`` holds the source, points, persons in the file, the radius
        used and what was left out.
    """
    if residents > 0 and points.total <= 0:
        where = " inside city.bbox" if "bbox" in points.meta else ""
        raise ScenarioError(f"the population data has no persons{where}",
                            path="city.population.distribution")
    whole = apportion(points.count, int(residents))
    full, rest = np.divmod(whole, persons_per_agent)
    n_agents = full + (rest > 0)
    point = np.repeat(np.arange(whole.size), n_agents)
    persons = np.full(point.size, persons_per_agent, dtype=np.int64)
    last = np.cumsum(n_agents)[rest > 0] - 1
    persons[last] = rest[rest > 0]
    x, y = points.x[point], points.y[point]
    meta = {**points.meta, "residents": int(residents)}
    if points.cell is not None:  # uniform inside the pixel, in the data's CRS
        x = x + (rng.random(point.size) - 0.5) * points.cell[0]
        y = y + (rng.random(point.size) - 0.5) * points.cell[1]
    x, y = _to_frame(network, points.crs, x, y)
    if points.cell is None:
        px, py = _to_frame(network, points.crs, points.x, points.y)
        radius = points.radius_m if points.radius_m is not None else spacing_radius_m(px, py)
        meta["radius_m"] = round(radius, 3)
        r = radius * np.sqrt(rng.random(point.size))  # uniform over the disc
        a = 2.0 * np.pi * rng.random(point.size)
        x, y = x + r * np.cos(a), y + r * np.sin(a)
    home = _nearest_home(network, x, y) if point.size else np.zeros(0, dtype=np.int64)
    return Population(home_node=np.asarray(home, dtype=np.int64), persons=persons, meta=meta)


def _to_frame(
    network: RoadNetwork, crs: str | None, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    if crs is None:
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if network.crs is None:
        raise ScenarioError("population data in lon/lat (or another CRS) needs a city with a "
                            "geographic frame (an OSM network, a GraphML with a crs, or "
                            "city.origin)", path="city.population.distribution")
    from pyproj import Transformer  # CRS inputs only: not on every run's import path

    fx, fy = Transformer.from_crs(crs, network.crs, always_xy=True).transform(x, y)
    return np.asarray(fx, dtype=np.float64), np.asarray(fy, dtype=np.float64)
