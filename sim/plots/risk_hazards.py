"""Figures of the flood and fire sources of a risk assessment.

:func:`plot_flood_depth`: the deepest water of one design storm over the
city, with its worst waterlogging points; :func:`plot_fire_districts`: the
buildings coloured by the expected loss per year of their first-due
district, with the stations.
"""

from __future__ import annotations

import textwrap
from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from citysim.hazards.flood import WATERLOGGING_DEPTH_M
from citysim.plots.maps import draw_network

__all__ = ["MIN_DEPTH_M", "TITLE_CHARS", "TOP_DEPTH_M", "TOP_POINTS", "plot_fire_districts",
           "plot_flood_depth"]

MIN_DEPTH_M = 0.01
"""Water shallower than this is not drawn (m)."""
TOP_DEPTH_M = 1.0
"""Top of the colour scale (m): deeper water (underpasses) shows as the darkest blue."""
TOP_POINTS = 10
"""Waterlogging points labelled on the map (the deepest)."""
TITLE_CHARS = 70
"""A longer title (a what-if's name) is wrapped."""


def plot_flood_depth(world: Any, depth_m: np.ndarray, grid: tuple[float, float, float],
                     waterlogging: pd.DataFrame, *, title: str = "") -> Figure:
    """The deepest water of a storm (m) and its deepest waterlogging points (ranked)."""
    fig = Figure(figsize=(8, 7))
    ax = fig.add_subplot()
    x0, y0, cell = grid
    rows, cols = depth_m.shape
    shown = np.where(depth_m >= MIN_DEPTH_M, depth_m, np.nan)
    if np.isfinite(shown).any():
        image = ax.imshow(shown, origin="lower", cmap="Blues", vmin=0.0, vmax=TOP_DEPTH_M,
                          extent=(x0, x0 + cols * cell, y0, y0 + rows * cell), zorder=4,
                          alpha=0.85)
        fig.colorbar(image, ax=ax, label="deepest water (m)", shrink=0.8, extend="max")
    draw_network(ax, world)
    top = waterlogging[waterlogging["max_depth_m"] >= WATERLOGGING_DEPTH_M].head(TOP_POINTS)
    if len(top):
        ax.scatter(top["x"], top["y"], marker="o", s=40, facecolors="none",
                   edgecolors="#d73027", linewidths=1.5, zorder=6,
                   label=f"deepest waterlogging points (top {len(top)})")
        for row in top.itertuples():
            ax.annotate(str(row.rank), (row.x, row.y), xytext=(4, 4),
                        textcoords="offset points", fontsize=7, color="#d73027", zorder=7)
        ax.legend(loc="lower right", fontsize=7)
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_title(title or "Flood hazard map")
    return fig


def plot_fire_districts(world: Any, district_of_building: np.ndarray, districts: pd.DataFrame,
                        ignitions: pd.DataFrame | None = None, *, title: str = "",
                        added: Collection[str] = (), vmax: float = 0.0) -> Figure:
    """Buildings coloured by their district's expected buildings lost per year; the stations.

    ``ignitions``: the simulated ignitions (``x, y``), drawn as crosses.
    ``added``: ids of stations a what-if added. Its fire runs keep the base
    plan's districts (:func:`citysim.risk.hazards.variant_hazards`), so an
    added station has no district and no loss of its own: it is drawn as an
    open star labelled "added", not as a district at 0 per year. ``vmax``:
    top of the colour scale (buildings per year; at least the largest loss
    drawn), the base's for a what-if so that the two maps compare.
    """
    fig = Figure(figsize=(8, 8.5), layout="constrained")
    ax = fig.add_subplot()
    draw_network(ax, world)
    loss = dict(zip(districts["district"].astype(str),
                    districts["expected_buildings_lost_per_year"], strict=True))
    b = world.buildings
    value = np.array([loss.get(str(d), 0.0) for d in district_of_building], dtype=np.float64)
    dots = ax.scatter(b.x_m, b.y_m, c=value, s=1.5, cmap="OrRd", vmin=0.0,
                      vmax=max(float(value.max()) if value.size else 0.0, vmax, 1e-12), zorder=3)
    fig.colorbar(dots, ax=ax, label="expected buildings lost per year (district)", shrink=0.8)
    if ignitions is not None and len(ignitions):
        ax.scatter(ignitions["x"], ignitions["y"], marker="x", s=30, c="#2166ac", zorder=5,
                   label="simulated ignition")
    st = world.stations
    if len(st):
        own = np.array([str(sid) not in added for sid in st.id], dtype=bool)
        ax.scatter(st.x_m[own], st.y_m[own], marker="*", s=160, c="black", zorder=6,
                   label="fire station (its district's loss per year)")
        if (~own).any():
            ax.scatter(st.x_m[~own], st.y_m[~own], marker="*", s=220, facecolors="white",
                       edgecolors="black", linewidths=1.2, zorder=6,
                       label="added station: no district of its own, its fires are\n"
                             "counted in the base plan's districts")
        for sid, x, y, has in zip(st.id, st.x_m, st.y_m, own, strict=True):
            text = f"{sid}: {loss.get(str(sid), 0.0):.3g}/yr" if has else f"{sid} (added)"
            ax.annotate(text, (x, y), xytext=(6, 6), textcoords="offset points", fontsize=8,
                        zorder=7, bbox={"boxstyle": "round", "fc": "white", "alpha": 0.85})
        fig.legend(loc="outside lower center", ncol=2, fontsize=7)
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_title("\n".join(textwrap.fill(line, TITLE_CHARS) for line in (
        title or "Expected buildings lost to fire per year, by first-due district").split("\n")),
        fontsize=10)
    return fig
