"""Where a verb writes: one rule for every verb that runs a scenario, checked before it runs.

A verb's output folder is checked before anything is simulated
(:func:`check_output_folder`): it must be a folder that can be made and
written (not a file, not under a file, not read-only), and it is either
absent, empty, or a citysim result folder (one holding :data:`RESULT_MARKERS`),
which the new result replaces whole. A folder of other files is refused:
name another ``--out``, or remove the folder yourself.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from citysim.errors import Problem, ScenarioError
from citysim.scenario import Scenario

__all__ = ["RESULT_MARKERS", "check_output_file", "check_output_folder", "output_folder"]

RESULT_MARKERS: tuple[str, ...] = ("provenance.json", "coverage.json", "runs")
"""A folder holding one of these is a citysim result (a run, a coverage, an experiment)."""


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

    Raises
    ------
    ScenarioError
        When the folder cannot be used (:func:`check_output_folder`), at
        ``--out`` or ``outputs.dir``.
    """
    if out is not None:
        return check_output_folder(Path(out), "--out")
    key = "outputs.dir" if scenario.outputs.dir is not None else "--out"
    base = scenario.outputs.dir if scenario.outputs.dir is not None else (
        Path("results") / scenario.name)
    return check_output_folder(base.with_name(base.name + suffix) if suffix else base, key)


def check_output_folder(path: Path, key: str) -> Path:
    """``path``, once it is known to be usable as a result folder (see the module).

    Parameters
    ----------
    path
        The folder.
    key
        What named it, for the message (``--out``, ``outputs.dir``, ``out``).

    Raises
    ------
    ScenarioError
        When it is a file, lies under a file, cannot be written, or is a
        non-empty folder that is not a citysim result.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ScenarioError([Problem(key, f"{path} is a file, not a folder")])
    if path.is_dir() and any(path.iterdir()) and not any(
            (path / name).exists() for name in RESULT_MARKERS):
        raise ScenarioError([Problem(key, (
            f"{path} is a folder of other files, not a citysim result folder (it has no "
            f"{RESULT_MARKERS[0]}); name another folder, or remove this one yourself"))])
    _check_writable(path, key)
    return path


def check_output_file(path: Path, key: str) -> Path:
    """``path``, once a file can be written there (not a folder; its folder writable).

    Raises
    ------
    ScenarioError
        When it is a folder, or its folder cannot be made or written.
    """
    path = Path(path)
    if path.is_dir():
        raise ScenarioError([Problem(key, f"{path} is a folder, not a file")])
    _check_writable(path.parent, key)
    return path


def _check_writable(path: Path, key: str) -> None:
    """A folder can be made (or exists) at ``path`` and written: tried, not guessed."""
    base = path
    while not base.exists():
        if base.parent == base:
            break
        base = base.parent
    if not base.is_dir():
        raise ScenarioError([Problem(key, f"{path} lies under {base}, which is a file")])
    try:
        tempfile.TemporaryDirectory(dir=base, prefix=".citysim-probe-").cleanup()
    except OSError as err:
        raise ScenarioError([Problem(key, f"{path} cannot be written: {err.strerror or err}")]
                            ) from None
