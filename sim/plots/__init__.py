"""Figures of a run. Plot functions take arrays or DataFrames and return a Figure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from sim.io.atomic import write_atomic
from sim.plots.maps import plot_city_map
from sim.plots.series import plot_states

__all__ = ["plot_city_map", "plot_states", "save_figure", "write_run_plots"]


def save_figure(fig: Figure, path: Path) -> Path:
    """Save a figure as PNG atomically and close it."""
    try:
        write_atomic(Path(path), lambda p: fig.savefig(p, format="png"))
    finally:
        plt.close(fig)
    return Path(path)


def write_run_plots(out: Any, plots_dir: Path) -> list[Path]:
    """Draw the figures of a run into ``plots_dir``.

    Parameters
    ----------
    out
        A :class:`sim.runner.RunOutput`.
    plots_dir
        Destination folder.

    Returns
    -------
    list of Path
        The files written.
    """
    ts = out.timeseries
    if "replication" in ts:
        ts = ts[ts["replication"] == 0]
    return [
        save_figure(plot_city_map(out.world), plots_dir / "city_map.png"),
        save_figure(plot_states(ts), plots_dir / "residents_by_state.png"),
    ]
