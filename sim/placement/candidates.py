"""Sites a plan may use: the scenario's existing shelters or stations, then its candidates.

Candidates come from the scenario's ``candidates`` section (a list or a CSV
file, SCENARIO_SPEC.md). A candidate shelter holds ``capacity`` persons or,
where that is not given, its usable area over the area per person
(``area_m2 / m2_per_person``, 1.5 m² by default: GB 21734-2008, MODELS.md).
Every problem found here names its YAML path, with the line in the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from citysim.errors import Problem, ScenarioError
from citysim.scenario import Scenario
from citysim.scenario.problems import Loc
from citysim.world.builder import World
from citysim.world.sites import UNIT_TYPES, Locator, build_shelters, build_stations

__all__ = ["KINDS", "RESPONSE_UNIT", "Sites", "no_candidates", "plan_sites"]

Kind = Literal["shelters", "stations"]
KINDS: tuple[Kind, ...] = ("shelters", "stations")
"""What a plan places."""
RESPONSE_UNIT = "engine"
"""Unit type that makes a station count for coverage (the 5-min standard is about the
first engine, MODELS.md; candidate stations hold one engine unless they say otherwise)."""


@dataclass(frozen=True, eq=False)
class Sites:
    """Existing sites first, then candidates, as arrays.

    Attributes
    ----------
    kind
        ``shelters`` or ``stations``.
    id, name
        Identifiers from the scenario.
    node
        Network node of each site (index), shape (k,).
    x_m, y_m
        Location (m), shape (k,).
    existing
        Whether the site is one of the scenario's shelters/stations (else a
        candidate), shape (k,).
    index
        Position of each site in its YAML list (``shelters`` or
        ``candidates.shelters`` ...), shape (k,).
    capacity
        Shelters: persons each holds, shape (k,); stations: ``None``.
    units
        Stations: units of :data:`RESPONSE_UNIT` at each, shape (k,);
        shelters: ``None``.
    turnout_s
        Stations: turnout time (s), shape (k,); shelters: ``None``.
    """

    kind: Kind
    id: list[str]
    name: list[str]
    node: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    existing: np.ndarray
    index: np.ndarray
    capacity: np.ndarray | None = None
    units: np.ndarray | None = None
    turnout_s: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.id)


def plan_sites(scenario: Scenario, world: World, kind: Kind) -> Sites:
    """The existing sites of ``kind`` and the scenario's candidates for it.

    Parameters
    ----------
    scenario
        The loaded scenario.
    world
        Its built world (existing sites already located).
    kind
        ``shelters`` or ``stations``.

    Returns
    -------
    Sites

    Raises
    ------
    ScenarioError
        When the scenario has no candidates of that kind, a candidate reuses
        an existing site's id, a candidate shelter has neither capacity nor
        area, or a candidate lies off the map; each at its YAML path.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    items = tuple(getattr(scenario.candidates, kind))
    if not items:
        raise ScenarioError([no_candidates(kind, f"there are no candidate {kind[:-1]} sites")])
    problems = _check_candidates(scenario, kind, items)
    if problems:
        raise ScenarioError(problems)
    net = world.network
    locator = Locator(net, net.crs, float(scenario.city.max_snap_m),
                      lambda loc, msg: scenario.problem(_split_section(loc), msg))
    section = f"candidates.{kind}"
    old: Any  # Shelters or Stations, by kind
    new: Any
    if kind == "shelters":
        old, new = world.shelters, build_shelters(locator, items, section=section)
        extra = {"capacity": np.r_[old.capacity, new.capacity].astype(np.int64)}
    else:
        old, new = world.stations, build_stations(locator, items, section=section)
        col = UNIT_TYPES.index(RESPONSE_UNIT)
        extra = {"units": np.r_[old.units[:, col], new.units[:, col]].astype(np.int64),
                 "turnout_s": np.r_[old.turnout_s, new.turnout_s].astype(np.float64)}
    n_old, n_new = len(old), len(new)
    return Sites(
        kind=kind, id=[*old.id, *new.id], name=[*old.name, *new.name],
        node=np.r_[old.node, new.node].astype(np.int64),
        x_m=np.r_[old.x_m, new.x_m].astype(np.float64),
        y_m=np.r_[old.y_m, new.y_m].astype(np.float64),
        existing=np.r_[np.ones(n_old, dtype=bool), np.zeros(n_new, dtype=bool)],
        index=np.r_[np.arange(n_old), np.arange(n_new)].astype(np.int64), **extra,
    )


def no_candidates(kind: Kind, what: str) -> Problem:
    """The problem of an empty (or absent) ``candidates.<kind>``, at that path."""
    return Problem(f"candidates.{kind}", (
        f"missing: {what} to choose from; list them under candidates.{kind} (a list of sites, "
        "or {csv: path})"))


def _check_candidates(scenario: Scenario, kind: Kind, items: tuple[Any, ...]) -> list[Problem]:
    problems = []
    existing = {site.id for site in getattr(scenario, kind)}
    for i, item in enumerate(items):
        row = item.csv_row
        where = "" if row is None else f" ({row[0].name}, line {row[2]})"
        if item.id in existing:
            problems.append(scenario.problem(_item_loc(kind, i, item, "id"), (
                f"candidate id {item.id!r} is already the id of one of the scenario's {kind}; "
                f"give the candidate an id of its own{where}")))
        if kind == "shelters" and item.places is None:
            problems.append(scenario.problem(_item_loc(kind, i, item, "capacity"), (
                "missing: a candidate shelter needs capacity (persons), or area_m2 (usable "
                f"area, m²) to size it at m2_per_person ({item.m2_per_person:g} m² per "
                f"person){where}")))
    return problems


def _item_loc(kind: Kind, index: int, item: Any, key: str) -> Loc:
    """YAML location of ``key`` of candidate ``index``: in the list, or its CSV row."""
    row = item.csv_row
    if row is not None:
        return ("candidates", kind, "csv", f"[row {row[1]}]", key)
    return ("candidates", kind, index, key)


def _split_section(loc: Loc) -> Loc:
    """``("candidates.shelters", 2, ...)`` -> ``("candidates", "shelters", 2, ...)``."""
    if loc and isinstance(loc[0], str) and "." in loc[0]:
        return (*loc[0].split("."), *loc[1:])
    return loc
