"""Time-series figures: residents by state over the run."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from citysim.agents.states import STATE_COLUMNS

HOURS_ABOVE_S = 3 * 3600.0
"""Runs longer than this are plotted in hours, shorter ones in minutes."""


def time_unit(t_end_s: float) -> tuple[float, str]:
    """Choose the time unit of a figure's x axis from the length of the run.

    Parameters
    ----------
    t_end_s
        Last time shown (s).

    Returns
    -------
    scale : float
        Seconds per unit (60 or 3600).
    unit : str
        ``"min"`` or ``"h"``.
    """
    return (3600.0, "h") if t_end_s > HOURS_ABOVE_S else (60.0, "min")


def time_axis(t_s: pd.Series | np.ndarray) -> tuple[np.ndarray, str, float]:
    """Times in the unit that fits the run, with the axis label.

    Parameters
    ----------
    t_s
        Times since the start of the run (s).

    Returns
    -------
    t : numpy.ndarray
        Times in minutes or hours.
    label : str
        Axis label naming the unit.
    scale : float
        Seconds per unit.
    """
    t = np.asarray(t_s, dtype=float)
    scale, unit = time_unit(float(np.nanmax(t)) if t.size else 0.0)
    return t / scale, f"time since start ({unit})", scale


thousands = FuncFormatter(lambda v, _pos: f"{v:,.0f}")
"""Tick formatter writing counts with thousands separators."""


def plot_states(timeseries: pd.DataFrame) -> Figure:
    """Persons in each state over time, stacked.

    Parameters
    ----------
    timeseries
        The run's time series (``t_s`` in s and one column of persons per state).

    Returns
    -------
    matplotlib.figure.Figure
        x in minutes (runs up to 3 h) or hours, y in persons.
    """
    fig = Figure(figsize=(9.5, 4.5), dpi=110)
    ax = fig.subplots()
    t, xlabel, _ = time_axis(timeseries["t_s"])
    columns = [c for c in STATE_COLUMNS.values() if c in timeseries]
    columns = [c for c in columns if timeseries[c].max() > 0]
    ax.stackplot(t, [timeseries[c] for c in columns], labels=columns, alpha=0.85)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("persons")
    ax.yaxis.set_major_formatter(thousands)
    if t.size:
        ax.set_xlim(t.min(), t.max())
    ax.set_title("Residents by state")
    if columns:
        # outside the axes (a stack fills the plot to the top everywhere), in the
        # order of the stack from top to bottom
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(handles[::-1], labels[::-1], loc="center left", bbox_to_anchor=(1.01, 0.5),
                  fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
