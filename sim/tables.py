"""Column schemas of the output tables (the contract's names, typed).

Every table is built through these so that an empty table still has the
contract's columns with the right dtypes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

INCIDENT_COLUMNS: dict[str, str] = {
    "incident": "string",
    "kind": "string",
    "x": "float64",
    "y": "float64",
    "t_call_s": "float64",
    "t_dispatch_s": "float64",
    "t_arrive_s": "float64",
    "t_clear_s": "float64",
    "unit": "string",
    "station": "string",
    "response_time_s": "float64",
    "queue_wait_s": "float64",
    "turnout_s": "float64",
    "travel_s": "float64",
    "queued": "boolean",
    "lost": "boolean",
    "units": "string",
    "node": "int64",
    "priority": "int64",
}

SHELTER_COLUMNS: dict[str, str] = {
    "shelter": "string",
    "name": "string",
    "kind": "string",
    "x": "float64",
    "y": "float64",
    "node": "int64",
    "capacity": "int64",
    "peak_occupancy": "int64",
    "final_occupancy": "int64",
    "arrivals": "int64",
    "turned_away": "int64",
    "t_full_s": "float64",
}

STATION_COLUMNS: list[str] = [
    "station", "name", "node", "units", "units_engine", "units_ladder", "units_rescue",
    "units_hazmat", "units_ambulance", "turnout_s", "first_arrivals", "response_time_p50_s",
    "response_time_p90_s", "within_standard_fraction", "unit_utilization",
]
"""Columns of ``stations.parquet`` (one row per station)."""

PROBE_COLUMNS: dict[str, str] = {"t_s": "float64", "probe": "string", "x": "float64",
                                 "y": "float64"}


def typed_frame(
    rows: Sequence[Mapping[str, Any]] | Mapping[str, Sequence[Any] | np.ndarray],
    columns: dict[str, str],
) -> pd.DataFrame:
    """Build a DataFrame with the given columns first, in order, with their dtypes.

    Parameters
    ----------
    rows
        Records, or a mapping of column name to values.
    columns
        Column name to pandas dtype; columns missing from ``rows`` are
        filled with missing values. Extra columns in ``rows`` are kept after.

    Returns
    -------
    pandas.DataFrame
    """
    df = pd.DataFrame(rows)
    # one DataFrame from whole columns: inserting them one by one costs ~10 ms a table
    data = {name: df[name].astype(dtype) if name in df else pd.Series(
        [pd.NA] * len(df), dtype=dtype, index=df.index) for name, dtype in columns.items()}
    data.update((c, df[c]) for c in df.columns if c not in columns)
    return pd.DataFrame(data, index=df.index)
