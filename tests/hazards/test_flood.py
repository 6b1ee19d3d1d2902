"""The flood hazard in the model: roads drown, residents and engines feel it."""

import numpy as np
import pandas as pd
import pytest

from sim.hazards.flood import pregnolato_speed_factor
from sim.runner import run_scenario
from sim.scenario import load_scenario_text


def test_pregnolato_reference_values():
    # MODELS.md: w = 0, 100, 200, 299 mm -> 86.94, 40.65, 12.36, 2.09 km/h (of 86.9448)
    f = pregnolato_speed_factor(np.array([0.0, 0.1, 0.2, 0.299, 0.3, 1.0]))
    np.testing.assert_allclose(f[:4] * 86.9448, [86.9448, 40.65, 12.36, 2.09], atol=0.01)
    assert f[4] == 0 and f[5] == 0
    assert pregnolato_speed_factor(np.array([0.2]), closed_depth_m=0.15)[0] == 0


BOWL = """\
name: bowl-storm
run: {{duration: 2h, dt: 10s, seed: 4}}
city:
  network: {{synthetic: {{kind: grid, rows: 11, cols: 11, block_m: 200, arterial_every: 5}}}}
  terrain: {{synthetic: {{kind: bowl, cell_m: 50, slope: 0.0, depth_m: 4}}}}
  population: {{residents: 4000, persons_per_agent: 4}}
shelters:
  - {{id: HIGH, location: {{x: 0, y: 0}}, capacity: 5000}}
stations:
  - {{id: F1, location: {{x: 2000, y: 2000}}, units: {{engine: 3}}, turnout: 60s}}
behaviour:
  action: auto
  response_delay: {{dist: fixed, value: 2min}}
  compliance: 1.0
  word_of_mouth_per_h: 0
response:
  service_time: {{dist: fixed, value: 10min}}
  background_calls: {{rate_per_h: 20, distribution: uniform}}
outputs: {{every: 5min, plots: false, probes: [{{id: CENTRE, location: {{x: 1000, y: 1000}}}}]}}
{hazards}"""

STORM = """hazards:
  - type: flood
    rain_mm_h: [[0, 0], [10min, 150], [50min, 20]]
    drainage_mm_h: 12
    manning_n: 0.05
    road_closed_depth_m: 0.3
"""


@pytest.fixture(scope="module")
def storm():
    return run_scenario(load_scenario_text(BOWL.format(hazards=STORM), base_dir="."))


@pytest.fixture(scope="module")
def dry():
    return run_scenario(load_scenario_text(BOWL.format(hazards=""), base_dir="."))


def test_the_bowl_fills_and_its_roads_close(storm):
    s = storm.summary
    assert s["flood_max_depth_m"] > 0.3
    assert s["flood_volume_balance_error"] < 1e-9
    assert s["flooded_road_km"] > 0
    assert s["flood_rain_m3"] > 0 and s["flood_loss_m3"] > 0
    probes = storm.probes.set_index("t_s")
    assert probes["depth_m"].iloc[0] == 0 and probes["depth_m"].max() > 0.3
    assert storm.timeseries["closed_edges"].max() > 0


def test_the_flood_warns_and_moves_the_people_in_its_way(storm, dry):
    assert dry.summary["evacuated"] == 0  # no warning on a dry day
    s = storm.summary
    assert s["evacuated"] > 0  # warned by the water, `auto` evacuates from a flood
    assert s["evacuated"] + s["sheltered_in_place"] + s["not_evacuated"] + s["fatalities"] \
        == s["residents_total"]


def test_a_flood_that_closes_roads_lengthens_response_times(storm, dry):
    a, b = dry.incidents, storm.incidents
    pd.testing.assert_series_equal(a["t_call_s"], b["t_call_s"])  # same calls
    wet = b["t_call_s"] > 1800  # once the bowl has filled
    assert b["response_time_s"][wet].mean() > a["response_time_s"][wet].mean()


def test_flooded_roads_are_listed_in_the_order_they_close(storm, tmp_path):
    from sim.runner import write_results

    roads = storm.hazard_tables["flooded_roads"]
    assert list(roads.columns) == ["edge", "from_node", "to_node", "length_m", "max_depth_m",
                                   "t_closed_s"]
    assert (roads["max_depth_m"] >= 0.05).all()
    closed = roads[roads["t_closed_s"].notna()]
    assert len(closed) == storm.timeseries["closed_edges"].max()  # the water never recedes
    assert closed["t_closed_s"].is_monotonic_increasing
    assert (closed["max_depth_m"] >= 0.3).all()
    write_results(storm, tmp_path, plots=False)
    back = pd.read_parquet(tmp_path / "flooded_roads.parquet")
    pd.testing.assert_frame_equal(back, roads)
