"""The scenario schema: one pydantic model per YAML section (SCENARIO_SPEC.md).

Attribute names are the YAML keys. Once loaded: durations are float seconds,
paths absolute :class:`pathlib.Path`, lists tuples, CSV site files read into
the same models as YAML lists, built-in substances looked up. Everything is
immutable.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from annotated_types import Ge, Gt, Le, MaxLen, MinLen
from pydantic import (
    AfterValidator,
    BaseModel,
    PlainValidator,
    PrivateAttr,
    Strict,
    model_serializer,
    model_validator,
)
from pydantic_core import InitErrorDetails

from sim.errors import Problem
from sim.scenario.base import (
    ConfigModel,
    Float,
    Fraction,
    Id,
    InputPath,
    NonNegFloat,
    NonNegInt,
    OmitNoneModel,
    OneOfModel,
    OutputPath,
    PosFloat,
    PosInt,
    Text,
    describe_value,
    error,
    line_error,
    raise_errors,
)
from sim.scenario.distributions import Distribution, DurationDistribution
from sim.scenario.durations import Duration, PositiveDuration, format_duration
from sim.scenario.hazard import HazardItem
from sim.scenario.locations import GeoPoint, Location
from sim.scenario.problems import Loc, format_path
from sim.scenario.sites import (
    Candidates,
    ShelterList,
    Site,
    StationList,
    Units,
    check_unique_ids,
)

__all__ = [
    "BackgroundCalls",
    "Behaviour",
    "Buildings",
    "City",
    "ModeShare",
    "Network",
    "Outputs",
    "Population",
    "PopulationDistribution",
    "Probe",
    "Response",
    "Run",
    "Scenario",
    "ScheduledWarning",
    "SyntheticBuildings",
    "SyntheticNetwork",
    "SyntheticTerrain",
    "Terrain",
    "scenario_to_dict",
]

_NAME = re.compile(r"[a-z0-9_-]+")


def _scenario_name(value: Any) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise error(
            "expected a name of lowercase letters, digits, '-' and '_' "
            f"(such as zhengzhou-rainstorm), got {describe_value(value)}"
        )
    return value


# --- run -----------------------------------------------------------------------


class Run(ConfigModel):
    """How long, how finely, how often.

    Attributes
    ----------
    duration
        Simulated time (s), > 0.
    dt
        Agent step (s), > 0 and <= duration; hazards may sub-step.
    seed
        Root random seed, >= 0; default 0.
    replications
        Independent runs with seeds derived from ``seed``; default 1.
    """

    duration: PositiveDuration
    dt: PositiveDuration
    seed: NonNegInt = 0
    replications: PosInt = 1

    @model_validator(mode="after")
    def _dt_fits(self) -> Run:
        if self.dt > self.duration:
            raise_errors(
                "Run",
                [
                    line_error(
                        ("dt",),
                        f"expected dt <= duration ({format_duration(self.duration)}), "
                        f"got {format_duration(self.dt)}",
                        self.dt,
                    )
                ],
            )
        return self


# --- city ----------------------------------------------------------------------

_GRID_KEYS = ("rows", "cols", "block_m", "jitter_m")
_RADIAL_KEYS = ("rings", "spokes", "ring_spacing_m")


class SyntheticNetwork(ConfigModel):
    """A generated road network.

    ``kind: grid``: ``rows`` x ``cols`` nodes ``block_m`` apart, every
    ``arterial_every``-th street an arterial, nodes displaced at random by up
    to ``jitter_m`` (a perturbed grid; < block_m / 3). ``kind: radial``:
    ``rings`` ring roads ``ring_spacing_m`` apart crossed by ``spokes``
    radial roads. Keys of the other kind are an error. Sizes are capped
    (rows, cols <= 5000; rings, spokes <= 1000) to catch typos.
    """

    kind: Literal["grid", "radial"] = "grid"
    rows: Annotated[int, Strict(), Ge(2), Le(5000)] = 20
    cols: Annotated[int, Strict(), Ge(2), Le(5000)] = 20
    block_m: PosFloat = 200.0
    arterial_every: PosInt = 5
    jitter_m: NonNegFloat = 0.0
    rings: Annotated[int, Strict(), Ge(1), Le(1000)] = 8
    spokes: Annotated[int, Strict(), Ge(3), Le(1000)] = 12
    ring_spacing_m: PosFloat = 250.0

    @classmethod
    def _check_keys(cls, data: dict[str, Any]) -> list[InitErrorDetails]:
        kind = data.get("kind", "grid")
        other = (
            {"grid": _RADIAL_KEYS, "radial": _GRID_KEYS}.get(kind)
            if isinstance(kind, str)
            else None
        )
        if other is None:
            return []
        owner = "radial" if kind == "grid" else "grid"
        return [
            line_error(
                (k,), f"{k} applies to kind: {owner} only (this network is a {kind})", data[k]
            )
            for k in other
            if k in data
        ]

    @model_serializer(mode="wrap")
    def _own_keys(self, handler: Any) -> Any:
        drop = _RADIAL_KEYS if self.kind == "grid" else _GRID_KEYS
        return {k: v for k, v in handler(self).items() if k not in drop}

    @model_validator(mode="after")
    def _jitter(self) -> SyntheticNetwork:
        if self.jitter_m >= self.block_m / 3:
            raise_errors(
                "SyntheticNetwork",
                [
                    line_error(
                        ("jitter_m",),
                        f"expected jitter_m < block_m / 3 ({self.block_m / 3:g}), "
                        f"got {self.jitter_m:g}",
                        self.jitter_m,
                    )
                ],
            )
        return self


_OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.pbf")


class Network(OneOfModel):
    """The road network: exactly one source.

    Attributes
    ----------
    synthetic
        A generated network.
    graphml
        An osmnx-style GraphML file.
    osm
        An OSM file (``.osm``, ``.osm.bz2``, ``.osm.pbf``), imported offline.
    """

    synthetic: SyntheticNetwork | None = None
    graphml: InputPath | None = None
    osm: InputPath | None = None

    @model_validator(mode="after")
    def _osm_suffix(self) -> Network:
        if self.osm is not None and not self.osm.name.lower().endswith(_OSM_SUFFIXES):
            raise_errors(
                "Network",
                [
                    line_error(
                        ("osm",),
                        f"expected an OSM file ({', '.join(_OSM_SUFFIXES)}), got {self.osm.name!r}",
                        str(self.osm),
                    )
                ],
            )
        return self


class SyntheticTerrain(ConfigModel):
    """A generated elevation model.

    ``plane``: a plane at ``base_m`` rising with ``slope``; ``bowl`` and
    ``valley`` add a depression ``depth_m`` deep (``depth_m`` is an error
    with ``plane``).
    """

    kind: Literal["plane", "bowl", "valley"] = "plane"
    cell_m: PosFloat = 25.0
    slope: NonNegFloat = 0.002
    depth_m: NonNegFloat = 5.0
    base_m: Float = 0.0

    @classmethod
    def _check_keys(cls, data: dict[str, Any]) -> list[InitErrorDetails]:
        if data.get("kind", "plane") == "plane" and "depth_m" in data:
            return [
                line_error(
                    ("depth_m",), "depth_m applies to kind: bowl or valley only", data["depth_m"]
                )
            ]
        return []

    @model_serializer(mode="wrap")
    def _own_keys(self, handler: Any) -> Any:
        out = handler(self)
        if self.kind == "plane":
            out.pop("depth_m", None)
        return out


class Terrain(OneOfModel):
    """The ground elevation: ``synthetic`` or ``asc`` (ESRI ASCII grid, metres)."""

    synthetic: SyntheticTerrain | None = None
    asc: InputPath | None = None


_POPULATION_FORMS = "uniform, {node_weight: ATTR} or {asc: path}"


class PopulationDistribution(OmitNoneModel):
    """Where residents live: ``uniform``, ``{node_weight: ATTR}`` or ``{asc: path}``.

    Attributes
    ----------
    node_weight
        Name of a numeric node attribute of the network to weight nodes by.
    asc
        An ESRI ASCII grid of population.

    Both ``None`` (written ``uniform``): uniform over nodes. :attr:`kind` says which.
    """

    yaml_form: ClassVar[str] = _POPULATION_FORMS

    node_weight: Text | None = None
    asc: InputPath | None = None

    @classmethod
    def _prepare(cls, data: Any) -> Any:
        if isinstance(data, str) and data == "uniform":
            return {}
        return data

    @classmethod
    def _check_keys(cls, data: dict[str, Any]) -> list[InitErrorDetails]:
        if data.get("node_weight") is not None and data.get("asc") is not None:
            return [
                line_error((), f"expected one of {_POPULATION_FORMS}; got both node_weight and asc")
            ]
        return []

    @model_serializer(mode="wrap")
    def _omit_none(self, handler: Any) -> Any:
        out = {k: v for k, v in handler(self).items() if v is not None}
        return out or "uniform"

    @property
    def kind(self) -> Literal["uniform", "node_weight", "asc"]:
        """``uniform``, ``node_weight`` or ``asc``."""
        if self.node_weight is not None:
            return "node_weight"
        if self.asc is not None:
            return "asc"
        return "uniform"


class Population(ConfigModel):
    """The residents.

    Attributes
    ----------
    residents
        Persons living in the city; default 10000.
    persons_per_agent
        Persons each simulated agent stands for; default 1.
    distribution
        Where they live.
    """

    residents: NonNegInt = 10000
    persons_per_agent: PosInt = 1
    distribution: PopulationDistribution = PopulationDistribution()


class SyntheticBuildings(ConfigModel):
    """Generated buildings (used by fire).

    Attributes
    ----------
    density
        Share of building plots built on, (0, 1]; default 0.5.
    footprint_m
        Side of a building (m); default 12.
    fire_resistant_fraction
        Share of fire-resistant buildings, [0, 1]; default 0.3.
    """

    density: Annotated[float, Strict(), Gt(0), Le(1)] = 0.5
    footprint_m: PosFloat = 12.0
    fire_resistant_fraction: Fraction = 0.3


class Buildings(OneOfModel):
    """Buildings: ``synthetic`` or ``csv`` (columns x, y, footprint_m2, structure)."""

    synthetic: SyntheticBuildings | None = None
    csv: InputPath | None = None


class City(ConfigModel):
    """The city: roads, ground, people, buildings.

    Attributes
    ----------
    network
        Road network source.
    origin
        Geographic anchor ``{lon, lat}`` of a synthetic city (its (0, 0)),
        so that ``{lon, lat}`` locations can be used with it. Only for
        synthetic networks (file networks carry their own coordinates).
    max_snap_m
        A location farther than this (m) from every network node is off the
        map (an error); default 500.
    terrain
        Elevation; required by a flood.
    population
        Residents.
    buildings
        Buildings; used by fire.
    """

    network: Network
    origin: GeoPoint | None = None
    max_snap_m: PosFloat = 500.0
    terrain: Terrain | None = None
    population: Population = Population()
    buildings: Buildings | None = None

    @model_validator(mode="after")
    def _origin_for_synthetic(self) -> City:
        if self.origin is not None and self.network.synthetic is None:
            raise_errors(
                "City",
                [
                    line_error(
                        ("origin",),
                        f"origin applies to a synthetic network only; a {self.network.kind} "
                        "network carries its own coordinates",
                    )
                ],
            )
        return self


# --- behaviour -------------------------------------------------------------------


def _positive(dist: Distribution) -> Distribution:
    if not dist.is_positive():
        raise error(
            f"expected only positive values, but this {dist.dist} distribution can draw "
            "values <= 0: add a min > 0"
        )
    return dist


def _non_negative(dist: Distribution) -> Distribution:
    if not dist.is_non_negative():
        raise error(
            f"expected durations >= 0, but this {dist.dist} distribution can draw negative "
            "values: add min: 0"
        )
    return dist


PositiveDistribution = Annotated[Distribution, AfterValidator(_positive)]
NonNegDurationDistribution = Annotated[DurationDistribution, AfterValidator(_non_negative)]


class ScheduledWarning(ConfigModel):
    """A warning issued at a time (warnings are also issued on hazard detection).

    Attributes
    ----------
    at
        When (s).
    reach
        Share of residents it reaches, (0, 1]; default 1.
    """

    at: Duration
    reach: Annotated[float, Strict(), Gt(0), Le(1)] = 1.0


class ModeShare(ConfigModel):
    """Shares of evacuees walking and driving; they sum to 1 (within 1e-6)."""

    walk: Fraction
    car: Fraction

    @model_validator(mode="after")
    def _sums_to_one(self) -> ModeShare:
        total = self.walk + self.car
        if abs(total - 1.0) > 1e-6:
            raise error(f"expected walk + car = 1, got {self.walk:g} + {self.car:g} = {total:g}")
        return self


class Behaviour(ConfigModel):
    """How residents respond.

    Attributes
    ----------
    warnings
        Scheduled warnings.
    response_delay
        Time from learning of a warning to acting (s); default lognormal,
        median 10 min, sigma 0.6.
    compliance
        Share who act on a warning, [0, 1]; default 0.85.
    action
        ``evacuate``, ``shelter_in_place`` or ``auto`` (by hazard); default auto.
    walk_speed_mps
        Free walking speed (m/s); default normal(1.34, 0.26), min 0.5.
    mode_share
        Walk/car shares; default 0.7/0.3.
    persons_per_car
        Occupancy of an evacuating car, >= 1; default 2.5.
    word_of_mouth_per_h
        Rate at which an unwarned resident learns of a warning from warned
        neighbours, per hour, at a node where everyone is warned (scaled by
        the warned share); >= 0, default 1.0; 0 turns word of mouth off.
    """

    warnings: tuple[ScheduledWarning, ...] = ()
    response_delay: NonNegDurationDistribution = DurationDistribution(
        dist="lognormal", median=600.0, sigma=0.6
    )
    compliance: Fraction = 0.85
    action: Literal["evacuate", "shelter_in_place", "auto"] = "auto"
    walk_speed_mps: PositiveDistribution = Distribution(dist="normal", mean=1.34, sd=0.26, min=0.5)
    mode_share: ModeShare = ModeShare(walk=0.7, car=0.3)
    persons_per_car: Annotated[float, Strict(), Ge(1)] = 2.5
    word_of_mouth_per_h: NonNegFloat = 1.0


# --- response ----------------------------------------------------------------------


class BackgroundCalls(ConfigModel):
    """Everyday calls for service, unrelated to the hazards.

    Attributes
    ----------
    rate_per_h
        Calls per hour, >= 0; default 0.
    distribution
        Where they come from: ``population`` (by residents) or ``uniform``
        (over nodes); default population.
    profile
        Optional 24 hourly weights (>= 0, not all 0) modulating the rate over
        the day; ``None``: flat.
    needs
        Units a background call needs (its run card); default one engine.
    """

    rate_per_h: NonNegFloat = 0.0
    distribution: Literal["population", "uniform"] = "population"
    profile: Annotated[tuple[NonNegFloat, ...], MinLen(24), MaxLen(24)] | None = None
    needs: Units = Units(engine=1)

    @model_validator(mode="after")
    def _profile_not_zero(self) -> BackgroundCalls:
        if self.profile is not None and sum(self.profile) <= 0:
            raise_errors(
                "BackgroundCalls",
                [line_error(("profile",), "expected at least one weight > 0, got all 0")],
            )
        return self


class Response(ConfigModel):
    """Fire and rescue response.

    Attributes
    ----------
    dispatch
        Dispatch rule; only ``closest_available`` (by current travel time).
    standard
        Arrival target after dispatch (s); default 5 min.
    service_time
        Time on scene (s); default lognormal, median 20 min, sigma 0.5.
    background_calls
        Everyday calls.
    when_all_busy
        A call that finds no suitable unit free waits for one (``queue``) or
        goes unanswered (``lost``, as in the hypercube and Erlang-B models).
    """

    dispatch: Literal["closest_available"] = "closest_available"
    standard: PositiveDuration = 300.0
    service_time: NonNegDurationDistribution = DurationDistribution(
        dist="lognormal", median=1200.0, sigma=0.5
    )
    background_calls: BackgroundCalls = BackgroundCalls()
    when_all_busy: Literal["queue", "lost"] = "queue"


# --- outputs -------------------------------------------------------------------------


class Probe(ConfigModel):
    """A point where hazard fields are recorded over time."""

    id: Id
    location: Location


class Outputs(ConfigModel):
    """What a run writes.

    Attributes
    ----------
    dir
        Output folder (absolute once loaded); ``None``: the caller's default,
        ``results/<name>`` relative to the working directory.
    every
        Time-series resolution (s), > 0; default 60 s.
    probes
        Points to record hazard fields at; ids unique.
    plots
        Whether to draw figures; default true.
    """

    dir: OutputPath | None = None
    every: PositiveDuration = 60.0
    probes: Annotated[tuple[Probe, ...], AfterValidator(check_unique_ids)] = ()
    plots: Annotated[bool, Strict()] = True


# --- scenario --------------------------------------------------------------------------

_SECTIONS_WITH_DEFAULTS = (
    "description",
    "shelters",
    "candidates",
    "stations",
    "hazards",
    "behaviour",
    "response",
    "outputs",
)


class Scenario(ConfigModel):
    """A whole scenario file (SCENARIO_SPEC.md).

    Attributes
    ----------
    name
        ``[a-z0-9_-]+``.
    description
        Free text.
    run, city
        Required sections.
    shelters, stations
        Tuples of :class:`~sim.scenario.sites.Shelter` /
        :class:`~sim.scenario.sites.Station` (CSV files already read).
    candidates
        Candidate sites for ``citysim optimize``.
    hazards
        Tuple of hazard configs, each an instance of the model registered
        for its ``type`` (:mod:`sim.hazards.registry`).
    behaviour, response, outputs
        Defaulted sections.

    An optional section written empty (``hazards:`` with nothing after it)
    takes its default.
    """

    yaml_form: ClassVar[str] = "a scenario: a mapping with sections name, run, city, ..."

    name: Annotated[str, PlainValidator(_scenario_name)]
    description: Annotated[str, Strict()] = ""
    run: Run
    city: City
    shelters: ShelterList = ()
    candidates: Candidates = Candidates()
    stations: StationList = ()
    hazards: tuple[HazardItem, ...] = ()
    behaviour: Behaviour = Behaviour()
    response: Response = Response()
    outputs: Outputs = Outputs()

    _source_file: Path | None = PrivateAttr(default=None)
    _overrides: tuple[str, ...] = PrivateAttr(default=())
    _source_map: Any = PrivateAttr(default=None)

    @classmethod
    def _prepare(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {
                k: v for k, v in data.items() if not (v is None and k in _SECTIONS_WITH_DEFAULTS)
            }
        return data

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        problems = []
        for i, hazard in enumerate(self.hazards):
            for section in type(hazard).requires_city:
                if getattr(self.city, section, None) is None:
                    problems.append(
                        line_error(
                            ("city", section),
                            f"missing: required by hazards[{i}] ({hazard.type})",
                        )
                    )
        if self.city.network.synthetic is not None and self.city.origin is None:
            for loc, location in self.locations():
                if location.kind == "lonlat":
                    problems.append(
                        line_error(
                            loc,
                            "a {lon, lat} location needs city.origin (the lon/lat of a "
                            "synthetic city's (0, 0)); or give {x, y} or {node: ID}",
                        )
                    )
        if problems:
            raise_errors("Scenario", problems)
        return self

    # --- provenance ------------------------------------------------------------

    @property
    def source_file(self) -> Path | None:
        """The scenario file it was loaded from (absolute), if any."""
        return self._source_file

    @property
    def overrides(self) -> tuple[str, ...]:
        """The overrides applied at load (``key.path=value``; ``--seed N`` as ``run.seed=N``)."""
        return self._overrides

    def resolved(self) -> dict[str, Any]:
        """Return the fully resolved scenario as plain JSON-able data.

        Durations are seconds, paths absolute strings, CSV sites inline lists,
        built-in substances full records, defaults filled in. Loading the
        result again (:func:`~sim.scenario.loader.load_scenario_dict`) gives
        the same scenario.
        """
        return self.model_dump(mode="json")

    def digest(self) -> str:
        """Return the SHA-256 (hex) of :meth:`resolved` as canonical JSON."""
        text = json.dumps(self.resolved(), sort_keys=True, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    # --- locations and problems ----------------------------------------------------

    def locations(self) -> Iterator[tuple[Loc, Location]]:
        """Yield every location in the scenario with its YAML location.

        A site read from CSV is located as ``("shelters", "csv", "[row 3]",
        "location")``; :func:`~sim.scenario.problems.format_path` writes it
        ``shelters.csv[row 3].location``.
        """
        yield from _iter_locations(self, ())

    def problem(self, loc: Loc, message: str) -> Problem:
        """Return a :class:`~sim.errors.Problem` at ``loc`` with its line in the file.

        For code past the loader that finds a problem with the input (a
        location off the map, a node id not in the network): raise
        ``ScenarioError([scenario.problem(loc, msg)], source=scenario.source_file)``.
        """
        if self._source_map is not None:
            return self._source_map.problem(loc, message)
        return Problem(format_path(loc), message)


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """Return the fully resolved scenario as plain JSON-able data (:meth:`Scenario.resolved`)."""
    return scenario.resolved()


def _iter_locations(value: Any, loc: Loc) -> Iterator[tuple[Loc, Location]]:
    if isinstance(value, Location):
        yield loc, value
    elif isinstance(value, BaseModel):
        if (
            isinstance(value, Site)
            and value.csv_row is not None
            and loc
            and isinstance(loc[-1], int)
        ):
            loc = (*loc[:-1], "csv", f"[row {value.csv_row[1]}]")
        for name in type(value).model_fields:
            yield from _iter_locations(getattr(value, name), (*loc, name))
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            yield from _iter_locations(item, (*loc, i))
