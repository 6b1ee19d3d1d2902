"""Time-series figures: residents by state over the run."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sim.agents.states import STATE_COLUMNS  # noqa: E402


def plot_states(timeseries: pd.DataFrame) -> Figure:
    """Persons in each state over time (the evacuation curve), stacked.

    Parameters
    ----------
    timeseries
        The run's time series (``t_s`` and one column per state).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=110)
    t_h = timeseries["t_s"] / 3600.0
    columns = [c for c in STATE_COLUMNS.values() if c in timeseries]
    columns = [c for c in columns if timeseries[c].max() > 0]
    ax.stackplot(t_h, [timeseries[c] for c in columns], labels=columns, alpha=0.85)
    ax.set_xlabel("time since start (h)")
    ax.set_ylabel("persons")
    ax.set_xlim(t_h.min(), t_h.max())
    ax.set_title("Residents by state")
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
