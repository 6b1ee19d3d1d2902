"""GIS layers of a risk assessment: individual-risk contours, sources, places (GeoJSON, WGS84).

Written by ``citysim risk`` into ``gis/`` when the city has a geographic
frame (an OSM or GraphML city, or a synthetic city with ``city.origin``;
:mod:`citysim.io.geojson` explains why local metres are never written as
GeoJSON):

- ``ir_contours.geojson`` -- one (multi)polygon per level of
  :data:`citysim.risk.qra.IR_CONTOURS`: where the individual risk reaches it
  (the union of the map's cells), with ``level_per_year`` and ``area_km2``;
- ``risk_sources.geojson`` -- Points: the sites (in the file's order) with their
  name and PLL;
- ``risk_places.geojson`` -- Points: each place, its class, criterion,
  individual risk, whether it breaks the criterion and its main source.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from citysim.io.atomic import write_atomic
from citysim.io.geojson import (
    Feature,
    _feature,
    _point,
    _polygon_geometry,
    _raster_polygons,
    to_collection,
)

__all__ = ["risk_layers", "write_collections", "write_risk_layers"]


def risk_layers(result: Any, contours: tuple[float, ...]) -> dict[str, list[Feature]]:
    """The layers of a :class:`citysim.risk.RiskResult` in the run's frame (m)."""
    gx, gy = result.grid_x_m, result.grid_y_m
    cell = float(result.summary["cell_m"])
    raster = SimpleNamespace(x_edges_m=np.r_[gx - 0.5 * cell, gx[-1] + 0.5 * cell],
                             y_edges_m=np.r_[gy - 0.5 * cell, gy[-1] + 0.5 * cell])
    ir = result.individual_risk
    zones = []
    for level in contours:
        mask = ir >= level
        if mask.any():
            geom = _raster_polygons(raster, mask)
            zones.append(_feature(_polygon_geometry(geom), {
                "level_per_year": level, "area_km2": float(mask.sum()) * cell * cell / 1e6},
                f"{level:.0e}"))
    # the inventory is ranked by PLL, the positions are in the file's order: join by id
    pll = result.inventory.groupby("source", sort=False)["pll_static_per_year"].sum()
    names = dict(zip(result.inventory["source"], result.inventory["name"], strict=True))
    sources = [_feature(_point(x, y), {"source": sid, "name": names.get(sid, sid),
                                       "pll_static_per_year": float(pll.get(sid, 0.0))}, sid)
               for sid, (x, y) in zip(result.source_ids, result.sources_xy, strict=True)]
    places = [_feature(_point(r["x"], r["y"]), {k: v for k, v in r.items() if k not in ("x", "y")},
                       r["place"]) for r in result.places.to_dict("records")]
    return {"ir_contours": zones, "risk_sources": sources, "risk_places": places}


def write_risk_layers(result: Any, contours: tuple[float, ...], crs: str | None,
                      gis_dir: Path) -> list[Path]:
    """Write the layers as ``gis/<name>.geojson``; nothing when the city has no geographic frame."""
    if crs is None:
        return []
    return write_collections(risk_layers(result, contours), crs, gis_dir)


def write_collections(layers: dict[str, list[Feature]], crs: str, gis_dir: Path) -> list[Path]:
    """Write each layer as the FeatureCollection ``gis/<name>.geojson`` (WGS84, ``crs``: the frame).

    Parameters
    ----------
    layers
        Features by layer name, in the run's frame (m).
    crs
        The city's coordinate reference system.
    gis_dir
        The folder written to.

    Returns
    -------
    list of pathlib.Path
        The files written, in the order of ``layers``.
    """
    written = []
    for name, features in layers.items():
        text = json.dumps(to_collection(name, features, crs), allow_nan=False,
                          separators=(",", ":"))
        written.append(write_atomic(Path(gis_dir) / f"{name}.geojson",
                                    partial(_write_text, text)))
    return written


def _write_text(text: str, path: Path) -> None:
    path.write_text(text, encoding="utf-8")
