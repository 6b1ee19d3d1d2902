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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.errors import ScenarioError
from sim.world.network import RoadNetwork
from sim.world.raster import Raster


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
        home, _ = network.nearest_node(x, y)
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
        home = rng.choice(network.n_nodes, size=n, p=w / w.sum())
    else:
        home = rng.integers(0, network.n_nodes, size=n)
    return Population(home_node=np.asarray(home, dtype=np.int64), persons=persons)
