"""``citysim report``: one HTML page of a result folder (a run or an experiment)."""

from __future__ import annotations

from pathlib import Path

from citysim.app.folders import check_output_file
from citysim.report.html import write_report
from citysim.report.pdf import write_pdf
from citysim.report.white_paper import is_risk_folder, write_white_paper

__all__ = ["report"]


def report(results_dir: Path, out: Path | None = None, lang: str = "en", *,
           pdf: bool = False) -> Path:
    """Write the report of a result folder and return the page's path.

    A ``citysim risk`` folder gets the risk white paper
    (:mod:`citysim.report.white_paper`, default ``white_paper_<lang>.html``).

    Parameters
    ----------
    results_dir
        A run's, an experiment's or a risk assessment's result folder.
    out
        The page (default ``<results_dir>/report.html``).
    lang
        Language of a risk white paper: ``en`` or ``zh``.
    pdf
        Also print the page to a PDF beside it (same name, ``.pdf``; headless
        Chromium, :mod:`citysim.report.pdf`).

    Raises
    ------
    ScenarioError
        When ``results_dir`` is not a result folder, or ``out`` cannot be written.
    """
    checked = None if out is None else check_output_file(out, "--out")
    if is_risk_folder(results_dir):
        page = write_white_paper(results_dir, checked, lang)
    else:
        page = write_report(results_dir, checked)
    if pdf:
        write_pdf(page)
    return page
