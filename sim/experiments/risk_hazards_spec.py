"""The ``flood:`` and ``fire:`` sections of a risk file (``kind: risk``).

MODELS.md ("City safety risk (QRA)", floods and fires in the same
inventory); the computation is :mod:`citysim.risk.flood` and
:mod:`citysim.risk.fire`, the user's page ``docs/risk.md``.

**Flood** (:class:`FloodRisk`): design storms by return period ``T`` (years),
each with its annual exceedance probability ``1/T``, from the Chinese storm
intensity formula (:class:`StormFormula`)::

    i = A (1 + C lg P) / (t + b)^n        (mm/min; t in min, P = T in years)
    q = 167 A (1 + C lg P) / (t + b)^n    (L/(s ha): the same formula, GB 50014)

shaped in time as a Chicago (Keifer-Chu 1957) hyetograph with peak ratio
``r`` (:func:`citysim.risk.flood.chicago_hyetograph`), or given as
hyetographs (``storms``). ``hazard`` holds the other keys of a ``type:
flood`` block (drainage, infiltration, roughness, inflows ...): every storm
runs through the same flood.

**Fire** (:class:`FireRisk`): ignition frequencies per building structure
class and year (per building, or per m² of footprint), a number of
ignitions simulated per district and class, and the other keys of a ``type:
fire`` block (wind, reach, run card ...) in ``hazard``.

**Default ignition frequency** (:data:`DEFAULT_IGNITIONS_PER_BUILDING_YEAR`):
1.3e-3 per building and year for every combustible class: England's fire
and rescue services attended about 31,300 dwelling fires in 2014/15 (Home
Office, *Fire Statistics England 2014/15*, statistical bulletin 08/16), over
roughly 23 million dwellings (an approximate count, not from that bulletin);
one dwelling per building. An ASSUMPTION: replace it with the city's own
fire statistics by building type.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar, Literal

from annotated_types import Gt, Lt
from pydantic import ValidationError, model_validator
from pydantic_core import InitErrorDetails

from citysim.scenario.base import (
    ConfigModel,
    NonNegFloat,
    PosFloat,
    PosInt,
    line_error,
    raise_errors,
    rebuild_error,
)
from citysim.scenario.durations import Duration, PositiveDuration
from citysim.scenario.hazards.fire import FireConfig
from citysim.scenario.hazards.flood import FloodConfig
from citysim.scenario.series import NonNegativeSeries

__all__ = [
    "COMBUSTIBLE",
    "DEFAULT_IGNITIONS_PER_BUILDING_YEAR",
    "DEFAULT_RATES",
    "Q_PER_MM_MIN",
    "DesignStorm",
    "FireRisk",
    "FloodRisk",
    "IgnitionRate",
    "StormFormula",
]

Q_PER_MM_MIN = 167.0
"""L/(s ha) in 1 mm/min, as the Chinese standard rounds it (GB 50014: ``q = 167 i``)."""
DEFAULT_IGNITIONS_PER_BUILDING_YEAR = 1.3e-3
"""Ignitions per building and year of every combustible class (module docstring; assumption)."""
COMBUSTIBLE = ("wood", "fire_resistant")
"""Structure classes that burn in the fire model (``noncombustible`` never does)."""

#: A return period (years); at least 1 (checked by :class:`FloodRisk`: ``1/T`` is a probability).
ReturnPeriod = Annotated[float, Gt(0.0)]


def _embedded(cfg: type[ConfigModel], hazard_type: str, owned: tuple[str, ...],
              block: dict[str, Any], field: str) -> list[InitErrorDetails]:
    """Problems of ``block`` as the rest of a ``type: <hazard_type>`` block, at ``field.<key>``."""
    problems = [line_error((field, key), f"{key} is set by the risk file, not here "
                                         f"(the section's own keys)", block[key])
                for key in owned if key in block]
    if problems:
        return problems
    filler = {"ignitions": [{"location": {"x": 0.0, "y": 0.0}}]} if "ignitions" in owned else {}
    try:
        cfg.model_validate({"type": hazard_type, **filler, **block})
    except ValidationError as exc:
        return [rebuild_error(e, (field, *e["loc"])) for e in exc.errors()]
    return []


class StormFormula(ConfigModel):
    """The storm intensity formula ``i = A (1 + C lg P) / (t + b)^n`` (module docstring).

    Give ``a_mm_min`` (``A``, mm/min) or ``a_l_s_ha`` (``167 A``, L/(s ha),
    the form most Chinese cities publish), not both.

    Attributes
    ----------
    a_mm_min, a_l_s_ha
        The rain force ``A`` (mm/min) or ``167 A`` (L/(s ha)).
    c
        The return-period coefficient ``C``.
    b_min
        The time offset ``b`` (min).
    n
        The decay exponent ``n``, in (0, 1).
    """

    yaml_form: ClassVar[str] = "{a_mm_min or a_l_s_ha, c, b_min, n}"

    a_mm_min: PosFloat | None = None
    a_l_s_ha: PosFloat | None = None
    c: NonNegFloat
    b_min: NonNegFloat
    n: Annotated[float, Gt(0.0), Lt(1.0)]

    @classmethod
    def _check_keys(cls, data: dict[str, Any]) -> list[InitErrorDetails]:
        given = [k for k in ("a_mm_min", "a_l_s_ha") if data.get(k) is not None]
        if not given:
            return [line_error(("a_mm_min",), "missing: give a_mm_min (A, mm/min) or a_l_s_ha "
                                              "(167 A, L/(s ha))")]
        if len(given) == 2:
            return [line_error(("a_l_s_ha",), "give a_mm_min or a_l_s_ha, not both",
                               data["a_l_s_ha"])]
        return []

    @property
    def a(self) -> float:
        """``A`` (mm/min)."""
        return self.a_mm_min if self.a_mm_min is not None else float(self.a_l_s_ha or 0.0) \
            / Q_PER_MM_MIN

    def rain_force_mm_min(self, return_period_years: float) -> float:
        """``A (1 + C lg T)`` of the ``T``-year storm (mm/min)."""
        return self.a * (1.0 + self.c * math.log10(return_period_years))

    def intensity_mm_min(self, return_period_years: float, t_min: float) -> float:
        """Average intensity over a duration ``t_min`` (min) of the ``T``-year storm (mm/min)."""
        return self.rain_force_mm_min(return_period_years) / (t_min + self.b_min) ** self.n


class DesignStorm(ConfigModel):
    """A given hyetograph and its return period.

    Attributes
    ----------
    return_period_years
        ``T`` (years, at least 1); its annual exceedance probability is ``1/T``.
    rain_mm_h
        The rain over time (mm/h), a step series as a flood's ``rain_mm_h``,
        ending with 0 (the last value holds for ever).
    """

    return_period_years: ReturnPeriod
    rain_mm_h: NonNegativeSeries

    @model_validator(mode="after")
    def _stops(self) -> DesignStorm:
        if self.rain_mm_h.value[-1] != 0.0:
            raise_errors("DesignStorm", [line_error(
                ("rain_mm_h",), f"expected the rain to stop: a last pair [t, 0] (the last value "
                                f"holds for ever), got {self.rain_mm_h.value[-1]:g} mm/h at the "
                                f"end")])
        return self


class FloodRisk(ConfigModel):
    """``flood:`` -- the flood hazard of the risk file (module docstring).

    Attributes
    ----------
    formula
        The storm intensity formula; with ``return_periods`` it gives the
        design storms.
    return_periods
        Return periods of the formula's storms (years, at least 1); default
        2, 10, 50, 100 (MODELS.md).
    storms
        Given hyetographs (:class:`DesignStorm`), besides or instead of the
        formula's.
    duration
        Duration of a formula storm (default 2 h).
    step
        Step of a formula storm's hyetograph (default 5 min).
    peak_ratio
        Chicago peak ratio ``r``: the peak at ``r`` times the duration
        (default 0.4, an assumption: Chinese design practice uses 0.35-0.45;
        set the city's own).
    after
        Simulated time after the rain ends, for the water to gather (default 1 h).
    dt
        Step at which the flood's roads and maxima are updated (default
        1 min; the water itself sub-steps adaptively).
    exposure_depth_m
        A resident is exposed when the water at their home reaches this
        depth (m; default 0.15, the waterlogging depth of a street,
        GB 51222-2017, check).
    hazard
        The other keys of a ``type: flood`` block (``drainage_mm_h``,
        ``infiltration_mm_h``, ``manning_n``, ``inflows``, ``boundary`` ...);
        not ``rain_mm_h``.
    """

    formula: StormFormula | None = None
    return_periods: list[ReturnPeriod] = [2.0, 10.0, 50.0, 100.0]
    storms: list[DesignStorm] = []
    duration: PositiveDuration = 7200.0
    step: PositiveDuration = 300.0
    peak_ratio: Annotated[float, Gt(0.0), Lt(1.0)] = 0.4
    after: Duration = 3600.0
    dt: PositiveDuration = 60.0
    exposure_depth_m: PosFloat = 0.15
    hazard: dict[str, Any] = {}

    @model_validator(mode="after")
    def _storms(self) -> FloodRisk:
        problems = _embedded(FloodConfig, "flood", ("type", "rain_mm_h"), self.hazard, "hazard")
        if self.formula is None and not self.storms:
            problems.append(line_error(("formula",), "missing: give formula (with "
                                                     "return_periods) or storms"))
        seen: dict[float, tuple[str | int, ...]] = {}
        periods: list[tuple[tuple[str | int, ...], float]] = (
            [(("return_periods", i), t) for i, t in enumerate(self.return_periods)]
            if self.formula is not None else [])
        periods += [(("storms", i, "return_period_years"), s.return_period_years)
                    for i, s in enumerate(self.storms)]
        for loc, t in periods:
            if t < 1.0:
                problems.append(line_error(loc, f"expected a return period of at least 1 year "
                                                f"(1/T is a probability), got {t:g}", t))
            elif t in seen:
                problems.append(line_error(loc, f"return period {t:g} given twice", t))
            seen.setdefault(t, loc)
        if self.step > self.duration:
            problems.append(line_error(("step",), "expected a step no longer than the "
                                                  "duration", self.step))
        if problems:
            raise_errors("FloodRisk", problems)
        return self


class IgnitionRate(ConfigModel):
    """How often buildings of one structure class catch fire.

    Give ``per_building_per_year`` or ``per_m2_per_year`` (of footprint), not both.

    Attributes
    ----------
    structure
        ``wood`` or ``fire_resistant`` (``noncombustible`` buildings never
        burn in the fire model).
    per_building_per_year, per_m2_per_year
        Ignitions per building and year, or per m² of footprint and year.
    """

    yaml_form: ClassVar[str] = "{structure, per_building_per_year or per_m2_per_year}"

    structure: Literal["wood", "fire_resistant"]
    per_building_per_year: NonNegFloat | None = None
    per_m2_per_year: NonNegFloat | None = None

    @classmethod
    def _check_keys(cls, data: dict[str, Any]) -> list[InitErrorDetails]:
        given = [k for k in ("per_building_per_year", "per_m2_per_year")
                 if data.get(k) is not None]
        if not given:
            return [line_error(("per_building_per_year",), "missing: give "
                               "per_building_per_year or per_m2_per_year")]
        if len(given) == 2:
            return [line_error(("per_m2_per_year",), "give per_building_per_year or "
                               "per_m2_per_year, not both", data["per_m2_per_year"])]
        return []


DEFAULT_RATES: tuple[IgnitionRate, ...] = tuple(
    IgnitionRate.model_validate({"structure": s,
                                 "per_building_per_year": DEFAULT_IGNITIONS_PER_BUILDING_YEAR})
    for s in COMBUSTIBLE)
"""Default ignition frequencies (module docstring; an assumption)."""


class FireRisk(ConfigModel):
    """``fire:`` -- the urban-fire hazard of the risk file (module docstring).

    Attributes
    ----------
    ignitions
        Ignition frequency of each structure class (:class:`IgnitionRate`);
        default :data:`DEFAULT_RATES` (an assumption). A class left out
        never ignites.
    samples
        Ignitions simulated per district and class (default 3): buildings
        drawn at random (seeded) among the district's buildings of that class.
    duration
        Simulated time of each fire run (default 3 h).
    hazard
        The other keys of a ``type: fire`` block (``wind``, ``reach_m``,
        ``needs``, ``suppression``, ``water`` ...); not ``ignitions``.
    """

    ignitions: list[IgnitionRate] = list(DEFAULT_RATES)
    samples: PosInt = 3
    duration: PositiveDuration = 10800.0
    hazard: dict[str, Any] = {}

    @model_validator(mode="after")
    def _rates(self) -> FireRisk:
        problems = _embedded(FireConfig, "fire", ("type", "ignitions"), self.hazard, "hazard")
        seen: set[str] = set()
        for i, rate in enumerate(self.ignitions):
            if rate.structure in seen:
                problems.append(line_error(("ignitions", i, "structure"),
                                           f"structure {rate.structure!r} given twice"))
            seen.add(rate.structure)
        if problems:
            raise_errors("FireRisk", problems)
        return self

