"""Figures of a city risk assessment: the individual-risk map and the F-N curve."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import QuadMesh
from matplotlib.colors import LogNorm, Normalize
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
    low = min(contours)
    _draw_risk(ax, world, result, contours,
               LogNorm(vmin=low, vmax=max(result.individual_risk.max(), low * 10)), detail=True)
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_title(title or "Individual (location-based) risk")
    ax.legend(loc="lower right", fontsize=7)
    return fig


def _draw_risk(ax: Axes, world: Any, result: Any, contours: tuple[float, ...], norm: Normalize,
               *, detail: bool) -> QuadMesh | None:
    """Draw a risk map on ``ax``: network, risk above the lowest contour, contours, sources, places.

    ``detail``: the single map's own colour bar, labelled contours, larger
    marks with legend labels and contour colours (the highest colours for
    the levels reached); else the small multiples' (each level its own
    colour; the caller draws one colour bar for all). Returns the mesh (None
    where the risk never reaches the lowest contour).
    """
    draw_network(ax, world)
    ir = result.individual_risk
    shown = np.where(ir >= min(contours), ir, np.nan)
    mesh = None
    if np.isfinite(shown).any():
        mesh = ax.pcolormesh(result.grid_x_m, result.grid_y_m, shown, shading="nearest",
                             norm=norm, cmap="magma_r", alpha=0.55, zorder=3)
        if detail:  # before the contours: their inline labels are placed on screen
            ax.figure.colorbar(mesh, ax=ax, label="individual risk (per year)", shrink=0.8)
        levels = [c for c in contours if ir.max() >= c]
        if levels:
            colours = (CONTOUR_COLOURS[-len(levels):] if detail
                       else [CONTOUR_COLOURS[contours.index(c)] for c in levels])
            lines = ax.contour(result.grid_x_m, result.grid_y_m, ir, levels=levels,
                               colors=colours, linewidths=1.2 if detail else 0.9, zorder=4)
            if detail:
                ax.clabel(lines, fmt=lambda v: f"{v:.0e}", fontsize=7)
    if len(result.sources_xy):
        ax.scatter(result.sources_xy[:, 0], result.sources_xy[:, 1], marker="^",
                   s=60 if detail else 30, c="black", zorder=6,
                   label="hazardous site" if detail else None)
    places = result.places
    if len(places):
        bad = places["breaks_criterion"].to_numpy(dtype=bool)
        ax.scatter(places["x"][~bad], places["y"][~bad], marker="s", s=30 if detail else 14,
                   c="#1a9850", zorder=6, label="place within its criterion" if detail else None)
        ax.scatter(places["x"][bad], places["y"][bad], marker="s", s=40 if detail else 18,
                   c="#d73027", zorder=6, label="place breaking its criterion" if detail else None)
    return mesh


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
