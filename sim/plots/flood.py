"""Figures of a flood: where the water stood deepest, which roads and underpasses drowned, when."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from citysim.plots.maps import draw_network

if TYPE_CHECKING:
    from citysim.world.builder import World

__all__ = ["flood_figures", "plot_flood_max_depth", "plot_flood_timeline"]

DRY_M = 0.01
"""Depths below this are not drawn (m)."""
LABELLED = 10
"""Waterlogging points numbered on the map (the deepest)."""


def plot_flood_max_depth(world: World, max_depth_m: np.ndarray,
                         extent_m: tuple[float, float, float, float], flooded_roads: pd.DataFrame,
                         waterlogging: pd.DataFrame, *, closed_depth_m: float,
                         waterlogging_depth_m: float) -> Figure:
    """Map of the deepest water of the run, the roads it closed and the underpasses.

    Parameters
    ----------
    world
        The built world (network, shelters, stations).
    max_depth_m
        Deepest water of every cell over the run (m), row 0 to the south.
    extent_m
        ``(x_min, x_max, y_min, y_max)`` of the grid (m).
    flooded_roads
        ``flooded_roads`` table (``edge``, ``t_closed_s`` ...).
    waterlogging
        ``waterlogging`` table (ranked points: ``rank, kind, name, x, y,
        max_depth_m, t_closed_s``).
    closed_depth_m
        Depth at which roads close (m), for the title.
    waterlogging_depth_m
        Depth that makes a road a waterlogging point (m), for the title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    net = world.network
    fig = Figure(figsize=(9.5, 8), dpi=110)
    ax = fig.subplots()
    depth = np.where(max_depth_m >= DRY_M, max_depth_m, np.nan)
    wet = np.isfinite(depth)
    deepest = float(np.nanmax(depth)) if wet.any() else 0.0
    # the colours span the depths of most wet cells; the few deeper ones (troughs) saturate
    top = max(float(np.percentile(depth[wet], 99)) if wet.any() else 0.0, 0.5)
    image = ax.imshow(depth, extent=extent_m, origin="lower", cmap="Blues", vmin=0.0, vmax=top,
                      zorder=1, interpolation="nearest")
    fig.colorbar(image, ax=ax, shrink=0.7, label="deepest water (m)",
                 extend="max" if deepest > top else "neither")
    draw_network(ax, world)
    closed = flooded_roads[flooded_roads["t_closed_s"].notna()]
    if len(closed):
        e = closed["edge"].to_numpy(int)
        segs = np.stack([np.column_stack([net.node_x_m[net.edge_tail[e]],
                                          net.node_y_m[net.edge_tail[e]]]),
                         np.column_stack([net.node_x_m[net.edge_head[e]],
                                          net.node_y_m[net.edge_head[e]]])], axis=1)
        # mypy: matplotlib's stubs want a Sequence; an (n, 2, 2) array works
        lines = LineCollection(segs, cmap="plasma", linewidths=2.4, zorder=5,  # type: ignore[arg-type]
                               label=f"closed roads ({len(closed)} edges)")
        lines.set_array(closed["t_closed_s"].to_numpy(float) / 60.0)
        ax.add_collection(lines)
        fig.colorbar(lines, ax=ax, shrink=0.7, pad=0.01, label="road closed at (min)")
    under = waterlogging[waterlogging["kind"] == "underpass"]
    if len(under):
        flooded = under["max_depth_m"] >= closed_depth_m
        ax.scatter(under["x"], under["y"], s=90, marker="v",
                   c=np.where(flooded, "#c0392b", "#ffffff"), edgecolors="k", zorder=7,
                   label="underpasses (red: flooded)")
        for row in under.itertuples():
            ax.annotate(row.name, (row.x, row.y), xytext=(5, 5), textcoords="offset points",
                        fontsize=7, zorder=8)
    for row in waterlogging[waterlogging["kind"] == "road"].head(LABELLED).itertuples():
        ax.annotate(str(row.rank), (row.x, row.y), fontsize=7, ha="center", va="center",
                    zorder=8, bbox={"boxstyle": "circle,pad=0.2", "fc": "#fff7bc", "lw": 0.5})
    st = world.stations
    if len(st):
        ax.scatter(st.x_m, st.y_m, s=60, marker="s", c="#7f0000", edgecolors="k", zorder=7,
                   label="fire stations")
    sh = world.shelters
    if len(sh):
        ax.scatter(sh.x_m, sh.y_m, s=60, marker="^", c="#27ae60", edgecolors="k", zorder=7,
                   label="shelters")
    ax.set_xlim(extent_m[0], extent_m[1])
    ax.set_ylim(extent_m[2], extent_m[3])
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    n_points = int((waterlogging["max_depth_m"] >= waterlogging_depth_m).sum())
    ax.set_title(f"deepest water {deepest:.2f} m; roads close at {closed_depth_m:g} m\n"
                 f"{n_points} waterlogging points (the deepest roads numbered by rank)",
                 fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3, fontsize=7,
              frameon=False)
    fig.tight_layout()
    return fig


def plot_flood_timeline(series: pd.DataFrame) -> Figure:
    """Rain, water on the ground, and roads and underpasses closed over time.

    Parameters
    ----------
    series
        One row per agent step: ``t_s, rain_mm_h, storage_m3, closed_edges,
        underpasses_closed``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = Figure(figsize=(9, 6), dpi=110)
    (ax_rain, ax_roads) = fig.subplots(2, 1, sharex=True)
    t_h = series["t_s"].to_numpy(float) / 3600.0
    ax_rain.step(t_h, series["rain_mm_h"], where="pre", color="#2c7fb8", label="rain (mm/h)")
    ax_rain.set_ylabel("rain (mm/h)")
    ax_water = ax_rain.twinx()
    ax_water.plot(t_h, series["storage_m3"] / 1e6, color="#636363", label="water on the ground")
    ax_water.set_ylabel("water on the ground (million m³)")
    ax_rain.set_title("the storm and what it did to the roads")
    ax_roads.step(t_h, series["closed_edges"], where="pre", color="#d95f0e",
                  label="road edges closed")
    ax_roads.set_ylabel("road edges closed")
    ax_up = ax_roads.twinx()
    ax_up.step(t_h, series["underpasses_closed"], where="pre", color="#c0392b", ls="--",
               label="underpasses flooded")
    ax_up.set_ylabel("underpasses flooded")
    ax_up.yaxis.get_major_locator().set_params(integer=True)
    ax_roads.set_xlabel("time (h)")
    for a, b in ((ax_rain, ax_water), (ax_roads, ax_up)):
        handles = a.get_legend_handles_labels()[0] + b.get_legend_handles_labels()[0]
        a.legend(handles=handles, loc="upper left", fontsize=7, frameon=False)
    fig.tight_layout()
    return fig


def flood_figures(flood: Any, world: World) -> dict[str, Figure]:
    """``flood_max_depth`` (map) and ``flood_timeline`` (rain, storage, closures).

    Parameters
    ----------
    flood
        A :class:`citysim.hazards.flood.FloodHazard` as the run left it.
    world
        The run's world.

    Returns
    -------
    dict
        File stem to figure.
    """
    from citysim.hazards.flood import WATERLOGGING_DEPTH_M

    tables = flood.tables()
    return {
        "flood_max_depth": plot_flood_max_depth(
            world, flood.max_h, flood.extent_m(), tables["flooded_roads"],
            tables["waterlogging"], closed_depth_m=flood.cfg.road_closed_depth_m,
            waterlogging_depth_m=WATERLOGGING_DEPTH_M),
        "flood_timeline": plot_flood_timeline(flood.series_frame()),
    }
