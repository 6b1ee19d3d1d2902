"""Fixtures of the scenario tests: the fixture files and a loader that returns problems."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from citysim.errors import ScenarioError
from citysim.scenario import load_scenario_text

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Folder of the scenario fixtures (full.yaml and its CSV files)."""
    return DATA


@pytest.fixture(scope="session")
def full_text() -> str:
    """The full scenario of SCENARIO_SPEC.md, as YAML text."""
    return (DATA / "full.yaml").read_text()


@pytest.fixture()
def full_data(full_text) -> dict:
    """The full scenario as a fresh dict (tests may modify it)."""
    return yaml.safe_load(full_text)


@pytest.fixture(scope="session")
def problems_of():
    """Load YAML text (paths relative to the fixtures); return its (path, line, message)s."""

    def run(text: str, **kwargs) -> list[tuple[str, int | None, str]]:
        try:
            load_scenario_text(text, base_dir=DATA, **kwargs)
        except ScenarioError as exc:
            return [(p.path, p.line, p.message) for p in exc.problems]
        return []

    return run
