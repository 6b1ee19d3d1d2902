"""``citysim coverage``: station coverage of a scenario, at a time of its run, written out.

The algorithm is :func:`citysim.analysis.coverage.station_coverage`; here the
world is built, the model is stepped to ``--at`` for the network the hazards
leave, and ``coverage.json``, ``coverage_nodes.parquet`` and
``plots/coverage_map.png`` are written.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from citysim.analysis.coverage import Coverage, coverage_nodes, coverage_report, station_coverage
from citysim.io.atomic import replace_folder, write_json, write_parquet
from citysim.io.provenance import provenance
from citysim.model import CityModel
from citysim.rng import world_streams
from citysim.scenario import Scenario
from citysim.world.builder import World, build_world

__all__ = ["CoverageRun", "network_at", "run_coverage", "write_coverage"]


def network_at(
    scenario: Scenario, world: World, at_s: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """Closures and speed factors of the road network at a time of the run.

    Builds the scenario's :class:`~citysim.model.CityModel` (first replication's
    seed) and steps it until its clock reaches ``at_s``; the hazards then
    have acted on the network as they do in ``citysim run``.  At ``at_s = 0``
    no step is taken (no hazard has acted yet).  With no hazards the network
    stays as on a normal day.

    Parameters
    ----------
    scenario
        The loaded scenario.
    world
        Its built world.
    at_s
        Time since the start of the run (s), within ``[0, run.duration]``.

    Returns
    -------
    closed : numpy.ndarray
        Closed edges, shape (m,).
    speed_factor : numpy.ndarray
        Speed factor of every edge, shape (m,).
    t_s : float
        The model time reached (the first step end at or after ``at_s``).

    Raises
    ------
    ValueError
        When ``at_s`` is negative or after the end of the run.
    """
    at = float(at_s)
    duration = float(scenario.run.duration)
    if not 0.0 <= at <= duration:
        raise ValueError(f"the time must lie within the run, 0..{duration:g} s; got {at_s!r}")
    model = CityModel.from_scenario(scenario, replication=0, world=world)
    while model.t_s < at - 1e-9 and model.running:
        model.step()
    return (np.array(model.edge_closed, dtype=bool),
            np.array(model.edge_speed_factor, dtype=np.float64), float(model.t_s))


@dataclass(frozen=True, eq=False)
class CoverageRun:
    """What ``citysim coverage`` computed for a scenario.

    Attributes
    ----------
    world
        The built world.
    coverage
        The coverage.
    at_s
        Time of the run whose network was used (s), ``None`` for the normal
        network.
    report
        ``coverage.json`` content.
    """

    world: World
    coverage: Coverage
    at_s: float | None
    report: dict[str, Any]

    def nodes_frame(self) -> pd.DataFrame:
        """Per node: ``node`` (id), ``node_index``, ``x, y``, ``population``, ``time_s``, ..."""
        return coverage_nodes(self.world, self.coverage)


def run_coverage(
    scenario: Scenario,
    *,
    standard_s: float | None = None,
    unit: str = "engine",
    at_s: float | None = None,
    out_dir: Path | None = None,
) -> CoverageRun:
    """Coverage of a scenario's stations, optionally at a time of the run and written out.

    Parameters
    ----------
    scenario
        A loaded scenario.
    standard_s
        The standard (s); default the scenario's ``response.standard``.
    unit
        Unit type (``UNIT_TYPES``), default ``"engine"``.
    at_s
        Use the network as the hazards leave it at this time of the run
        (:func:`network_at`); ``None``: the normal network.
    out_dir
        Write ``coverage.json``, ``coverage_nodes.parquet`` and
        ``plots/coverage_map.png`` there (:func:`write_coverage`); ``None``
        writes nothing.

    Returns
    -------
    CoverageRun
    """
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    standard = float(scenario.response.standard if standard_s is None else standard_s)
    world = build_world(scenario, world_streams(int(scenario.run.seed)))
    at = None if at_s is None else float(at_s)
    closed = factor = None
    if at_s is not None:
        closed, factor, _ = network_at(scenario, world, at_s)
    cov = station_coverage(world, standard_s=standard, closed=closed, speed_factor=factor,
                           unit=unit)
    prov = provenance(scenario, started=started, wall_time_s=time.perf_counter() - t0,
                      world=world.describe())
    run = CoverageRun(world=world, coverage=cov, at_s=at,
                      report=coverage_report(cov, at_s=at, provenance=prov))
    if out_dir is not None:
        replace_folder(Path(out_dir), lambda folder: write_coverage(run, folder))
    return run


def write_coverage(run: CoverageRun, out_dir: Path) -> list[Path]:
    """Write ``coverage.json``, ``coverage_nodes.parquet`` and ``plots/coverage_map.png``.

    Each file is written atomically.

    Parameters
    ----------
    run
        What :func:`run_coverage` computed.
    out_dir
        Destination folder (created if needed).

    Returns
    -------
    list of Path
        The files written.
    """
    from citysim.plots import save_figure
    from citysim.plots.coverage import plot_coverage_map

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        write_parquet(out_dir / "coverage_nodes.parquet", run.nodes_frame()),
        save_figure(plot_coverage_map(run.world, run.coverage, at_s=run.at_s),
                    out_dir / "plots" / "coverage_map.png"),
        write_json(out_dir / "coverage.json", run.report),
    ]
