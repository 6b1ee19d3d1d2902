"""Terrain: synthetic elevation surfaces and DEM grids aligned with the network.

Synthetic terrain covers the network's bounding box plus a margin of two
cells on every side, with the south-west corner on a multiple of the cell
size, so the same scenario always gives the same grid.

- ``plane``: ``z = base_m + slope * (xmax - x)``: a plane falling toward the
  east (water runs to +x).
- ``bowl``: ``z = base_m + depth_m * (r / R)**2 + plane``, with ``r`` the
  distance from the centre of the box and ``R`` its half-diagonal: a
  depression in the middle of the city.
- ``valley``: ``z = base_m + depth_m * |y - yc| / (H / 2) + plane``: a
  V-shaped valley along the x axis through the middle of the box, falling
  east with the plane's slope.
"""

from __future__ import annotations

import numpy as np

from sim.world.raster import Raster

MARGIN_CELLS = 2


def synthetic_terrain(
    bounds_m: tuple[float, float, float, float],
    *,
    kind: str,
    cell_m: float,
    slope: float,
    depth_m: float,
    base_m: float,
) -> Raster:
    """Return a synthetic elevation raster covering ``bounds_m``.

    Parameters
    ----------
    bounds_m
        ``(xmin, ymin, xmax, ymax)`` to cover (m).
    kind
        ``plane``, ``bowl`` or ``valley``.
    cell_m
        Cell size (m).
    slope
        Fall of the plane toward +x (m/m).
    depth_m
        Relief of the bowl or valley (m).
    base_m
        Elevation of the lowest point of the plane (m).

    Returns
    -------
    Raster
        Elevation (m).
    """
    xmin, ymin, xmax, ymax = bounds_m
    x0 = np.floor(xmin / cell_m) * cell_m - MARGIN_CELLS * cell_m
    y0 = np.floor(ymin / cell_m) * cell_m - MARGIN_CELLS * cell_m
    cols = int(np.ceil((xmax - x0) / cell_m)) + MARGIN_CELLS
    rows = int(np.ceil((ymax - y0) / cell_m)) + MARGIN_CELLS
    grid = Raster(np.zeros((rows, cols)), float(x0), float(y0), float(cell_m))
    x, y = grid.cell_centres()
    gx0, gy0, gx1, gy1 = grid.bounds_m
    z = base_m + slope * (gx1 - x)
    xc, yc = (gx0 + gx1) / 2, (gy0 + gy1) / 2
    if kind == "bowl":
        r_max = np.hypot(gx1 - xc, gy1 - yc)
        z = z + depth_m * (np.hypot(x - xc, y - yc) / r_max) ** 2
    elif kind == "valley":
        z = z + depth_m * np.abs(y - yc) / ((gy1 - gy0) / 2)
    elif kind != "plane":
        raise ValueError(f"unknown synthetic terrain kind {kind!r}")
    return Raster(z, grid.x0_m, grid.y0_m, grid.cell_m)
