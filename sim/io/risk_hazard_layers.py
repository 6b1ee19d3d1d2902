"""GIS layers of the flood source of a risk assessment: waterlogging points per return period.

Written by ``citysim risk`` into ``gis/`` beside the chemical layers
(:mod:`citysim.io.risk_layers`), only when the city has a geographic frame
(local metres are never written as GeoJSON, :mod:`citysim.io.geojson`):
``waterlogging_T<years>.geojson``, one Point per waterlogging point of the
storm whose water reached 0.15 m (streets, underpasses), with its rank,
kind, name and deepest water (WGS84).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from citysim.hazards.flood import WATERLOGGING_DEPTH_M
from citysim.io.geojson import Feature, _feature, _point
from citysim.io.risk_layers import write_collections

__all__ = ["write_waterlogging_layers"]


def write_waterlogging_layers(waterlogging: dict[float, Any], crs: str | None,
                              gis_dir: Path) -> list[Path]:
    """Write ``gis/waterlogging_T<years>.geojson`` per return period; nothing without a frame."""
    if crs is None:
        return []
    layers: dict[str, list[Feature]] = {}
    for t, table in waterlogging.items():
        wet = table[table["max_depth_m"] >= WATERLOGGING_DEPTH_M]
        layers[f"waterlogging_T{t:g}"] = [
            _feature(_point(r["x"], r["y"]), {k: v for k, v in r.items() if k not in ("x", "y")},
                     int(r["rank"])) for r in wet.to_dict("records")]
    return write_collections(layers, crs, gis_dir)
