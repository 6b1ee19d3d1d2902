"""Validation of the residents' walking: Weidmann's curve in a corridor, wading in water.

Every model value comes through the model's real entry points: walkers are
placed at a set density on a long corridor of a :class:`~citysim.model.CityModel`
and one model step moves them (the movement kernel); the wading speed is
read from a flood hazard built from its YAML block and filled with still
water. The reference values are written by hand from their sources.
"""

from __future__ import annotations

import math
import pathlib

import numpy as np
from matplotlib.figure import Figure

from benchmarks.validation.core import Check

MODEL = "Residents: walking"
WEIDMANN_SOURCE = ("Weidmann (1993), v = 1.34 (1 - exp(-1.913 (1/rho - 1/5.4))) m/s, "
                   "evaluated by hand")
WEIDMANN_POINTS = {0.5: 1.298, 1.0: 1.058, 2.0: 0.606, 3.0: 0.331}
"""Weidmann's curve at 0.5, 1, 2, 3 persons/m² (m/s), by hand from the formula. MODELS.md
lists 1.282 and 0.643 at 0.5 and 2.0, which the formula does not give."""
FLOW_PEAK = (1.75, 1.225)
"""Weidmann's flow ``rho v`` peaks at about 1.225 persons/(m s) near 1.75 persons/m² (MODELS.md)."""
CORRIDOR_LENGTH_M = 400.0
FIGURE = "residents_weidmann_corridor.png"


CORRIDOR = """\
name: corridor
run: {{duration: 1h, dt: {dt}, seed: 1}}
city:
  network: {{synthetic: {{kind: grid, rows: 2, cols: 2, block_m: {length}}}}}
  population: {{residents: {n}, persons_per_agent: 1}}
shelters: [{{id: S, location: {{x: {length}, y: 0}}, capacity: {n}}}]
behaviour: {{walk_speed_mps: {{dist: fixed, value: 1.34}}, mode_share: {{walk: 1, car: 0}}}}
outputs: {{every: 1h, plots: false}}
"""


def corridor_speed_mps(density_p_m2: float, *, length_m: float = CORRIDOR_LENGTH_M,
                       dt_s: float = 1.0) -> float:
    """Median speed of walkers set at ``density_p_m2`` along a street, over one model step.

    The first street of a two-by-two grid (``length_m`` long, its class's
    walkable width) holds ``density x length x width`` one-person walkers,
    all with free speed 1.34 m/s, spread evenly along it and already on
    their way; :meth:`CityModel.step` moves them once. The speed is the
    distance moved over ``dt_s`` by those that did not reach the street's end.
    """
    from citysim.model import CityModel
    from citysim.rng import replication_seeds, world_streams
    from citysim.scenario import load_scenario_text
    from citysim.world.builder import build_world

    room = int(math.ceil(5.4 * length_m * 20.0))  # more residents than any street holds
    scenario = load_scenario_text(CORRIDOR.format(dt=dt_s, length=length_m, n=room),
                                  base_dir=".")
    world = build_world(scenario, world_streams(1))
    model = CityModel(scenario, replication_seeds(1, 1)[0], world=world)
    e = 0
    width_m = float(world.network.width_m[e])
    n = min(max(int(round(density_p_m2 * world.network.length_m[e] * width_m)), 1), room)
    res = model.residents
    res.place(np.arange(n), e, (np.arange(n) + 0.5) * world.network.length_m[e] / n,
              model.roads, world.network)
    res.n_undecided = 0  # the others stay at home: nobody else warns or decides
    before = res.pos_m[:n].copy()
    model.step()
    moved = (res.queue[:n] < 0) & (res.edge[:n] == e)
    return float(np.median(res.pos_m[:n][moved] - before[moved]) / dt_s)


def weidmann_mps(density_p_m2: np.ndarray) -> np.ndarray:
    """Weidmann's (1993) curve, written out for the figure (m/s)."""
    rho = np.asarray(density_p_m2, dtype=float)
    return np.maximum(1.34 * (1.0 - np.exp(-1.913 * (1.0 / rho - 1.0 / 5.4))), 0.0)


def still_water_walk_speed_mps(depth_m: float) -> float:
    """A walker's speed (free speed 1.34 m/s) in still water ``depth_m`` deep, by the flood model.

    The flood hazard is built from its YAML block on a flat plain; its grid is
    filled to ``depth_m`` and advanced one step, and its walking factor on
    the streets (:meth:`FloodHazard.walk_effects`) scales 1.34 m/s.
    """
    from citysim.model import build_hazards
    from citysim.rng import world_streams
    from citysim.scenario import load_scenario_text
    from citysim.world.builder import build_world

    text = """\
name: wading
run: {duration: 1h, dt: 10s, seed: 1}
city:
  network: {synthetic: {kind: grid, rows: 3, cols: 3, block_m: 100}}
  terrain: {synthetic: {kind: plane, cell_m: 20, slope: 0}}
  population: {residents: 10}
hazards: [{type: flood, drainage_mm_h: 0}]
"""
    scenario = load_scenario_text(text, base_dir=".")
    world = build_world(scenario, world_streams(1))
    (flood,) = build_hazards(scenario, world, world_streams(1))
    flood.h[:] = depth_m
    flood.advance(0.0, 1.0)
    return float(1.34 * np.median(flood.walk_effects()))


def checks(fig_dir: pathlib.Path) -> list[Check]:
    """Weidmann's curve through the model's corridor, its flow peak, and wading speeds."""
    fig_dir = pathlib.Path(fig_dir)
    out = []
    for rho, ref in WEIDMANN_POINTS.items():
        out.append(Check(
            model=MODEL, case=f"corridor at {rho:g} persons/m²", quantity="walking speed (m/s)",
            reference=ref, source=WEIDMANN_SOURCE, value=corridor_speed_mps(rho),
            tolerance=0.01, why="the curve is the model's law; 1 % for the rounding of n "
            "walkers to a whole number", figure=FIGURE))
    rho, q = FLOW_PEAK
    out.append(Check(
        model=MODEL, case=f"corridor at {rho:g} persons/m² (flow peak)",
        quantity="specific flow (persons/(m s))", reference=q,
        source="MODELS.md, Weidmann (1993): flow peaks near 1.75 persons/m² at about 1.22",
        value=rho * corridor_speed_mps(rho), tolerance=0.01,
        why="the peak value is quoted to 3 digits", figure=FIGURE))
    # Li, Song, Zhang & Bode (2026), Acta Polytech. CTU Proc. 57, 188 people in still water:
    # from dry to 0.35 m, speed -38.6 % (men) and -44.8 % (women); mean kept 0.583 of dry
    out.append(Check(
        model=MODEL, case="still water 0.35 m deep", quantity="walking speed / dry speed",
        reference=0.583, value=still_water_walk_speed_mps(0.35) / 1.34,
        source="Li, Song, Zhang & Bode (2026), doi:10.14311/APP.2026.57.0226: -38.6 % men, "
               "-44.8 % women from 0 to 0.35 m",
        tolerance=0.2, why="men and women differ by 11 % themselves; the law (Bernardini et "
        "al. 2017) was fitted to other experiments (Ishigaki et al. 2009)"))
    out.append(Check(
        model=MODEL, case="still water 0.45 m deep", quantity="walking speed (m/s)",
        reference=0.75, value=still_water_walk_speed_mps(0.45), absolute=True, tolerance=0.25,
        source="MODELS.md: laboratory wading experiments (Bernardini et al.; Ishigaki et al.) "
               "report roughly 0.5-1.0 m/s in 0.3-0.5 m of still water",
        why="the reference is a range, 0.5-1.0 m/s"))
    _corridor_figure(fig_dir / FIGURE)
    return out


def _corridor_figure(path: pathlib.Path) -> None:
    """Weidmann's curve and the model's walkers measured in a corridor."""
    rho = np.linspace(0.05, 5.4, 300)
    measured_rho = np.array([0.25, 0.5, 1.0, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0])
    measured = np.array([corridor_speed_mps(r) for r in measured_rho])
    fig = Figure(figsize=(6.5, 4.0))
    ax = fig.add_subplot()
    ax.plot(rho, weidmann_mps(rho), color="0.3", label="Weidmann (1993)")
    ax.plot(measured_rho, measured, "o", color="tab:blue", label="model: walkers in a corridor")
    flow = ax.twinx()
    flow.plot(rho, rho * weidmann_mps(rho), color="tab:orange", lw=1, ls="--",
              label="flow ρ·v (right)")
    flow.set_ylabel("specific flow (persons/(m s))")
    flow.set_ylim(0, 1.5)
    ax.set_xlabel("density (persons/m²)")
    ax.set_ylabel("walking speed (m/s)")
    ax.set_ylim(0, 1.5)
    ax.set_title("Weidmann curve vs the model's walkers in a corridor")
    lines = ax.get_legend_handles_labels()
    more = flow.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper right", fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, bbox_inches="tight")
