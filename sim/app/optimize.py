"""``citysim optimize``: place shelters or stations by a location model, prove it by simulation.

The placement itself is :mod:`citysim.placement.optimize`. Here the current
plan and the proposed one (the scenario with the chosen sites as shelters or
stations) run under the scenario's hazards with the same ``R`` replications
(``run.seed``: common random numbers, so both plans see the same residents,
delays and calls). Each KPI's paired difference ``proposed - current`` gets a
Student-t 95 % interval over the replications (``comparison.csv``,
``plots/plan_comparison.png``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from citysim.app.run import run
from citysim.io.atomic import replace_folder, write_atomic, write_json
from citysim.io.provenance import provenance
from citysim.metrics import aggregate_replications
from citysim.placement.candidates import Kind
from citysim.placement.models import Placement
from citysim.placement.optimize import (
    DEFAULT_MODEL,
    DEFAULT_REPLICATIONS,
    PlacementProblem,
    check_request,
    place,
    placement_problem,
    placement_report,
    plan_scenario,
)
from citysim.results import write_results
from citysim.rng import world_streams
from citysim.scenario import Scenario
from citysim.simulation import RunResult
from citysim.world.builder import World, build_world

__all__ = [
    "COMPARISON_KPIS",
    "FIRE_KPIS",
    "HydrantOptimizeRun",
    "OptimizeRun",
    "paired_comparison",
    "replication_kpis",
    "run_optimize",
    "run_optimize_hydrants",
    "write_optimize",
]

COMPARISON_KPIS: tuple[tuple[str, str], ...] = (
    ("evacuation_time_p90_s", "lower"),
    ("evacuees_sheltered_p90_s", "lower"),
    ("evacuated", "higher"),
    ("unsheltered", "lower"),
    ("not_evacuated", "lower"),
    ("shelter_overflow", "lower"),
    ("response_time_p90_s", "lower"),
    ("response_within_standard_fraction", "higher"),
)
"""KPIs compared between plans, with the better direction; two come from the time
series (:func:`replication_kpis`), the rest are ``summary.json`` KPIs.

``evacuation_time_p90_s`` counts only those who reached a shelter: a plan that
shelters more people, farther away, can look slower by it.
``evacuees_sheltered_p90_s`` counts everyone who set out: the time by which 90 %
of them were in a shelter. ``unsheltered``: persons who set out but were in no
shelter at the end (no room, or still on the way)."""




# --------------------------------------------------------------------------- comparison


def replication_kpis(out: RunResult) -> pd.DataFrame:
    """One row per replication: its KPIs, ``unsheltered`` and ``evacuees_sheltered_p90_s``.

    Both come from the time series of the replication (``outputs.every``
    resolution). Those who *set out* are the persons evacuated, on the way
    or waiting to leave at the end. ``unsheltered`` are the last two;
    ``evacuees_sheltered_p90_s`` is the first record time at which 90 % of
    those who set out were in a shelter, the run's end when that never
    happened (censored: the true time is later), ``None`` when nobody set out.

    Parameters
    ----------
    out
        A :class:`citysim.simulation.RunResult`.

    Returns
    -------
    pandas.DataFrame
    """
    reps = out.replications.copy()
    ts = out.timeseries
    if "replication" not in ts:
        ts = ts.assign(replication=0)
    extra = {}
    for r, series in ts.sort_values(["replication", "t_s"]).groupby("replication"):
        last = series.iloc[-1]
        left = float(last["deciding"] + last["evacuating"])
        set_out = float(last["evacuated"]) + left
        reached = np.flatnonzero(series["evacuated"].to_numpy(dtype=np.float64)
                                 >= 0.9 * set_out - 1e-9)
        p90 = (None if set_out <= 0 else
               float(series["t_s"].iloc[reached[0]] if reached.size else last["t_s"]))
        extra[r] = {"unsheltered": left, "evacuees_sheltered_p90_s": p90}
    table = pd.DataFrame.from_dict(extra, orient="index")
    return reps.join(table, on="replication")


def paired_comparison(
    current: pd.DataFrame,
    proposed: pd.DataFrame,
    kpis: tuple[tuple[str, str], ...] = COMPARISON_KPIS,
) -> pd.DataFrame:
    """Paired differences ``proposed - current`` of KPIs over common-seed replications.

    Replication ``r`` of both plans ran from the same seed; a KPI missing
    (null) in either run of a pair drops that pair. The interval is
    Student's t on the paired differences
    (:func:`citysim.metrics.aggregate_replications`).

    Parameters
    ----------
    current, proposed
        One row per replication (a ``replication`` column and KPI columns).
    kpis
        ``(name, better)`` pairs, ``better`` being ``lower`` or ``higher``.

    Returns
    -------
    pandas.DataFrame
        One row per KPI: ``kpi, better, pairs, current_mean, proposed_mean,
        difference_mean, difference_ci95_low, difference_ci95_high, verdict``
        (``proposed better``, ``proposed worse``, ``no clear difference``,
        ``no difference`` or ``not measured``).
    """
    merged = current.merge(proposed, on="replication", suffixes=("_current", "_proposed"))
    rows = []
    for kpi, better in kpis:
        a, b = (_column(merged, f"{kpi}_{plan}") for plan in ("current", "proposed"))
        ok = np.isfinite(a) & np.isfinite(b)
        a, b = a[ok], b[ok]
        diff = aggregate_replications([{kpi: float(d)} for d in b - a]).get(kpi)
        row: dict[str, Any] = {"kpi": kpi, "better": better, "pairs": int(ok.sum())}
        if diff is None:
            row.update(current_mean=np.nan, proposed_mean=np.nan, difference_mean=np.nan,
                       difference_ci95_low=np.nan, difference_ci95_high=np.nan,
                       verdict="not measured")
        else:
            row.update(current_mean=float(a.mean()), proposed_mean=float(b.mean()),
                       difference_mean=diff["mean"], difference_ci95_low=diff["ci95_low"],
                       difference_ci95_high=diff["ci95_high"],
                       verdict=_verdict(diff["ci95_low"], diff["ci95_high"], better))
        rows.append(row)
    return pd.DataFrame(rows, columns=[
        "kpi", "better", "pairs", "current_mean", "proposed_mean", "difference_mean",
        "difference_ci95_low", "difference_ci95_high", "verdict"])


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A KPI column as floats, NaN where null; all NaN when the column is absent."""
    if name not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64)


def _verdict(low: float, high: float, better: str) -> str:
    if low == high == 0.0:
        return "no difference"
    sign = -1.0 if better == "lower" else 1.0
    if sign * low > 0 and sign * high > 0:
        return "proposed better"
    if sign * low < 0 and sign * high < 0:
        return "proposed worse"
    return "no clear difference"


@dataclass(frozen=True, eq=False)
class OptimizeRun:
    """What ``citysim optimize`` computed.

    Attributes
    ----------
    world
        The built world.
    problem
        The location problem.
    placement
        The model's plan.
    report
        ``placement.json`` content.
    comparison
        ``comparison.csv`` content.
    current, proposed
        The simulated runs (:class:`citysim.simulation.RunResult`) of both plans.
    provenance
        ``provenance.json`` content.
    """

    world: World
    problem: PlacementProblem
    placement: Placement
    report: dict[str, Any]
    comparison: pd.DataFrame
    current: RunResult
    proposed: RunResult
    provenance: dict[str, Any]


def run_optimize(
    scenario: Scenario,
    *,
    kind: Kind,
    n_new: int,
    model: str | None = None,
    replications: int | None = None,
    keep_existing: bool = True,
    standard_s: float | None = None,
    busy_fraction: float | None = None,
    out_dir: Path | None = None,
    progress: bool = False,
) -> OptimizeRun:
    """Place ``n_new`` shelters or stations, then compare current and proposed plans by simulation.

    Parameters
    ----------
    scenario
        The loaded scenario (with its ``candidates``).
    kind
        ``shelters`` or ``stations``.
    n_new
        Sites to place (LSCP: at most this many).
    model
        One of :data:`~citysim.placement.models.MODELS`; default
        :data:`DEFAULT_MODEL` for the kind.
    replications
        Replications of each plan, >= 2; default ``run.replications`` when
        it is at least 2, else 5.
    keep_existing
        Keep the existing sites open and add ``n_new``; else choose ``n_new``
        among existing and candidate sites.
    standard_s
        Coverage standard (s); see :func:`placement_problem`.
    busy_fraction
        MEXCLP busy fraction; default estimated.
    out_dir
        Write ``placement.json``, ``comparison.csv``, ``plots/``,
        ``current/``, ``proposed/`` and ``provenance.json`` there.
    progress
        Show progress bars.

    Returns
    -------
    OptimizeRun

    Raises
    ------
    ScenarioError
        For a request the scenario cannot answer (see :func:`check_request`).
    """
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    model = model or DEFAULT_MODEL[kind]
    if replications is None:
        replications = int(scenario.run.replications)
        replications = replications if replications >= 2 else DEFAULT_REPLICATIONS
    check_request(scenario, kind, n_new, model=model, replications=replications,
                  keep_existing=keep_existing, standard_s=standard_s,
                  busy_fraction=busy_fraction)
    world = build_world(scenario, world_streams(int(scenario.run.seed)))
    problem = placement_problem(scenario, world, kind, keep_existing=keep_existing,
                               standard_s=standard_s, busy_fraction=busy_fraction, n_new=n_new)
    placement, params = place(problem, model, n_new)
    sites = problem.sites
    current = plan_scenario(scenario, sites, sites.existing, replications=replications)
    proposed = plan_scenario(scenario, sites, placement.open, replications=replications)
    out = Path(out_dir) if out_dir is not None else None
    plans = {"current": current, "proposed": proposed}
    runs = {name: run(plan, progress=progress) for name, plan in plans.items()}
    comparison = paired_comparison(replication_kpis(runs["current"]),
                                   replication_kpis(runs["proposed"]))
    report = placement_report(problem, placement, params, model=model, n_new=n_new,
                              keep_existing=keep_existing, replications=replications)
    prov = provenance(scenario, started=started, wall_time_s=time.perf_counter() - t0,
                      world=world.describe())
    prov["request"] = {"kind": kind, "n_new": n_new, "model": model,
                       "replications": replications, "keep_existing": keep_existing,
                       "standard_s": problem.standard_s, "busy_fraction": busy_fraction}
    result = OptimizeRun(world=world, problem=problem, placement=placement, report=report,
                         comparison=comparison, current=runs["current"],
                         proposed=runs["proposed"], provenance=prov)
    if out is not None:  # the whole folder, swapped in at the end

        def build(folder: Path) -> None:
            for name, plan in plans.items():
                write_results(runs[name], folder / name, plots=bool(plan.outputs.plots),
                              geojson=bool(plan.outputs.geojson))
            write_optimize(result, folder)

        replace_folder(out, build)
    return result


def write_optimize(run: OptimizeRun, out_dir: Path) -> list[Path]:
    """Write ``placement.json``, ``comparison.csv``, the figures and ``provenance.json``.

    The two plans' run folders (``current/``, ``proposed/``) are written by
    :func:`run_optimize` beside these, in the folder it swaps in whole.

    Parameters
    ----------
    run
        What :func:`run_optimize` computed.
    out_dir
        Destination folder.

    Returns
    -------
    list of Path
        The files written.
    """
    from citysim.plots import save_figure
    from citysim.plots.planning import plot_placement_map, plot_plan_comparison

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_text = run.comparison.to_csv(index=False)
    title = (f"{run.report['model']}: {', '.join(run.report['chosen']) or 'no new site'} "
             f"({run.report['replications']} paired replications)")
    return [
        write_json(out_dir / "placement.json", run.report),
        write_atomic(out_dir / "comparison.csv", lambda p: p.write_text(csv_text)),
        save_figure(plot_plan_comparison(run.comparison, title=title),
                    out_dir / "plots" / "plan_comparison.png"),
        save_figure(plot_placement_map(run.world, run.problem.sites, run.placement.open,
                                       title=title),
                    out_dir / "plots" / "placement_map.png"),
        write_json(out_dir / "provenance.json", run.provenance),
    ]


# --------------------------------------------------------------------------- hydrants

FIRE_KPIS: tuple[tuple[str, str], ...] = (
    ("fire_buildings_burned", "lower"),
    ("fire_burned_area_m2", "lower"),
    ("fire_buildings_extinguished", "higher"),
    ("fire_tanks_run_dry", "lower"),
    ("fire_hydrant_hookups", "higher"),
)
"""KPIs compared between hydrant plans (a fire with ``water:`` reports the last two)."""


@dataclass(frozen=True, eq=False)
class HydrantOptimizeRun:
    """What ``citysim optimize --hydrants N`` computed.

    Attributes
    ----------
    world
        The built world.
    plan
        The chosen sites (:class:`citysim.placement.hydrants.HydrantPlan`).
    before, after
        Hydrant coverage of the current and the proposed hydrants.
    report
        ``placement.json`` content.
    comparison
        ``comparison.csv``: fire KPIs, proposed - current, over common seeds.
    current, proposed
        The simulated runs of both plans.
    """

    world: World
    plan: Any
    before: Any
    after: Any
    report: dict[str, Any]
    comparison: pd.DataFrame
    current: RunResult
    proposed: RunResult


def run_optimize_hydrants(
    scenario: Scenario,
    *,
    n_new: int,
    model: str | None = None,
    replications: int | None = None,
    out_dir: Path | None = None,
    progress: bool = False,
) -> HydrantOptimizeRun:
    """Place new hydrants along the uncovered streets, then simulate both plans' fires.

    Parameters
    ----------
    scenario
        A loaded scenario with a ``hydrants:`` list (or ``{csv}``/``{osm}``).
    n_new
        Hydrants to place (MCLP); LSCP places as many as cover everything.
    model
        ``mclp`` (default) or ``lscp``.
    replications
        Replications of each plan (common seeds), >= 2; default as for
        :func:`run_optimize`.
    out_dir
        Write ``placement.json``, ``comparison.csv``,
        ``plots/hydrant_map_proposed.png``, ``current/`` and ``proposed/``.
    progress
        Show progress bars.

    Returns
    -------
    HydrantOptimizeRun

    Raises
    ------
    ScenarioError
        Without listed hydrants, or with a model other than mclp / lscp.
    """
    from citysim.analysis.hydrants import hydrant_coverage
    from citysim.errors import ScenarioError
    from citysim.placement.hydrants import place_hydrants, with_new_hydrants
    from citysim.scenario import load_scenario_dict
    from citysim.scenario.sites import HYDRANT_FLOW_L_S, SyntheticHydrants

    model = model or "mclp"
    if model not in ("mclp", "lscp"):
        raise ScenarioError(f"--model {model}: hydrants are placed by mclp or lscp",
                            path="hydrants")
    if isinstance(scenario.hydrants, SyntheticHydrants) or (
            not scenario.hydrants and "hydrants" not in scenario.model_fields_set):
        raise ScenarioError("optimize --hydrants needs the current hydrants as a list, {csv} "
                            "or {osm} (hydrants: [] for a city without any)", path="hydrants")
    if replications is None:
        replications = int(scenario.run.replications)
        replications = replications if replications >= 2 else DEFAULT_REPLICATIONS
    world = build_world(scenario, world_streams(int(scenario.run.seed)))
    assert world.hydrants is not None
    b = world.buildings
    xy = None if b is None else (b.x_m, b.y_m)
    before = hydrant_coverage(world.network, world.hydrants, xy)
    try:
        plan = place_hydrants(world.network, before, xy, n_new, model=model)
    except ValueError as exc:
        raise ScenarioError(str(exc), path="hydrants") from None
    after = hydrant_coverage(world.network, with_new_hydrants(world.hydrants, plan,
                                                              HYDRANT_FLOW_L_S), xy)
    k = plan.chosen
    new = [{"id": f"NEW{i + 1}", "location": {"x": float(plan.cand_x_m[j]),
                                               "y": float(plan.cand_y_m[j])},
            "flow_l_s": HYDRANT_FLOW_L_S, "in_service": True} for i, j in enumerate(k)]
    data = scenario.resolved()
    data["run"]["replications"] = int(replications)
    base = scenario.source_file.parent if scenario.source_file is not None else Path.cwd()
    current = load_scenario_dict(data, base_dir=base)
    data["hydrants"] = list(data["hydrants"]) + new
    proposed = load_scenario_dict(data, base_dir=base)
    out = Path(out_dir) if out_dir is not None else None
    runs = {name: run(plan_, out=None if out is None else out / name, progress=progress)
            for name, plan_ in (("current", current), ("proposed", proposed))}
    comparison = paired_comparison(runs["current"].replications,
                                   runs["proposed"].replications, FIRE_KPIS)
    report = {
        "kind": "hydrants", "model": model, "n_new": int(n_new), "placed": int(k.size),
        "replications": int(replications), "chosen_sites": new,
        "candidates": int(plan.cand_edge.size), "demand": float(plan.demand_weight.sum()),
        "demand_covered": plan.covered_after,
        "paper": {"current": {"hydrant_street_fraction": before.street_fraction,
                              "hydrant_building_fraction": before.building_fraction},
                  "proposed": {"hydrant_street_fraction": after.street_fraction,
                               "hydrant_building_fraction": after.building_fraction}},
    }
    result = HydrantOptimizeRun(world=world, plan=plan, before=before, after=after,
                                report=report, comparison=comparison,
                                current=runs["current"], proposed=runs["proposed"])
    if out is not None:
        from dataclasses import replace

        from citysim.plots import save_figure
        from citysim.plots.hydrants import plot_hydrant_map

        out.mkdir(parents=True, exist_ok=True)
        csv_text = comparison.to_csv(index=False)
        shown = replace(world, hydrants=with_new_hydrants(world.hydrants, plan, HYDRANT_FLOW_L_S))
        write_json(out / "placement.json", report)
        write_atomic(out / "comparison.csv", lambda p: p.write_text(csv_text))
        save_figure(plot_hydrant_map(shown, after), out / "plots" / "hydrant_map_proposed.png")
    return result
