"""A tiny evacuation town and experiment files over it, written as users write them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# 36 intersections, 300 agents of 2 persons, 20 simulated minutes at dt 10 s:
# a run takes a few hundredths of a second once numba's cache is warm
TOWN = """\
name: tiny-town
run: {duration: 20min, dt: 10s, seed: 3}
city:
  network:
    synthetic: {kind: grid, rows: 6, cols: 6, block_m: 150, jitter_m: 5}
  population: {residents: 600, persons_per_agent: 2}
shelters:
  - {id: S1, location: {x: 0, y: 0}, capacity: 400}
  - {id: S2, location: {x: 750, y: 750}, capacity: 400}
behaviour:
  warnings: [{at: 1min, reach: 1.0}]
  response_delay: {dist: lognormal, median: 3min, sigma: 0.5}
  compliance: 0.8
  action: evacuate
outputs: {every: 1min, plots: false}
"""

ONE_SHELTER = "[{id: S1, location: {x: 0, y: 0}, capacity: 400}]"
OFF_THE_MAP = ("[{id: S1, location: {x: 0, y: 0}, capacity: 400}, "
               "{id: S9, location: {x: 9000, y: 0}, capacity: 400}]")


def write(folder: Path, name: str, text: str) -> Path:
    """Write ``text`` to ``folder/name`` and return the path."""
    path = Path(folder) / name
    path.write_text(text)
    return path


def town(folder: Path) -> Path:
    """The tiny town as ``folder/town.yaml``."""
    return write(folder, "town.yaml", TOWN)


def cli_env() -> dict[str, str]:
    """Environment for ``python -m citysim.cli`` in a subprocess: this checkout on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    return env


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``citysim`` in a subprocess and wait for it."""
    return subprocess.run([sys.executable, "-m", "citysim.cli", *args], capture_output=True,
                          text=True, cwd=cwd, env=cli_env(), timeout=300)
