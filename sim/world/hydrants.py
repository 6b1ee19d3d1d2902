"""Municipal fire hydrants as arrays, each snapped onto a street.

A hydrant stands at the kerb: its scenario location (``{x, y}``, ``{lon,
lat}`` or ``{node}``, resolved as every site is, :class:`~citysim.world.sites.Locator`)
is moved to the nearest point of a drivable street, and kept there as the
street's directed edge and the distance along it from the edge's tail. A hose
is laid from that point along the streets (:mod:`citysim.analysis.hydrants`).

``hydrants: {synthetic: {spacing_m: S}}`` places hydrants along every
street instead: a street of length ``L`` gets ``n = ceil(L / S)`` hydrants
at ``(k + 1/2) L / n``, so consecutive hydrants are at most ``S`` apart
along a street and across a junction (half a spacing on each side).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from citysim.world.network import RoadNetwork
from citysim.world.sites import Locator, site_loc

__all__ = ["Hydrants", "build_hydrants", "snap_to_edges", "street_edges", "synthetic_hydrants"]

SNAP_SAMPLE_M = 5.0
"""Spacing of the street points used to find the candidate edges of a snap (m)."""
SNAP_CANDIDATES = 8
"""Nearest street points whose edges are tried when snapping a point."""


@dataclass(frozen=True, eq=False)
class Hydrants:
    """Hydrants as arrays, one entry per hydrant.

    Attributes
    ----------
    id
        Identifiers.
    x_m, y_m
        The point on the street where the hydrant stands (m).
    edge
        Directed edge it stands on (a drivable one).
    offset_m
        Distance along ``edge`` from its tail (m), in ``[0, length_m]``.
    flow_l_s
        Flow (L/s).
    in_service
        False for a hydrant out of service (never used).
    """

    id: list[str]
    x_m: np.ndarray
    y_m: np.ndarray
    edge: np.ndarray
    offset_m: np.ndarray
    flow_l_s: np.ndarray
    in_service: np.ndarray

    def __len__(self) -> int:
        return len(self.id)

    def subset(self, keep: np.ndarray) -> Hydrants:
        """The hydrants where ``keep`` is true (a boolean mask or indices)."""
        k = np.arange(len(self))[keep]
        return Hydrants(id=[self.id[i] for i in k], x_m=self.x_m[k], y_m=self.y_m[k],
                        edge=self.edge[k], offset_m=self.offset_m[k],
                        flow_l_s=self.flow_l_s[k], in_service=self.in_service[k])


def street_edges(network: RoadNetwork) -> np.ndarray:
    """Drivable edges (every edge when none is drivable), as indices."""
    edges = np.flatnonzero(network.drivable)
    return edges if edges.size else np.arange(network.n_edges)


def snap_to_edges(
    network: RoadNetwork, x_m: np.ndarray, y_m: np.ndarray, edges: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest point on the network's edges to each point.

    Each edge is the straight segment between its nodes; the distance along
    it is scaled to the edge's ``length_m``.

    Parameters
    ----------
    network
        The road network.
    x_m, y_m
        The points (m).
    edges
        The edges to snap onto; default :func:`street_edges`.

    Returns
    -------
    edge : numpy.ndarray
        Edge of the nearest point, int64.
    offset_m : numpy.ndarray
        Its distance along the edge from the tail (m).
    distance_m : numpy.ndarray
        Straight-line distance from the point to it (m).
    """
    x = np.atleast_1d(np.asarray(x_m, dtype=np.float64))
    y = np.atleast_1d(np.asarray(y_m, dtype=np.float64))
    cand = street_edges(network) if edges is None else np.asarray(edges, dtype=np.int64)
    if x.size == 0 or cand.size == 0:
        return (np.zeros(x.size, dtype=np.int64), np.zeros(x.size), np.full(x.size, np.inf))
    nx, ny = network.node_x_m, network.node_y_m
    ax, ay = nx[network.edge_tail[cand]], ny[network.edge_tail[cand]]
    bx, by = nx[network.edge_head[cand]], ny[network.edge_head[cand]]
    counts = np.ceil(np.hypot(bx - ax, by - ay) / SNAP_SAMPLE_M).astype(np.int64) + 1
    owner = np.repeat(np.arange(cand.size), counts)
    start = np.cumsum(counts) - counts
    frac = (np.arange(owner.size) - start[owner]) / np.maximum(counts[owner] - 1, 1)
    px = ax[owner] + frac * (bx - ax)[owner]
    py = ay[owner] + frac * (by - ay)[owner]
    k = min(SNAP_CANDIDATES, owner.size)
    _, near = cKDTree(np.column_stack([px, py])).query(np.column_stack([x, y]), k=k)
    near = near.reshape(x.size, k)
    which = owner[near]  # (n, k) indices into cand
    dx, dy = (bx - ax)[which], (by - ay)[which]
    seg2 = dx * dx + dy * dy
    t = np.where(seg2 > 0, ((x[:, None] - ax[which]) * dx + (y[:, None] - ay[which]) * dy)
                 / np.where(seg2 > 0, seg2, 1.0), 0.0)
    t = np.clip(t, 0.0, 1.0)
    dist = np.hypot(ax[which] + t * dx - x[:, None], ay[which] + t * dy - y[:, None])
    best = np.argmin(dist, axis=1)
    rows = np.arange(x.size)
    edge = cand[which[rows, best]]
    return (edge.astype(np.int64), t[rows, best] * network.length_m[edge],
            dist[rows, best])


def _point_on_edge(network: RoadNetwork, edge: np.ndarray,
                   offset_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of the point ``offset_m`` along each edge (m)."""
    length = network.length_m[edge]
    f = np.where(length > 0, offset_m / np.where(length > 0, length, 1.0), 0.0)
    tail, head = network.edge_tail[edge], network.edge_head[edge]
    nx, ny = network.node_x_m, network.node_y_m
    return nx[tail] + f * (nx[head] - nx[tail]), ny[tail] + f * (ny[head] - ny[tail])


def build_hydrants(locator: Locator, items: Sequence[Any], section: str = "hydrants") -> Hydrants:
    """Resolve the scenario's listed hydrants and snap each onto its street.

    Parameters
    ----------
    locator
        Location resolver of the world (a hydrant farther than
        ``city.max_snap_m`` from every road node is off the map).
    items
        Scenario hydrant entries (``id, location, flow_l_s, in_service``).
    section
        YAML path of the list, for errors.

    Returns
    -------
    Hydrants
    """
    paths = [site_loc(section, i, it) for i, it in enumerate(items)]
    x, y, _ = locator.resolve([it.location for it in items], paths)
    net = locator.network
    edge, offset, _ = snap_to_edges(net, x, y)
    sx, sy = _point_on_edge(net, edge, offset)
    return Hydrants(id=[str(h.id) for h in items], x_m=sx, y_m=sy, edge=edge, offset_m=offset,
                    flow_l_s=np.array([float(h.flow_l_s) for h in items]),
                    in_service=np.array([bool(h.in_service) for h in items], dtype=bool))


def synthetic_hydrants(network: RoadNetwork, spacing_m: float, flow_l_s: float) -> Hydrants:
    """Hydrants along every drivable street, at most ``spacing_m`` apart.

    A two-way street gets one set (on its lower-numbered direction); see the
    module docstring for the positions. Ids are ``H1``, ``H2``, ...

    Parameters
    ----------
    network
        The road network.
    spacing_m
        Largest distance between consecutive hydrants (m), positive.
    flow_l_s
        Flow of each (L/s).

    Returns
    -------
    Hydrants
    """
    edges = street_edges(network)
    tail, head = network.edge_tail[edges], network.edge_head[edges]
    key = np.minimum(tail, head).astype(np.int64) * network.n_nodes + np.maximum(tail, head)
    streets = edges[np.sort(np.unique(key, return_index=True)[1])]
    length = network.length_m[streets]
    n = np.maximum(np.ceil(length / float(spacing_m)).astype(np.int64), 1)
    owner = np.repeat(np.arange(streets.size), n)
    k = np.arange(owner.size) - (np.cumsum(n) - n)[owner]
    edge = streets[owner].astype(np.int64)
    offset = (k + 0.5) * length[owner] / n[owner]
    sx, sy = _point_on_edge(network, edge, offset)
    return Hydrants(id=[f"H{i + 1}" for i in range(edge.size)], x_m=sx, y_m=sy, edge=edge,
                    offset_m=offset, flow_l_s=np.full(edge.size, float(flow_l_s)),
                    in_service=np.ones(edge.size, dtype=bool))
