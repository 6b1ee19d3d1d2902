"""Variants of a batch compared: mean and 95 % interval of each KPI over replications."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from citysim.metrics import aggregate_replications
from citysim.report.kpis import COMPARED_KPIS

__all__ = ["compare_variants", "plot_variants", "varied_columns"]

RUN_COLUMNS = ("run_id", "variant", "sample", "replication", "seed", "status", "error")
"""Columns of ``batch.parquet`` that are neither varied values nor KPIs."""


def varied_columns(table: pd.DataFrame) -> list[str]:
    """The varied scenario paths of a batch table: the columns between ``seed`` and ``status``."""
    cols = list(table.columns)
    if "seed" in cols and "status" in cols:
        return [c for c in cols[cols.index("seed") + 1:cols.index("status")]
                if c not in RUN_COLUMNS]
    return []


def compare_variants(table: pd.DataFrame, kpis: tuple[str, ...] = COMPARED_KPIS,
                     *, variant_column: str = "variant") -> pd.DataFrame:
    """Mean and Student-t 95 % interval of each KPI per variant, over its successful runs.

    Parameters
    ----------
    table
        ``batch.parquet``.
    kpis
        KPIs to compare (those the table has with a value are kept).
    variant_column
        ``variant`` (batch) or ``sample`` (sweep).

    Returns
    -------
    pandas.DataFrame
        One row per variant: the variant, its varied values, ``runs_ok``,
        ``runs_failed``, and per KPI ``<kpi>_mean``, ``<kpi>_ci95_low``,
        ``<kpi>_ci95_high`` (NaN without a value; the interval collapses to
        the mean with one replication, as in ``summary.json``).
    """
    varied = varied_columns(table)
    present = [k for k in kpis if k in table and table[k].notna().any()]
    ok = table["status"] == "ok" if "status" in table else pd.Series(True, index=table.index)
    rows = []
    for variant, group in table.groupby(variant_column, sort=True):
        good = group[ok.loc[group.index]]
        records = [{k: (None if pd.isna(r[k]) else float(r[k])) for k in present}
                   for _, r in good.iterrows()]
        stats = aggregate_replications(records) if records else {}
        row: dict[str, Any] = {variant_column: variant}
        row.update({c: group[c].iloc[0] for c in varied})
        row["runs_ok"] = len(good)
        row["runs_failed"] = len(group) - len(good)
        for k in present:
            s = stats.get(k)
            row[f"{k}_mean"] = s["mean"] if s else math.nan
            row[f"{k}_ci95_low"] = s["ci95_low"] if s else math.nan
            row[f"{k}_ci95_high"] = s["ci95_high"] if s else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def plot_variants(compared: pd.DataFrame, kpis: list[str], *,
                  variant_column: str = "variant") -> Figure:
    """One panel per KPI: each variant's mean with its 95 % interval.

    Parameters
    ----------
    compared
        :func:`compare_variants`.
    kpis
        KPIs to draw (each must have ``<kpi>_mean`` in ``compared``).
    variant_column
        ``variant`` or ``sample``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    n = max(len(kpis), 1)
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(4.2 * cols, 3.0 * rows), dpi=100)
    axes = fig.subplots(rows, cols, squeeze=False)
    x = np.arange(len(compared))
    labels = [str(v) for v in compared[variant_column]]
    for ax, kpi in zip(axes.ravel(), kpis, strict=False):
        mean = compared[f"{kpi}_mean"].to_numpy(float)
        low = compared[f"{kpi}_ci95_low"].to_numpy(float)
        high = compared[f"{kpi}_ci95_high"].to_numpy(float)
        err = np.vstack([mean - low, high - mean])
        ax.errorbar(x, mean, yerr=np.nan_to_num(err), fmt="o", color="#2c3e50", capsize=4)
        ax.set_title(kpi, fontsize=9)
        ax.set_xticks(x, labels, fontsize=8)
        ax.set_xlabel(variant_column, fontsize=8)
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(kpis):]:
        ax.set_visible(False)
    fig.suptitle("Mean over replications with 95 % interval (Student t)", fontsize=10)
    fig.tight_layout()
    return fig
