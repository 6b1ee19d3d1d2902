"""After the exercise: observed times against the simulated ones.

Exercise control enters, in the ``observed_time`` column of ``msel.csv``,
the scenario time at which each inject's expected action was seen
(``hh:mm:ss``, ``mm:ss`` or seconds from the start; blank when it was not
observed). :func:`compare_msel` gives each row its difference from the
simulated time (observed minus simulated: positive is later than the
simulation) and a verdict against a tolerance; :func:`write_comparison`
writes ``<stem>_compare.csv`` and ``<stem>_compare.md`` beside the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from citysim.drill.msel import MSEL_COLUMNS
from citysim.errors import Problem, ScenarioError
from citysim.humanize import clock, minutes, parse_clock
from citysim.io.atomic import write_atomic
from citysim.report.results import read_saved

__all__ = ["Comparison", "compare_msel", "read_msel", "summary_lines", "write_comparison"]

DEFAULT_TOLERANCE_S = 120.0
"""Observed within this of the simulated time counts as on time (s)."""


@dataclass(frozen=True)
class Comparison:
    """Observed against simulated times.

    Attributes
    ----------
    table
        The MSEL with ``observed_s``, ``difference_s``, ``difference`` (signed
        ``±hh:mm:ss``) and ``verdict`` (``on time``, ``late``, ``early``,
        ``not observed``).
    summary
        ``injects, observed, not_observed, on_time, late, early,
        mean_difference_s, median_difference_s, max_late_s, tolerance_s``.
    """

    table: pd.DataFrame
    summary: dict[str, Any]


def read_msel(path: Path) -> pd.DataFrame:
    """Read a ``msel.csv`` (as written, or as saved back by a spreadsheet program).

    Raises
    ------
    ScenarioError
        When the file is missing or lacks a column of the MSEL.
    """
    path = Path(path)
    if not path.is_file():
        raise ScenarioError("no such file", source=path)
    table = read_saved(path, lambda p: pd.read_csv(p, dtype=str, keep_default_na=False,
                                                   encoding="utf-8-sig"))
    missing = [c for c in MSEL_COLUMNS if c not in table.columns]
    if missing:
        raise ScenarioError(f"not a drill timeline: missing columns {', '.join(missing)}",
                            source=path)
    return table


def _signed(seconds: float) -> str:
    if not np.isfinite(seconds):
        return ""
    return ("+" if seconds >= 0 else "-") + clock(abs(seconds))


def compare_msel(path: Path, *, tolerance_s: float = DEFAULT_TOLERANCE_S) -> Comparison:
    """Compare the observed times entered in a timeline with the simulated ones.

    Parameters
    ----------
    path
        The ``msel.csv`` with ``observed_time`` filled in.
    tolerance_s
        Largest difference that counts as on time (s).

    Returns
    -------
    Comparison

    Raises
    ------
    ScenarioError
        Naming every row whose ``observed_time`` is not a time.
    """
    table = read_msel(path)
    simulated = pd.to_numeric(table["scenario_time_s"], errors="coerce").to_numpy(float)
    observed = np.full(len(table), np.nan)
    problems = []
    for i, text in enumerate(table["observed_time"]):
        if not str(text).strip():
            continue
        try:
            observed[i] = parse_clock(text)
        except ValueError as err:
            problems.append(Problem(f"row {i + 2} (inject {table['inject_no'].iloc[i]}) "
                                    "observed_time", str(err)))
    if problems:
        raise ScenarioError(problems, source=path)
    diff = observed - simulated
    seen = np.isfinite(observed)
    verdict = np.where(~seen, "not observed",
                       np.where(np.abs(diff) <= tolerance_s, "on time",
                                np.where(diff > 0, "late", "early")))
    out = table.copy()
    out["observed_s"] = observed
    out["difference_s"] = diff
    out["difference"] = [_signed(d) for d in diff]
    out["verdict"] = verdict
    d = diff[seen]
    summary = {
        "injects": int(len(table)), "observed": int(seen.sum()),
        "not_observed": int((~seen).sum()), "on_time": int((verdict == "on time").sum()),
        "late": int((verdict == "late").sum()), "early": int((verdict == "early").sum()),
        "mean_difference_s": float(d.mean()) if d.size else None,
        "median_difference_s": float(np.median(d)) if d.size else None,
        "max_late_s": float(d.max()) if d.size and d.max() > 0 else None,
        "tolerance_s": float(tolerance_s),
    }
    return Comparison(table=out, summary=summary)


def summary_lines(comparison: Comparison) -> list[str]:
    """The comparison's summary in a few lines (for the terminal and the Markdown)."""
    s = comparison.summary
    lines = [f"{s['observed']} of {s['injects']} injects observed "
             f"({s['not_observed']} not observed); within {minutes(s['tolerance_s'])}: "
             f"{s['on_time']} on time, {s['late']} late, {s['early']} early"]
    if s["observed"]:
        lines.append(f"difference observed - simulated: mean {_signed(s['mean_difference_s'])}, "
                     f"median {_signed(s['median_difference_s'])}"
                     + (f", latest {_signed(s['max_late_s'])}" if s["max_late_s"] else ""))
    return lines


def write_comparison(comparison: Comparison, msel_path: Path) -> list[Path]:
    """Write ``<stem>_compare.csv`` and ``<stem>_compare.md`` beside the timeline.

    Returns
    -------
    list of Path
    """
    msel_path = Path(msel_path)
    stem = msel_path.with_suffix("").name
    table = comparison.table
    csv = write_atomic(msel_path.with_name(f"{stem}_compare.csv"),
                       lambda p: table.to_csv(p, index=False, encoding="utf-8-sig"))
    cols = ["inject_no", "scenario_time", "event", "to", "observed_time", "difference",
            "verdict", "notes"]
    lines = [f"# Drill: observed against simulated ({msel_path.name})", "",
             *[f"- {line}" for line in summary_lines(comparison)], "",
             "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(r[c]).replace("|", "\\|").replace("\n", " ") for c in cols)
              + " |" for r in table.to_dict("records")]
    md = write_atomic(msel_path.with_name(f"{stem}_compare.md"),
                      lambda p: p.write_text("\n".join(lines) + "\n", encoding="utf-8"))
    return [csv, md]
