"""``citysim drill``: a drill timeline (MSEL) from a run, and the exercise compared with it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from citysim.app.folders import output_folder
from citysim.app.run import run
from citysim.drill.compare import Comparison, compare_msel, write_comparison
from citysim.drill.msel import write_timeline
from citysim.scenario import Scenario

__all__ = ["Timeline", "compare", "timeline"]


@dataclass(frozen=True)
class Timeline:
    """A drill timeline written.

    Attributes
    ----------
    results_dir
        The run folder it comes from.
    msel
        The injects (``msel.csv``).
    paths
        The files written.
    """

    results_dir: Path
    msel: pd.DataFrame
    paths: list[Path]


def timeline(
    scenario: Scenario | None = None,
    *,
    from_dir: Path | None = None,
    out: Path | None = None,
    progress: bool = False,
) -> Timeline:
    """Run the scenario (or read a run's folder) and write its timeline.

    Parameters
    ----------
    scenario
        Run this scenario into :func:`~citysim.app.folders.output_folder`
        (``out`` first) and write the timeline there.
    from_dir
        Instead, a finished run's folder; the timeline goes to ``out``, else
        beside the results.
    out
        See above.
    progress
        Show the run's progress bar.
    """
    if scenario is not None and from_dir is None:
        results_dir = output_folder(scenario, out)
        run(scenario, out=results_dir, progress=progress)
    elif scenario is None and from_dir is not None:
        results_dir = Path(from_dir)
    else:
        raise ValueError("give a scenario or a results folder, not both or neither")
    msel, paths = write_timeline(results_dir, out)
    return Timeline(results_dir, msel, paths)


def compare(msel_path: Path, *, tolerance_s: float) -> tuple[Comparison, list[Path]]:
    """Compare the times observed in a filled-in timeline with the simulated ones, and write it.

    Returns
    -------
    comparison : Comparison
    paths : list of Path
        ``<stem>_compare.csv`` and ``<stem>_compare.md`` beside the timeline.
    """
    comparison = compare_msel(msel_path, tolerance_s=tolerance_s)
    return comparison, write_comparison(comparison, msel_path)
