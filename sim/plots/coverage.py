"""Coverage map: arrival time after dispatch, the gaps beyond the standard, districts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap, TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

if TYPE_CHECKING:
    from citysim.analysis.coverage import Coverage, CoverageRaster
    from citysim.world.builder import World

__all__ = ["plot_coverage_map"]

DISTRICT_COLORS = ("#d9c7ea", "#f5deb3", "#d4d4d4", "#f8cfe0", "#f6f0b0", "#dfe8cc",
                   "#e8d5c4", "#c9c0e0", "#f2c6b4", "#e6e6fa")
"""Light categorical colours of the district underlay (cycled); no blues, which
are the times within the standard."""
MAX_DISTRICT_LABELS = 6
"""With more stations, the legend has one generic district entry."""
GAP_COLOR = "#d7191c"
"""Nodes reached after the standard."""
UNREACHED_COLOR = "#111111"
"""Nodes no station reaches."""
CLOSED_COLOR = "#7b3294"
"""Roads closed by a hazard."""
MAIN_ROAD_MPS = 50.0 / 3.6 - 1e-6
"""Roads this fast or faster are drawn thicker (they shape the districts)."""
BEYOND_FACTOR = 2.0
"""The red half of the colour scale runs from the standard to this multiple of it
(or the latest node, when later)."""


def _time_cmap() -> ListedColormap:
    """Blues (fast to the standard) below the break, reds above it."""
    below = matplotlib.colormaps["YlGnBu_r"](np.linspace(0.05, 0.8, 128))
    above = matplotlib.colormaps["Reds"](np.linspace(0.5, 1.0, 128))
    return ListedColormap(np.vstack([below, above]), name="coverage_time")


def _district_boundaries(raster: CoverageRaster) -> np.ndarray:
    """Segments (k, 2, 2) between neighbouring cells of different districts."""
    lab = raster.station
    xe, ye = raster.x_edges_m, raster.y_edges_m
    segs = []
    rows, cols = np.nonzero(lab[:, 1:] != lab[:, :-1])  # vertical boundaries
    x = xe[cols + 1]
    segs.append(np.stack([np.column_stack([x, ye[rows]]), np.column_stack([x, ye[rows + 1]])],
                         axis=1))
    rows, cols = np.nonzero(lab[1:, :] != lab[:-1, :])  # horizontal boundaries
    y = ye[rows + 1]
    segs.append(np.stack([np.column_stack([xe[cols], y]), np.column_stack([xe[cols + 1], y])],
                         axis=1))
    return np.concatenate(segs, axis=0)


def plot_coverage_map(world: World, coverage: Coverage, *, at_s: float | None = None) -> Figure:
    """Map of the arrival time after dispatch, with the gaps and the station districts.

    Each node is a point coloured by the earliest arrival of a unit of the
    type asked (turnout + driving, minutes): blue shades up to the
    standard, the break of the scale, red beyond it; nodes beyond the
    standard (the gaps) are also drawn larger with a dark outline, nodes no
    station reaches as black crosses.  The underlay shows each station's
    district (the cells whose nearest node it reaches first) in a light
    colour with its boundary; stations are squares with their ids (hollow
    when they have no unit of the type).

    Parameters
    ----------
    world
        The built world.
    coverage
        :func:`citysim.analysis.coverage.station_coverage` of that world.
    at_s
        Run time whose network was used (s), for the title; ``None``: the
        normal network.

    Returns
    -------
    matplotlib.figure.Figure
        Axes in metres, colour bar in minutes.
    """
    net = world.network
    cov = coverage
    st = world.stations
    std_min = cov.standard_s / 60.0
    std = duration_label(cov.standard_s)
    minutes = cov.time_s / 60.0
    finite = np.isfinite(minutes)
    covered = cov.covered
    gap = finite & ~covered

    fig = Figure(figsize=(9.5, 9.6), dpi=110)
    ax = fig.subplots()
    handles: list = []

    # districts: light categorical underlay and their boundaries
    raster = cov.raster
    n_st = len(st)
    if n_st and (raster.station >= 0).any():
        colors = [DISTRICT_COLORS[k % len(DISTRICT_COLORS)] for k in range(n_st)]
        ax.pcolormesh(raster.x_edges_m, raster.y_edges_m,
                      np.ma.masked_less(raster.station, 0), cmap=ListedColormap(colors),
                      vmin=-0.5, vmax=n_st - 0.5, alpha=0.55, shading="flat", zorder=0,
                      rasterized=True)
        # mypy: matplotlib's stubs want a Sequence; an (n, 2, 2) array works
        ax.add_collection(LineCollection(_district_boundaries(raster), colors="0.25",  # type: ignore[arg-type]
                                         linewidths=1.3, zorder=1))
        with_unit = np.flatnonzero(cov.stations["units"].to_numpy() > 0)
        if with_unit.size <= MAX_DISTRICT_LABELS:
            handles += [Patch(fc=colors[k], ec="0.25", alpha=0.7,
                              label=f"district of {st.id[k]} (it arrives first)")
                        for k in with_unit]
        else:
            handles.append(Patch(fc=colors[0], ec="0.25", alpha=0.7,
                                 label="district: first-arriving station (light colours)"))

    # roads, main ones (50 km/h and faster) thicker
    segs = np.stack([
        np.column_stack([net.node_x_m[net.edge_tail], net.node_y_m[net.edge_tail]]),
        np.column_stack([net.node_x_m[net.edge_head], net.node_y_m[net.edge_head]]),
    ], axis=1)
    main = net.speed_mps >= MAIN_ROAD_MPS
    # mypy: matplotlib's stubs want a Sequence; an (n, 2, 2) array works
    ax.add_collection(LineCollection(segs[~main], colors="0.55", linewidths=0.5, alpha=0.7,  # type: ignore[arg-type]
                                     zorder=2))
    # mypy: matplotlib's stubs want a Sequence; an (n, 2, 2) array works
    ax.add_collection(LineCollection(segs[main], colors="0.4", linewidths=1.6, alpha=0.7,  # type: ignore[arg-type]
                                     zorder=2))
    handles.append(Line2D([], [], color="0.4", lw=1.6, alpha=0.7, label="main road (≥ 50 km/h)"))
    shut = cov.hazard_closed
    if shut.any():
        ax.add_collection(LineCollection(segs[shut], colors=CLOSED_COLOR, linewidths=2.4,
                                         zorder=3, gid="closed"))
        handles.append(Line2D([], [], color=CLOSED_COLOR, lw=2.4,
                              label=f"closed road ({_count(shut.sum(), 'edge')})"))

    # arrival times: blue up to the standard, red beyond
    size = float(np.clip(12000.0 / max(net.n_nodes, 1), 3.0, 30.0))
    vmax = max(BEYOND_FACTOR * std_min, float(minutes[finite].max()) if finite.any() else 0.0)
    norm = TwoSlopeNorm(vmin=0.0, vcenter=std_min, vmax=vmax)
    cmap = _time_cmap()
    ok = finite & covered
    mappable = ax.scatter(net.node_x_m[ok], net.node_y_m[ok], c=minutes[ok], cmap=cmap,
                          norm=norm, s=size, linewidths=0, zorder=4, gid="covered")
    if gap.any():
        ax.scatter(net.node_x_m[gap], net.node_y_m[gap], c=minutes[gap], cmap=cmap, norm=norm,
                   s=size * 2.2, edgecolors="#5a0000", linewidths=0.7, zorder=5, gid="gaps")
    unreached = ~finite
    if unreached.any():
        ax.scatter(net.node_x_m[unreached], net.node_y_m[unreached], marker="x",
                   c=UNREACHED_COLOR, s=size * 1.6, linewidths=1.0, zorder=5, gid="unreached")
    bar = fig.colorbar(mappable, ax=ax, shrink=0.72, pad=0.02)
    bar.set_label("arrival after dispatch: turnout + driving (min)")
    step = max(1.0, float(np.ceil(vmax / 10.0)))
    ticks = sorted({*np.arange(0.0, vmax + 1e-9, step), std_min, vmax})
    ticks = [t for t in ticks if t == std_min or abs(t - std_min) >= 0.4 * step]
    bar.set_ticks(ticks)
    bar.set_ticklabels([f"{t:g}  standard" if t == std_min else f"{t:g}" for t in ticks])
    bar.ax.axhline(std_min, color="k", lw=2.0)

    pop = cov.population
    handles.append(Line2D([], [], marker="o", ls="", color=cmap(0.2), ms=6,
                          label=f"node reached within {std} "
                                f"({_count(ok.sum(), 'node')}, {_count(pop[ok].sum(), 'person')})"))
    handles.append(Line2D([], [], marker="o", ls="", mfc=GAP_COLOR, mec="#5a0000", ms=7,
                          label=f"gap: reached after {std} ({_count(gap.sum(), 'node')}, "
                                f"{_count(pop[gap].sum(), 'person')})"))
    if unreached.any():
        handles.append(Line2D([], [], marker="x", ls="", color=UNREACHED_COLOR, ms=7,
                              label=f"not reached ({_count(unreached.sum(), 'node')}, "
                                    f"{_count(pop[unreached].sum(), 'person')})"))

    # stations
    if n_st:
        has = cov.stations["units"].to_numpy() > 0
        ax.scatter(st.x_m[has], st.y_m[has], marker="s", s=90, c="white", edgecolors="k",
                   linewidths=1.8, zorder=7, gid="stations")
        if (~has).any():
            ax.scatter(st.x_m[~has], st.y_m[~has], marker="s", s=70, facecolors="none",
                       edgecolors="0.4", linewidths=1.2, linestyle="--", zorder=7)
        for k in range(n_st):
            label = st.id[k] if has[k] else f"{st.id[k]} (no {cov.unit_type})"
            ax.annotate(label, (st.x_m[k], st.y_m[k]), xytext=(7, 6), textcoords="offset points",
                        fontsize=9, fontweight="bold", zorder=8,
                        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.3",
                              "alpha": 0.9})
        handles.append(Line2D([], [], marker="s", ls="", mfc="white", mec="k", mew=1.8, ms=8,
                              label=f"station with {_article(cov.unit_type)} {cov.unit_type}"))

    xmin, ymin, xmax, ymax = net.bounds_m
    pad = 0.03 * max(xmax - xmin, ymax - ymin, 1.0)  # room for markers on the outer streets
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad, ymax + pad)
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    when = ("normal network" if at_s is None
            else f"network at t = {duration_label(at_s)} into the run")
    share = cov.coverage_fraction
    road = cov.area_fraction
    ax.set_title(
        f"{cov.unit_type.capitalize()} coverage within {std} of dispatch ({when})\n"
        f"residents {_pct(share)} · road length {_pct(road)} · "
        f"area (raster) {_pct(cov.raster_area_fraction)}", fontsize=11)
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.07), ncol=2,
              fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def duration_label(t_s: float) -> str:
    """Write a duration for a label: ``"5 min"``, ``"1 min 50 s"``, ``"2 h 05 min"``."""
    total = int(round(float(t_s)))
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min" + (f" {seconds:02d} s" if seconds else "")
    if minutes:
        return f"{minutes} min" + (f" {seconds} s" if seconds else "")
    return f"{seconds} s"


def _count(value: float, word: str) -> str:
    n = float(value)
    return f"{n:,.0f} {word}" + ("" if round(n) == 1 else "s")


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _pct(value: float) -> str:
    return "—" if not np.isfinite(value) else f"{100.0 * value:.1f} %"
