"""The runs of an experiment: seeds, content-derived ids, execution, resumption.

Every run of a batch, sweep or calibration is one replication of one
scenario, written as a normal result folder ``<out>/runs/<run_id>/``:

- **replications**: replication ``r`` of an experiment with base seed ``s``
  is replication ``r`` of ``citysim run`` with ``run.seed: s``: the same
  city (built from ``s``), the dynamics from ``SeedSequence(s).spawn(n)[r]``
  (:func:`citysim.simulation.simulate` with ``replication=r``). Every variant
  uses the same replications (common random numbers), so variants differ
  by their values, not by luck. Run ``r`` is reproduced by
  ``citysim run BASE --set ... --seed s --set run.replications=R`` (its
  row ``r``), with the overrides its ``provenance.json`` records.
- **ids**: ``run_id`` is the first 16 hex digits of the SHA-256 of the
  resolved scenario (defaults filled, durations in seconds, CSV sites
  inline) with its seed and the replication index, without ``outputs.dir``
  (:func:`run_id`): two runs with the same content share an id, whatever
  the experiment that asked for them.
- **one city per worker**: a worker builds a city once and reuses it for
  every run it makes of the same city and seed (:func:`world_of`): the
  replications of a variant, and the variants that change only behaviour,
  response or hazards, share it. Likewise it loads a scenario file with the
  same overrides once (:func:`scenario_of`): the replications of a variant
  differ only by their index.
- **completion**: the run's folder is swapped in whole
  (:func:`citysim.results.write_results`, which also removes what a killed
  attempt left), then ``run.json`` (status, seed, replication, KPIs) is written
  atomically into it. A run folder with
  ``run.json`` is finished and never run again; one without it (killed
  mid-way, or failed: ``error.json`` holds the traceback) is run again.
"""

from __future__ import annotations

import hashlib
import json
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from citysim.io.atomic import write_json
from citysim.scenario import Override

if TYPE_CHECKING:
    from citysim.scenario import Scenario
    from citysim.world.builder import World

__all__ = [
    "RUN_RECORD",
    "WORLDS_KEPT",
    "RunPool",
    "RunSpec",
    "execute_run",
    "read_record",
    "run_id",
    "scenario_of",
    "worker_time",
    "world_of",
]

WORLDS_KEPT = 2
"""Cities a worker keeps built (the most recently used), for the runs that share one."""
_WORLDS: OrderedDict[str, World] = OrderedDict()
SCENARIOS_KEPT = 8
"""Loaded scenarios a worker keeps (the most recently used), for the runs that share one."""
_SCENARIOS: OrderedDict[tuple[Any, ...], tuple[Any, ...]] = OrderedDict()
"""Kept scenarios: ``(scenario, files it reads, their sizes and times)`` by file and overrides."""

STAGES = ("load", "world", "model", "tables", "write")
"""Where a run's time goes (its record's ``timing_s``), in order."""
RUN_RECORD = "run.json"
"""Written last into a finished run folder: the run is complete."""
ERROR_RECORD = "error.json"
"""Written into the folder of a run that failed (the run is tried again on resumption)."""


def run_id(resolved: dict[str, Any], inputs: Sequence[str] = (), *, replication: int = 0) -> str:
    """Content-derived id of a run: 16 hex digits of the SHA-256 of its resolved scenario.

    Parameters
    ----------
    resolved
        :meth:`citysim.scenario.Scenario.resolved` of the run's scenario (with its
        seed); ``outputs.dir`` is left out (it does not change the results).
    inputs
        SHA-256 of every input file the scenario reads (a network, a DEM, a
        CSV): a run on changed data is a new run, even under the same path.
    replication
        The replication index the run makes.
    """
    data = dict(resolved)
    data["replication"] = int(replication)
    data["outputs"] = {k: v for k, v in resolved.get("outputs", {}).items() if k != "dir"}
    if inputs:
        data["input_sha256"] = list(inputs)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class RunSpec:
    """One run to make: a scenario file, overrides, a seed and a replication.

    Attributes
    ----------
    run_id
        Content-derived id (:func:`run_id`).
    base
        The scenario file (absolute).
    overrides
        Applied in order at load; they include ``run.seed`` and
        ``run.replications=1``.
    seed
        The run seed (also in ``overrides``): the experiment's base seed.
    replication
        The replication of ``citysim run`` this run makes (0-based).
    """

    run_id: str
    base: str
    overrides: tuple[Override, ...]
    seed: int
    replication: int = 0


def world_of(scenario: Scenario) -> World:
    """The scenario's city, built once per worker for every run that shares it.

    Two scenarios share a city when everything :func:`citysim.build_world`
    reads is the same: ``city`` (data files by path: a batch does not change
    its inputs while it runs), ``shelters``, ``stations``, the probes,
    ``outputs.geojson``, ``response.out_of_service`` and ``run.seed``. The
    :data:`WORLDS_KEPT` most recently used cities are kept; the model never
    changes its world (the replications of a run share one too).
    """
    from citysim.rng import world_streams
    from citysim.world.builder import build_world

    r = scenario.resolved()
    reads = {"city": r["city"], "shelters": r.get("shelters"), "stations": r.get("stations"),
             "probes": r["outputs"].get("probes"), "geojson": r["outputs"].get("geojson"),
             "out_of_service": r["response"].get("out_of_service"), "seed": r["run"]["seed"]}
    key = hashlib.sha256(json.dumps(reads, sort_keys=True).encode("utf-8")).hexdigest()
    world: World = _kept(_WORLDS, WORLDS_KEPT, key,
                         lambda: build_world(scenario, world_streams(int(scenario.run.seed))))
    return world


def scenario_of(spec: RunSpec) -> Scenario:
    """The run's scenario, loaded once per worker for every run that shares file and overrides.

    The replications of a variant differ only by their index, which is not
    an override: they share one loaded scenario (the model never changes it,
    as the replications of ``citysim run`` share one too). A kept scenario
    is loaded again when the scenario file or an input file it reads (a
    network, a CSV of sites ...) changed size or modification time since;
    the :data:`SCENARIOS_KEPT` most recently used are kept.
    """
    from citysim.io.data_sources import input_files
    from citysim.scenario import load_scenario

    key = (spec.base, tuple(o.text for o in spec.overrides))
    kept = _SCENARIOS.get(key)
    if kept is not None and _stamps(kept[1]) != kept[2]:
        del _SCENARIOS[key]  # a file it reads changed

    def load() -> tuple[Scenario, tuple[Path, ...], tuple[tuple[int, int], ...] | None]:
        scenario = load_scenario(spec.base, overrides=spec.overrides)
        files = (Path(spec.base), *input_files(scenario))
        return scenario, files, _stamps(files)

    scenario: Scenario = _kept(_SCENARIOS, SCENARIOS_KEPT, key, load)[0]
    return scenario


def _stamps(files: Sequence[Path]) -> tuple[tuple[int, int], ...] | None:
    """Size and modification time of each file; ``None`` when one is gone."""
    try:
        return tuple((st.st_size, st.st_mtime_ns) for st in (f.stat() for f in files))
    except OSError:
        return None


def _kept(cache: OrderedDict[Any, Any], size: int, key: Any, make: Callable[[], Any]) -> Any:
    """``cache[key]``, made by ``make()`` when missing; only the ``size`` latest used kept."""
    value = cache.pop(key, None)
    if value is None:
        value = make()
    cache[key] = value
    while len(cache) > size:
        cache.popitem(last=False)
    return value


def read_record(run_dir: Path) -> dict[str, Any] | None:
    """The ``run.json`` of a finished run, or ``None`` when the run is not finished."""
    path = Path(run_dir) / RUN_RECORD
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None


def execute_run(spec: RunSpec, runs_dir: str) -> dict[str, Any]:
    """Make one run (in this process or on a Dask worker) and return its record.

    A finished run is not made again: its ``run.json`` is returned. Any
    exception of the run (bad input that only the built city reveals
    included) is caught and returned as a failed record; ``error.json`` keeps
    its traceback.

    Parameters
    ----------
    spec
        The run.
    runs_dir
        Folder of the run folders.

    Returns
    -------
    dict
        ``run_id, status ("ok" | "failed"), error, seed, replication, summary``;
        a run made here adds ``timing_s``: seconds spent loading the scenario,
        getting its city (:func:`world_of`), in the model (building, stepping
        and summarising it), making its tables and provenance, and writing
        files.
    """
    run_dir = Path(runs_dir) / spec.run_id
    done = read_record(run_dir)
    if done is not None:
        return done
    from citysim.results import write_results
    from citysim.simulation import simulate

    t0 = time.perf_counter()
    clock = [t0]
    try:
        scenario = scenario_of(spec)
        clock.append(time.perf_counter())
        world = world_of(scenario)
        clock.append(time.perf_counter())
        out = simulate(scenario, replication=spec.replication, world=world)
        clock.append(time.perf_counter())
        write_results(out, run_dir, plots=bool(scenario.outputs.plots),
                      geojson=bool(scenario.outputs.geojson))
        clock.append(time.perf_counter())
    except Exception as exc:  # a failed run is recorded, the experiment goes on
        text = _error_text(exc)
        write_json(run_dir / ERROR_RECORD, {
            "run_id": spec.run_id, "error": text, "traceback": traceback.format_exc(),
            "wall_time_s": time.perf_counter() - t0})
        return {"run_id": spec.run_id, "status": "failed", "error": text, "seed": spec.seed,
                "replication": spec.replication, "summary": {}}
    load_s, world_s, simulate_s, write_s = (clock[n + 1] - clock[n] for n in range(4))
    model_s = float(out.replications["wall_time_s"].sum())  # the replication, model only
    timing = dict(zip(STAGES, (load_s, world_s, model_s, simulate_s - model_s, write_s),
                      strict=True))
    record = {"run_id": spec.run_id, "status": "ok", "error": None, "seed": spec.seed,
              "replication": spec.replication, "summary": out.summary, "timing_s": timing}
    write_json(run_dir / RUN_RECORD, record)
    return record


def worker_time(
    records: Iterable[Mapping[str, Any]], *, workers: int, wall_s: float
) -> dict[str, Any]:
    """Where the workers' time went while they made ``records``.

    Parameters
    ----------
    records
        The records of the runs made (:func:`execute_run`; those found
        finished have no ``timing_s`` and count nothing).
    workers
        Worker threads that made them (1 in this process).
    wall_s
        Wall time from the start of the workers (the cluster's start
        included) to the last record (s).

    Returns
    -------
    dict
        ``wall_s``, ``workers``; ``spent_s``: seconds of each of
        :data:`STAGES` summed over the runs; ``share``: each stage's share
        of ``workers x wall_s`` and ``rest`` (process start, imports,
        scheduling, idle workers); ``inside_models``: the share of ``model``.
    """
    spent = dict.fromkeys(STAGES, 0.0)
    for record in records:
        for stage, seconds in record.get("timing_s", {}).items():
            spent[stage] = spent.get(stage, 0.0) + float(seconds)
    capacity = workers * wall_s
    share = {k: v / capacity if capacity > 0 else 0.0 for k, v in spent.items()}
    share["rest"] = 1.0 - sum(share.values()) if capacity > 0 else 0.0
    return {"wall_s": wall_s, "workers": workers, "spent_s": spent, "share": share,
            "inside_models": share["model"]}


def _error_text(exc: Exception) -> str:
    from citysim.errors import ScenarioError

    if isinstance(exc, ScenarioError):  # what the built city revealed, with its YAML path
        return "ScenarioError: " + "; ".join(str(p) for p in exc.problems)
    return f"{type(exc).__name__}: {exc}"


@dataclass
class RunPool:
    """Makes runs, in this process or on a Dask cluster, skipping finished ones.

    Parameters
    ----------
    runs_dir
        Folder of the run folders (``<out>/runs``); on a cluster, every
        worker must see it at the same path.
    client
        A ``distributed.Client``; ``None`` runs in this process, one run after
        another.
    progress
        Show a progress bar (runs done, failed, remaining) on stderr.

    Attributes
    ----------
    made
        Ids of the runs this pool made (not found finished).
    """

    runs_dir: Path
    client: Any = None
    progress: bool = False
    made: list[str] = field(default_factory=list)

    def run(self, specs: Sequence[RunSpec], *, desc: str = "runs") -> dict[str, dict[str, Any]]:
        """Make the runs not yet finished and return every run's record by id.

        Parameters
        ----------
        specs
            The runs (duplicates of an id are made once).
        desc
            Progress-bar label.
        """
        unique = {s.run_id: s for s in specs}
        records: dict[str, dict[str, Any]] = {}
        for rid in unique:
            done = read_record(self.runs_dir / rid)
            if done is not None:
                records[rid] = done
        todo = [s for rid, s in unique.items() if rid not in records]
        failed = 0
        with tqdm(total=len(unique), initial=len(records), desc=desc, unit="run",
                  disable=not self.progress, dynamic_ncols=True) as bar:

            def finish(record: dict[str, Any]) -> None:
                nonlocal failed
                records[record["run_id"]] = record
                self.made.append(record["run_id"])
                failed += record["status"] != "ok"
                bar.update(1)
                bar.set_postfix_str(f"done {len(records) - failed}, failed {failed}, "
                                    f"remaining {len(unique) - len(records)}")

            if self.client is None:
                for spec in todo:
                    finish(execute_run(spec, str(self.runs_dir)))
            else:
                self._run_on_cluster(todo, finish)
        return records

    def _run_on_cluster(self, todo: Sequence[RunSpec], finish: Any) -> None:
        from distributed import as_completed

        futures = {}
        for spec in todo:
            future = self.client.submit(execute_run, spec, str(self.runs_dir),
                                        key=f"citysim-run-{spec.run_id}", pure=False)
            futures[future] = spec
        for future in as_completed(futures):
            spec = futures[future]
            try:
                record = future.result()
            except Exception as exc:  # the worker died (killed, out of memory)
                record = {"run_id": spec.run_id, "status": "failed",
                          "error": f"{type(exc).__name__}: {exc}", "seed": spec.seed,
                          "replication": spec.replication, "summary": {}}
            finish(record)
            future.release()
