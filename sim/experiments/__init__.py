"""Experiments at scale: batches, sensitivity sweeps and calibrations, on Dask.

>>> from citysim.experiments import load_experiment, run_batch
>>> experiment = load_experiment("experiments/shelter-plans.yaml")   # doctest: +SKIP
>>> result = run_batch(experiment, workers=2)                        # doctest: +SKIP
>>> result.table[["variant", "replication", "status", "evacuated"]]  # doctest: +SKIP

Every run is a normal result folder ``<out>/runs/<run_id>/`` with a
content-derived id; finished runs are never made again, so an interrupted
experiment is finished by starting it again (:mod:`citysim.experiments.runs`).
"""

from citysim.experiments.batch import ExperimentResult, batch_variants, output_dir, run_batch
from citysim.experiments.calibrate import CalibrationResult, run_calibration
from citysim.experiments.cluster import open_client
from citysim.experiments.runs import RunPool, RunSpec, execute_run, run_id
from citysim.experiments.spec import (
    BatchExperiment,
    CalibrateExperiment,
    Experiment,
    SweepExperiment,
    Target,
    load_experiment,
)
from citysim.experiments.sweep import SweepResult, run_sweep

__all__ = [
    "BatchExperiment",
    "CalibrateExperiment",
    "CalibrationResult",
    "Experiment",
    "ExperimentResult",
    "RunPool",
    "RunSpec",
    "SweepExperiment",
    "SweepResult",
    "Target",
    "batch_variants",
    "execute_run",
    "load_experiment",
    "open_client",
    "output_dir",
    "run_batch",
    "run_calibration",
    "run_id",
    "run_sweep",
]
