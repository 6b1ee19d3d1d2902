"""Figures of a run. Plot functions take arrays or DataFrames and return a Figure."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from citysim.io.atomic import write_atomic
from citysim.plots.evacuation import (
    plot_evacuation_curve,
    plot_evacuation_time_map,
    plot_shelter_loads,
)
from citysim.plots.fonts import add_cjk_fallback
from citysim.plots.hazards import hazard_figures, register_hazard_figures
from citysim.plots.maps import plot_city_map
from citysim.plots.response import plot_response_times, plot_unit_availability
from citysim.plots.series import plot_states

__all__ = [
    "hazard_figures",
    "plot_city_map",
    "plot_evacuation_curve",
    "plot_evacuation_time_map",
    "plot_response_times",
    "plot_unit_availability",
    "plot_shelter_loads",
    "plot_states",
    "register_hazard_figures",
    "save_figure",
    "write_run_plots",
]


def save_figure(fig: Figure, path: Path) -> Path:
    """Save a figure as PNG atomically; Chinese text is drawn in a CJK font."""
    add_cjk_fallback(fig)
    write_atomic(Path(path), lambda p: fig.savefig(p, format="png"))
    return Path(path)


def _first_replication(table: Any) -> Any:
    return table[table["replication"] == 0] if "replication" in table else table


def _kpi(out: Any, name: str) -> float | None:
    """KPI ``name`` of replication 0 (the one drawn), ``None`` if missing or null."""
    reps = out.replications
    if reps is not None and len(reps) and name in reps:
        row = reps[reps["replication"] == 0] if "replication" in reps else reps
        value = row[name].iloc[0] if len(row) else None
    else:
        value = out.summary.get(name)
        value = value.get("mean") if isinstance(value, dict) else value
    if value is None or not math.isfinite(float(value)):
        return None
    return float(value)


def write_run_plots(out: Any, plots_dir: Path) -> list[Path]:
    """Draw the figures of a run into ``plots_dir``.

    Always: ``city_map.png``, ``residents_by_state.png`` and
    ``evacuation_curve.png`` (flat when nobody evacuated). Only when there
    is something to draw: ``shelter_loads.png`` when the scenario has
    shelters, ``evacuation_time_map.png`` when someone reached a shelter,
    ``response_times.png`` when an incident was reached,
    ``unit_availability.png`` when the city has units, and each hazard's own
    figures (:func:`citysim.plots.hazards.hazard_figures`).
    With several replications the figures show replication 0.

    Parameters
    ----------
    out
        A :class:`citysim.simulation.RunResult`.
    plots_dir
        Destination folder.

    Returns
    -------
    list of Path
        The files written.
    """
    ts = _first_replication(out.timeseries)
    written = [
        save_figure(plot_city_map(out.world), plots_dir / "city_map.png"),
        save_figure(plot_states(ts), plots_dir / "residents_by_state.png"),
        save_figure(
            plot_evacuation_curve(ts, out.world.population.total,
                                  p50_s=_kpi(out, "evacuation_time_p50_s"),
                                  p90_s=_kpi(out, "evacuation_time_p90_s")),
            plots_dir / "evacuation_curve.png",
        ),
    ]
    shelters = _first_replication(out.shelters)
    if len(shelters):
        written.append(save_figure(plot_shelter_loads(shelters, ts),
                                   plots_dir / "shelter_loads.png"))
    agents = out.agents
    if agents is not None and len(agents) and np.isfinite(agents["t_arrive_s"]).any():
        written.append(save_figure(plot_evacuation_time_map(out.world, agents),
                                   plots_dir / "evacuation_time_map.png"))
    incidents = _first_replication(out.incidents)
    if incidents["response_time_s"].notna().any():
        standard = float(out.provenance["scenario"]["response"]["standard"])
        written.append(save_figure(plot_response_times(incidents, standard),
                                   plots_dir / "response_times.png"))
    n_units = int(out.world.stations.units.sum())
    if n_units:
        written.append(save_figure(plot_unit_availability(ts, n_units),
                                   plots_dir / "unit_availability.png"))
    for hazard in out.hazards:
        for name, fig in hazard_figures(hazard, out.world).items():
            written.append(save_figure(fig, plots_dir / f"{name}.png"))
    return written
