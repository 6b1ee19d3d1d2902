"""Experiment benchmarks: batch throughput on Dask, and a worker's start-up with a warm cache.

``batch_2_workers_vs_1`` makes the same batch of runs (one scenario, as many
seeds as runs) on a ``LocalCluster`` of two single-threaded worker processes
and on one of a single worker, both started and warmed (one run each)
outside the timing; each timed call writes to a fresh folder, so no run is
found finished. ``ratio = time on 1 worker / time on 2 workers``: the
throughput gain of the second worker (target 1.8 on two cores).

``worker_startup_warm_cache`` starts a one-worker ``LocalCluster`` with
``NUMBA_CACHE_DIR`` pointing at an empty folder and times its start and
first run (numba compiles every kernel and fills the cache), then does the
same again with the cache now warm. ``ratio = cold / warm``: what sharing
the compile cache saves each new worker. Full and quick sizes only (a cold
compile takes several seconds of CPU).

``batch_overhead`` makes a batch of many small runs (200 at full size: the
replications of one small town, so they share its city) on a new
two-worker ``LocalCluster`` and says where the workers' time went: the
share inside models (``timing_s.model`` of each run record: building the
model, stepping it, its KPIs), against loading scenarios, getting the city,
writing result folders, and the rest (process start, imports, scheduling).
``ratio = time inside models / (2 workers x wall time from the cluster's
start to the last record)`` (target 0.8).
"""

from __future__ import annotations

import itertools
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import pandas as pd

from benchmarks.common import BenchResult, compare, register
from citysim.experiments.cluster import open_client
from citysim.experiments.runs import RunPool, RunSpec, execute_run, run_id, worker_time
from citysim.scenario import Override, load_scenario

# side of the grid, residents, simulated time, runs in the batch
BATCH_CASE = {
    "full": (20, 20000, "1h", 16),
    "quick": (10, 3000, "30min", 8),
    "smoke": (5, 300, "10min", 4),
}
# side of the grid, residents, simulated time, runs in the batch
OVERHEAD_CASE = {
    "full": (8, 2000, "20min", 200),
    "quick": (8, 2000, "20min", 40),
    "smoke": (5, 300, "5min", 6),
}
OVERHEAD_TARGET = 0.8
BATCH_TARGET = 1.8
STARTUP_TARGET = 2.0

TOWN = """\
name: bench-batch
run: {{duration: {duration}, dt: 5s, seed: 1}}
city:
  network:
    synthetic: {{kind: grid, rows: {side}, cols: {side}, block_m: 150, arterial_every: 5}}
  population: {{residents: {residents}, persons_per_agent: 1}}
shelters:
  - {{id: S1, location: {{x: 0, y: 0}}, capacity: {cap}}}
  - {{id: S2, location: {{x: {far}, y: {far}}}, capacity: {cap}}}
behaviour:
  warnings: [{{at: 0, reach: 1.0}}]
  response_delay: {{dist: lognormal, median: 3min, sigma: 0.6}}
  action: evacuate
outputs: {{every: 1min, plots: false}}
"""


def _specs(folder: Path, size: str, cases: dict = BATCH_CASE) -> list[RunSpec]:
    side, residents, duration, n_runs = cases[size]
    path = folder / "town.yaml"
    path.write_text(TOWN.format(side=side, residents=residents, duration=duration,
                                cap=residents, far=(side - 1) * 150))
    overrides = (Override.of("run.seed", 1),)
    resolved = load_scenario(path, overrides=overrides).resolved()
    return [RunSpec(run_id(resolved, replication=i), str(path), overrides, 1, i)
            for i in range(n_runs)]


def _kpis(records: dict[str, dict]) -> pd.DataFrame:
    rows = {rid: {k: v for k, v in rec["summary"].items() if k != "wall_time_s"}
            for rid, rec in records.items()}
    return pd.DataFrame(rows).T.sort_index()


@register("batch_2_workers_vs_1")
def bench_batch(size: str, repeats: int) -> BenchResult:
    with tempfile.TemporaryDirectory(prefix="citysim-bench-batch-") as tmp, ExitStack() as stack:
        root = Path(tmp)
        specs = _specs(root, size)
        counter = itertools.count()
        results: dict[int, pd.DataFrame] = {}
        clients = {}
        for n in (1, 2):
            clients[n] = stack.enter_context(open_client(n))
            # warm-up: every worker imports citysim and loads the compiled kernels
            RunPool(root / f"warm{n}", client=clients[n]).run(specs[:n])

        def make(n: int):
            def go() -> None:
                pool = RunPool(root / f"b{n}-{next(counter)}", client=clients[n])
                results[n] = _kpis(pool.run(specs))
            return go

        ours_s, ref_s, first_s = compare(make(2), make(1), repeats)
    agree = results[1].equals(results[2]) and len(results[1]) == len(specs)
    side, residents, duration, n_runs = BATCH_CASE[size]
    return BenchResult(
        ours_s, ref_s, BATCH_TARGET,
        f"{n_runs} runs ({residents:,} residents, {side}x{side} grid, {duration} at dt 5 s), "
        f"LocalCluster 2 workers vs 1 (ratio = throughput gain)",
        first_s, agree)


def _first_run_on_new_worker(cache_dir: Path, spec: RunSpec, out: Path) -> tuple[float, bool]:
    """Seconds from starting a one-worker cluster to its first finished run; cache dir used?"""
    t0 = time.perf_counter()
    with open_client(1, env={"NUMBA_CACHE_DIR": str(cache_dir)}) as client:
        record = client.submit(execute_run, spec, str(out), pure=False).result()
        elapsed = time.perf_counter() - t0
        used = client.run(lambda: __import__("numba").config.CACHE_DIR)
    return elapsed, record["status"] == "ok" and set(used.values()) == {str(cache_dir)}


@register("worker_startup_warm_cache")
def bench_startup(size: str, repeats: int) -> BenchResult:
    if size == "smoke":
        return BenchResult(0.0, 0.0, STARTUP_TARGET,
                           "full and quick sizes only (a cold compile takes seconds)",
                           skipped=True)
    with tempfile.TemporaryDirectory(prefix="citysim-bench-cache-") as tmp:
        root = Path(tmp)
        cache = root / "numba-cache"
        cache.mkdir()
        spec = _specs(root, size)[0]
        cold_s, cold_ok = _first_run_on_new_worker(cache, spec, root / "cold")
        n_files = sum(1 for _ in cache.rglob("*.nbc"))
        warm = [_first_run_on_new_worker(cache, spec, root / f"warm{i}")
                for i in range(max(1, repeats))]
    warm_s = min(w for w, _ in warm)
    agree = cold_ok and all(ok for _, ok in warm) and n_files > 0
    return BenchResult(
        warm_s, cold_s, STARTUP_TARGET,
        f"new 1-worker LocalCluster + first run, NUMBA_CACHE_DIR warm ({n_files} compiled "
        "kernels cached) vs empty (ratio = cold / warm)", 0.0, agree)


@register("batch_overhead")
def bench_batch_overhead(size: str, repeats: int) -> BenchResult:
    n_workers = 2
    with tempfile.TemporaryDirectory(prefix="citysim-bench-overhead-") as tmp:
        root = Path(tmp)
        specs = _specs(root, size, OVERHEAD_CASE)
        t0 = time.perf_counter()
        with open_client(n_workers) as client:
            records = RunPool(root / "runs", client=client).run(specs)
            wall = time.perf_counter() - t0
    spent = worker_time(records.values(), workers=n_workers, wall_s=wall)
    in_runs = sum(spent["spent_s"].values())
    side, residents, duration, n_runs = OVERHEAD_CASE[size]
    shares = ", ".join(f"{k} {v:.0%}" for k, v in spent["share"].items() if k != "rest")
    return BenchResult(
        n_workers * wall, spent["spent_s"]["model"], OVERHEAD_TARGET,
        f"{n_runs} runs ({residents:,} residents, {side}x{side} grid, {duration} at dt 5 s, "
        f"one city) on a new {n_workers}-worker LocalCluster, {wall:.1f} s wall; worker time: "
        f"{shares}, start/imports/scheduling {spent['share']['rest']:.0%}; inside runs "
        f"{spent['spent_s']['model'] / in_runs:.0%} in models, "
        f"{in_runs / len(records) * 1e3:.0f} ms a run (ratio = share in models)",
        0.0, all(rec["status"] == "ok" for rec in records.values()) and len(records) == n_runs)
