"""Risk files (``kind: risk``): the inventory of hazard sources, the weather, the receptors.

SCENARIO_SPEC.md ("A risk file") names the keys; MODELS.md ("City safety
risk (QRA)") the science. A risk file has a ``base`` scenario (the city and
its people), ``mode`` (``static``: the QRA, people where they live;
``dynamic`` and ``both``: also full citysim runs of the events that dominate
risk, both F-N curves side by side; ``dynamic`` options in :class:`DynamicOptions`),
``sources`` (chemical sites, each with its loss-of-containment scenarios,
``releases``), ``weather`` (a wind rose of ``sectors`` times stability and
speed ``classes``), ``receptors`` (points where the individual risk is
reported) and ``out``. Extensions: ``places`` (sensitive places: schools,
hospitals, kindergartens, elderly homes), ``presence`` (where people are by
day and night), ``installations`` (which individual-risk criteria apply),
``cell_m`` (the risk map's cell) and ``variants`` (named what-ifs: sources
removed, moved, changed or added, shelters and stations added;
:class:`RiskVariant`, checked at load with :meth:`RiskExperiment.variant`).

**Sources from a CSV.** ``sources: {csv: plants.csv}`` reads one site per
row, columns ``id, name, x, y`` (or ``lon, lat``), ``substance``,
``inventory_kg`` and optionally ``storage``; the releases are the Purple
Book defaults. A bad cell is reported at ``sources.csv.[row N].<column>``.

**Purple Book defaults** (:func:`default_releases`; MODELS.md,
"Loss-of-containment frequencies", Purple Book table 3.2 for a pressurised
stationary vessel, marked "check" there): ``G1`` the whole inventory at
once, 5e-7 /yr; ``G2`` the whole inventory in 10 min, 5e-7 /yr; ``G3`` a
continuous release from a 10 mm hole, 1e-5 /yr, lasting 30 min (the Purple
Book's longest exposure). The hole's rate is liquid outflow through a
sharp-edged orifice, ``Cd A sqrt(2 rho dp)``, with ``Cd`` = 0.62 and a
stand-in liquid of 1000 kg/m³ under 10 bar gauge (:data:`HOLE_RATE_KG_S`,
about 2.2 kg/s; stand-in, check against the substance's own storage).

**Weather default** (:data:`DEFAULT_CLASSES`): the Purple Book's six
representative classes B 3, D 1.5, D 5, D 9, E 5 and F 1.5 m/s (MODELS.md)
with shares that are a stand-in for a mid-latitude inland station (check:
replace them with the local meteorological record), 12 equally likely
sectors, urban terrain.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import ValidationError, ValidationInfo, WrapValidator, model_validator
from pydantic_core import InitErrorDetails

from citysim.experiments.risk_hazards_spec import FireRisk, FloodRisk
from citysim.experiments.spec import Experiment
from citysim.scenario.base import (
    ConfigModel,
    Fraction,
    Id,
    NonNegFloat,
    OmitNoneModel,
    PosFloat,
    PosInt,
    Text,
    line_error,
    raise_errors,
    rebuild_error,
    resolve_input_path,
)
from citysim.scenario.durations import PositiveDuration
from citysim.scenario.hazards.chemical import AirExchange, Substance
from citysim.scenario.locations import Location

__all__ = [
    "DEFAULT_CLASSES",
    "DynamicOptions",
    "HOLE_RATE_KG_S",
    "SENSITIVE_KINDS",
    "LossOfContainment",
    "Place",
    "Presence",
    "Receptor",
    "RiskExperiment",
    "RiskSource",
    "RiskVariant",
    "RiskWeather",
    "WeatherClass",
    "default_releases",
]

HOLE_DIAMETER_M = 0.010
"""Purple Book G3: a 10 mm hole."""
DISCHARGE_COEFFICIENT = 0.62
"""Sharp-edged orifice discharge coefficient."""
STAND_IN_LIQUID_KG_M3 = 1000.0
"""Liquid density of the stand-in hole release (kg/m³; check)."""
STAND_IN_OVERPRESSURE_PA = 10e5
"""Gauge pressure of the stand-in hole release (Pa; check)."""
HOLE_RATE_KG_S = (DISCHARGE_COEFFICIENT * math.pi * HOLE_DIAMETER_M ** 2 / 4.0
                  * math.sqrt(2.0 * STAND_IN_LIQUID_KG_M3 * STAND_IN_OVERPRESSURE_PA))
"""Rate of the default 10 mm hole release (kg/s): ``Cd A sqrt(2 rho dp)``, about 2.18."""
HOLE_DURATION_S = 1800.0
"""Duration of the default hole release (s): the Purple Book's 30 min exposure limit."""
TEN_MINUTES_S = 600.0
"""Purple Book G2: the whole inventory in 10 min."""
SENSITIVE_KINDS = ("school", "hospital", "kindergarten", "elderly_home")
"""Highly sensitive places (MODELS.md, individual-risk criteria)."""
VARIANT_ID = r"[A-Za-z0-9_][A-Za-z0-9_.-]*"
"""What a variant's id may be: it names its folder ``variants/<id>/``."""
PROBABILITY_TOLERANCE = 1e-6
"""Probabilities must add up to 1 within this."""


class LossOfContainment(OmitNoneModel):
    """One loss-of-containment scenario of a source.

    Continuous, ``{rate_kg_s, duration}``, or instantaneous, ``{mass_kg}``.

    Attributes
    ----------
    id
        Its name within the source (``hole``, ``rupture``).
    rate_kg_s, duration
        Release rate (kg/s) and how long it lasts (s; durations such as ``30min``).
    mass_kg
        Mass released at once (kg).
    height_m
        Release height (m); default 0.
    frequency_per_year
        How often it happens (per year).
    """

    yaml_form: ClassVar[str] = ("{id, rate_kg_s, duration, frequency_per_year} or "
                                "{id, mass_kg, frequency_per_year}")

    id: Id
    rate_kg_s: PosFloat | None = None
    duration: PositiveDuration | None = None
    mass_kg: PosFloat | None = None
    height_m: NonNegFloat = 0.0
    frequency_per_year: PosFloat

    @classmethod
    def _check_keys(cls, data: dict[str, Any]) -> list[InitErrorDetails]:
        rate, mass = data.get("rate_kg_s"), data.get("mass_kg")
        if rate is None and mass is None:
            return [line_error(("rate_kg_s",), "missing: give rate_kg_s and duration "
                                               "(continuous) or mass_kg (instantaneous)")]
        if rate is not None and mass is not None:
            return [line_error(("mass_kg",), "give rate_kg_s (continuous) or mass_kg "
                                             "(instantaneous), not both", mass)]
        if rate is not None and data.get("duration") is None:
            return [line_error(("duration",), "missing: a continuous release needs its "
                                              "duration (e.g. 30min)")]
        if mass is not None and data.get("duration") is not None:
            return [line_error(("duration",), "an instantaneous release (mass_kg) has no "
                                              "duration", data["duration"])]
        return []

    @property
    def released_kg(self) -> float:
        """Mass released (kg)."""
        if self.mass_kg is not None:
            return self.mass_kg
        assert self.rate_kg_s is not None and self.duration is not None
        return self.rate_kg_s * self.duration


def default_releases(inventory_kg: float) -> list[LossOfContainment]:
    """Purple Book loss-of-containment scenarios of a pressurised vessel (module docstring)."""
    return [
        LossOfContainment(id="G1_instantaneous", mass_kg=inventory_kg,
                          frequency_per_year=5e-7),
        LossOfContainment(id="G2_10min", rate_kg_s=inventory_kg / TEN_MINUTES_S,
                          duration=TEN_MINUTES_S, frequency_per_year=5e-7),
        LossOfContainment(id="G3_hole_10mm", rate_kg_s=min(HOLE_RATE_KG_S,
                                                           inventory_kg / HOLE_DURATION_S),
                          duration=HOLE_DURATION_S, frequency_per_year=1e-5),
    ]


class RiskSource(ConfigModel):
    """A chemical site.

    Attributes
    ----------
    id, name
        Its id and name.
    location
        Where it is.
    substance
        What it stores (a built-in name or its properties, as a leak's).
    inventory_kg
        How much (kg).
    storage
        How it is stored (informative; the defaults are those of a
        pressurised vessel).
    releases
        Its loss-of-containment scenarios; omitted: :func:`default_releases`.
    """

    id: Id
    name: Text | None = None
    location: Location
    substance: Substance
    inventory_kg: PosFloat
    storage: Text = "pressurised_vessel"
    releases: list[LossOfContainment] | None = None

    @model_validator(mode="after")
    def _within_inventory(self) -> RiskSource:
        problems = []
        seen: set[str] = set()
        for i, r in enumerate(self.releases or ()):
            if r.released_kg > self.inventory_kg * (1 + 1e-9):
                what = "mass_kg" if r.mass_kg is not None else "duration"
                problems.append(line_error(
                    ("releases", i, what), f"releases {r.released_kg:g} kg, more than the "
                    f"inventory ({self.inventory_kg:g} kg)"))
            if r.id in seen:
                problems.append(line_error(("releases", i, "id"), f"duplicate id {r.id!r}"))
            seen.add(r.id)
        if problems:
            raise_errors("RiskSource", problems)
        return self

    @property
    def losses(self) -> list[LossOfContainment]:
        """The releases, or the Purple Book defaults when none were given."""
        return self.releases if self.releases is not None else default_releases(
            self.inventory_kg)


_CSV_NUMBERS = ("x", "y", "lon", "lat", "inventory_kg")
_CSV_COLUMNS = ("id", "name", "substance", "storage", *_CSV_NUMBERS)


def _csv_cell(column: str, text: str) -> Any:
    text = text.strip()
    if column in _CSV_NUMBERS and text:
        try:
            return float(text)
        except ValueError:
            return text
    return text or None


def _sources_csv(value: Mapping[str, Any], handler: Any, info: ValidationInfo) -> Any:
    """Sources from ``{csv: FILE}``: one row per site; errors at ``csv.[row N].<column>``."""
    if set(value) != {"csv"}:
        raise_errors("sources", [line_error((), "expected a list of sources or {csv: FILE}")])
    try:
        path: Path = resolve_input_path(value["csv"], info)
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise_errors("sources", [line_error(("csv",), f"cannot read the inventory: {exc}")])
    except Exception as exc:  # a pydantic custom error from resolve_input_path
        raise_errors("sources", [line_error(("csv",), str(exc))])
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    problems = [line_error(("csv",), f"{path.name}: unknown column {h!r} (expected: "
                                     f"{', '.join(_CSV_COLUMNS)})") for h in header
                if h not in _CSV_COLUMNS]
    rows: list[dict[str, Any]] = []
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        number = len(rows) + 1
        if len(cells) != len(header):
            problems.append(line_error(("csv", f"[row {number}]"), f"expected {len(header)} "
                                       f"cells as in the header, got {len(cells)}"))
        cell = dict(zip(header, (_csv_cell(h, c) for h, c in zip(header, cells, strict=False)),
                        strict=False))
        location = {k: cell.pop(k) for k in ("x", "y", "lon", "lat") if cell.get(k) is not None}
        for k in ("x", "y", "lon", "lat"):
            cell.pop(k, None)
        rows.append({k: v for k, v in cell.items() if v is not None} | {"location": location})
    if problems:
        raise_errors("sources", problems)
    try:
        return handler(rows)
    except ValidationError as exc:
        out = []
        for e in exc.errors():
            loc = tuple(e["loc"])
            rest = loc[1:]
            if rest and rest[0] == "location":
                rest = rest[1:] or ("x",)
            out.append(rebuild_error(e, ("csv", f"[row {int(loc[0]) + 1}]", *rest)))
        raise_errors("sources", out)


def _sources(value: Any, handler: Any, info: ValidationInfo) -> Any:
    if isinstance(value, Mapping):
        return _sources_csv(value, handler, info)
    return handler(value)


#: The sources: a list of :class:`RiskSource` or ``{csv: FILE}``.
Sources = Annotated[list[RiskSource], WrapValidator(_sources)]


class WeatherClass(ConfigModel):
    """A stability and wind-speed class and its share of the year.

    Attributes
    ----------
    stability
        Pasquill-Turner class A-F.
    wind_speed_mps
        Wind speed at 10 m (m/s).
    probability
        Share of the year (the classes add up to 1).
    """

    stability: Literal["A", "B", "C", "D", "E", "F"]
    wind_speed_mps: PosFloat
    probability: Fraction


DEFAULT_CLASSES: tuple[WeatherClass, ...] = tuple(
    WeatherClass.model_validate({"stability": s, "wind_speed_mps": u, "probability": p})
    for s, u, p in (("B", 3.0, 0.08), ("D", 1.5, 0.08), ("D", 5.0, 0.42), ("D", 9.0, 0.12),
                    ("E", 5.0, 0.10), ("F", 1.5, 0.20)))
"""The Purple Book's six classes with stand-in shares (module docstring; check)."""


class RiskWeather(ConfigModel):
    """The weather statistics: a wind rose times stability and speed classes.

    Attributes
    ----------
    sectors
        Wind sectors; the wind blows from the centre of each (sector ``k``
        from ``k 360/sectors`` degrees clockwise from north). Default 12.
    rose
        Probability of each sector (from sector 0 on), adding up to 1;
        default: equally likely.
    terrain
        ``urban`` (default) or ``rural``: the Briggs coefficients.
    classes
        The stability and speed classes, their probabilities adding up to 1;
        default :data:`DEFAULT_CLASSES`.
    day_fraction
        Share of the hours that are daytime (Purple Book: 08:00-18:30, 0.44),
        for where people are.
    """

    sectors: PosInt = 12
    rose: list[Fraction] | None = None
    terrain: Literal["rural", "urban"] = "urban"
    classes: list[WeatherClass] = list(DEFAULT_CLASSES)
    day_fraction: Fraction = 0.44

    @model_validator(mode="after")
    def _sums(self) -> RiskWeather:
        problems = []
        total = sum(c.probability for c in self.classes)
        if not self.classes or abs(total - 1.0) > PROBABILITY_TOLERANCE:
            problems.append(line_error(("classes",), f"expected class probabilities adding "
                                                     f"up to 1, got {total:g}"))
        if self.rose is not None:
            if len(self.rose) != self.sectors:
                problems.append(line_error(("rose",), f"expected {self.sectors} probabilities "
                                                      f"(one per sector), got {len(self.rose)}"))
            elif abs(sum(self.rose) - 1.0) > PROBABILITY_TOLERANCE:
                problems.append(line_error(("rose",), f"expected probabilities adding up to "
                                                      f"1, got {sum(self.rose):g}"))
        if problems:
            raise_errors("RiskWeather", problems)
        return self

    @property
    def sector_probabilities(self) -> list[float]:
        """Probability of each sector."""
        return list(self.rose) if self.rose is not None else [1.0 / self.sectors] * self.sectors


class Receptor(ConfigModel):
    """A point where the individual risk is reported (``receptors.csv``)."""

    id: Id
    location: Location


class Place(ConfigModel):
    """A place checked against the individual-risk criteria.

    Attributes
    ----------
    id, name
        Its id and name.
    kind
        ``school``, ``hospital``, ``kindergarten``, ``elderly_home``
        (highly sensitive) or any other word (``residential``, ``office``).
    location
        Where it is.
    persons
        How many people are usually there; decides the criterion of a place
        that is not highly sensitive (< 30, 30-100, >= 100).
    """

    id: Id
    name: Text | None = None
    kind: Text
    location: Location
    persons: PosInt = 100


class Presence(ConfigModel):
    """Where residents are, for the societal risk (Purple Book defaults, MODELS.md).

    Attributes
    ----------
    indoors_day, indoors_night
        Share of residents indoors by day (0.93) and by night (0.99).
    indoor_lethality_factor
        Indoors, lethality is the outdoor lethality times this (0.1; MODELS.md
        marks it "check").
    """

    indoors_day: Fraction = 0.93
    indoors_night: Fraction = 0.99
    indoor_lethality_factor: Fraction = 0.1


class DynamicOptions(ConfigModel):
    """How ``mode: dynamic`` (or ``both``) simulates the events that dominate risk.

    Attributes
    ----------
    events
        How many (LOC, weather class, wind direction) events to simulate, those
        with the largest static ``f N`` (default 10); the others keep their
        static deaths.
    duration
        Simulated time of each run (default 2 h: the release, the passage of
        the gas, the response).
    air_exchange
        Air-change rates of the leak in every run; default the leak's own.
    replications
        Runs per event (default 1), replications ``0 ... R-1`` of ``citysim
        run`` with the base seed: the event's deaths are their mean, and each
        is an outcome of ``1/R`` of the event's frequency in the F-N curve
        (:mod:`citysim.risk.dynamic`).
    """

    events: PosInt = 10
    duration: PositiveDuration = 7200.0
    air_exchange: AirExchange | None = None
    replications: PosInt = 1


class RiskVariant(ConfigModel):
    """A what-if of the risk file (``variants:``): the sources and the city changed.

    Applied to the file's sources in this order: ``remove``, ``move``,
    ``change``, then ``add`` (:meth:`RiskExperiment.variant`). Shelters and
    stations change what the dynamic runs and the fire runs simulate
    (:func:`citysim.risk.hazards.variant_hazards`); the static QRA and the
    flood count people at home.

    Attributes
    ----------
    id, name
        Its id (a folder name: ``<out>/variants/<id>/``; not ``base``) and name.
    remove
        Source ids left out (relocated out of reach).
    move
        Source id to its new location (a chemical park).
    change
        Source id to the keys of the source that change (``inventory_kg``,
        ``releases`` with their frequencies, ``substance``, ...).
    add
        New sources.
    add_shelters, add_stations
        Shelters and stations added to the base scenario's (the scenario's
        own entries, as in its ``shelters:`` and ``stations:`` lists).
    """

    id: Id
    name: Text | None = None
    remove: list[Id] = []
    move: dict[str, Location] = {}
    change: dict[str, dict[str, Any]] = {}
    add: list[RiskSource] = []
    add_shelters: list[dict[str, Any]] = []
    add_stations: list[dict[str, Any]] = []


class RiskExperiment(Experiment):
    """``kind: risk``: the city's risk from an inventory of hazard sources (module docstring).

    Attributes
    ----------
    mode
        ``static`` (QRA: people where they live, no movement), ``dynamic``
        or ``both``.
    sources
        The chemical sites (ids unique).
    weather
        The weather statistics.
    receptors
        Points where the individual risk is reported.
    places
        Sensitive and other places checked against the criteria.
    presence
        Indoors and outdoors, by day and night.
    installations
        ``existing`` (default) or ``new``: which column of the individual-risk
        criteria applies (MODELS.md).
    cell_m
        Cell of the risk map (m); default: the longer side of the city and
        its margin over 200.
    dynamic
        How dynamic mode simulates (:class:`DynamicOptions`).
    flood, fire
        Flood and fire sources (:mod:`citysim.experiments.risk_hazards_spec`):
        design storms by return period, ignition frequencies by building class.
    variants
        What-ifs computed beside the base (:class:`RiskVariant`).
    """

    kind: Literal["risk"]
    mode: Literal["static", "dynamic", "both"] = "static"
    sources: Sources
    weather: RiskWeather = RiskWeather()
    receptors: list[Receptor] = []
    places: list[Place] = []
    presence: Presence = Presence()
    installations: Literal["new", "existing"] = "existing"
    cell_m: PosFloat | None = None
    dynamic: DynamicOptions = DynamicOptions()
    flood: FloodRisk | None = None
    fire: FireRisk | None = None
    variants: list[RiskVariant] = []

    @model_validator(mode="after")
    def _unique(self) -> RiskExperiment:
        problems = []
        ids: tuple[tuple[str, list[str]], ...] = (
            ("sources", [s.id for s in self.sources]),
            ("receptors", [r.id for r in self.receptors]), ("places", [p.id for p in self.places]))
        for field, items in ids:
            seen: set[str] = set()
            for i, item in enumerate(items):
                if item in seen:
                    problems.append(line_error((field, i, "id"), f"duplicate id {item!r}"))
                seen.add(item)
        if problems:
            raise_errors("RiskExperiment", problems)
        return self

    @model_validator(mode="after")
    def _variants_apply(self) -> RiskExperiment:
        problems = []
        seen: set[str] = {"base"}
        for i, v in enumerate(self.variants):
            if not re.fullmatch(VARIANT_ID, v.id):
                problems.append(line_error(("variants", i, "id"), "expected a folder name: "
                                           "letters, digits, '-', '_' and '.', not starting "
                                           "with '.'", v.id))
            if v.id in seen:
                what = "the base's name" if v.id == "base" else "a duplicate id"
                problems.append(line_error(("variants", i, "id"), f"{what}: {v.id!r}", v.id))
            seen.add(v.id)
            try:
                self.variant(v)
            except ValidationError as exc:
                problems += [rebuild_error(e, ("variants", i, *e["loc"])) for e in exc.errors()]
        if problems:
            raise_errors("RiskExperiment", problems)
        return self

    def variant(self, variant: RiskVariant) -> RiskExperiment:
        """The file with ``variant`` applied to its sources, without variants of its own.

        Raises
        ------
        pydantic.ValidationError
            A source id the file does not have, an added id it has, or a
            ``change`` that makes a bad source; located within the variant.
        """
        known = {s.id: s for s in self.sources}
        problems = []
        for key in ("remove", "move", "change"):
            named = getattr(variant, key)
            for j, sid in enumerate(named):
                if sid not in known:
                    problems.append(line_error((key, j) if key == "remove" else (key, sid),
                                               f"no source {sid!r} in the file (sources: "
                                               f"{', '.join(known)})", sid))
        sources = []
        for s in self.sources:
            if s.id in variant.remove:
                continue
            if s.id in variant.move:
                s = s.model_copy(update={"location": variant.move[s.id]})
            if s.id in variant.change:
                try:
                    s = RiskSource.model_validate(
                        {**s.model_dump(mode="json", exclude_none=True),
                         **variant.change[s.id]})
                except ValidationError as exc:
                    problems += [rebuild_error(e, ("change", s.id, *e["loc"]))
                                 for e in exc.errors()]
            sources.append(s)
        kept = {s.id for s in sources}
        for j, s in enumerate(variant.add):
            if s.id in kept:
                problems.append(line_error(("add", j, "id"), f"source {s.id!r} is already in "
                                                             f"the file", s.id))
            kept.add(s.id)
        if problems:
            raise_errors("RiskVariant", problems)
        return self.model_copy(update={"sources": sources + list(variant.add), "variants": []})
