"""Urban fire spread between buildings (Hamada model).

This module holds the YAML schema of ``type: fire``; the simulation model
comes in a later issue.
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import MinLen

from sim.hazards.registry import register_hazard
from sim.scenario.base import ConfigModel, Degrees, NonNegFloat
from sim.scenario.durations import Duration
from sim.scenario.hazard import HazardConfig
from sim.scenario.locations import Location

__all__ = ["FireConfig", "FireWind", "Ignition"]


class Ignition(ConfigModel):
    """A fire starting at a place and time.

    Attributes
    ----------
    location
        Where (the building nearest to it ignites).
    at
        When (s from the start of the run); default 0.
    """

    location: Location
    at: Duration = 0.0


class FireWind(ConfigModel):
    """Wind driving the spread.

    Attributes
    ----------
    speed_mps
        Wind speed (m/s), >= 0; default 0 (calm).
    from_deg
        Where the wind blows from, degrees clockwise from north, [0, 360).
    """

    speed_mps: NonNegFloat = 0.0
    from_deg: Degrees = 0.0


@register_hazard("fire")
class FireConfig(HazardConfig):
    """``type: fire`` -- one or more ignitions spreading between buildings.

    Attributes
    ----------
    ignitions
        At least one ignition.
    wind
        Wind; default calm.
    """

    ignitions: Annotated[tuple[Ignition, ...], MinLen(1)]
    wind: FireWind = FireWind()
