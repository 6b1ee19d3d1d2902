"""Pluvial and fluvial flooding on the terrain grid (local-inertial scheme).

This module holds the YAML schema of ``type: flood``; the simulation model
comes in a later issue. Units: rain, drainage and infiltration in mm/h,
inflows in m³/s, depths in m.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from sim.hazards.registry import register_hazard
from sim.scenario.base import ConfigModel, NonNegFloat, PosFloat
from sim.scenario.hazard import HazardConfig
from sim.scenario.locations import Location
from sim.scenario.series import NonNegativeSeries, StepSeries

__all__ = ["FloodConfig", "Inflow"]


class Inflow(ConfigModel):
    """Water entering the domain at a point (a river, a broken main).

    Attributes
    ----------
    location
        Where it enters.
    m3_s
        Discharge (m³/s) over time, a step series >= 0.
    """

    location: Location
    m3_s: NonNegativeSeries


@register_hazard("flood")
class FloodConfig(HazardConfig):
    """``type: flood`` -- rain and inflows routed over the terrain.

    Attributes
    ----------
    rain_mm_h
        Rain intensity (mm/h) over time: a step series or a constant; default 0.
    drainage_mm_h
        Sewer capacity removed where water stands (mm/h); default 12, the
        uniform urban-drainage allowance of UK surface-water mapping (MODELS.md).
    infiltration_mm_h
        Infiltration into the ground (mm/h); default 0 (sealed urban surface).
    manning_n
        Manning roughness (s/m^(1/3)); default 0.035 (MODELS.md: use >= 0.03 on
        rough urban surfaces).
    inflows
        Point inflows.
    boundary
        ``closed`` (walls: water stays) or ``open`` (water leaves at the edge).
    road_closed_depth_m
        Depth at which a road is closed to cars (m); default 0.3, where the
        Pregnolato et al. (2017) speed curve reaches zero.
    """

    requires_city: ClassVar[tuple[str, ...]] = ("terrain",)

    rain_mm_h: NonNegativeSeries = StepSeries.constant(0.0)
    drainage_mm_h: NonNegFloat = 12.0
    infiltration_mm_h: NonNegFloat = 0.0
    manning_n: PosFloat = 0.035
    inflows: tuple[Inflow, ...] = ()
    boundary: Literal["closed", "open"] = "closed"
    road_closed_depth_m: PosFloat = 0.3
