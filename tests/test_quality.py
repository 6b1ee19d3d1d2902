"""The code checks of the project, run as the developers run them: ruff and mypy exit 0.

Both are dev dependencies (``pip install -e .[dev]``), configured in pyproject.toml;
nothing is skipped when they are missing: a missing tool is a broken install.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("command", [
    ["ruff", "check", "sim", "tests", "benchmarks", "calibration"],
    ["mypy"],  # the package, as [tool.mypy] says (typecheck/citysim -> sim)
], ids=["ruff", "mypy"])
def test_the_checker_passes(command):
    done = subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}"
