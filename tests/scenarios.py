"""Small scenarios for tests, written as YAML the way users write them."""

from __future__ import annotations

from pathlib import Path

SMALL_CITY = """\
name: small-town
run: {duration: 20min, dt: 10s, seed: 11}
city:
  network:
    synthetic: {kind: grid, rows: 8, cols: 8, block_m: 150, arterial_every: 4, jitter_m: 10}
  population: {residents: 5003, persons_per_agent: 3}
shelters:
  - {id: S1, name: Park, location: {x: 300, y: 300}, capacity: 2000, kind: park}
  - {id: S2, location: {node: 60}, capacity: 1500}
stations:
  - {id: F1, location: {x: 600, y: 450}, units: {engine: 2, rescue: 1}}
outputs:
  every: 2min
  probes: [{id: P1, location: {x: 450, y: 450}}]
  plots: false
"""


def write_scenario(folder: Path, text: str = SMALL_CITY, name: str = "small.yaml") -> Path:
    """Write a scenario file into ``folder`` and return its path."""
    path = Path(folder) / name
    path.write_text(text)
    return path
