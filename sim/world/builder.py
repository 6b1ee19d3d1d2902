"""Build the world of a scenario: network, terrain, population and places."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from citysim.errors import Problem, ScenarioError
from citysim.rng import Streams
from citysim.scenario.population_data import population_points
from citysim.scenario.problems import parse_path
from citysim.scenario.schema import City, Scenario
from citysim.scenario.sites import SyntheticHydrants
from citysim.world.buildings import Buildings, build_buildings
from citysim.world.hydrants import Hydrants, build_hydrants, synthetic_hydrants
from citysim.world.network import RoadNetwork
from citysim.world.population import (
    Population,
    agent_sizes,
    place_points,
    place_population,
)
from citysim.world.raster import Raster, read_asc
from citysim.world.sites import (
    Locator,
    Probes,
    Shelters,
    Stations,
    build_probes,
    build_shelters,
    build_stations,
)
from citysim.world.size import check_size
from citysim.world.synthetic import grid_city, radial_city
from citysim.world.terrain import Underpasses, dem_terrain, synthetic_terrain, with_underpasses


@dataclass(frozen=True, eq=False)
class World:
    """Everything static about the city, as arrays.

    Attributes
    ----------
    network
        Road network (CSR).
    population
        Residents' home nodes and sizes.
    shelters, stations, probes
        Places snapped to nodes.
    terrain
        Elevation raster (m), when the scenario gives terrain.
    crs
        PROJ string of the metric frame when it is geographic.
    buildings
        Buildings (used by fire), ``None`` when the scenario has none.
    underpasses
        Road underpasses carved into a synthetic terrain (used by flood),
        ``None`` when the scenario has none.
    hydrants
        Fire hydrants on the streets, ``None`` when the scenario has no
        ``hydrants:`` key (an empty list gives none: a city without hydrants).
    max_snap_m
        ``city.max_snap_m``: a place farther than this from every road node is
        off the map (:meth:`locator`).
    """

    network: RoadNetwork
    population: Population
    shelters: Shelters
    stations: Stations
    probes: Probes
    terrain: Raster | None
    crs: str | None
    buildings: Buildings | None = None
    underpasses: Underpasses | None = None
    hydrants: Hydrants | None = None
    max_snap_m: float = 500.0

    def locator(self) -> Locator:
        """Places to coordinates and nodes, by the city's off-the-map rule (``max_snap_m``)."""
        return Locator(self.network, self.crs, self.max_snap_m)

    def describe(self) -> dict[str, Any]:
        """Return a JSON-able description for provenance."""
        net = self.network
        return {
            "network": {"nodes": net.n_nodes, "edges": net.n_edges, **_jsonable(net.meta)},
            "crs": self.crs,
            "agents": self.population.n_agents,
            "persons": self.population.total,
            "population": _jsonable(self.population.meta),
            "shelters": len(self.shelters),
            "stations": len(self.stations),
            "terrain": None if self.terrain is None else {
                "shape": list(self.terrain.shape), "cell_m": self.terrain.cell_m,
                "bounds_m": list(self.terrain.bounds_m),
            },
            "buildings": None if self.buildings is None else len(self.buildings),
            "underpasses": None if self.underpasses is None else list(self.underpasses.name),
            "hydrants": None if self.hydrants is None else len(self.hydrants),
        }


def _jsonable(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in meta.items() if isinstance(v, str | int | float | dict | list)}


def build_network(city: City, streams: Streams) -> RoadNetwork:
    """Build the road network named by ``city.network``.

    Parameters
    ----------
    city
        The scenario's ``city`` section.
    streams
        Random streams (a perturbed grid draws from ``world.network``).

    Returns
    -------
    RoadNetwork
        Its largest strongly connected part.
    """
    source = city.network
    if source.synthetic is not None:
        syn = source.synthetic
        if syn.kind == "radial":
            net = radial_city(syn.rings, syn.spokes, ring_spacing_m=syn.ring_spacing_m,
                              arterial_every=syn.arterial_every)
        else:
            net = grid_city(syn.rows, syn.cols, block_m=syn.block_m,
                            arterial_every=syn.arterial_every, jitter_m=syn.jitter_m,
                            rng=streams.generator("world.network"))
        if city.origin is not None:
            from citysim.projection import LocalFrame

            frame = LocalFrame.centered_on(city.origin.lon, city.origin.lat)
            net = RoadNetwork.from_edges(
                net.node_x_m, net.node_y_m, net.edge_tail, net.edge_head,
                length_m=net.length_m, road_class=net.road_class, crs=frame.proj, meta=net.meta,
            )
        return net.largest_strongly_connected()
    if source.graphml is not None:
        from citysim.world.graphml import read_graphml

        return read_graphml(source.graphml, yaml_path="city.network.graphml")
    from citysim.world.osm import DRIVE_WALK, read_osm

    # mypy: a network has exactly one source (validated at load): here the OSM file
    return read_osm(source.osm, yaml_path="city.network.osm",  # type: ignore[arg-type]
                    network_type=DRIVE_WALK if source.walk else "drive",
                    bbox=None if city.bbox is None else city.bbox.as_tuple())


def build_terrain(city: City, network: RoadNetwork) -> Raster | None:
    """Build the terrain raster, or ``None`` when the scenario has none."""
    terrain = city.terrain
    if terrain is None:
        return None
    if terrain.synthetic is not None:
        s = terrain.synthetic
        return synthetic_terrain(network.bounds_m, kind=s.kind, cell_m=s.cell_m, slope=s.slope,
                                 depth_m=s.depth_m, base_m=s.base_m)
    if terrain.asc is None:
        return dem_terrain(getattr(terrain, terrain.kind), kind=terrain.kind,
                           frame_crs=network.crs, bounds_m=network.bounds_m,
                           cell_m=terrain.cell_m, nodata=terrain.nodata)
    dem = read_asc(terrain.asc, yaml_path="city.terrain.asc")
    xmin, ymin, xmax, ymax = network.bounds_m
    gx0, gy0, gx1, gy1 = dem.bounds_m
    if gx1 < xmin or gx0 > xmax or gy1 < ymin or gy0 > ymax:
        raise ScenarioError(
            f"the terrain grid spans x {gx0:.0f}..{gx1:.0f}, y {gy0:.0f}..{gy1:.0f} m and does "
            f"not overlap the road network (x {xmin:.0f}..{xmax:.0f}, y {ymin:.0f}..{ymax:.0f} m)",
            path="city.terrain.asc",
        )
    return dem


def unknown_units(scenario: Scenario, stations: Stations) -> list[Problem]:
    """Problems with ``response.out_of_service`` naming a unit the stations do not have."""
    names = [name for name, _, _ in stations.unit_names()]
    return [scenario.problem(("response", "out_of_service", i, "unit"),
                             f"unknown unit {spell.unit!r}: expected one of "
                             f"{', '.join(names) or '(no units)'}")
            for i, spell in enumerate(scenario.response.out_of_service)
            if spell.unit not in names]


def build_world(scenario: Scenario, streams: Streams) -> World:
    """Build the world of a validated scenario.

    Parameters
    ----------
    scenario
        A loaded :class:`citysim.scenario.Scenario`.
    streams
        The replication's random streams.

    Returns
    -------
    World

    Raises
    ------
    ScenarioError
        For problems only the world can reveal (a run too big for the memory
        available, :func:`citysim.world.size.check_size`; a shelter off the map, an
        unknown node id, a missing node attribute), each with its YAML path.
    """
    city = scenario.city
    network = build_network(city, streams)
    check_size(scenario, nodes=network.n_nodes, edges=network.n_edges, bounds_m=network.bounds_m)
    locator = Locator(network, network.crs, city.max_snap_m, scenario.problem)
    problems: list[Problem] = []

    def attempt(build, *, add_lines: bool = True):
        try:
            return build()
        except ScenarioError as err:
            if not add_lines:  # made through scenario.problem already
                problems.extend(err.problems)
            else:  # re-made through the scenario, to add the line in the file
                problems.extend(scenario.problem(parse_path(p.path), p.message)
                                for p in err.problems)
            return None

    shelters = attempt(lambda: build_shelters(locator, scenario.shelters), add_lines=False)
    stations = attempt(lambda: build_stations(locator, scenario.stations), add_lines=False)
    if stations is not None:
        problems.extend(unknown_units(scenario, stations))
    if scenario.outputs.geojson and network.crs is None:
        # a synthetic city without city.origin is refused when the scenario loads
        problems.append(scenario.problem(("outputs", "geojson"), (
            "GeoJSON layers are WGS84 longitude/latitude, but this road network has no "
            "geographic frame (a GraphML file without a crs graph attribute): give the "
            "GraphML its crs, or set outputs.geojson: false")))
    probes = attempt(lambda: build_probes(locator, scenario.outputs.probes), add_lines=False)
    terrain = attempt(lambda: build_terrain(city, network))
    underpasses = None
    spec = city.terrain.synthetic.underpasses if city.terrain and city.terrain.synthetic else 0
    if terrain is not None and spec:
        carved = attempt(lambda: with_underpasses(terrain, network, spec, locator))
        terrain, underpasses = carved if carved is not None else (terrain, None)
    pop = city.population
    dist = pop.distribution
    raster = None
    if getattr(dist, "asc", None) is not None:
        # mypy: dist.asc is set (the condition above)
        raster = attempt(lambda: read_asc(dist.asc, yaml_path="city.population.distribution.asc"))  # type: ignore[arg-type]
    if dist.kind in ("csv", "geotiff"):
        population = attempt(lambda: place_points(
            network, population_points(dist, city.bbox), pop.residents, pop.persons_per_agent,
            streams.generator("population")))
    else:
        population = attempt(
            lambda: place_population(
                network, agent_sizes(pop.residents, pop.persons_per_agent),
                streams.generator("population"), node_weight=getattr(dist, "node_weight", None),
                raster=raster,
            )
        )
    buildings = attempt(lambda: build_buildings(city.buildings, locator,
                                                streams.generator("world.buildings")),
                        add_lines=False)
    hydrants = attempt(lambda: _hydrants(scenario, locator), add_lines=False)
    if problems:
        raise ScenarioError(problems)
    return World(network=network, population=population, shelters=shelters, stations=stations,
                 probes=probes, terrain=terrain, crs=network.crs, buildings=buildings,
                 underpasses=underpasses, hydrants=hydrants,
                 max_snap_m=float(city.max_snap_m))


def _hydrants(scenario: Scenario, locator: Locator) -> Hydrants | None:
    """The scenario's hydrants: listed, or along the streets; ``None`` without the key."""
    spec = scenario.hydrants
    if isinstance(spec, SyntheticHydrants):
        return synthetic_hydrants(locator.network, spec.synthetic.spacing_m,
                                  spec.synthetic.flow_l_s)
    if not spec and "hydrants" not in scenario.model_fields_set:
        return None
    return build_hydrants(locator, spec)


def node_population(world: World) -> np.ndarray:
    """Persons living at each node, shape (n_nodes,)."""
    return np.bincount(world.population.home_node, weights=world.population.persons,
                       minlength=world.network.n_nodes)
