"""Fire and rescue response: units, incidents and dispatch.

Units are Mesa agents (a city has tens, not hundreds of thousands) with the
states available, turnout, travelling, on scene and returning. Incidents come
from background calls (a Poisson process weighted by population, modulated
by an optional hourly profile) and from :meth:`ResponseSystem.raise_incident`
(hazards, trapped or injured residents). Each needs units by type (its run
card).

Dispatch is closest available by current travel time: when an incident is
called, each needed unit type gets the suitable free units that would arrive
first (turnout plus driving time on the network as it is now: closures, hazard speed factors
and the traffic on each edge: its moving cars' speed and the wait to pass
its queue at the edge's capacity, never faster than free flow).
A returning unit can be re-dispatched from the scene it left, without
turnout. What cannot be served waits in a first-come first-served queue
(``response.when_all_busy: queue``) or is lost (``lost``). Events inside a
model step (calls, turnout ends, arrivals, clears, returns) are processed at
their exact times, in time order, so queueing does not depend on ``dt``.

Every incident keeps its audit chain: call, first dispatch, first arrival,
clear (the last unit leaving the scene), the first arriving unit and its
station, the response time and its parts, and whether it queued (no suitable
unit free when it was called). The response time runs from the call to the
first arrival (MODELS.md, Response): a call that waited for a free unit
waited from the call, and the standard is judged on that whole time. It is
the sum of the first arriving unit's ``queue_wait_s`` (call to that unit's
dispatch), ``turnout_s`` (0 for a unit re-dispatched on its way back) and
``travel_s`` (driving).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Sequence
from enum import IntEnum
from typing import Any

import mesa
import numpy as np

from citysim.agents.traffic import edge_traffic
from citysim.routing import next_hop_tree
from citysim.world.builder import World, node_population
from citysim.world.sites import UNIT_TYPES

SERVICE_EVENT = -1
"""Generation of out-of-service events: they hold whatever the unit is doing."""


class UnitState(IntEnum):
    """States of a response unit."""

    AVAILABLE = 0
    TURNOUT = 1
    TRAVELLING = 2
    ON_SCENE = 3
    RETURNING = 4
    OUT_OF_SERVICE = 5


class Unit(mesa.Agent):
    """A fire engine, ladder, rescue, hazmat unit or ambulance.

    Attributes
    ----------
    index
        Its position in :attr:`ResponseSystem.units`.
    name
        ``<station>-<type><k>``.
    kind
        Unit type (one of :data:`citysim.world.sites.UNIT_TYPES`).
    station
        Index of its home station.
    state
        :class:`UnitState`.
    incident
        Incident it serves, -1 if none.
    scene_node
        Node of its current or last incident (where a returning unit is
        re-dispatched from).
    t_busy_from_s
        When its current assignment began (s).
    t_sent_s, turnout_s
        Dispatch time of its current or last assignment and the turnout it
        had (s).
    busy_s
        Time spent away from the station on calls within the run (s).
    spells
        Out-of-service spells open now: while any is, it takes no call (it
        finishes the one it is on, then stays at its station).
    """

    def __init__(self, model: mesa.Model, index: int, name: str, kind: str,
                 station: int) -> None:
        super().__init__(model)
        self.index = index
        self.name = name
        self.kind = kind
        self.station = station
        self.state = UnitState.AVAILABLE
        self.incident = -1
        self.scene_node = -1
        self.t_busy_from_s = math.nan
        self.t_sent_s = math.nan
        self.turnout_s = 0.0
        self.busy_s = 0.0
        self.spells = 0
        self.generation = 0  # invalidates events of an assignment that was replaced


class ResponseSystem:
    """Units, incidents and dispatch of one replication.

    Parameters
    ----------
    model
        The Mesa model the units belong to.
    world
        The built world.
    response
        The scenario's ``response`` section.
    duration_s
        Length of the run (s): busy time is counted inside it.
    calls_rng, service_rng
        Streams for background calls and for service times.
    """

    def __init__(self, model: mesa.Model, world: World, response: Any, duration_s: float,
                 calls_rng: np.random.Generator, service_rng: np.random.Generator) -> None:
        self.world = world
        self.cfg = response
        self.duration_s = float(duration_s)
        self.calls_rng = calls_rng
        self.service_rng = service_rng
        net = world.network
        self.car_usable = edge_traffic(net).usable[1]
        self.units = [Unit(model, i, name, kind, station)
                      for i, (name, kind, station) in enumerate(world.stations.unit_names())]
        self.incidents: list[dict[str, Any]] = []
        self.waiting: list[int] = []  # incidents with unmet needs, by (priority, call order)
        self.needs_left: list[dict[str, int]] = []
        self.sent: list[set[int]] = []  # units ever sent to each incident (each counts once)
        self.attending: list[int] = []  # units sent to each incident and not yet cleared
        self.present: list[int] = []  # units on scene at each incident now
        self.active: set[int] = set()  # incidents neither lost nor over
        self.held: dict[int, bool] = {}  # held incident -> released yet
        self.busy_unit_s = 0.0
        self.first_arrivals = 0  # incidents reached, within the standard, their response times
        self.within_standard = 0
        self.response_time_sum_s = 0.0
        self.last_response_time_s = math.nan
        self._events: list[tuple[float, int, str, int, int]] = []
        self._seq = itertools.count()
        calls = response.background_calls
        self.rate_per_s = calls.rate_per_h / 3600.0
        profile = np.ones(24) if calls.profile is None else np.asarray(calls.profile, float)
        self.profile = profile / profile.mean()
        weights = (node_population(world) if calls.distribution == "population"
                   else np.ones(net.n_nodes))
        if weights.sum() <= 0:
            weights = np.ones(net.n_nodes)
        self.call_weights = weights / weights.sum()
        self.background_needs = {k: int(getattr(calls.needs, k)) for k in UNIT_TYPES
                                 if int(getattr(calls.needs, k)) > 0}
        self._next_call_s = self._draw_next_call(0.0)
        index = {u.name: u.index for u in self.units}
        spells = response.out_of_service  # unit names checked when the world was built
        for spell in spells:  # every start before any end: back-to-back spells join up
            self._push(spell.at, "out_of_service", index[spell.unit], SERVICE_EVENT)
        for spell in spells:
            if spell.until is not None:
                self._push(spell.until, "in_service", index[spell.unit], SERVICE_EVENT)
        self._costs: dict[tuple[int, bool], np.ndarray] = {}
        free_flow = net.travel_time_s
        self._set_network(np.zeros(net.n_edges, dtype=bool), lambda: free_flow)

    def _set_network(self, edge_closed: np.ndarray, edge_time_s: Any) -> None:
        """Use the network as it is now for travel times.

        ``edge_time_s`` is called (once, and only if a travel time is needed
        in the step) for the driving time of every edge now (s).
        """
        self._hazard_closed = edge_closed
        self._edge_time_s = edge_time_s
        self._weight: np.ndarray | None = None
        self._costs = {}

    # -- events ---------------------------------------------------------
    def _push(self, t_s: float, kind: str, index: int, generation: int = 0) -> None:
        heapq.heappush(self._events, (t_s, next(self._seq), kind, index, generation))

    def _draw_next_call(self, t_s: float) -> float:
        """Next background call after ``t_s`` (thinning of the hourly profile)."""
        if self.rate_per_s <= 0:
            return math.inf
        peak = self.rate_per_s * self.profile.max()
        t = t_s
        while True:
            t += self.calls_rng.exponential(1.0 / peak)
            hour = int(t // 3600) % 24
            if self.calls_rng.random() * self.profile.max() <= self.profile[hour]:
                return t

    def advance(self, t_s: float, t_end_s: float, edge_closed: np.ndarray,
                edge_time_s: Any, requests: Sequence[Any] = ()) -> list[int]:
        """Process every call and unit event in ``(t_s, t_end_s]``, in time order.

        Parameters
        ----------
        t_s, t_end_s
            The step (s).
        edge_closed
            Edges closed now.
        edge_time_s
            Callable giving the driving time of every edge now (s): hazard
            slowdowns and the traffic on it.
        requests
            Incidents raised by hazards in this step
            (:class:`citysim.hazards.base.IncidentRequest`), processed at their
            call times among the other events.

        Returns
        -------
        list of int
            The incident index of each request, in the order given.
        """
        self._set_network(edge_closed, edge_time_s)
        at = [min(req.t_s, t_end_s) for req in requests]  # none slips past the step
        order = sorted(range(len(requests)), key=lambda k: (at[k], k))
        indices = [-1] * len(requests)
        while True:
            t_event = self._events[0][0] if self._events else math.inf
            t_request = at[order[0]] if order else math.inf
            if min(t_event, self._next_call_s, t_request) > t_end_s:
                return indices
            if t_request <= min(t_event, self._next_call_s):
                k = order.pop(0)
                req = requests[k]
                indices[k] = self.raise_incident(at[k], req.node, req.kind, dict(req.needs),
                                                 priority=req.priority, hold=req.hold)
            elif self._next_call_s <= t_event:
                t = self._next_call_s
                node = int(self.calls_rng.choice(self.call_weights.size, p=self.call_weights))
                self.raise_incident(t, node, "background", self.background_needs)
                self._next_call_s = self._draw_next_call(t)
            else:
                t, _, kind, index, generation = heapq.heappop(self._events)
                unit = self.units[index]
                if generation in (unit.generation, SERVICE_EVENT):
                    self._unit_event(t, unit, kind)

    def raise_incident(self, t_s: float, node: int, kind: str, needs: dict[str, int], *,
                       priority: int = 2, hold: bool = False) -> int:
        """Record an incident at ``node`` and dispatch to it; return its index.

        Parameters
        ----------
        t_s
            Call time (s).
        node
            Network node of the incident.
        kind
            What it is (``background``, ``building_fire``, ``trapped`` ...).
        needs
            Units by type it needs (run card).
        priority
            1 is the most urgent; waiting incidents are served by priority,
            then in call order. Background calls are priority 2.
        hold
            Units stay on scene until :meth:`release` (a fire burns until it
            is out) instead of clearing after a drawn service time.
        """
        index = len(self.incidents)
        net = self.world.network
        self.incidents.append({
            "incident": f"I{index + 1:06d}", "kind": kind,
            "x": float(net.node_x_m[node]), "y": float(net.node_y_m[node]), "node": node,
            "t_call_s": t_s, "t_dispatch_s": math.nan, "t_arrive_s": math.nan,
            "t_clear_s": math.nan, "unit": None, "station": None,
            "response_time_s": math.nan, "queue_wait_s": math.nan, "turnout_s": math.nan,
            "travel_s": math.nan, "queued": False, "lost": False, "units": "",
            "priority": int(priority),
        })
        self.needs_left.append(dict(needs))
        self.sent.append(set())
        self.attending.append(0)
        self.present.append(0)
        if hold:
            self.held[index] = False
        free = any(self._free_units(k) for k in needs)
        if not free and needs:
            if self.cfg.when_all_busy == "lost":
                self.incidents[index]["lost"] = True
                return index
            self.incidents[index]["queued"] = True
        if any(needs.values()):
            self.active.add(index)
        self._dispatch(t_s, index)
        if any(self.needs_left[index].values()):
            self.waiting.append(index)
            self.waiting.sort(key=lambda k: (self.incidents[k]["priority"], k))
        return index

    # -- dispatch -------------------------------------------------------
    def _free_units(self, kind: str) -> list[Unit]:
        return [u for u in self.units if u.kind == kind and not u.spells
                and u.state in (UnitState.AVAILABLE, UnitState.RETURNING)]

    def _cost_to(self, node: int, kind: str) -> np.ndarray:
        """Travel time of a ``kind`` unit from every node to ``node`` as the network is now (s).

        Rescue units (boats, high-clearance trucks) also use the roads a
        hazard closed, at ``response.rescue_speed_closed_mps``.
        """
        wading = kind == "rescue" and self.cfg.rescue_speed_closed_mps > 0
        key = (node, wading)
        if key not in self._costs:
            if self._weight is None:
                self._weight = self._edge_time_s()
            weight, closed = self._weight, self._hazard_closed | ~self.car_usable
            if wading:
                net = self.world.network
                weight = np.where(self._hazard_closed,
                                  net.length_m / self.cfg.rescue_speed_closed_mps, weight)
                closed = ~self.car_usable
            self._costs[key] = next_hop_tree(self.world.network, [node], weight_s=weight,
                                             closed=closed).cost_s
        return self._costs[key]

    def _dispatch(self, t_s: float, index: int) -> None:
        """Send the closest free suitable units to incident ``index``."""
        need = self.needs_left[index]
        if not any(self._free_units(kind) for kind, count in need.items() if count):
            return  # nothing to send: no route needed
        node = self.incidents[index]["node"]
        stations = self.world.stations
        for kind, count in need.items():
            if not count:
                continue
            cost = self._cost_to(node, kind)
            options = []
            for u in self._free_units(kind):
                if u.index in self.sent[index]:  # it came and went: it is not a second unit
                    continue
                if u.state == UnitState.AVAILABLE:
                    turnout = float(stations.turnout_s[u.station])
                    drive = cost[stations.node[u.station]]
                else:  # returning: from the scene it left, already on the road
                    turnout, drive = 0.0, cost[u.scene_node]
                if math.isfinite(drive):
                    options.append((turnout + drive, u.index, u, turnout, drive))
            options.sort(key=lambda o: (o[0], o[1]))
            for _, _, unit, turnout, drive in options[:count]:
                self._assign(t_s, unit, index, turnout, drive)
                need[kind] -= 1

    def _assign(self, t_s: float, unit: Unit, index: int, turnout_s: float,
                drive_s: float) -> None:
        if unit.state == UnitState.RETURNING:  # its return ends here
            self._count_busy(unit, t_s)
        inc = self.incidents[index]
        unit.generation += 1
        unit.incident = index
        unit.t_busy_from_s = t_s
        unit.t_sent_s, unit.turnout_s = t_s, turnout_s
        unit.state = UnitState.TURNOUT if turnout_s > 0 else UnitState.TRAVELLING
        unit.scene_node = inc["node"]
        self.sent[index].add(unit.index)
        self.attending[index] += 1
        if math.isnan(inc["t_dispatch_s"]):
            inc["t_dispatch_s"] = t_s
        inc["units"] = ",".join(filter(None, [inc["units"], unit.name]))
        i = unit.index
        if turnout_s > 0:
            self._push(t_s + turnout_s, "turnout_end", i, unit.generation)
        self._push(t_s + turnout_s + drive_s, "arrive", i, unit.generation)

    def _unit_event(self, t_s: float, unit: Unit, kind: str) -> None:
        i = unit.index
        if kind == "out_of_service":
            unit.spells += 1
            if unit.state == UnitState.AVAILABLE:  # otherwise it finishes its call first
                unit.state = UnitState.OUT_OF_SERVICE
        elif kind == "in_service":
            unit.spells -= 1
            if not unit.spells and unit.state == UnitState.OUT_OF_SERVICE:
                unit.state = UnitState.AVAILABLE
                self._serve_waiting(t_s)
        elif kind == "turnout_end":
            unit.state = UnitState.TRAVELLING
        elif kind == "arrive":
            unit.state = UnitState.ON_SCENE
            self.present[unit.incident] += 1
            inc = self.incidents[unit.incident]
            if math.isnan(inc["t_arrive_s"]):
                inc["t_arrive_s"] = t_s
                inc["unit"] = unit.name
                inc["station"] = self.world.stations.id[unit.station]
                inc["response_time_s"] = t_s - inc["t_call_s"]
                inc["queue_wait_s"] = unit.t_sent_s - inc["t_call_s"]
                inc["turnout_s"] = unit.turnout_s
                inc["travel_s"] = t_s - unit.t_sent_s - unit.turnout_s
                self._count_arrival(inc["response_time_s"])
            if unit.incident not in self.held:
                service = float(self.cfg.service_time.sample(self.service_rng, 1)[0])
                self._push(t_s + service, "clear", i, unit.generation)
            elif self.held[unit.incident]:  # released while it was on its way
                self._push(t_s, "clear", i, unit.generation)
        elif kind == "clear":
            inc = self.incidents[unit.incident]
            inc["t_clear_s"] = t_s if math.isnan(inc["t_clear_s"]) else max(inc["t_clear_s"], t_s)
            self.attending[unit.incident] -= 1
            self.present[unit.incident] -= 1
            if self.is_over(unit.incident):
                self.active.discard(unit.incident)
            unit.state = UnitState.RETURNING
            unit.incident = -1
            back = self._cost_back(unit)
            self._push(t_s + back, "home", i, unit.generation)
            self._serve_waiting(t_s)
        elif kind == "home":
            self._count_busy(unit, t_s)
            if unit.spells:
                unit.state = UnitState.OUT_OF_SERVICE
            else:
                unit.state = UnitState.AVAILABLE
                self._serve_waiting(t_s)

    def _count_arrival(self, response_time_s: float) -> None:
        """Keep the running response-time counters the live KPIs read (no scan)."""
        self.first_arrivals += 1
        self.within_standard += response_time_s <= float(self.cfg.standard)
        self.response_time_sum_s += response_time_s
        self.last_response_time_s = response_time_s

    def set_in_service(self, name: str, t_s: float, *, in_service: bool) -> None:
        """Start (``in_service=False``) or end an out-of-service spell of unit ``name`` at ``t_s``.

        As a ``response.out_of_service`` spell does: an event at ``t_s``
        processed in time order by :meth:`advance` (a busy unit finishes its
        call first).

        Raises
        ------
        KeyError
            When no unit is called ``name``.
        """
        index = next((u.index for u in self.units if u.name == name), None)
        if index is None:
            raise KeyError(name)
        self._push(t_s, "in_service" if in_service else "out_of_service", index, SERVICE_EVENT)

    def _cost_back(self, unit: Unit) -> float:
        """Driving time from the scene back to the unit's station (s)."""
        home = int(self.world.stations.node[unit.station])
        back = self._cost_to(home, unit.kind)[unit.scene_node]
        return float(back) if math.isfinite(back) else 0.0

    def _count_busy(self, unit: Unit, t_s: float) -> None:
        start = min(max(unit.t_busy_from_s, 0.0), self.duration_s)
        busy = max(min(t_s, self.duration_s) - start, 0.0)
        unit.busy_s += busy
        self.busy_unit_s += busy
        unit.t_busy_from_s = math.nan

    def _serve_waiting(self, t_s: float) -> None:
        """Give freed units to the waiting incidents: most urgent first, then first called."""
        still = []
        for index in self.waiting:
            self._dispatch(t_s, index)
            if any(self.needs_left[index].values()):
                still.append(index)
        self.waiting = still

    def is_over(self, index: int) -> bool:
        """Whether incident ``index`` is over: every unit it needed came and cleared.

        A lost incident, or one still waiting for a unit, is not over.
        """
        return (not self.incidents[index]["lost"] and not any(self.needs_left[index].values())
                and self.attending[index] == 0)

    def on_scene(self, index: int) -> tuple[int, float]:
        """Units on scene at incident ``index`` now, and its first arrival (s; NaN if none)."""
        return self.present[index], float(self.incidents[index]["t_arrive_s"])

    def release(self, index: int, t_s: float) -> None:
        """End held incident ``index`` at ``t_s``: its units clear, its unmet needs are dropped."""
        if self.held.get(index, True):
            return
        self.held[index] = True
        self.needs_left[index] = {}
        self.waiting = [k for k in self.waiting if k != index]
        for unit in self.units:
            if unit.incident == index and unit.state == UnitState.ON_SCENE:
                self._push(t_s, "clear", unit.index, unit.generation)
        if not self.incidents[index]["units"]:  # nobody ever came: over without a unit
            self.incidents[index]["t_clear_s"] = t_s
        if self.is_over(index):
            self.active.discard(index)

    # -- results --------------------------------------------------------
    def busy_units(self) -> int:
        """Units away from their station or turning out (not those out of service)."""
        return sum(1 for u in self.units
                   if u.state not in (UnitState.AVAILABLE, UnitState.OUT_OF_SERVICE))

    def finish(self, t_end_s: float) -> None:
        """Count the busy time of units still out at the end of the run."""
        for unit in self.units:
            if not math.isnan(unit.t_busy_from_s):
                self._count_busy(unit, t_end_s)
