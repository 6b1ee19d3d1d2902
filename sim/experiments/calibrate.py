"""``citysim calibrate``: fit scenario parameters so that a simulated output matches a target.

The optimiser is scipy's differential evolution (``scipy.optimize.
differential_evolution``), chosen over optuna because it

- is global and derivative-free on a box of parameter ranges, which is what
  a calibration of a few behaviour or response parameters is;
- evaluates a whole generation at once (``vectorized=True``,
  ``updating="deferred"``): each generation is one batch of runs, made in
  parallel on the Dask cluster and resumable like any batch (a restarted
  calibration finds its earlier runs finished and goes on from there);
- is reproducible from one seed, and is already a dependency (scipy).

Noise: every parameter set is run with the same ``replications`` seeds
(common random numbers), and the loss compares the replications' mean with
the target, so that two parameter sets differ by their values, not by luck.
``polish`` (a gradient step) is off: gradients of a simulation are noise.

Losses (smaller is better): a curve, the root mean square difference
between the replications' mean curve and the observed values (in the target
column's unit); a distribution, the same over the quantile levels, each
simulated quantile the mean of the replications' own; KPIs, the root mean
square relative difference of the replications' means.

Writes ``best.json`` (the best parameters and their loss), ``fit.csv``
(observed against simulated at the best parameters: ``x, observed,
simulated, simulated_min, simulated_max``), ``trials.parquet`` (every
parameter set tried, its generation and loss), ``batch.parquet`` (every
run, ``trial`` as the variant), ``provenance.json`` and ``plots/fit.png``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from citysim.errors import ScenarioError
from citysim.experiments.batch import ExperimentResult, output_dir
from citysim.experiments.cluster import open_client
from citysim.experiments.design import (
    DesignedRun,
    Plan,
    base_output_names,
    design_runs,
    results_table,
    write_outputs,
)
from citysim.experiments.runs import RunPool
from citysim.experiments.spec import CalibrateExperiment, experiment_problem, raise_if
from citysim.io.atomic import write_atomic, write_json, write_parquet

__all__ = ["CalibrationResult", "Observed", "check_target", "read_target", "run_calibration"]

FAILED_LOSS = 1e30
"""Loss of a parameter set whose runs failed (finite, so that the optimiser's statistics hold)."""
ALIASES = {"arrived_fraction": "evacuated_fraction"}
"""Names of simulated curves that mean another (persons in a shelter are the arrived)."""


@dataclass(frozen=True)
class Observed:
    """The target as numbers.

    Attributes
    ----------
    form
        ``curve``, ``distribution`` or ``kpis``.
    x
        Times (s), quantile levels, or KPI names.
    y
        Observed values at ``x``.
    label
        What is compared (for the figure).
    """

    form: str
    x: np.ndarray
    y: np.ndarray
    label: str


def read_target(experiment: CalibrateExperiment) -> Observed:
    """Read the observed data of a calibration.

    Raises
    ------
    ScenarioError
        When the CSV cannot be read or lacks a column, or a value is not a
        number (at ``target.<key>`` of the experiment file).
    """
    target = experiment.target
    if target.kpis is not None:  # the "kpis" form
        names = list(target.kpis)
        return Observed("kpis", np.array(names), np.array([target.kpis[n] for n in names]),
                        "KPI value")
    assert target.csv is not None and target.column is not None, "no kpis: a csv and its column"
    try:
        frame = pd.read_csv(target.csv, comment="#")
    except (OSError, ValueError) as exc:
        raise_if([experiment_problem(experiment, ("target", "csv"),
                                     f"cannot read {target.csv}: {exc}")], experiment)
    columns = [target.column] + ([target.against] if target.form == "curve" else [])
    keys = ["column", "against"]
    problems = [experiment_problem(experiment, ("target", key),
                                   f"no column {name!r} in {target.csv.name} (it has: "
                                   f"{', '.join(map(str, frame.columns))})")
                for key, name in zip(keys, columns, strict=False) if name not in frame.columns]
    raise_if(problems, experiment)
    data = frame[columns].apply(pd.to_numeric, errors="coerce")
    bad = data.isna().any(axis=1) | ~np.isfinite(data.to_numpy(dtype=float)).all(axis=1)
    if bad.all() or (target.form == "curve" and bad.any()):
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise_if([experiment_problem(experiment, ("target", "csv"),
                                     f"{target.csv.name}: row {row + 1} of the data is not a "
                                     "finite number in every compared column")], experiment)
    data = data[~bad]
    if target.form == "curve":
        data = data.sort_values(target.against)
        return Observed("curve", data[target.against].to_numpy(float),
                        data[target.column].to_numpy(float), target.simulated or target.column)
    levels = np.asarray(target.quantiles, dtype=float)
    return Observed("distribution", levels,
                    np.quantile(data[target.column].to_numpy(float), levels),
                    target.simulated or target.column)


def _curve_column(name: str, columns: Sequence[str]) -> tuple[str, bool]:
    """The time-series column a simulated curve reads, and whether it is over the residents."""
    name = ALIASES.get(name, name)
    if name in columns:
        return name, False
    if name.endswith("_fraction") and name.removesuffix("_fraction") in columns:
        return name.removesuffix("_fraction"), True
    raise KeyError(f"no simulated curve {name!r}: expected a timeseries.parquet column or "
                   f"<column>_fraction, with columns {', '.join(columns)}")


def _sample_column(name: str, tables: Mapping[str, Sequence[str]]) -> tuple[str, str]:
    """The table and column a simulated distribution reads (``table.column``)."""
    table, _, column = name.partition(".")
    if table not in tables:
        raise KeyError(f"no table {table!r} in the run folder (expected e.g. incidents)")
    if column not in tables[table]:
        raise KeyError(f"no column {column!r} in {table}.parquet (it has: "
                       f"{', '.join(tables[table])})")
    return table, column


def _curve(run_dir: Path, name: str, summary: dict[str, Any], times: np.ndarray) -> np.ndarray:
    ts = pd.read_parquet(run_dir / "timeseries.parquet")
    column, fraction = _curve_column(name, list(ts.columns))
    values = ts[column].to_numpy(float) / (summary["residents_total"] if fraction else 1.0)
    return np.interp(times, ts["t_s"].to_numpy(float), values)


def _samples(run_dir: Path, name: str) -> np.ndarray:
    table = name.partition(".")[0]
    path = run_dir / f"{table}.parquet"
    frame = pd.read_parquet(path) if path.exists() else pd.DataFrame()
    _, column = _sample_column(name, {table: list(frame.columns)} if path.exists() else {})
    return pd.to_numeric(frame[column], errors="coerce").dropna().to_numpy(float)


def check_target(experiment: CalibrateExperiment, observed: Observed) -> None:
    """Refuse a target naming a KPI, curve or table column that no run has, before any run.

    The names of a run come from one tiny dry run of the base scenario
    (:func:`citysim.experiments.design.base_output_names`).

    Raises
    ------
    ScenarioError
        At ``target.kpis.<name>`` or ``target.simulated``.
    """
    kpis, tables = base_output_names(experiment)
    if observed.form == "kpis":
        raise_if([experiment_problem(experiment, ("target", "kpis", str(name)),
                                     f"not a KPI of its runs: {str(name)!r}; they have: "
                                     f"{', '.join(kpis)}")
                  for name in observed.x if name not in kpis], experiment)
        return
    try:
        if observed.form == "curve":
            _curve_column(observed.label, tables["timeseries"])
        else:
            _sample_column(observed.label, tables)
    except KeyError as exc:
        raise_if([experiment_problem(experiment, ("target", "simulated"),
                                     str(exc).strip("'\""))], experiment)


@dataclass
class _Objective:
    """The loss of parameter sets, one generation (a batch of runs) at a time."""

    experiment: CalibrateExperiment
    observed: Observed
    pool: RunPool
    names: list[str]
    rows: list[DesignedRun] = field(default_factory=list)
    variants: list[dict[str, float]] = field(default_factory=list)
    trials: list[dict[str, Any]] = field(default_factory=list)
    simulated: list[np.ndarray] = field(default_factory=list)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    plan: Plan | None = None
    bad_input: ScenarioError | None = None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        try:
            return self._evaluate(x)
        except ScenarioError as exc:  # scipy wraps what the objective raises; keep it
            self.bad_input = exc
            raise

    def _evaluate(self, x: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(np.asarray(x, dtype=float).T).reshape(-1, len(self.names))
        generation = len({t["generation"] for t in self.trials})
        offset = len(self.variants)
        variants = [{n: float(v) for n, v in zip(self.names, row, strict=True)} for row in x]
        plan = design_runs(self.experiment, variants, locate=lambda v, p: ("parameters", p))
        self.plan = plan
        records = self.pool.run(plan.specs, desc=f"generation {generation}")
        self.records.update(records)
        losses = np.empty(len(variants))
        for v, values in enumerate(variants):
            runs = [r for r in plan.rows if r.variant == v]
            self.rows += [DesignedRun(offset + v, r.replication, r.spec) for r in runs]
            sims = self._simulate([records[r.spec.run_id] for r in runs])
            if sims is None:
                losses[v] = FAILED_LOSS
                self.simulated.append(np.full((len(runs), self.observed.y.size), np.nan))
            else:
                losses[v] = self._loss(sims.mean(axis=0))
                self.simulated.append(sims)
            self.trials.append({"trial": offset + v, "generation": generation, **values,
                                "loss": float(losses[v])})
        self.variants += variants
        return losses

    def _simulate(self, records: list[dict[str, Any]]) -> np.ndarray | None:
        """One row of simulated values per replication; None when a run failed."""
        if any(rec["status"] != "ok" for rec in records):
            return None
        obs = self.observed
        try:
            if obs.form == "kpis":
                return np.array([[_number(rec["summary"].get(k)) for k in obs.x]
                                 for rec in records])
            dirs = [self.pool.runs_dir / rec["run_id"] for rec in records]
            if obs.form == "curve":
                return np.array([_curve(d, obs.label, rec["summary"], obs.x)
                                 for d, rec in zip(dirs, records, strict=True)])
            quantiles = []
            for d in dirs:
                values = _samples(d, obs.label)
                quantiles.append(np.quantile(values, obs.x) if values.size
                                 else np.full(obs.x.size, np.nan))
            return np.array(quantiles)
        except KeyError as exc:
            problem = experiment_problem(self.experiment, ("target", "simulated"),
                                         str(exc).strip("'\""))
            raise ScenarioError([problem], source=self.experiment.source_file) from exc

    def _loss(self, simulated: np.ndarray) -> float:
        obs = self.observed
        if not np.isfinite(simulated).all():
            return FAILED_LOSS
        if obs.form == "kpis":
            scale = np.where(np.abs(obs.y) > 0, np.abs(obs.y), 1.0)
            return float(np.sqrt(np.mean(((simulated - obs.y) / scale) ** 2)))
        return float(np.sqrt(np.mean((simulated - obs.y) ** 2)))


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


@dataclass(frozen=True)
class CalibrationResult(ExperimentResult):
    """What a calibration produced.

    Attributes
    ----------
    best
        The best parameters found (dotted path to value; durations in s).
    loss
        Their loss.
    trials
        ``trials.parquet``.
    fit
        ``fit.csv``.
    """

    best: dict[str, float]
    loss: float
    trials: pd.DataFrame
    fit: pd.DataFrame


def run_calibration(
    experiment: CalibrateExperiment,
    *,
    out: Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
) -> CalibrationResult:
    """Fit the parameters of a calibration (resuming any earlier attempt) and write the results.

    Parameters
    ----------
    experiment
        A loaded ``kind: calibrate`` experiment.
    out
        Result folder (default: :func:`citysim.experiments.batch.output_dir`).
    workers, scheduler
        Where the runs are made (:func:`citysim.experiments.cluster.open_client`).
    progress
        Show a progress bar per generation.

    Raises
    ------
    ScenarioError
        Bad input: the base scenario, a parameter value, the target data.
    """
    from scipy.optimize import differential_evolution
    from scipy.stats import qmc

    from citysim.plots import save_figure
    from citysim.plots.experiments import plot_calibration

    started, t0 = datetime.now(UTC), time.perf_counter()
    observed = read_target(experiment)
    check_target(experiment, observed)
    names = list(experiment.parameters)
    low = np.array([experiment.parameters[n][0] for n in names])
    high = np.array([experiment.parameters[n][1] for n in names])
    size = experiment.population_size
    rng = np.random.default_rng(experiment.optimizer_seed)
    init = qmc.scale(qmc.LatinHypercube(d=len(names), rng=rng).random(size), low, high)
    generations = max(0, experiment.trials // size - 1)
    out_dir = output_dir(experiment, out)
    with open_client(workers, scheduler) as client:
        pool = RunPool(out_dir / "runs", client=client, progress=progress)
        objective = _Objective(experiment, observed, pool, names)
        try:
            result = differential_evolution(
                objective, list(zip(low, high, strict=True)), init=init, maxiter=generations,
                rng=rng, polish=False, vectorized=True, updating="deferred")
        except RuntimeError:
            if objective.bad_input is not None:
                raise objective.bad_input from None
            raise
    trials = pd.DataFrame(objective.trials)
    best_trial = int(trials["loss"].idxmin())
    best = {n: float(trials.loc[best_trial, n]) for n in names}
    sims = objective.simulated[best_trial]
    fit = pd.DataFrame({"x": observed.x, "observed": observed.y,
                        "simulated": sims.mean(axis=0), "simulated_min": sims.min(axis=0),
                        "simulated_max": sims.max(axis=0)})
    loss = float(trials.loc[best_trial, "loss"])
    assert objective.plan is not None, "the optimiser evaluates at least one generation"
    plan = Plan(tuple(objective.rows), objective.plan.base_seed, objective.plan.replications,
                objective.plan.base_digest)
    table = results_table(plan, objective.records, objective.variants, variant_column="trial")
    optimiser = {"method": "scipy.optimize.differential_evolution", "population": size,
                 "max_generations": generations, "generations": int(result.nit),
                 "evaluations": len(trials), "seed": experiment.optimizer_seed,
                 "strategy": "best1bin", "polish": False, "message": str(result.message)}
    write_outputs(out_dir, experiment, plan, table, started=started, t0=t0,
                  made=len(pool.made), extra={"optimiser": optimiser})
    write_parquet(out_dir / "trials.parquet", trials)
    write_atomic(out_dir / "fit.csv", lambda p: fit.to_csv(p, index=False))
    metric = ("root mean square relative difference of the KPIs"
              if observed.form == "kpis" else
              f"root mean square difference of {observed.label} (replications' mean)")
    write_json(out_dir / "best.json", {
        "parameters": best, "loss": loss, "loss_metric": metric, "trial": best_trial,
        "target": experiment.target.model_dump(
            mode="json", exclude_none=True,
            exclude=None if observed.form == "distribution" else {"quantiles"}),
        "replications": plan.replications, "optimiser": optimiser})
    save_figure(plot_calibration(fit, observed.form, observed.label, trials),
                out_dir / "plots" / "fit.png")
    return CalibrationResult(out_dir, table, len(pool.made), best, loss, trials, fit)
