"""``citysim batch``: every combination of ``vary``, each with ``replications`` replications.

Writes ``<out>/runs/<run_id>/`` (a normal result folder per run),
``<out>/batch.parquet`` (one row per run: ``run_id, variant, replication,
seed``, one column per varied path, ``status, error`` and the KPIs of
``summary.json``) and ``<out>/provenance.json``. Resumable: finished runs
are never made again (:mod:`citysim.experiments.runs`).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from citysim.experiments.cluster import open_client
from citysim.experiments.design import design_runs, results_table, write_outputs
from citysim.experiments.runs import RunPool, worker_time
from citysim.experiments.spec import BatchExperiment, Experiment

__all__ = ["ExperimentResult", "batch_variants", "output_dir", "run_batch", "run_variants"]


@dataclass(frozen=True)
class ExperimentResult:
    """What an experiment produced.

    Attributes
    ----------
    out_dir
        The result folder.
    table
        ``batch.parquet``: one row per run.
    made
        Runs made now (the others were found finished).
    worker_time
        Where the workers' time went: :func:`citysim.experiments.runs.worker_time`
        of the runs made now, as ``provenance.json`` records it (empty if
        not measured).
    """

    out_dir: Path
    table: pd.DataFrame
    made: int
    worker_time: dict[str, Any] = field(default_factory=dict, kw_only=True)

    @property
    def failed(self) -> int:
        """Runs that failed."""
        return int((self.table["status"] != "ok").sum())


def output_dir(experiment: Experiment, out: Path | None = None) -> Path:
    """The result folder: ``out``, else the experiment's ``out``, else ``results/<file name>``."""
    if out is not None:
        return Path(out).absolute()
    if experiment.out is not None:
        return experiment.out
    stem = experiment.source_file.stem if experiment.source_file else experiment.kind
    return (Path("results") / stem).absolute()


def batch_variants(experiment: BatchExperiment) -> list[dict[str, Any]]:
    """The Cartesian product of ``vary``, in the order written (the last path fastest)."""
    paths = list(experiment.vary)
    return [dict(zip(paths, combo, strict=True))
            for combo in itertools.product(*(experiment.vary[p] for p in paths))]


def run_variants(
    experiment: Experiment,
    variants: Sequence[Mapping[str, Any]],
    *,
    locate: Callable[[int, str], tuple[str | int, ...]],
    desc: str,
    out: Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
    variant_column: str = "variant",
    extra: Mapping[str, Any] | None = None,
) -> ExperimentResult:
    """Run every variant with the experiment's replications, as a batch, and write the table.

    Plans the runs (every variant loaded first: bad input stops before any
    run), makes those not yet finished, and writes ``batch.parquet`` and
    ``provenance.json`` (:func:`citysim.experiments.design.write_outputs`).

    Parameters
    ----------
    experiment, variants, locate
        As :func:`citysim.experiments.design.design_runs`.
    desc
        Progress-bar label.
    out, workers, scheduler, progress
        As :func:`run_batch`.
    variant_column
        Name of the variant index column (``variant``; ``sample`` for sweeps).
    extra
        More provenance (the sample design).

    Raises
    ------
    ScenarioError
        When the base scenario or a variant is bad input (nothing is run).
    """
    started, t0 = datetime.now(UTC), time.perf_counter()
    plan = design_runs(experiment, variants, locate=locate)
    out_dir = output_dir(experiment, out)
    t_workers = time.perf_counter()
    with open_client(workers, scheduler) as client:
        pool = RunPool(out_dir / "runs", client=client, progress=progress)
        records = pool.run(plan.specs, desc=desc)
        wall_s = time.perf_counter() - t_workers  # the cluster's start in, its shutdown out
        threads = 1 if client is None else sum(client.nthreads().values())
    spent = worker_time((records[rid] for rid in pool.made), workers=threads, wall_s=wall_s)
    table = results_table(plan, records, variants, variant_column=variant_column)
    write_outputs(out_dir, experiment, plan, table, started=started, t0=t0,
                  made=len(pool.made), extra={**(extra or {}), "worker_time": spent})
    return ExperimentResult(out_dir, table, len(pool.made), worker_time=spent)


def run_batch(
    experiment: BatchExperiment,
    *,
    out: Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
) -> ExperimentResult:
    """Run a batch experiment (resuming any earlier attempt) and write its results.

    Parameters
    ----------
    experiment
        A loaded ``kind: batch`` experiment (:func:`citysim.experiments.load_experiment`).
    out
        Result folder (default: :func:`output_dir`).
    workers, scheduler
        Where the runs are made (:func:`citysim.experiments.cluster.open_client`).
    progress
        Show a progress bar.

    Raises
    ------
    ScenarioError
        When the base scenario or a variant is bad input (nothing is run).
    """
    variants = batch_variants(experiment)
    paths = list(experiment.vary)

    def locate(v: int, path: str) -> tuple[str | int, ...]:
        # the index of variant v's value along `path` (row-major product, last fastest)
        index, stride = v, 1
        for p in reversed(paths):
            if p == path:
                return ("vary", path, (index // stride) % len(experiment.vary[p]))
            stride *= len(experiment.vary[p])
        return ("vary", path)

    return run_variants(experiment, variants, locate=locate, desc=experiment.base.stem, out=out,
                        workers=workers, scheduler=scheduler, progress=progress)
