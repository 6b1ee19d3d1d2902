"""Tiny hand-made worlds for testing resident dynamics exactly."""

from __future__ import annotations

import numpy as np

from citysim.model import CityModel
from citysim.rng import replication_seeds
from citysim.scenario import load_scenario_text
from citysim.world.builder import World
from citysim.world.network import RoadNetwork
from citysim.world.population import Population
from citysim.world.road_classes import CLASS_INDEX
from citysim.world.sites import Probes, Shelters, Stations

BEHAVIOUR = """\
name: line
run: {{duration: {duration}, dt: {dt}, seed: {seed}}}
city:
  network: {{synthetic: {{kind: grid, rows: 2, cols: 2}}}}
behaviour:
  warnings: [{{at: 0, reach: 1.0}}]
  response_delay: {{dist: fixed, value: 0}}
  compliance: 1.0
  action: evacuate
  walk_speed_mps: {{dist: fixed, value: {v0}}}
  mode_share: {{walk: {walk}, car: {car}}}
  persons_per_car: 1.0
  word_of_mouth_per_h: 0
outputs: {{every: {dt}, plots: false}}
"""


def line_network(lengths_m, *, width_m=None, lanes=None, capacity_vph=None, speed_mps=None):
    """A one-way chain of nodes 0 -> 1 -> ... along x, one edge per length."""
    k = len(lengths_m)
    x = np.concatenate([[0.0], np.cumsum(lengths_m)])

    def per_edge(v):
        return None if v is None else np.asarray(v, dtype=float)

    return RoadNetwork.from_edges(
        x, np.zeros(k + 1), np.arange(k), np.arange(1, k + 1),
        length_m=np.asarray(lengths_m, dtype=float),
        road_class=np.full(k, CLASS_INDEX["residential"]),
        width_m=per_edge(width_m), lanes=per_edge(lanes), capacity_vph=per_edge(capacity_vph),
        speed_mps=per_edge(speed_mps),
    )


def line_model(network, *, home_nodes, persons, shelter_nodes, capacities, dt=1.0,
               duration="1h", v0=1.2, car=0.0, seed=0, stations=(), extra=""):
    """A CityModel on ``network`` with residents, shelters and stations placed by hand.

    ``stations`` holds ``(node, {unit type: count}, turnout_s)``; ``extra`` is
    YAML appended to the scenario (e.g. a ``response`` section).
    """
    text = BEHAVIOUR.format(duration=duration, dt=dt, seed=seed, v0=v0, walk=1 - car, car=car)
    scenario = load_scenario_text(text + extra, base_dir=".")
    k = len(shelter_nodes)
    nodes = np.asarray(shelter_nodes, dtype=np.int64)
    shelters = Shelters(id=[f"S{i + 1}" for i in range(k)], name=[""] * k, kind=[""] * k,
                        x_m=network.node_x_m[nodes], y_m=network.node_y_m[nodes], node=nodes,
                        capacity=np.asarray(capacities, dtype=np.int64))
    empty = np.zeros(0)
    world = World(
        network=network,
        population=Population(np.asarray(home_nodes, dtype=np.int64),
                              np.asarray(persons, dtype=np.int64)),
        shelters=shelters,
        stations=_stations(network, stations),
        probes=Probes([], empty, empty, np.zeros(0, np.int64)),
        terrain=None, crs=None,
    )
    return CityModel(scenario, replication_seeds(seed, 1)[0], world=world)


def run(model, *, every_step=None):
    """Step to the end, calling ``every_step(model)`` after each step."""
    while model.running:
        model.step()
        if every_step is not None:
            every_step(model)
    return model


def _stations(network, stations):
    from citysim.world.sites import UNIT_TYPES

    nodes = np.array([s[0] for s in stations], dtype=np.int64)
    units = np.array([[s[1].get(k, 0) for k in UNIT_TYPES] for s in stations],
                     dtype=np.int64).reshape(len(stations), len(UNIT_TYPES))
    return Stations(id=[f"F{i + 1}" for i in range(len(stations))],
                    name=[""] * len(stations), x_m=network.node_x_m[nodes],
                    y_m=network.node_y_m[nodes], node=nodes, units=units,
                    turnout_s=np.array([float(s[2]) for s in stations]))


def scenario_model(text: str, *, base_dir: str = ".") -> CityModel:
    """The first replication's CityModel of a YAML scenario, ready to step."""
    from citysim.rng import world_streams
    from citysim.world.builder import build_world

    scenario = load_scenario_text(text, base_dir=base_dir)
    world = build_world(scenario, world_streams(scenario.run.seed))
    return CityModel(scenario, replication_seeds(scenario.run.seed, 1)[0], world=world)


def assert_roads_consistent(model) -> None:
    """Each edge's occupancy, by mode, is the units of the agents on it."""
    res = model.residents
    on_edge = res.edge >= 0
    for mode in (0, 1):
        sel = on_edge & (res.mode == mode)
        units = np.bincount(res.edge[sel], weights=res.plan.units[sel],
                            minlength=model.world.network.n_edges)
        np.testing.assert_allclose(model.roads.occupancy[mode], units, atol=1e-9)
