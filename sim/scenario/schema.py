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
    PlainSerializer,
    PlainValidator,
    PrivateAttr,
    Strict,
    TypeAdapter,
    ValidationError,
    model_serializer,
    model_validator,
)
from pydantic_core import InitErrorDetails

from citysim.errors import Problem
from citysim.scenario.base import (
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
    rebuild_error,
)
from citysim.scenario.distributions import Distribution, DurationDistribution
from citysim.scenario.durations import Duration, PositiveDuration, format_duration
from citysim.scenario.hazard import HazardItem
from citysim.scenario.locations import GeoPoint, Location
from citysim.scenario.problems import Loc, format_path
from citysim.scenario.sites import (
    BBox,
    Candidates,
    HydrantsSpec,
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
    "Drill",
    "DrillInject",
    "MinFireVehicles",
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

MAX_STEPS = 1_000_000
"""Most agent steps in a run (``duration / dt``): 11.6 days at dt 1 s."""
MAX_REPLICATIONS = 10_000
"""Most replications of one run."""
MAX_PERSONS = 10**10
"""Most residents (more than the world's population): counts and their sums stay exact in
int64 and float64."""


class Run(ConfigModel):
    """How long, how finely, how often.

    Attributes
    ----------
    duration
        Simulated time (s), > 0 (queueing validations run for years of
        calls; the bound is on the steps).
    dt
        Agent step (s), > 0 and <= duration; hazards may sub-step; at most
        :data:`MAX_STEPS` steps in the run.
    seed
        Root random seed, >= 0; default 0.
    replications
        Independent runs with seeds derived from ``seed``; default 1; at most
        :data:`MAX_REPLICATIONS` (more is an experiment: ``citysim batch``).
    """

    duration: PositiveDuration
    dt: PositiveDuration
    seed: NonNegInt = 0
    replications: Annotated[int, Strict(), Ge(1), Le(MAX_REPLICATIONS)] = 1

    @model_validator(mode="after")
    def _dt_fits(self) -> Run:
        if self.duration / self.dt > MAX_STEPS:
            raise_errors("Run", [line_error(
                ("dt",), f"expected at most {MAX_STEPS:,} steps in the run, got "
                         f"{self.duration / self.dt:,.0f} (duration / dt): a longer dt or a "
                         "shorter run",
                self.dt)])
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


_OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf")


def _one_source(
    data: dict[str, Any], sources: tuple[str, ...], options: dict[str, tuple[str, ...]]
) -> list[InitErrorDetails]:
    """Problems of a mapping holding exactly one of ``sources`` and options of some of them."""
    given = [k for k in sources if data.get(k) is not None]
    if len(given) != 1:
        got = " and ".join(given) or "none"
        return [line_error((), f"expected exactly one of: {', '.join(sources)}; got {got}", data)]
    return [
        line_error((key,), f"{key} applies to {' or '.join(owners)} only (this one is "
                   f"{given[0]})", data[key])
        for key, owners in options.items()
        if data.get(key) is not None and given[0] not in owners
    ]


class Network(OneOfModel):
    """The road network: exactly one source.

    Attributes
    ----------
    synthetic
        A generated network.
    graphml
        An osmnx-style GraphML file.
    osm
        An OSM file (``.osm``, ``.osm.bz2``, ``.osm.gz``, ``.osm.pbf``, ``.pbf``),
        imported offline.
    walk
        With ``osm``: also import the ways only walkers may use (footways,
        paths, steps, pedestrian streets), as edges cars cannot use
        (``citysim.world.osm``, network type ``drive+walk``); default false: the
        drivable roads only, walked along as well.
    """

    yaml_form: ClassVar[str] = "a mapping with exactly one of: synthetic, graphml, osm (and walk)"
    sources: ClassVar[tuple[str, ...]] = ("synthetic", "graphml", "osm")

    synthetic: SyntheticNetwork | None = None
    graphml: InputPath | None = None
    osm: InputPath | None = None
    walk: Annotated[bool, Strict()] | None = None

    @classmethod
    def _check_keys(cls, data: dict[str, Any]) -> list[InitErrorDetails]:
        return _one_source(data, cls.sources, {"walk": ("osm",)})

    @property
    def kind(self) -> str:
        """Name of the source that is set."""
        return next(k for k in self.sources if getattr(self, k) is not None)

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


class Underpass(ConfigModel):
    """A road underpass: a trough in the terrain along the road at ``location``.

    Attributes
    ----------
    location
        A point on the road that dips (under a crossing road or a railway):
        the trough runs along the nearest road edge, centred on the point's
        projection onto it.
    depth_m
        Depth of the trough's floor below the ground (m).
    length_m
        Length of the trough, ramps included (m); the floor is its middle half.
    name
        Name in the outputs; default ``underpass <k>``.
    """

    location: Location
    depth_m: PosFloat = 5.0
    length_m: PosFloat = 160.0
    name: Text | None = None


_UNDERPASSES = TypeAdapter(tuple[Underpass, ...])
_UNDERPASS_FORM = ("a number of arterial crossings, or a list of underpasses "
                   "[{location: ..., depth_m: ..., length_m: ..., name: ...}]")


def _underpasses(value: Any) -> int | tuple[Underpass, ...]:
    """``underpasses``: a count (>= 0) or a list of :class:`Underpass` blocks."""
    if isinstance(value, tuple) and all(isinstance(u, Underpass) for u in value):
        return value
    if isinstance(value, bool) or not isinstance(value, int | list | tuple):
        raise error(f"expected {_UNDERPASS_FORM}, got {describe_value(value)}")
    if isinstance(value, int):
        if value < 0:
            raise error(f"expected a value >= 0, got {value}")
        return value
    try:
        return _UNDERPASSES.validate_python(value)
    except ValidationError as exc:
        raise_errors("Underpass", [rebuild_error(e) for e in exc.errors()])


def _dump_underpasses(value: int | tuple[Underpass, ...], info: Any) -> Any:
    if isinstance(value, int):
        return value
    return [u.model_dump(mode=info.mode) for u in value]


class SyntheticTerrain(ConfigModel):
    """A generated elevation model.

    ``plane``: a plane at ``base_m`` rising with ``slope``; ``bowl`` and
    ``valley`` add a depression ``depth_m`` deep (``depth_m`` is an error
    with ``plane``). ``underpasses``: a list of :class:`Underpass`, or a
    number of arterial crossings to put one at
    (:func:`citysim.world.terrain.with_underpasses`).
    """

    kind: Literal["plane", "bowl", "valley"] = "plane"
    cell_m: PosFloat = 25.0
    slope: NonNegFloat = 0.002
    depth_m: NonNegFloat = 5.0
    base_m: Float = 0.0
    underpasses: Annotated[int | tuple[Underpass, ...], PlainValidator(_underpasses),
                           PlainSerializer(_dump_underpasses)] = 0

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
        if not self.underpasses:  # scenarios without underpasses resolve as before
            out.pop("underpasses", None)
        return out


class Terrain(OneOfModel):
    """The ground elevation: exactly one source.

    Attributes
    ----------
    synthetic
        A generated surface.
    asc
        An ESRI ASCII grid in the scenario frame (m).
    geotiff
        A single-band GeoTIFF DEM (m) in its own CRS (e.g. SRTM in EPSG:4326).
    hgt
        An SRTM tile (``N42E001.hgt`` or ``.hgt.zip``).
    cell_m
        With ``geotiff`` or ``hgt``: cell size of the grid the DEM is
        resampled to in the run's frame (m); default the DEM's pixel.
    nodata
        With ``geotiff`` or ``hgt``: a value meaning "no data" besides the
        file's own (e.g. 0 where the DEM gives open water as 0); such cells
        are walls to a flood.
    """

    yaml_form: ClassVar[str] = ("a mapping with exactly one of: synthetic, asc, geotiff, hgt "
                                "(and cell_m, nodata with geotiff or hgt)")
    sources: ClassVar[tuple[str, ...]] = ("synthetic", "asc", "geotiff", "hgt")

    synthetic: SyntheticTerrain | None = None
    asc: InputPath | None = None
    geotiff: InputPath | None = None
    hgt: InputPath | None = None
    cell_m: PosFloat | None = None
    nodata: Float | None = None

    @classmethod
    def _check_keys(cls, data: dict[str, Any]) -> list[InitErrorDetails]:
        dem = ("geotiff", "hgt")
        return _one_source(data, cls.sources, {"cell_m": dem, "nodata": dem})

    @property
    def kind(self) -> str:
        """Name of the source that is set."""
        return next(k for k in self.sources if getattr(self, k) is not None)


_POPULATION_FORMS = ("uniform, {node_weight: ATTR}, {asc: path}, {csv: path, count: COLUMN, "
                     "radius_m: R} or {geotiff: path}")
_POPULATION_SOURCES = ("node_weight", "asc", "csv", "geotiff")


class PopulationDistribution(OmitNoneModel):
    """Where residents live (:mod:`citysim.world.population`).

    Attributes
    ----------
    node_weight
        Name of a numeric node attribute of the network to weight nodes by.
    asc
        An ESRI ASCII grid of population.
    csv
        Counts at points (a hexagon grid's centres): columns ``lon, lat`` or
        ``x, y`` and the ``count`` column.
    count
        With ``csv``: the count column; default ``population``.
    radius_m
        With ``csv``: persons live within this distance of their point (m);
        default half the median spacing of the points.
    geotiff
        A population raster (persons per pixel) in its own CRS.

    All ``None`` (written ``uniform``): uniform over nodes. :attr:`kind` says which.
    With ``csv`` or ``geotiff``, ``residents`` defaults to the data's total.
    """

    yaml_form: ClassVar[str] = _POPULATION_FORMS

    node_weight: Text | None = None
    asc: InputPath | None = None
    csv: InputPath | None = None
    count: Text | None = None
    radius_m: NonNegFloat | None = None
    geotiff: InputPath | None = None

    @classmethod
    def _prepare(cls, data: Any) -> Any:
        if isinstance(data, str) and data == "uniform":
            return {}
        return data

    @classmethod
    def _check_keys(cls, data: dict[str, Any]) -> list[InitErrorDetails]:
        given = [k for k in _POPULATION_SOURCES if data.get(k) is not None]
        if len(given) > 1:
            return [
                line_error((), f"expected one of {_POPULATION_FORMS}; got {' and '.join(given)}")
            ]
        return [line_error((k,), f"{k} applies to csv only", data[k])
                for k in ("count", "radius_m") if data.get(k) is not None and given != ["csv"]]

    @model_serializer(mode="wrap")
    def _omit_none(self, handler: Any) -> Any:
        out = {k: v for k, v in handler(self).items() if v is not None}
        return out or "uniform"

    @property
    def kind(self) -> Literal["uniform", "node_weight", "asc", "csv", "geotiff"]:
        """``uniform``, ``node_weight``, ``asc``, ``csv`` or ``geotiff``."""
        for name in _POPULATION_SOURCES:
            if getattr(self, name) is not None:
                return name  # type: ignore[return-value]
        return "uniform"


class Population(ConfigModel):
    """The residents.

    Attributes
    ----------
    residents
        Persons living in the city; default 10000, or the data's total with a
        ``csv`` or ``geotiff`` distribution (the counts are scaled to it when
        it is given); at most :data:`MAX_PERSONS`.
    persons_per_agent
        Persons each simulated agent stands for; default 1; at most
        :data:`MAX_PERSONS`.
    distribution
        Where they live.
    """

    residents: Annotated[int, Strict(), Ge(0), Le(MAX_PERSONS)] = 10000
    persons_per_agent: Annotated[int, Strict(), Ge(1), Le(MAX_PERSONS)] = 1
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
    gap_m
        Separation between neighbouring buildings in a block (m): plots are
        ``footprint_m + gap_m`` apart, or a little more to fill the block; default 4.
    """

    density: Annotated[float, Strict(), Gt(0), Le(1)] = 0.5
    footprint_m: PosFloat = 12.0
    fire_resistant_fraction: Fraction = 0.3
    gap_m: NonNegFloat = 4.0


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
        so that ``{lon, lat}`` locations can be used with it and its GIS
        layers (``outputs.geojson``, which needs it) are drawn there. No
        default: without it the city has no geographic frame. Only for
        synthetic networks (file networks carry their own coordinates).
    max_snap_m
        A location farther than this (m) from every network node is off the
        map (an error); default 500.
    bbox
        Study area ``{west, south, east, north}`` (WGS84 degrees), with an
        OSM network: roads, population points and OSM facilities outside it
        are left out.
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
    bbox: BBox | None = None
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
        if self.bbox is not None and self.network.osm is None:
            raise_errors("City", [line_error(("bbox",), "bbox applies to an osm network only")])
        return self

    @model_validator(mode="after")
    def _residents_from_data(self) -> City:
        pop = self.population
        if pop.distribution.kind not in ("csv", "geotiff") or "residents" in pop.model_fields_set:
            return self
        from citysim.errors import ScenarioError
        from citysim.scenario.population_data import population_points

        try:
            total = population_points(pop.distribution, self.bbox).total
        except ScenarioError as exc:
            loc = ("population", "distribution", pop.distribution.kind)
            raise_errors("City", [line_error(loc, p.message) for p in exc.problems])
        population = pop.model_copy(update={"residents": round(total)})
        population.__pydantic_fields_set__.add("residents")
        return self.model_copy(update={"population": population})


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


class WarningArea(ConfigModel):
    """Where a warning is issued: the residents living within ``radius_m`` of ``location``."""

    location: Location
    radius_m: PosFloat


class ScheduledWarning(OmitNoneModel):
    """A warning issued at a time (warnings are also issued on hazard detection).

    Attributes
    ----------
    at
        When (s), within the run (``<= run.duration``).
    reach
        Share of residents it reaches, (0, 1]; default 1.
    area
        Only residents whose home lies in this circle; default the whole city
        (a drill-room inject, :mod:`citysim.scenario.injects`).
    """

    at: Duration
    reach: Annotated[float, Strict(), Gt(0), Le(1)] = 1.0
    area: WarningArea | None = None


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


class OutOfService(ConfigModel):
    """A unit out of service for a while (a breakdown, a drill inject).

    Attributes
    ----------
    unit
        The unit's name: station id, type and number, e.g. ``F1-engine2``.
    at
        When it goes out of service (s); a unit out on a call finishes it first.
    until
        When it is back (s); ``None``: not in this run.
    """

    unit: Annotated[str, Strict(), MinLen(1)]
    at: Duration
    until: Duration | None = None


class MinFireVehicles(ConfigModel):
    """Fewest fire vehicles a station of each 建标152-2017 class holds.

    Fire vehicles are engines, ladders, rescue and hazmat units (ambulances
    are not).  ``stations_compliance.csv`` judges each station against the
    minimum of its class, and a station without a declared class gets the
    highest class whose minimum it meets.  The defaults (5 / 2 / 2) are an
    **assumption, not confirmed from the standard**: secondary summaries give
    5-7 (一级) and 2-4 (二级) vehicles for 建标152 without naming the
    edition or table, an earlier edition 4-5 and 2-3, and none a figure for
    the small station (docs/fire-protection.md, "Where the numbers come
    from").  Each must be at least the next class's.

    Attributes
    ----------
    class_1, class_2, small
        Fewest fire vehicles of a class-1 (一级), class-2 (二级) and small
        (小型) 普通消防站; defaults 5, 2, 2.
    """

    class_1: NonNegInt = 5
    class_2: NonNegInt = 2
    small: NonNegInt = 2

    @model_validator(mode="after")
    def _ordered(self) -> MinFireVehicles:
        if not self.class_1 >= self.class_2 >= self.small:
            raise ValueError("expected class_1 >= class_2 >= small, got "
                             f"{self.class_1}, {self.class_2}, {self.small}")
        return self


class Response(ConfigModel):
    """Fire and rescue response.

    Attributes
    ----------
    dispatch
        Dispatch rule; only ``closest_available`` (by current travel time).
    standard
        Arrival target after the call (s; the response time counts queue wait,
        turnout and travel); default 5 min. Coverage counts it from dispatch.
    service_time
        Time on scene (s); default lognormal, median 20 min, sigma 0.5.
    background_calls
        Everyday calls.
    when_all_busy
        A call that finds no suitable unit free waits for one (``queue``) or
        goes unanswered (``lost``, as in the hypercube and Erlang-B models).
    out_of_service
        Units out of service for a while; default none.
    rescue_speed_closed_mps
        Speed of rescue units (boats, high-clearance trucks) on roads a
        hazard closed (m/s); default 1.5 (a boat or wading team in urban
        floodwater). 0: they keep to open roads like every other unit.
    min_fire_vehicles
        Fewest fire vehicles by station class (:class:`MinFireVehicles`),
        judged in ``stations_compliance.csv``; default 5 / 2 / 2, an
        assumption, not confirmed from 建标152-2017.
    """

    dispatch: Literal["closest_available"] = "closest_available"
    standard: PositiveDuration = 300.0
    service_time: NonNegDurationDistribution = DurationDistribution(
        dist="lognormal", median=1200.0, sigma=0.5
    )
    background_calls: BackgroundCalls = BackgroundCalls()
    when_all_busy: Literal["queue", "lost"] = "queue"
    out_of_service: tuple[OutOfService, ...] = ()
    rescue_speed_closed_mps: NonNegFloat = 1.5
    min_fire_vehicles: MinFireVehicles = MinFireVehicles()

    @model_serializer(mode="wrap")
    def _own_keys(self, handler: Any) -> Any:
        out = handler(self)
        if not self.out_of_service:  # scenarios without them resolve as before
            out.pop("out_of_service", None)
        if self.rescue_speed_closed_mps == 1.5:
            out.pop("rescue_speed_closed_mps", None)
        if self.min_fire_vehicles == MinFireVehicles():
            out.pop("min_fire_vehicles", None)
        return out

    @model_validator(mode="after")
    def _spells_in_order(self) -> Response:
        for spell in self.out_of_service:
            if spell.until is not None and spell.until <= spell.at:
                raise ValueError(f"out_of_service for {spell.unit!r}: until must be after at")
        return self


# --- outputs -------------------------------------------------------------------------


class Probe(ConfigModel):
    """A point where hazard fields are recorded over time."""

    id: Id
    location: Location


_GEOJSON_NEEDS_ORIGIN = (
    "GeoJSON layers are WGS84 longitude/latitude, and a synthetic city is nowhere on the "
    "Earth until city.origin says where its (0, 0) is: set city.origin: {lon: ..., lat: ...} "
    "(any place; the layers are drawn there) or outputs.geojson: false")
"""Why ``outputs.geojson`` is refused for a synthetic city without ``city.origin``."""


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
    animation
        Whether to write ``animation.gif`` (and ``animation.mp4`` where
        ffmpeg exists): hazards, residents, units and shelters over time;
        default false.
    animation_fps
        Frames per second of the animation, 1..30; default 6.
    geojson
        Whether to write the GIS layers into ``gis/`` (GeoJSON); default false.
        The layers are in WGS84 longitude/latitude (RFC 7946), so that QGIS
        and GDAL open them in place: a synthetic city needs ``city.origin``
        (there is no default origin: a made-up place would put the layers
        somewhere on the Earth as if the city were there, and would let
        ``{lon, lat}`` inputs meant for a real place land silently on it).
    """

    dir: OutputPath | None = None
    every: PositiveDuration = 60.0
    probes: Annotated[tuple[Probe, ...], AfterValidator(check_unique_ids)] = ()
    plots: Annotated[bool, Strict()] = True
    animation: Annotated[bool, Strict()] = False
    animation_fps: Annotated[int, Strict(), Ge(1), Le(30)] = 6
    geojson: Annotated[bool, Strict()] = False

    @model_serializer(mode="wrap")
    def _own_keys(self, handler: Any) -> Any:
        out = handler(self)
        for key, default in (("animation", False), ("animation_fps", 6), ("geojson", False)):
            if out.get(key) == default:  # scenarios that ask for none resolve as before
                out.pop(key)
        return out


# --- drill -----------------------------------------------------------------------------


class DrillInject(ConfigModel):
    """A scripted inject of the drill timeline (``citysim drill``).

    Attributes
    ----------
    at
        Scenario time of the inject (s), within the run.
    event
        What happens, in a few words.
    text
        The message as the receiving players get it; default the ``event``.
    to
        Who receives it (traffic police, shelter manager, fire dispatch ...).
    expected_action
        What the players are expected to do.
    objective
        The standard or exercise objective it tests.
    """

    at: Duration
    event: Text
    text: Annotated[str, Strict()] = ""
    to: Text = "incident commander"
    expected_action: Annotated[str, Strict()] = ""
    objective: Annotated[str, Strict()] = ""


class Drill(ConfigModel):
    """The exercise built on the run (``citysim drill``).

    Attributes
    ----------
    injects
        Scripted injects added to those the simulation produces.
    """

    injects: tuple[DrillInject, ...] = ()


# --- scenario --------------------------------------------------------------------------

_SECTIONS_WITH_DEFAULTS = (
    "description",
    "shelters",
    "candidates",
    "stations",
    "hydrants",
    "hazards",
    "behaviour",
    "response",
    "outputs",
    "drill",
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
        Tuples of :class:`~citysim.scenario.sites.Shelter` /
        :class:`~citysim.scenario.sites.Station` (CSV files already read).
    candidates
        Candidate sites for ``citysim optimize``.
    hydrants
        Municipal fire hydrants: a tuple of
        :class:`~citysim.scenario.sites.Hydrant`, or
        :class:`~citysim.scenario.sites.SyntheticHydrants` (placed along the
        streets when the world is built).
    hazards
        Tuple of hazard configs, each an instance of the model registered
        for its ``type`` (:mod:`citysim.hazards.registry`).
    behaviour, response, outputs
        Defaulted sections.
    drill
        Scripted injects of the drill timeline; default none.

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
    hydrants: HydrantsSpec = ()
    hazards: tuple[HazardItem, ...] = ()
    behaviour: Behaviour = Behaviour()
    response: Response = Response()
    outputs: Outputs = Outputs()
    drill: Drill = Drill()

    _source_file: Path | None = PrivateAttr(default=None)

    @model_serializer(mode="wrap")
    def _own_keys(self, handler: Any) -> Any:
        out = handler(self)
        if not self.drill.injects:  # scenarios without a drill resolve as before
            out.pop("drill", None)
        if "hydrants" not in self.model_fields_set:  # nor those without hydrants
            out.pop("hydrants", None)
        return out
    _overrides: tuple[str, ...] = PrivateAttr(default=())
    _source_map: Any = PrivateAttr(default=None)

    @classmethod
    def _prepare(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = {
                k: v for k, v in data.items() if not (v is None and k in _SECTIONS_WITH_DEFAULTS)
            }
            return _osm_site_defaults(data)
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
        if self.outputs.geojson and self.city.network.synthetic is not None \
                and self.city.origin is None:
            problems.append(line_error(("outputs", "geojson"), _GEOJSON_NEEDS_ORIGIN))
        timed = [(("drill", "injects", i, "at"), inject.at)
                 for i, inject in enumerate(self.drill.injects)]
        timed += [(("behaviour", "warnings", i, "at"), warning.at)
                  for i, warning in enumerate(self.behaviour.warnings)]
        for loc, at in timed:  # what is scheduled happens within the run
            if at > self.run.duration:
                problems.append(line_error(
                    loc,
                    f"expected a time within the run (run.duration: "
                    f"{format_duration(self.run.duration)}), got {format_duration(at)}",
                ))
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
        result again (:func:`~citysim.scenario.loader.load_scenario_dict`) gives
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
        "location")``; :func:`~citysim.scenario.problems.format_path` writes it
        ``shelters.csv[row 3].location``.
        """
        yield from _iter_locations(self, ())

    def problem(self, loc: Loc, message: str) -> Problem:
        """Return a :class:`~citysim.errors.Problem` at ``loc`` with its line in the file.

        For code past the loader that finds a problem with the input (a
        location off the map, a node id not in the network): raise
        ``ScenarioError([scenario.problem(loc, msg)], source=scenario.source_file)``.
        """
        if self._source_map is not None:
            return self._source_map.problem(loc, message)
        return Problem(format_path(loc), message)


def _osm_site_defaults(data: dict[str, Any]) -> dict[str, Any]:
    """Give ``{osm: ...}`` site lists the city's OSM file and bbox unless they name theirs."""
    city = data.get("city")
    network = city.get("network") if isinstance(city, dict) else None
    defaults = {"file": network.get("osm") if isinstance(network, dict) else None,
                "bbox": city.get("bbox") if isinstance(city, dict) else None}
    defaults = {k: v for k, v in defaults.items() if v is not None}
    if not defaults:
        return data

    def fill(value: Any) -> Any:
        if isinstance(value, dict) and "osm" in value:
            return {**defaults, **value}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    out = {k: fill(v) if k in ("shelters", "stations", "hydrants") else v
           for k, v in data.items()}
    if isinstance(out.get("candidates"), dict):
        out["candidates"] = {k: fill(v) for k, v in out["candidates"].items()}
    return out


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
