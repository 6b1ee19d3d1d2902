"""Scenarios with candidate sites, shared by the placement and ``citysim optimize`` tests."""

from pathlib import Path

from citysim.rng import world_streams
from citysim.scenario import load_scenario, load_scenario_text
from citysim.world.builder import build_world
from tests.scenarios import SMALL_CITY, write_scenario

SHELTER_PLAN = Path(__file__).resolve().parents[2] / "scenarios" / "shelter-plan.yaml"

CANDIDATES = """\
candidates:
  shelters:
    - {id: C1, name: School yard, location: {x: 900, y: 900}, area_m2: 1500, kind: school}
    - {id: C2, location: {node: 10}, capacity: 700}
  stations:
    - {id: K1, location: {x: 1050, y: 1050}, turnout: 60s}
"""
CITY = SMALL_CITY + CANDIDATES


def small(text: str = CITY, tmp_path: Path | None = None):
    if tmp_path is not None:
        return load_scenario(write_scenario(tmp_path, text))
    return load_scenario_text(text, base_dir=".")


def built(scenario):
    return build_world(scenario, world_streams(int(scenario.run.seed)))
