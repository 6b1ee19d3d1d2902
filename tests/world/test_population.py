import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from citysim.errors import ScenarioError
from citysim.world.population import agent_sizes, place_population
from citysim.world.raster import Raster
from citysim.world.synthetic import grid_city


@given(st.integers(0, 10**6), st.integers(1, 50))
def test_agent_sizes_conserve_persons(residents, ppa):
    sizes = agent_sizes(residents, ppa)
    assert sizes.sum() == residents
    assert np.all((sizes >= 1) & (sizes <= ppa))
    assert sizes.size == -(-residents // ppa)


def test_uniform_placement_covers_nodes_evenly_and_is_seeded():
    net = grid_city(5, 5, block_m=100, arterial_every=0)
    persons = agent_sizes(50_000, 1)
    a = place_population(net, persons, np.random.default_rng(3))
    b = place_population(net, persons, np.random.default_rng(3))
    np.testing.assert_array_equal(a.home_node, b.home_node)
    counts = np.bincount(a.home_node, minlength=net.n_nodes)
    # 2000 expected per node; 5 sd of a binomial(50000, 1/25) is about 220
    assert np.all(np.abs(counts - 2000) < 220)
    assert a.total == 50_000


def test_node_weight_placement_follows_the_attribute():
    net = grid_city(3, 3, block_m=100, arterial_every=0)
    from citysim.world.network import RoadNetwork

    w = np.zeros(9)
    w[4] = 3.0
    w[0] = 1.0
    net = RoadNetwork.from_edges(net.node_x_m, net.node_y_m, net.edge_tail, net.edge_head,
                                 length_m=net.length_m, road_class=net.road_class,
                                 node_attrs={"population": w})
    pop = place_population(net, agent_sizes(40_000, 4), np.random.default_rng(0),
                           node_weight="population")
    assert set(np.unique(pop.home_node)) == {0, 4}
    share = (pop.home_node == 4).mean()
    assert share == pytest.approx(0.75, abs=0.02)
    with pytest.raises(ScenarioError) as info:
        place_population(net, agent_sizes(10, 1), np.random.default_rng(0), node_weight="jobs")
    assert info.value.problems[0].path == "city.population.distribution.node_weight"
    assert "population" in str(info.value)


def test_raster_placement_puts_people_near_populated_cells():
    net = grid_city(11, 11, block_m=100, arterial_every=0)
    values = np.zeros((10, 10))
    values[7:9, 1:3] = 100.0  # a dense block around x 100..300, y 700..900
    raster = Raster(values, x0_m=0.0, y0_m=0.0, cell_m=100.0)
    pop = place_population(net, agent_sizes(2000, 1), np.random.default_rng(5), raster=raster)
    x, y = net.node_x_m[pop.home_node], net.node_y_m[pop.home_node]
    assert np.all((x >= 100) & (x <= 300) & (y >= 700) & (y <= 900))
    with pytest.raises(ScenarioError):
        place_population(net, agent_sizes(5, 1), np.random.default_rng(5),
                         raster=Raster(np.zeros((2, 2)), 0.0, 0.0, 10.0))
