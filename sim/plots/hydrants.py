"""Fire protection maps: hydrant coverage along the streets, stations against the standard."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

if TYPE_CHECKING:
    import pandas as pd

    from citysim.analysis.coverage import Coverage
    from citysim.analysis.hydrants import HydrantCoverage
    from citysim.world.builder import World

__all__ = ["plot_compliance_map", "plot_hydrant_map"]

COVERED_COLOR = "#2c7bb6"
"""Streets within the protection radius of a usable hydrant."""
GAP_COLOR = "#d7191c"
"""Stretches of street beyond it, and buildings whose frontage is."""


def plot_hydrant_map(world: World, coverage: HydrantCoverage, *,
                     at_s: float | None = None) -> Figure:
    """Map of the hydrants and what their hoses reach along the streets.

    Streets are blue, with their uncovered stretches red on top; buildings
    whose frontage is beyond the radius are red dots, the others grey;
    usable hydrants are blue triangles, unusable ones (out of service, or
    flooded or closed at ``at_s``) hollow.

    Parameters
    ----------
    world
        The built world (with hydrants).
    coverage
        :func:`citysim.analysis.hydrants.hydrant_coverage` of it.
    at_s
        Run time whose state was used (s), for the title; ``None``: a normal day.

    Returns
    -------
    matplotlib.figure.Figure
    """
    net = world.network
    cov = coverage
    fig = Figure(figsize=(9.0, 9.2), dpi=110)
    ax = fig.subplots()
    e = cov.street_edge
    nx, ny = net.node_x_m, net.node_y_m
    segs = np.stack([np.column_stack([nx[net.edge_tail[e]], ny[net.edge_tail[e]]]),
                     np.column_stack([nx[net.edge_head[e]], ny[net.edge_head[e]]])], axis=1)
    # mypy: matplotlib's stubs want a Sequence; an (n, 2, 2) array works
    ax.add_collection(LineCollection(segs, colors=COVERED_COLOR, linewidths=1.2,  # type: ignore[arg-type]
                                     zorder=1))
    g = cov.gaps
    if len(g):
        gaps = np.stack([g[["x0", "y0"]].to_numpy(float), g[["x1", "y1"]].to_numpy(float)], axis=1)
        ax.add_collection(LineCollection(gaps, colors=GAP_COLOR, linewidths=2.4,  # type: ignore[arg-type]
                                         zorder=2))
    b = world.buildings
    if b is not None and len(b) and cov.building_distance_m.size == len(b):
        ok = cov.building_covered
        ax.scatter(b.x_m[ok], b.y_m[ok], s=3, c="0.65", zorder=1.5, linewidths=0)
        ax.scatter(b.x_m[~ok], b.y_m[~ok], s=6, c=GAP_COLOR, zorder=2.5, linewidths=0)
    h = world.hydrants
    if h is not None and len(h):
        use = cov.usable
        ax.scatter(h.x_m[use], h.y_m[use], marker="^", s=28, c=COVERED_COLOR, ec="k",
                   linewidths=0.5, zorder=3)
        ax.scatter(h.x_m[~use], h.y_m[~use], marker="^", s=28, facecolors="none",
                   ec="k", linewidths=0.8, zorder=3)
    ax.autoscale()
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    when = "" if at_s is None else f" at {at_s / 60.0:g} min"
    ax.set_title(f"Hydrant coverage{when}: {_pct(cov.street_fraction)} of street length, "
                 f"{_pct(cov.building_fraction)} of buildings within "
                 f"{cov.radius_m:g} m along the streets", fontsize=10)
    ax.legend(handles=[
        Line2D([], [], color=COVERED_COLOR, lw=1.5, label=f"street within {cov.radius_m:g} m"),
        Line2D([], [], color=GAP_COLOR, lw=2.5, label="gap: beyond the hose"),
        Line2D([], [], color=GAP_COLOR, marker="o", ls="", ms=3, label="building not covered"),
        Line2D([], [], color=COVERED_COLOR, marker="^", mec="k", ls="", label="hydrant"),
        Line2D([], [], color="none", marker="^", mec="k", ls="", label="hydrant unusable"),
    ], loc="upper right", fontsize=8, framealpha=0.9)
    return fig


def _pct(value: float) -> str:
    return "—" if value != value else f"{100.0 * value:.1f} %"


MET_COLOR = "#1a9641"
"""Districts whose station meets every item of the standard."""


def plot_compliance_map(world: World, coverage: Coverage, table: pd.DataFrame) -> Figure:
    """Station districts coloured by compliance, each station labelled with what it misses.

    Parameters
    ----------
    world
        The built world.
    coverage
        Its station coverage (the district raster).
    table
        :func:`citysim.analysis.compliance.station_compliance` of it.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = Figure(figsize=(9.0, 9.2), dpi=110)
    ax = fig.subplots()
    raster = coverage.raster
    met = table["all_met"].to_numpy(dtype=bool)
    code = np.where(raster.station >= 0, np.where(met[np.maximum(raster.station, 0)], 1, 0), -1)
    ax.pcolormesh(raster.x_edges_m, raster.y_edges_m, np.ma.masked_less(code, 0),
                  cmap=ListedColormap([GAP_COLOR, MET_COLOR]), vmin=-0.5, vmax=1.5, alpha=0.35,
                  shading="flat", zorder=0, rasterized=True)
    net = world.network
    segs = np.stack([np.column_stack([net.node_x_m[net.edge_tail], net.node_y_m[net.edge_tail]]),
                     np.column_stack([net.node_x_m[net.edge_head], net.node_y_m[net.edge_head]])],
                    axis=1)
    ax.add_collection(LineCollection(segs, colors="0.55", linewidths=0.5,  # type: ignore[arg-type]
                                     zorder=1))
    st = world.stations
    labels = {"area_met": "area", "edge_time_met": "5-min edge", "vehicles_met": "vehicles",
              "hydrants_met": "hydrants"}
    for k, row in enumerate(table.to_dict("records")):
        missed = [text for col, text in labels.items()
                  if row[col] is not None and not bool(row[col])]
        ax.scatter([st.x_m[k]], [st.y_m[k]], marker="s", s=60, c="k", zorder=3)
        ax.annotate(f"{row['station']} ({row['class']})"
                    + (": not met: " + ", ".join(missed) if missed else ""),
                    (st.x_m[k], st.y_m[k]), xytext=(5, 5), textcoords="offset points",
                    fontsize=8, zorder=4)
    ax.autoscale()
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_title(f"Stations against 建标152-2017: {int(met.sum())} of {len(table)} meet every "
                 "item (green district); red: some item not met", fontsize=10)
    return fig
