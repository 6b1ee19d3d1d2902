"""A small flooded district for the report, GIS and drill tests: one run shows everything.

Water gathers in the bowl and closes streets; a lorry blocks a street for 40
minutes (``road_closure``); two engines in a corner station answer frequent
calls against a 3-minute standard, so calls wait and responses run late; a
small shelter fills; a scheduled warning; two scripted injects; an engine out
of service for a while.
"""

from __future__ import annotations

from pathlib import Path

STORM_CITY = """\
name: storm-drill
description: Cloudburst over a small bowl district, for drills.
run: {duration: 100min, dt: 10s, seed: 5}
city:
  origin: {lon: 113.65, lat: 34.75}   # Zhengzhou: the GIS layers are WGS84
  network: {synthetic: {kind: grid, rows: 9, cols: 9, block_m: 200, arterial_every: 4}}
  terrain: {synthetic: {kind: bowl, cell_m: 50, slope: 0.0, depth_m: 4}}
  population: {residents: 3000, persons_per_agent: 3}
shelters:
  - {id: HILL, name: Hill school, location: {x: 0, y: 1600}, capacity: 240, kind: school}
  - {id: PARK, name: East park, location: {x: 1600, y: 0}, capacity: 5000, kind: park}
stations:
  - {id: F1, name: Corner station, location: {x: 0, y: 0}, units: {engine: 2, rescue: 1},
     turnout: 60s}
hazards:
  - type: flood
    rain_mm_h: [[0, 0], [5min, 180], [45min, 20]]
    drainage_mm_h: 12
    manning_n: 0.05
    road_closed_depth_m: 0.3
  - type: road_closure
    closures:
      - {id: LORRY, label: Lorry across Ring Road, location: {x: 1500, y: 1100}, at: 20min,
         until: 60min}
behaviour:
  warnings: [{at: 5min, reach: 0.8}]
  action: evacuate
  response_delay: {dist: fixed, value: 3min}
  compliance: 0.9
  word_of_mouth_per_h: 0
response:
  standard: 3min
  service_time: {dist: fixed, value: 15min}
  background_calls: {rate_per_h: 6, distribution: uniform}
  out_of_service: [{unit: F1-engine1, at: 45min, until: 80min}]
outputs:
  every: 5min
  plots: true
  animation: true
  geojson: true
drill:
  injects:
    - {at: 10min, event: Metro operator reports water at Line 5 entrance, to: metro control,
       expected_action: Close the entrance and stop trains into the low section,
       objective: Metro flood protocol}
    - {at: 50min, event: Mutual aid requested for the district, to: fire dispatch,
       expected_action: Send one engine from the neighbouring district}
"""
"""The scenario (anchored at Zhengzhou by ``city.origin``: its GIS layers are WGS84)."""

ORIGIN = (113.65, 34.75)
"""``city.origin`` of the scenario: (lon, lat) in degrees."""


def write_storm(folder: Path, text: str = STORM_CITY) -> Path:
    """Write the scenario into ``folder`` and return its path."""
    path = Path(folder) / "storm.yaml"
    path.write_text(text)
    return path
