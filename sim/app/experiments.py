"""``citysim batch``, ``sweep`` and ``calibrate``: an experiment file in, its result folder out.

The experiments themselves are :mod:`citysim.experiments`; here an
experiment given by its file is loaded and checked to be of the verb's kind.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypeVar

from citysim.app.folders import check_output_folder
from citysim.errors import Problem, ScenarioError
from citysim.experiments import load_experiment
from citysim.experiments import run_batch as _run_batch
from citysim.experiments import run_calibration as _run_calibration
from citysim.experiments import run_sweep as _run_sweep
from citysim.experiments.batch import ExperimentResult, output_dir
from citysim.experiments.calibrate import CalibrationResult
from citysim.experiments.spec import (
    BatchExperiment,
    CalibrateExperiment,
    Experiment,
    SweepExperiment,
)
from citysim.experiments.sweep import SweepResult

__all__ = ["load", "run_batch", "run_calibration", "run_sweep"]

E = TypeVar("E", bound=Experiment)
PathLike = str | os.PathLike[str]
VERBS: dict[type[Experiment], str] = {BatchExperiment: "batch", SweepExperiment: "sweep",
                                      CalibrateExperiment: "calibrate"}
"""The verb (and ``kind:``) of each experiment type."""


def load(experiment: Experiment | PathLike, kind: type[E], *, workers: int | None = None) -> E:
    """The experiment (loaded from its file if need be), checked to be of ``kind``.

    Raises
    ------
    ScenarioError
        When the file is bad input, of another kind, or ``workers`` is negative.
    """
    loaded = experiment if isinstance(experiment, Experiment) else load_experiment(experiment)
    if not isinstance(loaded, kind):
        want = VERBS[kind]
        raise ScenarioError([Problem("kind", f"citysim {want} needs kind: {want}, got "
                                             f"{loaded.kind}")], source=loaded.source_file)
    if workers is not None and workers < 0:
        raise ScenarioError([Problem("--workers", f"expected 0 or more, got {workers}")])
    return loaded


def _out(experiment: Experiment, out: PathLike | None) -> Path:
    """The experiment's result folder, checked before anything runs (``--out``, else ``out``)."""
    folder = output_dir(experiment, None if out is None else Path(out))
    key = "--out" if out is not None else "out"
    try:
        return check_output_folder(folder, key)
    except ScenarioError as err:
        if key == "out" and experiment.source_file is not None:
            raise err.with_source(experiment.source_file) from None
        raise


def run_batch(
    experiment: BatchExperiment | PathLike,
    *,
    out: PathLike | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
) -> ExperimentResult:
    """Run a batch experiment (resuming an earlier attempt) and write ``batch.parquet``.

    Parameters
    ----------
    experiment
        A ``kind: batch`` experiment file, or the loaded experiment.
    out
        Result folder (default: the experiment's ``out``, else
        ``results/<file name>``).
    workers
        Worker processes of a local Dask cluster (default one per core; 0:
        this process).
    scheduler
        Address of a running Dask scheduler, instead of ``workers``.
    progress
        Show a progress bar.
    """
    loaded = load(experiment, BatchExperiment, workers=workers)
    return _run_batch(loaded, out=_out(loaded, out), workers=workers,
                      scheduler=scheduler, progress=progress)


def run_sweep(
    experiment: SweepExperiment | PathLike,
    *,
    out: PathLike | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
) -> SweepResult:
    """Run a sensitivity sweep (resuming an earlier attempt) and write its indices.

    Parameters are those of :func:`run_batch`, for a ``kind: sweep`` experiment.
    """
    loaded = load(experiment, SweepExperiment, workers=workers)
    return _run_sweep(loaded, out=_out(loaded, out), workers=workers,
                      scheduler=scheduler, progress=progress)


def run_calibration(
    experiment: CalibrateExperiment | PathLike,
    *,
    out: PathLike | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
) -> CalibrationResult:
    """Fit parameters to an observation and write the trials and the best set.

    Parameters are those of :func:`run_batch`, for a ``kind: calibrate`` experiment.
    """
    loaded = load(experiment, CalibrateExperiment, workers=workers)
    return _run_calibration(loaded, out=_out(loaded, out), workers=workers,
                            scheduler=scheduler, progress=progress)
