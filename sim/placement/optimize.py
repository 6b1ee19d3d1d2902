"""Place shelters or stations by a location model (``citysim optimize``'s paper part).

1. **Sites**: the scenario's existing shelters (stations) and its candidates
   (:mod:`citysim.placement.candidates`). With ``keep_existing`` (the default) the
   existing ones stay open and ``n_new`` candidates are added; without it
   ``n_new`` sites are chosen among existing and candidate sites alike.
2. **Paper**: demand and travel times (:mod:`citysim.placement.costs`) go into
   the model (:mod:`citysim.placement.models`): capacitated p-median by default
   for shelters (walking), MCLP for stations (turnout + driving). The plan
   and its objective, with the paper KPIs of the current and the proposed
   plan, go to ``placement.json``.
3. **Plans**: :func:`plan_scenario` makes the scenario of a plan; the
   simulated comparison of the current and proposed plans is
   :mod:`citysim.app.optimize`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from citysim.errors import Problem, ScenarioError
from citysim.placement.candidates import KINDS, Kind, Sites, no_candidates, plan_sites
from citysim.placement.costs import (
    Demand,
    call_demand,
    response_time_matrix,
    shelter_demand,
    walk_time_matrix,
)
from citysim.placement.models import (
    MODELS,
    Placement,
    covered_demand,
    expected_covered_demand,
    lscp,
    mclp,
    mexclp,
    p_median,
)
from citysim.scenario import Scenario
from citysim.world.builder import World

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_REPLICATIONS",
    "MAX_BUSY_FRACTION",
    "SHELTER_WALK_STANDARD_S",
    "PlacementProblem",
    "check_request",
    "estimate_busy_fraction",
    "placement_report",
    "place",
    "plan_scenario",
    "placement_problem",
]

SHELTER_WALK_STANDARD_S = 600.0
"""Walking standard for shelter coverage (s): emergency shelters serve about
500 m, a 10-minute walk (GB 50413-2007 practice, MODELS.md)."""
DEFAULT_MODEL: dict[str, str] = {"shelters": "pmedian", "stations": "mclp"}
"""Model used when none is named."""
DEFAULT_REPLICATIONS = 5
"""Replications of each plan when the scenario asks for fewer than two."""
MAX_BUSY_FRACTION = 0.95
"""MEXCLP's busy fraction is capped here: at 1 the system is overloaded and the model void."""
# --------------------------------------------------------------------------- the problem


@dataclass(frozen=True, eq=False)
class PlacementProblem:
    """A location problem built from a scenario.

    Attributes
    ----------
    sites
        Existing and candidate sites.
    demand
        Demand points and weights.
    cost_s
        Travel time from each demand point to each site (s), shape (m, k).
    standard_s
        Coverage standard (s).
    fixed
        Sites that must stay open, shape (k,).
    busy_fraction
        Stations: probability that a unit is busy (MEXCLP); shelters ``None``.
    busy_fraction_rule
        How it was set, in words.
    """

    sites: Sites
    demand: Demand
    cost_s: np.ndarray
    standard_s: float
    fixed: np.ndarray
    busy_fraction: float | None = None
    busy_fraction_rule: str | None = None

    @property
    def kind(self) -> Kind:
        """``shelters`` or ``stations``."""
        return self.sites.kind

    @property
    def capacity(self) -> np.ndarray | None:
        """Shelter capacities (persons), ``None`` for stations."""
        if self.sites.capacity is None:
            return None
        return self.sites.capacity.astype(np.float64)

    def station_inputs(self) -> tuple[np.ndarray, float]:
        """Stations: units at each site, shape (k,), and the busy fraction (MEXCLP)."""
        units, q = self.sites.units, self.busy_fraction
        assert units is not None and q is not None, f"{self.kind} have no units to be busy"
        return units, q

    def paper(self, open_sites: np.ndarray) -> dict[str, float | None]:
        """What a plan achieves on paper, on the normal network.

        Parameters
        ----------
        open_sites
            Open sites, shape (k,).

        Returns
        -------
        dict
            ``sites``; ``covered_demand`` (within the standard of an open
            site); ``mean_time_s`` (demand-weighted time to the nearest open
            site); shelters: ``capacity``, ``sheltered``, ``unsheltered`` and
            ``weighted_time_s`` of the capacitated assignment; stations:
            ``expected_covered_demand`` (Daskin) and ``weighted_time_s``.
        """
        is_open = np.asarray(open_sites, dtype=bool)
        w, cost = self.demand.weight, self.cost_s
        nearest = cost[:, is_open].min(axis=1) if is_open.any() else np.full(w.size, np.inf)
        reached = np.isfinite(nearest)
        out: dict[str, float | None] = {
            "sites": int(is_open.sum()),
            "demand": self.demand.total,
            "covered_demand": covered_demand(cost, w, self.standard_s, is_open),
            "mean_time_s": (float(np.sum(w[reached] * nearest[reached]) / w[reached].sum())
                            if reached.any() else None),
        }
        if self.kind == "shelters":
            capacity = self.capacity
            assert capacity is not None, "shelter sites have capacities (plan_sites)"
            cap = capacity[is_open]
            served = time_s = 0.0
            if is_open.any():
                assigned = p_median(cost[:, is_open], w, 0, fixed=np.ones(cap.size, dtype=bool),
                                    capacity=cap)
                assert assigned.served is not None, "p-median reports the demand it serves"
                served, time_s = float(assigned.served), assigned.objective
            out.update({"capacity": float(cap.sum()), "sheltered": served,
                        "unsheltered": self.demand.total - served, "weighted_time_s": time_s})
        else:
            units, q = self.station_inputs()
            out.update({
                "expected_covered_demand": expected_covered_demand(
                    cost, w, self.standard_s, is_open, units, q),
                "weighted_time_s": float(np.sum(w[reached] * nearest[reached])),
            })
        return out


def placement_problem(
    scenario: Scenario,
    world: World,
    kind: Kind,
    *,
    keep_existing: bool = True,
    standard_s: float | None = None,
    busy_fraction: float | None = None,
    n_new: int = 1,
) -> PlacementProblem:
    """Build the location problem of a scenario.

    Parameters
    ----------
    scenario
        The loaded scenario.
    world
        Its built world.
    kind
        ``shelters`` or ``stations``.
    keep_existing
        Existing sites stay open (else they compete with the candidates).
    standard_s
        Coverage standard (s); default :data:`SHELTER_WALK_STANDARD_S` for
        shelters, ``response.standard`` for stations.
    busy_fraction
        Stations: the busy fraction for MEXCLP; default estimated from the
        background calls (see :func:`estimate_busy_fraction`).
    n_new
        Sites to be added (for the busy-fraction estimate).

    Returns
    -------
    PlacementProblem
    """
    sites = plan_sites(scenario, world, kind)
    net = world.network
    fixed = sites.existing.copy() if keep_existing else np.zeros(len(sites), dtype=bool)
    if kind == "shelters":
        demand = shelter_demand(scenario, world)
        cost = walk_time_matrix(net, sites.node)[demand.node]
        standard = SHELTER_WALK_STANDARD_S if standard_s is None else float(standard_s)
        return PlacementProblem(sites=sites, demand=demand, cost_s=cost, standard_s=standard,
                               fixed=fixed)
    demand = call_demand(scenario, world)
    assert sites.turnout_s is not None, "station sites have turnout times (plan_sites)"
    cost = response_time_matrix(net, sites.node, sites.turnout_s)[demand.node]
    cost[:, sites.units == 0] = np.inf  # a station without the unit type serves nobody
    standard = float(scenario.response.standard) if standard_s is None else float(standard_s)
    if busy_fraction is None:
        q, rule = estimate_busy_fraction(scenario, sites, demand, cost, fixed, n_new)
    else:
        q, rule = float(busy_fraction), "given (--busy-fraction)"
    return PlacementProblem(sites=sites, demand=demand, cost_s=cost, standard_s=standard,
                           fixed=fixed, busy_fraction=q, busy_fraction_rule=rule)


def estimate_busy_fraction(
    scenario: Scenario, sites: Sites, demand: Demand, cost_s: np.ndarray, fixed: np.ndarray,
    n_new: int,
) -> tuple[float, str]:
    """Daskin's system busy fraction ``q`` from the scenario's background calls.

    ``q = lambda * E[busy time per call] / units``: ``lambda`` the call rate
    times the engines a call needs, the busy time the mean service time plus
    twice the demand-weighted mean time from the nearest site (out and back),
    ``units`` the engines of the fixed sites plus ``n_new`` sites of the
    candidates' mean size. Capped at :data:`MAX_BUSY_FRACTION`.

    Returns
    -------
    q : float
    rule : str
        The estimate in words, with its numbers.
    """
    calls = scenario.response.background_calls
    rate_s = float(calls.rate_per_h) / 3600.0 * float(calls.needs.engine)
    service_s = float(scenario.response.service_time.expected())
    nearest = cost_s.min(axis=1)
    ok = np.isfinite(nearest)
    travel_s = (float(np.sum(demand.weight[ok] * nearest[ok]) / demand.weight[ok].sum())
                if ok.any() else 0.0)
    assert sites.units is not None, "station sites have units (plan_sites)"
    free_units = sites.units[~fixed]
    units = float(sites.units[fixed].sum()) + n_new * (float(free_units.mean())
                                                       if free_units.size else 0.0)
    raw = rate_s * (service_s + 2.0 * travel_s) / units if units > 0 else 0.0
    q = min(raw, MAX_BUSY_FRACTION)
    rule = (f"estimated: {calls.rate_per_h:g} calls/h x {calls.needs.engine} engine(s) x "
            f"({service_s:.0f} s service + 2 x {travel_s:.0f} s travel) / {units:g} engines"
            f" = {raw:.3f}" + (f", capped at {MAX_BUSY_FRACTION}" if raw > q else ""))
    return q, rule


# --------------------------------------------------------------------------- the request


def check_request(
    scenario: Scenario,
    kind: str,
    n_new: int,
    *,
    model: str,
    replications: int,
    keep_existing: bool = True,
    standard_s: float | None = None,
    busy_fraction: float | None = None,
) -> None:
    """Check an optimize request against the scenario before anything is built.

    Raises
    ------
    ScenarioError
        Naming the option (``--shelters``, ``--model`` ...) or the YAML path
        (``candidates.shelters``) that is wrong, and what was expected.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    option = f"--{kind}"
    problems: list[Problem] = []
    if model not in MODELS:
        problems.append(Problem("--model", f"expected one of {', '.join(MODELS)}; got {model!r}"))
    elif model == "mexclp" and kind == "shelters":
        problems.append(Problem("--model", (
            "mexclp models busy response units: it places stations (--stations N); for "
            "shelters use pmedian, mclp or lscp")))
    existing = len(getattr(scenario, kind))
    candidates = len(getattr(scenario.candidates, kind))
    if candidates == 0:
        problems.append(no_candidates(kind, f"{option} needs candidate {kind[:-1]} sites"))
    available = candidates if keep_existing else candidates + existing
    where = (f"the {candidates} candidate sites in candidates.{kind}" if keep_existing else
             f"the {existing} existing and {candidates} candidate {kind} (--no-keep-existing)")
    if n_new < 1:
        problems.append(Problem(option, f"expected at least 1 site to place, got {n_new}"))
    elif candidates and n_new > available:
        problems.append(Problem(option, f"{n_new} sites asked for, more than {where}"))
    if replications < 2:
        problems.append(Problem("--replications", (
            f"expected at least 2 (a paired 95 % interval needs two), got {replications}")))
    if standard_s is not None and not (standard_s > 0 and math.isfinite(standard_s)):
        problems.append(Problem("--standard", f"expected a positive duration, got {standard_s}"))
    if busy_fraction is not None and not 0.0 <= busy_fraction < 1.0:
        problems.append(Problem("--busy-fraction", f"expected a number in [0, 1), got "
                                                   f"{busy_fraction}"))
    if problems:
        raise ScenarioError(problems)


def place(problem: PlacementProblem, model: str, n_new: int) -> tuple[Placement, dict[str, Any]]:
    """Solve the location problem with a model.

    Parameters
    ----------
    problem
        The location problem.
    model
        One of :data:`~citysim.placement.models.MODELS`.
    n_new
        Sites to open besides the fixed ones (for LSCP: at most this many).

    Returns
    -------
    placement : Placement
    parameters : dict
        The model's parameters, for ``placement.json``.

    Raises
    ------
    ScenarioError
        When LSCP needs more than ``n_new`` sites to cover everyone coverable.
    """
    cost, w, std, fixed = problem.cost_s, problem.demand.weight, problem.standard_s, problem.fixed
    params: dict[str, Any] = {"standard_s": std}
    if model == "lscp":
        placement, uncoverable = lscp(cost, std, fixed=fixed, weight=w)
        params["uncoverable_demand"] = uncoverable
        if placement.new.size > n_new:
            option = f"--{problem.kind}"
            raise ScenarioError([Problem(option, (
                f"LSCP needs {placement.new.size} new sites to bring all coverable demand "
                f"within {std:g} s, more than the {n_new} allowed; allow {option} "
                f"{placement.new.size}, or use --model mclp for the best {n_new}"))])
    elif model == "mclp":
        placement = mclp(cost, w, std, n_new, fixed=fixed)
    elif model == "mexclp":
        units, q = problem.station_inputs()
        placement = mexclp(cost, w, std, n_new, fixed=fixed, units=units, busy_fraction=q)
        params.update(busy_fraction=q,
                      busy_fraction_rule=problem.busy_fraction_rule,
                      units=dict(zip(problem.sites.id, units.tolist(),
                                     strict=True)))
    elif model == "pmedian":
        placement = p_median(cost, w, n_new, fixed=fixed, capacity=problem.capacity)
        params["capacitated"] = problem.capacity is not None
        params["served_demand"] = placement.served
    else:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    return placement, params


# --------------------------------------------------------------------------- plans as scenarios


def plan_scenario(scenario: Scenario, sites: Sites, open_sites: np.ndarray, *,
                  replications: int) -> Scenario:
    """The scenario with exactly the open sites as its shelters (stations).

    Existing sites keep their entries; candidates become shelters (stations)
    with the fields a shelter (station) has. ``run.replications`` is set to
    ``replications``; ``run.seed`` is kept, so every plan sees the same
    replication seeds.

    Parameters
    ----------
    scenario
        The loaded scenario.
    sites
        Its sites (:func:`~citysim.placement.candidates.plan_sites`).
    open_sites
        Sites of the plan, shape (k,).
    replications
        Replications to run.

    Returns
    -------
    Scenario
        Validated again.
    """
    from citysim.scenario import load_scenario_dict
    from citysim.scenario.sites import Shelter, Station

    data = scenario.resolved()
    data["run"]["replications"] = int(replications)
    kind = sites.kind
    fields = (Shelter if kind == "shelters" else Station).model_fields
    entries = []
    for j in np.flatnonzero(np.asarray(open_sites, dtype=bool)):
        source = data[kind] if sites.existing[j] else data["candidates"][kind]
        item = source[int(sites.index[j])]
        entries.append({k: v for k, v in item.items() if k in fields})
    data[kind] = entries
    base = scenario.source_file.parent if scenario.source_file is not None else Path.cwd()
    return load_scenario_dict(data, base_dir=base)


def placement_report(
    problem: PlacementProblem,
    placement: Placement,
    parameters: dict[str, Any],
    *,
    model: str,
    n_new: int,
    keep_existing: bool,
    replications: int,
) -> dict[str, Any]:
    """The ``placement.json`` content.

    Returns
    -------
    dict
        ``kind, model, chosen`` (new site ids), ``objective_name,
        objective``, ``open`` (every site of the plan), ``chosen_sites``
        (their details), ``parameters`` (standard, demand, the model's own),
        ``paper`` (current and proposed plan on paper), ``candidates`` and
        ``replications``.
    """
    sites = problem.sites

    def site(j: int) -> dict[str, Any]:
        row: dict[str, Any] = {"id": sites.id[j], "name": sites.name[j],
                               "existing": bool(sites.existing[j]), "node": int(sites.node[j]),
                               "x": float(sites.x_m[j]), "y": float(sites.y_m[j])}
        if sites.capacity is not None:
            row["capacity"] = int(sites.capacity[j])
        if sites.units is not None and sites.turnout_s is not None:  # stations
            row.update(units=int(sites.units[j]), turnout_s=float(sites.turnout_s[j]))
        return row

    demand = problem.demand
    travel = ("walking time along the shortest walk at 1.34 m/s" if problem.kind == "shelters"
              else "turnout + free-flow driving time on drivable roads")
    return {
        "kind": problem.kind,
        "model": model,
        "chosen": [sites.id[j] for j in placement.new],
        "objective_name": placement.objective_name,
        "objective": placement.objective,
        "open": [sites.id[j] for j in np.flatnonzero(placement.open)],
        "n_new": n_new,
        "keep_existing": keep_existing,
        "chosen_sites": [site(int(j)) for j in placement.new],
        "parameters": {
            **parameters,
            "travel_time": travel,
            "demand": {"unit": demand.unit, "rule": demand.rule, "total": demand.total,
                       "points": int(demand.node.size)},
            "fixed": [sites.id[j] for j in np.flatnonzero(problem.fixed)],
            "solver": "HiGHS MILP (scipy.optimize.milp), relative gap 0",
        },
        "paper": {"current": problem.paper(sites.existing),
                  "proposed": problem.paper(placement.open)},
        "candidates": [site(j) for j in range(len(sites)) if not sites.existing[j]],
        "replications": replications,
    }
