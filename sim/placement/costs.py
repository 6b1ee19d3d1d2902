"""Demand and travel-time matrices for the location models, from citysim's own routing.

- **Shelters**: walking time from every node to each site, along the
  shortest walk (``length_m / 1.34 m/s``: Weidmann's free walking speed,
  the weight residents route by, :data:`citysim.model.FREE_WALK_SPEED_MPS`).
  One reverse search per site (:func:`citysim.routing.next_hop_tree`).
- **Stations**: turnout plus driving time at free flow from each site to
  every node, on drivable roads (as dispatch and ``citysim coverage`` have
  it). One forward search per site (:func:`citysim.routing.shortest_costs`).

Demand lives at nodes: for shelters the residents expected to evacuate
(residents at the node times ``behaviour.compliance``); for stations where
background calls come from (residents at the node, or one per node when
``response.background_calls.distribution`` is ``uniform``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from citysim.agents.draws import CAR
from citysim.agents.traffic import edge_traffic
from citysim.model import FREE_WALK_SPEED_MPS
from citysim.routing import next_hop_tree, shortest_costs
from citysim.scenario import Scenario
from citysim.world.builder import World, node_population
from citysim.world.network import RoadNetwork

__all__ = ["Demand", "call_demand", "response_time_matrix", "shelter_demand", "walk_time_matrix"]


@dataclass(frozen=True, eq=False)
class Demand:
    """Demand at network nodes.

    Attributes
    ----------
    node
        Node indices with positive demand, shape (m,).
    weight
        Demand at each, shape (m,).
    unit
        What the weights count (``persons`` or ``nodes``).
    rule
        How they were made, in words (for ``placement.json``).
    """

    node: np.ndarray
    weight: np.ndarray
    unit: str
    rule: str

    @property
    def total(self) -> float:
        """All demand."""
        return float(self.weight.sum())


def shelter_demand(scenario: Scenario, world: World) -> Demand:
    """Expected evacuees per node: residents times ``behaviour.compliance``.

    Parameters
    ----------
    scenario
        The loaded scenario.
    world
        Its built world.

    Returns
    -------
    Demand
    """
    share = float(scenario.behaviour.compliance)
    pop = node_population(world) * share
    node = np.flatnonzero(pop > 0)
    return Demand(node=node, weight=pop[node], unit="persons",
                  rule=f"residents at each node x behaviour.compliance ({share:g})")


def call_demand(scenario: Scenario, world: World) -> Demand:
    """Where calls come from: residents per node, or one per node (``uniform`` calls).

    Parameters
    ----------
    scenario
        The loaded scenario.
    world
        Its built world.

    Returns
    -------
    Demand
    """
    if scenario.response.background_calls.distribution == "uniform":
        weight = np.ones(world.network.n_nodes)
        unit, rule = "nodes", "one per node (background calls are uniform over nodes)"
    else:
        weight = node_population(world)
        unit, rule = "persons", "residents at each node (background calls follow population)"
    node = np.flatnonzero(weight > 0)
    return Demand(node=node, weight=weight[node], unit=unit, rule=rule)


def walk_time_matrix(network: RoadNetwork, site_nodes: np.ndarray) -> np.ndarray:
    """Walking time from every node to each site (s).

    Parameters
    ----------
    network
        The road network.
    site_nodes
        Node index of each site, shape (k,).

    Returns
    -------
    numpy.ndarray
        Shape (n_nodes, k); ``inf`` where a site cannot be reached.
    """
    weight = network.length_m / FREE_WALK_SPEED_MPS
    return _per_site(network.n_nodes, site_nodes,
                     lambda node: next_hop_tree(network, [node], weight_s=weight).cost_s)


def response_time_matrix(
    network: RoadNetwork, site_nodes: np.ndarray, turnout_s: np.ndarray
) -> np.ndarray:
    """Turnout plus free-flow driving time from each site to every node (s).

    Parameters
    ----------
    network
        The road network.
    site_nodes
        Node index of each site, shape (k,).
    turnout_s
        Turnout time of each site (s), shape (k,).

    Returns
    -------
    numpy.ndarray
        Shape (n_nodes, k); ``inf`` where a site cannot reach a node by road.
    """
    drivable = edge_traffic(network).usable[CAR]
    weight = np.where(drivable, network.travel_time_s, np.inf)
    driving = _per_site(network.n_nodes, site_nodes,
                        lambda node: shortest_costs(network, node, weight_s=weight).dist_s)
    return driving + np.asarray(turnout_s, dtype=np.float64)[None, :]


def _per_site(
    n_nodes: int, site_nodes: np.ndarray, column: Callable[[int], np.ndarray]
) -> np.ndarray:
    """One search per distinct site node, as the columns of an (n_nodes, k) matrix."""
    unique, back = np.unique(np.asarray(site_nodes, dtype=np.int64), return_inverse=True)
    out = np.zeros((n_nodes, unique.size))
    for c, node in enumerate(unique):
        out[:, c] = column(int(node))
    return out[:, back]
