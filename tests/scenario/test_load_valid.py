import json
from pathlib import Path

import numpy as np
import pytest

from citysim.scenario import (
    DurationDistribution,
    Location,
    Scenario,
    load_scenario,
    load_scenario_dict,
    load_scenario_text,
    scenario_to_dict,
)
from citysim.scenario.hazards.chemical import ChemicalLeakConfig
from citysim.scenario.hazards.fire import FireConfig
from citysim.scenario.hazards.flood import FloodConfig

MINIMAL = """\
name: minimal
run: {duration: 1h, dt: 10s}
city:
  network: {synthetic: {}}
"""


def test_full_scenario_from_the_spec_loads(data_dir):
    s = load_scenario(data_dir / "full.yaml")
    assert isinstance(s, Scenario) and s.source_file == (data_dir / "full.yaml").absolute()
    assert s.name == "zhengzhou-rainstorm" and s.description == "free text"
    assert (s.run.duration, s.run.dt, s.run.seed, s.run.replications) == (21600, 5, 42, 1)
    net = s.city.network
    assert net.kind == "synthetic" and net.synthetic.rows == 40 and net.synthetic.block_m == 200
    assert (s.city.origin.lon, s.city.origin.lat) == (113.65, 34.76)
    assert s.city.terrain.synthetic.kind == "bowl" and s.city.terrain.synthetic.depth_m == 4
    assert s.city.population.residents == 200000
    assert s.city.population.distribution.kind == "uniform"
    assert s.city.buildings.synthetic.fire_resistant_fraction == 0.3
    # every location form
    assert [sh.location.kind for sh in s.shelters] == ["xy", "lonlat", "node"]
    assert s.shelters[0].name == "People's Park" and s.shelters[1].name is None
    assert s.stations[0].units.engine == 2 and s.stations[0].units.ladder == 0
    assert s.stations[0].turnout == 60 and s.stations[1].turnout == 80
    assert s.stations[1].units.total == 5
    # candidates: CSV read at load time into the same models
    cands = s.candidates.shelters
    assert [c.id for c in cands] == ["K1", "K2", "K3"]
    assert cands[1].capacity is None and cands[1].area_m2 == 2500.5 and cands[2].area_m2 is None
    assert cands[0].csv_row == (data_dir / "candidate_shelters.csv", 1, 2)
    assert s.candidates.stations[0].units.engine == 1  # a new station gets one engine
    # hazards, each its registered model
    flood, leak, fire = s.hazards
    assert isinstance(flood, FloodConfig) and isinstance(leak, ChemicalLeakConfig)
    assert isinstance(fire, FireConfig)
    assert flood.rain_mm_h.value_at(2.5 * 3600) == 201.9 and flood.drainage_mm_h == 30
    assert flood.inflows[0].m3_s.value_at(4000) == 80 and flood.infiltration_mm_h == 0
    assert leak.substance.name == "chlorine" and leak.substance.aegl_ppm.aegl2 == 2.0
    assert leak.release.kind == "continuous" and leak.release.duration == 1800
    assert leak.weather.stability == "D" and leak.source.height_m == 2
    assert fire.ignitions[0].at == 0 and fire.wind.speed_mps == 5
    b = s.behaviour
    assert b.warnings[0].at == 600 and b.warnings[0].reach == 0.9
    assert isinstance(b.response_delay, DurationDistribution) and b.response_delay.median == 600
    assert b.walk_speed_mps.min == 0.5 and b.mode_share.walk == 0.7 and b.persons_per_car == 2.5
    assert s.response.standard == 300 and s.response.service_time.median == 1200
    assert s.response.background_calls.rate_per_h == 2
    assert s.outputs.dir == data_dir.absolute() / "results" / "zhengzhou-rainstorm"
    assert s.outputs.every == 60 and s.outputs.probes[0].id == "P1" and s.outputs.plots is True


def test_minimal_scenario_gets_the_defaults(tmp_path):
    s = load_scenario_text(MINIMAL, base_dir=tmp_path)
    assert s.description == "" and s.shelters == () and s.stations == () and s.hazards == ()
    assert s.candidates.shelters == () and s.city.terrain is None and s.city.buildings is None
    syn = s.city.network.synthetic
    assert (syn.kind, syn.rows, syn.cols, syn.block_m, syn.arterial_every, syn.jitter_m) == (
        "grid",
        20,
        20,
        200.0,
        5,
        0.0,
    )
    assert s.city.max_snap_m == 500 and s.city.population.residents == 10000
    b = s.behaviour
    assert (b.response_delay.dist, b.response_delay.median, b.response_delay.sigma) == (
        "lognormal",
        600.0,
        0.6,
    )
    assert (b.walk_speed_mps.mean, b.walk_speed_mps.sd, b.walk_speed_mps.min) == (1.34, 0.26, 0.5)
    assert (b.compliance, b.action, b.mode_share.car, b.persons_per_car) == (0.85, "auto", 0.3, 2.5)
    assert s.response.dispatch == "closest_available" and s.response.standard == 300
    assert (
        s.response.background_calls.rate_per_h == 0 and s.response.background_calls.profile is None
    )
    assert s.outputs.dir is None and s.outputs.every == 60 and s.outputs.plots
    assert s.run.seed == 0 and s.run.replications == 1


def test_empty_optional_sections_take_their_defaults(tmp_path):
    s = load_scenario_text(MINIMAL + "hazards:\nshelters:\nbehaviour:\n", base_dir=tmp_path)
    assert s.hazards == () and s.shelters == () and s.behaviour.compliance == 0.85


def test_csv_shelters_and_stations(data_dir):
    text = MINIMAL + (
        "  origin: {lon: 113.6, lat: 34.7}\n"
        "shelters: {csv: shelters.csv}\nstations: {csv: stations.csv}\n"
    )
    s = load_scenario_text(text, base_dir=data_dir)
    assert [(x.id, x.capacity, x.kind, x.location.kind) for x in s.shelters] == [
        ("S1", 5000, "park", "lonlat"),
        ("S2", 3000, "square", "lonlat"),
    ]
    f1, f2 = s.stations
    assert (f1.units.engine, f1.units.ladder, f1.units.hazmat, f1.turnout) == (2, 1, 0, 60.0)
    assert (f2.location.node, f2.units.ambulance, f2.turnout) == (230, 1, 80.0)
    assert [loc for loc, _ in s.locations()][:2] == [
        ("shelters", "csv", "[row 1]", "location"),
        ("shelters", "csv", "[row 2]", "location"),
    ]


@pytest.mark.parametrize(
    ("network", "kind"),
    [("graphml: city.graphml", "graphml"), ("osm: city.osm", "osm")],
)
def test_file_networks_resolve_relative_to_the_scenario(data_dir, tmp_path, network, kind):
    text = MINIMAL.replace("{synthetic: {}}", "{" + network + "}")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    s = load_scenario_text(text, base_dir=data_dir)
    value = getattr(s.city.network, kind)
    assert isinstance(value, Path) and value.is_absolute() and value.parent == data_dir.absolute()
    assert s.city.network.kind == kind


def test_terrain_population_and_buildings_files(data_dir):
    text = MINIMAL + (
        "  terrain: {asc: dem.asc}\n"
        "  population: {distribution: {asc: dem.asc}}\n"
        "  buildings: {synthetic: {density: 1}}\n"
    )
    s = load_scenario_text(text, base_dir=data_dir)
    assert s.city.terrain.asc == data_dir.absolute() / "dem.asc"
    assert s.city.population.distribution.kind == "asc"
    assert s.city.buildings.synthetic.footprint_m == 12
    text = MINIMAL + "  population: {distribution: {node_weight: population}}\n"
    s = load_scenario_text(text, base_dir=data_dir)
    assert s.city.population.distribution.node_weight == "population"


def test_radial_network_and_instantaneous_release(tmp_path):
    text = MINIMAL.replace(
        "{synthetic: {}}", "{synthetic: {kind: radial, rings: 3, spokes: 6}}"
    ) + (
        "hazards:\n"
        "  - type: chemical_leak\n"
        "    source: {location: {node: 3}}\n"
        "    substance: {name: phosgene, mw_g_mol: 98.9, aegl_ppm: {aegl2: 0.3, aegl3: 0.75}}\n"
        "    release: {mass_kg: 2000}\n"
        "    weather: {wind_speed_mps: 2, from_deg: 90, stability: F, terrain: rural}\n"
    )
    s = load_scenario_text(text, base_dir=tmp_path)
    assert s.city.network.synthetic.spokes == 6
    leak = s.hazards[0]
    assert leak.release.kind == "instantaneous" and leak.release.start == 0
    assert leak.substance.probit is None and leak.substance.aegl_ppm.aegl1 is None


def test_resolved_is_json_and_loads_back_to_the_same_scenario(data_dir):
    s = load_scenario(data_dir / "full.yaml", overrides=["run.dt=10s"], seed=3)
    resolved = s.resolved()
    assert resolved == scenario_to_dict(s)
    text = json.dumps(resolved, allow_nan=False)
    assert '"duration": 21600.0' in text and str(data_dir.absolute()) in text
    assert resolved["city"]["network"] == {
        "synthetic": {
            "kind": "grid",
            "rows": 40,
            "cols": 40,
            "block_m": 200.0,
            "arterial_every": 5,
            "jitter_m": 0.0,
        }
    }
    assert resolved["hazards"][1]["substance"]["mw_g_mol"] == pytest.approx(70.906)
    again = load_scenario_dict(json.loads(text), base_dir="/nonexistent")
    assert again == s and again.resolved() == resolved and again.digest() == s.digest()
    assert s.overrides == ("run.dt=10s", "run.seed=3")


def test_load_scenario_dict_does_not_modify_its_input(full_data, data_dir):
    before = json.dumps(full_data, default=str)
    s = load_scenario_dict(full_data, base_dir=data_dir, overrides=["run.seed=9"])
    assert s.run.seed == 9 and json.dumps(full_data, default=str) == before


def test_locations_and_problems_point_into_the_file(data_dir):
    s = load_scenario(data_dir / "full.yaml")
    locs = dict(s.locations())
    assert locs[("hazards", 1, "source", "location")] == Location(x=900, y=400)
    assert ("candidates", "shelters", "csv", "[row 3]", "location") in locs
    p = s.problem(("shelters", 2, "location"), "off the map")
    assert (p.path, p.line, p.message) == ("shelters[2].location", 25, "off the map")
    p = s.problem(("candidates", "shelters", "csv", "[row 3]", "location"), "off the map")
    assert (p.path, p.line) == ("candidates.shelters.csv[row 3].location", 27)


def test_scenarios_are_immutable(data_dir):
    s = load_scenario(data_dir / "full.yaml")
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        s.run.dt = 1
    with pytest.raises(ValueError):
        s.hazards[0].rain_mm_h.value[0] = 1
    assert isinstance(s.shelters, tuple)


def test_the_project_scenarios_load():
    from citysim.app.risk import is_risk_file
    from citysim.experiments.spec import load_experiment

    root = Path(__file__).resolve().parents[2] / "scenarios"
    for path in sorted(root.glob("*.yaml")):
        if is_risk_file(path):  # a risk assessment's file (kind: risk) beside its city
            load_experiment(path)
        else:
            load_scenario(path)


def test_sampling_from_a_loaded_scenario(data_dir):
    s = load_scenario(data_dir / "full.yaml")
    delays = s.behaviour.response_delay.sample(np.random.default_rng(0), 1000)
    assert delays.min() > 0 and 400 < np.median(delays) < 800


def test_scenarios_pickle_and_copy(data_dir):
    import copy
    import pickle

    s = load_scenario(data_dir / "full.yaml", overrides=["run.dt=10s"])
    for other in (pickle.loads(pickle.dumps(s)), copy.deepcopy(s)):
        assert other == s and other.resolved() == s.resolved()
        assert other.overrides == s.overrides and other.source_file == s.source_file
        assert other.problem(("run", "duration"), "x").line == 5
