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

__all__ = ["Hydrants", "build_hydrants", "frontage_hose_m", "hose_distances", "hose_length_m",
           "snap_to_edges", "street_edges", "synthetic_hydrants"]

_EPS_M = 1e-9
"""Stands for a zero length in the sparse graph (explicit zeros would be dropped)."""
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


def hose_distances(network: RoadNetwork, edge: np.ndarray,
                   offset_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hose length along the streets from each node to the nearest of some hydrants.

    The hose network is the drivable streets (:func:`street_edges`), walked
    both ways (a hose is laid against a one-way street's traffic); a hydrant
    ``offset_m`` along ``edge`` is a virtual node joined to the edge's tail by
    ``offset_m`` and to its head by ``length_m - offset_m``; one multi-source
    Dijkstra from the virtual nodes.

    Parameters
    ----------
    network
        The road network.
    edge, offset_m
        The hydrants' edges and positions along them (m), shape (h,).

    Returns
    -------
    distance_m : numpy.ndarray
        Per node (m), ``inf`` where none reaches, shape (n,).
    hydrant : numpy.ndarray
        The nearest hydrant (index into ``edge``), ``-1`` where none, shape (n,).
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    n, h = network.n_nodes, len(edge)
    if h == 0:
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    streets = street_edges(network)
    u = network.edge_tail[streets].astype(np.int64)
    v = network.edge_head[streets].astype(np.int64)
    edge = np.asarray(edge, dtype=np.int64)
    virt = n + np.arange(h)
    a = np.concatenate([u, virt, virt])
    b = np.concatenate([v, network.edge_tail[edge], network.edge_head[edge]]).astype(np.int64)
    w = np.concatenate([network.length_m[streets], offset_m,
                        network.length_m[edge] - np.asarray(offset_m)])
    w = np.maximum(w, _EPS_M)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    order = np.lexsort((w, hi, lo))  # parallel streets and both directions: the shortest counts
    lo, hi, w = lo[order], hi[order], w[order]
    first = np.r_[True, (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])]
    graph = csr_matrix((w[first], (lo[first], hi[first])), shape=(n + h, n + h))
    dist, _, sources = dijkstra(graph, directed=False, indices=virt, min_only=True,
                                return_predecessors=True)
    hydrant = np.where(sources[:n] >= 0, sources[:n] - n, -1)
    return dist[:n], hydrant.astype(np.int64)


def hose_length_m(network: RoadNetwork, hydrants: Hydrants, x_m: np.ndarray, y_m: np.ndarray,
                  *, usable: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Hose length along the streets from the nearest usable hydrant to points' frontage.

    Each point is reached at the nearest point of a street (:func:`snap_to_edges`);
    the hose runs from a hydrant along the streets to there: through either
    end of that street (:func:`hose_distances`), or straight along it from
    a hydrant on the same street.  The metres from the street to the point
    are not counted.

    Parameters
    ----------
    network
        The road network.
    hydrants
        The hydrants.
    x_m, y_m
        The points (m).
    usable
        Hydrants that count; default those in service.

    Returns
    -------
    length_m : numpy.ndarray
        Hose length (m), ``inf`` where no usable hydrant reaches.
    edge, offset_m : numpy.ndarray
        The frontage: its edge and position along it (m).
    """
    ok = hydrants.in_service if usable is None else np.asarray(usable, bool) & hydrants.in_service
    use = np.flatnonzero(ok)
    edge, offset, _ = snap_to_edges(network, x_m, y_m)
    node_dist, _ = hose_distances(network, hydrants.edge[use], hydrants.offset_m[use])
    dist = frontage_hose_m(network, node_dist, edge, offset, hydrants.edge[use],
                           hydrants.offset_m[use])
    return dist, edge, offset


def frontage_hose_m(network: RoadNetwork, node_dist_m: np.ndarray, edge: np.ndarray,
                    offset_m: np.ndarray, h_edge: np.ndarray, h_offset_m: np.ndarray) -> np.ndarray:
    """Hose length to points on streets, given the hose length to every node.

    Parameters
    ----------
    network
        The road network.
    node_dist_m
        Hose length from the hydrants to each node (:func:`hose_distances`).
    edge, offset_m
        The points: their edges and positions along them (m).
    h_edge, h_offset_m
        The same hydrants' edges and positions (for those on the points' own
        streets, reached straight along the street).

    Returns
    -------
    numpy.ndarray
        Hose length to each point (m), ``inf`` where none reaches.
    """
    length = network.length_m[edge]
    tail, head = network.edge_tail[edge], network.edge_head[edge]
    dist = np.minimum(node_dist_m[tail] + offset_m, node_dist_m[head] + length - offset_m)
    h_tail, h_head = network.edge_tail[h_edge], network.edge_head[h_edge]
    for e, p, ht, hh in zip(h_edge, h_offset_m, h_tail, h_head, strict=True):
        same = (tail == ht) & (head == hh)
        back = (tail == hh) & (head == ht)
        if same.any():
            dist[same] = np.minimum(dist[same], np.abs(offset_m[same] - p))
        if back.any():
            dist[back] = np.minimum(dist[back],
                                    np.abs(offset_m[back] - (network.length_m[e] - p)))
    return dist


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
