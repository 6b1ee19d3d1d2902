"""Figures of a city risk assessment: the individual-risk map and the F-N curve."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from citysim.plots.maps import draw_network

__all__ = ["plot_fn_curve", "plot_individual_risk"]

CONTOUR_COLOURS = ("#2c7bb6", "#abd9e9", "#fdae61", "#f46d43", "#a50026")
"""Colours of the 1e-8 ... 1e-4 contours."""


def plot_individual_risk(world: Any, result: Any, contours: tuple[float, ...],
                         *, title: str = "") -> Figure:
    """Map of the individual risk (per year) with its contours, sources and places.

    Places that break their criterion are drawn as red squares, the others
    as green; sources as black triangles.
    """
    fig = Figure(figsize=(8, 7))
    ax = fig.add_subplot()
    draw_network(ax, world)
    ir = result.individual_risk
    low = min(contours)
    shown = np.where(ir >= low, ir, np.nan)
    if np.isfinite(shown).any():
        mesh = ax.pcolormesh(result.grid_x_m, result.grid_y_m, shown, shading="nearest",
                             norm=LogNorm(vmin=low, vmax=max(ir.max(), low * 10)),
                             cmap="magma_r", alpha=0.55, zorder=3)
        fig.colorbar(mesh, ax=ax, label="individual risk (per year)", shrink=0.8)
        levels = [c for c in contours if ir.max() >= c]
        if levels:
            cs = ax.contour(result.grid_x_m, result.grid_y_m, ir, levels=levels,
                            colors=CONTOUR_COLOURS[-len(levels):], linewidths=1.2, zorder=4)
            ax.clabel(cs, fmt=lambda v: f"{v:.0e}", fontsize=7)
    if len(result.sources_xy):
        ax.scatter(result.sources_xy[:, 0], result.sources_xy[:, 1], marker="^", s=60,
                   c="black", zorder=6, label="hazardous site")
    places = result.places
    if len(places):
        bad = places["breaks_criterion"].to_numpy()
        ax.scatter(places["x"][~bad], places["y"][~bad], marker="s", s=30, c="#1a9850",
                   zorder=6, label="place within its criterion")
        ax.scatter(places["x"][bad], places["y"][bad], marker="s", s=40, c="#d73027",
                   zorder=6, label="place breaking its criterion")
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_title(title or "Individual (location-based) risk")
    ax.legend(loc="lower right", fontsize=7)
    return fig


def plot_fn_curve(fn: Any, guide: float, *, title: str = "", dynamic: Any = None) -> Figure:
    """The F-N curve (N >= 1) against the Netherlands line ``F = guide / N^2`` and 1 % of it.

    ``dynamic``: the dynamic-mode curve, drawn beside the static one.
    """
    fig = Figure(figsize=(6.5, 5))
    ax = fig.add_subplot()
    curve = fn[fn["n"] >= 1.0]
    n_max = max(float(curve["n"].max()) if len(curve) else 10.0, 1000.0)
    if dynamic is not None:
        moved = dynamic[dynamic["n"] >= 1.0]
        if len(moved):
            ax.step(moved["n"], moved["frequency_per_year"], where="pre", color="#2166ac",
                    label="dynamic (warning, shelter, evacuation simulated)")
    n = np.geomspace(1.0, n_max, 50)
    ax.loglog(n, guide / n ** 2, "r--", label=f"Netherlands guide F = {guide:g}/N²")
    ax.loglog(n, 0.01 * guide / n ** 2, "g:", label="negligible (1 % of the guide)")
    if len(curve):
        ax.step(curve["n"], curve["frequency_per_year"], where="pre", color="black",
                label="static QRA")
    ax.set_xlabel("N, deaths")
    ax.set_ylabel("F, frequency of N or more deaths (per year)")
    ax.set_title(title or "Societal risk (F-N curve)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return fig
