"""GeoJSON layer of hydrant gaps: street stretches and buildings beyond the hose (WGS84)."""

from __future__ import annotations

from typing import Any

from citysim.io.geojson import Feature, _feature, _point, to_collection

__all__ = ["hydrant_gaps_collection"]


def hydrant_gaps_collection(world: Any, coverage: Any) -> dict[str, Any]:
    """The ``hydrant_gaps`` FeatureCollection.

    One LineString per uncovered stretch of street (``kind: street``,
    ``edge``, ``start_m``, ``end_m``, ``length_m``) and one Point per
    building whose frontage is beyond the radius (``kind: building``,
    ``building``, ``hose_m``: the hose length from the nearest usable
    hydrant, null when none reaches).

    Parameters
    ----------
    world
        The built world (``crs`` must be geographic: GeoJSON is WGS84).
    coverage
        :class:`citysim.analysis.hydrants.HydrantCoverage` of it.

    Returns
    -------
    dict
        A GeoJSON FeatureCollection.
    """
    features: list[Feature] = []
    for r in coverage.gaps.itertuples():
        line = {"type": "LineString", "coordinates": [[float(r.x0), float(r.y0)],
                                                      [float(r.x1), float(r.y1)]]}
        features.append(_feature(line, {"kind": "street", "edge": int(r.street),
                                        "start_m": float(r.start_m), "end_m": float(r.end_m),
                                        "length_m": float(r.end_m - r.start_m)}))
    b = world.buildings
    if b is not None and coverage.building_distance_m.size == len(b):
        for k in (~coverage.building_covered).nonzero()[0]:
            features.append(_feature(_point(b.x_m[k], b.y_m[k]), {
                "kind": "building", "building": b.id[k],
                "hose_m": float(coverage.building_distance_m[k])}))
    return to_collection("hydrant_gaps", features, world.crs)
