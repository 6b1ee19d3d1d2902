"""Where a verb writes: one rule for every verb that runs a scenario."""

from __future__ import annotations

from pathlib import Path

from citysim.scenario import Scenario

__all__ = ["output_folder"]


def output_folder(scenario: Scenario, out: str | Path | None = None, *, suffix: str = "") -> Path:
    """The result folder of a verb run on a scenario.

    ``out`` (``--out``) when given; else the scenario's ``outputs.dir``
    (relative to the scenario file, absolute once loaded); else
    ``results/<name>`` under the working directory. A verb with its own
    folder (``coverage``, ``optimize``) appends its ``suffix`` to the last
    two (``results/<name>-coverage``, ``<outputs.dir>-coverage``), so it
    never writes into the run's folder.

    Parameters
    ----------
    scenario
        The loaded scenario.
    out
        The folder the user named, if any.
    suffix
        The verb's suffix, e.g. ``"-coverage"``.

    Returns
    -------
    Path
    """
    if out is not None:
        return Path(out)
    base = scenario.outputs.dir if scenario.outputs.dir is not None else (
        Path("results") / scenario.name)
    return base.with_name(base.name + suffix) if suffix else base
