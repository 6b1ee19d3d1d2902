"""Response: queueing references through the response system of a real CityModel.

Each case is a :class:`citysim.model.CityModel` (its ``response`` section read
from YAML like any scenario's, on a hand-built world: stations, roads and
where people live, hence where calls come from) run for thousands of hours;
the numbers compared are read from its incidents table (``queue_wait_s``,
``queued``, ``lost``, ``units``, ``t_dispatch_s``, ``t_clear_s``). The
references are MODELS.md's: Erlang B and C (calls at the station itself, so
that a unit's busy time is its service time alone) and Larson's (1974)
two-unit hypercube (roads so fast that travel takes no time). Tolerances are
statistical: three standard errors of the run, from 30 batch means (waits,
losses and busy periods are correlated in time; batch means of a long run
are nearly independent), stated with each check.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from benchmarks.validation.core import Check
from citysim.model import CityModel
from citysim.rng import replication_seeds
from citysim.scenario import load_scenario_text
from citysim.world.builder import World
from citysim.world.network import RoadNetwork
from citysim.world.population import Population
from citysim.world.road_classes import CLASS_INDEX
from citysim.world.sites import UNIT_TYPES, Probes, Shelters, Stations

MODEL = "Response"
QUEUEING = "Erlang (1917); MODELS.md, Response (Queueing)"
LARSON = "Larson 1974, two-unit hypercube (MODELS.md, Response)"
DT_S = 36000.0
"""Model step (s): events inside a step are processed at their exact times."""

SCENARIO = """\
name: {name}
run: {{duration: {hours}h, dt: {dt}, seed: {seed}}}
city:
  network: {{synthetic: {{kind: grid, rows: 2, cols: 2}}}}
response:
  service_time: {{dist: exponential, mean: {mean_s}}}
  background_calls: {{rate_per_h: {rate_per_h}, distribution: population}}
  when_all_busy: {busy}
outputs: {{every: {dt}, plots: false}}
"""


def run_response(network: RoadNetwork, *, homes: np.ndarray, persons: np.ndarray,
                 stations: list[tuple[int, int]], rate_per_h: float, mean_s: float,
                 hours: int, busy: str, seed: int) -> tuple[CityModel, pd.DataFrame]:
    """Run a CityModel whose calls come from ``homes`` and are served by engines at ``stations``.

    ``stations`` holds ``(node, engines)``, turnout 0; calls arrive at
    ``rate_per_h`` where the ``persons`` live; exponential service of mean
    ``mean_s``; ``busy`` is ``queue`` or ``lost``. Returns the finished model
    and its incidents table.
    """
    text = SCENARIO.format(name=f"validation-{busy}", hours=hours, dt=DT_S, seed=seed,
                           mean_s=mean_s, rate_per_h=rate_per_h, busy=busy)
    scenario = load_scenario_text(text, base_dir=".")
    nodes = np.array([s[0] for s in stations], dtype=np.int64)
    units = np.zeros((len(stations), len(UNIT_TYPES)), dtype=np.int64)
    units[:, UNIT_TYPES.index("engine")] = [s[1] for s in stations]
    none = np.zeros(0, dtype=np.int64)
    world = World(
        network=network,
        population=Population(np.asarray(homes, dtype=np.int64),
                              np.asarray(persons, dtype=np.int64)),
        shelters=Shelters(id=[], name=[], kind=[], x_m=np.zeros(0), y_m=np.zeros(0),
                          node=none, capacity=none),
        stations=Stations(id=[f"F{i + 1}" for i in range(len(stations))],
                          name=[""] * len(stations), x_m=network.node_x_m[nodes],
                          y_m=network.node_y_m[nodes], node=nodes, units=units,
                          turnout_s=np.zeros(len(stations))),
        probes=Probes([], np.zeros(0), np.zeros(0), none),
        terrain=None, crs=None,
    )
    model = CityModel(scenario, replication_seeds(seed, 1)[0], world=world)
    while model.running:
        model.step()
    model.finish()
    return model, model.incidents_frame()


def batch_se(values: np.ndarray, batches: int = 30) -> float:
    """Standard error of the mean of a correlated series, from consecutive batch means."""
    means = np.array([b.mean() for b in np.array_split(np.asarray(values, float), batches)])
    return float(means.std(ddof=1) / np.sqrt(batches))


def _one_station(engines: int, rate_per_h: float, mean_s: float, hours: int, busy: str,
                 seed: int) -> pd.DataFrame:
    """Calls at the station's own node: no turnout, no travel (an M/M/c system)."""
    line = RoadNetwork.from_edges(np.array([0.0, 100.0]), np.zeros(2), np.array([0]),
                                  np.array([1]), length_m=np.array([100.0]),
                                  road_class=np.array([CLASS_INDEX["residential"]]))
    return run_response(line, homes=np.array([0]), persons=np.array([1]),
                        stations=[(0, engines)], rate_per_h=rate_per_h, mean_s=mean_s,
                        hours=hours, busy=busy, seed=seed)[1]


def _erlang(fig_dir: Path) -> list[Check]:
    lost = _one_station(5, 3.0, 3600.0, 10000, "lost", 1)["lost"].to_numpy(float)
    se = batch_se(lost)
    checks = [Check(MODEL, "Erlang B: c = 5, λ = 3/h, E[S] = 1 h, lost calls (10,000 h)",
                    "share of calls lost", 0.110054, QUEUEING, float(lost.mean()),
                    0.01, absolute=True,
                    why=f"3 batch-means standard errors of the run ({se:.4f}), rounded up")]
    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.add_subplot()
    # c, lambda (/h), E[S] (h), C, Wq (min), run (h), tolerance (relative), seed
    cases = ((5, 3.0, 1.0, 0.236152, 7.085, 40000, 0.12, 2),
             (2, 1.2, 0.75, 0.279310, 11.426, 40000, 0.1, 3))
    for c, lam, es, p_wait, wq_min, hours, tol, seed in cases:
        inc = _one_station(c, lam, es * 3600.0, hours, "queue", seed)
        done = inc[inc["t_arrive_s"].notna()]
        wait_min = done["queue_wait_s"].to_numpy(float) / 60.0
        queued = done["queued"].to_numpy(float)
        case = f"Erlang C: c = {c}, λ = {lam:g}/h, E[S] = {es * 60:g} min ({hours:,} h)"
        se_w, se_q = batch_se(wait_min), batch_se(queued)
        checks += [
            Check(MODEL, case, "mean queue wait, call to dispatch (min)", wq_min, QUEUEING,
                  float(wait_min.mean()), tol,
                  why=f"3 batch-means standard errors of the run ({se_w:.3f} min = "
                      f"{se_w / wq_min:.1%}), rounded up", figure="response_erlang_c.png"),
            Check(MODEL, case, "share of calls that wait", p_wait, QUEUEING,
                  float(queued.mean()), 0.02, absolute=True,
                  why=f"3 batch-means standard errors of the run ({se_q:.4f}), rounded up",
                  figure="response_erlang_c.png"),
        ]
        # P(W > t) = C exp(-(c mu - lambda) t) for an M/M/c queue served first come first
        t = np.linspace(0.0, 90.0, 181)
        ax.semilogy(t, [np.mean(wait_min > x) for x in t], label=f"citysim, c = {c}")
        ax.semilogy(t, p_wait * np.exp(-(c / es - lam) * t / 60.0), "k:", lw=1)
    ax.plot([], [], "k:", label="Erlang C: C exp(−(cμ − λ)t)")
    ax.set(xlabel="queue wait t (min)", ylabel="P(wait > t)", ylim=(1e-3, 1),
           title="Waits for a free unit, from the incidents table")
    ax.legend(fontsize=8)
    fig.savefig(fig_dir / "response_erlang_c.png", dpi=110, bbox_inches="tight")
    return checks


def _two_sectors(weights: tuple[int, int], hours: int, seed: int) -> dict[str, np.ndarray]:
    """Larson's 1 x 2 mile region, one engine at the centre of each square sector; lost calls."""
    mile = 1609.344
    cols, rows = 16, 8
    xs, ys = np.meshgrid(np.arange(cols) * 2 * mile / (cols - 1),
                         np.arange(rows) * mile / (rows - 1))
    x, y = xs.ravel(), ys.ravel()
    ids = np.arange(x.size).reshape(rows, cols)
    pairs = np.vstack([np.column_stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()]),
                       np.column_stack([ids[:-1, :].ravel(), ids[1:, :].ravel()])])
    tail, head = np.concatenate([pairs[:, 0], pairs[:, 1]]), np.concatenate([pairs[:, 1],
                                                                             pairs[:, 0]])
    length = np.hypot(x[head] - x[tail], y[head] - y[tail])
    net = RoadNetwork.from_edges(x, y, tail, head, length_m=length,
                                 road_class=np.full(tail.size, CLASS_INDEX["residential"]),
                                 speed_mps=np.full(tail.size, 1e5))  # travel takes no time
    left = x < mile
    persons = np.where(left, weights[0], weights[1])
    centres = [int(np.argmin(np.hypot(x - cx, y - mile / 2))) for cx in (mile / 2, 1.5 * mile)]
    _, inc = run_response(net, homes=np.arange(x.size), persons=persons,
                          stations=[(centres[0], 1), (centres[1], 1)], rate_per_h=2.0,
                          mean_s=1800.0, hours=hours, busy="lost", seed=seed)
    served = inc[~inc["lost"]]
    sector = np.where(left[served["node"].to_numpy()], 0, 1)
    unit = np.where(served["units"].str.startswith("F1").to_numpy(), 0, 1)
    total_s = hours * 3600.0
    start = served["t_dispatch_s"].to_numpy()
    end = np.minimum(served["t_clear_s"].fillna(total_s).to_numpy(), total_s)  # still out
    per_call = [(end - start) * (unit == k) * len(served) / total_s for k in (0, 1)]
    workload = np.array([w.mean() for w in per_call])
    # both free: outside every busy interval of either unit (calls ordered in time)
    times = np.concatenate([start, end])
    step = np.concatenate([np.ones(start.size), -np.ones(end.size)])
    order = np.lexsort((step, times))  # at equal times an end before a start
    times, busy = times[order], np.cumsum(step[order])
    idle = float(np.sum(np.diff(times)[busy[:-1] == 0]) + times[0] + total_s - times[-1])
    across = [((unit == k) & (sector != k)).astype(float) for k in (0, 1)]
    return {"lost": inc["lost"].to_numpy(float), "workload": workload,
            "workload_se": np.array([batch_se(w) for w in per_call]),
            "across": np.array([a.mean() for a in across]),
            "across_se": np.array([batch_se(a) for a in across]),
            "both_free": np.array(idle / total_s)}


def _hypercube(fig_dir: Path) -> list[Check]:
    hours = 10000
    sym = _two_sectors((1, 1), hours, 4)
    asym = _two_sectors((3, 1), hours, 5)
    case = (f"Hypercube, symmetric: λ = 2/h uniform, μ = 2/h, 2 units, lost calls "
            f"({hours:,} h)")
    case_a = f"Hypercube, asymmetric: λ1 = 1.5/h, λ2 = 0.5/h, μ = 2/h ({hours:,} h)"
    def why(se: float) -> str:
        return f"about 3 batch-means standard errors of the run ({se:.4f})"

    wl_se = float(sym["workload_se"].max())
    checks = [
        Check(MODEL, case, "P(both units free)", 0.4, LARSON, float(sym["both_free"]), 0.015,
              absolute=True, why=f"as the workloads' (their standard error {wl_se:.4f})"),
        Check(MODEL, case, "share of calls lost", 0.2, LARSON, float(sym["lost"].mean()),
              0.012, absolute=True, why=why(batch_se(sym["lost"]))),
    ]
    for k in (0, 1):
        checks += [
            Check(MODEL, case, f"workload of unit {k + 1}", 0.4, LARSON,
                  float(sym["workload"][k]), 0.015, absolute=True,
                  why=why(float(sym["workload_se"][k])), figure="response_hypercube.png"),
            Check(MODEL, case, f"share of dispatches: unit {k + 1} across sectors", 0.125,
                  LARSON, float(sym["across"][k]), 0.01, absolute=True,
                  why=why(float(sym["across_se"][k]))),
        ]
    checks.append(Check(MODEL, case_a, "share of calls lost", 0.2, LARSON,
                        float(asym["lost"].mean()), 0.012, absolute=True,
                        why=why(batch_se(asym["lost"]))))
    for k, ref in ((0, 0.45), (1, 0.35)):
        checks.append(Check(MODEL, case_a, f"workload of unit {k + 1}", ref, LARSON,
                            float(asym["workload"][k]), 0.015, absolute=True,
                            why=why(float(asym["workload_se"][k])),
                            figure="response_hypercube.png"))
    fig = Figure(figsize=(6.4, 3.4))
    ax = fig.add_subplot()
    pos = np.arange(4)
    ax.bar(pos - 0.2, [0.4, 0.4, 0.45, 0.35], 0.4, color="0.7", label="Larson (1974)")
    ax.bar(pos + 0.2, [*sym["workload"], *asym["workload"]], 0.4, color="C0",
           label="citysim (incidents table)")
    ax.set_xticks(pos, ["symmetric\nunit 1", "symmetric\nunit 2", "asymmetric\nunit 1",
                        "asymmetric\nunit 2"])
    ax.set(ylabel="workload (share of time busy)", ylim=(0, 0.6),
           title="Two-unit hypercube, lost calls")
    ax.legend(fontsize=8)
    fig.savefig(fig_dir / "response_hypercube.png", dpi=110, bbox_inches="tight")
    return checks


def checks(fig_dir: Path) -> list[Check]:
    """Run the queueing reference cases; draw the Erlang C and hypercube figures."""
    return [*_erlang(fig_dir), *_hypercube(fig_dir)]
