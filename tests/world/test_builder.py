from pathlib import Path

import numpy as np
import pytest

from citysim.errors import ScenarioError
from citysim.projection import LocalFrame
from citysim.rng import world_streams
from citysim.scenario import load_scenario
from citysim.world.builder import build_world, node_population
from citysim.world.raster import Raster, write_asc
from tests.scenarios import SMALL_CITY, write_scenario


def build(tmp_path, text):
    scenario = load_scenario(write_scenario(tmp_path, text))
    return build_world(scenario, world_streams(scenario.run.seed))


def test_small_city_world(tmp_path):
    world = build(tmp_path, SMALL_CITY)
    assert world.network.n_nodes == 64 and world.population.total == 5003
    assert world.population.n_agents == 1668  # 1667 agents of 3 and one of 2
    assert node_population(world).sum() == 5003
    assert world.shelters.id == ["S1", "S2"] and world.shelters.node[1] == 60
    assert world.terrain is None and world.crs is None
    assert world.describe()["network"]["dropped"] == {"components": 0, "nodes": 0, "edges": 0}


def test_origin_gives_a_synthetic_city_a_geographic_frame(tmp_path):
    frame = LocalFrame.centered_on(113.65, 34.75)
    lon, lat = frame.to_lonlat(np.array([450.0]), np.array([600.0]))
    text = SMALL_CITY.replace("  population:", "  origin: {lon: 113.65, lat: 34.75}\n"
                              "  population:").replace(
        "{x: 300, y: 300}", f"{{lon: {lon[0]:.8f}, lat: {lat[0]:.8f}}}")
    world = build(tmp_path, text)
    assert world.crs == frame.proj
    assert world.shelters.x_m[0] == pytest.approx(450, abs=0.01)
    assert world.shelters.node[0] == 4 * 8 + 3  # (450, 600): row 4, column 3


def test_asc_terrain_must_overlap_the_network(tmp_path):
    dem = Raster(np.full((4, 4), 12.0), x0_m=-100.0, y0_m=-100.0, cell_m=400.0)
    write_asc(tmp_path / "dem.asc", dem)
    text = SMALL_CITY.replace("  population:", "  terrain: {asc: dem.asc}\n  population:")
    world = build(tmp_path, text)
    assert world.terrain.shape == (4, 4) and np.all(world.terrain.values == 12.0)
    far = Raster(np.zeros((2, 2)), x0_m=50_000.0, y0_m=0.0, cell_m=100.0)
    write_asc(tmp_path / "dem.asc", far)
    with pytest.raises(ScenarioError) as info:
        build(tmp_path, text)
    assert info.value.problems[0].path == "city.terrain.asc"
    assert "does not overlap" in str(info.value)


def test_synthetic_terrain_and_population_raster(tmp_path):
    pop = np.zeros((2, 2))
    pop[1, 1] = 10.0  # everyone in the north-east quarter
    write_asc(tmp_path / "pop.asc", Raster(pop, x0_m=0.0, y0_m=0.0, cell_m=525.0))
    text = SMALL_CITY.replace(
        "  population: {residents: 5003, persons_per_agent: 3}",
        "  terrain: {synthetic: {kind: bowl, cell_m: 50, depth_m: 4}}\n"
        "  population: {residents: 900, distribution: {asc: pop.asc}}")
    world = build(tmp_path, text)
    x = world.network.node_x_m[world.population.home_node]
    y = world.network.node_y_m[world.population.home_node]
    # nearest nodes to points in the cell: within half a block plus jitter of its edge
    assert np.all((x >= 525 - 75 - 50) & (y >= 525 - 75 - 50))
    assert world.terrain.cell_m == 50 and np.ptp(world.terrain.values) > 3


def test_shelter_capacity_from_usable_area(tmp_path):
    text = SMALL_CITY.replace(
        "  - {id: S2, location: {node: 60}, capacity: 1500}",
        "  - {id: S2, location: {node: 60}, area_m2: 10000}\n"
        "  - {id: S3, location: {node: 3}, area_m2: 1000, m2_per_person: 2.0}\n"
        "  - {id: S4, location: {node: 4}, area_m2: 1.2, m2_per_person: 0.4}")
    world = build(tmp_path, text)
    # 10,000 m² at 1.5 m² per person (GB 21734-2008), 1,000 m² at 2 m² per person,
    # and 1.2 / 0.4 is 3 although 1.2 // 0.4 == 2.0 in floating point
    assert world.shelters.capacity.tolist() == [2000, 6666, 500, 3]


def test_geojson_needs_a_geographic_frame(tmp_path):
    # a synthetic city without city.origin: refused when the scenario loads
    text = SMALL_CITY.replace("plots: false", "plots: false\n  geojson: true")
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_scenario(tmp_path, text))
    [problem] = info.value.problems
    assert problem.path == "outputs.geojson" and "city.origin" in problem.message
    assert problem.line == text.splitlines().index("  geojson: true") + 1
    # with an origin it loads; a GraphML without a crs is refused when the world is built
    load_scenario(write_scenario(tmp_path, text.replace(
        "city:\n", "city:\n  origin: {lon: 113.65, lat: 34.75}\n")))
    graphml = Path(__file__).parents[1] / "data" / "tiny_plain.graphml"
    plain = (f"name: plain\nrun: {{duration: 10min, dt: 10s}}\n"
             f"city: {{network: {{graphml: {graphml}}}}}\noutputs: {{geojson: true}}\n")
    with pytest.raises(ScenarioError) as info:
        build(tmp_path, plain)
    [problem] = info.value.problems
    assert problem.path == "outputs.geojson" and "crs" in problem.message
