"""``citysim report``: one HTML page of a result folder (a run or an experiment)."""

from __future__ import annotations

from pathlib import Path

from citysim.app.folders import check_output_file
from citysim.report.html import write_report

__all__ = ["report"]


def report(results_dir: Path, out: Path | None = None) -> Path:
    """Write the report of a result folder and return the page's path.

    Parameters
    ----------
    results_dir
        A run's or an experiment's result folder.
    out
        The page (default ``<results_dir>/report.html``).

    Raises
    ------
    ScenarioError
        When ``results_dir`` is not a result folder, or ``out`` cannot be written.
    """
    return write_report(results_dir, None if out is None else check_output_file(out, "--out"))
