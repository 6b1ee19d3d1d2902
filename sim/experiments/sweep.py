"""``citysim sweep``: global sensitivity of KPIs to scenario parameters, with SALib.

The sample design comes from SALib (``SALib.sample.sobol`` with
``calc_second_order=False``: N (D + 2) points; ``SALib.sample.morris``: N
trajectories of D + 1 points); each point is a variant of the base scenario,
run with the experiment's replications (the same seeds at every point) as a
batch, so a sweep is distributed and resumable like a batch. Each output is
the KPI averaged over the replications of a point; SALib's analysers
(``SALib.analyze.sobol``: ``S1, S1_conf, ST, ST_conf``;
``SALib.analyze.morris``: ``mu, mu_star, mu_star_conf, sigma``) give the
indices, their confidence intervals from a seeded bootstrap.

Writes ``batch.parquet`` (a ``sample`` column and one column per
parameter), ``indices.csv`` (``parameter, output, method`` and SALib's index
names, plus ``note`` when an output could not be analysed) and
``plots/indices_<output>.png``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from citysim.experiments.batch import ExperimentResult, run_variants
from citysim.experiments.design import base_output_names
from citysim.experiments.spec import SweepExperiment, experiment_problem, raise_if
from citysim.io.atomic import write_atomic

__all__ = ["INDEX_NAMES", "SweepResult", "analyse", "run_sweep", "sample_design"]

INDEX_NAMES: dict[str, tuple[str, ...]] = {
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
    "morris": ("mu", "mu_star", "mu_star_conf", "sigma"),
}
"""The index columns of ``indices.csv``, named as SALib names them."""
RESAMPLES = 100
"""Bootstrap resamples of the confidence intervals."""
CONF_LEVEL = 0.95


@dataclass(frozen=True)
class SweepResult(ExperimentResult):
    """What a sweep produced: the runs and the indices.

    Attributes
    ----------
    indices
        ``indices.csv``.
    """

    indices: pd.DataFrame


def _problem(experiment: SweepExperiment) -> dict[str, Any]:
    names = list(experiment.parameters)
    return {"num_vars": len(names), "names": names,
            "bounds": [list(experiment.parameters[n]) for n in names]}


def sample_design(experiment: SweepExperiment) -> np.ndarray:
    """The SALib sample: one row per point, one column per parameter.

    Parameters
    ----------
    experiment
        The sweep.
    """
    from SALib.sample import morris, sobol

    problem = _problem(experiment)
    if experiment.method == "sobol":
        return sobol.sample(problem, experiment.samples, calc_second_order=False,
                            seed=experiment.sample_seed)
    return morris.sample(problem, experiment.samples, num_levels=experiment.levels,
                         seed=experiment.sample_seed)


def analyse(experiment: SweepExperiment, x: np.ndarray, outputs: pd.DataFrame) -> pd.DataFrame:
    """SALib's indices of every output against every parameter.

    Parameters
    ----------
    experiment
        The sweep.
    x
        The sample design (:func:`sample_design`).
    outputs
        One row per point, one column per output (NaN where a point has no
        value: a failed run or a KPI that could not happen).

    Returns
    -------
    pandas.DataFrame
        ``parameter, output, method``, the index columns
        (:data:`INDEX_NAMES`) and ``note``.
    """
    from SALib.analyze import morris, sobol

    problem = _problem(experiment)
    names = INDEX_NAMES[experiment.method]
    frames = []
    for output in outputs.columns:
        y = outputs[output].to_numpy(dtype=float)
        frame = pd.DataFrame({"parameter": problem["names"], "output": output,
                              "method": experiment.method})
        note = ""
        if not np.isfinite(y).all():
            note = (f"not analysed: {int((~np.isfinite(y)).sum())} of {y.size} points have no "
                    "value (a failed run, or a KPI that could not happen)")
        elif np.ptp(y) == 0.0:
            note = f"not analysed: the output is constant ({y[0]:g}) over the sample"
        if note:
            si = dict.fromkeys(names, np.nan)
        elif experiment.method == "sobol":
            si = sobol.analyze(problem, y, calc_second_order=False, num_resamples=RESAMPLES,
                               conf_level=CONF_LEVEL, seed=experiment.sample_seed)
        else:
            si = morris.analyze(problem, x, y, num_resamples=RESAMPLES, conf_level=CONF_LEVEL,
                                num_levels=experiment.levels, seed=experiment.sample_seed)
        for name in names:
            frame[name] = np.asarray(si[name], dtype=float)
        frame["note"] = note
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def point_outputs(table: pd.DataFrame, outputs: tuple[str, ...], n_points: int) -> pd.DataFrame:
    """Each output averaged over the replications of each point (NaN if any is missing).

    Parameters
    ----------
    table
        ``batch.parquet`` of the sweep.
    outputs
        KPI names.
    n_points
        Points in the design.

    Returns
    -------
    pandas.DataFrame
        One row per point, one column per output; an output no run has
        (all runs failed) is all NaN.
    """
    frame = table.reindex(columns=["sample", "status", *outputs])
    values = frame[list(outputs)].astype(float).where(frame["status"] == "ok", np.nan)
    # a point has a value only when every one of its replications has one
    complete = values.notna().groupby(frame["sample"]).all()
    means = values.groupby(frame["sample"]).mean().where(complete)
    return means.reindex(range(n_points))


def _check_outputs(experiment: SweepExperiment) -> None:
    """Refuse outputs that are not KPIs of a run, before any run (:func:`base_output_names`)."""
    kpis, _ = base_output_names(experiment)
    raise_if([experiment_problem(experiment, ("outputs", i),
                                 f"not a KPI of its runs: {name!r}; they have: "
                                 f"{', '.join(kpis)}")
              for i, name in enumerate(experiment.outputs) if name not in kpis], experiment)


def run_sweep(
    experiment: SweepExperiment,
    *,
    out: Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
) -> SweepResult:
    """Run a sensitivity sweep (resuming any earlier attempt) and write its results.

    Parameters
    ----------
    experiment
        A loaded ``kind: sweep`` experiment.
    out
        Result folder (default: :func:`citysim.experiments.batch.output_dir`).
    workers, scheduler
        Where the runs are made (:func:`citysim.experiments.cluster.open_client`).
    progress
        Show a progress bar.

    Raises
    ------
    ScenarioError
        When the base scenario or a sampled value is bad input, or an output
        is not a KPI of its runs: nothing is run.
    """
    from citysim.plots import save_figure
    from citysim.plots.experiments import plot_indices

    _check_outputs(experiment)
    x = sample_design(experiment)
    names = list(experiment.parameters)
    variants = [{n: float(v) for n, v in zip(names, row, strict=True)} for row in x]
    design = {"method": experiment.method, "points": len(x), "parameters": names,
              "salib": "SALib.sample.sobol (calc_second_order=False)"
              if experiment.method == "sobol" else
              f"SALib.sample.morris (num_levels={experiment.levels})"}
    runs = run_variants(experiment, variants, locate=lambda v, path: ("parameters", path),
                        desc=f"{experiment.method} sweep", out=out, workers=workers,
                        scheduler=scheduler, progress=progress, variant_column="sample",
                        extra={"design": design})
    out_dir, table = runs.out_dir, runs.table
    indices = analyse(experiment, x, point_outputs(table, experiment.outputs, len(x)))
    write_atomic(out_dir / "indices.csv", lambda p: indices.to_csv(p, index=False))
    for output in experiment.outputs:
        rows = indices[indices["output"] == output]
        if rows["note"].eq("").all():
            save_figure(plot_indices(rows, output, experiment.method),
                        out_dir / "plots" / f"indices_{output}.png")
    return SweepResult(out_dir, table, runs.made, indices, worker_time=runs.worker_time)
