"""A test hazard that acts on people and raises incidents.

``type: danger_zone``: from ``at`` on, residents outdoors (on foot or in a
car) within ``radius_m`` of ``location`` are trapped (``lethal: true``: killed
instead), and each node where someone was trapped gets one rescue incident
naming them. At ``at`` it also raises one held ``blaze`` incident at the
location that is over ``hold_s`` after the first unit reaches it. It is
registered only inside tests.

Its presentation goes by the hazard protocol: the hazard keeps data (the
zone's centre, radius and whether it is active, :meth:`DangerZone.frame`),
and :func:`figures` and :func:`layers` draw from it; a test registers them
for ``danger_zone`` in :mod:`citysim.plots.hazards` and
:mod:`citysim.io.hazard_layers`.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from citysim.hazards.base import FieldSpec, Frame, Harm, Hazard, IncidentRequest, Setting
from citysim.scenario.durations import Duration
from citysim.scenario.hazard import HazardConfig
from citysim.scenario.locations import Location

EXAMPLE = {"type": "danger_zone", "location": {"x": 450, "y": 450}, "radius_m": 200, "at": 120,
           "hold_s": 600}


class DangerZoneConfig(HazardConfig):
    location: Location
    radius_m: float
    at: Duration = 0.0
    hold_s: float = 600.0
    lethal: bool = False


class DangerZone(Hazard):
    type_name = "danger_zone"
    fields = (FieldSpec("danger", "float64", "1", "point", "out", "1 inside the zone once active"),)

    def __init__(self, cfg, world):
        net = world.network
        self.x_m, self.y_m = float(cfg.location.x), float(cfg.location.y)
        self.node = int(net.nearest_node(np.array([self.x_m]), np.array([self.y_m]))[0][0])
        self.cfg = cfg
        self.n_edges = net.n_edges
        self.active = False
        self.pending: list[IncidentRequest] = []
        self.blaze_raised = False
        self.blaze_over_s = math.nan
        self.attended: list[tuple[float, int, float]] = []
        self.trapped_total = 0
        self.trapped = np.zeros(0, dtype=bool)

    @classmethod
    def from_config(cls, cfg, world, rng):
        return cls(cfg, world)

    def advance(self, t_s, dt_s):
        self.active = t_s + dt_s >= self.cfg.at
        if self.active and not self.blaze_raised:
            self.blaze_raised = True
            self.pending.append(IncidentRequest(t_s=max(t_s, self.cfg.at), node=self.node,
                                                kind="blaze", needs={"engine": 1}, key=7,
                                                hold=True))

    def expose(self, t_s, dt_s, people):
        if not self.active:
            return None
        inside = np.hypot(people.x_m - self.x_m, people.y_m - self.y_m) <= self.cfg.radius_m
        outdoors = (people.setting == Setting.ON_FOOT) | (people.setting == Setting.IN_CAR)
        hit = inside & outdoors
        if self.cfg.lethal:
            return Harm(dead=hit)
        if self.trapped.size != hit.size:
            self.trapped = np.zeros(hit.size, dtype=bool)
        ids = np.flatnonzero(hit & ~self.trapped)  # a rescue for the newly trapped only
        self.trapped[ids] = True
        self.trapped_total += ids.size
        for node in np.unique(people.node[ids]):
            self.pending.append(IncidentRequest(
                t_s=t_s + dt_s, node=int(node), kind="rescue", needs={"rescue": 1},
                agents=ids[people.node[ids] == node]))
        return Harm(trapped=hit)

    def incidents(self):
        out, self.pending = self.pending, []
        return out

    def attend(self, t_s, on_scene):
        done = []
        for key, (n, t_first) in on_scene.items():
            self.attended.append((t_s, n, t_first))
            if math.isfinite(t_first) and t_s >= t_first + self.cfg.hold_s:
                self.blaze_over_s = t_s
                done.append(key)
        return done

    def edge_effects(self):
        return np.ones(self.n_edges)

    def sample(self, x_m, y_m):
        d = np.hypot(np.asarray(x_m) - self.x_m, np.asarray(y_m) - self.y_m)
        inside = d <= self.cfg.radius_m
        return {"danger": (inside & self.active).astype(np.float64)}

    def summary(self):
        return {"danger_zone_trapped_agents": self.trapped_total}

    def frame(self):
        if not self.active:
            return None
        return Frame(label="danger zone centre", x_m=np.array([self.x_m]),
                     y_m=np.array([self.y_m]), value=np.ones(1), vmax=1.0)


def figures(zone: DangerZone, world) -> dict[str, Figure]:
    """``danger_zone``: the zone over the city's nodes."""
    fig = Figure(figsize=(5, 5), dpi=80)
    ax = fig.subplots()
    net = world.network
    ax.scatter(net.node_x_m, net.node_y_m, s=4, c="0.5")
    ax.add_patch(Circle((zone.x_m, zone.y_m), zone.cfg.radius_m, color="#c0392b", alpha=0.5))
    ax.set_aspect("equal")
    ax.set_title(f"danger zone: {zone.trapped_total} agents trapped")
    return {"danger_zone": fig}


def layers(zone: DangerZone, world) -> dict[str, list[dict]]:
    """``danger_zone``: the zone as a 64-sided polygon in the run's frame (m)."""
    angle = np.linspace(0.0, 2 * np.pi, 65)
    angle[-1] = 0.0  # closed ring: last position equals the first exactly
    ring = np.column_stack([zone.x_m + zone.cfg.radius_m * np.cos(angle),
                            zone.y_m + zone.cfg.radius_m * np.sin(angle)])
    return {"danger_zone": [{"type": "Feature",
                             "geometry": {"type": "Polygon", "coordinates": [ring.tolist()]},
                             "properties": {"radius_m": zone.cfg.radius_m,
                                            "trapped_agents": zone.trapped_total}}]}
