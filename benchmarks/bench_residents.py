"""Resident benchmarks: citysim's numba residents against the pure-Mesa reference.

``resident_steps_vs_mesa`` steps the same scenario (same world, same plan)
with :class:`citysim.model.CityModel` and with
:class:`benchmarks.mesa_reference.ReferenceModel` (one Python object per
resident agent), both built outside the timing, and compares the time per
agent-step (agents x steps; the same on both sides, so the ratio of times is
the ratio of agent-steps per second).

``run_plots`` is a budget too: the figures of one evacuation run (the
residents case, drawn once at the end by :func:`citysim.plots.write_run_plots`)
against 1 s (``ratio = 1 s / time``); the first call, which imports
matplotlib, is reported apart.

``run_end_to_end_vs_mesa_walker`` runs the speed issue's evacuation
(:func:`benchmarks.issue_run.issue_scenario`: 300,000 walkers on a 60 x 60
grid for 1 h at full size) as a user does, ``citysim run`` in a subprocess
(imports, world building, the model, tables and figures included), and
compares its agent-steps per second with those of a bare Mesa network walker
on the same grid in the same benchmark run (:class:`WalkerModel`: one
``mesa.Agent`` per resident walking at its free speed along the next-hop
tree to the nearest shelter, ``shuffle_do`` every step, no queues, no
density, no warnings: the least a Mesa model of this city could do);
``ratio = walker time for citysim's agent-steps / citysim's wall time``
(target 30).

``evacuation_1m`` is a budget, not a comparison: a 1,000,000-resident
evacuation on a synthetic grid of more than 100,000 directed edges, two
simulated hours at dt = 2 s, against the issue's 20 s of wall time and 1 GiB
of peak memory (the process's peak resident set, world included), reported
as ``ratio = min(20 s / wall, 1 GiB / peak RSS)`` so that it passes only
when both hold; full size only.
"""

from __future__ import annotations

import resource
import time

import mesa
import numpy as np

from benchmarks.common import BenchResult, register
from benchmarks.mesa_reference import ReferenceModel, reference_plan, reference_world
from citysim.model import CityModel
from citysim.rng import replication_seeds
from citysim.routing import next_hop_tree
from citysim.scenario import load_scenario_text
from citysim.simulation import run_replication
from citysim.world.builder import World

# side of the grid (intersections), residents (one person per agent), simulated time
STEPS_CASE = {
    "full": (30, 20_000, "10min"),
    "quick": (15, 5_000, "5min"),
    "smoke": (6, 500, "2min"),
}
STEPS_TARGET = 300.0
END_TO_END_TARGET = 30.0
# residents, grid side, simulated time, walker steps timed
END_TO_END_CASE = {
    "full": (300_000, 60, "1h", 3),
    "quick": (20_000, 30, "10min", 5),
    "smoke": (500, 6, "2min", 3),
}
PLOTS_BUDGET_S = 1.0
BUDGET_1M_S = 20.0
BUDGET_1M_MIB = 1024.0

TOWN = """\
name: bench-residents
run: {{duration: {duration}, dt: 2s, seed: 7}}
city:
  network:
    synthetic: {{kind: grid, rows: {side}, cols: {side}, block_m: 100, arterial_every: 5}}
  population: {{residents: {residents}, persons_per_agent: 1}}
shelters:
{shelters}
behaviour:
  warnings: [{{at: 0, reach: 1.0}}]
  response_delay: {{dist: lognormal, median: {delay}, sigma: 0.6}}
  compliance: 0.9
  action: evacuate
  mode_share: {{walk: 0.7, car: 0.3}}
  word_of_mouth_per_h: {word}
outputs: {{every: 1min, plots: false}}
"""


def town(side: int, residents: int, duration: str, *, delay: str = "2min", word: float = 0.0,
         n_shelters: int = 4) -> str:
    """A grid town with shelters spread over it (the first too small for its share)."""
    extent = (side - 1) * 100.0
    lines = []
    for k in range(n_shelters):
        fx, fy = (0.25 + 0.5 * (k % 2), 0.25 + 0.5 * ((k // 2) % 2))
        if n_shelters > 4:
            fx, fy = ((k * 0.618) % 0.9 + 0.05, (k * 0.382) % 0.9 + 0.05)
        share = residents / n_shelters
        capacity = int(share * (0.4 if k == 0 else 1.5))
        lines.append(f"  - {{id: S{k + 1}, location: {{x: {fx * extent:.0f}, y: "
                     f"{fy * extent:.0f}}}, capacity: {capacity}}}")
    return TOWN.format(side=side, residents=residents, duration=duration, delay=delay,
                       word=word, shelters="\n".join(lines))


def _run_citysim(model: CityModel) -> CityModel:
    while model.running:
        model.step()
    model.finish()
    return model


@register("resident_steps_vs_mesa")
def bench_resident_steps(size: str, repeats: int) -> BenchResult:
    side, residents, duration = STEPS_CASE[size]
    scenario = load_scenario_text(town(side, residents, duration), base_dir=".")
    world = reference_world(scenario)
    plan = reference_plan(scenario, world)
    seed = replication_seeds(scenario.run.seed, 1)[0]

    def ours() -> CityModel:
        return CityModel(scenario, seed, world=world)

    def ref() -> ReferenceModel:
        return ReferenceModel(scenario, world, plan)

    # both models built outside the timing; citysim's first run (JIT or cache load) apart
    t0 = time.perf_counter()
    first = _run_citysim(ours())
    first_s = time.perf_counter() - t0
    reference = ref().run()
    best_ours = best_ref = float("inf")
    for _ in range(max(1, min(repeats, 3))):  # the reference takes seconds per run
        model = ours()
        t0 = time.perf_counter()
        _run_citysim(model)
        best_ours = min(best_ours, time.perf_counter() - t0)
        model = ref()
        t0 = time.perf_counter()
        model.run()
        best_ref = min(best_ref, time.perf_counter() - t0)

    a = first.timeseries_frame()["evacuated"].to_numpy()
    b = reference.timeseries_frame()["evacuated"].to_numpy()
    agree = bool(a.shape == b.shape and abs(a - b).max() <= 0.02 * residents
                 and abs(a[-1] - b[-1]) <= 0.01 * max(b[-1], 1))
    agent_steps = reference.agent_steps
    return BenchResult(
        best_ours, best_ref, STEPS_TARGET,
        f"CityModel.step vs pure-Mesa ReferenceModel.step; {plan.n_agents:,} agents x "
        f"{reference.steps} steps on a {side}x{side} grid ({world.network.n_edges:,} edges), "
        f"walk+car; {agent_steps / best_ours:,.0f} vs {agent_steps / best_ref:,.0f} "
        f"agent-steps/s; evacuated {int(a[-1]):,} vs {int(b[-1]):,}",
        max(0.0, first_s - best_ours), agree,
    )


class Walker(mesa.Agent):
    """A resident walking at free speed along the next-hop tree (no queue, no density)."""

    def __init__(self, model: WalkerModel, node: int, speed_mps: float) -> None:
        super().__init__(model)
        self.node, self.speed_mps = node, speed_mps
        self.edge, self.pos_m = -1, 0.0

    def step(self) -> None:
        m = self.model
        if self.edge < 0:
            self.edge = m.next_edge[self.node]
            if self.edge < 0:  # at a shelter (or cut off): done
                self.remove()
                return
        self.pos_m += self.speed_mps * m.dt_s
        if self.pos_m >= m.length_m[self.edge]:
            self.node = m.edge_head[self.edge]
            self.edge, self.pos_m = -1, 0.0


class WalkerModel(mesa.Model):
    """The bare Mesa walker of ``run_end_to_end_vs_mesa_walker``."""

    def __init__(self, world: World, shelters: np.ndarray, dt_s: float, seed: int) -> None:
        super().__init__(rng=seed)
        net = world.network
        self.dt_s = dt_s
        # plain lists: indexing them is several times cheaper than NumPy scalars
        self.next_edge = next_hop_tree(net, shelters, weight_s=net.length_m).next_edge.tolist()
        self.length_m, self.edge_head = net.length_m.tolist(), net.edge_head.tolist()
        for node in world.population.home_node:
            Walker(self, int(node), 1.34)

    def step(self) -> None:
        """Every walker takes one step, in random order."""
        self.agents.shuffle_do("step")


@register("run_end_to_end_vs_mesa_walker")
def bench_end_to_end(size: str, repeats: int) -> BenchResult:
    import json
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    from benchmarks.issue_run import issue_scenario

    residents, side, duration, walker_steps = END_TO_END_CASE[size]
    text = issue_scenario(residents, side, duration)
    scenario = load_scenario_text(text, base_dir=".")
    world = reference_world(scenario)
    best_walker = float("inf")
    for _ in range(max(1, min(repeats, 2))):
        walkers = WalkerModel(world, world.shelters.node, float(scenario.run.dt), 1)
        n0 = len(walkers.agents)
        t0 = time.perf_counter()
        for _ in range(walker_steps):
            walkers.step()
        best_walker = min(best_walker, (time.perf_counter() - t0) / (n0 * walker_steps))
    with tempfile.TemporaryDirectory(prefix="citysim-bench-e2e-") as tmp:
        path = Path(tmp) / "issue.yaml"
        path.write_text(text)
        command = [sys.executable, "-m", "citysim.cli", "run", str(path), "--out",
                   str(Path(tmp) / "out"), "--no-progress"]
        subprocess.run(command, check=True, capture_output=True)  # numba cache, disk cache
        t0 = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        wall = time.perf_counter() - t0
        summary = json.loads((Path(tmp) / "out" / "summary.json").read_text())
    n_steps = int(round(float(scenario.run.duration) / float(scenario.run.dt)))
    agent_steps = residents * n_steps
    return BenchResult(
        wall, agent_steps * best_walker, END_TO_END_TARGET,
        f"`citysim run` subprocess (imports, world, model, tables, figures), {residents:,} "
        f"walkers x {n_steps} steps on a {side}x{side} grid ({world.network.n_edges:,} edges): "
        f"{agent_steps / wall:,.0f} agent-steps/s end to end vs a bare Mesa walker's "
        f"{1 / best_walker:,.0f} (shuffle_do, best of {walker_steps} steps x all agents); "
        f"evacuated {summary['evacuated']:,}",
        0.0, summary["residents_total"] == residents)


@register("run_plots")
def bench_run_plots(size: str, repeats: int) -> BenchResult:
    import tempfile
    from pathlib import Path

    from citysim.simulation import simulate

    side, residents, duration = STEPS_CASE[size]
    scenario = load_scenario_text(town(side, residents, duration), base_dir=".")
    out = simulate(scenario)
    with tempfile.TemporaryDirectory(prefix="citysim-bench-plots-") as tmp:
        t0 = time.perf_counter()
        from citysim.plots import write_run_plots  # matplotlib's import: the first call's

        written = write_run_plots(out, Path(tmp) / "first")
        first_s = time.perf_counter() - t0
        best = float("inf")
        for k in range(max(1, min(repeats, 3))):
            t0 = time.perf_counter()
            write_run_plots(out, Path(tmp) / str(k))
            best = min(best, time.perf_counter() - t0)
    return BenchResult(
        best, PLOTS_BUDGET_S, 1.0,
        f"{len(written)} figures of a {residents:,}-resident run on a {side}x{side} grid, "
        f"drawn once at the end; ratio = {PLOTS_BUDGET_S:.0f} s budget / time",
        max(0.0, first_s - best), len(written) > 0)


@register("evacuation_1m")
def bench_evacuation_1m(size: str, repeats: int) -> BenchResult:
    if size != "full":
        return BenchResult(
            0.0, 0.0, 1.0,
            f"at size {size!r}: runs at full size only (1,000,000 residents, "
            f"102k edges, 2 h at dt 2 s, budget {BUDGET_1M_S:.0f} s and "
            f"{BUDGET_1M_MIB:.0f} MiB)",
            skipped=True,
        )
    # 160 x 160 intersections: 101,760 directed edges
    text = town(160, 1_000_000, "2h", delay="10min", word=1.0, n_shelters=20)
    scenario = load_scenario_text(text, base_dir=".")
    t0 = time.perf_counter()
    world = reference_world(scenario)
    world_s = time.perf_counter() - t0
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    model, summary = run_replication(scenario, 0, world)  # one run: it is long
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    agent_steps = model.plan.n_agents * model.steps
    n_edges = world.network.n_edges
    ratio = min(BUDGET_1M_S / wall, BUDGET_1M_MIB / rss)
    return BenchResult(
        BUDGET_1M_S / ratio, BUDGET_1M_S, 1.0,
        f"1,000,000 residents (one per agent), {n_edges:,} edges, {model.steps} steps of "
        f"2 s, word of mouth on, 20 shelters; ratio = min({BUDGET_1M_S:.0f} s / wall, "
        f"{BUDGET_1M_MIB:.0f} MiB / peak RSS); wall {wall:.1f} s (CPU {cpu:.1f} s), "
        f"{agent_steps / wall:,.0f} agent-steps/s; peak RSS {rss:,.0f} MiB (process, "
        f"{rss0 / 1024:,.0f} MiB before the run); evacuated {summary['evacuated']:,}; "
        f"world built in {world_s:.2f} s (not timed)",
        0.0, summary["residents_total"] == 1_000_000 and n_edges >= 100_000
        and model.steps == 3600,
    )
