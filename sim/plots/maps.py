"""Maps of the city: road network by class, population, shelters, stations."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from scipy.ndimage import gaussian_filter

from citysim.world.road_classes import ROAD_CLASSES

CLASS_STYLE: dict[str, tuple[str, float]] = {
    "motorway": ("#8b0000", 2.6),
    "trunk": ("#c0392b", 2.3),
    "primary": ("#e67e22", 2.0),
    "secondary": ("#f1c40f", 1.6),
    "tertiary": ("#7f8c8d", 1.2),
}
DEFAULT_STYLE = ("#b8b8b8", 0.6)
DENSITY_CELLS = 80
"""Density grid cells across the longer side of the map."""


def draw_network(ax: Axes, world) -> None:
    """Draw road edges on ``ax``, major classes on top, with a legend entry per class."""
    net = world.network
    segs = np.stack([
        np.column_stack([net.node_x_m[net.edge_tail], net.node_y_m[net.edge_tail]]),
        np.column_stack([net.node_x_m[net.edge_head], net.node_y_m[net.edge_head]]),
    ], axis=1)
    for code in sorted(np.unique(net.road_class), reverse=True):
        name = ROAD_CLASSES[code].name
        color, width = CLASS_STYLE.get(name, DEFAULT_STYLE)
        mask = net.road_class == code
        ax.add_collection(LineCollection(segs[mask], colors=color, linewidths=width,
                                         label=name, zorder=2 + (width > 1)))


def plot_city_map(world) -> Figure:
    """Map of the city: roads by class, residents per km², shelters and stations.

    Parameters
    ----------
    world
        A built :class:`citysim.world.builder.World`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    net = world.network
    fig = Figure(figsize=(9, 8), dpi=110)
    ax = fig.subplots()
    pop = world.population
    if pop.n_agents:
        # residents live at nodes: smooth the per-node counts over about one block
        xmin, ymin, xmax, ymax = net.bounds_m
        cell_m = max(xmax - xmin, ymax - ymin, 1.0) / DENSITY_CELLS
        xe = np.arange(xmin - 2 * cell_m, xmax + 3 * cell_m, cell_m)
        ye = np.arange(ymin - 2 * cell_m, ymax + 3 * cell_m, cell_m)
        counts, _, _ = np.histogram2d(net.node_x_m[pop.home_node], net.node_y_m[pop.home_node],
                                      bins=(xe, ye), weights=pop.persons)
        sigma = max(1.0, float(np.median(net.length_m)) / cell_m)
        density = gaussian_filter(counts.T, sigma, mode="constant") / (cell_m / 1000.0) ** 2
        mesh = ax.pcolormesh(xe, ye, np.ma.masked_less(density, density.max() * 0.02),
                             cmap="Blues", alpha=0.75, zorder=1, shading="flat")
        fig.colorbar(mesh, ax=ax, shrink=0.7, label="residents per km²")
    draw_network(ax, world)
    sh, st = world.shelters, world.stations
    if len(sh):
        ax.scatter(sh.x_m, sh.y_m, s=40 + 160 * sh.capacity / max(sh.capacity.max(), 1),
                   marker="^", c="#27ae60", edgecolors="k", zorder=5,
                   label=f"shelters ({len(sh)}, {int(sh.capacity.sum()):,} places)")
        for k in range(len(sh)):
            ax.annotate(sh.id[k], (sh.x_m[k], sh.y_m[k]), xytext=(4, 4),
                        textcoords="offset points", fontsize=7, zorder=6)
    if len(st):
        ax.scatter(st.x_m, st.y_m, s=70, marker="s", c="#c0392b", edgecolors="k", zorder=5,
                   label=f"fire stations ({len(st)}, {int(st.units.sum())} units)")
        for k in range(len(st)):
            ax.annotate(st.id[k], (st.x_m[k], st.y_m[k]), xytext=(4, -10),
                        textcoords="offset points", fontsize=7, zorder=6)
    ax.autoscale()
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_title(f"{net.n_nodes:,} nodes, {net.n_edges:,} edges, {pop.total:,} residents")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3, fontsize=7,
              frameon=False)
    fig.tight_layout()
    return fig
