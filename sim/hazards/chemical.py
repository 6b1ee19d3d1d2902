"""Toxic gas release (Gaussian plume / puff).

This module holds the YAML schema of ``type: chemical_leak`` and the table of
built-in substances; the dispersion model comes in a later issue.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import model_validator
from pydantic_core import InitErrorDetails

from sim.hazards.registry import register_hazard
from sim.scenario.base import (
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
from sim.scenario.durations import Duration, PositiveDuration
from sim.scenario.hazard import HazardConfig
from sim.scenario.locations import Location

__all__ = [
    "SUBSTANCES",
    "AeglPpm",
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
        The release point.
    height_m
        Release height above ground (m); default 0.
    """

    location: Location
    height_m: NonNegFloat = 0.0


class AeglPpm(OmitNoneModel):
    """Acute Exposure Guideline Levels for 60 min exposure (ppm).

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


class Substance(ConfigModel):
    """A released substance: a built-in name, or its properties.

    Written ``substance: chlorine`` (a name from :data:`SUBSTANCES`) or
    ``substance: {name, mw_g_mol, aegl_ppm, probit}``. Once loaded it is
    always the full record (a built-in name is looked up).

    Attributes
    ----------
    name
        Its name.
    mw_g_mol
        Molar mass (g/mol), for ppm <-> mg/m³ (x MW / 24.45 at 25 °C).
    aegl_ppm
        Threat levels.
    probit
        Lethality probit; ``None``: no fatalities are modelled.
    """

    yaml_form: ClassVar[str] = "a substance name or {name, mw_g_mol, aegl_ppm, probit}"

    name: Text
    mw_g_mol: PosFloat
    aegl_ppm: AeglPpm
    probit: Probit | None = None

    @classmethod
    def _prepare(cls, data: Any) -> Any:
        if isinstance(data, str):
            known = SUBSTANCES.get(data.strip().lower())
            if known is None:
                message = (
                    f"unknown substance {data!r} (built-in: {', '.join(sorted(SUBSTANCES))}); "
                    "or give {name, mw_g_mol, aegl_ppm, probit}"
                )
                guess = closest(data.strip().lower(), SUBSTANCES)
                if guess is not None:
                    message += f"; did you mean {guess!r}?"
                raise error(message)
            return known
        return data


#: Built-in substances. Values from MODELS.md: AEGL 60-min levels (National
#: Research Council) and CCPS probits (ppm, t in min). The ammonia AEGLs and
#: all probit constants are marked "(check)" there: confirm against the TNO
#: Green Book / CCPS before relying on them.
SUBSTANCES: dict[str, Substance] = {
    "chlorine": Substance(
        name="chlorine",
        mw_g_mol=70.906,
        aegl_ppm=AeglPpm(aegl1=0.5, aegl2=2.0, aegl3=20.0),
        probit=Probit(a=-8.29, b=0.92, n=2.0, units="ppm"),
    ),
    "ammonia": Substance(
        name="ammonia",
        mw_g_mol=17.031,
        aegl_ppm=AeglPpm(aegl1=30.0, aegl2=160.0, aegl3=1100.0),
        probit=Probit(a=-35.9, b=1.85, n=2.0, units="ppm"),
    ),
}


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
        Wind speed (m/s), > 0.
    from_deg
        Where the wind blows from, degrees clockwise from north, [0, 360):
        270 carries the plume east (+x).
    stability
        Pasquill-Turner class A (very unstable) to F (stable).
    terrain
        ``urban`` (default) or ``rural`` Briggs coefficients.
    mixing_height_m
        Mixing-layer height (m), when the model should cap vertical spread.
    """

    wind_speed_mps: PosFloat
    from_deg: Degrees
    stability: Literal["A", "B", "C", "D", "E", "F"]
    terrain: Literal["rural", "urban"] = "urban"
    mixing_height_m: PosFloat | None = None


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
    """

    source: Source
    substance: Substance
    release: Release
    weather: Weather
