"""``citysim validate``: load a scenario and build its city and hazards, running nothing."""

from __future__ import annotations

from citysim.model import build_hazards
from citysim.rng import world_streams
from citysim.scenario import Scenario
from citysim.world.builder import World, build_world

__all__ = ["validate"]


def validate(scenario: Scenario) -> World:
    """Build the scenario's world and hazards, as ``citysim run`` would, and return the world.

    Problems only the built city reveals (a site off the map, a hazard
    without the data it needs) are raised here.

    Raises
    ------
    ScenarioError
        Every problem found.
    """
    streams = world_streams(int(scenario.run.seed))
    world = build_world(scenario, streams)
    build_hazards(scenario, world, streams)
    return world
