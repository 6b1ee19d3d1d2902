"""The flood hazard in the model: roads drown, residents and engines feel it."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from citysim.app.run import run
from citysim.hazards.flood import pregnolato_speed_factor
from citysim.scenario import load_scenario_text


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
  - {{id: F1, location: {{x: 2000, y: 2000}}, units: {{engine: 3, rescue: 2}}, turnout: 60s}}
behaviour:
  action: auto
  response_delay: {{dist: fixed, value: 20min}}
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
    return run(load_scenario_text(BOWL.format(hazards=STORM), base_dir="."))


@pytest.fixture(scope="module")
def dry():
    return run(load_scenario_text(BOWL.format(hazards=""), base_dir="."))


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
    a = dry.incidents
    b = storm.incidents[storm.incidents["kind"] != "flood_rescue"].reset_index(drop=True)
    pd.testing.assert_series_equal(a["t_call_s"], b["t_call_s"])  # same background calls
    wet = b["t_call_s"] > 1800  # once the bowl has filled
    assert b["response_time_s"][wet].mean() > a["response_time_s"][wet].mean()


def test_flooded_roads_are_listed_in_the_order_they_close(storm, tmp_path):
    from citysim.results import write_results

    roads = storm.hazard_tables["flooded_roads"]
    assert list(roads.columns) == ["edge", "from_node", "to_node", "length_m", "max_depth_m",
                                   "t_closed_s", "kind", "t_max_depth_s"]
    assert set(roads["kind"]) == {"road"}  # this city has no underpass
    assert (roads["t_max_depth_s"] >= roads["t_closed_s"].fillna(0)).all()
    assert (roads["max_depth_m"] >= 0.05).all()
    closed = roads[roads["t_closed_s"].notna()]
    assert len(closed) == storm.timeseries["closed_edges"].max()  # the water never recedes
    assert closed["t_closed_s"].is_monotonic_increasing
    assert (closed["max_depth_m"] >= 0.3).all()
    write_results(storm, tmp_path, plots=False)
    back = pd.read_parquet(tmp_path / "flooded_roads.parquet")
    pd.testing.assert_frame_equal(back, roads)


def test_people_caught_in_the_bowl_are_trapped_and_rescued(storm):
    # walkers wade out of shallow water: those caught are the ones who set off late (20 min
    # after the water warned them), when the bottom of the bowl was too deep to go on
    s = storm.summary
    inc = storm.incidents
    rescues = inc[inc["kind"] == "flood_rescue"]
    assert s["flood_rescue_calls"] == len(rescues) > 0
    assert s["flood_persons_trapped"] > 0 and s["flood_persons_in_water"] >= \
        s["flood_persons_trapped"]
    assert not rescues["lost"].any()  # they wait for a unit (the bowl's roads are closed)
    assert storm.timeseries["trapped"].max() > 0
    # the harm the flood did is the model's harm: injured survivors, fatalities
    assert s["injured"] == s["flood_persons_injured"] - s["flood_persons_dead"]
    assert s["fatalities"] == s["flood_persons_dead"]


ZHENGZHOU = Path(__file__).resolve().parents[2] / "scenarios" / "zhengzhou-720-rainstorm.yaml"


@pytest.mark.slow
def test_zhengzhou_storm_drowns_the_underpasses_then_the_valley():
    from citysim.scenario import load_scenario

    # the shipped scenario with a tenth of its residents, to 17:30 (the peak hour and after)
    scenario = load_scenario(ZHENGZHOU, overrides=["city.population.residents=30000",
                                                   "run.duration=5h30min"])
    out = run(scenario)
    s = out.summary
    wl = out.hazard_tables["waterlogging"]
    under = wl[wl["kind"] == "underpass"].set_index("name")
    assert len(under) == 6 and (under["max_depth_m"] >= 0.3).all()
    # the underpass on the valley floor closes first, more than an hour before the others,
    # which all close before 16:00 (t = 4 h); the streets of the valley follow
    order = under["t_closed_s"].sort_values()
    assert order.index[0] == "Railway underpass (valley floor)"
    assert order.iloc[0] + 3600 < order.iloc[1] and order.iloc[-1] < 4 * 3600
    roads = out.hazard_tables["flooded_roads"]
    closed_roads = roads[(roads["kind"] == "road") & roads["t_closed_s"].notna()]
    assert len(closed_roads) > 100 and closed_roads["t_closed_s"].median() > order.iloc[-1]
    # 201.9 mm in the peak hour against 36 mm/h of drainage: the water balance still holds
    assert s["flood_volume_balance_error"] < 1e-9
    assert s["flood_rain_m3"] == pytest.approx(
        (16.0 + 30.1 + 56.8 + 107.1 + 201.9 + 0.5 * 107.1) / 1000 * out.hazards[0].dx_m ** 2
        * (out.hazards[0].z < 1e29).sum(), rel=1e-9)
    # people: evacuating, trapped in water, rescued; engines slowed by the closures
    assert s["evacuated"] > 0 and s["flood_persons_trapped"] > 0
    rescues = out.incidents[out.incidents["kind"] == "flood_rescue"]
    assert len(rescues) > 0 and rescues["t_arrive_s"].notna().any()
    assert out.timeseries["rescued"].iloc[-1] > 0
