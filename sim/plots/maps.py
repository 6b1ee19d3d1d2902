"""Maps of the city: road network by class, population, shelters, stations."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sim.world.road_classes import ROAD_CLASSES  # noqa: E402

CLASS_STYLE: dict[str, tuple[str, float]] = {
    "motorway": ("#8b0000", 2.6),
    "trunk": ("#c0392b", 2.3),
    "primary": ("#e67e22", 2.0),
    "secondary": ("#f1c40f", 1.6),
    "tertiary": ("#7f8c8d", 1.2),
}
DEFAULT_STYLE = ("#b8b8b8", 0.6)


def draw_network(ax: plt.Axes, world) -> None:
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
        A built :class:`sim.world.builder.World`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    net = world.network
    fig, ax = plt.subplots(figsize=(9, 8), dpi=110)
    pop = world.population
    if pop.n_agents:
        xmin, ymin, xmax, ymax = net.bounds_m
        gridsize = 30
        hb = ax.hexbin(net.node_x_m[pop.home_node], net.node_y_m[pop.home_node],
                       C=pop.persons, reduce_C_function=np.sum, gridsize=gridsize,
                       extent=(xmin, xmax, ymin, ymax), cmap="Blues", mincnt=1, zorder=1,
                       alpha=0.85, linewidths=0)
        # matplotlib's hexbin: nx columns, ny = int(nx / sqrt(3)) rows, two offset
        # lattices, so each hexagon covers sx * sy / 2
        ny = int(gridsize / np.sqrt(3))
        hex_area_km2 = ((xmax - xmin) / gridsize) * ((ymax - ymin) / ny) / 2 / 1e6
        hb.set_array(hb.get_array() / max(hex_area_km2, 1e-12))
        fig.colorbar(hb, ax=ax, shrink=0.7, label="residents per km²")
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
    ax.legend(loc="upper left", fontsize=7, framealpha=0.9)
    fig.tight_layout()
    return fig
