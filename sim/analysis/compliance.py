"""Stations against the standard: one row per station, each item met or not met.

What is judged, and where each number comes from (docs/fire-protection.md,
"Where the numbers come from", gives the clauses and what they say):

- **Class.**  Declared on the station (``class: class_1 | class_2 | small``:
  一级, 二级, 小型 普通消防站 of 建标152-2017), or inferred from its fire
  vehicles (engine + ladder + rescue + hazmat): the highest class whose
  vehicle minimum it meets, else ``small``.
- **Area**: the district (cells of the coverage raster whose nearest node the
  station reaches first, :mod:`citysim.analysis.coverage`) within the limit
  of the class, 7 / 4 / 2 km² (:data:`~citysim.analysis.coverage.AREA_LIMITS_KM2`):
  建标152-2017 第十四条 (一级站不宜大于7km², 二级站不宜大于4km², 小型站不宜大于
  2km²); confirmed from reproductions of the text.
- **Edge time**: the latest arrival after dispatch at any point of the
  district's streets within the standard, the scenario's
  ``response.standard`` (default 5 min): GB 51080-2015 §4.1.3 (接到出动指令后
  5min内可以到达其辖区边缘), confirmed.
- **Vehicles**: the station's fire vehicles at least the minimum of its
  class, the scenario's ``response.min_fire_vehicles`` (default 5 / 2 / 2,
  :data:`MIN_VEHICLES`): an **assumption, not confirmed from the standard**.
- **Hydrants**: every street of the district within the hydrant radius along
  the streets (:mod:`citysim.analysis.hydrants`, 150 m of GB 50974-2014 §7.2);
  a street belongs to the district of its end reached first, a building to
  that of its frontage.

A verdict is ``True`` (met), ``False`` (not met) or ``None`` (cannot be
judged: a station without engines has no district; a city without
``hydrants:`` has no hydrant verdict).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from citysim.analysis.coverage import AREA_LIMITS_KM2, Coverage
from citysim.analysis.hydrants import HydrantCoverage
from citysim.scenario.schema import MinFireVehicles
from citysim.world.sites import UNIT_TYPES

__all__ = ["FIRE_VEHICLES", "MIN_VEHICLES", "compliance_sources", "infer_class",
           "station_compliance"]

MIN_VEHICLES: dict[str, int] = MinFireVehicles().model_dump()
"""Fewest fire vehicles by station class, the defaults of ``response.min_fire_vehicles``
(:class:`~citysim.scenario.schema.MinFireVehicles`): an assumption, not confirmed
from 建标152-2017."""
FIRE_VEHICLES = ("engine", "ladder", "rescue", "hazmat")
"""Unit types counted as fire vehicles (ambulances are not)."""
_FULL = 1.0 - 1e-9
"""A district whose streets are all within the radius (float rounding aside)."""


def infer_class(vehicles: int, min_vehicles: Mapping[str, int] | None = None) -> str:
    """The highest class whose vehicle minimum ``vehicles`` meets; ``small`` otherwise.

    ``min_vehicles`` maps each class to its minimum; default :data:`MIN_VEHICLES`.
    """
    minimum = MIN_VEHICLES if min_vehicles is None else min_vehicles
    for name in ("class_1", "class_2"):
        if vehicles >= minimum[name]:
            return name
    return "small"


def compliance_sources(standard_s: float,
                       min_vehicles: Mapping[str, int] | None = None) -> dict[str, Any]:
    """Where each number ``stations_compliance.csv`` judges against comes from.

    Parameters
    ----------
    standard_s
        The edge-time standard used (s).
    min_vehicles
        The vehicle minimums used; default :data:`MIN_VEHICLES`.

    Returns
    -------
    dict
        ``area_limit_km2``, ``standard_s``, ``min_vehicles``, ``hydrant_radius_m``:
        each ``{value, source, confirmed}``; ``confirmed`` is true only for a
        value read in the standard's text (through reproductions of it), false
        for a scenario assumption.  ``coverage.json`` carries it.
    """
    from citysim.analysis.coverage import AREA_LIMITS_KM2
    from citysim.analysis.hydrants import HYDRANT_RADIUS_M

    minimum = dict(MIN_VEHICLES if min_vehicles is None else min_vehicles)
    return {
        "area_limit_km2": {
            "value": dict(AREA_LIMITS_KM2), "confirmed": True,
            "source": "建标152-2017 art. 14: class 1 not above 7 km2, class 2 4 km2, small 2 km2"},
        "standard_s": {
            "value": float(standard_s), "confirmed": float(standard_s) == 300.0,
            "source": ("GB 51080-2015 4.1.3: reach the district edge within 5 min of the "
                       "dispatch order" if float(standard_s) == 300.0 else
                       "the scenario's response.standard (not the 5 min of GB 51080-2015 "
                       "4.1.3)")},
        "min_vehicles": {
            "value": minimum, "confirmed": False,
            "source": "response.min_fire_vehicles: assumption, not confirmed from the standard"},
        "hydrant_radius_m": {
            "value": HYDRANT_RADIUS_M, "confirmed": True,
            "source": "GB 50974-2014 7.2: municipal hydrant protection radius not above 150 m"},
    }


def station_compliance(
    stations: Any,
    coverage: Coverage,
    hydrants: HydrantCoverage | None = None,
    network: Any = None,
    min_vehicles: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """The ``stations_compliance.csv`` table.

    Parameters
    ----------
    stations
        The world's :class:`~citysim.world.sites.Stations`.
    coverage
        Station coverage of the world
        (:func:`~citysim.analysis.coverage.station_coverage`).
    hydrants
        Hydrant coverage of the world, or ``None`` (no hydrant verdict).
    network
        The road network (needed with ``hydrants``).
    min_vehicles
        Fewest fire vehicles by class (``response.min_fire_vehicles``);
        default :data:`MIN_VEHICLES`.

    Returns
    -------
    pandas.DataFrame
        One row per station: ``station, name, class, class_source,
        district_area_km2, area_limit_km2, area_met, edge_time_s,
        standard_s, edge_time_met, vehicles, min_vehicles, vehicles_met,
        hydrant_street_fraction, hydrant_building_fraction, hydrants_met,
        all_met``.
    """
    n = len(stations)
    minimum = dict(MIN_VEHICLES if min_vehicles is None else min_vehicles)
    cols = [UNIT_TYPES.index(k) for k in FIRE_VEHICLES]
    vehicles = (stations.units[:, cols].sum(axis=1) if n else np.zeros(0, dtype=np.int64))
    declared = stations.station_class or [None] * n
    street_frac, building_frac = _district_hydrants(coverage, hydrants, network, n)
    table = coverage.stations
    rows = []
    for k in range(n):
        cls = declared[k] or infer_class(int(vehicles[k]), minimum)
        has_district = bool(table["units"].iloc[k] > 0)
        area = float(table["district_area_km2"].iloc[k])
        edge = table["district_max_time_s"].iloc[k]
        edge = None if edge is None or edge != edge else float(edge)
        area_met = bool(area <= AREA_LIMITS_KM2[cls]) if has_district else None
        edge_met = None if edge is None else bool(edge <= coverage.standard_s + 1e-9)
        veh_met = bool(vehicles[k] >= minimum[cls])
        hyd_met = (None if hydrants is None or not has_district or street_frac[k] != street_frac[k]
                   else bool(street_frac[k] >= _FULL))
        verdicts = [area_met, edge_met, veh_met, hyd_met]
        rows.append({
            "station": stations.id[k], "name": stations.name[k], "class": cls,
            "class_source": "declared" if declared[k] else "inferred",
            "district_area_km2": area, "area_limit_km2": AREA_LIMITS_KM2[cls],
            "area_met": area_met, "edge_time_s": edge, "standard_s": coverage.standard_s,
            "edge_time_met": edge_met, "vehicles": int(vehicles[k]),
            "min_vehicles": minimum[cls], "vehicles_met": veh_met,
            "hydrant_street_fraction": _none_if_nan(street_frac[k]),
            "hydrant_building_fraction": _none_if_nan(building_frac[k]),
            "hydrants_met": hyd_met,
            "all_met": all(v is True for v in verdicts if v is not None)
                       and any(v is not None for v in verdicts),
        })
    return pd.DataFrame(rows, columns=[
        "station", "name", "class", "class_source", "district_area_km2", "area_limit_km2",
        "area_met", "edge_time_s", "standard_s", "edge_time_met", "vehicles", "min_vehicles",
        "vehicles_met", "hydrant_street_fraction", "hydrant_building_fraction", "hydrants_met",
        "all_met"])


def _none_if_nan(value: float) -> float | None:
    return None if value != value else float(value)


def _district_hydrants(coverage: Coverage, hydrants: HydrantCoverage | None, network: Any,
                       n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per station: covered share of its district's street length and of its buildings."""
    street_frac = np.full(n, np.nan)
    building_frac = np.full(n, np.nan)
    if hydrants is None or n == 0:
        return street_frac, building_frac
    e = hydrants.street_edge
    u, v = network.edge_tail[e], network.edge_head[e]
    t = coverage.time_s
    owner = np.where(t[u] <= t[v], coverage.station[u], coverage.station[v])
    ok = owner >= 0
    length = np.bincount(owner[ok], weights=hydrants.street_length_m[ok], minlength=n)[:n]
    covered = np.bincount(owner[ok], weights=hydrants.street_covered_m[ok], minlength=n)[:n]
    with np.errstate(invalid="ignore", divide="ignore"):
        street_frac = np.where(length > 0, covered / np.where(length > 0, length, 1.0), np.nan)
    if hydrants.building_street.size:
        b_owner = owner[hydrants.building_street]
        okb = b_owner >= 0
        total = np.bincount(b_owner[okb], minlength=n)[:n]
        hit = np.bincount(b_owner[okb], weights=hydrants.building_covered[okb].astype(float),
                          minlength=n)[:n]
        building_frac = np.where(total > 0, hit / np.where(total > 0, total, 1), np.nan)
    return street_frac, building_frac
