"""From an experiment's variants to its runs, and from the runs' records to its table.

A *variant* is a set of scenario values (dotted path to value); each variant
is run with the experiment's ``replications``: replication ``r`` of a
variant is replication ``r`` of ``citysim run`` on it with the base seed
(:mod:`citysim.experiments.runs`). Planning loads every
variant's scenario once (so that a value the schema refuses is reported
before anything runs, naming where it came from in the experiment file),
and derives each run's content id.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from citysim.errors import Problem, ScenarioError
from citysim.experiments.runs import RunSpec, run_id
from citysim.experiments.spec import Experiment, experiment_problem, raise_if
from citysim.io.atomic import write_json, write_parquet
from citysim.io.data_sources import file_sha256, input_files
from citysim.io.provenance import git_commit, versions
from citysim.scenario import Override, Scenario, format_path, load_scenario, parse_path

__all__ = ["Plan", "DesignedRun", "base_settings", "design_runs", "results_table", "write_outputs"]

MAX_PROBLEMS = 25
"""Problems listed at most when many variants are refused (the rest are counted)."""


@dataclass(frozen=True)
class DesignedRun:
    """One row of an experiment: a variant, a replication, its run."""

    variant: int
    replication: int
    spec: RunSpec


@dataclass(frozen=True)
class Plan:
    """The runs of an experiment.

    Attributes
    ----------
    rows
        One per (variant, replication), variant-major.
    base_seed
        The experiment's base seed.
    replications
        Replications per variant.
    base_digest
        SHA-256 of the resolved base scenario (with ``set`` applied).
    """

    rows: tuple[DesignedRun, ...]
    base_seed: int
    replications: int
    base_digest: str

    @property
    def specs(self) -> list[RunSpec]:
        """The runs (an id may appear more than once)."""
        return [row.spec for row in self.rows]


def _fixed_overrides(experiment: Experiment) -> list[Override]:
    return [Override.of(path, value) for path, value in experiment.set.items()]


def base_output_names(experiment: Experiment) -> tuple[list[str], dict[str, list[str]]]:
    """KPI names and tables (with columns) of a run of the base scenario (with ``set``).

    One tiny dry run (:func:`citysim.simulation.output_names`): the names an
    experiment refers to (a sweep's ``outputs``, a calibration's target) are
    checked with it before the first run.
    """
    from citysim.simulation import output_names

    scenario, _, _ = base_settings(experiment)
    return output_names(scenario)


def base_settings(experiment: Experiment) -> tuple[Scenario, int, int]:
    """Load the base scenario (with ``set``) and return it, the base seed and replications.

    Raises
    ------
    ScenarioError
        When the base scenario, or ``set`` applied to it, is bad input.
    """
    scenario = load_scenario(experiment.base, overrides=_fixed_overrides(experiment))
    seed = experiment.seed if experiment.seed is not None else int(scenario.run.seed)
    reps = experiment.replications or int(scenario.run.replications)
    return scenario, seed, reps


def design_runs(
    experiment: Experiment,
    variants: Sequence[Mapping[str, Any]],
    *,
    locate: Callable[[int, str], tuple[str | int, ...]],
) -> Plan:
    """Load every variant and derive the ids of its runs (one per replication).

    Parameters
    ----------
    experiment
        The loaded experiment.
    variants
        Dotted scenario path to value, one mapping per variant.
    locate
        ``(variant index, path) -> location in the experiment file`` of the
        value, for problems.

    Raises
    ------
    ScenarioError
        Every variant value the scenario refuses, at its place in the
        experiment file (the scenario's own path and message quoted).
    """
    base, base_seed, reps = base_settings(experiment)
    fixed = _fixed_overrides(experiment)
    keep = [Override.of("run.replications", 1), Override.of("outputs.plots", experiment.plots),
            Override.of("run.seed", base_seed)]
    problems: dict[tuple[Any, ...], Problem] = {}
    n_problems = 0
    rows = []
    for v, values in enumerate(variants):
        varied = [Override.of(path, value) for path, value in values.items()]
        overrides = [*fixed, *varied, *keep]
        try:
            scenario = load_scenario(experiment.base, overrides=overrides)
        except ScenarioError as exc:
            for p in exc.problems:
                n_problems += 1
                loc = _blame(p, values, v, locate)
                problem = experiment_problem(experiment, loc, f"{p.path or '<scenario>'}: "
                                                              f"{_strip_origin(p.message)}")
                problems.setdefault((problem.path, problem.message), problem)
            continue
        resolved = scenario.resolved()
        inputs = [file_sha256(path) for path in input_files(scenario)]
        for i in range(reps):
            spec = RunSpec(run_id(resolved, inputs, replication=i), str(experiment.base),
                           tuple(overrides), base_seed, i)
            rows.append(DesignedRun(v, i, spec))
    listed = list(problems.values())[:MAX_PROBLEMS]
    if len(problems) > MAX_PROBLEMS:
        listed.append(Problem("", f"... and {len(problems) - MAX_PROBLEMS} more problems"))
    raise_if(listed, experiment)
    return Plan(tuple(rows), base_seed, reps, base.digest())


def _strip_origin(message: str) -> str:
    """Drop the loader's "(value from override ...)" note: the location says it."""
    head, sep, _ = message.rpartition(" (value from override ")
    return head if sep else message


def _blame(
    problem: Problem, values: Mapping[str, Any], variant: int,
    locate: Callable[[int, str], tuple[str | int, ...]],
) -> tuple[str | int, ...]:
    """Where in the experiment file the value behind a scenario problem is."""
    for path in values:
        written = format_path(parse_path(path))
        if problem.path == written or problem.path.startswith((written + ".", written + "[")):
            return locate(variant, path)
    return ("base",)


def _column(values: Sequence[Any]) -> pd.Series:
    """A table column for one varied path: numbers, text, booleans, or JSON text."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pd.Series(values, dtype="boolean")
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        if all(isinstance(v, int) for v in present) and len(present) == len(values):
            return pd.Series(values, dtype="int64")
        return pd.Series([float("nan") if v is None else v for v in values], dtype="float64")
    if present and all(isinstance(v, str) for v in present):
        return pd.Series(values, dtype="string")
    return pd.Series([json.dumps(v, sort_keys=True, default=str) for v in values],
                     dtype="string")


def results_table(
    plan: Plan,
    records: Mapping[str, Mapping[str, Any]],
    variants: Sequence[Mapping[str, Any]],
    *,
    variant_column: str = "variant",
) -> pd.DataFrame:
    """One row per run: ``run_id``, variant, replication, seed, values, status, error, KPIs.

    Parameters
    ----------
    plan
        The plan.
    records
        Each run's record by id (:func:`citysim.experiments.runs.execute_run`).
    variants
        The variants' values (one column per path, named by the path).
    variant_column
        Name of the variant index column (``variant``; ``sample`` for sweeps).
    """
    rows = plan.rows
    data: dict[str, pd.Series] = {
        "run_id": pd.Series([r.spec.run_id for r in rows], dtype="string"),
        variant_column: pd.Series([r.variant for r in rows], dtype="int64"),
        "replication": pd.Series([r.replication for r in rows], dtype="int64"),
        "seed": pd.Series([r.spec.seed for r in rows], dtype="int64"),
    }
    for path in dict.fromkeys(p for v in variants for p in v):
        data[path] = _column([variants[r.variant].get(path) for r in rows])
    recs = [records[r.spec.run_id] for r in rows]
    data["status"] = pd.Series([rec["status"] for rec in recs], dtype="string")
    data["error"] = pd.Series([rec["error"] for rec in recs], dtype="string")
    kpis = dict.fromkeys(k for rec in recs for k in rec["summary"])
    for kpi in kpis:
        if kpi in data:
            continue
        data[kpi] = _kpi_column([rec["summary"].get(kpi) for rec in recs])
    return pd.DataFrame(data)


def _kpi_column(values: list[Any]) -> pd.Series:
    present = [v for v in values if v is not None]
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pd.Series([float("nan") if v is None else float(v) for v in values],
                         dtype="float64")
    return _column(values)


def write_outputs(
    out_dir: Path,
    experiment: Experiment,
    plan: Plan,
    table: pd.DataFrame,
    *,
    started: datetime,
    t0: float,
    made: int,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Write ``batch.parquet`` and the experiment's ``provenance.json``.

    Parameters
    ----------
    out_dir
        The experiment's result folder.
    experiment
        The loaded experiment.
    plan
        Its runs.
    table
        :func:`results_table`.
    started
        Start time (UTC).
    t0
        ``time.perf_counter()`` at the start.
    made
        Runs made by this invocation (the others were found finished).
    extra
        More provenance (the sample design, the optimiser).
    """
    write_parquet(out_dir / "batch.parquet", table)
    write_json(out_dir / "provenance.json", {
        "experiment": experiment.model_dump(mode="json"),
        "experiment_file": str(experiment.source_file) if experiment.source_file else None,
        "base_scenario_hash": plan.base_digest,
        "base_seed": plan.base_seed,
        "replications": plan.replications,
        "seed_scheme": "replication i of every variant = replication i of citysim run with "
                       "run.seed = base_seed: the city from SeedSequence(base_seed), the "
                       "dynamics from SeedSequence(base_seed).spawn(replications)[i] "
                       "(citysim.experiments.runs)",
        "runs": len(plan.rows),
        "distinct_runs": len({r.spec.run_id for r in plan.rows}),
        "runs_made_now": made,
        "failed": int((table["status"] != "ok").sum()),
        **(dict(extra) if extra else {}),
        "versions": versions(),
        "git": git_commit(),
        "command": sys.argv,
        "started_utc": started.astimezone(UTC).isoformat(),
        "wall_time_s": time.perf_counter() - t0,
    })
