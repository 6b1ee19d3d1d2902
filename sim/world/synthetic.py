"""Synthetic cities: a grid with arterials, a perturbed grid, and a radial city.

The generators return :class:`~citysim.world.network.RoadNetwork` objects whose
lower-left corner is at the origin of the metric frame. Every street is
two-way. Road classes follow common urban practice: a ring or perimeter of
``secondary`` roads, ``primary`` arterials every ``arterial_every`` blocks
(or along every spoke of a radial city), ``residential`` streets elsewhere;
speeds, lanes and capacities then come from :mod:`citysim.world.road_classes`.
"""

from __future__ import annotations

import numpy as np

from citysim.world.network import RoadNetwork
from citysim.world.road_classes import CLASS_INDEX

PRIMARY = CLASS_INDEX["primary"]
SECONDARY = CLASS_INDEX["secondary"]
RESIDENTIAL = CLASS_INDEX["residential"]


def _two_way(
    x: np.ndarray, y: np.ndarray, a: np.ndarray, b: np.ndarray, cls: np.ndarray, meta: dict
) -> RoadNetwork:
    """Build a network with each undirected segment ``a``-``b`` in both directions."""
    tail = np.concatenate([a, b])
    head = np.concatenate([b, a])
    codes = np.concatenate([cls, cls])
    length = np.hypot(x[head] - x[tail], y[head] - y[tail])
    return RoadNetwork.from_edges(x, y, tail, head, length_m=length, road_class=codes, meta=meta)


def grid_city(
    rows: int,
    cols: int,
    *,
    block_m: float,
    arterial_every: int,
    jitter_m: float = 0.0,
    rng: np.random.Generator | None = None,
) -> RoadNetwork:
    """Return a grid city of ``rows`` x ``cols`` intersections.

    Parameters
    ----------
    rows, cols
        Number of intersections north-south and east-west (>= 2).
    block_m
        Distance between neighbouring intersections (m).
    arterial_every
        Every this many rows and columns a street is a ``primary`` arterial;
        the perimeter is ``secondary``. 0 means no arterials.
    jitter_m
        Standard deviation of a random displacement of each interior
        intersection (m); 0 gives a regular grid, a positive value a
        perturbed grid. Needs ``rng``.
    rng
        Generator for the displacement.

    Returns
    -------
    RoadNetwork
    """
    ii, jj = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    x = (jj * block_m).ravel().astype(np.float64)
    y = (ii * block_m).ravel().astype(np.float64)
    if jitter_m > 0:
        if rng is None:
            raise ValueError("a perturbed grid needs a random generator")
        interior = ((ii > 0) & (ii < rows - 1) & (jj > 0) & (jj < cols - 1)).ravel()
        limit = block_m / 3
        dx = np.clip(rng.normal(0.0, jitter_m, x.shape), -limit, limit)
        dy = np.clip(rng.normal(0.0, jitter_m, y.shape), -limit, limit)
        x = np.where(interior, x + dx, x)
        y = np.where(interior, y + dy, y)
    node = np.arange(rows * cols).reshape(rows, cols)

    def line_class(index: np.ndarray, last: int) -> np.ndarray:
        cls = np.full(index.shape, RESIDENTIAL, dtype=np.int8)
        if arterial_every > 0:
            cls[index % arterial_every == 0] = PRIMARY
        cls[(index == 0) | (index == last)] = SECONDARY
        return cls

    # east-west segments lie on row i, north-south segments on column j
    a_ew, b_ew = node[:, :-1].ravel(), node[:, 1:].ravel()
    c_ew = line_class(np.repeat(np.arange(rows), cols - 1), rows - 1)
    a_ns, b_ns = node[:-1, :].ravel(), node[1:, :].ravel()
    c_ns = line_class(np.tile(np.arange(cols), rows - 1), cols - 1)
    meta = {"source": f"synthetic grid {rows}x{cols}, block {block_m} m, jitter {jitter_m} m"}
    return _two_way(
        x, y, np.concatenate([a_ew, a_ns]), np.concatenate([b_ew, b_ns]),
        np.concatenate([c_ew, c_ns]), meta,
    )


def radial_city(
    rings: int, spokes: int, *, ring_spacing_m: float, arterial_every: int
) -> RoadNetwork:
    """Return a radial (ring-and-spoke) city centred in its bounding box.

    Ring ``r`` (1..rings) has radius ``r * ring_spacing_m``; each ring is cut
    into arcs no longer than about ``ring_spacing_m`` between spokes, so
    blocks stay the same size outwards. Spokes are ``primary`` arterials;
    every ``arterial_every``-th ring and the outermost ring are
    ``secondary``; the other rings are ``residential``.

    Parameters
    ----------
    rings
        Number of rings (>= 1).
    spokes
        Number of radial roads (>= 3).
    ring_spacing_m
        Distance between rings (m).
    arterial_every
        Ring interval of ``secondary`` rings; 0 means only the outer ring.

    Returns
    -------
    RoadNetwork
    """
    xs, ys = [0.0], [0.0]
    a_list, b_list, c_list = [], [], []
    previous_spoke_nodes = np.zeros(spokes, dtype=np.int64)  # all spokes start at the centre
    for r in range(1, rings + 1):
        radius = r * ring_spacing_m
        per_arc = max(1, int(np.ceil(2 * np.pi * radius / spokes / ring_spacing_m)))
        n_ring = spokes * per_arc
        theta = 2 * np.pi * np.arange(n_ring) / n_ring
        first = len(xs)
        xs.extend(radius * np.cos(theta))
        ys.extend(radius * np.sin(theta))
        ring_nodes = first + np.arange(n_ring)
        major = r == rings or (arterial_every > 0 and r % arterial_every == 0)
        ring_class = SECONDARY if major else RESIDENTIAL
        a_list.append(ring_nodes)
        b_list.append(np.roll(ring_nodes, -1))
        c_list.append(np.full(n_ring, ring_class, dtype=np.int8))
        spoke_nodes = ring_nodes[::per_arc]
        a_list.append(previous_spoke_nodes)
        b_list.append(spoke_nodes)
        c_list.append(np.full(spokes, PRIMARY, dtype=np.int8))
        previous_spoke_nodes = spoke_nodes
    x = np.asarray(xs) + rings * ring_spacing_m
    y = np.asarray(ys) + rings * ring_spacing_m
    meta = {"source": f"synthetic radial city, {rings} rings x {spokes} spokes"}
    return _two_way(
        x, y, np.concatenate(a_list), np.concatenate(b_list), np.concatenate(c_list), meta
    )
