"""Figures of a risk file's what-ifs: the risk maps side by side, the F-N curves overlaid."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from citysim.plots.risk import _draw_risk

__all__ = ["plot_variant_fn_curves", "plot_variant_maps"]

COLUMNS = 3
"""Maps per row."""
LINE_COLOURS = ("black", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#e6ab02",
                "#a6761d")
"""Colours of the F-N curves: the base first."""


def plot_variant_maps(world: Any, results: Sequence[tuple[str, Any]],
                      contours: tuple[float, ...]) -> Figure:
    """The individual-risk maps of the base and each variant, on one colour scale.

    ``results``: ``(label, RiskResult)``, the base first (labels short: the
    variants' ids; they share one grid). Every map has the
    contours that its risk reaches, its sources (triangles) and places (red:
    breaking their criterion).
    """
    n = len(results)
    cols = min(COLUMNS, n)
    rows = math.ceil(n / cols)
    first = results[0][1]
    span_x = float(np.ptp(first.grid_x_m)) or 1.0
    aspect = (float(np.ptp(first.grid_y_m)) or 1.0) / span_x
    fig = Figure(figsize=(4.0 * cols + 1.2, (4.0 * aspect + 0.5) * rows + 0.3),
                 layout="constrained")
    low = min(contours)
    high = max([low * 10] + [float(r.individual_risk.max()) for _, r in results])
    norm = LogNorm(vmin=low, vmax=high)
    mesh = None
    for i, (label, result) in enumerate(results):
        ax = fig.add_subplot(rows, cols, i + 1)
        drawn = _draw_risk(ax, world, result, contours, norm, detail=False)
        if drawn is not None:
            mesh = drawn
        ax.set_aspect("equal")
        ax.set_xlim(result.grid_x_m[0], result.grid_x_m[-1])
        ax.set_ylim(result.grid_y_m[0], result.grid_y_m[-1])
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(label, fontsize=9)
    if mesh is not None:
        fig.colorbar(mesh, ax=fig.axes, label="individual risk (per year)", shrink=0.7)
    return fig


def plot_variant_fn_curves(curves: Sequence[tuple[str, Any, Any]], guide: float) -> Figure:
    """The F-N curves (N >= 1) of the base and each variant against ``F = guide / N^2``.

    ``curves``: ``(label, static fn table, dynamic fn table or None)``, the
    base first (drawn thicker); a dynamic curve is dashed, in its variant's colour.
    """
    fig = Figure(figsize=(7, 5))
    ax = fig.add_subplot()
    n_max = 1000.0
    for i, (label, fn, dynamic) in enumerate(curves):
        colour = LINE_COLOURS[i % len(LINE_COLOURS)]
        for table, style, name in ((fn, "-", label), (dynamic, "--", f"{label} (dynamic)")):
            if table is None or not (table["n"] >= 1.0).any():
                continue
            curve = table[table["n"] >= 1.0]
            n_max = max(n_max, float(curve["n"].max()))
            ax.step(curve["n"], curve["frequency_per_year"], where="pre", color=colour,
                    linestyle=style, linewidth=2.2 if i == 0 else 1.3, label=name)
    n = np.geomspace(1.0, n_max, 50)
    ax.loglog(n, guide / n ** 2, "r:", label=f"Netherlands guide F = {guide:g}/N²")
    ax.set_xlabel("N, deaths")
    ax.set_ylabel("F, frequency of N or more deaths (per year)")
    ax.set_title("Societal risk of the what-ifs")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    return fig
