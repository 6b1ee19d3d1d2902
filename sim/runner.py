"""Run a scenario (all its replications) and write its result folder."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from citysim.io.atomic import write_atomic, write_json, write_parquet
from citysim.io.provenance import provenance
from citysim.metrics import aggregate_replications, summarize_model
from citysim.model import CityModel
from citysim.rng import Streams, replication_seeds
from citysim.world.builder import World, build_world

HEADLINE_KPIS: tuple[str, ...] = (
    "residents_total", "evacuated", "sheltered_in_place", "not_evacuated", "fatalities",
    "evacuation_time_p90_s", "shelter_overflow", "incidents_total", "response_time_p90_s",
    "network_nodes", "network_edges", "steps", "wall_time_s",
    # each hazard's own headline, printed when the run has it
    "flood_max_depth_m", "flooded_road_km", "flood_volume_balance_error",
    "plume_aegl2_area_km2", "fire_buildings_burned",
)


@dataclass
class RunOutput:
    """Everything one scenario run produced.

    Attributes
    ----------
    summary
        ``summary.json`` content: flat KPIs, or ``{kpi: {mean, ci95_low,
        ci95_high, n}}`` with several replications.
    replications
        One KPI row per replication.
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
    hazards
        The hazards of the first replication as the run left them (for
        their figures and map layers).
    provenance
        ``provenance.json`` content.
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
    hazards: list[Any]
    frames: list[Any] = field(default_factory=list)


def world_streams(seed: int) -> Streams:
    """Random streams of the city itself (network jitter, population placement).

    The city is the same in every replication of a run: its streams hang off
    the run seed's root, the replications' off its spawned children.
    """
    return Streams(np.random.SeedSequence(seed))


def run_replication(
    scenario: Any,
    seed_sequence: np.random.SeedSequence,
    world: World,
    *,
    progress: bool = False,
    label: str = "",
    observers: Sequence[Callable[[CityModel], None]] = (),
) -> tuple[CityModel, dict[str, Any]]:
    """Run one replication to the end.

    Parameters
    ----------
    scenario
        The loaded scenario.
    seed_sequence
        This replication's root seed.
    world
        The built world.
    progress
        Show a progress bar on stderr.
    label
        Progress-bar label.
    observers
        Callables ``observer(model)`` called with the model as built and
        after every step (an animation's frame recorder); they read the
        model, never change it.

    Returns
    -------
    model : CityModel
        The finished model.
    summary : dict
        Its KPIs.
    """
    t0 = time.perf_counter()
    model = CityModel(scenario, seed_sequence, world=world)
    for observe in observers:
        observe(model)
    with tqdm(total=model.n_steps, desc=label or scenario.name, unit="step", disable=not progress,
              leave=False, dynamic_ncols=True) as bar:
        while model.running:
            model.step()
            for observe in observers:
                observe(model)
            bar.update(1)
    model.finish()
    return model, summarize_model(model, wall_time_s=time.perf_counter() - t0)


def run_scenario(
    scenario: Any, *, out_dir: Path | None = None, progress: bool = False
) -> RunOutput:
    """Run every replication of a scenario and, if ``out_dir`` is given, write the results.

    Parameters
    ----------
    scenario
        A loaded scenario (:func:`citysim.scenario.load_scenario`).
    out_dir
        Result folder; nothing is written when ``None``.
    progress
        Show progress bars.

    Returns
    -------
    RunOutput
    """
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    seed = int(scenario.run.seed)
    n_rep = int(scenario.run.replications)
    world = build_world(scenario, world_streams(seed))
    rows = []
    tables: dict[str, list[pd.DataFrame]] = {
        "timeseries": [], "incidents": [], "shelters": [], "stations": [], "probes": []}
    agents = None
    hazard_tables: dict[str, pd.DataFrame] = {}
    hazards: list[Any] = []
    recorders = []
    if scenario.outputs.animation:
        from citysim.plots.animation import FrameRecorder

        recorders.append(FrameRecorder())
    for i, seq in enumerate(replication_seeds(seed, n_rep)):
        label = scenario.name if n_rep == 1 else f"{scenario.name} rep {i + 1}/{n_rep}"
        model, summary = run_replication(scenario, seq, world, progress=progress, label=label,
                                         observers=recorders if i == 0 else ())
        rows.append({"replication": i, **summary})
        if agents is None:
            agents = model.agents_frame()
            hazards = model.hazards
            for hazard in model.hazards:
                hazard_tables.update(hazard.tables())
        for name, frame in (("timeseries", model.timeseries_frame()),
                            ("incidents", model.incidents_frame()),
                            ("shelters", model.shelters_frame()),
                            ("stations", model.stations_frame()),
                            ("probes", model.probes_frame())):
            if n_rep > 1:
                frame.insert(0, "replication", i)
            tables[name].append(frame)
    merged = {k: pd.concat(v, ignore_index=True) for k, v in tables.items()}
    replications = pd.DataFrame(rows)
    summary = rows[0].copy() if n_rep == 1 else aggregate_replications(rows)
    summary.pop("replication", None)
    wall = time.perf_counter() - t0
    if n_rep == 1:
        summary["wall_time_s"] = wall
    prov = provenance(scenario, started=started, wall_time_s=wall, world=world.describe())
    out = RunOutput(summary=summary, replications=replications, world=world, agents=agents,
                    hazard_tables=hazard_tables, provenance=prov, hazards=hazards,
                    frames=recorders[0].frames if recorders else [],
                    **merged)
    if out_dir is not None:
        write_results(out, Path(out_dir), plots=bool(scenario.outputs.plots),
                      geojson=bool(scenario.outputs.geojson))
    return out


def write_results(out: RunOutput, out_dir: Path, *, plots: bool, geojson: bool = False) -> None:
    """Write a run's result folder (each file atomically).

    Parameters
    ----------
    out
        The run's outputs.
    out_dir
        Destination folder (created if needed).
    plots
        Also draw the figures into ``out_dir/plots``.
    geojson
        Also write the GIS layers into ``out_dir/gis`` (:mod:`citysim.io.geojson`).
        ``animation.gif`` (and ``.mp4``) are written when ``out.frames`` holds frames.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    write_parquet(out_dir / "timeseries.parquet", out.timeseries)
    write_parquet(out_dir / "incidents.parquet", out.incidents)
    write_parquet(out_dir / "shelters.parquet", out.shelters)
    write_parquet(out_dir / "stations.parquet", out.stations)
    write_parquet(out_dir / "probes.parquet", out.probes)
    if len(out.replications) > 1:
        write_parquet(out_dir / "replications.parquet", out.replications)
    for name, table in out.hazard_tables.items():
        write_parquet(out_dir / f"{name}.parquet", table)
        if table.attrs.get("csv"):  # tables planners open in a spreadsheet (waterlogging)
            write_atomic(out_dir / f"{name}.csv",
                         # mypy: a lambda binding its argument by default
                         lambda p, t=table: t.to_csv(p, index=False, encoding="utf-8-sig"))  # type: ignore[misc]
    write_json(out_dir / "summary.json", out.summary)
    if plots:
        from citysim.plots import write_run_plots

        write_run_plots(out, out_dir / "plots")
    if out.frames:
        from citysim.plots.animation import write_animation

        outputs = out.provenance["scenario"]["outputs"]
        write_animation(out.frames, out.world, out_dir, title=out.provenance["scenario"]["name"],
                        fps=int(outputs.get("animation_fps", 6)))
    if geojson:
        from citysim.io.geojson import write_layers

        write_layers(out, out_dir / "gis")
    write_json(out_dir / "provenance.json", out.provenance)
