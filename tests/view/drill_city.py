"""A small city for the drill-room tests: shelters, a station, buildings, background calls."""

DRILL_CITY = """\
name: drill-town
run: {duration: 16min, dt: 10s, seed: 5}
city:
  network:
    synthetic: {kind: grid, rows: 8, cols: 8, block_m: 150, arterial_every: 4, jitter_m: 10}
  population: {residents: 3000, persons_per_agent: 2}
  buildings:
    synthetic: {density: 0.5, footprint_m: 12, fire_resistant_fraction: 0.3}
shelters:
  - {id: S1, name: Park, location: {x: 300, y: 300}, capacity: 1500, kind: park}
  - {id: S2, location: {x: 900, y: 900}, capacity: 1500}
stations:
  - {id: F1, location: {x: 600, y: 450}, units: {engine: 2, rescue: 1}}
behaviour:
  warnings: [{at: 1min, reach: 0.5}]
  response_delay: {dist: lognormal, median: 2min, sigma: 0.5}
response:
  background_calls: {rate_per_h: 6}
outputs: {every: 1min, plots: false}
"""
