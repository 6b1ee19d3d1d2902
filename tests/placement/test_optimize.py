"""Placement: sites, cost matrices, plans of a scenario, location models on a real case."""

import math

import networkx as nx
import numpy as np
import pytest

from citysim.placement import place, placement_problem, plan_scenario, plan_sites
from citysim.placement.costs import response_time_matrix, walk_time_matrix
from citysim.scenario import load_scenario
from tests.placement.cases import CITY, SHELTER_PLAN, built, small

# --------------------------------------------------------------------------- sites and costs


def test_sites_existing_first_capacity_from_area():
    scenario = small()
    world = built(scenario)
    sites = plan_sites(scenario, world, "shelters")
    assert sites.id == ["S1", "S2", "C1", "C2"]
    assert sites.existing.tolist() == [True, True, False, False]
    assert sites.index.tolist() == [0, 1, 0, 1]
    # 1500 m² of usable area at 1.5 m² per person (GB 21734-2008, MODELS.md)
    assert sites.capacity.tolist() == [2000, 1500, 1000, 700]
    stations = plan_sites(scenario, world, "stations")
    assert stations.id == ["F1", "K1"]
    assert stations.units.tolist() == [2, 1]  # engines; a candidate brings one by default
    assert stations.turnout_s.tolist() == [80.0, 60.0]


def test_cost_matrices_agree_with_networkx():
    scenario = small()
    world = built(scenario)
    net = world.network
    sites = plan_sites(scenario, world, "stations")
    walk = walk_time_matrix(net, plan_sites(scenario, world, "shelters").node)
    drive = response_time_matrix(net, sites.node, sites.turnout_s)
    g = nx.DiGraph()
    for e in range(net.n_edges):
        g.add_edge(int(net.edge_tail[e]), int(net.edge_head[e]), walk=net.length_m[e] / 1.34,
                   drive=net.travel_time_s[e] if net.drivable[e] else math.inf)
    shelters = plan_sites(scenario, world, "shelters")
    for j, node in enumerate(shelters.node):  # walking *to* the site
        ref = nx.single_source_dijkstra_path_length(g.reverse(), int(node), weight="walk")
        assert walk[:, j] == pytest.approx([ref[v] for v in range(net.n_nodes)], rel=1e-12)
    for j, node in enumerate(sites.node):  # turnout, then driving *from* the site
        ref = nx.single_source_dijkstra_path_length(g, int(node), weight="drive")
        expected = [sites.turnout_s[j] + ref.get(v, math.inf) for v in range(net.n_nodes)]
        assert drive[:, j] == pytest.approx(expected, rel=1e-12)


def test_plan_scenario_changes_only_the_sites(with_road_block):
    text = CITY + ("hazards: [{type: road_block, location: {x: 450, y: 450}, radius_m: 160, "
                   "at: 300}]\n")
    scenario = small(text)
    sites = plan_sites(scenario, built(scenario), "shelters")
    plan = plan_scenario(scenario, sites, np.array([False, True, True, False]), replications=3)
    before, after = scenario.resolved(), plan.resolved()
    assert [s["id"] for s in after["shelters"]] == ["S2", "C1"]
    assert after["shelters"][1]["area_m2"] == 1500 and after["shelters"][1]["kind"] == "school"
    assert plan.shelters[1].places == 1000
    assert after["run"] == {**before["run"], "replications": 3}  # same seed: common seeds
    for key in before:
        if key not in ("shelters", "run"):
            assert after[key] == before[key], key  # hazards, behaviour, stations ... unchanged


def test_without_keeping_existing_sites_and_lscp():
    scenario = load_scenario(SHELTER_PLAN)
    world = built(scenario)
    free = placement_problem(scenario, world, "shelters", keep_existing=False)
    assert not free.fixed.any()
    plan, _ = place(free, "pmedian", 3)
    assert plan.open.sum() == 3 and plan.new.size == 3
    relocated = plan_scenario(scenario, free.sites, plan.open, replications=2)
    assert [s.id for s in relocated.shelters] == [free.sites.id[j] for j in plan.new]
    kept = placement_problem(scenario, world, "shelters")
    cover, params = place(kept, "lscp", 6)
    on_paper = kept.paper(cover.open)
    assert on_paper["covered_demand"] == pytest.approx(
        kept.demand.total - params["uncoverable_demand"])
    assert cover.objective == cover.new.size <= 6
    again, _ = place(kept, "lscp", 6)
    assert again.open.tolist() == cover.open.tolist()  # same input, same plan
