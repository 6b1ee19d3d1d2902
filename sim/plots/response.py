"""Response figures: response times against the standard, units over time."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from citysim.plots.series import time_axis


def plot_response_times(incidents: pd.DataFrame, standard_s: float) -> Figure:
    """Distribution of response times (call to first arrival) against the standard.

    Parameters
    ----------
    incidents
        The incidents table (``response_time_s``, ``station``).
    standard_s
        Arrival standard after the call (s).

    Returns
    -------
    matplotlib.figure.Figure
        Left: the cumulative share of incidents reached within each time, in
        total and per first-arriving station, the standard marked. Right: a
        histogram in minutes.
    """
    fig = Figure(figsize=(11, 4.2), dpi=110)
    (ax, hx) = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    rt = incidents["response_time_s"].dropna().to_numpy(dtype=float) / 60.0
    std_min = standard_s / 60.0
    if rt.size == 0:
        for a in (ax, hx):
            a.text(0.5, 0.5, "no incident was reached", ha="center", va="center",
                   transform=a.transAxes)
        return fig

    def ecdf(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        v = np.sort(values)
        return v, np.arange(1, v.size + 1) / v.size

    x, y = ecdf(rt)
    ax.step(x, y, where="post", color="k", lw=2, label=f"all ({rt.size})")
    reached = incidents[incidents["response_time_s"].notna()]
    for station, group in reached.groupby("station", sort=True):
        xs, ys = ecdf(group["response_time_s"].to_numpy(dtype=float) / 60.0)
        ax.step(xs, ys, where="post", lw=1, alpha=0.8, label=f"{station} ({len(group)})")
    within = float(np.mean(rt <= std_min))
    ax.axvline(std_min, color="#c0392b", ls="--")
    ax.axhline(within, color="#c0392b", ls=":", lw=0.8)
    ax.text(std_min, 0.02, f" standard {std_min:g} min: {within:.0%} within",
            color="#c0392b", fontsize=8)
    ax.set_xlabel("response time: call to first arrival (min)")
    ax.set_ylabel("share of incidents reached")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", title="first to arrive", title_fontsize=7)
    p50, p90 = np.quantile(rt, [0.5, 0.9])
    ax.set_title(f"Response times: p50 {p50:.1f} min, p90 {p90:.1f} min")
    bins = np.linspace(0, max(rt.max(), std_min) * 1.05, 30)
    hx.hist(rt[rt <= std_min], bins=bins, color="#27ae60", label="within standard")
    hx.hist(rt[rt > std_min], bins=bins, color="#e67e22", label="beyond")
    hx.axvline(std_min, color="#c0392b", ls="--")
    hx.set_xlabel("response time (min)")
    hx.set_ylabel("incidents")
    hx.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_unit_availability(timeseries: pd.DataFrame, n_units: int) -> Figure:
    """Units free and busy over the run, with the incidents open.

    Parameters
    ----------
    timeseries
        The run's time series (``t_s``, ``busy_units``, ``active_incidents``).
    n_units
        Units in the city.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = Figure(figsize=(9, 3.8), dpi=110)
    ax = fig.subplots()
    t, label, _ = time_axis(timeseries["t_s"])
    busy = timeseries["busy_units"].to_numpy()
    ax.fill_between(t, 0, busy, step="post", color="#e67e22", alpha=0.8, label="busy units")
    ax.fill_between(t, busy, n_units, step="post", color="#27ae60", alpha=0.35,
                    label="available units")
    ax.step(t, timeseries["active_incidents"], where="post", color="k", lw=1,
            label="open incidents")
    ax.set_xlim(t.min(), t.max())
    ax.set_ylim(0, max(n_units, int(timeseries["active_incidents"].max())) + 0.5)
    ax.set_xlabel(label)
    ax.set_ylabel("units / incidents")
    ax.set_title(f"Unit availability ({n_units} units)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig
