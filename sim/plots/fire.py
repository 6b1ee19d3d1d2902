"""Figures of an urban fire: where it went and when, and how many buildings burned."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.tri import Triangulation

from citysim.plots.maps import draw_network

if TYPE_CHECKING:
    from citysim.world.builder import World

__all__ = ["fire_figures", "plot_fire_progression"]

ISOCHRONE_MIN = (5, 10, 15, 20, 30, 60, 120)
"""Candidate spacings of the ignition-time isochrones (min); the first giving at most
eight lines is used."""


def _squares(frame: pd.DataFrame) -> list[Rectangle]:
    side = np.sqrt(frame["footprint_m2"].to_numpy(float))
    return [Rectangle((x - s / 2, y - s / 2), s, s)
            for x, y, s in zip(frame["x"].to_numpy(float), frame["y"].to_numpy(float), side,
                               strict=True)]


def _isochrones(ax: Axes, burned: pd.DataFrame) -> None:
    """Contours of ignition time over the buildings that caught fire (min)."""
    x, y = burned["x"].to_numpy(float), burned["y"].to_numpy(float)
    t_min = burned["t_ignite_s"].to_numpy(float) / 60.0
    if len(burned) < 4 or np.ptp(x) == 0 or np.ptp(y) == 0 or np.ptp(t_min) == 0:
        return
    tri = Triangulation(x, y)
    pts = np.column_stack([x, y])[tri.triangles]
    edges = np.linalg.norm(pts - np.roll(pts, 1, axis=1), axis=2).max(axis=1)
    pitch = float(np.median(edges))
    tri.set_mask(edges > 2.5 * pitch)  # no isochrone across the gaps the fire did not cross
    if tri.get_masked_triangles().size == 0:
        return
    span = float(np.ptp(t_min))
    step = next((s for s in ISOCHRONE_MIN if span / s <= 8), ISOCHRONE_MIN[-1])
    levels = np.arange(step, t_min.max(), step)
    if levels.size:
        lines = ax.tricontour(tri, t_min, levels=levels, colors="k", linewidths=0.6, zorder=6)
        ax.clabel(lines, fmt="%g min", fontsize=6)


def plot_fire_progression(world: World, buildings: pd.DataFrame, progress: pd.DataFrame, *,
                          wind: tuple[float, float] = (0.0, 0.0)) -> Figure:
    """Map of the fire coloured by ignition time with isochrones, and buildings by state.

    Parameters
    ----------
    world
        The built world (roads, stations).
    buildings
        ``fire_buildings`` table: ``x, y, footprint_m2, state, t_ignite_s, source``.
    progress
        ``fire_progress`` table: ``t_s, burning, burned_out, extinguished, ignited``.
    wind
        Wind speed (m/s) and where it blows from (degrees clockwise from north),
        drawn as an arrow.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = Figure(figsize=(13, 6.5), dpi=110)
    (ax, axt) = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.35, 1]})
    burned = buildings[buildings["state"] != "unburned"]
    x0, x1 = burned["x"].min(), burned["x"].max()
    y0, y1 = burned["y"].min(), burned["y"].max()
    pad = max(x1 - x0, y1 - y0, 100.0) * 0.35 + 30.0
    draw_network(ax, world)
    quiet = buildings[buildings["state"] == "unburned"]
    ax.add_collection(PatchCollection(_squares(quiet), facecolor="#d5d5d5", edgecolor="none",
                                      zorder=3))
    t_min = burned["t_ignite_s"].to_numpy(float) / 60.0
    patches = PatchCollection(_squares(burned), cmap="inferno_r", zorder=4,
                              edgecolor=np.where(burned["state"] == "extinguished", "#1f77b4",
                                                 "none"), linewidths=1.2)
    patches.set_array(t_min)
    ax.add_collection(patches)
    fig.colorbar(patches, ax=ax, shrink=0.75, label="ignition time (min)")
    _isochrones(ax, burned)
    first = burned[burned["source"].isna()]
    ax.scatter(first["x"], first["y"], marker="*", s=160, c="#2ca02c", edgecolors="k",
               zorder=7, label="ignition")
    st = world.stations
    if len(st):
        ax.scatter(st.x_m, st.y_m, s=70, marker="s", c="#c0392b", edgecolors="k", zorder=7,
                   label="fire stations")
    speed, from_deg = wind
    if speed > 0:
        phi = math.radians(from_deg)
        dx, dy = -math.sin(phi), -math.cos(phi)
        ax.annotate(f"wind {speed:g} m/s", xy=(0.14 + 0.07 * dx, 0.9 + 0.07 * dy),
                    xytext=(0.14 - 0.07 * dx, 0.9 - 0.07 * dy), xycoords="axes fraction",
                    textcoords="axes fraction", fontsize=8, ha="center", zorder=8,
                    arrowprops={"arrowstyle": "-|>", "color": "k"})
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    counts = burned["state"].value_counts()
    ax.set_title(f"{len(burned):,} buildings caught fire ({counts.get('burned_out', 0):,} burned "
                 f"out, {counts.get('extinguished', 0):,} put out, outlined blue)")
    ax.legend(loc="lower right", fontsize=7)
    t = progress["t_s"].to_numpy(float) / 60.0
    axt.plot(t, progress["burning"], color="#d62728", label="burning")
    axt.plot(t, progress["burned_out"], color="#333333", label="burned out")
    axt.plot(t, progress["extinguished"], color="#1f77b4", label="put out")
    axt.plot(t, progress["ignited"], color="#ff7f0e", ls="--", label="caught fire (total)")
    axt.set_xlabel("time (min)")
    axt.set_ylabel("buildings")
    axt.set_title("buildings by state")
    axt.grid(alpha=0.3)
    axt.legend(fontsize=8)
    fig.tight_layout()
    return fig


def fire_figures(fire: Any, world: World) -> dict[str, Figure]:
    """``fire_progression`` (:func:`plot_fire_progression`), when any building caught fire.

    Parameters
    ----------
    fire
        A :class:`citysim.hazards.fire.FireHazard` as the run left it.
    world
        The run's world.

    Returns
    -------
    dict
        File stem to figure (empty when nothing burned).
    """
    tables = fire.tables()
    buildings = tables["fire_buildings"]
    if not (buildings["state"] != "unburned").any():
        return {}
    return {"fire_progression": plot_fire_progression(
        world, buildings, tables["fire_progress"],
        wind=(fire.cfg.wind.speed_mps, fire.cfg.wind.from_deg))}
