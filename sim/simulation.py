"""Simulate a scenario: every replication of a run, in memory, without files.

A run builds the city once from the run seed (:func:`citysim.rng.world_streams`)
and steps replication ``i`` from ``SeedSequence(run.seed).spawn(n)[i]``
(:func:`citysim.rng.replication_seed_sequence`); replication ``i`` made alone
(``replication=i``, as a batch makes it) is the same as row ``i`` of the
whole run. Writing the result folder is :func:`citysim.results.write_results`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
from tqdm import tqdm

from citysim.hazards.base import Hazard
from citysim.io.provenance import provenance
from citysim.metrics import aggregate_replications, summarize_model
from citysim.model import CityModel
from citysim.rng import world_streams
from citysim.scenario import Scenario
from citysim.scenario.injects import Inject
from citysim.world.builder import World, build_world

if TYPE_CHECKING:  # plotting loads matplotlib: only a run with an animation needs it
    from citysim.plots.animation import FrameRecorder

__all__ = ["Observer", "RunResult", "run_replication", "simulate"]

Observer = Callable[[CityModel], None]
"""Called with the model after every step of the first replication (e.g. a frame recorder)."""

TABLES: tuple[str, ...] = ("timeseries", "incidents", "shelters", "stations", "probes")
"""The per-replication tables of a run, each ``<name>.parquet`` in its result folder."""


@dataclass
class RunResult:
    """Everything one scenario run produced.

    Attributes
    ----------
    summary
        ``summary.json`` content: flat KPIs, or ``{kpi: {mean, ci95_low,
        ci95_high, n}}`` with several replications.
    replications
        One KPI row per replication (``replication`` column first).
    timeseries, incidents, shelters, stations, probes
        The tables; with several replications they carry a ``replication``
        column.
    world
        The built world (shared by the replications).
    agents
        The residents of the first replication at the end: ``home_node``,
        ``persons``, ``mode`` (0 walk, 1 car), ``state``, ``t_arrive_s``,
        ``shelter`` (kept in memory for the figures, not written).
    hazard_tables
        The hazards' own tables of the first replication (e.g.
        ``flooded_roads``), each written as ``<name>.parquet``.
    provenance
        ``provenance.json`` content.
    hazards
        The hazards of the first replication as the run left them (for
        their figures and map layers).
    frames
        Animation frames of the first replication
        (:class:`citysim.plots.animation.AnimationFrame`; only with
        ``outputs.animation``).
    """

    summary: dict[str, Any]
    replications: pd.DataFrame
    timeseries: pd.DataFrame
    incidents: pd.DataFrame
    shelters: pd.DataFrame
    stations: pd.DataFrame
    probes: pd.DataFrame
    world: World
    agents: pd.DataFrame
    hazard_tables: dict[str, pd.DataFrame]
    provenance: dict[str, Any]
    hazards: list[Hazard]
    frames: list[Any] = field(default_factory=list)


def run_replication(
    scenario: Scenario,
    replication: int,
    world: World,
    *,
    progress: bool = False,
    label: str = "",
    observers: Sequence[Observer] = (),
    injects: Sequence[Inject] = (),
) -> tuple[CityModel, dict[str, Any]]:
    """Run one replication to the end.

    Parameters
    ----------
    scenario
        The loaded scenario.
    replication
        0-based replication index (its seed sequence is
        ``SeedSequence(run.seed).spawn(n)[replication]``).
    world
        The scenario's built world.
    progress
        Show a progress bar on stderr.
    label
        Progress-bar label.
    observers
        Called with the model as built and after every step (an animation's
        frame recorder); they read the model and never change it.
    injects
        Drill-room injects applied as the model runs
        (:meth:`CityModel.apply_inject`).

    Returns
    -------
    model : CityModel
        The finished model.
    summary : dict
        Its KPIs.
    """
    t0 = time.perf_counter()
    model = CityModel.from_scenario(scenario, replication=replication, world=world,
                                    injects=injects)
    for observer in observers:
        observer(model)
    with tqdm(total=model.n_steps, desc=label or scenario.name, unit="step", disable=not progress,
              leave=False, dynamic_ncols=True) as bar:
        while model.running:
            model.step()
            for observer in observers:
                observer(model)
            bar.update(1)
    model.finish()
    return model, summarize_model(model, wall_time_s=time.perf_counter() - t0)


def simulate(
    scenario: Scenario,
    *,
    replication: int | None = None,
    world: World | None = None,
    progress: bool = False,
    observers: Sequence[Observer] = (),
    injects: Sequence[Inject] = (),
) -> RunResult:
    """Run every replication of a scenario (or one of them) in memory.

    Parameters
    ----------
    scenario
        A loaded scenario (:func:`citysim.scenario.load_scenario`).
    replication
        Make only this replication (0-based; a batch's replication ``r``):
        the result is that of one replication, with flat KPIs and tables
        without a ``replication`` column, identical to row ``r`` of a run
        with ``run.replications > r``. ``None``: all ``run.replications``.
    world
        The scenario's city when already built
        (``build_world(scenario, world_streams(run.seed))``).
    progress
        Show progress bars.
    observers
        Called with the model after every step of the first replication
        made.
    injects
        Drill-room injects applied to every replication as it runs; they
        are recorded in the provenance (``injects``).

    Returns
    -------
    RunResult
    """
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    seed = int(scenario.run.seed)
    indices = (range(int(scenario.run.replications)) if replication is None
               else [int(replication)])
    several = len(indices) > 1
    if world is None:
        world = build_world(scenario, world_streams(seed))
    rows = []
    tables: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    agents = pd.DataFrame()
    hazard_tables: dict[str, pd.DataFrame] = {}
    hazards: list[Hazard] = []
    recorders: list[FrameRecorder] = []
    if scenario.outputs.animation:
        from citysim.plots.animation import FrameRecorder

        recorders.append(FrameRecorder())
    for k, i in enumerate(indices):
        label = (f"{scenario.name} rep {i + 1}/{len(indices)}" if several
                 else scenario.name if replication is None else f"{scenario.name} rep {i + 1}")
        model, summary = run_replication(scenario, i, world, progress=progress, label=label,
                                         observers=[*recorders, *observers] if k == 0 else (),
                                         injects=injects)
        rows.append({"replication": i, **summary})
        if k == 0:
            agents = model.agents_frame()
            hazards = model.hazards
            for hazard in model.hazards:
                hazard_tables.update(hazard.tables())
        for name, frame in _tables(model).items():
            if several:
                frame.insert(0, "replication", i)
            tables[name].append(frame)
    merged = {name: pd.concat(parts, ignore_index=True) for name, parts in tables.items()}
    result_summary = aggregate_replications(rows) if several else rows[0].copy()
    result_summary.pop("replication", None)
    wall = time.perf_counter() - t0
    if not several:
        result_summary["wall_time_s"] = wall
    prov = provenance(scenario, started=started, wall_time_s=wall, world=world.describe())
    if replication is not None:
        prov["replication"] = int(replication)
    if injects:
        prov["injects"] = [j.as_yaml() for j in injects]
    return RunResult(summary=result_summary, replications=pd.DataFrame(rows), world=world,
                     agents=agents, hazard_tables=hazard_tables, provenance=prov,
                     hazards=hazards, frames=recorders[0].frames if recorders else [],
                     **merged)


def _tables(model: CityModel) -> dict[str, pd.DataFrame]:
    """The run tables of a replication (:data:`TABLES`)."""
    incidents = model.incidents_frame()
    return {"timeseries": model.timeseries_frame(), "incidents": incidents,
            "shelters": model.shelters_frame(), "stations": model.stations_frame(incidents),
            "probes": model.probes_frame()}


def output_names(scenario: Scenario) -> tuple[list[str], dict[str, list[str]]]:
    """The KPI names and the tables (with their columns) a run of ``scenario`` writes.

    Found by one tiny dry run, not declared: the city is built and one step
    made, then the run's books closed (the KPIs of each hazard are those it
    reports, whatever its type). An experiment checks the names it refers to
    with it before its first run.

    Parameters
    ----------
    scenario
        A loaded scenario.

    Returns
    -------
    kpis : list of str
        The keys of ``summary.json``.
    tables : dict
        Table name (``timeseries``, ``incidents``, ..., each hazard's own) to
        its columns.
    """
    world = build_world(scenario, world_streams(int(scenario.run.seed)))
    model = CityModel.from_scenario(scenario, replication=0, world=world)
    if model.running:
        model.step()
    model.finish()
    tables = _tables(model)
    for hazard in model.hazards:
        tables.update(hazard.tables())
    return (list(summarize_model(model, wall_time_s=0.0)),
            {name: [str(c) for c in frame.columns] for name, frame in tables.items()})
