"""The YAML schema of ``type: chemical_leak`` (simulated by :mod:`citysim.hazards.chemical`).

A substance is a built-in name (:mod:`citysim.scenario.hazards.substances`)
or its properties; a release is continuous or instantaneous; the weather
gives the wind and the Pasquill-Turner stability class.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import model_validator
from pydantic_core import InitErrorDetails

from citysim.scenario.base import (
    ConfigModel,
    Degrees,
    Float,
    NonNegFloat,
    OmitNoneModel,
    PosFloat,
    Text,
    closest,
    error,
    line_error,
    raise_errors,
)
from citysim.scenario.durations import Duration, PositiveDuration
from citysim.scenario.hazard import HazardConfig, register_hazard
from citysim.scenario.hazards.substances import AEGL_MINUTES, BUILT_IN, canonical_name
from citysim.scenario.locations import Location

__all__ = [
    "SUBSTANCES",
    "AeglPpm",
    "AirExchange",
    "ChemicalLeakConfig",
    "Probit",
    "Release",
    "Source",
    "Substance",
    "Weather",
]


class Source(ConfigModel):
    """Where the gas escapes.

    Attributes
    ----------
    location
        The release point (it may lie off the road network: a plant).
    height_m
        Release height above ground (m); default 0.
    """

    location: Location
    height_m: NonNegFloat = 0.0


class AeglPpm(OmitNoneModel):
    """Acute Exposure Guideline Levels for one exposure period (ppm).

    ``aegl1`` (discomfort) is optional; ``aegl2`` (disabling) and ``aegl3``
    (lethal) are required; levels must not decrease.
    """

    aegl1: PosFloat | None = None
    aegl2: PosFloat
    aegl3: PosFloat

    @model_validator(mode="after")
    def _ordered(self) -> AeglPpm:
        problems = []
        if self.aegl1 is not None and self.aegl1 > self.aegl2:
            problems.append(line_error(("aegl2",), f"expected aegl2 >= aegl1 ({self.aegl1:g})"))
        if self.aegl2 > self.aegl3:
            problems.append(line_error(("aegl3",), f"expected aegl3 >= aegl2 ({self.aegl2:g})"))
        if problems:
            raise_errors("AeglPpm", problems)
        return self

    def level(self, k: int) -> float | None:
        """AEGL-``k`` (ppm), ``None`` when not set."""
        return (self.aegl1, self.aegl2, self.aegl3)[k - 1]


class Probit(ConfigModel):
    """Lethality probit ``Y = a + b ln(C^n t)``, t in min, P = Phi(Y - 5).

    Attributes
    ----------
    a, b, n
        The constants (b > 0, n > 0).
    units
        Units of C in the fit: ``ppm`` (default) or ``mg_m3``.
    """

    a: Float
    b: PosFloat
    n: PosFloat
    units: Literal["ppm", "mg_m3"] = "ppm"


class Substance(OmitNoneModel):
    """A released substance: a built-in name, or its properties.

    Written ``substance: chlorine`` (a name from :data:`SUBSTANCES`; case,
    spaces, British spelling and formulas such as ``H2S`` are accepted) or
    ``substance: {name, mw_g_mol, aegl_ppm, probit}``. Once loaded it is
    always the full record (a built-in name is looked up).

    Attributes
    ----------
    name
        Its name.
    mw_g_mol
        Molar mass (g/mol), for ppm <-> mg/m³ (x MW / 24.45 at 25 °C).
    aegl_ppm
        Threat levels for 60 min exposures.
    aegl_ppm_10min, aegl_ppm_30min
        Threat levels for 10 and 30 min exposures; when missing, the next
        longer period's levels are used (lower: the safe side).
    probit
        Lethality probit; ``None``: no fatalities are modelled.
    density_kg_m3
        Density of the gas as released (kg/m³), for the dense-gas criterion;
        ``None``: the ideal gas at 25 °C (``MW / 24.45``). Built-ins: the
        vapour at the boiling point (:mod:`citysim.scenario.hazards.substances`).
    source
        Where the values come from.
    """

    yaml_form: ClassVar[str] = "a substance name or {name, mw_g_mol, aegl_ppm, probit}"

    name: Text
    mw_g_mol: PosFloat
    aegl_ppm: AeglPpm
    aegl_ppm_10min: AeglPpm | None = None
    aegl_ppm_30min: AeglPpm | None = None
    probit: Probit | None = None
    density_kg_m3: PosFloat | None = None
    source: Text | None = None

    @classmethod
    def _prepare(cls, data: Any) -> Any:
        if isinstance(data, str):
            name = canonical_name(data)
            if name is None:
                message = (
                    f"unknown substance {data!r} (built-in: {', '.join(sorted(SUBSTANCES))}); "
                    "or give {name, mw_g_mol, aegl_ppm, probit}"
                )
                guess = closest(data.strip().lower(), SUBSTANCES)
                if guess is not None:
                    message += f"; did you mean {guess!r}?"
                raise error(message)
            return SUBSTANCES[name]
        return data

    def aegl_for(self, minutes: int) -> AeglPpm:
        """Threat levels for an exposure period of 10, 30 or 60 min."""
        given = {10: self.aegl_ppm_10min, 30: self.aegl_ppm_30min, 60: self.aegl_ppm}
        for period in AEGL_MINUTES:
            levels = given[period]
            if period >= minutes and levels is not None:
                return levels
        return self.aegl_ppm


def _built_in(name: str) -> Substance:
    r = BUILT_IN[name]
    levels = {m: AeglPpm(aegl1=v[0], aegl2=v[1], aegl3=v[2]) for m, v in r.aegl_ppm.items()}
    a, b, n = r.probit
    return Substance(name=r.name, mw_g_mol=r.mw_g_mol, aegl_ppm=levels[60],
                     aegl_ppm_10min=levels[10], aegl_ppm_30min=levels[30],
                     probit=Probit(a=a, b=b, n=n, units="ppm"),
                     density_kg_m3=r.density_kg_m3, source=r.source)


#: Built-in substances (:mod:`citysim.scenario.hazards.substances`): molar mass, AEGLs for
#: 10, 30 and 60 min (US EPA / NRC) and CCPS lethality probits (ppm, min).
SUBSTANCES: dict[str, Substance] = {name: _built_in(name) for name in BUILT_IN}


class Release(OmitNoneModel):
    """How much escapes, and when.

    Either continuous, ``{rate_kg_s, start, duration}`` (``duration`` omitted:
    until the end of the run), or instantaneous, ``{mass_kg, start}``.

    Attributes
    ----------
    rate_kg_s
        Release rate (kg/s) of a continuous release.
    mass_kg
        Mass (kg) of an instantaneous release.
    start
        When it starts (s); default 0.
    duration
        How long a continuous release lasts (s); ``None``: to the end of the run.
    """

    yaml_form: ClassVar[str] = "{rate_kg_s, start, duration} or {mass_kg, start}"

    rate_kg_s: PosFloat | None = None
    mass_kg: PosFloat | None = None
    start: Duration = 0.0
    duration: PositiveDuration | None = None

    @classmethod
    def _check_keys(cls, data: dict[str, Any]) -> list[InitErrorDetails]:
        rate, mass = data.get("rate_kg_s"), data.get("mass_kg")
        if rate is None and mass is None:
            return [
                line_error(
                    ("rate_kg_s",),
                    "missing: give rate_kg_s (continuous) or mass_kg (instantaneous)",
                )
            ]
        if rate is not None and mass is not None:
            return [
                line_error(
                    ("mass_kg",),
                    "give rate_kg_s (continuous) or mass_kg (instantaneous), not both",
                    mass,
                )
            ]
        if mass is not None and data.get("duration") is not None:
            return [
                line_error(
                    ("duration",),
                    "an instantaneous release (mass_kg) has no duration; "
                    "for a continuous one give rate_kg_s",
                    data["duration"],
                )
            ]
        return []

    @property
    def kind(self) -> Literal["continuous", "instantaneous"]:
        """``continuous`` (rate) or ``instantaneous`` (mass)."""
        return "continuous" if self.rate_kg_s is not None else "instantaneous"


class Weather(OmitNoneModel):
    """Weather at the release.

    Attributes
    ----------
    wind_speed_mps
        Wind speed at 10 m (m/s), > 0.
    from_deg
        Where the wind blows from, degrees clockwise from north, [0, 360):
        270 carries the plume east (+x).
    stability
        Pasquill-Turner class A (very unstable) to F (stable).
    terrain
        ``urban`` (default) or ``rural``: the Briggs coefficients and the
        wind-profile exponent.
    mixing_height_m
        Mixing-layer height (m): the lid reflects the gas (image sources);
        above the release height. ``None``: no lid.
    """

    wind_speed_mps: PosFloat
    from_deg: Degrees
    stability: Literal["A", "B", "C", "D", "E", "F"]
    terrain: Literal["rural", "urban"] = "urban"
    mixing_height_m: PosFloat | None = None


class AirExchange(ConfigModel):
    """Air-change rates of the enclosures people breathe in (per hour).

    Attributes
    ----------
    home_per_h
        A home with windows closed, as it is (default 1.0; MODELS.md: 0.5-1.5).
    sheltering_per_h
        A home deliberately sealed to shelter in place (default 0.2; MODELS.md:
        0.1-0.3).
    vehicle_per_h
        A car with windows closed and the ventilation as found (default 10;
        measured rates run from about 2/h on recirculation at rest to tens per
        hour with outside air at speed: Ott et al. 2008, Knibbs et al. 2009).
    public_shelter_per_h
        A public shelter building (default 1.0, as a home).
    airing_per_h
        A sheltering home with windows opened once the outdoor air is cleaner
        than the indoor (default 5).
    """

    home_per_h: PosFloat = 1.0
    sheltering_per_h: PosFloat = 0.2
    vehicle_per_h: PosFloat = 10.0
    public_shelter_per_h: PosFloat = 1.0
    airing_per_h: PosFloat = 5.0


@register_hazard("chemical_leak")
class ChemicalLeakConfig(HazardConfig):
    """``type: chemical_leak`` -- a toxic release carried by the wind.

    Attributes
    ----------
    source
        Where.
    substance
        What (always the full record once loaded).
    release
        How much and when.
    weather
        Wind and stability.
    dispersion
        ``auto`` (default): a puff for an instantaneous release, a plume
        (with its front and tail) for a continuous one; ``puffs`` draws a
        continuous release that ends as puffs, with the puff coefficients.
    sigma
        The plume's dispersion coefficients: ``briggs`` (default; rural or
        urban by ``weather.terrain``) or ``pasquill_gifford`` (the ISC3 rural
        curves; needs ``terrain: rural``). Puffs always take the puff
        coefficients.
    air_exchange
        Air-change rates of homes, shelters and cars.
    zone_period
        AEGL exposure period of the threat zones and of the injury threshold,
        in minutes (10, 30 or 60; default 60, ALOHA's default), or
        ``release`` for the period matching the release's duration.
    """

    source: Source
    substance: Substance
    release: Release
    weather: Weather
    dispersion: Literal["auto", "plume", "puffs"] = "auto"
    sigma: Literal["briggs", "pasquill_gifford"] = "briggs"
    air_exchange: AirExchange = AirExchange()
    zone_period: Literal[10, 30, 60, "release"] = 60

    @model_validator(mode="after")
    def _consistent(self) -> ChemicalLeakConfig:
        problems = []
        lid = self.weather.mixing_height_m
        if lid is not None and lid <= self.source.height_m:
            problems.append(line_error(
                ("weather", "mixing_height_m"),
                f"expected a mixing height above the release height "
                f"({self.source.height_m:g} m), got {lid:g}", lid))
        if self.dispersion == "plume" and self.release.kind == "instantaneous":
            problems.append(line_error(
                ("dispersion",), "an instantaneous release (mass_kg) is a puff: use "
                "dispersion: puffs or auto", self.dispersion))
        if self.sigma == "pasquill_gifford" and self.weather.terrain != "rural":
            problems.append(line_error(
                ("sigma",), "the Pasquill-Gifford (ISC3) curves are rural: give "
                "weather.terrain: rural, or sigma: briggs for urban terrain", self.sigma))
        if (self.dispersion == "puffs" and self.release.kind == "continuous"
                and self.release.duration is None):
            problems.append(line_error(
                ("dispersion",), "puffs need a release that ends: give release.duration, "
                "or use dispersion: plume or auto", self.dispersion))
        if problems:
            raise_errors("ChemicalLeakConfig", problems)
        return self

    @property
    def uses_puffs(self) -> bool:
        """Whether the release is drawn as puffs (else as a plume)."""
        if self.release.kind == "instantaneous":
            return True
        return self.dispersion == "puffs"

    @property
    def exposure_minutes(self) -> int:
        """The AEGL exposure period of the zones (min): ``zone_period``, or the release's."""
        if self.zone_period != "release":
            return int(self.zone_period)
        if self.release.kind == "instantaneous":
            return AEGL_MINUTES[0]
        duration = self.release.duration
        for minutes in AEGL_MINUTES:
            if duration is not None and duration <= minutes * 60.0 + 1e-9:
                return minutes
        return AEGL_MINUTES[-1]
