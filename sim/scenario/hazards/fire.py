"""The YAML schema of ``type: fire`` (simulated by :mod:`citysim.hazards.fire`)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from annotated_types import MinLen
from pydantic import model_serializer

from citysim.scenario.base import ConfigModel, Degrees, NonNegFloat, PosFloat
from citysim.scenario.durations import Duration, PositiveDuration
from citysim.scenario.hazard import HazardConfig, register_hazard
from citysim.scenario.locations import Location
from citysim.scenario.sites import Units

__all__ = ["BurnDuration", "FireConfig", "FireWind", "Ignition"]


class Ignition(ConfigModel):
    """A fire starting at a place and time.

    Attributes
    ----------
    location
        Where (the combustible building nearest to it ignites).
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


class BurnDuration(ConfigModel):
    """How long a fully involved building burns before it is burned out, by structure.

    Attributes
    ----------
    wood
        Default 30 min: the order of the fully developed phase of a house
        fire (check: not from a primary source).
    fire_resistant
        Default 50 min: the wood value times 5/3, the ratio of Hamada's
        involvement times of fire-resistant and bare wooden buildings.
    """

    wood: PositiveDuration = 1800.0
    fire_resistant: PositiveDuration = 3000.0


class FireWater(ConfigModel):
    """Water on the fireground: the engine's tank, the attack flow, the hose to a hydrant.

    Every value is an assumption, not confirmed from a standard, exposed as a
    parameter (docs/fire-protection.md, "Where the numbers come from"):
    no Chinese standard for an engine's tank was found; NFPA 1901 (as
    summarised, not read) asks a pumper for at least 300 gal (1.14 m³); a
    straight-stream nozzle QZ3.5/7.5 is rated 7.5 L/s (its type code, as
    reproduced), so two lines give 15 L/s.

    Attributes
    ----------
    tank_m3
        Water the first engine carries (m³); default 2 (an assumption: above
        NFPA 1901's 1.14 m³ pumper minimum, at the small end of the 2-8 m³
        MODELS.md gives).
    flow_l_s
        Attack flow (L/s); default 15 (an assumption: two 7.5 L/s lines,
        and the 15 L/s GB 50974-2014 §7.2 asks of the least favourable
        municipal hydrant, so a hook-up sustains it).  The tank lasts
        ``1000 tank_m3 / flow_l_s`` seconds.
    hose_reach_m
        Longest hose the crew lays along the streets to a hydrant (m);
        default 150 (the hydrant protection radius of GB 50974-2014 §7.2,
        confirmed; that the crew lays no more is an assumption).
    hookup
        Time to connect to a hydrant before any hose is laid (s); default 60
        (an assumption).
    lay_speed_mps
        Speed of laying hose along the street (m/s); default 1 (an
        assumption).  The hook-up takes ``hookup + hose length / lay_speed_mps``.
    """

    tank_m3: PosFloat = 2.0
    flow_l_s: PosFloat = 15.0
    hose_reach_m: NonNegFloat = 150.0
    hookup: Duration = 60.0
    lay_speed_mps: PosFloat = 1.0

    @property
    def tank_s(self) -> float:
        """How long the tank lasts at the attack flow (s)."""
        return 1000.0 * self.tank_m3 / self.flow_l_s


@register_hazard("fire")
class FireConfig(HazardConfig):
    """``type: fire`` -- one or more ignitions spreading between buildings.

    Attributes
    ----------
    ignitions
        At least one ignition.
    wind
        Wind; default calm.
    reach_m
        Widest gap between two buildings the fire crosses (m); default 10.
    burn_duration
        Burning time after full involvement, by structure.
    spread_time_sigma
        Log standard deviation of a lognormal factor (median 1) on each
        pair's spread delay; default 0 (Hamada's delays exactly).
    road_closure_m
        Roads whose centreline passes within this distance of a fully
        involved building are closed (m); default 10.
    warn_radius_m
        Residents within this distance of a burning building are warned (m);
        default 150 (about 30 min of a Hamada front in a 5 m/s wind).
    call_delay
        From ignition to the call for the building (s); default 0.
    needs
        Units each burning building needs (run card); default two engines.
    suppression
        From the first unit's arrival to the fire being out (s); default
        20 min (check: a judgement, not from a primary source).
    water
        Water on the fireground (:class:`FireWater`); default none: engines
        have all the water they need, as before hydrants were modelled.
    """

    requires_city: ClassVar[tuple[str, ...]] = ("buildings",)

    ignitions: Annotated[tuple[Ignition, ...], MinLen(1)]
    wind: FireWind = FireWind()
    reach_m: NonNegFloat = 10.0
    burn_duration: BurnDuration = BurnDuration()
    spread_time_sigma: NonNegFloat = 0.0
    road_closure_m: NonNegFloat = 10.0
    warn_radius_m: NonNegFloat = 150.0
    call_delay: Duration = 0.0
    needs: Units = Units(engine=2)
    suppression: PositiveDuration = 1200.0
    water: FireWater | None = None

    @model_serializer(mode="wrap")
    def _omit_no_water(self, handler: Any) -> Any:
        out = handler(self)  # fires without water limits resolve as before
        if isinstance(out, dict) and out.get("water", 0) is None:
            out.pop("water")
        return out
