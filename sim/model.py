"""CityModel: the step loop that wires the world, hazards and agents together."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import mesa
import numpy as np
import pandas as pd

from citysim.agents._kernels import ACT_EVACUATE, decide, edge_speeds, move, word_of_mouth
from citysim.agents.draws import CAR, WALK, draw_residents
from citysim.agents.residents import ACTION_CODES, Residents
from citysim.agents.response import ResponseSystem
from citysim.agents.shelter_state import ShelterState
from citysim.agents.states import STATE_COLUMNS, State, final_groups
from citysim.agents.traffic import Roads, edge_traffic
from citysim.errors import Problem, ScenarioError
from citysim.hazards.base import Hazard, IncidentRequest, check_fields, overrides
from citysim.rng import Streams, replication_seed_sequence, world_streams
from citysim.routing import next_hop_tree
from citysim.scenario import Scenario, parse_path
from citysim.scenario.injects import Inject, with_injects
from citysim.tables import (
    INCIDENT_COLUMNS,
    PROBE_COLUMNS,
    SHELTER_COLUMNS,
    STATION_COLUMNS,
    typed_frame,
)
from citysim.world.builder import World, build_world
from citysim.world.sites import UNIT_TYPES, Locator, build_shelters

FREE_WALK_SPEED_MPS = 1.34
"""Free walking speed used to weight routes to shelters (Weidmann 1993)."""
ROUTE_FACTOR_TOLERANCE = 0.1
"""Relative change of an edge's hazard speed factor that triggers new routes."""


def build_hazards(scenario: Scenario, world: World, streams: Streams) -> list[Hazard]:
    """Build the scenario's hazards, each with its own random stream.

    Parameters
    ----------
    scenario
        The loaded scenario.
    world
        The built world.
    streams
        The replication's random streams; hazard ``i`` of type ``T`` draws
        from ``hazards[i].T``.

    Returns
    -------
    list of Hazard

    Raises
    ------
    ScenarioError
        When a hazard type has no simulation model yet, or a hazard is bad
        input only the built city reveals (a place off the map), each at its
        YAML path.
    """
    hazards: list[Hazard] = []
    problems: list[Problem] = []
    for i in range(len(scenario.hazards)):
        try:
            hazards.append(build_hazard(scenario, i, world, streams))
        except ScenarioError as err:
            problems.extend(err.problems)
    if problems:
        raise ScenarioError(problems)
    return hazards


def build_hazard(scenario: Scenario, i: int, world: World, streams: Streams) -> Hazard:
    """Build hazard ``i`` of the scenario from the stream ``hazards[i].<type>``.

    Raises
    ------
    ScenarioError
        As :func:`build_hazards`, for this hazard.
    """
    from citysim.hazards.registry import hazard_model, runnable_hazards

    cfg = scenario.hazards[i]
    model = hazard_model(cfg.type)
    if model is None:
        known = ", ".join(runnable_hazards()) or "none yet"
        raise ScenarioError([scenario.problem(
            ("hazards", i, "type"),
            f"hazard type {cfg.type!r} is valid but this version of citysim cannot simulate "
            f"it yet (simulated hazard types: {known})",
        )])
    try:
        hazard = model.from_config(cfg, world, streams.generator(f"hazards[{i}].{cfg.type}"))
    except ScenarioError as err:  # what the built city reveals: a place off the map ...
        raise ScenarioError([_in_hazard(scenario, i, cfg, p) for p in err.problems]) from None
    broken = check_fields(hazard, world.network.n_edges)
    if broken:
        raise RuntimeError(f"hazard {cfg.type!r} breaks its field contract: {broken}")
    return hazard


def _in_hazard(scenario: Scenario, i: int, cfg: Any, problem: Problem) -> Problem:
    """A hazard's problem at its place in the file: a path within the hazard gets ``hazards[i]``."""
    path = parse_path(problem.path) if problem.path else ()
    if path and path[0] in type(cfg).model_fields:
        path = ("hazards", i, *path)
    return scenario.problem(path, problem.message) if path else problem


class CityModel(mesa.Model):
    """A city under an emergency, stepped at a fixed agent time step.

    ``step()`` advances simulated time by ``run.dt`` in this order; every
    stage reads and writes arrays and none reaches back into an earlier one:

    1. **hazards advance** to t + dt;
    2. **hazards act on the world**: per-edge speed factors multiply, a factor
       of 0 closes the edge; cars and walkers have their own factors
       (:meth:`Hazard.edge_effects`, :meth:`Hazard.walk_effects`: a flood
       slows cars by Pregnolato's curve and walkers by a wading law); the
       residents' next-hop trees toward shelters with room are recomputed
       (once, for all) when an edge closes or opens or a factor changes by
       more than :data:`ROUTE_FACTOR_TOLERANCE`;
    3. **warnings**: scheduled warnings reach their share, hazards warn the
       nodes they reach, word of mouth spreads among neighbours;
    4. **residents move**: those whose response delay is over decide; the
       link-queue model moves walkers and cars, queues them at edge ends and
       admits them to shelters (docs/RESIDENTS.md); a shelter that fills
       triggers a route update; then **hazards act on people** where they
       are (:meth:`Hazard.expose`: outdoors, in a car, at home, sheltering):
       the dead and the trapped stop, the injured are marked;
    5. **incidents appear** and 6. **dispatch**: background calls and
       incidents raised by hazards get the closest free suitable units; units
       turn out, drive, serve and return; calls and unit events inside the
       step are processed at their exact times (:mod:`citysim.agents.response`).
       Units stay at a hazard's held incident until the hazard, told who is
       on scene (:meth:`Hazard.attend`), releases it; trapped residents are
       rescued when their rescue incident clears;
    7. **record**: every ``outputs.every`` the DataCollector takes the
       model-level series and probes sample the hazards. Recording never
       changes the simulation.

    Build one with :meth:`from_scenario` to get the city and the replication
    ``citysim run`` makes; the constructor takes both explicitly.

    Parameters
    ----------
    scenario
        A loaded, validated scenario.
    seed_sequence
        Root seed of this replication (see :mod:`citysim.rng`).
    world
        The city, built from the same scenario
        (``build_world(scenario, world_streams(scenario.run.seed))`` is the
        one ``citysim run`` uses).
    injects
        Drill-room injects to apply while the model runs: each at the start
        of the step whose interval ``[t, t + dt)`` holds its time, by
        :meth:`apply_inject` (``citysim run --injects``).
    """

    def __init__(
        self,
        scenario: Scenario,
        seed_sequence: np.random.SeedSequence,
        *,
        world: World,
        injects: Sequence[Inject] = (),
    ) -> None:
        streams = Streams(seed_sequence)
        super().__init__(rng=streams.generator("mesa"))
        self.scenario = scenario
        self.streams = streams
        self.world = world
        net = self.world.network
        self.hazards = build_hazards(scenario, self.world, streams)
        self.plan = draw_residents(self.world.population, scenario.behaviour,
                              streams.generator("residents"))
        self.residents = Residents.at_home(self.plan)
        self.roads = Roads.empty(net, edge_traffic(net))
        largest = int(self.plan.persons.max()) if len(self.residents) else 1
        self.shelters = ShelterState.empty(self.world.shelters, net.n_nodes, largest)
        self._opening = self._close_unopened_shelters()
        self.node_persons = np.bincount(self.plan.home_node, weights=self.plan.persons,
                                        minlength=net.n_nodes)
        self._word_rng = streams.generator("residents.word_of_mouth")
        self._warnings_done = 0
        self._warn_area = self._warning_areas()
        self._node_warned = np.zeros(net.n_nodes, dtype=bool)  # nodes a hazard has warned
        action = scenario.behaviour.action
        self.node_action = np.full(net.n_nodes, ACTION_CODES.get(action, ACT_EVACUATE),
                                   dtype=np.int8)
        self.dt_s = float(scenario.run.dt)
        self.duration_s = float(scenario.run.duration)
        self.n_steps = math.ceil(self.duration_s / self.dt_s - 1e-9)
        self.record_every_s = float(scenario.outputs.every)
        self.t_s = 0.0
        self.step_dt_s = self.dt_s
        # (2, m): walk, car; handed to the kernels as is
        self._speed_factor = np.ones((2, net.n_edges))
        self.edge_closed = np.zeros(net.n_edges, dtype=bool)
        self.response = ResponseSystem(self, self.world, scenario.response, self.duration_s,
                                       streams.generator("response.calls"),
                                       streams.generator("response.service"))
        self._exposing = [h for h in self.hazards if overrides(h, "expose")]
        self._held: dict[int, tuple[Hazard, int]] = {}  # incident -> (hazard, its key)
        self._rescues: dict[int, np.ndarray] = {}  # incident -> trapped agents it frees
        self.route_updates = 0
        self._route_factor = self._speed_factor.copy()
        self._update_routes()
        self.probe_rows: list[dict[str, Any]] = []
        self._next_record_s = 0.0
        self.datacollector = mesa.DataCollector(model_reporters=self._reporters())
        self._record()
        self.before_injects = scenario
        self.injects: tuple[Inject, ...] = ()
        self._scheduled = sorted(injects, key=lambda j: float(j.at))  # stable: file order
        self._closure_hazard = -1  # index in hazards of the injects' road closures

    # -- stages ---------------------------------------------------------
    @classmethod
    def from_scenario(
        cls, scenario: Scenario, *, replication: int = 0, world: World | None = None,
        injects: Sequence[Inject] = (),
    ) -> CityModel:
        """Replication ``replication`` of the scenario, as ``citysim run`` makes it.

        The city is built from the run seed (:func:`citysim.rng.world_streams`),
        the same in every replication; the dynamics draw from the
        replication's seed sequence
        ``SeedSequence(run.seed).spawn(n)[replication]``
        (:func:`citysim.rng.replication_seed_sequence`). Stepping the model
        while ``model.running`` gives that replication's results.

        Parameters
        ----------
        scenario
            A loaded scenario (:func:`citysim.scenario.load_scenario`).
        replication
            0-based replication index (need not be below ``run.replications``).
        world
            The scenario's city, when already built, to reuse.
        injects
            Drill-room injects applied as the model runs (see the class).

        Returns
        -------
        CityModel
        """
        if replication < 0:
            raise ValueError(f"replication must be 0 or more, got {replication}")
        seed = int(scenario.run.seed)
        if world is None:
            world = build_world(scenario, world_streams(seed))
        return cls(scenario, replication_seed_sequence(seed, replication), world=world,
                   injects=injects)

    def _advance_hazards(self) -> None:
        for hazard in self.hazards:
            hazard.advance(self.t_s, self.step_dt_s)

    def _apply_hazard_effects(self) -> None:
        if not self.hazards:
            return
        factor = np.ones((2, self.world.network.n_edges))
        for hazard in self.hazards:
            factor[WALK] *= hazard.walk_effects()
            factor[CAR] *= hazard.edge_effects()
        self._speed_factor = factor
        self.edge_closed = factor[CAR] <= 0.0
        if self.action_is_auto:
            self._update_node_action()
        old = self._route_factor
        changed = (old > 0) != (factor > 0)
        drift = np.abs(factor - old) > ROUTE_FACTOR_TOLERANCE * np.maximum(old, 1e-12)
        if changed.any() or drift.any():
            self._update_routes()

    @property
    def action_is_auto(self) -> bool:
        """Whether the hazards choose the protective action (``action: auto``)."""
        return self.scenario.behaviour.action == "auto"

    def _update_node_action(self) -> None:
        """Let the hazards choose evacuate or shelter in place, node by node.

        Where hazards disagree, shelter in place wins (a toxic plume outruns
        evacuees); where none has an opinion, residents evacuate.
        """
        opinion = np.zeros(self.world.network.n_nodes, dtype=np.int8)
        for hazard in self.hazards:
            said = hazard.protective_action()
            if said is not None:  # shelter in place (2) outranks evacuate (1)
                opinion = np.maximum(opinion, said.astype(np.int8))
        self.node_action = np.where(opinion > 0, opinion, ACT_EVACUATE).astype(np.int8)

    def _update_routes(self) -> None:
        """Recompute the walk and car next-hop trees toward shelters with room."""
        net = self.world.network
        open_nodes = self.shelters.open_nodes(net.n_nodes, self.world.shelters.node)
        targets = np.flatnonzero(open_nodes)
        next_edge = np.full((2, net.n_nodes), -1, dtype=np.int64)
        if targets.size:
            walk_factor = np.maximum(self.walk_speed_factor, 1e-9)
            factor = np.maximum(self.edge_speed_factor, 1e-9)
            walk = next_hop_tree(net, targets, weight_s=net.length_m / (FREE_WALK_SPEED_MPS
                                                                         * walk_factor),
                                 closed=self.walk_speed_factor <= 0.0)
            car = next_hop_tree(net, targets, weight_s=net.travel_time_s / factor,
                                closed=self.edge_closed | ~self.roads.traffic.usable[CAR])
            next_edge[WALK], next_edge[CAR] = walk.next_edge, car.next_edge
        self.routes = (next_edge, open_nodes)
        self.roads.wake_parked()  # a queue waiting for its next edge may now take another
        self._route_factor = self._speed_factor.copy()
        self.route_updates += 1

    def _close_unopened_shelters(self) -> dict[int, float]:
        """Shelters with an ``opens`` time: no room until then; returns {shelter: opens (s)}."""
        index = {sid: k for k, sid in enumerate(self.world.shelters.id)}
        opening = {index[s.id]: float(s.opens) for s in self.scenario.shelters
                   if s.opens is not None and s.opens > 0 and s.id in index}
        for k in opening:
            self.shelters.close(k)
        return opening

    def _open_shelters(self) -> None:
        """Open the shelters whose time has come (before residents move), and re-route."""
        t_end = self.t_s + self.step_dt_s
        due = [k for k, at in self._opening.items() if at <= t_end + 1e-9]
        if not due:
            return
        st = self.shelters
        for k in due:
            del self._opening[k]
            st.capacity[k] = int(self.world.shelters.capacity[k])
            st.full[k] = st.capacity[k] < st.largest_agent
        self._update_routes()

    def _warning_areas(self) -> list[np.ndarray | None]:
        """Per scheduled warning (in time order, as the plan has them): nodes it reaches.

        ``None`` for a warning to the whole city; else a boolean per node, true
        within the warning's ``area`` (distance from the area's location).
        """
        warnings = sorted(self.scenario.behaviour.warnings, key=lambda w: w.at)
        return [None if w.area is None else
                self._area(w.area.location, w.area.radius_m,
                           ("behaviour", "warnings", j, "area", "location"))
                for j, w in enumerate(warnings)]

    def _area(self, location: Any, radius_m: float, path: tuple[str | int, ...]) -> np.ndarray:
        """Nodes within ``radius_m`` of a location (a boolean per node)."""
        net = self.world.network
        x, y, _ = Locator(net, self.world.crs, math.inf).resolve([location], [path])
        return np.hypot(net.node_x_m - x[0], net.node_y_m - y[0]) <= radius_m

    def _issue_warnings(self) -> None:
        plan, t_end = self.plan, self.t_s + self.step_dt_s
        while (self._warnings_done < plan.warn_at_s.size
               and plan.warn_at_s[self._warnings_done] <= t_end + 1e-9):
            j = self._warnings_done
            reached = plan.u_warn[:, j] < plan.warn_reach[j]
            area = self._warn_area[j]
            self.residents.warn(reached if area is None else reached & area[plan.home_node],
                                t_end)
            self._warnings_done += 1
        for hazard in self.hazards:
            nodes = hazard.warned_nodes()
            if nodes is None:
                continue
            new = nodes & ~self._node_warned  # everyone at home there is warned already
            if new.any():  # the per-agent pass only when a node is newly reached
                self.residents.warn(new[plan.home_node], t_end)
                self._node_warned |= new
        if plan.word_of_mouth_per_s > 0 and len(self.residents):
            res = self.residents
            word_of_mouth(self._word_rng, plan.word_of_mouth_per_s * self.step_dt_s, res.state,
                          plan.mode, plan.home_node, plan.persons, self.node_persons, t_end,
                          res.t_act_s, plan.delay_s, res.undecided, res.n_undecided, res.counts)

    def _move_residents(self) -> None:
        if not len(self.residents):
            return
        res, net = self.residents, self.world.network
        agents = res.kernel_agents()
        queues = self.roads.kernel_queues()
        res.n_undecided = decide(self.t_s + self.step_dt_s, agents, res.t_act_s, self.plan.complies,
                                 self.node_action, queues, net.n_edges, res.undecided,
                                 res.n_undecided, res.counts)
        became_full = move(self.t_s, self.step_dt_s, agents, res.kernel_moving(),
                           self._kernel_roads(), queues, self.roads.kernel_speeds(),
                           self.routes, self.shelters.kernel_shelters(), res.counts)
        if became_full:
            self._update_routes()

    def _expose_people(self) -> None:
        """Hazards act on the residents where they are now: kill, trap, injure."""
        if not self._exposing or not len(self.residents):
            return
        res = self.residents
        people = res.where(self.world.network, self.world.shelters)
        for hazard in self._exposing:
            harm = hazard.expose(self.t_s, self.step_dt_s, people)
            if harm is None:
                continue
            alive = res.state != State.DEAD
            if harm.injured is not None:
                res.mark_injured(harm.injured)
            for mask, state in ((harm.dead, State.DEAD), (harm.trapped, State.TRAPPED)):
                if mask is None:
                    continue
                ids = np.flatnonzero(mask & alive & (res.state != state))
                if ids.size:
                    res.stop(ids, state, self.roads)

    def _after_response(self, raised: list[tuple[Hazard, IncidentRequest]],
                        indices: list[int]) -> None:
        """Book the hazards' new incidents; tell hazards who is on scene; free the rescued."""
        t_end = self.t_s + self.step_dt_s
        incidents = self.response.incidents
        for (hazard, req), index in zip(raised, indices, strict=True):
            if req.hold and not incidents[index]["lost"]:
                self._held[index] = (hazard, req.key)
            if req.agents is not None and len(req.agents) and not incidents[index]["lost"]:
                self._rescues[index] = np.asarray(req.agents, dtype=np.int64)
        for hazard in self.hazards:
            mine = {key: index for index, (h, key) in self._held.items() if h is hazard}
            if not mine:
                continue
            done = hazard.attend(t_end, {key: self.response.on_scene(index)
                                         for key, index in mine.items()})
            for key in done:
                index = mine[key]
                self.response.release(index, t_end)
                del self._held[index]
        for index in [k for k in self._rescues if self.response.is_over(k)]:
            agents = self._rescues.pop(index)
            res = self.residents
            res.set_state(np.unique(agents[res.state[agents] == State.TRAPPED]), State.RESCUED)

    def _kernel_roads(self) -> tuple:
        net, traffic = self.world.network, self.roads.traffic
        return (net.edge_head, net.length_m, net.width_m, net.lanes, net.speed_mps,
                self._speed_factor, traffic.flow_per_s)

    @property
    def walk_speed_factor(self) -> np.ndarray:
        """Speed factor of each edge for walkers, the product over the hazards (0: closed)."""
        return self._speed_factor[WALK]

    @property
    def edge_speed_factor(self) -> np.ndarray:
        """Speed factor of each edge for cars, the product over the hazards (0: closed)."""
        return self._speed_factor[CAR]

    def engine_edge_time_s(self) -> np.ndarray:
        """Driving time of every edge for a fire engine now (s).

        The speed of the cars moving on it (hazard factor included) plus the
        wait to pass the cars queued at its end at its capacity; never less
        than free flow. Closed edges are ``inf``.
        """
        net = self.world.network
        free = net.travel_time_s / np.maximum(self.edge_speed_factor, 1e-9)
        if not len(self.residents) or not self.roads.occupancy[CAR].any():
            return np.where(self.edge_closed, np.inf, free)
        _, _, car = edge_speeds(self._kernel_roads(), self.roads.occupancy,
                                   self.roads.queued)
        flow = self.roads.traffic.flow_per_s[CAR]
        with np.errstate(divide="ignore"):
            moving = net.length_m / car
            wait = np.where(flow > 0, self.roads.queued[CAR] / np.maximum(flow, 1e-12), 0.0)
        return np.where(self.edge_closed, np.inf, np.maximum(moving + wait, free))

    def _record(self) -> None:
        if self.t_s + 1e-9 < self._next_record_s:
            return
        self.datacollector.collect(self)
        probes = self.world.probes
        if len(probes.id):
            fields: dict[str, np.ndarray] = {}
            for hazard in self.hazards:
                fields.update(hazard.sample(probes.x_m, probes.y_m))
            for k, pid in enumerate(probes.id):
                row = {"t_s": self.t_s, "probe": pid, "x": probes.x_m[k], "y": probes.y_m[k]}
                row.update({name: float(values[k]) for name, values in fields.items()})
                self.probe_rows.append(row)
        self._next_record_s += self.record_every_s

    def _reporters(self) -> dict[str, Any]:
        reporters: dict[str, Any] = {"t_s": lambda m: m.t_s}
        for state, column in STATE_COLUMNS.items():
            reporters[column] = lambda m, s=state: int(m.state_counts()[s])
        for group in ("evacuated", "sheltered_in_place", "not_evacuated", "fatalities"):
            if group not in reporters:
                reporters[group] = lambda m, g=group: final_groups(m.state_counts())[g]
        for mode, name in ((WALK, "walk"), (CAR, "car")):
            for state in (State.EVACUATING, State.EVACUATED):
                column = f"{STATE_COLUMNS[state]}_{name}"
                reporters[column] = lambda m, s=state, md=mode: m.persons_in(s, md)
        reporters["injured"] = lambda m: m.residents.injured_persons  # survivors, as in summary
        reporters["shelter_occupancy"] = lambda m: int(m.shelters.occupancy.sum())
        reporters["active_incidents"] = lambda m: len(m.response.active)
        reporters["busy_units"] = lambda m: m.response.busy_units()
        reporters["closed_edges"] = lambda m: int(m.edge_closed.sum())
        # the response against its standard, from the response system's running counters
        reporters["incidents_waiting"] = lambda m: len(m.response.waiting)
        reporters["first_arrivals"] = lambda m: m.response.first_arrivals
        reporters["within_standard_share"] = lambda m: (
            m.response.within_standard / m.response.first_arrivals
            if m.response.first_arrivals else math.nan)
        reporters["response_time_mean_s"] = lambda m: (
            m.response.response_time_sum_s / m.response.first_arrivals
            if m.response.first_arrivals else math.nan)
        reporters["response_time_last_s"] = lambda m: m.response.last_response_time_s
        return reporters

    # -- public ---------------------------------------------------------
    def state_counts(self) -> np.ndarray:
        """Persons in each resident state now (from the running counts, no scan)."""
        return self.residents.counts.sum(axis=0)

    def persons_in(self, state: State, mode: int) -> int:
        """Persons in ``state`` travelling by ``mode`` (0 walk, 1 car)."""
        return int(self.residents.counts[mode, state])

    def step(self) -> None:
        """Advance the model by one time step ``dt`` (see the class docstring).

        The last step is shortened when ``run.duration`` is not a multiple of
        ``dt``; the clock is ``steps * dt`` (no running sum of floats).
        """
        while self._scheduled and float(self._scheduled[0].at) < self.t_s + self.dt_s - 1e-9:
            self.apply_inject(self._scheduled.pop(0))
        self.step_dt_s = min(self.dt_s, self.duration_s - self.t_s)
        self._advance_hazards()
        self._apply_hazard_effects()
        self._issue_warnings()
        self._open_shelters()
        self._move_residents()
        self._expose_people()
        raised = [(hazard, req) for hazard in self.hazards for req in hazard.incidents()]
        indices = self.response.advance(self.t_s, self.t_s + self.step_dt_s, self.edge_closed,
                                        self.engine_edge_time_s, [req for _, req in raised])
        self._after_response(raised, indices)
        self.t_s = min(self.steps * self.dt_s, self.duration_s)
        self._record()
        if self.steps >= self.n_steps:
            self.running = False

    # -- live injects ---------------------------------------------------
    def apply_inject(self, inject: Inject) -> None:
        """Apply a drill-room inject to the running model now, at this step boundary.

        The inject lands on the mechanism the scenario has for it (see
        :mod:`citysim.scenario.injects`), changed in the live model: a closure
        of the injects' ``road_closure`` hazard (rebuilt with it; the map
        shows it at once), an out-of-service event, a scheduled warning
        (inserted in time order, its reach drawn from the stream
        ``injects[k].warning``), an ignition of the first fire, a new
        ``chemical_leak`` hazard, a shelter closed until it ``opens``. The
        model is not rebuilt and nothing is re-run: the drill room applies it
        at the step it is made and ``citysim run --injects`` at the start of
        the step whose interval ``[t, t + dt)`` holds its time, through this
        method, so the replay is the session bit for bit.

        Parameters
        ----------
        inject
            The inject; its ``at`` (s) is now or within the coming step.

        Raises
        ------
        ScenarioError
            When the inject is not valid here (no such closure or unit, a
            place off the map), its problems at ``injects[k]``.
        ValueError
            When the run is over or ``at`` is before the model's clock.
        """
        at, k = float(inject.at), len(self.injects)
        if not self.running or at < self.t_s - 1e-9:
            raise ValueError(f"an inject at {at} s cannot be applied to a model at "
                             f"{self.t_s} s{'' if self.running else ' (the run is over)'}")
        where = f"injects[{k}].{inject.kind}"
        injected = with_injects(self.before_injects, (*self.injects, inject))
        if inject.close_road is not None or inject.reopen_road is not None:
            i = len(injected.hazards) - 1  # with_injects adds the injects' closures last
            closures = build_hazard(injected, i, self.world, self.streams)
            if self._closure_hazard < 0:
                self._closure_hazard = len(self.hazards)
                self.hazards.append(closures)
            else:
                self.hazards[self._closure_hazard] = closures
            closures.advance(self.t_s, 0.0)  # closed (or open again) from now
            self._apply_hazard_effects()
        elif inject.out_of_service is not None or inject.back_in_service is not None:
            name = inject.out_of_service or inject.back_in_service or ""
            try:
                self.response.set_in_service(name, at, in_service=inject.out_of_service is None)
            except KeyError:
                raise ScenarioError([Problem(where, f"no unit {name!r} in this city")]) from None
        elif inject.warning is not None:
            self._add_warning(k, at, inject)
        elif inject.fire is not None:
            fire = next((h for h in self.hazards if h.type_name == "fire"), None)
            if fire is not None:  # with_injects adds an ignition to the first fire
                fire.ignite(inject.fire.location, at, (where, "location"))  # type: ignore[attr-defined]
            else:
                i = next(i for i, h in enumerate(injected.hazards) if h.type == "fire")
                self._add_hazard(build_hazard(injected, i, self.world, self.streams))
        elif inject.release is not None:
            i = max(i for i, h in enumerate(injected.hazards) if h.type == "chemical_leak")
            self._add_hazard(build_hazard(injected, i, self.world, self.streams))
        elif inject.shelter is not None:
            self._add_shelter(injected, inject.shelter.id, at, where)
        self.scenario = injected
        self.injects = (*self.injects, inject)

    def _add_hazard(self, hazard: Hazard) -> None:
        self.hazards.append(hazard)
        if overrides(hazard, "expose"):
            self._exposing.append(hazard)

    def _add_warning(self, k: int, at: float, inject: Inject) -> None:
        """Insert a scheduled warning at ``at`` among those not issued yet."""
        assert inject.warning is not None
        w, plan = inject.warning, self.plan
        pos = max(int(np.searchsorted(plan.warn_at_s, at, side="right")), self._warnings_done)
        area = self._area(w.location, w.radius_m, (f"injects[{k}].warning", "location"))
        u = self.streams.generator(f"injects[{k}].warning").random(plan.n_agents)
        self.plan = replace(plan, u_warn=np.insert(plan.u_warn, pos, u, axis=1),
                            warn_at_s=np.insert(plan.warn_at_s, pos, at),
                            warn_reach=np.insert(plan.warn_reach, pos, w.reach))
        self.residents.plan = self.plan
        self._warn_area.insert(pos, area)

    def _add_shelter(self, injected: Scenario, sid: str, at: float, where: str) -> None:
        """Add an injected shelter to this model's city, closed until ``at``."""
        cfg = next(s for s in injected.shelters if s.id == sid)
        added = build_shelters(self.world.locator(), [cfg], section=where)
        self.world = replace(self.world, shelters=self.world.shelters.extended(added))
        self.shelters = self.shelters.grown(self.world.shelters, self.world.network.n_nodes)
        k = len(self.world.shelters) - 1
        self.shelters.close(k)
        self._opening[k] = at

    def finish(self) -> None:
        """Close the books: units' busy time, and the final record if it fell between two."""
        self.response.finish(self.t_s)
        last = self.datacollector.model_vars["t_s"][-1]
        if last < self.t_s:
            self._next_record_s = self.t_s
            self._record()

    # -- tables ---------------------------------------------------------
    def timeseries_frame(self) -> pd.DataFrame:
        """The recorded model-level series, one row per ``outputs.every``."""
        return self.datacollector.get_model_vars_dataframe().reset_index(drop=True)

    def agents_frame(self) -> pd.DataFrame:
        """The residents now: home node, persons, mode, state, arrival time, shelter."""
        res = self.residents
        return pd.DataFrame({
            "home_node": res.plan.home_node, "persons": res.persons, "mode": res.mode,
            "state": res.state, "t_arrive_s": res.t_arrive_s, "shelter": res.shelter,
        })

    def incidents_frame(self) -> pd.DataFrame:
        """One row per incident, contract columns first."""
        return typed_frame(self.response.incidents, INCIDENT_COLUMNS)

    def shelters_frame(self) -> pd.DataFrame:
        """One row per shelter, contract columns first."""
        sh, st = self.world.shelters, self.shelters
        return typed_frame(
            {
                "shelter": sh.id, "name": sh.name, "kind": sh.kind, "x": sh.x_m, "y": sh.y_m,
                "node": sh.node, "capacity": sh.capacity,
                # nobody leaves a shelter: the peak is the final occupancy
                "peak_occupancy": st.occupancy, "final_occupancy": st.occupancy,
                "arrivals": st.arrivals, "turned_away": st.turned_away, "t_full_s": st.t_full_s,
            },
            SHELTER_COLUMNS,
        )

    def stations_frame(self, incidents: pd.DataFrame | None = None) -> pd.DataFrame:
        """One row per station: units, incidents it reached first, response, utilisation.

        ``incidents`` is :meth:`incidents_frame` when the caller already made it.
        """
        st = self.world.stations
        inc = self.incidents_frame() if incidents is None else incidents
        standard = float(self.scenario.response.standard)
        busy = np.zeros(len(st))
        for unit in self.response.units:
            busy[unit.station] += unit.busy_s
        rows = []
        for s, sid in enumerate(st.id):
            rt = inc.loc[inc["station"] == sid, "response_time_s"].dropna().to_numpy(float)
            units = int(st.units[s].sum())
            rows.append({
                "station": sid, "name": st.name[s], "node": int(st.node[s]), "units": units,
                **{f"units_{k}": int(st.units[s, j]) for j, k in enumerate(UNIT_TYPES)},
                "turnout_s": float(st.turnout_s[s]),
                "first_arrivals": int(rt.size),
                "response_time_p50_s": float(np.quantile(rt, 0.5)) if rt.size else np.nan,
                "response_time_p90_s": float(np.quantile(rt, 0.9)) if rt.size else np.nan,
                "within_standard_fraction": float(np.mean(rt <= standard)) if rt.size else np.nan,
                "unit_utilization": busy[s] / (units * self.t_s) if units and self.t_s else np.nan,
            })
        return pd.DataFrame(rows, columns=STATION_COLUMNS)

    def probes_frame(self) -> pd.DataFrame:
        """Hazard fields at the probes, one row per probe and record time."""
        return typed_frame(self.probe_rows, PROBE_COLUMNS)
