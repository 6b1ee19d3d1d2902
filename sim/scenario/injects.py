"""Drill-room injects: events a controller adds to a running scenario, saved as a file.

An injects file is a list of timed additions to a scenario; ``citysim run
SCENARIO --injects FILE`` (and ``citysim view``, live) apply it by turning each
inject into the scenario mechanism that already exists for it, so that the
injected scenario is an ordinary scenario and the run is reproducible bit for
bit::

    scenario: drill-evacuation           # optional: the scenario it was made for
    set: [behaviour.compliance=0.7]      # optional: settings chosen before the start (--set)
    injects:
      - {at: 10min, close_road: {id: R1, location: {x: 900, y: 1500}}}
      - {at: 40min, reopen_road: R1}
      - {at: 12min, out_of_service: F1-engine1}
      - {at: 30min, back_in_service: F1-engine1}
      - {at: 5min, warning: {location: {x: 400, y: 400}, radius_m: 500, reach: 0.9}}
      - {at: 20min, fire: {location: {x: 600, y: 800}}}
      - {at: 25min, release: {location: {x: 900, y: 400}, rate_kg_s: 5, duration: 30min}}
      - {at: 15min, shelter: {id: X1, location: {x: 300, y: 900}, capacity: 1000}}

=================  ==========================================================
inject             becomes
=================  ==========================================================
``close_road``     a closure of a ``type: road_closure`` hazard (added last)
``reopen_road``    that closure's ``until``
``out_of_service`` a ``response.out_of_service`` spell from ``at``
``back_in_service`` that spell's ``until``
``warning``        a ``behaviour.warnings`` entry with an ``area``
``fire``           an ignition of the scenario's first fire hazard (or a new one)
``release``        a ``type: chemical_leak`` hazard starting at ``at``
``shelter``        a ``shelters`` entry that ``opens`` at ``at``
=================  ==========================================================
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Annotated, Any

from annotated_types import Interval
from pydantic import Strict, ValidationError, model_validator

from citysim.errors import Problem, ScenarioError
from citysim.scenario.base import ConfigModel, Id, NonNegFloat, PosFloat, Text, error
from citysim.scenario.durations import Duration, PositiveDuration
from citysim.scenario.loader import load_scenario_dict
from citysim.scenario.locations import Location
from citysim.scenario.problems import error_message, format_path
from citysim.scenario.schema import Scenario
from citysim.scenario.yamlio import read_yaml

__all__ = ["DEFAULT_RELEASE_WEATHER", "Inject", "Injects", "load_injects", "with_injects"]

DEFAULT_RELEASE_WEATHER = {"wind_speed_mps": 3.0, "from_deg": 270.0, "stability": "D"}
"""Weather of an injected release when it names none and the scenario has no leak."""

KINDS = ("close_road", "reopen_road", "out_of_service", "back_in_service", "warning", "fire",
         "release", "shelter")
"""The inject kinds, one key each."""


class RoadInject(ConfigModel):
    """A road to close: the street nearest to ``location`` (or all within ``radius_m``)."""

    id: Id
    location: Location
    radius_m: NonNegFloat = 0.0
    label: Text = "road blocked (drill inject)"


class WarningInject(ConfigModel):
    """A warning to the residents living within ``radius_m`` of ``location``."""

    location: Location
    radius_m: PosFloat
    reach: Annotated[float, Strict(), Interval(gt=0, le=1)] = 1.0


class FireInject(ConfigModel):
    """A fire at the combustible building nearest to ``location``."""

    location: Location


class ReleaseInject(ConfigModel):
    """A continuous toxic release at a point from the inject's time."""

    location: Location
    height_m: NonNegFloat = 2.0
    substance: Text = "chlorine"
    rate_kg_s: PosFloat = 5.0
    duration: PositiveDuration = 1800.0
    weather: dict[str, Any] | None = None


class ShelterInject(ConfigModel):
    """An extra shelter opened at the inject's time."""

    id: Id
    location: Location
    capacity: Annotated[int, Strict(), Interval(ge=1)]
    name: Text = "extra shelter (drill inject)"


class Inject(ConfigModel):
    """One timed inject: ``at`` and exactly one of :data:`KINDS`."""

    at: Duration
    close_road: RoadInject | None = None
    reopen_road: Id | None = None
    out_of_service: Text | None = None
    back_in_service: Text | None = None
    warning: WarningInject | None = None
    fire: FireInject | None = None
    release: ReleaseInject | None = None
    shelter: ShelterInject | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Inject:
        given = [k for k in KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise error(f"expected exactly one of {', '.join(KINDS)}, got "
                        f"{', '.join(given) or 'none'}")
        return self

    @property
    def kind(self) -> str:
        """Which of :data:`KINDS` this inject is."""
        return next(k for k in KINDS if getattr(self, k) is not None)

    def as_yaml(self) -> dict[str, Any]:
        """The inject as it is written in an injects file (durations in seconds)."""
        return {"at": self.at, self.kind: self.model_dump(mode="json")[self.kind]}


class Injects(ConfigModel):
    """An injects file.

    Attributes
    ----------
    scenario
        Name of the scenario it was made for (informative).
    set
        ``key.path=value`` overrides chosen before the start (as ``--set``),
        applied before the injects.
    injects
        The injects.
    """

    scenario: Text | None = None
    set: tuple[Text, ...] = ()
    injects: tuple[Inject, ...] = ()


def load_injects(path: str | Path) -> Injects:
    """Read and validate an injects file.

    Raises
    ------
    ScenarioError
        Every problem, with its YAML path and line in the file.
    """
    file = Path(path).absolute()
    document = read_yaml(file)
    problems = list(document.problems)
    try:
        injects = Injects.model_validate(document.data, context={"base_dir": file.parent})
    except ValidationError as exc:
        problems += [Problem(format_path(tuple(e["loc"])), error_message(e),
                             document.line_of(tuple(e["loc"]))) for e in exc.errors()]
    if problems:
        raise ScenarioError(problems, source=file)
    return injects


def _spell(data: dict[str, Any], unit: str, at: float) -> dict[str, Any] | None:
    """The open out-of-service spell of ``unit`` (``until`` unset), if any."""
    for spell in data.setdefault("response", {}).setdefault("out_of_service", []):
        if spell["unit"] == unit and spell.get("until") is None and spell["at"] <= at:
            return spell
    return None


def with_injects(scenario: Scenario, injects: Injects | tuple[Inject, ...]) -> Scenario:
    """The scenario with the injects added through its own mechanisms (see the module doc).

    Parameters
    ----------
    scenario
        A loaded scenario.
    injects
        The injects, any order (applied by time, ties in file order).

    Returns
    -------
    Scenario
        A new scenario; ``scenario`` itself when there are no injects.

    Raises
    ------
    ScenarioError
        When an inject names a closure or spell that is not open, or the
        injected scenario is not valid (problems name ``injects[k]``).
    """
    items = injects.injects if isinstance(injects, Injects) else tuple(injects)
    settings = injects.set if isinstance(injects, Injects) else ()
    if not items and not settings:
        return scenario
    base = scenario.source_file.parent if scenario.source_file else Path.cwd()
    chosen = load_scenario_dict(scenario.resolved(), base_dir=base, overrides=settings)
    data = copy.deepcopy(chosen.resolved())
    hazards = data.setdefault("hazards", [])
    closures: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for k in sorted(range(len(items)), key=lambda i: (items[i].at, i)):
        item, at = items[k], float(items[k].at)
        where = f"injects[{k}].{item.kind}"
        if item.close_road is not None:
            road = item.close_road.model_dump(mode="json")
            closures.append({**road, "at": at})
        elif item.reopen_road is not None:
            open_ = [c for c in closures if c["id"] == item.reopen_road and "until" not in c]
            if not open_:
                problems.append(Problem(where, f"no closed road {item.reopen_road!r} to reopen"))
            else:
                open_[-1]["until"] = at
        elif item.out_of_service is not None:
            data.setdefault("response", {}).setdefault("out_of_service", []).append(
                {"unit": item.out_of_service, "at": at})
        elif item.back_in_service is not None:
            spell = _spell(data, item.back_in_service, at)
            if spell is None:
                problems.append(Problem(where, f"unit {item.back_in_service!r} is not out of "
                                               "service"))
            else:
                spell["until"] = at
        elif item.warning is not None:
            w = item.warning.model_dump(mode="json")
            data.setdefault("behaviour", {}).setdefault("warnings", []).append(
                {"at": at, "reach": w["reach"],
                 "area": {"location": w["location"], "radius_m": w["radius_m"]}})
        elif item.fire is not None:
            ignition = {"location": item.fire.model_dump(mode="json")["location"], "at": at}
            fire = next((h for h in hazards if h["type"] == "fire"), None)
            if fire is None:
                hazards.append({"type": "fire", "ignitions": [ignition]})
            else:
                fire["ignitions"].append(ignition)
        elif item.release is not None:
            r = item.release
            leak = next((h for h in hazards if h["type"] == "chemical_leak"), None)
            weather = r.weather or (leak["weather"] if leak else DEFAULT_RELEASE_WEATHER)
            hazards.append({
                "type": "chemical_leak",
                "source": {"location": r.model_dump(mode="json")["location"],
                           "height_m": r.height_m},
                "substance": r.substance,
                "release": {"rate_kg_s": r.rate_kg_s, "start": at, "duration": r.duration},
                "weather": weather})
        elif item.shelter is not None:
            data.setdefault("shelters", []).append(
                {**item.shelter.model_dump(mode="json"), "kind": "drill", "opens": at})
    if closures:
        hazards.append({"type": "road_closure", "closures": closures})
    if problems:
        raise ScenarioError(problems)
    injected = load_scenario_dict(data, base_dir=base)
    injected._source_file = scenario.source_file
    injected._overrides = (*scenario.overrides, *chosen.overrides)
    return injected
