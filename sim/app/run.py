"""``citysim run``: load a scenario, simulate every replication, write the result folder."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TypeAlias

# first, before the scenario schema, pandas and numba load: Mesa's module logger walks every
# loaded module once at import (inspect.getmodule), 0.1-0.2 s more when imported last
import mesa  # noqa: F401

from citysim.app.folders import check_output_folder
from citysim.results import write_results
from citysim.scenario import Override, Scenario, load_scenario, load_scenario_dict
from citysim.scenario.injects import Inject
from citysim.simulation import Observer, RunResult, simulate

__all__ = ["HEADLINE_KPIS", "headline", "load", "run"]

HEADLINE_KPIS: tuple[str, ...] = (
    "residents_total", "evacuated", "sheltered_in_place", "not_evacuated", "fatalities",
    "evacuation_time_p90_s", "shelter_overflow", "incidents_total", "response_time_p90_s",
    "network_nodes", "network_edges", "steps", "wall_time_s",
    # each hazard's own headline, printed when the run has it
    "flood_max_depth_m", "flooded_road_km", "flood_volume_balance_error",
    "plume_aegl2_area_km2", "fire_buildings_burned",
)
"""KPIs ``citysim run`` prints, in order, when the run has them."""

ScenarioLike: TypeAlias = Scenario | str | os.PathLike[str]
"""A loaded scenario or its file."""


def load(
    scenario: ScenarioLike,
    *,
    seed: int | None = None,
    overrides: Sequence[str | Override] = (),
) -> Scenario:
    """A loaded scenario, with ``overrides`` and ``seed`` applied.

    Parameters
    ----------
    scenario
        A scenario file, or an already loaded scenario (returned as is
        when there is nothing to apply; else loaded again from its file, its
        own overrides first, or from its resolved content).
    seed
        Replaces ``run.seed``.
    overrides
        ``key.path=value`` overrides, applied in order.

    Raises
    ------
    ScenarioError
        When the scenario, or an override, is bad input.
    """
    if not isinstance(scenario, Scenario):
        return load_scenario(scenario, overrides=overrides, seed=seed)
    if seed is None and not overrides:
        return scenario
    if scenario.source_file is not None:
        return load_scenario(scenario.source_file, overrides=[*scenario.overrides, *overrides],
                             seed=seed)
    return load_scenario_dict(scenario.resolved(), base_dir=Path.cwd(), overrides=overrides,
                              seed=seed)


def run(
    scenario: ScenarioLike,
    *,
    seed: int | None = None,
    overrides: Sequence[str | Override] = (),
    out: str | os.PathLike[str] | None = None,
    progress: bool = False,
    observers: Sequence[Observer] = (),
    injects: Sequence[Inject] = (),
) -> RunResult:
    """Run every replication of a scenario; write its result folder when ``out`` is given.

    Parameters
    ----------
    scenario
        A scenario file or a loaded scenario (:func:`citysim.load_scenario`).
    seed
        Replaces ``run.seed``.
    overrides
        ``key.path=value`` overrides (as ``--set``).
    out
        Result folder (``summary.json``, the tables, ``provenance.json``,
        ``plots/`` when ``outputs.plots``), replaced whole; ``None`` writes nothing.
    progress
        Show progress bars on stderr.
    observers
        Called with the model after every step of the first replication.
    injects
        A drill-room session's injects, applied to every replication as it
        runs (``citysim run --injects``; the file's ``set`` belongs in
        ``overrides``).

    Returns
    -------
    RunResult
        ``.summary`` (the KPIs), ``.timeseries``, ``.incidents``,
        ``.shelters``, ``.stations``, ``.probes``, ``.replications``,
        ``.world`` ...

    Raises
    ------
    ScenarioError
        When the scenario is bad input, or ``out`` cannot be used
        (:func:`~citysim.app.folders.check_output_folder`): nothing is run.
    """
    loaded = load(scenario, seed=seed, overrides=overrides)
    if out is not None:
        check_output_folder(Path(out), "out")
    result = simulate(loaded, progress=progress, observers=observers, injects=injects)
    if out is not None:
        write_results(result, Path(out), plots=bool(loaded.outputs.plots),
                      geojson=bool(loaded.outputs.geojson))
    return result


def headline(summary: dict[str, object]) -> list[tuple[str, object]]:
    """The headline KPIs of a run's summary, in :data:`HEADLINE_KPIS` order."""
    return [(key, summary[key]) for key in HEADLINE_KPIS if key in summary]
