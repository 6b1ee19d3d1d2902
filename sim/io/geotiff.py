"""A float raster as a GeoTIFF (tifffile with GeoKeys; no GDAL needed).

The raster's georeferencing is ``ModelPixelScaleTag`` and ``ModelTiepointTag``
(the upper-left corner of the upper-left cell, in the run's frame, metres);
when the city's CRS has an EPSG code the GeoKey directory names it
(``ProjectedCSTypeGeoKey``, metres), so GIS software places the map. A local
frame without EPSG code (a synthetic city, an OSM city's own transverse
Mercator) gets the scale and tie point only: positions in metres of the frame.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["write_geotiff"]

MODEL_PIXEL_SCALE = 33550
MODEL_TIEPOINT = 33922
GEO_KEY_DIRECTORY = 34735
RASTER_PIXEL_IS_AREA = 1


def _epsg(crs: str | None) -> int | None:
    if not crs:
        return None
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        parsed = CRS.from_user_input(crs)
    except CRSError:
        return None
    return parsed.to_epsg() if parsed.is_projected else None


def write_geotiff(path: Path, values: np.ndarray, x0_m: float, y_top_m: float, cell_m: float,
                  crs: str | None) -> Path:
    """Write ``values`` (rows from north to south) as a float32 GeoTIFF.

    Parameters
    ----------
    path
        Where.
    values
        ``(rows, cols)``, row 0 the northernmost.
    x0_m, y_top_m
        West and north edges of the raster (m, the run's frame).
    cell_m
        Cell size (m).
    crs
        The city's CRS, if any (EPSG-coded projected CRSs are written as GeoKeys).
    """
    import tifffile

    tags = [(MODEL_PIXEL_SCALE, "d", 3, (cell_m, cell_m, 0.0), True),
            (MODEL_TIEPOINT, "d", 6, (0.0, 0.0, 0.0, x0_m, y_top_m, 0.0), True)]
    epsg = _epsg(crs)
    keys = [1, 1, 0, 2, 1024, 0, 1, 1, 1025, 0, 1, RASTER_PIXEL_IS_AREA]  # projected, area
    if epsg is not None:
        keys[3] = 3
        keys += [3072, 0, 1, epsg]
    tags.append((GEO_KEY_DIRECTORY, "H", len(keys), tuple(keys), True))
    tifffile.imwrite(path, np.ascontiguousarray(values, dtype=np.float32), extratags=tags)
    return path
