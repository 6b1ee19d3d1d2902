"""Real population data, read at load: counts at points from a CSV file or a GeoTIFF.

A ``csv`` or ``geotiff`` population distribution (``city.population.distribution``)
names a file of persons at points; the schema reads it when the scenario loads,
so that a bad file is reported at its YAML path and ``residents`` defaults to
the data's total (:func:`population_points`). :func:`citysim.world.population.place_points`
gives the persons their homes when the world is built.

- ``csv: FILE``: counts at points, such as the centres of a hexagon grid:
  columns ``lon, lat`` (WGS84) or ``x, y`` (scenario frame) and a count
  column (``population`` unless ``count`` names another); other columns are
  ignored (:func:`read_points_csv`);
- ``geotiff: FILE``: a population raster (persons per pixel, such as WorldPop
  or GHS-POP) in its own CRS, one point per pixel with persons
  (:func:`read_points_raster`).

``city.bbox`` leaves out points outside the box (:meth:`PopulationPoints.clip`).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from citysim.errors import ScenarioError
from citysim.scenario.geogrid import read_geotiff

WGS84 = "EPSG:4326"


@dataclass(frozen=True, eq=False)
class PopulationPoints:
    """Counts of persons at points, each spread over a small area.

    Attributes
    ----------
    x, y
        Point coordinates in ``crs`` (lon/lat for EPSG:4326), or in the
        scenario frame (m) when ``crs`` is ``None``.
    count
        Persons at each point (float: raster counts may be fractional).
    crs
        CRS of ``x, y``; ``None``: the scenario frame.
    radius_m
        Persons of a point live within this distance of it (m); ``None``:
        inside the pixel ``cell`` instead.
    cell
        ``(dx, dy)`` pixel size in ``crs`` units, for raster data.
    source
        The file read, and what was left out (``meta``).
    """

    x: np.ndarray
    y: np.ndarray
    count: np.ndarray
    crs: str | None
    radius_m: float | None = None
    cell: tuple[float, float] | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> float:
        """Persons at all points."""
        return float(self.count.sum())

    def clip(self, bbox: tuple[float, float, float, float] | None) -> PopulationPoints:
        """Leave out the points outside a WGS84 box (frame coordinates are never clipped)."""
        if bbox is None or self.crs is None:
            return self
        lon, lat = self.x, self.y
        if self.crs != WGS84:
            from pyproj import Transformer  # CRS inputs only: not on every run's import path

            lon, lat = Transformer.from_crs(self.crs, WGS84, always_xy=True).transform(lon, lat)
        keep = (lon >= bbox[0]) & (lon <= bbox[2]) & (lat >= bbox[1]) & (lat <= bbox[3])
        meta = {**self.meta, "bbox": [float(v) for v in bbox],
                "points_outside": int((~keep).sum()),
                "persons_outside": float(self.count[~keep].sum())}
        return PopulationPoints(self.x[keep], self.y[keep], self.count[keep], self.crs,
                                self.radius_m, self.cell, meta)


def read_points_csv(
    path: str | Path, *, count: str = "population", yaml_path: str = ""
) -> PopulationPoints:
    """Read counts at points from a CSV file (``lon, lat`` or ``x, y`` and a count column).

    Parameters
    ----------
    path
        The CSV file (UTF-8, header row).
    count
        Name of the count column.
    yaml_path
        Where the file was named, for errors.

    Returns
    -------
    PopulationPoints
        With ``radius_m`` unset (see :func:`place_points`).

    Raises
    ------
    ScenarioError
        If columns are missing or a value is not a number (counts: >= 0).
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ScenarioError(f"cannot read {path}: {exc}", path=yaml_path) from None
    if not rows:
        raise ScenarioError(f"{path.name} is empty: expected a header row", path=yaml_path)
    header = [h.strip() for h in rows[0]]
    geo = "lon" in header and "lat" in header
    cols = ("lon", "lat") if geo else ("x", "y")
    missing = [c for c in (*cols, count) if c not in header]
    if missing:
        raise ScenarioError(f"{path.name}: missing column(s) {', '.join(missing)} (expected "
                            f"lon, lat or x, y, and the count column {count!r}; found "
                            f"{', '.join(header)})", path=yaml_path)
    index = [header.index(c) for c in (*cols, count)]
    values = np.empty((len(rows) - 1, 3))
    for r, row in enumerate(rows[1:]):
        for c, i in enumerate(index):
            cell = row[i].strip() if i < len(row) else ""
            try:
                values[r, c] = float(cell) if cell else (0.0 if c == 2 else math.nan)
            except ValueError:
                values[r, c] = math.nan
            if not math.isfinite(values[r, c]) or (c == 2 and values[r, c] < 0):
                what = "a count >= 0" if c == 2 else "a number"
                raise ScenarioError(f"{path.name}, line {r + 2}: column {header[i]!r}: expected "
                                    f"{what}, got {cell!r}", path=yaml_path)
    meta = {"source": str(path), "points": int(values.shape[0]),
            "persons_in_file": float(values[:, 2].sum())}
    return PopulationPoints(values[:, 0], values[:, 1], values[:, 2], WGS84 if geo else None,
                            meta=meta)


def read_points_raster(path: str | Path, *, yaml_path: str = "") -> PopulationPoints:
    """Read a population GeoTIFF (persons per pixel) as counts at pixel centres.

    Parameters
    ----------
    path
        The GeoTIFF; no-data pixels count 0.
    yaml_path
        Where the file was named, for errors.

    Returns
    -------
    PopulationPoints
        One point per pixel with persons, spread over the pixel.
    """
    grid = read_geotiff(path, yaml_path=yaml_path)
    values = np.nan_to_num(grid.values, nan=0.0)
    if values.min() < 0:
        raise ScenarioError(f"{Path(path).name}: persons per pixel must be >= 0, found "
                            f"{values.min():g}", path=yaml_path)
    x, y = grid.pixel_centres()
    keep = values > 0
    meta = {"source": str(path), "points": int(keep.sum()), "persons_in_file": float(values.sum())}
    return PopulationPoints(x[keep], y[keep], values[keep], grid.crs, cell=(grid.dx, grid.dy),
                            meta=meta)


def population_points(dist: Any, bbox: Any = None) -> PopulationPoints:
    """Read the data of a ``csv`` or ``geotiff`` population distribution.

    Parameters
    ----------
    dist
        The scenario's ``city.population.distribution`` (``csv``, ``count``,
        ``radius_m`` or ``geotiff``).
    bbox
        The scenario's ``city.bbox`` (points outside are left out), or ``None``.

    Returns
    -------
    PopulationPoints
    """
    where = "city.population.distribution"
    if dist.csv is not None:
        points = read_points_csv(dist.csv, count=dist.count or "population",
                                 yaml_path=f"{where}.csv")
        points = replace(points, radius_m=dist.radius_m)
    else:
        points = read_points_raster(dist.geotiff, yaml_path=f"{where}.geotiff")
    return points.clip(None if bbox is None else bbox.as_tuple())
