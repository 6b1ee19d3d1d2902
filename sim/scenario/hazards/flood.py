"""The YAML schema of ``type: flood`` (simulated by :mod:`citysim.hazards.flood`).

Units: rain, drainage and infiltration in mm/h, inflows in m³/s, depths in m.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import model_validator

from citysim.scenario.base import ConfigModel, Fraction, NonNegFloat, PosFloat, error
from citysim.scenario.hazard import HazardConfig, register_hazard
from citysim.scenario.locations import Location
from citysim.scenario.series import NonNegativeSeries, StepSeries
from citysim.scenario.sites import Units

__all__ = ["FloodConfig", "Inflow", "InjuryShares", "PeopleInWater"]


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


class InjuryShares(ConfigModel):
    """Share of the people who met water of each hazard class who are injured.

    ASSUMPTIONS, not sourced values (module doc): set them from local data or
    sweep them (``hazards[0].people_in_water.injury_probability.most``).
    Also written as a list ``[some, most, all]``.

    Attributes
    ----------
    some, most, all
        Danger for some, for most, for all (fractions, non-decreasing);
        default 0.05, 0.2, 0.5.
    """

    yaml_form: ClassVar[str] = "a mapping with keys some, most, all, or a list of three"
    some: Fraction = 0.05
    most: Fraction = 0.2
    all: Fraction = 0.5

    @classmethod
    def _prepare(cls, data: Any) -> Any:
        if isinstance(data, list | tuple) and len(data) == 3:
            return dict(zip(("some", "most", "all"), data, strict=True))
        return data

    @model_validator(mode="after")
    def _non_decreasing(self) -> InjuryShares:
        if not self.some <= self.most <= self.all:
            raise error(f"expected some <= most <= all (worse water injures no fewer), got "
                        f"{self.some:g}, {self.most:g}, {self.all:g}")
        return self

    def by_class(self) -> np.ndarray:
        """Injury share by hazard class index: low (0), some, most, all."""
        return np.array([0.0, self.some, self.most, self.all])


class PeopleInWater(ConfigModel):
    """How water outdoors acts on people (:mod:`citysim.hazards.flood`).

    Attributes
    ----------
    injury_probability
        Chance that a person who met water of hazard class danger for some,
        danger for most, danger for all is injured (:class:`InjuryShares`);
        low hazard injures nobody. Default 0.05, 0.2, 0.5: assumptions, not
        sourced values.
    fatality_per_hr
        An injured person dies with probability ``fatality_per_hr * HR``;
        default 0.02 (FD2321: deaths = 2 x injuries x HR / 100).
    trapped_from
        Hazard class from which a walker cannot go on and waits for a rescue:
        ``some``, ``most`` (default) or ``all``.
    rescue_units
        Units a rescue incident needs; default one ``rescue`` unit.
    """

    injury_probability: InjuryShares = InjuryShares()
    fatality_per_hr: NonNegFloat = 0.02
    trapped_from: Literal["some", "most", "all"] = "most"
    rescue_units: Units = Units(rescue=1)


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
        Pregnolato et al. (2017) speed curve reaches zero. A car in water this
        deep stalls.
    people_in_water
        How water outdoors acts on people.
    theta
        Weight of a face's own discharge in the de Almeida et al. (2012)
        smoothing, ``theta q + (1 - theta)/2 (q_left + q_right)``; default 0.8
        (MODELS.md). 1 turns it off; below 1 it damps the checkerboard
        oscillations deep water (several metres) otherwise grows.
    """

    requires_city: ClassVar[tuple[str, ...]] = ("terrain",)

    rain_mm_h: NonNegativeSeries = StepSeries.constant(0.0)
    drainage_mm_h: NonNegFloat = 12.0
    infiltration_mm_h: NonNegFloat = 0.0
    manning_n: PosFloat = 0.035
    inflows: tuple[Inflow, ...] = ()
    boundary: Literal["closed", "open"] = "closed"
    road_closed_depth_m: PosFloat = 0.3
    people_in_water: PeopleInWater = PeopleInWater()
    theta: Fraction = 0.8
