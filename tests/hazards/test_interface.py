"""The hazard contract, run over every hazard model registered (and a test one)."""

import numpy as np
import pytest

from citysim.app.run import run
from citysim.hazards import registry
from citysim.hazards.base import check_fields
from citysim.model import build_hazards
from citysim.rng import world_streams
from citysim.scenario import load_scenario_text
from citysim.world.builder import build_world
from tests.hazards import road_block
from tests.scenarios import SMALL_CITY

CITY_SECTIONS = {
    "terrain": "  terrain: {synthetic: {kind: bowl, cell_m: 50, depth_m: 3}}\n",
    "buildings": "  buildings: {synthetic: {density: 0.6}}\n",
}
"""What each ``requires_city`` section is given in the contract test."""


def scenario_with(tmp_path, block: dict):
    import yaml

    text = SMALL_CITY + yaml.safe_dump({"hazards": [block]}, default_flow_style=False)
    for section in registry.hazard_config(block["type"]).requires_city:
        text = text.replace("city:\n", "city:\n" + CITY_SECTIONS[section], 1)
    return load_scenario_text(text, base_dir=tmp_path)


def example_block(type_name: str) -> dict:
    module = __import__(registry.hazard_model(type_name).__module__, fromlist=["EXAMPLE"])
    return module.EXAMPLE


@pytest.mark.parametrize("type_name", [*registry.runnable_hazards(), "road_block"])
def test_every_hazard_keeps_its_contract(tmp_path, with_road_block, type_name):
    scenario = scenario_with(tmp_path, example_block(type_name))
    world = build_world(scenario, world_streams(0))
    (hazard,) = build_hazards(scenario, world, world_streams(0))
    assert hazard.type_name == type_name
    for t in np.arange(0.0, 600.0, 60.0):
        hazard.advance(t, 60.0)
        assert check_fields(hazard, world.network.n_edges) == []
    summary = hazard.summary()
    assert summary and all(isinstance(k, str) for k in summary)


def test_check_fields_catches_a_broken_hazard(tmp_path, with_road_block):
    scenario = scenario_with(tmp_path, road_block.EXAMPLE)
    world = build_world(scenario, world_streams(0))
    (hazard,) = build_hazards(scenario, world, world_streams(0))
    hazard.edge_in_zone = hazard.edge_in_zone[:-1]
    hazard.active = True
    assert any("shape" in p for p in check_fields(hazard, world.network.n_edges))


def test_closures_reach_routes_series_probes_and_summary(tmp_path, with_road_block):
    scenario = scenario_with(tmp_path, road_block.EXAMPLE)
    out = run(scenario)
    ts = out.timeseries
    closed = ts.set_index("t_s")["closed_edges"]
    assert (closed.loc[:240] == 0).all() and (closed.loc[300:] > 0).all()
    assert out.summary["route_updates"] == 2  # at the start, and once at the closure
    assert out.summary["road_block_edges_closed"] == closed.iloc[-1]
    probes = out.probes.set_index("t_s")["blocked"]
    assert probes.loc[0] == 0 and probes.loc[600] == 1


def test_next_hop_tree_avoids_closed_roads(tmp_path, with_road_block):
    from citysim.model import CityModel
    from citysim.rng import replication_seeds

    scenario = scenario_with(tmp_path, road_block.EXAMPLE)
    world = build_world(scenario, world_streams(scenario.run.seed))
    model = CityModel(scenario, replication_seeds(scenario.run.seed, 1)[0], world=world)
    while model.t_s < 300:
        model.step()
    next_edge, _ = model.routes
    for mode in (0, 1):
        used = next_edge[mode][next_edge[mode] >= 0]
        assert model.edge_closed.any() and not model.edge_closed[used].any()


@pytest.mark.parametrize("action", ["auto", "evacuate"])
def test_hazards_warn_the_places_they_reach_and_choose_the_action(tmp_path, with_road_block,
                                                                  action):
    from citysim.agents.states import State
    from citysim.model import CityModel
    from citysim.rng import replication_seeds

    text_extra = (f"behaviour: {{action: {action}, compliance: 1.0, word_of_mouth_per_h: 0, "
                  "response_delay: {dist: fixed, value: 0}}\n")
    import yaml

    text = SMALL_CITY + text_extra + yaml.safe_dump({"hazards": [road_block.EXAMPLE]})
    scenario = load_scenario_text(text, base_dir=tmp_path)
    world = build_world(scenario, world_streams(scenario.run.seed))
    model = CityModel(scenario, replication_seeds(scenario.run.seed, 1)[0], world=world)
    while model.t_s < 290:
        model.step()
    assert (model.residents.state == State.AT_HOME).all()  # nothing before the hazard
    while model.t_s < 320:
        model.step()
    (hazard,) = model.hazards
    in_zone = hazard.node_in_zone[model.plan.home_node]
    state = model.residents.state
    assert in_zone.any() and (state[~in_zone] == State.AT_HOME).all()
    if action == "auto":
        assert (state[in_zone] == State.SHELTERED_IN_PLACE).all()
    else:
        assert not (state[in_zone] == State.AT_HOME).any()
        assert not (state[in_zone] == State.SHELTERED_IN_PLACE).any()


def test_a_hazard_type_without_a_model_stops_with_its_yaml_path(tmp_path, monkeypatch):
    from citysim.errors import ScenarioError
    from citysim.scenario.hazard import HazardConfig

    class SinkholeConfig(HazardConfig):
        depth_m: float = 1.0

    monkeypatch.setitem(registry._REGISTRY, "sinkhole", SinkholeConfig)
    monkeypatch.setattr(SinkholeConfig, "hazard_type", "sinkhole")
    scenario = scenario_with(tmp_path, {"type": "sinkhole"})
    world = build_world(scenario, world_streams(0))
    with pytest.raises(ScenarioError, match=r"hazards\[0\]\.type.*valid but this version"):
        build_hazards(scenario, world, world_streams(0))
