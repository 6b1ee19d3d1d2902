"""Saved result folders, read back: a run, a batch or a sweep (SCENARIO_SPEC.md).

A **run** folder has ``summary.json``, ``provenance.json``, the tables
(``*.parquet``) and optionally ``plots/``, ``gis/``, ``animation.gif`` and a
drill timeline (``msel.csv``). A **batch** folder has ``batch.parquet`` (one
row per run: ``run_id``, ``variant``, ``replication``, ``seed``, the varied
values, ``status``, ``error`` and the KPIs) and ``runs/<run_id>/``; a
**sweep** folder is a batch (``sample`` instead of ``variant``) with
``indices.csv``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import pandas as pd

from citysim.errors import ScenarioError

__all__ = ["ExperimentFolder", "RunFolder", "folder_kind", "read_experiment", "read_run",
           "read_saved"]

Kind = Literal["run", "batch", "sweep"]
T = TypeVar("T")


def read_saved(path: Path, read: Callable[[Path], T]) -> T:
    """Read a saved file; a damaged or unreadable one is bad input, not a crash.

    Parameters
    ----------
    path
        The file.
    read
        Reads it (``pd.read_parquet``, a JSON reader ...).

    Raises
    ------
    ScenarioError
        Naming the file and the cause, when it cannot be read or parsed
        (JSON, Parquet, CSV and text decoding errors are ``ValueError``).
    """
    try:
        return read(path)
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"cannot read this file (damaged, or not what citysim wrote?): "
                            f"{type(exc).__name__}: {exc}", source=path) from None


def folder_kind(path: Path) -> Kind:
    """What a result folder holds.

    Raises
    ------
    ScenarioError
        When the folder is missing or is none of a run, a batch or a sweep.
    """
    path = Path(path)
    if not path.is_dir():
        raise ScenarioError("no such results folder", source=path)
    if (path / "indices.csv").is_file() and (path / "batch.parquet").is_file():
        return "sweep"
    if (path / "batch.parquet").is_file():
        return "batch"
    if (path / "summary.json").is_file() and (path / "provenance.json").is_file():
        return "run"
    raise ScenarioError(
        "not a results folder: expected summary.json and provenance.json (a run), "
        "batch.parquet (a batch) or batch.parquet and indices.csv (a sweep)", source=path)


def _json(path: Path) -> dict[str, Any]:
    data = read_saved(path, lambda p: json.loads(p.read_text(encoding="utf-8")))
    if not isinstance(data, dict):
        raise ScenarioError(f"expected a JSON object, got {type(data).__name__}", source=path)
    return data


@dataclass
class RunFolder:
    """One run's results.

    Attributes
    ----------
    path
        The folder.
    summary, provenance
        ``summary.json`` and ``provenance.json``.
    tables
        Every ``*.parquet`` by stem (``incidents``, ``shelters``, ``flooded_roads`` ...).
    plots
        The PNG figures in ``plots/``, sorted by name.
    """

    path: Path
    summary: dict[str, Any]
    provenance: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    plots: list[Path] = field(default_factory=list)

    @property
    def scenario(self) -> dict[str, Any]:
        """The resolved scenario (durations in seconds, defaults filled in)."""
        return self.provenance.get("scenario", {})

    @property
    def replications(self) -> int:
        """Replications the run made (its scenario's ``run.replications``)."""
        return int((self.scenario.get("run") or {}).get("replications", 1))

    def table(self, name: str) -> pd.DataFrame | None:
        """A table, or None when the run has none of that name."""
        return self.tables.get(name)

    def first_replication(self, name: str) -> pd.DataFrame | None:
        """A table restricted to replication 0 (the whole table with one replication)."""
        table = self.tables.get(name)
        if table is None or "replication" not in table:
            return table
        return table[table["replication"] == 0].reset_index(drop=True)


def read_run(path: Path) -> RunFolder:
    """Read a run folder.

    Parameters
    ----------
    path
        The folder (``summary.json``, ``provenance.json``, tables, ``plots/``).

    Returns
    -------
    RunFolder
    """
    path = Path(path)
    tables = {p.stem: read_saved(p, pd.read_parquet) for p in sorted(path.glob("*.parquet"))}
    plots = sorted((path / "plots").glob("*.png")) if (path / "plots").is_dir() else []
    return RunFolder(path=path, summary=_json(path / "summary.json"),
                     provenance=_json(path / "provenance.json"), tables=tables, plots=plots)


@dataclass
class ExperimentFolder:
    """A batch's or a sweep's results.

    Attributes
    ----------
    path
        The folder.
    kind
        ``batch`` or ``sweep``.
    table
        ``batch.parquet``.
    provenance
        The experiment's ``provenance.json`` (empty if absent).
    indices
        ``indices.csv`` of a sweep.
    plots
        PNG figures in the folder and its ``plots/``.
    """

    path: Path
    kind: Kind
    table: pd.DataFrame
    provenance: dict[str, Any]
    indices: pd.DataFrame | None = None
    plots: list[Path] = field(default_factory=list)

    @property
    def variant_column(self) -> str:
        """``variant`` (batch) or ``sample`` (sweep)."""
        return "sample" if "sample" in self.table and "variant" not in self.table else "variant"

    def run_dir(self, run_id: str) -> Path:
        """The folder of one run."""
        return self.path / "runs" / run_id


def read_experiment(path: Path) -> ExperimentFolder:
    """Read a batch or sweep folder.

    Parameters
    ----------
    path
        The folder (``batch.parquet``, ``runs/``, ``indices.csv`` for a sweep).

    Returns
    -------
    ExperimentFolder
    """
    path = Path(path)
    kind = folder_kind(path)
    prov = _json(path / "provenance.json") if (path / "provenance.json").is_file() else {}
    indices = read_saved(path / "indices.csv", pd.read_csv) if kind == "sweep" else None
    plots = sorted(path.glob("*.png"))
    if (path / "plots").is_dir():
        plots += sorted((path / "plots").glob("*.png"))
    table = read_saved(path / "batch.parquet", pd.read_parquet)
    return ExperimentFolder(path=path, kind=kind, table=table, provenance=prov, indices=indices,
                            plots=plots)
