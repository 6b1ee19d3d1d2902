"""Figures of experiments: sensitivity indices of a sweep, the fit of a calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from citysim.plots.series import time_axis

__all__ = ["plot_calibration", "plot_indices"]

_BARS = {
    "sobol": (("S1", "S1_conf", "first order S1"), ("ST", "ST_conf", "total order ST")),
    "morris": (("mu_star", "mu_star_conf", "mu* (mean |elementary effect|)"),
               ("sigma", None, "sigma (interactions, non-linearity)")),
}


def plot_indices(indices: pd.DataFrame, output: str, method: str) -> Figure:
    """Bar chart of one output's sensitivity indices, one group of bars per parameter.

    Parameters
    ----------
    indices
        Rows of ``indices.csv`` for this output: ``parameter`` and SALib's
        index columns.
    output
        The KPI's name (the title).
    method
        ``sobol`` (S1 and ST with their 95 % intervals) or ``morris`` (mu*
        with its interval, and sigma).

    Returns
    -------
    matplotlib.figure.Figure
    """
    params = list(indices["parameter"])
    fig = Figure(figsize=(max(5.0, 1.6 * len(params) + 2.5), 4.2), layout="constrained")
    ax = fig.subplots()
    pos = np.arange(len(params))
    width = 0.38
    for k, (name, conf, label) in enumerate(_BARS[method]):
        values = indices[name].to_numpy(dtype=float)
        err = indices[conf].to_numpy(dtype=float) if conf else None
        ax.bar(pos + (k - 0.5) * width, values, width, yerr=err, capsize=3, label=label,
               color=("#3b6ea8", "#d08a2e")[k])
    tilt = len(params) > 3
    ax.set_xticks(pos, params, rotation=15 if tilt else 0, ha="right" if tilt else "center")
    ax.axhline(0.0, color="0.3", lw=0.8)
    ax.set_ylabel("index" if method == "sobol" else f"effect on {output}")
    note = "error bars: 95 % intervals" if method == "sobol" else "error bar: 95 % interval of mu*"
    ax.set_title(f"{output}: {'Sobol' if method == 'sobol' else 'Morris'} sensitivity ({note})")
    ax.legend(frameon=False)
    return fig


def plot_calibration(fit: pd.DataFrame, form: str, label: str, trials: pd.DataFrame) -> Figure:
    """Observed against the best simulated output, and the loss of every trial.

    Parameters
    ----------
    fit
        The fit table: ``x``, ``observed``, ``simulated`` (the replications'
        mean), ``simulated_min``, ``simulated_max``.
    form
        ``curve`` (x is time in s), ``distribution`` (x is the quantile level)
        or ``kpis`` (x is the KPI name).
    label
        What is compared (axis label).
    trials
        ``trials.parquet``: ``trial`` and ``loss``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    (ax, ax_loss) = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2, 1]})
    if form == "curve":
        t, xlabel, _ = time_axis(fit["x"])
        ax.fill_between(t, fit["simulated_min"], fit["simulated_max"], color="#3b6ea8",
                        alpha=0.2, lw=0, label="simulated, range over replications")
        ax.plot(t, fit["simulated"], color="#3b6ea8", lw=2, label="simulated (best fit)")
        ax.plot(t, fit["observed"], "o", ms=4, color="#222222", label="observed")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(label)
    elif form == "distribution":
        ax.plot(fit["observed"], fit["x"], "o", color="#222222", label="observed quantiles")
        ax.plot(fit["simulated"], fit["x"], "-", color="#3b6ea8", lw=2,
                label="simulated (best fit)")
        ax.fill_betweenx(fit["x"], fit["simulated_min"], fit["simulated_max"], color="#3b6ea8",
                         alpha=0.2, lw=0, label="range over replications")
        ax.set_xlabel(label)
        ax.set_ylabel("cumulative fraction")
    else:
        pos = np.arange(len(fit))
        ax.bar(pos - 0.2, fit["observed"], 0.4, color="0.3", label="observed")
        ax.bar(pos + 0.2, fit["simulated"], 0.4, color="#3b6ea8", label="simulated (best fit)",
               yerr=np.vstack([fit["simulated"] - fit["simulated_min"],
                               fit["simulated_max"] - fit["simulated"]]), capsize=3)
        ax.set_xticks(pos, fit["x"])
        ax.set_ylabel(label)
    ax.legend(frameon=False)
    ax.set_title("observed against simulated")
    ax_loss.plot(trials["trial"], trials["loss"], ".", color="0.5", ms=4)
    ax_loss.plot(trials["trial"], trials["loss"].cummin(), "-", color="#c0392b",
                 label="best so far")
    ax_loss.set_xlabel("trial")
    ax_loss.set_ylabel("loss")
    ax_loss.set_yscale("log" if (trials["loss"] > 0).all() else "linear")
    ax_loss.legend(frameon=False)
    ax_loss.set_title("search")
    return fig
