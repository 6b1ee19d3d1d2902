"""``citysim batch``: every combination of ``vary``, each with ``replications`` seeds.

Writes ``<out>/runs/<run_id>/`` (a normal result folder per run),
``<out>/batch.parquet`` (one row per run: ``run_id, variant, replication,
seed``, one column per varied path, ``status, error`` and the KPIs of
``summary.json``) and ``<out>/provenance.json``. Resumable: finished runs
are never made again (:mod:`sim.experiments.runs`).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.cluster import open_client
from sim.experiments.plan import plan_runs, results_table, write_outputs
from sim.experiments.runs import RunPool
from sim.experiments.spec import BatchExperiment, Experiment

__all__ = ["ExperimentResult", "batch_variants", "output_dir", "run_batch"]


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
    """

    out_dir: Path
    table: pd.DataFrame
    made: int

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
        A loaded ``kind: batch`` experiment (:func:`sim.experiments.load_experiment`).
    out
        Result folder (default: :func:`output_dir`).
    workers, scheduler
        Where the runs are made (:func:`sim.experiments.cluster.open_client`).
    progress
        Show a progress bar.

    Raises
    ------
    ScenarioError
        When the base scenario or a variant is bad input (nothing is run).
    """
    started, t0 = datetime.now(UTC), time.perf_counter()
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

    plan = plan_runs(experiment, variants, locate=locate)
    out_dir = output_dir(experiment, out)
    with open_client(workers, scheduler) as client:
        pool = RunPool(out_dir / "runs", client=client, progress=progress)
        records = pool.run(plan.specs, desc=experiment.base.stem)
    table = results_table(plan, records, variants)
    write_outputs(out_dir, experiment, plan, table, started=started, t0=t0, made=len(pool.made))
    return ExperimentResult(out_dir, table, len(pool.made))
