"""References from a drill inject to the row of a result table it comes from.

Every inject of a timeline names its source as ``<file>:<selector>``:

- ``<table>.parquet:<column>=<value>`` -- the rows of that table whose
  column equals the value (``incidents.parquet:incident=I000012``,
  ``shelters.parquet:shelter=S1``, ``flooded_roads.parquet:edge=445``,
  ``timeseries.parquet:t_s=600``);
- ``<table>.parquet:row=<i>`` -- row ``i`` (0-based) of that table;
- ``provenance.json:<dotted.path[i]>`` -- a value of the run's provenance,
  e.g. a scripted inject ``provenance.json:scenario.drill.injects[0]``.

:func:`resolve_ref` finds what a reference points at, so that a controller
(and the tests) can check that every inject traces back to the simulation.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["json_ref", "resolve_ref", "table_ref"]

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def table_ref(table: str, column: str, value: Any) -> str:
    """``<table>.parquet:<column>=<value>`` (floats that are whole written without ``.0``)."""
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        value = int(value)
    return f"{table}.parquet:{column}={value}"


def json_ref(file: str, path: str) -> str:
    """``<file>:<dotted.path>``."""
    return f"{file}:{path}"


def _matches(series: pd.Series, text: str) -> pd.Series:
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None and pd.api.types.is_numeric_dtype(series):
        return (series.astype(float) - number).abs() <= 1e-9 * max(1.0, abs(number))
    return series.astype(str) == text


def resolve_ref(ref: str, results_dir: Path) -> Any:
    """What an inject's source reference points at.

    Parameters
    ----------
    ref
        ``<file>:<selector>`` (see the module docstring).
    results_dir
        The run's result folder.

    Returns
    -------
    pandas.DataFrame or object
        The matching rows of a table (at least one), or the JSON value.

    Raises
    ------
    KeyError
        When the file, the column, the row or the path does not exist, or no
        row matches.
    """
    file, sep, selector = str(ref).partition(":")
    path = Path(results_dir) / file
    if not sep or not selector:
        raise KeyError(f"{ref!r}: expected <file>:<selector>")
    if not path.is_file():
        raise KeyError(f"{ref!r}: no file {file} in {results_dir}")
    if file.endswith(".parquet"):
        table = pd.read_parquet(path)
        column, eq, value = selector.partition("=")
        if not eq:
            raise KeyError(f"{ref!r}: expected <column>=<value> or row=<i>")
        if column == "row" and "row" not in table:
            i = int(value)
            if not 0 <= i < len(table):
                raise KeyError(f"{ref!r}: {file} has {len(table)} rows")
            return table.iloc[[i]]
        if column not in table:
            raise KeyError(f"{ref!r}: {file} has no column {column!r}")
        rows = table[_matches(table[column], value)]
        if not len(rows):
            raise KeyError(f"{ref!r}: no row of {file} has {column} = {value}")
        return rows
    data: Any = json.loads(path.read_text())
    for name, index in _STEP.findall(selector):
        try:
            data = data[int(index)] if index else data[name]
        except (KeyError, IndexError, TypeError):
            raise KeyError(f"{ref!r}: {file} has nothing at {selector}") from None
    return data
