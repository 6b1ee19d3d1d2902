"""Figures of a chemical leak: threat zones over the city, casualties by protective action."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Polygon

from citysim.plots.maps import draw_network

if TYPE_CHECKING:
    from citysim.world.builder import World

__all__ = ["chemical_figures", "plot_exposure_by_action", "plot_threat_zones"]

ZONE_STYLE = {1: "#f1c40f", 2: "#e67e22", 3: "#c0392b"}
"""Fill colour of the AEGL-1, -2 and -3 zones."""
MAX_VIEW_FACTOR = 0.75
"""The map shows the city and the zones, but at most this many city sizes around it (the
legend gives each zone's full reach)."""


def plot_threat_zones(world: World, zones: list[Any], source_xy: tuple[float, float],
                      wind_to: tuple[float, float], *, title: str = "") -> Figure:
    """Map of the AEGL threat zones over the city, with where people live.

    Parameters
    ----------
    world
        The built world (network, population, shelters).
    zones
        :class:`citysim.hazards.chemical.ThreatZone` records (level, rings in the
        run's frame, area, distance, population, threshold).
    source_xy
        The release point (m).
    wind_to
        Unit vector the wind blows to.
    title
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    net, pop = world.network, world.population
    xmin, ymin, xmax, ymax = net.bounds_m
    size = max(xmax - xmin, ymax - ymin, 1.0)
    rings = [r for z in zones for r in z.rings]
    if rings:
        pts = np.vstack(rings)
        reach = MAX_VIEW_FACTOR * size
        xmin, xmax = (max(min(xmin, pts[:, 0].min()), xmin - reach),
                      min(max(xmax, pts[:, 0].max()), xmax + reach))
        ymin, ymax = (max(min(ymin, pts[:, 1].min()), ymin - reach),
                      min(max(ymax, pts[:, 1].max()), ymax + reach))
    pad = 0.03 * max(xmax - xmin, ymax - ymin)
    aspect = (ymax - ymin + 2 * pad) / (xmax - xmin + 2 * pad)
    fig = Figure(figsize=(9, min(max(9 * aspect, 3.5), 9) + 1.6), dpi=110)
    ax = fig.subplots()
    draw_network(ax, world)
    if pop.n_agents:
        persons = np.bincount(pop.home_node, weights=pop.persons, minlength=net.n_nodes)
        home = persons > 0
        ax.scatter(net.node_x_m[home], net.node_y_m[home], s=4 + 40 * persons[home]
                   / persons.max(), c="#34495e", alpha=0.45, lw=0, zorder=4,
                   label=f"residents by node ({int(persons.sum()):,})")
    for z in sorted(zones, key=lambda z: z.level):
        for j, ring in enumerate(z.rings):
            label = (f"AEGL-{z.level} ({z.threshold_ppm:g} ppm, {z.minutes} min): "
                     f"{z.area_km2:.2f} km², {z.distance_m / 1000:.2f} km, "
                     f"{z.population:,} residents") if j == 0 else None
            ax.add_patch(Polygon(ring, closed=True, fc=ZONE_STYLE[z.level], ec="k", lw=0.6,
                                 alpha=0.35, zorder=3, label=label))
    sh = world.shelters
    if len(sh):
        ax.scatter(sh.x_m, sh.y_m, marker="^", s=60, c="#27ae60", edgecolors="k", zorder=6,
                   label=f"shelters ({len(sh)})")
    ax.scatter([source_xy[0]], [source_xy[1]], marker="*", s=260, c="k", zorder=7,
               label="release")
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad, ymax + pad)
    arrow = 0.12 * max(xmax - xmin, ymax - ymin)
    ax.annotate("", xy=(source_xy[0] + arrow * wind_to[0], source_xy[1] + arrow * wind_to[1]),
                xytext=source_xy, arrowprops={"arrowstyle": "-|>", "lw": 2, "color": "k"},
                zorder=7)
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_title(title or "threat zones", fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, fontsize=7,
              frameon=False)
    fig.tight_layout()
    return fig


def plot_exposure_by_action(table: pd.DataFrame) -> Figure:
    """Bar chart of exposed, injured and dead persons by protective action.

    Parameters
    ----------
    table
        ``exposure_by_action`` (columns ``action, persons, exposed, injured,
        fatalities``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = Figure(figsize=(7, 4.5), dpi=110)
    ax = fig.subplots()
    x = np.arange(len(table))
    width = 0.26
    for k, (column, colour) in enumerate((("exposed", "#f1c40f"), ("injured", "#e67e22"),
                                          ("fatalities", "#c0392b"))):
        bars = ax.bar(x + (k - 1) * width, table[column], width, color=colour, label=column)
        ax.bar_label(bars, fontsize=7)
    ax.set_xticks(x, [f"{a.replace('_', ' ')}\n({p:,} persons)"
                      for a, p in zip(table["action"], table["persons"], strict=True)])
    ax.set_ylabel("persons")
    ax.set_title("Exposure and casualties by protective action")
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def chemical_figures(leak: Any, world: World) -> dict[str, Figure]:
    """The threat-zone map and, when anyone was exposed, casualties by action.

    Parameters
    ----------
    leak
        A :class:`citysim.hazards.chemical.ChemicalLeakHazard` as the run left it.
    world
        The run's world.

    Returns
    -------
    dict
        ``chemical_threat_zones`` (:func:`plot_threat_zones`) and, when
        someone was exposed, ``chemical_exposure_by_action``.
    """
    weather = leak.cfg.weather
    title = (f"{leak.cfg.substance.name}: AEGL threat zones ({leak.minutes} min), "
             f"{weather.wind_speed_mps:g} m/s from {weather.from_deg:g}°, "
             f"class {weather.stability}")
    figs = {"chemical_threat_zones": plot_threat_zones(
        world, list(leak.zones.values()), leak.source_xy, leak.wind_to, title=title)}
    table = leak.tables()["exposure_by_action"]
    if table["exposed"].sum() > 0:
        figs["chemical_exposure_by_action"] = plot_exposure_by_action(table)
    return figs
