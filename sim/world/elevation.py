"""Real elevation into the run's frame: a DEM resampled onto the frame's grid.

The DEM file is read by :mod:`citysim.scenario.geogrid` (a
:class:`~citysim.scenario.geogrid.GeoGrid`, row 0 at the north, in the file's
own CRS); :func:`to_frame` turns it into a :class:`~citysim.world.raster.Raster`
in the run's metric frame (row 0 to the south, square cells of ``cell_m``), the
grid the flood model runs on.

Resampling (:func:`to_frame`): each target cell is the mean of ``k x k``
bilinear samples spread evenly over the cell, ``k = ceil(cell_m / source
pixel)``; upsampling (``k = 1``) is plain bilinear interpolation between
source pixel centres. A sample whose nearest source pixel has no data has
no data; otherwise missing neighbours are left out of the bilinear weights.
A target cell with fewer than half of its samples valid has no data (NaN):
the mask keeps its shape at any cell size.
"""

from __future__ import annotations

import math

import numpy as np

from citysim.scenario.geogrid import GeoGrid
from citysim.world.raster import Raster


def pixel_size_m(grid: GeoGrid, frame_crs: str) -> float:
    """Smaller side of a source pixel at the grid's centre, in the frame (m)."""
    from pyproj import Transformer  # DEM inputs only: not on every run's import path

    west, south, east, north = grid.bounds
    cx, cy = (west + east) / 2, (south + north) / 2
    to_frame = Transformer.from_crs(grid.crs, frame_crs, always_xy=True)
    x, y = to_frame.transform(np.array([cx, cx + grid.dx, cx]), np.array([cy, cy, cy - grid.dy]))
    return float(min(math.hypot(x[1] - x[0], y[1] - y[0]), math.hypot(x[2] - x[0], y[2] - y[0])))


def to_frame(
    grid: GeoGrid, frame_crs: str, *, x0_m: float, y0_m: float, rows: int, cols: int,
    cell_m: float,
) -> Raster:
    """Resample a grid onto a raster of the run's metric frame.

    Parameters
    ----------
    grid
        The source grid.
    frame_crs
        CRS of the frame (``RoadNetwork.crs``: a PROJ string or EPSG code).
    x0_m, y0_m
        South-west corner of the target raster in the frame (m).
    rows, cols
        Target shape.
    cell_m
        Target cell size (m).

    Returns
    -------
    Raster
        Row 0 to the south; NaN where the source has no data or does not reach
        (module docstring).
    """
    from pyproj import Transformer  # DEM inputs only: not on every run's import path

    k = max(1, math.ceil(cell_m / pixel_size_m(grid, frame_crs) - 1e-9))
    offsets = (np.arange(k) + 0.5) / k * cell_m
    xs = x0_m + (np.arange(cols) * cell_m)[None, :, None, None] + offsets[None, None, None, :]
    ys = y0_m + (np.arange(rows) * cell_m)[:, None, None, None] + offsets[None, None, :, None]
    xs, ys = np.broadcast_arrays(xs, ys)  # (rows, cols, k, k)
    to_src = Transformer.from_crs(frame_crs, grid.crs, always_xy=True)
    sx, sy = to_src.transform(xs.ravel(), ys.ravel())
    samples = grid.sample(np.asarray(sx), np.asarray(sy)).reshape(rows, cols, k * k)
    valid = np.isfinite(samples)
    count = valid.sum(axis=2)
    total = np.where(valid, samples, 0.0).sum(axis=2)
    values = np.where(2 * count >= k * k, total / np.maximum(count, 1), np.nan)
    return Raster(values, float(x0_m), float(y0_m), float(cell_m))
