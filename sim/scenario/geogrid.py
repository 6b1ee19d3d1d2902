"""Gridded data files (elevation, population): GeoTIFF and SRTM ``.hgt`` readers.

A :class:`GeoGrid` holds a raster as its file has it: row 0 at the NORTH
edge, in the file's own coordinate reference system (CRS: WGS84 lon/lat for
SRTM, or a projected CRS such as a UTM zone). The scenario reads population
GeoTIFFs with it at load (:mod:`citysim.scenario.population_data`);
:func:`citysim.world.elevation.to_frame` resamples a DEM onto a
:class:`~citysim.world.raster.Raster` in the run's metric frame, the grid the
flood model runs on.

Readers (no GDAL needed):

- :func:`read_geotiff`: single-band GeoTIFF through ``tifffile``, georeferenced
  by ``ModelPixelScale`` + ``ModelTiepoint`` (no rotation) and an EPSG code
  in the GeoKeys (``GeographicTypeGeoKey`` or ``ProjectedCSTypeGeoKey``);
  ``PixelIsPoint`` grids are shifted half a pixel, as GDAL does. The GDAL
  ``NODATA`` tag (42113) marks missing cells. Uncompressed, deflate and
  PackBits files read as they are; LZW or JPEG need ``pip install imagecodecs``.
- :func:`read_hgt`: an SRTM tile (``N42E001.hgt``, or that file inside a
  ``.zip``): 1201 x 1201 (3 arc-seconds) or 3601 x 3601 (1 arc-second)
  big-endian int16 samples, the first at the tile's north-west corner, on
  whole-degree lines (sample centres, so the grid reaches half a sample
  beyond the tile); -32768 marks voids.
"""

from __future__ import annotations

import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from citysim.errors import ScenarioError

HGT_VOID = -32768
"""Value of a void (no data) in SRTM ``.hgt`` files."""
HGT_SIZES = {1201: 3, 3601: 1}
"""Samples per side of an SRTM tile -> arc-seconds between samples."""
_HGT_NAME = re.compile(r"([NS])(\d{2})([EW])(\d{3})\.hgt$", re.IGNORECASE)
_GDAL_NODATA_TAG = 42113
_PIXEL_IS_POINT = 2
_USER_DEFINED = 32767


@dataclass(frozen=True, eq=False)
class GeoGrid:
    """A north-up raster in its own CRS.

    Attributes
    ----------
    values
        Cell values, shape (rows, cols), row 0 at the NORTH edge, float64;
        NaN = no data.
    x0, y0
        West edge of column 0 and north edge of row 0 (CRS units: degrees
        for lon/lat, metres for projected CRSs).
    dx, dy
        Pixel width and height (CRS units, > 0); rows run south.
    crs
        The CRS, as pyproj accepts it (``EPSG:4326``).
    source
        The file read.
    """

    values: np.ndarray
    x0: float
    y0: float
    dx: float
    dy: float
    crs: str
    source: str = ""

    @property
    def shape(self) -> tuple[int, int]:
        """Grid shape ``(rows, cols)``."""
        return self.values.shape

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """Extent ``(west, south, east, north)`` in CRS units."""
        rows, cols = self.shape
        return (self.x0, self.y0 - rows * self.dy, self.x0 + cols * self.dx, self.y0)

    def pixel_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the x and y of every pixel centre (CRS units), each shape (rows, cols)."""
        rows, cols = self.shape
        x = self.x0 + (np.arange(cols) + 0.5) * self.dx
        y = self.y0 - (np.arange(rows) + 0.5) * self.dy
        return np.meshgrid(x, y)

    def sample(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Bilinear value at points (CRS units); NaN outside the grid or over no data.

        Between pixel centres the four neighbours are weighted bilinearly,
        leaving out those with no data (weights renormalised); a point whose
        nearest pixel has no data is NaN. Within half a pixel of the edge the
        edge pixels are extended.

        Parameters
        ----------
        x, y
            Coordinates in the grid's CRS, one shape.

        Returns
        -------
        numpy.ndarray
            Values, the shape of ``x``.
        """
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        rows, cols = self.shape
        fc = (x - self.x0) / self.dx - 0.5  # fractional column of the pixel centres
        fr = (self.y0 - y) / self.dy - 0.5
        inside = (fc >= -0.5) & (fc <= cols - 0.5) & (fr >= -0.5) & (fr <= rows - 0.5)
        fc = np.clip(np.nan_to_num(fc), 0.0, cols - 1.0)
        fr = np.clip(np.nan_to_num(fr), 0.0, rows - 1.0)
        c0 = np.minimum(np.floor(fc).astype(np.int64), max(cols - 2, 0))
        r0 = np.minimum(np.floor(fr).astype(np.int64), max(rows - 2, 0))
        c1 = np.minimum(c0 + 1, cols - 1)
        r1 = np.minimum(r0 + 1, rows - 1)
        tc, tr = fc - c0, fr - r0
        total = np.zeros_like(fc)
        weight = np.zeros_like(fc)
        for r, c, w in ((r0, c0, (1 - tr) * (1 - tc)), (r0, c1, (1 - tr) * tc),
                        (r1, c0, tr * (1 - tc)), (r1, c1, tr * tc)):
            v = self.values[r, c]
            ok = np.isfinite(v)
            total += np.where(ok, v, 0.0) * w * ok
            weight += w * ok
        nearest = self.values[np.rint(fr).astype(np.int64), np.rint(fc).astype(np.int64)]
        good = inside & np.isfinite(nearest) & (weight > 0)
        return np.where(good, total / np.where(weight > 0, weight, 1.0), np.nan)


# --- readers ---------------------------------------------------------------------------


def read_geotiff(
    path: str | Path, *, nodata: float | None = None, yaml_path: str = ""
) -> GeoGrid:
    """Read a single-band GeoTIFF.

    Parameters
    ----------
    path
        The ``.tif`` / ``.tiff`` file.
    nodata
        A value that marks missing cells besides the file's own NODATA tag
        (e.g. 0 where a DEM gives open water as 0).
    yaml_path
        Where the file was named in the scenario, for errors.

    Returns
    -------
    GeoGrid

    Raises
    ------
    ScenarioError
        If the file is missing, not a TIFF, not georeferenced by pixel scale
        and tie point, has several bands, or its CRS has no EPSG code.
    """
    import tifffile

    path = Path(path)
    where = f"GeoTIFF {str(path)!r}"
    if not path.is_file():
        raise ScenarioError(f"{where} not found", path=yaml_path)
    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages.first
            geo = tif.geotiff_metadata or {}
            nodata_tag = page.tags.get(_GDAL_NODATA_TAG)
            values = page.asarray()
    except (tifffile.TiffFileError, OSError, ValueError, KeyError, IndexError) as exc:
        raise ScenarioError(f"{where} is not a readable TIFF: {exc}", path=yaml_path) from None
    if values.ndim != 2:
        raise ScenarioError(f"{where} has {values.ndim} dimensions {values.shape}: expected "
                            "a single-band grid", path=yaml_path)
    scale, tie = geo.get("ModelPixelScale"), geo.get("ModelTiepoint")
    if scale is None or tie is None or len(tie) < 6 or "ModelTransformation" in geo:
        raise ScenarioError(f"{where} is not georeferenced by ModelPixelScale and "
                            "ModelTiepoint (a rotated or untagged TIFF); warp it to a north-up "
                            "grid first (gdalwarp)", path=yaml_path)
    crs = _geotiff_crs(geo, where, yaml_path)
    dx, dy = float(scale[0]), float(scale[1])
    i, j, x, y = float(tie[0]), float(tie[1]), float(tie[3]), float(tie[4])
    x0, y0 = x - i * dx, y + j * dy  # the tie point may be any pixel
    if int(geo.get("GTRasterTypeGeoKey", 1)) == _PIXEL_IS_POINT:
        x0, y0 = x0 - dx / 2, y0 + dy / 2
    out = values.astype(np.float64)
    missing = ~np.isfinite(out)
    if nodata_tag is not None:
        try:
            missing |= out == float(str(nodata_tag.value).strip().strip("\x00"))
        except ValueError:
            pass
    if nodata is not None:
        missing |= out == float(nodata)
    out[missing] = np.nan
    return GeoGrid(out, x0, y0, dx, dy, crs, str(path))


def _geotiff_crs(geo: dict, where: str, yaml_path: str) -> str:
    """EPSG code of a GeoTIFF's CRS, from its GeoKeys."""
    from pyproj import CRS  # GeoTIFF inputs only: not on every run's import path
    from pyproj.exceptions import CRSError

    for key in ("ProjectedCSTypeGeoKey", "GeographicTypeGeoKey"):
        code = geo.get(key)
        if code is not None and int(code) != _USER_DEFINED:
            crs = f"EPSG:{int(code)}"
            try:
                CRS.from_user_input(crs)
            except CRSError:
                break
            return crs
    raise ScenarioError(f"{where}: its CRS has no EPSG code in the GeoKeys; warp it to "
                        "EPSG:4326 or a UTM zone first (gdalwarp -t_srs)", path=yaml_path)


def read_hgt(path: str | Path, *, nodata: float | None = None, yaml_path: str = "") -> GeoGrid:
    """Read an SRTM ``.hgt`` tile (or a ``.zip`` holding one).

    Parameters
    ----------
    path
        ``N42E001.hgt`` or ``N42E001.hgt.zip``: the name gives the tile's
        south-west corner.
    nodata
        A value that marks missing cells besides the voids (-32768).
    yaml_path
        Where the file was named in the scenario, for errors.

    Returns
    -------
    GeoGrid
        Elevation (m) in EPSG:4326.

    Raises
    ------
    ScenarioError
        If the file is missing, badly named, or not a 1201² or 3601² tile.
    """
    path = Path(path)
    where = f"SRTM tile {str(path)!r}"
    if not path.is_file():
        raise ScenarioError(f"{where} not found", path=yaml_path)
    name = path.name
    try:
        if name.lower().endswith(".zip"):
            with zipfile.ZipFile(path) as archive:
                inner = [n for n in archive.namelist() if n.lower().endswith(".hgt")]
                if len(inner) != 1:
                    raise ScenarioError(f"{where}: expected one .hgt file in the archive, "
                                        f"found {len(inner)}", path=yaml_path)
                name = Path(inner[0]).name
                raw = archive.read(inner[0])
        else:
            raw = path.read_bytes()
    except (OSError, zipfile.BadZipFile) as exc:
        raise ScenarioError(f"cannot read {where}: {exc}", path=yaml_path) from None
    match = _HGT_NAME.search(name)
    if match is None:
        raise ScenarioError(f"{where}: the name must give the tile corner, as in N42E001.hgt",
                            path=yaml_path)
    side = math.isqrt(len(raw) // 2)
    if side not in HGT_SIZES or side * side * 2 != len(raw):
        raise ScenarioError(f"{where}: {len(raw)} bytes is not an SRTM tile (1201 x 1201 or "
                            "3601 x 3601 big-endian 16-bit samples)", path=yaml_path)
    ns, lat, ew, lon = match.groups()
    south = int(lat) * (1 if ns.upper() == "N" else -1)
    west = int(lon) * (1 if ew.upper() == "E" else -1)
    values = np.frombuffer(raw, dtype=">i2").reshape(side, side).astype(np.float64)
    missing = values == HGT_VOID
    if nodata is not None:
        missing |= values == float(nodata)
    values[missing] = np.nan
    step = 1.0 / (side - 1)
    return GeoGrid(values, west - step / 2, south + 1 + step / 2, step, step, "EPSG:4326",
                   str(path))
