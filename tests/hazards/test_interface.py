"""The hazard contract, run over every hazard model registered (and a test one)."""

import ast
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import citysim
from citysim.app.run import run
from citysim.hazards import registry
from citysim.hazards.base import check_fields
from citysim.model import build_hazards
from citysim.rng import world_streams
from citysim.scenario import load_scenario_text
from citysim.scenario.hazard import hazard_config
from citysim.world.builder import build_world
from tests.hazards import danger_zone, road_block
from tests.scenarios import SMALL_CITY

CITY_SECTIONS = {
    "terrain": "  terrain: {synthetic: {kind: bowl, cell_m: 50, depth_m: 3}}\n",
    "buildings": "  buildings: {synthetic: {density: 0.6}}\n",
}
"""What each ``requires_city`` section is given in the contract test."""


def scenario_with(tmp_path, block: dict):
    import yaml

    text = SMALL_CITY + yaml.safe_dump({"hazards": [block]}, default_flow_style=False)
    for section in hazard_config(block["type"]).requires_city:
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
    from citysim.scenario import hazard
    from citysim.scenario.hazard import HazardConfig

    class SinkholeConfig(HazardConfig):
        depth_m: float = 1.0

    monkeypatch.setitem(hazard._REGISTRY, "sinkhole", SinkholeConfig)
    monkeypatch.setattr(SinkholeConfig, "hazard_type", "sinkhole")
    scenario = scenario_with(tmp_path, {"type": "sinkhole"})
    world = build_world(scenario, world_streams(0))
    with pytest.raises(ScenarioError, match=r"hazards\[0\]\.type.*valid but this version"):
        build_hazards(scenario, world, world_streams(0))


# --- presentation: looked up by hazard type, never in the hazard or the model ---------------

SOURCE = Path(citysim.__file__).parent
PRESENTATION = ("matplotlib", "citysim.plots", "citysim.io.geojson", "citysim.io.hazard_layers")
"""What a hazard or the model must not import: drawing and GeoJSON code."""


def hazard_and_model_modules() -> list[str]:
    import citysim.hazards

    return ["citysim.model", *sorted(m.name for m in pkgutil.walk_packages(
        citysim.hazards.__path__, "citysim.hazards."))]


def test_hazards_and_the_model_import_no_presentation_when_loaded():
    code = ("import importlib, sys\n"
            f"for name in {hazard_and_model_modules()!r}:\n"
            "    importlib.import_module(name)\n"
            f"print(sorted(m for m in sys.modules if m.startswith({PRESENTATION!r})))\n")
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          check=True)
    assert done.stdout.strip() == "[]"


def test_hazards_and_the_model_name_no_presentation_anywhere_in_their_source():
    # the import test above misses an import inside a function: read every import statement
    files = [SOURCE / "model.py", *sorted((SOURCE / "hazards").glob("*.py"))]
    assert len(files) > 5
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            bad = [n for n in names if n == "citysim.plots" or n.startswith(PRESENTATION)]
            assert not bad, f"{path.name}:{node.lineno} imports {bad}"


def test_a_hazard_type_brings_its_figures_layers_and_frames(tmp_path, with_danger_zone,
                                                            monkeypatch):
    import json

    import matplotlib.image as mpimg

    from citysim.io.hazard_layers import HAZARD_LAYERS, hazard_layers
    from citysim.plots.hazards import HAZARD_FIGURES, hazard_figures

    monkeypatch.setitem(HAZARD_FIGURES, "danger_zone", danger_zone.figures)
    monkeypatch.setitem(HAZARD_LAYERS, "danger_zone", danger_zone.layers)
    import yaml

    text = SMALL_CITY.replace("plots: false", "plots: true\n  geojson: true\n  animation: true")
    text += yaml.safe_dump({"hazards": [danger_zone.EXAMPLE]})
    scenario = load_scenario_text(text, base_dir=tmp_path,
                                  overrides=["city.origin={lon: 113.65, lat: 34.75}"])
    out = run(scenario, out=tmp_path / "out")
    image = mpimg.imread(tmp_path / "out" / "plots" / "danger_zone.png")
    assert image.shape[:2] == (400, 400) and image[..., :3].std() > 0.05
    (feature,) = json.loads((tmp_path / "out" / "gis" / "danger_zone.geojson").read_text())[
        "features"]
    from pyproj import Transformer

    lon, lat = np.array(feature["geometry"]["coordinates"][0]).T  # WGS84, back to the frame
    x, y = Transformer.from_crs("EPSG:4326", out.world.crs, always_xy=True).transform(lon, lat)
    np.testing.assert_allclose(np.hypot(x - 450.0, y - 450.0), 200.0, atol=0.02)  # 1e-7 deg
    # the frames: nothing before the zone is active (at 120 s), its centre after
    zone = [(f.t_s, f.hazards[0]) for f in out.frames]
    assert [t for t, h in zone if h is None] == [0.0]  # record times every 2 min
    assert all(h.x_m[0] == 450.0 for t, h in zone if t > 0)
    assert (tmp_path / "out" / "animation.gif").is_file()
    # an unregistered type has no figures and no layers of its own
    monkeypatch.delitem(HAZARD_FIGURES, "danger_zone")
    monkeypatch.delitem(HAZARD_LAYERS, "danger_zone")
    (hazard,) = out.hazards
    assert hazard_figures(hazard, out.world) == {} and hazard_layers(hazard, out.world) == {}


def test_a_hazard_type_keeps_the_figures_and_layers_it_registered(monkeypatch):
    from citysim.io.hazard_layers import HAZARD_LAYERS, register_hazard_layers
    from citysim.plots.hazards import HAZARD_FIGURES, register_hazard_figures

    monkeypatch.setitem(HAZARD_FIGURES, "danger_zone", danger_zone.figures)
    monkeypatch.setitem(HAZARD_LAYERS, "danger_zone", danger_zone.layers)
    assert register_hazard_figures("danger_zone", danger_zone.figures) is danger_zone.figures
    with pytest.raises(ValueError, match="already has the figures"):
        register_hazard_figures("danger_zone", danger_zone.layers)
    with pytest.raises(ValueError, match="already has the layers"):
        register_hazard_layers("danger_zone", danger_zone.figures)
