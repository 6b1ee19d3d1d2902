"""Experiment files (``experiments/*.yaml``): schema and loading.

Four kinds, told apart by ``kind`` (SCENARIO_SPEC.md, "Experiment files"):

``batch``
    every combination of ``vary`` (dotted scenario paths, each with a list of
    values), each with ``replications`` seeds;
``sweep``
    global sensitivity (SALib Sobol or Morris) of chosen KPIs to parameter
    ranges;
``risk``
    the city's risk from an inventory of hazard sources
    (:mod:`citysim.experiments.risk_spec`);
``calibrate``
    parameters fitted so that a simulated curve, distribution or KPI matches
    an observed one.

Paths in an experiment file (``base``, ``out``, a target's ``csv``) are
relative to the experiment file. Values given to scenario paths (``vary``,
``set``) are scenario values: a relative path inside them (``shelters:
{csv: plan_a.csv}``) is relative to the base scenario, like every path in a
scenario. Ranges take numbers or durations (``[2min, 30min]``, in seconds
once loaded). Problems are reported as for scenarios: every one at once,
with its YAML path and line (:class:`citysim.errors.ScenarioError`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import PlainValidator, PrivateAttr, Strict, ValidationError
from pydantic_core import InitErrorDetails

from citysim.errors import Problem, ScenarioError
from citysim.scenario.base import (
    ConfigModel,
    Fraction,
    InputPath,
    NonNegInt,
    OutputPath,
    PosInt,
    Text,
    closest,
    describe_value,
    error,
    line_error,
)
from citysim.scenario.durations import parse_duration
from citysim.scenario.problems import error_message, format_path, parse_path
from citysim.scenario.yamlio import YamlDocument, read_yaml

__all__ = [
    "BatchExperiment",
    "CalibrateExperiment",
    "Experiment",
    "SweepExperiment",
    "Target",
    "experiment_problem",
    "load_experiment",
    "raise_if",
]

KINDS = ("batch", "sweep", "calibrate", "risk")


def _range(value: Any) -> list[float]:
    """``[low, high]``: two numbers or durations, low < high."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise error(f"expected a range [low, high], got {describe_value(value)}")
    ends = []
    for end in value:
        if isinstance(end, bool):
            raise error(f"expected a number or a duration, got {describe_value(end)}")
        try:
            ends.append(parse_duration(end))
        except ValueError:
            raise error(
                f"expected a number or a duration such as 2min, got {describe_value(end)}"
            ) from None
    low, high = ends
    if not low < high:
        raise error(f"expected low < high, got [{low:g}, {high:g}]")
    return [low, high]


#: A parameter range ``[low, high]``: numbers or durations (seconds once loaded), low < high.
Range = Annotated[list[float], PlainValidator(_range)]


def _values(value: Any) -> list[Any]:
    if not isinstance(value, list | tuple) or not value:
        raise error(f"expected a non-empty list of values, got {describe_value(value)}")
    return list(value)


#: The values one scenario path takes in a batch: a non-empty list of YAML values.
Values = Annotated[list[Any], PlainValidator(_values)]


#: Scenario values an experiment sets itself, with the key of the experiment that sets them.
_OWN_KEYS: dict[tuple[str | int, ...], str] = {
    ("run", "seed"): "seed", ("run", "replications"): "replications"}


def _check_paths(
    data: dict[str, Any], field: str, *, at_least_one: str | None = None
) -> list[InitErrorDetails]:
    """Problems with the dotted scenario paths used as keys of the mapping ``data[field]``.

    Parameters
    ----------
    data
        The experiment file's mapping (before validation).
    field
        Key of a mapping whose keys are dotted scenario paths (``set``,
        ``vary``, ``parameters``); anything but a mapping there is left to
        the schema.
    at_least_one
        What the mapping holds, when it must not be empty (``"parameter"``).

    Returns
    -------
    list
        One error per bad path (and one for an empty mapping).
    """
    keys = data.get(field)
    if not isinstance(keys, dict):
        return []
    problems = []
    if at_least_one is not None and not keys:
        problems.append(line_error((field,), f"expected at least one {at_least_one}"))
    for key in keys:
        if not isinstance(key, str):
            continue  # the schema reports a key that is not text
        try:
            loc = parse_path(key)
        except ValueError as exc:
            problems.append(line_error((field, key), str(exc), key))
            continue
        if loc in _OWN_KEYS or loc == ("run",):
            own = _OWN_KEYS.get(loc, "seed and replications")
            problems.append(line_error(
                (field, key), f"the experiment sets each run's {own} itself: use the "
                              f"experiment's key{'s' if loc == ('run',) else ''} {own}", key))
    return problems


class Experiment(ConfigModel):
    """What every experiment file has.

    Attributes
    ----------
    kind
        ``batch``, ``sweep`` or ``calibrate``.
    base
        The base scenario file (relative to the experiment file).
    out
        Result folder; default ``results/<experiment file name>`` under the
        working directory.
    replications
        Replications per variant, those of ``citysim run`` with the base seed
        (:mod:`citysim.experiments.runs`); default the base scenario's
        ``run.replications``.
    seed
        Base seed; default the base scenario's ``run.seed``.
    set
        Scenario values fixed for every run (dotted path to value), applied
        before the experiment's own.
    plots
        Draw each run's figures (``outputs.plots``); default false, since a
        batch may hold thousands of runs.
    """

    kind: str
    base: InputPath
    out: OutputPath | None = None
    replications: PosInt | None = None
    seed: NonNegInt | None = None
    set: dict[str, Any] = {}
    plots: Annotated[bool, Strict()] = False

    _source_file: Path | None = PrivateAttr(default=None)
    _document: YamlDocument | None = PrivateAttr(default=None)

    @property
    def source_file(self) -> Path | None:
        """The experiment file (absolute), when loaded from one."""
        return self._source_file

    @classmethod
    def _check_keys(cls, data: dict[str, Any]) -> list[InitErrorDetails]:
        return _check_paths(data, "set")


class BatchExperiment(Experiment):
    """``kind: batch``: every combination of ``vary`` times ``replications`` seeds.

    Attributes
    ----------
    vary
        Dotted scenario path to its list of values; the runs are the
        Cartesian product, in the order written (the last path varies fastest).
    """

    kind: Literal["batch"]
    vary: dict[str, Values] = {}

    @classmethod
    def _check_keys(cls, data: dict[str, Any]) -> list[InitErrorDetails]:
        return super()._check_keys(data) + _check_paths(data, "vary")


class SweepExperiment(Experiment):
    """``kind: sweep``: global sensitivity of KPIs to parameter ranges.

    Attributes
    ----------
    method
        ``sobol`` (Saltelli sampling, first and total order indices) or
        ``morris`` (elementary effects, mu* and sigma).
    samples
        SALib's base sample size N: ``N (D + 2)`` runs per replication for
        Sobol with D parameters (a power of 2 is best), ``N (D + 1)`` for
        Morris (N trajectories).
    parameters
        Dotted scenario path to its range ``[low, high]``, sampled uniformly.
    outputs
        KPIs of ``summary.json`` to analyse (averaged over replications).
    levels
        Morris grid levels (even); default 4.
    sample_seed
        Seed of the sample design and of the bootstrap confidence intervals;
        default 1.
    """

    kind: Literal["sweep"]
    method: Literal["sobol", "morris"] = "sobol"
    samples: PosInt
    parameters: dict[str, Range]
    outputs: tuple[Text, ...]
    levels: Annotated[int, Strict()] = 4
    sample_seed: PosInt = 1

    @classmethod
    def _check_keys(cls, data: dict[str, Any]) -> list[InitErrorDetails]:
        problems = super()._check_keys(data)
        problems += _check_paths(data, "parameters", at_least_one="parameter")
        outputs = data.get("outputs")
        if isinstance(outputs, list) and not outputs:
            problems.append(line_error(("outputs",), "expected at least one KPI name"))
        samples = data.get("samples")
        if (data.get("method", "sobol") == "sobol" and isinstance(samples, int)
                and not isinstance(samples, bool) and samples > 0 and samples & (samples - 1)):
            problems.append(line_error(("samples",), f"expected a power of 2 for sobol (the "
                                                     f"balance of Sobol' points), got {samples}"))
        levels = data.get("levels", 4)
        if isinstance(levels, int) and (levels < 2 or levels % 2):
            problems.append(line_error(("levels",), f"expected an even number >= 2, got {levels}"))
        return problems


class Target(ConfigModel):
    """What a calibration fits to: a curve, a distribution or KPI values.

    Exactly one form:

    - a **curve** (``csv``, ``column``, ``against``): the CSV's ``column``
      against its ``against`` column (``t_s``) is compared with the
      simulated time series at those times (linear interpolation);
    - a **distribution** (``csv``, ``column``, ``simulated: table.column``,
      no ``against``): the quantiles of the CSV's ``column`` are compared
      with those of a column of a run table (``incidents.response_time_s``),
      pooled over replications;
    - **KPIs** (``kpis: {name: value}``): ``summary.json`` values, compared
      by relative error.

    Attributes
    ----------
    csv
        Observed data (relative to the experiment file; ``#`` lines are
        comments).
    column
        Observed values.
    against
        Time column of the CSV (seconds), for a curve.
    simulated
        The simulated counterpart. For a curve: a ``timeseries.parquet``
        column, or ``<column>_fraction`` (that column over
        ``residents_total``); ``arrived_fraction`` is
        ``evacuated_fraction`` (persons in a shelter). Default: ``column``.
        For a distribution: ``<table>.<column>`` of a run table.
    quantiles
        Quantile levels compared for a distribution; default 0.1 to 0.9 by 0.1.
    kpis
        KPI name to observed value.
    """

    yaml_form: ClassVar[str] = (
        "a mapping: {csv, column, against} (a curve), {csv, column, simulated: table.column} "
        "(a distribution) or {kpis: {name: value}}"
    )

    csv: InputPath | None = None
    column: Text | None = None
    against: Text | None = None
    simulated: Text | None = None
    quantiles: tuple[Fraction, ...] = tuple(round(0.1 * i, 1) for i in range(1, 10))
    kpis: dict[str, Annotated[float, Strict()]] | None = None

    @classmethod
    def _check_keys(cls, data: dict[str, Any]) -> list[InitErrorDetails]:
        has_csv = data.get("csv") is not None
        has_kpis = data.get("kpis") is not None
        if has_csv == has_kpis:
            given = "both" if has_csv else "neither"
            message = f"expected csv (a curve or a distribution) or kpis; got {given}"
            return [line_error((), message)]
        if has_csv and data.get("column") is None:
            return [line_error(("column",), "required key is missing: the observed column")]
        if has_csv and data.get("against") is None:
            simulated = data.get("simulated")
            if not (isinstance(simulated, str) and simulated.count(".") == 1):
                return [line_error(
                    ("simulated",),
                    "a distribution target needs simulated: <table>.<column> (e.g. "
                    "incidents.response_time_s); a curve needs against: t_s",
                    simulated,
                )]
        if has_kpis and isinstance(data["kpis"], dict) and not data["kpis"]:
            return [line_error(("kpis",), "expected at least one KPI")]
        return []

    @property
    def form(self) -> Literal["curve", "distribution", "kpis"]:
        """Which of the three forms this target is."""
        if self.kpis is not None:
            return "kpis"
        return "curve" if self.against is not None else "distribution"


class CalibrateExperiment(Experiment):
    """``kind: calibrate``: fit parameters so that a simulated output matches a target.

    Attributes
    ----------
    parameters
        Dotted scenario path to its search range ``[low, high]``.
    target
        What to match (:class:`Target`).
    trials
        Budget of parameter sets evaluated (each run ``replications`` times,
        with the same seeds for every set).
    population
        Parameter sets per generation of differential evolution; default
        ``max(5, 5 x number of parameters)``.
    optimizer_seed
        Seed of the optimiser; default 1.
    """

    kind: Literal["calibrate"]
    parameters: dict[str, Range]
    target: Target
    trials: PosInt = 100
    population: PosInt | None = None
    optimizer_seed: PosInt = 1

    @classmethod
    def _check_keys(cls, data: dict[str, Any]) -> list[InitErrorDetails]:
        problems = super()._check_keys(data)
        problems += _check_paths(data, "parameters", at_least_one="parameter")
        size = data.get("population")
        if isinstance(size, int) and not isinstance(size, bool) and 0 < size < 5:
            problems.append(line_error(("population",), f"expected at least 5, got {size}"))
        return problems

    @property
    def population_size(self) -> int:
        """Parameter sets per generation."""
        return self.population or max(5, 5 * len(self.parameters))


_MODELS: dict[str, type[Experiment]] = {
    "batch": BatchExperiment,
    "sweep": SweepExperiment,
    "calibrate": CalibrateExperiment,
}


def _model_of(kind: str) -> type[Experiment] | None:
    """The schema of an experiment kind (``risk``: :mod:`citysim.experiments.risk_spec`)."""
    if kind == "risk":
        from citysim.experiments.risk_spec import RiskExperiment  # it builds on Experiment

        return RiskExperiment
    return _MODELS.get(kind)


def load_experiment(path: str | os.PathLike[str]) -> Experiment:
    """Read and validate an experiment file.

    Parameters
    ----------
    path
        The YAML file.

    Returns
    -------
    BatchExperiment, SweepExperiment, CalibrateExperiment or RiskExperiment
        With ``source_file`` set; paths absolute.

    Raises
    ------
    ScenarioError
        Every problem, with its YAML path and line.
    """
    file = Path(path).absolute()
    document = read_yaml(file)
    experiment = _validate(document, file)
    experiment._source_file = file
    return experiment


def _validate(document: YamlDocument, file: Path) -> Experiment:
    data = document.data
    problems = list(document.problems)
    if not isinstance(data, dict):
        raise ScenarioError(
            [*problems, Problem("", f"expected an experiment: a mapping with kind, base, ...; got "
                                    f"{describe_value(data)}", 1)], source=file)
    kind = data.get("kind")
    model = _model_of(kind) if isinstance(kind, str) else None
    if model is None:
        message = f"expected one of: {', '.join(KINDS)}, got {describe_value(kind)}"
        guess = closest(kind, KINDS)
        if guess is not None:
            message += f"; did you mean {guess!r}?"
        if kind is None:
            message = f"required key is missing: one of {', '.join(KINDS)}"
        raise ScenarioError([*problems, Problem("kind", message, document.line_of(("kind",)))],
                            source=file)
    try:
        experiment = model.model_validate(data, context={"base_dir": file.parent})
    except ValidationError as exc:
        problems += [Problem(format_path(tuple(e["loc"])), error_message(e),
                             document.line_of(tuple(e["loc"]))) for e in exc.errors()]
    if problems:
        problems.sort(key=lambda p: (p.line is None, p.line or 0))
        raise ScenarioError(problems, source=file)
    experiment._document = document
    return experiment


def experiment_problem(experiment: Experiment, loc: tuple[str | int, ...], message: str) -> Problem:
    """A problem at ``loc`` of the experiment file, with its line.

    Parameters
    ----------
    experiment
        A loaded experiment.
    loc
        YAML location in the experiment file (``("vary", "shelters", 1)``).
    message
        What is wrong.
    """
    document = experiment._document
    line = document.line_of(loc) if document is not None else None
    return Problem(format_path(loc), message, line)


def raise_if(problems: list[Problem], experiment: Experiment) -> None:
    """Raise the problems as a :class:`ScenarioError` of the experiment file, if any."""
    if problems:
        raise ScenarioError(problems, source=experiment.source_file)
