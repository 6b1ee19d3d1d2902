"""A tiny hazard used to test the hazard interface and the model's wiring.

``type: road_block`` closes every road edge with an end within ``radius_m``
of ``location`` from time ``at`` on. It is registered only inside tests.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from citysim.hazards.base import FieldSpec, Hazard
from citysim.scenario.durations import Duration
from citysim.scenario.hazard import HazardConfig
from citysim.scenario.locations import Location

EXAMPLE = {"type": "road_block", "location": {"x": 450, "y": 450}, "radius_m": 160, "at": 300}


class RoadBlockConfig(HazardConfig):
    location: Location
    radius_m: float
    at: Duration = 0.0


class RoadBlock(Hazard):
    type_name = "road_block"
    fields = (
        FieldSpec("blocked", "float64", "1", "point", "out", "1 inside the blocked area"),
        FieldSpec("speed_factor", "float64", "1", "edge", "out", "0 on closed edges"),
    )

    def __init__(self, x_m: float, y_m: float, radius_m: float, at_s: float, world: Any):
        net = world.network
        near = np.hypot(net.node_x_m - x_m, net.node_y_m - y_m) <= radius_m
        self.x_m, self.y_m, self.radius_m, self.at_s = x_m, y_m, radius_m, at_s
        self.node_in_zone = near
        self.edge_in_zone = near[net.edge_tail] | near[net.edge_head]
        self.active = False

    @classmethod
    def from_config(cls, cfg, world, rng):
        return cls(float(cfg.location.x), float(cfg.location.y), cfg.radius_m, cfg.at, world)

    def advance(self, t_s, dt_s):
        self.active = t_s + dt_s >= self.at_s

    def edge_effects(self):
        return np.where(self.active & self.edge_in_zone, 0.0, 1.0)

    def sample(self, x_m, y_m):
        inside = np.hypot(np.asarray(x_m) - self.x_m, np.asarray(y_m) - self.y_m) <= self.radius_m
        return {"blocked": (inside & self.active).astype(np.float64)}

    def warned_nodes(self):
        return self.node_in_zone & self.active

    def protective_action(self):
        # shelter in place inside the blocked area, no opinion elsewhere
        return np.where(self.node_in_zone, 2, 0).astype(np.int8)

    def summary(self):
        return {"road_block_edges_closed": int(self.edge_in_zone.sum()) if self.active else 0}
