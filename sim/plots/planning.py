"""Planning figures: the simulated difference between two plans, and the placement map."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from citysim.plots.maps import draw_network

if TYPE_CHECKING:
    from citysim.placement.candidates import Sites
    from citysim.world.builder import World

__all__ = ["plot_placement_map", "plot_plan_comparison"]

BETTER_COLOR = "#1a9850"
WORSE_COLOR = "#d73027"
UNCLEAR_COLOR = "#525252"


def plot_plan_comparison(comparison: pd.DataFrame, *, title: str = "") -> Figure:
    """One panel per KPI: the paired difference proposed - current with its 95 % interval.

    The side of zero where the proposed plan is better is shaded green;
    each panel's title gives both plans' means and the verdict. KPIs not
    measured in the runs (no incidents, say) are left out.

    Parameters
    ----------
    comparison
        ``comparison.csv`` content (:func:`citysim.placement.optimize.paired_comparison`).
    title
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    rows = comparison[comparison["pairs"] > 0].reset_index(drop=True)
    n = max(len(rows), 1)
    fig = Figure(figsize=(8, 1.35 * n + 1.0), dpi=110)
    axes = fig.subplots(n, 1, squeeze=False)
    if rows.empty:
        axes[0, 0].text(0.5, 0.5, "no KPI measured in both plans", ha="center", va="center",
                        transform=axes[0, 0].transAxes)
        axes[0, 0].set_axis_off()
    for k, row in rows.iterrows():
        ax = axes[k, 0]
        mean, low, high = row["difference_mean"], row["difference_ci95_low"], \
            row["difference_ci95_high"]
        scale = abs(row["current_mean"]) if math.isfinite(row["current_mean"]) else 0.0
        span = max(abs(low), abs(high), abs(mean), 0.01 * scale, 1e-9) * 1.3
        sign = -1.0 if row["better"] == "lower" else 1.0
        ax.axvspan(0, sign * span, color=BETTER_COLOR, alpha=0.08, lw=0)
        ax.axvline(0, color="k", lw=0.8)
        color = {"proposed better": BETTER_COLOR, "proposed worse": WORSE_COLOR}.get(
            row["verdict"], UNCLEAR_COLOR)
        ax.errorbar([mean], [0], xerr=[[mean - low], [high - mean]], fmt="o", color=color,
                    capsize=5, lw=2)
        ax.set_xlim(-span, span)
        ax.set_yticks([])
        ax.set_title(f"{row['kpi']}: current {_fmt(row['current_mean'])} -> proposed "
                     f"{_fmt(row['proposed_mean'])}  ({row['verdict']}, {row['pairs']} pairs)",
                     fontsize=8, loc="left")
        ax.tick_params(axis="x", labelsize=7)
    axes[-1, 0].set_xlabel("difference proposed - current (mean and 95 % interval; green side: "
                           "proposed better)", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def _fmt(value: float) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def plot_placement_map(world: World, sites: Sites, open_sites: np.ndarray, *,
                       title: str = "") -> Figure:
    """Map of the plan: roads, existing sites, candidates, and the ones chosen.

    Parameters
    ----------
    world
        The built world.
    sites
        Existing and candidate sites.
    open_sites
        Sites of the proposed plan, shape (k,).
    title
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = Figure(figsize=(8, 8), dpi=110)
    ax = fig.subplots()
    draw_network(ax, world)
    pop = world.population
    if pop.n_agents:
        net = world.network
        persons = np.bincount(pop.home_node, weights=pop.persons, minlength=net.n_nodes)
        live = persons > 0
        ax.scatter(net.node_x_m[live], net.node_y_m[live], s=3 + 20 * persons[live]
                   / persons.max(), c="#6baed6", alpha=0.5, lw=0, zorder=3,
                   label=f"residents ({pop.total:,})")
    is_open = np.asarray(open_sites, dtype=bool)
    marker = "^" if sites.kind == "shelters" else "s"
    groups = (
        (sites.existing & is_open, "existing, kept", "#7f7f7f", "k", 90),
        (sites.existing & ~is_open, "existing, dropped", "none", "#7f7f7f", 90),
        (~sites.existing & ~is_open, "candidate, not chosen", "none", "#d95f02", 70),
        (~sites.existing & is_open, "candidate, chosen", "#d95f02", "k", 170),
    )
    for mask, label, face, edge, size in groups:
        if mask.any():
            ax.scatter(sites.x_m[mask], sites.y_m[mask], s=size, marker=marker, c=face,
                       edgecolors=edge, linewidths=1.2, zorder=6,
                       label=f"{sites.kind}: {label} ({int(mask.sum())})")
    for j in range(len(sites)):
        text = sites.id[j]
        if sites.capacity is not None:
            text += f" ({int(sites.capacity[j]):,})"
        ax.annotate(text, (sites.x_m[j], sites.y_m[j]),
                    xytext=(5, 5) if sites.existing[j] else (5, -11),
                    textcoords="offset points", fontsize=7, zorder=7)
    ax.autoscale()
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_title(title, fontsize=9)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, fontsize=7,
              frameon=False)
    fig.tight_layout()
    return fig
