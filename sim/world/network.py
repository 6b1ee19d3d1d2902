"""The road network as compressed sparse row (CSR) arrays in SI units.

Every importer (synthetic, GraphML, OSM) ends by calling
:meth:`RoadNetwork.from_edges`; everything downstream (routing, residents,
responders, hazards) reads the plain arrays of :class:`RoadNetwork`.

Edges are directed and sorted by tail node, so the out-edges of node ``u``
are the edge ids ``indptr[u]:indptr[u + 1]``: an edge id is its CSR position.
In-edges are listed separately (``rev_indptr``/``rev_edges``) for the
reverse searches that build next-hop trees toward shelters.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from citysim.world.road_classes import FOOTWAY_WIDTH_M, ROAD_CLASSES, class_defaults

INT = np.int64
INDEX = np.int32
"""dtype of the topology arrays (node and edge indices in the CSR structure).

The shortest-path searches are bound by memory latency; with 32-bit indices
they run 12-15 % faster than with 64-bit ones on a 100k-node network
(benchmarks/README.md), and no city comes near 2**31 nodes or edges.
Node ids from the source (OSM ids) stay int64."""
FLOAT = np.float64


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A directed road network as CSR arrays.

    Attributes
    ----------
    node_x_m, node_y_m
        Node coordinates in the scenario's metric frame (m), shape (n,).
    node_id
        The source's node ids (OSM ids, GraphML ids, or 0..n-1), shape (n,).
        ``{node: ID}`` locations refer to these.
    indptr
        CSR row pointer over tails, shape (n + 1,).
    edge_tail, edge_head
        End nodes of each edge (indices 0..n-1), shape (m,), sorted by tail.
    length_m
        Edge length (m).
    speed_mps
        Free-flow car speed (m/s).
    travel_time_s
        Free-flow car travel time, ``length_m / speed_mps`` unless the source
        gave one (s).
    lanes
        Lanes in the edge's direction.
    capacity_vph
        Car flow capacity of the edge, all lanes (vehicles/h).
    width_m
        Walkable width: carriageway plus footways (m).
    road_class
        Index into :data:`citysim.world.road_classes.ROAD_CLASSES`.
    drivable
        Whether cars may use the edge.
    rev_indptr, rev_edges
        In-edges of each node: ``rev_edges[rev_indptr[v]:rev_indptr[v + 1]]``
        are the ids of edges whose head is ``v``.
    rev_tail
        Tails of the in-edges in the same order, ``edge_tail[rev_edges]``.
    node_attrs
        Extra per-node numeric attributes from the source (e.g. ``population``).
    crs
        CRS of the metric frame (a PROJ string for the local frame of lon/lat
        data, or the source's projected CRS such as ``EPSG:32631``); ``None``
        when the frame has no geographic reference (synthetic cities without
        ``city.origin``, plain metre GraphML).
    meta
        Source description and import report (dropped nodes and edges).
    """

    node_x_m: np.ndarray
    node_y_m: np.ndarray
    node_id: np.ndarray
    indptr: np.ndarray
    edge_tail: np.ndarray
    edge_head: np.ndarray
    length_m: np.ndarray
    speed_mps: np.ndarray
    travel_time_s: np.ndarray
    lanes: np.ndarray
    capacity_vph: np.ndarray
    width_m: np.ndarray
    road_class: np.ndarray
    drivable: np.ndarray
    rev_indptr: np.ndarray
    rev_edges: np.ndarray
    rev_tail: np.ndarray
    node_attrs: dict[str, np.ndarray] = field(default_factory=dict)
    crs: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_x_m.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return int(self.edge_tail.shape[0])

    @property
    def bounds_m(self) -> tuple[float, float, float, float]:
        """Bounding box ``(xmin, ymin, xmax, ymax)`` of the nodes (m)."""
        return (
            float(self.node_x_m.min()),
            float(self.node_y_m.min()),
            float(self.node_x_m.max()),
            float(self.node_y_m.max()),
        )

    @classmethod
    def from_edges(
        cls,
        node_x_m: np.ndarray,
        node_y_m: np.ndarray,
        tail: np.ndarray,
        head: np.ndarray,
        *,
        length_m: np.ndarray,
        road_class: np.ndarray,
        speed_mps: np.ndarray | None = None,
        travel_time_s: np.ndarray | None = None,
        lanes: np.ndarray | None = None,
        capacity_vph: np.ndarray | None = None,
        width_m: np.ndarray | None = None,
        node_id: np.ndarray | None = None,
        node_attrs: dict[str, np.ndarray] | None = None,
        crs: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> RoadNetwork:
        """Build a network from an edge list, filling missing values by road class.

        Optional per-edge arrays may hold NaN where the source had no value;
        those entries take the road-class default (see
        :mod:`citysim.world.road_classes`).

        Parameters
        ----------
        node_x_m, node_y_m
            Node coordinates (m), shape (n,).
        tail, head
            Edge end-node indices, shape (m,). Self-loops are dropped.
        length_m
            Edge lengths (m), positive.
        road_class
            Road-class codes, shape (m,).
        speed_mps, travel_time_s, lanes, capacity_vph, width_m
            Optional per-edge values; NaN or ``None`` means "use the default".
        node_id
            Source node ids, default ``0..n-1``.
        node_attrs
            Extra per-node arrays to keep.
        crs
            PROJ string of the metric frame, if geographic.
        meta
            Import description kept in provenance.

        Returns
        -------
        RoadNetwork
        """
        x = np.ascontiguousarray(node_x_m, dtype=FLOAT)
        y = np.ascontiguousarray(node_y_m, dtype=FLOAT)
        n = x.shape[0]
        tail = np.asarray(tail, dtype=INT)
        head = np.asarray(head, dtype=INT)
        m = tail.shape[0]
        if n == 0 or m == 0:
            raise ValueError("a road network needs at least one node and one edge")
        if tail.min() < 0 or head.min() < 0 or tail.max() >= n or head.max() >= n:
            raise ValueError("edge end points must index existing nodes")
        codes = np.asarray(road_class, dtype=np.int8)
        length = np.maximum(np.asarray(length_m, dtype=FLOAT), 0.1)
        defaults = class_defaults(codes)

        def filled(values: np.ndarray | None, default: np.ndarray) -> np.ndarray:
            if values is None:
                return default.astype(FLOAT)
            values = np.asarray(values, dtype=FLOAT)
            bad = ~np.isfinite(values) | (values <= 0)
            return np.where(bad, default, values)

        speed = filled(speed_mps, defaults["speed_mps"])
        lanes_arr = filled(lanes, defaults["lanes"])
        cap = filled(capacity_vph, defaults["capacity_vph_lane"] * lanes_arr)
        width = filled(
            width_m, defaults["lane_width_m"] * lanes_arr + 2 * FOOTWAY_WIDTH_M
        )
        tt = filled(travel_time_s, length / speed)

        keep = tail != head
        order = np.argsort(tail[keep], kind="stable")
        idx = np.flatnonzero(keep)[order]
        tail, head = tail[idx], head[idx]
        if n >= 2**31 or m >= 2**31:
            raise ValueError("a road network is limited to 2**31 - 1 nodes and edges")
        indptr = np.zeros(n + 1, dtype=INT)
        np.add.at(indptr, tail + 1, 1)
        indptr = np.cumsum(indptr).astype(INDEX)
        rev_edges = np.argsort(head, kind="stable").astype(INDEX)
        rev_indptr = np.zeros(n + 1, dtype=INT)
        np.add.at(rev_indptr, head + 1, 1)
        rev_indptr = np.cumsum(rev_indptr).astype(INDEX)
        ids = np.arange(n, dtype=INT) if node_id is None else np.asarray(node_id, dtype=INT)
        return cls(
            node_x_m=x,
            node_y_m=y,
            node_id=ids,
            indptr=indptr,
            edge_tail=tail.astype(INDEX),
            edge_head=head.astype(INDEX),
            length_m=length[idx],
            speed_mps=speed[idx],
            travel_time_s=tt[idx],
            lanes=lanes_arr[idx],
            capacity_vph=cap[idx],
            width_m=width[idx],
            road_class=codes[idx],
            drivable=defaults["drivable"][idx],
            rev_indptr=rev_indptr,
            rev_edges=rev_edges,
            rev_tail=tail[rev_edges].astype(INDEX),
            node_attrs={k: np.asarray(v, dtype=FLOAT) for k, v in (node_attrs or {}).items()},
            crs=crs,
            meta=dict(meta or {}),
        )

    def subnetwork(
        self, keep_nodes: np.ndarray, *, meta: dict[str, Any] | None = None
    ) -> RoadNetwork:
        """Return the network induced by a boolean node mask.

        Parameters
        ----------
        keep_nodes
            Boolean mask over nodes, shape (n,).
        meta
            Entries added to the new network's ``meta``.

        Returns
        -------
        RoadNetwork
        """
        keep_nodes = np.asarray(keep_nodes, dtype=bool)
        new_index = np.full(self.n_nodes, -1, dtype=INT)
        new_index[keep_nodes] = np.arange(int(keep_nodes.sum()), dtype=INT)
        e = keep_nodes[self.edge_tail] & keep_nodes[self.edge_head]
        return RoadNetwork.from_edges(
            self.node_x_m[keep_nodes],
            self.node_y_m[keep_nodes],
            new_index[self.edge_tail[e]],
            new_index[self.edge_head[e]],
            length_m=self.length_m[e],
            road_class=self.road_class[e],
            speed_mps=self.speed_mps[e],
            travel_time_s=self.travel_time_s[e],
            lanes=self.lanes[e],
            capacity_vph=self.capacity_vph[e],
            width_m=self.width_m[e],
            node_id=self.node_id[keep_nodes],
            node_attrs={k: v[keep_nodes] for k, v in self.node_attrs.items()},
            crs=self.crs,
            meta={**self.meta, **(meta or {})},
        )

    def largest_strongly_connected(self) -> RoadNetwork:
        """Keep the largest strongly connected component.

        Every node of the result can reach every other, so every resident can
        reach a shelter and every unit every incident. What was dropped is
        recorded in ``meta["dropped"]``.

        Returns
        -------
        RoadNetwork
        """
        adj = csr_matrix(
            (np.ones(self.n_edges), (self.edge_tail, self.edge_head)),
            shape=(self.n_nodes, self.n_nodes),
        )
        n_comp, labels = connected_components(adj, directed=True, connection="strong")
        if n_comp == 1:
            none = {"components": 0, "nodes": 0, "edges": 0}
            return replace(self, meta={**self.meta, "dropped": none})
        sizes = np.bincount(labels)
        keep = labels == int(np.argmax(sizes))
        kept_edges = int((keep[self.edge_tail] & keep[self.edge_head]).sum())
        dropped = {
            "components": int(n_comp - 1),
            "nodes": int(self.n_nodes - keep.sum()),
            "edges": int(self.n_edges - kept_edges),
        }
        return self.subnetwork(keep, meta={"dropped": dropped})

    def class_names(self) -> list[str]:
        """Return the road-class name of every edge."""
        return [ROAD_CLASSES[c].name for c in self.road_class]

    def nearest_node(self, x_m: np.ndarray, y_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Snap points to their nearest node.

        Parameters
        ----------
        x_m, y_m
            Point coordinates (m).

        Returns
        -------
        node : numpy.ndarray
            Index of the nearest node for each point.
        distance_m : numpy.ndarray
            Straight-line distance to it (m).
        """
        from scipy.spatial import cKDTree

        tree = cKDTree(np.column_stack([self.node_x_m, self.node_y_m]))
        dist, node = tree.query(np.column_stack([np.atleast_1d(x_m), np.atleast_1d(y_m)]))
        return node.astype(INT), dist.astype(FLOAT)
