"""How a result folder was made: scenario, seed, versions, code and time."""

from __future__ import annotations

import functools
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from citysim.io.data_sources import data_sources
from citysim.scenario import Scenario

PACKAGES = ("citysim", "numpy", "numba", "scipy", "mesa", "pandas", "networkx", "pydantic",
            "pyarrow", "osmnx", "matplotlib")


def git_commit(root: Path | None = None) -> dict[str, Any] | None:
    """The citysim source's git commit and whether the tree was dirty, if it is a checkout.

    The install tree's is asked once per process (the code running is the
    code this process loaded): a batch worker does not start two ``git``
    processes per run. Read without taking git's locks (``--no-optional-locks``): a run
    never writes ``.git/index`` nor holds ``.git/index.lock`` while someone
    works in the checkout.

    Parameters
    ----------
    root
        The checkout (default: the one this module lies in).
    """
    found = _installed_commit() if root is None else _read_commit(Path(root))
    return None if found is None else dict(found)


@functools.cache
def _installed_commit() -> dict[str, Any] | None:
    return _read_commit(Path(__file__).resolve().parents[2])


def _read_commit(root: Path) -> dict[str, Any] | None:
    if not (root / ".git").exists():
        return None
    git = ["git", "--no-optional-locks", "-C", str(root)]
    try:
        commit = subprocess.run([*git, "rev-parse", "HEAD"], check=True,
                                capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run([*git, "status", "--porcelain", "--", "sim"],
                               check=True, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(dirty.strip())}


def versions() -> dict[str, str | None]:
    """Python and package versions (read once per process)."""
    return dict(_versions())


@functools.cache
def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def provenance(
    scenario: Scenario, *, started: datetime, wall_time_s: float, world: dict[str, Any]
) -> dict[str, Any]:
    """The provenance record of one run folder.

    Parameters
    ----------
    scenario
        The loaded scenario (resolved after overrides; durations in seconds).
    started
        Start time (UTC).
    wall_time_s
        Wall-clock time of the whole run (s).
    world
        Description of the built world (network source, import report).

    The record also lists the data files read, with their licences and
    attributions (``data_sources``, :func:`citysim.io.data_sources.data_sources`).

    Returns
    -------
    dict
    """
    source = scenario.source_file
    return {
        "scenario": scenario.resolved(),
        "scenario_hash": scenario.digest(),
        "scenario_file": str(source) if source is not None else None,
        "overrides": list(scenario.overrides),
        "seed": int(scenario.run.seed),
        "replications": int(scenario.run.replications),
        "seed_scheme": "the city from numpy SeedSequence(seed); replication i from "
                       "SeedSequence(seed).spawn(replications)[i]; component streams keyed by "
                       "sha256(name) (citysim.rng)",
        "versions": versions(),
        "git": git_commit(),
        "command": sys.argv,
        "started_utc": started.astimezone(UTC).isoformat(),
        "wall_time_s": wall_time_s,
        "world": world,
        "data_sources": data_sources(scenario),
    }
