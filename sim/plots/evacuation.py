"""Evacuation figures: the evacuation curve, shelter loads, evacuation time by origin.

Each function takes the run's tables (or arrays) and returns a Figure; none
shows or saves it (:func:`citysim.plots.save_figure` does).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, TypeGuard

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import blended_transform_factory

from citysim.agents.states import State
from citysim.plots.maps import draw_network
from citysim.plots.series import thousands, time_axis

if TYPE_CHECKING:
    from citysim.world.builder import World

__all__ = ["plot_evacuation_curve", "plot_evacuation_time_map", "plot_shelter_loads"]

MODE_STYLE: dict[str, tuple[str, str, str]] = {
    # key: (column suffix, colour, legend name)
    "total": ("", "#2c3e50", "all"),
    "walk": ("_walk", "#27ae60", "walking"),
    "car": ("_car", "#2980b9", "by car"),
}
"""Colour per travel mode; the line style tells the state (solid: in a
shelter, dashed: on the way)."""

FULL_COLOR = "#e67e22"
"""Bars of shelters that filled."""
OPEN_COLOR = "#27ae60"
"""Bars of shelters that kept room."""
TURNED_AWAY_COLOR = "#c0392b"
"""Turned-away persons."""
STRANDED_COLOR = "0.35"
"""Origins of residents who set off but did not arrive."""
LABEL_CHARS = 36
"""Shelter labels longer than this are shortened."""
PANEL_HEIGHT_IN = 4.5
"""Largest height of the occupancy-over-time panel (inches)."""
MAX_FILL_LABELS = 6
"""With more shelters filling, their fill times are lines without ids."""

_ON_THE_WAY = (int(State.DECIDING), int(State.EVACUATING))


def _is_set(value: float | None) -> TypeGuard[float]:
    return value is not None and math.isfinite(float(value))


def _note(ax: Axes, text: str) -> None:
    """Write ``text`` in the middle of an empty axes."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center",
            fontsize=11, color="0.4")


def format_time(t_s: float) -> str:
    """Write a time for a label: ``"23 min"``, ``"2 h 05 min"``."""
    minutes = int(round(float(t_s) / 60.0))
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


# --- evacuation curve -------------------------------------------------------------


def plot_evacuation_curve(
    timeseries: pd.DataFrame,
    residents_total: int,
    *,
    p50_s: float | None = None,
    p90_s: float | None = None,
) -> Figure:
    """Persons evacuated (arrived in a shelter) and on the way over time, by mode.

    Solid lines: persons in a shelter (``evacuated``), in total and by mode
    (``evacuated_walk``, ``evacuated_car``); dashed lines: persons on the way
    (``evacuating``, ``evacuating_walk``, ``evacuating_car``). Columns
    missing from ``timeseries`` are left out. The left axis counts persons,
    the right one the same in % of ``residents_total``; the y axis spans the
    whole population, so the height of the plateau reads as the share
    evacuated.

    Parameters
    ----------
    timeseries
        The run's time series: ``t_s`` (s since the start) and persons per
        state; one replication.
    residents_total
        Persons living in the city (the 100 % of the right axis).
    p50_s, p90_s
        Median and 90th-percentile evacuation times (s since the start, as in
        ``summary.json``), drawn as vertical lines; ``None`` or NaN: not drawn.

    Returns
    -------
    matplotlib.figure.Figure
        x in minutes (runs up to 3 h) or hours, y in persons. An empty
        ``timeseries`` gives empty axes with a note.
    """
    fig = Figure(figsize=(9.5, 5.4), dpi=110)
    ax = fig.subplots()
    ts = timeseries.sort_values("t_s") if "t_s" in timeseries else timeseries.iloc[:0]
    t, xlabel, scale = time_axis(ts["t_s"] if "t_s" in ts else np.zeros(0))
    total = max(int(residents_total), 0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("persons")
    ax.yaxis.set_major_formatter(thousands)
    ax.grid(alpha=0.3)
    if not len(ts):
        _note(ax, "no time series recorded")
        ax.set_title("Evacuation curve")
        fig.tight_layout()
        return fig

    for state, style, base_width in (("evacuated", "-", 1.8), ("evacuating", "--", 1.3)):
        where = "in a shelter" if state == "evacuated" else "on the way"
        for key, (suffix, color, name) in MODE_STYLE.items():
            column = state + suffix
            if column not in ts:
                continue
            ax.plot(t, ts[column].to_numpy(float), ls=style, color=color,
                    lw=base_width + (0.8 if key == "total" else 0.0),
                    label=f"{where}: {name}", gid=column)
    ax.set_xlim(t.min(), t.max() if t.max() > t.min() else t.min() + 1.0)
    top = total if total > 0 else max(float(ts.get("evacuated", pd.Series([0])).max()), 1.0)
    ax.set_ylim(0, top * 1.03)
    if total > 0:
        # mypy: matplotlib passes arrays; its stubs type the arguments as any ArrayLike
        right = ax.secondary_yaxis(
            "right", functions=(lambda p: p * 100.0 / total, lambda q: q * total / 100.0)  # type: ignore[operator]
        )
        right.set_ylabel("% of residents")

    marks = [(name, v) for name, v in (("p50", p50_s), ("p90", p90_s)) if _is_set(v)]
    on_x = blended_transform_factory(ax.transData, ax.transAxes)
    for k, (name, v) in enumerate(marks):
        x = float(v) / scale
        ax.axvline(x, color="0.25", ls=":", lw=1.1, zorder=1)
        # the first label left of its line, the second right of it: p50 <= p90,
        # so the two never overlap however close they are
        after = k == 1
        ax.text(x, 0.98, f"{name} {format_time(float(v))}", transform=on_x, rotation=90,
                ha="left" if after else "right", va="top", fontsize=8, color="0.25",
                bbox={"boxstyle": "square,pad=0.15", "fc": "white", "ec": "none",
                      "alpha": 0.75})

    final = int(ts["evacuated"].iloc[-1]) if "evacuated" in ts else 0
    share = f" ({100.0 * final / total:.1f} %)" if total > 0 else ""
    ax.set_title(f"Evacuation curve: {final:,} of {total:,} residents in a shelter "
                 f"at the end{share}", fontsize=11)
    if ax.lines:
        # below the axes: the curves can pass anywhere inside
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), fontsize=8, ncol=3,
                  frameon=False)
    fig.tight_layout()
    return fig


# --- shelter loads ----------------------------------------------------------------


def _shelter_label(row: pd.Series) -> str:
    name = row.get("name")
    label = str(row["shelter"])
    if isinstance(name, str) and name and name != label:
        label = f"{label} · {name}"
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def plot_shelter_loads(
    shelters: pd.DataFrame, timeseries: pd.DataFrame | None = None
) -> Figure:
    """Peak occupancy of each shelter against its capacity.

    One horizontal bar per shelter, sorted by capacity (largest at the top):
    the filled bar is the peak occupancy (orange if the shelter filled,
    green if it kept room), the black outline the capacity, a hatched red
    segment after the bar the persons turned away. The text after each bar
    gives occupancy/capacity, when it filled (``t_full_s``) and how many
    were turned away. Readable from 2 to about 30 shelters (the figure grows
    with their number).

    Parameters
    ----------
    shelters
        One row per shelter: ``shelter`` (id), ``capacity``,
        ``peak_occupancy``, ``turned_away`` (persons), ``t_full_s`` (s since
        the start, NaN if it never filled); optional ``name``. One
        replication.
    timeseries
        The run's time series; if given with ``t_s`` and
        ``shelter_occupancy``, a second panel shows the persons in all
        shelters over time against their total capacity, with the moment
        each shelter filled. It also sets the time unit (minutes for runs up
        to 3 h, else hours).

    Returns
    -------
    matplotlib.figure.Figure
        Occupancies in persons. No shelters: empty axes with a note.
    """
    n = len(shelters)
    with_series = (
        timeseries is not None and len(timeseries) > 0
        and {"t_s", "shelter_occupancy"} <= set(timeseries.columns)
    )
    height = 1.8 + 0.36 * max(n, 4)
    if with_series and n:
        fig = Figure(figsize=(13, height), dpi=110)
        # the time panel keeps a fixed height beside a long list of shelters
        panel = min(height, PANEL_HEIGHT_IN)
        grid = fig.add_gridspec(2, 2, width_ratios=[3, 2],
                                height_ratios=[panel, max(height - panel, 1e-3)])
        ax = fig.add_subplot(grid[:, 0])
        ax_t = fig.add_subplot(grid[0, 1])
    else:
        fig = Figure(figsize=(9.5, height), dpi=110)
        ax = fig.subplots()
        ax_t = None
    ax.set_xlabel("persons")
    if n == 0:
        _note(ax, "no shelters in this scenario")
        ax.set_title("Shelter loads")
        ax.set_xticks([])
        ax.set_yticks([])
        fig.tight_layout()
        return fig

    sh = shelters.sort_values(["capacity", "shelter"], kind="stable").reset_index(drop=True)
    y = np.arange(n)
    cap = sh["capacity"].to_numpy(float)
    peak = sh["peak_occupancy"].to_numpy(float)
    turned = sh["turned_away"].to_numpy(float) if "turned_away" in sh else np.zeros(n)
    t_full = sh["t_full_s"].to_numpy(float) if "t_full_s" in sh else np.full(n, np.nan)
    filled = np.isfinite(t_full)

    ax.barh(y, peak, height=0.66, color=np.where(filled, FULL_COLOR, OPEN_COLOR),
            label="peak occupancy", gid="peak_occupancy", zorder=2)
    ax.barh(y, cap, height=0.66, fill=False, edgecolor="k", lw=1.2, label="capacity",
            gid="capacity", zorder=3)
    if (turned > 0).any():
        ax.barh(y, turned, left=peak, height=0.66, color=TURNED_AWAY_COLOR, alpha=0.55,
                hatch="///", edgecolor=TURNED_AWAY_COLOR, lw=0, label="turned away",
                gid="turned_away", zorder=2)
    extent = np.maximum(cap, peak + turned)
    fontsize = 8 if n <= 15 else 7
    notes = []
    for k in range(n):
        pct = f" ({100 * peak[k] / cap[k]:.0f} %)" if cap[k] > 0 else ""
        parts = [f"{peak[k]:,.0f} / {cap[k]:,.0f}{pct}"]
        if filled[k]:
            parts.append(f"full at {format_time(t_full[k])}")
        if turned[k] > 0:
            parts.append(f"{turned[k]:,.0f} turned away")
        note = ax.annotate(" · ".join(parts), (extent[k], y[k]), xytext=(4, 0),
                           textcoords="offset points", va="center", fontsize=fontsize,
                           color="0.15")
        note.set_in_layout(False)  # _make_room fits the axis to them instead
        notes.append(note)
    ax.set_yticks(y, [_shelter_label(r) for _, r in sh.iterrows()], fontsize=fontsize + 1)
    ax.set_ylim(-0.6, n - 0.4)
    ax.xaxis.set_major_formatter(thousands)
    ax.grid(axis="x", alpha=0.3)
    handles = [Patch(facecolor=FULL_COLOR, label="peak occupancy (filled)"),
               Patch(facecolor=OPEN_COLOR, label="peak occupancy (room left)"),
               Patch(fill=False, edgecolor="k", lw=1.2, label="capacity")]
    if (turned > 0).any():
        handles.append(Patch(facecolor=TURNED_AWAY_COLOR, alpha=0.55, hatch="///",
                             edgecolor=TURNED_AWAY_COLOR, lw=0, label="turned away"))
    # under the figure: text after the bars can reach any corner of the axes
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8,
               frameon=False)
    used, places = peak.sum(), cap.sum()
    ax.set_title(f"Shelter loads: {used:,.0f} of {places:,.0f} places taken, "
                 f"{int(filled.sum())} of {n} shelters full, {turned.sum():,.0f} turned away",
                 fontsize=10)

    if ax_t is not None:
        _occupancy_panel(ax_t, timeseries, sh["shelter"].tolist(), places, t_full)
    fig.tight_layout(rect=(0, 0.35 / height, 1, 1))
    _make_room(ax, notes, extent)
    return fig


def _make_room(ax: Axes, texts: list, ends: np.ndarray) -> None:
    """Widen the x axis so that each text after a bar (ending at ``ends``) fits inside."""
    axes_px = ax.get_window_extent().width
    dpi_scale = ax.figure.dpi / 72.0
    widths = np.array([t.get_window_extent().width for t in texts])
    # a text w px wide, 4 pt after a bar ending at x, fits if
    # x / right * axes_px + 4 pt + w <= axes_px
    free = np.clip(1.0 - (widths + 8.0 * dpi_scale) / axes_px, 0.3, 1.0)
    ax.set_xlim(0, max(float(np.max(ends / free)), 1.0))


def _occupancy_panel(ax: Axes, timeseries: pd.DataFrame, ids: list[str],
                     places: float, t_full: np.ndarray) -> None:
    """Persons in all shelters over time, total capacity, fill times."""
    ts = timeseries.sort_values("t_s")
    t, xlabel, scale = time_axis(ts["t_s"])
    ax.plot(t, ts["shelter_occupancy"].to_numpy(float), color="#2c3e50", lw=2,
            label="persons in shelters", gid="shelter_occupancy")
    ax.axhline(places, color="k", ls="--", lw=1, label=f"total capacity ({places:,.0f})")
    on_x = blended_transform_factory(ax.transData, ax.transAxes)
    filled = np.flatnonzero(np.isfinite(t_full))
    filled = filled[np.argsort(t_full[filled], kind="stable")]
    for rank, k in enumerate(filled):
        x = t_full[k] / scale
        ax.axvline(x, color=FULL_COLOR, lw=1, alpha=0.8, zorder=1,
                   label=f"a shelter filled ({filled.size})" if rank == 0 else None)
        if filled.size <= MAX_FILL_LABELS:
            ax.text(x, 0.03 + 0.07 * (rank % 4), f" {ids[k]} full", transform=on_x,
                    fontsize=7, color="#a04000", ha="left", va="bottom")
    ax.set_xlim(t.min(), t.max() if t.max() > t.min() else t.min() + 1.0)
    ax.set_ylim(0, max(places, float(ts["shelter_occupancy"].max())) * 1.08)
    ax.yaxis.set_major_formatter(thousands)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("persons")
    ax.set_title("All shelters over time", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8, framealpha=0.95)


# --- evacuation time map ----------------------------------------------------------


def node_evacuation_times(
    home_node: np.ndarray,
    persons: np.ndarray,
    t_arrive_s: np.ndarray,
    *,
    statistic: str = "mean",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Persons-weighted mean or median arrival time per home node.

    Parameters
    ----------
    home_node
        Home node of each agent.
    persons
        Persons per agent.
    t_arrive_s
        Arrival time at a shelter per agent (s since the start), NaN if never.
    statistic
        ``"mean"`` or ``"median"`` (the lower weighted median).

    Returns
    -------
    nodes : numpy.ndarray
        Home nodes with at least one arrival, ascending.
    arrived : numpy.ndarray
        Persons from each of them who arrived.
    t_s : numpy.ndarray
        Their mean or median arrival time (s).
    """
    if statistic not in ("mean", "median"):
        raise ValueError(f"statistic must be 'mean' or 'median', got {statistic!r}")
    t = np.asarray(t_arrive_s, dtype=float)
    ok = np.isfinite(t)
    node = np.asarray(home_node, dtype=np.int64)[ok]
    w = np.asarray(persons, dtype=float)[ok]
    t = t[ok]
    if not node.size:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    nodes, inverse = np.unique(node, return_inverse=True)
    arrived = np.bincount(inverse, weights=w)
    if statistic == "mean":
        return nodes, arrived, np.bincount(inverse, weights=w * t) / arrived
    order = np.lexsort((t, inverse))
    g, wt, ts = inverse[order], w[order], t[order]
    cum = np.cumsum(wt)
    start = np.searchsorted(g, np.arange(nodes.size), side="left")
    before = np.concatenate([[0.0], cum])[start]
    within = cum - before[g]
    # first agent of each group whose cumulative weight reaches half the group's
    reached = within >= 0.5 * arrived[g] - 1e-9
    first = np.full(nodes.size, g.size, dtype=np.int64)
    np.minimum.at(first, g[reached], np.flatnonzero(reached))
    return nodes, arrived, ts[first]


def plot_evacuation_time_map(
    world: World, agents: pd.DataFrame, *, statistic: str = "mean"
) -> Figure:
    """Map of evacuation time by home node over the road network.

    Each home node with residents who reached a shelter is a point coloured
    by their persons-weighted mean (or median) arrival time, in minutes from
    the start of the run, and sized by how many arrived. Home nodes of
    residents who set off (deciding or on the way) but had not arrived when
    the run ended are grey crosses sized by their number; a node can carry
    both. Shelters are white triangles with their ids.

    Parameters
    ----------
    world
        The built world (road network and shelters).
    agents
        The residents at the end of one replication: ``home_node``,
        ``persons``, ``state``, ``t_arrive_s`` (s since the start, NaN if
        never).
    statistic
        ``"mean"`` or ``"median"`` arrival time per node.

    Returns
    -------
    matplotlib.figure.Figure
        Axes in metres; colour bar in minutes. With no arrivals, the network,
        shelters and any crosses without a colour bar.
    """
    if "replication" in agents:
        agents = agents[agents["replication"] == 0]
    net = world.network
    fig = Figure(figsize=(9.5, 8.8), dpi=110)
    ax = fig.subplots()
    draw_network(ax, world)
    for coll in ax.collections:  # the roads are the background here
        coll.set_alpha(0.45)

    home = agents["home_node"].to_numpy(np.int64)
    persons = agents["persons"].to_numpy(float)
    t_arrive = agents["t_arrive_s"].to_numpy(float)
    nodes, arrived, t_node = node_evacuation_times(home, persons, t_arrive, statistic=statistic)
    on_way = np.isin(agents["state"].to_numpy(), _ON_THE_WAY) & ~np.isfinite(t_arrive)
    s_nodes, s_inv = np.unique(home[on_way], return_inverse=True)
    s_persons = np.bincount(s_inv, weights=persons[on_way]) if s_nodes.size else np.zeros(0)
    biggest = max(float(arrived.max(initial=0)), float(s_persons.max(initial=0)), 1.0)

    handles: list = []
    if nodes.size:
        minutes = t_node / 60.0
        # the colour range is that of the data, in whole 5 min: a shared
        # warning and response delay shift every origin alike
        lo = 5.0 * math.floor(float(minutes.min()) / 5.0)
        hi = max(5.0 * math.ceil(float(minutes.max()) / 5.0), lo + 5.0)
        points = ax.scatter(net.node_x_m[nodes], net.node_y_m[nodes], c=minutes,
                            s=6 + 70 * arrived / biggest, cmap="viridis", vmin=lo,
                            vmax=hi, edgecolors="k",
                            linewidths=0.25, zorder=5, gid="arrived")
        fig.colorbar(points, ax=ax, shrink=0.72, pad=0.02,
                     label=f"{statistic} evacuation time (min from start)")
        handles.append(Line2D([], [], marker="o", ls="", color="#3b8b8c", mec="k", mew=0.25,
                              ms=7, label="home node (size: persons arrived)"))
    else:
        _note(ax, "nobody reached a shelter")
    if s_nodes.size:
        ax.scatter(net.node_x_m[s_nodes], net.node_y_m[s_nodes], marker="x", c=STRANDED_COLOR,
                   s=12 + 60 * s_persons / biggest, linewidths=1.1, zorder=6, gid="not_arrived")
        handles.append(Line2D([], [], marker="x", ls="", color=STRANDED_COLOR, mew=1.1, ms=7,
                              label=f"set off, not arrived ({s_persons.sum():,.0f} persons)"))
    sh = world.shelters
    if len(sh):
        cap = np.asarray(sh.capacity, dtype=float)
        ax.scatter(sh.x_m, sh.y_m, marker="^", s=60 + 140 * cap / max(cap.max(), 1.0),
                   facecolor="white", edgecolor="k", linewidths=1.3, zorder=7, gid="shelters")
        for k in range(len(sh)):
            ax.annotate(sh.id[k], (sh.x_m[k], sh.y_m[k]), xytext=(6, 5),
                        textcoords="offset points", fontsize=8, fontweight="bold", zorder=8,
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                              "alpha": 0.8})
        handles.append(Line2D([], [], marker="^", ls="", mfc="white", mec="k", mew=1.3, ms=9,
                              label="shelter (size: capacity)"))
    road_handles, _ = ax.get_legend_handles_labels()
    ax.legend(handles=handles + road_handles, loc="upper center", bbox_to_anchor=(0.5, -0.08),
              ncol=3, fontsize=8, frameon=False)
    ax.autoscale()
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_title(f"Evacuation time by home node: {arrived.sum():,.0f} persons arrived "
                 f"from {nodes.size:,} nodes", fontsize=11)
    fig.tight_layout()
    return fig
