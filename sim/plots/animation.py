"""Animations of a run: hazard fields, residents by state, units and shelters, a clock.

When the scenario asks for it (``outputs.animation: true``) the runner
attaches a :class:`FrameRecorder` to the first replication: called with the
model as built and after every step, it keeps an :class:`AnimationFrame`
(:func:`capture_frame`) at the record times of ``outputs.every``: each
hazard's :meth:`~citysim.hazards.base.Hazard.frame`, a fixed subsample of the
residents with their positions and states, every unit at its station or its
scene, and the shelters' loads. At most :data:`MAX_FRAMES` frames are kept
(every k-th record time, the last one always), so memory stays bounded
whatever the run's length. The model itself knows nothing of animations.
:func:`write_animation` draws the frames into ``animation.gif`` (Pillow) and
``animation.mp4`` where ffmpeg is installed, on a
:class:`matplotlib.figure.Figure` with its own Agg canvas (no pyplot).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib
import numpy as np
from matplotlib import animation as mpl_animation
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D

from citysim.agents.states import State
from citysim.hazards.base import Frame
from citysim.humanize import clock, number
from citysim.io.atomic import write_atomic
from citysim.plots.fonts import add_cjk_fallback
from citysim.plots.maps import draw_network

if TYPE_CHECKING:
    from citysim.world.builder import World

__all__ = [
    "MAX_AGENTS",
    "MAX_FRAMES",
    "AnimationFrame",
    "FrameRecorder",
    "capture_frame",
    "write_animation",
]

MAX_FRAMES = 120
"""Most frames an animation keeps."""
MAX_AGENTS = 3000
"""Residents drawn (a fixed, evenly spaced subsample of the agents)."""
MAX_GRID_CELLS = 300
"""A hazard grid is thinned to at most this many cells along each side."""
MAX_POINTS = 20000
"""A hazard's point frame is thinned to at most this many points."""
DPI = 80
"""Resolution of the frames (dots per inch of a 8 x 7.5 inch figure)."""

# resident states drawn in groups: (label, colour, states)
STATE_GROUPS: tuple[tuple[str, str, tuple[State, ...]], ...] = (
    ("at home", "#9e9e9e", (State.AT_HOME, State.NOT_EVACUATED)),
    ("warned, deciding", "#f1c40f", (State.WARNED, State.DECIDING)),
    ("on the way", "#2980b9", (State.EVACUATING,)),
    ("in a shelter", "#27ae60", (State.EVACUATED, State.RESCUED)),
    ("sheltering in place", "#8e44ad", (State.SHELTERED_IN_PLACE,)),
    ("trapped or injured", "#e67e22", (State.TRAPPED, State.INJURED)),
    ("dead", "#000000", (State.DEAD,)),
)
"""How residents are coloured."""
HAZARD_CMAPS = ("Blues", "Reds", "Oranges", "Purples", "Greens")
"""Colour map of the first, second ... hazard."""

_GROUP_OF_STATE = np.zeros(max(int(s) for s in State) + 1, dtype=np.int8)
for _g, (_, _, _states) in enumerate(STATE_GROUPS):
    for _s in _states:
        _GROUP_OF_STATE[int(_s)] = _g


@dataclass(frozen=True)
class AnimationFrame:
    """The city at one record time, as drawn.

    Attributes
    ----------
    t_s
        Scenario time (s).
    hazards
        Each hazard's :class:`~citysim.hazards.base.Frame` (None: nothing to draw
        now), in the order of the scenario's hazards.
    x_m, y_m, group
        The subsampled residents: position (m) and state group (index into
        :data:`STATE_GROUPS`).
    persons
        Persons in each state group, all residents.
    unit_x_m, unit_y_m, unit_busy
        Every unit: at its station when free, at its scene when busy.
    shelter_load
        Occupancy over capacity of each shelter.
    """

    t_s: float
    hazards: tuple[Frame | None, ...]
    x_m: np.ndarray
    y_m: np.ndarray
    group: np.ndarray
    persons: np.ndarray
    unit_x_m: np.ndarray
    unit_y_m: np.ndarray
    unit_busy: np.ndarray
    shelter_load: np.ndarray


def _thin(frame: Frame | None) -> Frame | None:
    """A copy of a hazard frame small enough to keep MAX_FRAMES of them."""
    if frame is None:
        return None
    if frame.grid is not None:
        grid = np.asarray(frame.grid)
        step = max(1, math.ceil(max(grid.shape) / MAX_GRID_CELLS))
        return Frame(label=frame.label, grid=grid[::step, ::step].astype(np.float32),
                     extent_m=frame.extent_m, vmax=frame.vmax)
    n = 0 if frame.x_m is None else len(frame.x_m)
    step = max(1, math.ceil(n / MAX_POINTS))
    return Frame(label=frame.label, x_m=np.asarray(frame.x_m)[::step].astype(np.float32),
                 y_m=np.asarray(frame.y_m)[::step].astype(np.float32),
                 value=np.asarray(frame.value)[::step].astype(np.float32), vmax=frame.vmax)


def capture_frame(model: Any) -> AnimationFrame:
    """Take a frame of a running :class:`~citysim.model.CityModel` (reads, never changes it).

    Parameters
    ----------
    model
        The model at a record time.

    Returns
    -------
    AnimationFrame
    """
    from citysim.agents.response import UnitState

    world, res = model.world, model.residents
    net = world.network
    n = len(res)
    pick = np.unique(np.linspace(0, n - 1, min(n, MAX_AGENTS)).astype(np.int64)) if n else \
        np.zeros(0, dtype=np.int64)
    people = res.where(net, world.shelters) if n else None
    x = people.x_m[pick] if people is not None else np.zeros(0)
    y = people.y_m[pick] if people is not None else np.zeros(0)
    counts = model.state_counts()
    persons = np.array([sum(int(counts[int(s)]) for s in states)
                        for _, _, states in STATE_GROUPS], dtype=np.int64)
    units = model.response.units
    st = world.stations
    node = np.array([u.scene_node if u.state in (UnitState.TRAVELLING, UnitState.ON_SCENE,
                                                  UnitState.RETURNING) and u.scene_node >= 0
                     else st.node[u.station] for u in units], dtype=np.int64)
    busy = np.array([u.state != UnitState.AVAILABLE for u in units], dtype=bool)
    cap = np.maximum(world.shelters.capacity, 1)
    return AnimationFrame(
        t_s=float(model.t_s), hazards=tuple(_thin(h.frame()) for h in model.hazards),
        x_m=x.astype(np.float32), y_m=y.astype(np.float32),
        group=_GROUP_OF_STATE[res.state[pick]] if n else np.zeros(0, dtype=np.int8),
        persons=persons, unit_x_m=net.node_x_m[node], unit_y_m=net.node_y_m[node],
        unit_busy=busy, shelter_load=model.shelters.occupancy / cap,
    )


class FrameRecorder:
    """Keeps animation frames of a running model; an observer ``recorder(model)``.

    Call it with the model as built and after every step. Frame ``k`` is
    taken at the first call at or after ``k * stride * outputs.every``
    (scenario time), with the stride chosen so that at most
    :data:`MAX_FRAMES` frames cover the run; the end of the run is always
    taken.

    Attributes
    ----------
    frames
        The frames kept so far, in time order.
    """

    def __init__(self) -> None:
        self.frames: list[AnimationFrame] = []

    def __call__(self, model: Any) -> None:
        """Keep a frame of ``model`` (a :class:`~citysim.model.CityModel`) if one is due now."""
        every = float(model.record_every_s)
        records = math.floor(model.duration_s / every + 1e-9) + 1
        stride = max(1, math.ceil(records / (MAX_FRAMES - 1)))
        due = len(self.frames) * stride * every
        last = self.frames[-1].t_s if self.frames else -math.inf
        at_end = model.t_s >= model.duration_s - 1e-9 and model.t_s > last
        if model.t_s + 1e-9 >= due or at_end:
            self.frames.append(capture_frame(model))


def _hazard_scales(frames: list[AnimationFrame]) -> list[float]:
    """One colour-scale top per hazard over the whole animation, so colours mean one thing."""
    n = len(frames[0].hazards) if frames else 0
    tops = []
    for k in range(n):
        top = 0.0
        for f in frames:
            h = f.hazards[k]
            if h is None:
                continue
            if h.vmax is not None:
                top = float(h.vmax)
                break
            values = h.grid if h.grid is not None else h.value
            if values is not None and np.size(values) and np.isfinite(values).any():
                top = max(top, float(np.nanmax(values)))
        tops.append(top if top > 0 else 1.0)
    return tops


def _draw(frames: list[AnimationFrame], world: World, title: str) -> tuple[Any, Any]:
    """Build the figure and the function that shows frame ``i``."""
    fig = Figure(figsize=(8, 7.5), dpi=DPI)
    FigureCanvasAgg(fig)  # the GIF reads the pixels of the drawn canvas
    ax = fig.subplots()
    draw_network(ax, world)
    for coll in ax.collections:
        coll.set_alpha(0.5)
    ax.autoscale()
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_title(title)
    net = world.network
    xmin, ymin, xmax, ymax = net.bounds_m
    pad = 0.03 * max(xmax - xmin, ymax - ymin, 1.0)
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad, ymax + pad)
    scales = _hazard_scales(frames)
    layers: list[AxesImage | PathCollection | None] = []
    handles = []
    for k, top in enumerate(scales):
        cmap = HAZARD_CMAPS[k % len(HAZARD_CMAPS)]
        mine = [h for h in (f.hazards[k] for f in frames) if h is not None]
        if not mine:
            layers.append(None)
            continue
        first = mine[0]
        art: AxesImage | PathCollection
        if first.grid is not None:
            art = ax.imshow(np.full((2, 2), np.nan), extent=first.extent_m, origin="lower",
                            cmap=cmap, vmin=0.0, vmax=top, alpha=0.75, zorder=1,
                            interpolation="nearest")
        else:
            art = ax.scatter([], [], c=[], s=22, cmap=cmap, vmin=0.0, vmax=top, marker="s",
                             alpha=0.9, zorder=3)
        if first.grid is not None or any(np.any(np.asarray(h.value) != top) for h in mine):
            fig.colorbar(art, ax=ax, shrink=0.6, pad=0.01, label=first.label)
        else:  # one value only (a road blocked or not): a legend entry says it all
            handles.append(Line2D([], [], ls="", marker="s", color=matplotlib.colormaps[cmap](1.0),
                                  label=first.label))
        layers.append(art)
    # residents at home share their node: spread them a little around it, the same way in
    # every frame (a sunflower pattern by agent rank), so that the crowd shows
    spread_m = 0.15 * float(np.median(net.length_m)) if net.n_edges else 0.0
    rank = np.arange(MAX_AGENTS)
    radius = spread_m * np.sqrt((rank * 0.6180339887) % 1.0)
    angle = rank * 2.39996323  # the golden angle (rad)
    jitter = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    colours = ListedColormap([c for _, c, _ in STATE_GROUPS])
    people = ax.scatter([], [], c=[], s=3, cmap=colours, vmin=-0.5,
                        vmax=len(STATE_GROUPS) - 0.5, zorder=4, linewidths=0)
    sh = world.shelters
    shelters = ax.scatter(sh.x_m, sh.y_m, s=110, marker="^", c=np.zeros(len(sh)),
                          cmap="RdYlGn_r", vmin=0.0, vmax=1.0, edgecolors="k", zorder=6)
    st = world.stations
    ax.scatter(st.x_m, st.y_m, s=70, marker="s", c="#c0392b", edgecolors="k", zorder=6)
    units = ax.scatter([], [], s=45, marker="D", edgecolors="k", zorder=7)
    clock_text = ax.text(0.02, 0.98, "", transform=ax.transAxes, va="top", ha="left",
                         fontsize=13, family="monospace", zorder=8,
                         bbox={"boxstyle": "round", "fc": "white", "alpha": 0.85})
    counts_text = ax.text(0.02, 0.02, "", transform=ax.transAxes, va="bottom", ha="left",
                          fontsize=7, zorder=8, bbox={"boxstyle": "round", "fc": "white",
                                                      "alpha": 0.8})
    handles += [Line2D([], [], ls="", marker="o", color=c, label=label)
                for label, c, _ in STATE_GROUPS]
    handles += [Line2D([], [], ls="", marker="^", mfc="#27ae60", mec="k",
                       label="shelter (green empty, red full)"),
                Line2D([], [], ls="", marker="s", mfc="#c0392b", mec="k", label="fire station"),
                Line2D([], [], ls="", marker="D", mfc="#ffffff", mec="k", label="unit free"),
                Line2D([], [], ls="", marker="D", mfc="#e74c3c", mec="k", label="unit busy")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=4,
              fontsize=7, frameon=False)
    fig.tight_layout()

    def show(i: int) -> list[Any]:
        f = frames[i]
        for art, h in zip(layers, f.hazards, strict=True):
            if art is None:
                continue
            if h is None:
                if isinstance(art, PathCollection):
                    art.set_offsets(np.zeros((0, 2)))
                else:
                    art.set_data(np.full((2, 2), np.nan))
            elif h.grid is not None:  # values under 1 % of the scale are not drawn
                assert isinstance(art, AxesImage), "a hazard's frames: all grids or all points"
                assert h.extent_m is not None, "a grid frame has its extent"
                grid = np.where(np.asarray(h.grid) > art.get_clim()[1] / 100.0, h.grid, np.nan)
                art.set_data(grid)
                art.set_extent(h.extent_m)
            else:
                assert isinstance(art, PathCollection), "a hazard's frames: all grids or all points"
                assert h.x_m is not None and h.y_m is not None, "a frame without a grid has points"
                art.set_offsets(np.column_stack([h.x_m, h.y_m]))
                art.set_array(np.asarray(h.value))
        people.set_offsets(np.column_stack([f.x_m, f.y_m]) + jitter[:len(f.x_m)])
        people.set_array(f.group.astype(float))
        shelters.set_array(f.shelter_load)
        units.set_offsets(np.column_stack([f.unit_x_m, f.unit_y_m]))
        # matplotlib's stubs leave out an (n, 4) RGBA array, a valid sequence of colours
        units.set_facecolor(np.where(f.unit_busy[:, None], [[0.906, 0.298, 0.235, 1.0]],  # type: ignore[arg-type]
                                     [[1.0, 1.0, 1.0, 1.0]]))
        clock_text.set_text(f"T+{clock(f.t_s)}")
        counts_text.set_text("   ".join(f"{label}: {number(p)}" for (label, _, _), p
                                        in zip(STATE_GROUPS, f.persons, strict=True) if p))
        return []

    return fig, show


def write_animation(frames: list[AnimationFrame], world: World, out_dir: Path, *, title: str,
                    fps: int = 6) -> list[Path]:
    """Draw frames into ``animation.gif`` and, where ffmpeg exists, ``animation.mp4``.

    Parameters
    ----------
    frames
        The recorded frames (``RunResult.frames``), at least one.
    world
        The run's world.
    out_dir
        Result folder.
    title
        Figure title (the scenario's name).
    fps
        Frames per second.

    Returns
    -------
    list of Path
        The files written.
    """
    if not frames:
        raise ValueError("no frames to animate: run with outputs.animation: true")
    fig, show = _draw(frames, world, title)
    add_cjk_fallback(fig)  # Chinese shelter names and titles
    written = [write_atomic(Path(out_dir) / "animation.gif",
                            lambda p: _save_gif(fig, show, len(frames), p, fps))]
    if mpl_animation.writers.is_available("ffmpeg"):
        written.append(write_atomic(Path(out_dir) / "animation.mp4",
                                    lambda p: _save_mp4(fig, show, len(frames), p, fps)))
    return written


def _save_gif(fig: Any, show: Any, n: int, path: Path, fps: int) -> None:
    """Write the frames as a looping GIF, each with its own adaptive palette.

    Pillow's default conversion to 256 colours, and a median-cut palette,
    spend the palette on the hazard's colour ramp and lose the few pixels of
    the residents' state colours; an octree palette per frame keeps them.
    """
    from PIL import Image

    images = []
    for i in range(n):
        show(i)
        fig.canvas.draw()
        rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3]
        images.append(Image.fromarray(rgb).quantize(colors=256, method=Image.Quantize.FASTOCTREE))
    images[0].save(path, format="GIF", save_all=True, append_images=images[1:],
                   duration=round(1000 / fps), loop=0, optimize=False)


def _save_mp4(fig: Any, show: Any, n: int, path: Path, fps: int) -> None:
    """Write the frames as an H.264 MP4 through ffmpeg."""
    writer = mpl_animation.FFMpegWriter(fps=fps, codec="libx264",
                                        extra_args=["-pix_fmt", "yuv420p", "-f", "mp4"])
    with writer.saving(fig, str(path), dpi=DPI):
        for i in range(n):
            show(i)
            writer.grab_frame()
