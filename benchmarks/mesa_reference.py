"""A small pure-Mesa reference implementation of the resident dynamics.

It implements docs/RESIDENTS.md the way a typical Mesa model would: one
:class:`mesa.Agent` object per resident agent with a ``step`` that Mesa's
``AgentSet.do`` calls for every agent every step (decide when the response
delay is over, walk or drive along the current edge), plain Python in the
per-agent logic (no numba, no vectorised numpy), and the model doing what
needs the whole picture: warnings (an ``AgentSet.do`` pass in the steps that
issue one), the queues and node crossings, shelters and routes. It is written
sensibly (per-edge state in small :class:`Lane` objects with FIFO queues, one
heap for the crossing order, routes as next-hop lists, nothing searched per
agent), so that it is a fair yardstick for speed
(benchmarks/bench_residents.py) and an independent cross-check of behaviour
(tests/agents/test_mesa_reference.py).

Scope: no hazards (every edge speed factor is 1, nothing closes, the action
``auto`` evacuates), so no hazard warnings, injuries, deaths or wading.
The walking law (Weidmann's curve and the walking capacity at its flow
peak) is written here again in plain Python from docs/RESIDENTS.md, not
imported, so that the agreement test checks the numba model against the
spec. The next-hop
trees come from :func:`citysim.routing.next_hop_tree`, as in the numba model:
routes are computed rarely and are not what is being compared.

Where docs/RESIDENTS.md leaves a choice open, this module decides as follows
(and the numba model must do the same for the two to agree exactly):

- a step runs t -> t + dt: scheduled warnings with ``at <= t + dt`` (then
  word of mouth, from the warned shares after them) warn at ``t + dt``;
  warned agents whose ``t_warned + delay_s <= t + dt`` decide; then the
  agents move; shelters that filled trigger one route update at the end;
- the queue of an edge holds the agents waiting at its end, in the order
  they reached it (ties by agent id); agents still moving along the edge
  are not in it; the free length and the speeds of an edge are fixed at the
  start of the step (an edge empty then has its whole length and free speed
  for the rest of the step);
- deciding agents wait in a departure queue per home node and mode, in order
  of ``(t_decide, id)``, keyed ``max(t_decide, t)`` in the crossing order;
- an agent that crosses at ``t_ready < t`` (it waited) crosses at time
  ``t_cross = max(t_ready, t)``: it continues ``v_next * (t + dt -
  t_cross)``, and is admitted to a shelter (or turned away, for
  ``t_full_s``) at ``t_cross``;
- the step covers ``[t, t + dt)``: a queue head with ``t_ready >= t + dt``
  (one that reached the queue of its next edge after crossing a node, which
  gives it ``t_ready = t + dt``, or reached an edge end or decided exactly
  at ``t + dt``) waits for the next step, and so does its queue;
- the head of an edge whose credit is spent does nothing (not even a
  refusal) until the credit is positive again;
- at a node with an open shelter (as of the last route update) the agent is
  admitted by the first shelter there (in scenario order) that is not full
  and has room for all its persons, else turned away by the first one not
  full (which then is full); a turned-away agent stays at the head of its
  queue;
- an edge is "empty" (accepts any agent) when no agent is on it;
- walkers moving at jam density (speed 0 on Weidmann's curve) stand in the
  jam: they join the edge's queue at the start of the step, in id order;
- every step moves a full ``dt``, the last one too when ``run.duration``
  is not a multiple of ``dt`` (the time recorded is ``min(t + dt,
  duration)``), as :class:`citysim.model.CityModel` does.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from typing import Any

import mesa
import numpy as np
import pandas as pd

from citysim.agents.draws import CAR, WALK, ResidentDraws, draw_residents
from citysim.agents.states import STATE_COLUMNS, State
from citysim.agents.traffic import (
    CAR_JAM_SPACING_M,
    CAR_LANE_CAPACITY_VEH_S,
    edge_traffic,
)
from citysim.rng import Streams, replication_seeds, world_streams
from citysim.routing import next_hop_tree
from citysim.world.builder import World, build_world

_MODES = (WALK, CAR)
MIN_FREE_SHARE = 0.01
"""The free length of an edge never shrinks below this share of its length."""
_MODE_NAMES = {WALK: "walk", CAR: "car"}
WEIDMANN_FREE_SPEED_MPS = 1.34
WEIDMANN_GAMMA = 1.913
WEIDMANN_JAM_DENSITY_P_M2 = 5.4


def reference_plan(scenario: Any, world: World, replication: int = 0) -> ResidentDraws:
    """The plan of a replication, drawn exactly as the numba model draws it.

    Parameters
    ----------
    scenario
        The loaded scenario.
    world
        Its world, ``build_world(scenario, world_streams(scenario.run.seed))``.
    replication
        Replication index.

    Returns
    -------
    ResidentDraws
    """
    seeds = replication_seeds(scenario.run.seed, scenario.run.replications)
    rng = Streams(seeds[replication]).generator("residents")
    return draw_residents(world.population, scenario.behaviour, rng)


def reference_world(scenario: Any) -> World:
    """The world of a scenario, built as :func:`citysim.run` builds it."""
    return build_world(scenario, world_streams(scenario.run.seed))


# -- speeds: docs/RESIDENTS.md, "Speed" (citysim.agents.traffic, one edge at a time) ------

def walk_factor(rho: float) -> float:
    """Weidmann's ``v / v0`` at a density ``rho`` (persons/m²), 1 at zero density."""
    if rho <= 0.0:
        return 1.0
    f = 1.0 - math.exp(-WEIDMANN_GAMMA * (1.0 / rho - 1.0 / WEIDMANN_JAM_DENSITY_P_M2))
    return min(max(f, 0.0), 1.0)


def walk_speed(v0: float, factor: float) -> float:
    """Walking speed ``v0 * factor`` (m/s), ``factor`` from :func:`walk_factor`."""
    return v0 * factor


def walk_capacity_p_ms() -> float:
    """Capacity of a walking lane per metre of width: the peak of ``rho * v(rho)``.

    Golden-section search of Weidmann's flow at ``v0 = 1.34`` m/s over
    (0, 5.4) persons/m² (the flow is unimodal there).
    """
    def flow(rho: float) -> float:
        return rho * WEIDMANN_FREE_SPEED_MPS * walk_factor(rho)

    lo, hi = 0.0, WEIDMANN_JAM_DENSITY_P_M2
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    while hi - lo > 1e-12:
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        if flow(a) < flow(b):
            lo = a
        else:
            hi = b
    return flow((lo + hi) / 2.0)


def car_speed(k: float, vf: float, q_exit: float) -> float:
    """Car speed at moving density ``k`` (veh/m/lane) on the triangular diagram (m/s).

    Free speed up to the critical density of a lane's physical capacity, the
    congested branch beyond, never below ``q_exit / k`` (the edge's exit
    capacity per lane, veh/s) and never above ``vf``.
    """
    if k <= 0.0:
        return vf
    kj = 1.0 / CAR_JAM_SPACING_M
    kc = min(CAR_LANE_CAPACITY_VEH_S / max(vf, 1e-12), 0.999 * kj)
    v = vf if k <= kc else CAR_LANE_CAPACITY_VEH_S / (kj - kc) * (kj / k - 1.0)
    return min(vf, max(v, q_exit / k))


class Lane:
    """One mode's lane of one directed edge: occupancy, queue, flow credit, speed.

    Attributes
    ----------
    queue
        Agents waiting at its end, first to leave first (the others on the
        edge are moving toward it).
    occupancy, queued
        Units on the edge (moving and queued), and in the queue.
    n_agents
        Agents on the edge.
    credit
        Flow credit (units) as of step ``credit_step``.
    free_m, walk_f, car_mps
        This step's free length (m), Weidmann's ``v / v0`` at the walkers'
        moving density (0: a standing jam), the car speed (m/s); valid when
        ``speed_step`` is the current step.
    """

    __slots__ = ("mode", "edge", "head", "length_m", "width_m", "lanes", "free_mps",
                 "flow_per_s", "storage", "queue", "occupancy", "queued", "n_agents",
                 "credit", "credit_step", "speed_step", "free_m", "walk_f", "car_mps")

    def __init__(self, mode: int, edge: int, head: int, length_m: float, width_m: float,
                 lanes: float, free_mps: float, flow_per_s: float, storage: float) -> None:
        self.mode = mode
        self.edge = edge
        self.head = head
        self.length_m = length_m
        self.width_m = width_m
        self.lanes = lanes
        self.free_mps = free_mps
        self.flow_per_s = flow_per_s
        self.storage = storage
        self.queue: deque[Resident] = deque()
        self.occupancy = 0.0
        self.queued = 0.0
        self.n_agents = 0
        self.credit = 0.0
        self.credit_step = 0
        self.speed_step = -1
        self.free_m = length_m
        self.walk_f = 1.0
        self.car_mps = free_mps

    def fix_speed(self, step: int) -> None:
        """Fix this step's free length and speeds from the traffic now (start of step)."""
        self.speed_step = step
        length = self.length_m
        moving = self.occupancy - self.queued
        if self.mode == WALK:
            free = length - self.queued / (WEIDMANN_JAM_DENSITY_P_M2 * self.width_m)
            self.free_m = max(free, MIN_FREE_SHARE * length)
            rho = moving / (self.free_m * self.width_m)
            self.walk_f = walk_factor(rho)
        else:
            free = length - self.queued * CAR_JAM_SPACING_M / self.lanes
            self.free_m = max(free, MIN_FREE_SHARE * length)
            # a car is not slowed by itself: the density of the others
            k = max(moving - 1.0, 0.0) / (self.lanes * self.free_m)
            self.car_mps = car_speed(k, self.free_mps, self.flow_per_s / self.lanes)

    def free_length(self, step: int) -> float:
        """Length before the queue during ``step`` (m)."""
        return self.free_m if self.speed_step == step else self.length_m

    def speed(self, agent: Resident, step: int) -> float:
        """Speed of ``agent`` on this lane during ``step`` (m/s)."""
        if self.speed_step != step:  # empty at the start of the step: free flow
            return agent.v0_mps if self.mode == WALK else self.free_mps
        if self.mode == WALK:
            return walk_speed(agent.v0_mps, self.walk_f)
        return self.car_mps

    def credit_at(self, step: int, dt_s: float) -> float:
        """Flow credit in ``step``: ``min(credit + C dt, C dt)`` once per step since the last."""
        if self.credit_step < step:
            full = self.flow_per_s * dt_s
            c = self.credit
            for _ in range(step - self.credit_step):
                c = min(c + full, full)
                if c == full:
                    break
            self.credit = c
            self.credit_step = step
        return self.credit

    def enter(self, agent: Resident) -> None:
        self.occupancy += agent.units
        self.n_agents += 1
        agent.lane = self

    def join_queue(self, agent: Resident) -> None:
        self.queue.append(agent)
        self.queued += agent.units
        agent.in_queue = True

    def leave(self, agent: Resident) -> None:
        """Remove ``agent``, the head of the queue."""
        self.queue.popleft()
        self.n_agents -= 1
        if self.n_agents:
            self.occupancy -= agent.units
            self.queued = self.queued - agent.units if self.queue else 0.0
        else:
            self.occupancy = self.queued = 0.0
        agent.lane = None
        agent.in_queue = False


class Resident(mesa.Agent):
    """One resident agent: ``persons`` persons travelling together.

    Parameters
    ----------
    model
        The reference model.
    idx
        Agent id: index into the plan (crossings are ordered by it on ties).
    plan
        The replication's plan (the agent copies its row).
    """

    def __init__(self, model: ReferenceModel, idx: int, plan: ResidentDraws) -> None:
        super().__init__(model)
        self.idx = idx
        self.home = int(plan.home_node[idx])
        self.persons = int(plan.persons[idx])
        self.mode = int(plan.mode[idx])
        self.units = float(plan.units[idx])
        self.v0_mps = float(plan.v0_mps[idx])
        self.delay_s = float(plan.delay_s[idx])
        self.complies = bool(plan.complies[idx])
        self.u_warn = [float(u) for u in plan.u_warn[idx]]
        self.state = State.AT_HOME
        self.t_warned_s = math.nan
        self.t_decide_s = math.inf
        self.lane: Lane | None = None
        self.in_queue = False
        self.pos_m = 0.0
        self.t_ready_s = math.inf
        self.t_evacuated_s = math.nan
        self.shelter = -1

    def hear(self, t_s: float, warnings: list[tuple[int, float]]) -> None:
        """Receive the scheduled warnings ``[(j, reach_j)]`` issued at step time ``t_s``."""
        if self.state is State.AT_HOME:
            for j, reach in warnings:
                if self.u_warn[j] < reach:
                    self.model.warn(self, t_s)
                    return

    def listen(self, t_s: float, rate_dt: float, share: dict[int, float]) -> None:
        """Word of mouth: learn with probability ``1 - exp(-r dt f)`` at step time ``t_s``."""
        if self.state is State.AT_HOME:
            f = share.get(self.home, 0.0)
            if f > 0.0 and self.model.rng.random() < 1.0 - math.exp(-rate_dt * f):
                self.model.warn(self, t_s)

    def step(self, t_s: float, dt_s: float, step: int) -> None:
        """Decide once the response delay is over; move along the current edge."""
        state = self.state
        if state is State.WARNED:
            if self.t_decide_s <= t_s + dt_s and self.decide():
                self.model.deciders.append(self)
        elif state is State.EVACUATING and not self.in_queue:
            lane = self.lane
            if lane.mode == WALK and lane.speed_step == step and lane.walk_f <= 0.0:
                self.t_ready_s = t_s  # standing in a jam: part of the edge's queue
                self.pos_m = lane.length_m
                self.model.arrivals.append(self)
            elif self.advance(lane.speed(self, step), lane.free_m, t_s, dt_s):
                self.model.arrivals.append(self)

    def decide(self) -> bool:
        """Act on the warning; return whether the agent now wants to leave."""
        if not self.complies:
            self.model.set_state(self, State.NOT_EVACUATED)
            return False
        if self.model.action == "shelter_in_place":
            self.model.set_state(self, State.SHELTERED_IN_PLACE)
            return False
        self.model.set_state(self, State.DECIDING)
        return True

    def advance(self, speed_mps: float, free_m: float, t_s: float, dt_s: float) -> bool:
        """Move along the edge for one step; return whether the queue was reached."""
        if speed_mps <= 0.0:
            return False
        rest = free_m - self.pos_m
        if speed_mps * dt_s >= rest:
            self.t_ready_s = t_s + max(rest, 0.0) / speed_mps
            self.pos_m = self.lane.length_m
            return True
        self.pos_m += speed_mps * dt_s
        return False


class ReferenceModel(mesa.Model):
    """The residents of docs/RESIDENTS.md, one Mesa agent per resident agent.

    Parameters
    ----------
    scenario
        The loaded scenario: ``run`` (dt, duration), ``outputs.every`` and
        ``behaviour.action`` are read; hazards are ignored.
    world
        The world: network, shelters and the population the plan was drawn for.
    plan
        The agents' fixed draws (:func:`reference_plan`).
    rng
        Generator for word of mouth; default a ``reference.word`` stream of
        replication 0 of the scenario's seed.

    Attributes
    ----------
    datacollector
        ``t_s``, persons per state (the columns of ``STATE_COLUMNS``),
        ``evacuating_walk``/``_car``, ``evacuated_walk``/``_car``,
        ``shelter_occupancy``; recorded at t = 0 and then at the first step
        end reaching each multiple of ``outputs.every``.
    shelter_occupancy, shelter_arrivals, shelter_turned_away, shelter_t_full_s
        Per shelter (persons, persons, persons, s).
    """

    def __init__(
        self, scenario: Any, world: World, plan: ResidentDraws, *,
        rng: np.random.Generator | None = None,
    ) -> None:
        if rng is None:
            seeds = replication_seeds(scenario.run.seed, scenario.run.replications)
            rng = Streams(seeds[0]).generator("reference.word")
        super().__init__(rng=rng)
        self.scenario = scenario
        self.world = world
        self.plan = plan
        self.action = scenario.behaviour.action
        self.dt_s = float(scenario.run.dt)
        self.duration_s = float(scenario.run.duration)
        self.n_steps = math.ceil(self.duration_s / self.dt_s - 1e-9)
        self.record_every_s = float(scenario.outputs.every)
        self.t_s = 0.0
        net = world.network

        # lanes, one per (mode, edge); the walking lanes' capacities from the spec
        traffic = edge_traffic(net)
        head = net.edge_head.tolist()
        length = net.length_m.tolist()
        width = net.width_m.tolist()
        lanes = net.lanes.tolist()
        speed = net.speed_mps.tolist()
        walk_q = walk_capacity_p_ms()
        flow = {WALK: [walk_q * w for w in width], CAR: traffic.flow_per_s[CAR].tolist()}
        storage = {WALK: [WEIDMANN_JAM_DENSITY_P_M2 * a * w for a, w in zip(length, width,
                                                                         strict=True)],
                   CAR: traffic.storage[CAR].tolist()}
        self.lanes: dict[int, list[Lane]] = {
            mode: [Lane(mode, e, head[e], length[e], width[e], lanes[e], speed[e],
                        flow[mode][e], storage[mode][e])
                   for e in range(net.n_edges)]
            for mode in _MODES
        }
        self._busy: dict[int, dict[int, Lane]] = {mode: {} for mode in _MODES}
        self._walk_weight = net.length_m / WEIDMANN_FREE_SPEED_MPS
        self._car_weight = net.travel_time_s
        self._car_closed = ~traffic.usable[CAR]

        # agents
        self.residents = [Resident(self, i, plan) for i in range(plan.n_agents)]
        self.total_persons = sum(a.persons for a in self.residents)
        self.largest_agent = max((a.persons for a in self.residents), default=1)
        self.persons_by_state = dict.fromkeys(State, 0)
        self.persons_by_state[State.AT_HOME] = self.total_persons
        self.persons_by_mode = {(s, m): 0 for s in (State.EVACUATING, State.EVACUATED)
                                for m in _MODES}
        self.deciders: list[Resident] = []
        self.arrivals: list[Resident] = []
        self._departures: dict[tuple[int, int], deque[Resident]] = {}
        self._warn_at = [float(x) for x in plan.warn_at_s]
        self._warn_reach = [float(x) for x in plan.warn_reach]
        self._warnings_done = 0
        self._word_per_s = float(plan.word_of_mouth_per_s)
        self._node_persons: dict[int, int] = {}
        for a in self.residents:
            self._node_persons[a.home] = self._node_persons.get(a.home, 0) + a.persons
        self._node_warned = dict.fromkeys(self._node_persons, 0)

        # shelters
        sh = world.shelters
        self.shelter_capacity = [int(c) for c in sh.capacity]
        self.shelter_node = [int(v) for v in sh.node]
        k = len(self.shelter_capacity)
        self.shelter_occupancy = [0] * k
        self.shelter_arrivals = [0] * k
        self.shelter_turned_away = [0] * k
        self.shelter_full = [c < self.largest_agent for c in self.shelter_capacity]
        self.shelter_t_full_s = [0.0 if f else math.nan for f in self.shelter_full]
        self._shelters_at: dict[int, list[int]] = {}
        for s, v in enumerate(self.shelter_node):
            self._shelters_at.setdefault(v, []).append(s)
        self.route_updates = 0
        self._update_routes()

        self._next_record_s = 0.0
        reporters: dict[str, Any] = {"t_s": lambda m: m.t_s}
        for state, column in STATE_COLUMNS.items():
            reporters[column] = lambda m, s=state: m.persons_by_state[s]
        for state in (State.EVACUATING, State.EVACUATED):
            for mode in _MODES:
                column = f"{STATE_COLUMNS[state]}_{_MODE_NAMES[mode]}"
                reporters[column] = lambda m, s=state, md=mode: m.persons_by_mode[s, md]
        reporters["shelter_occupancy"] = lambda m: sum(m.shelter_occupancy)
        self.datacollector = mesa.DataCollector(model_reporters=reporters)
        self._record()

    # -- bookkeeping ------------------------------------------------------------
    def set_state(self, agent: Resident, state: State) -> None:
        """Move ``agent`` to ``state``, keeping the person counts."""
        old = agent.state
        self.persons_by_state[old] -= agent.persons
        self.persons_by_state[state] += agent.persons
        if (old, agent.mode) in self.persons_by_mode:
            self.persons_by_mode[old, agent.mode] -= agent.persons
        if (state, agent.mode) in self.persons_by_mode:
            self.persons_by_mode[state, agent.mode] += agent.persons
        agent.state = state

    def _update_routes(self) -> None:
        """Walk and car next-hop trees toward the shelters that are not full."""
        net = self.world.network
        targets = sorted({self.shelter_node[s] for s, full in enumerate(self.shelter_full)
                          if not full})
        self._node_open = set(targets)
        if targets:
            walk = next_hop_tree(net, targets, weight_s=self._walk_weight)
            car = next_hop_tree(net, targets, weight_s=self._car_weight, closed=self._car_closed)
            self._next_edge = {WALK: walk.next_edge.tolist(), CAR: car.next_edge.tolist()}
        else:
            self._next_edge = {WALK: [-1] * net.n_nodes, CAR: [-1] * net.n_nodes}
        self.route_updates += 1

    def _record(self) -> None:
        if self.t_s + 1e-9 < self._next_record_s:
            return
        self.datacollector.collect(self)
        self._next_record_s += self.record_every_s

    # -- the step ---------------------------------------------------------------
    def step(self) -> None:
        """Advance by ``run.dt`` (docs/RESIDENTS.md, "Each step")."""
        t, step = self.t_s, self.steps
        dt = min(self.dt_s, self.duration_s - t)  # the last step may be shorter
        t_end = t + dt
        self._warn(t_end, dt)
        filled = self._move(t, dt, step)
        if filled:
            self._update_routes()
        self.t_s = min(step * self.dt_s, self.duration_s)
        self._record()
        if self.steps >= self.n_steps:
            self.running = False

    def warn(self, agent: Resident, t_s: float) -> None:
        """``agent`` learns of the warning at step time ``t_s``; it acts ``delay_s`` later."""
        self.set_state(agent, State.WARNED)
        agent.t_warned_s = t_s
        agent.t_decide_s = t_s + agent.delay_s
        self._node_warned[agent.home] += agent.persons

    def _warn(self, t_end: float, dt: float) -> None:
        issued = []
        while (self._warnings_done < len(self._warn_at)
               and self._warn_at[self._warnings_done] <= t_end + 1e-9):
            issued.append((self._warnings_done, self._warn_reach[self._warnings_done]))
            self._warnings_done += 1
        if issued:
            self.agents.do("hear", t_end, issued)
        if self._word_per_s > 0.0 and self.persons_by_state[State.AT_HOME]:
            share = {v: w / self._node_persons[v] for v, w in self._node_warned.items() if w}
            if share:
                self.agents.do("listen", t_end, self._word_per_s * dt, share)

    def _move(self, t: float, dt: float, step: int) -> bool:
        """Decide, advance, depart, cross nodes; return whether a shelter became full."""
        busy = [lane for mode in _MODES for lane in self._busy[mode].values()]
        for lane in busy:  # speeds and free lengths from the traffic at the start
            lane.fix_speed(step)
        # decisions, and 1. advance along edges (each agent's own step)
        self.deciders.clear()
        self.arrivals.clear()
        self.agents.do("step", t, dt, step)
        self.deciders.sort(key=lambda a: (a.t_decide_s, a.idx))
        for agent in self.deciders:
            self._departures.setdefault((agent.mode, agent.home), deque()).append(agent)
        # those reaching the queue of their edge join it in order of (t_ready, id)
        self.arrivals.sort(key=lambda a: (a.t_ready_s, a.idx))
        for agent in self.arrivals:
            agent.lane.join_queue(agent)
        # 2.-4. departures and node crossings in order of (t_ready, id), FIFO per queue
        heap: list[tuple[float, int, deque[Resident]]] = []
        for lane in busy:
            if lane.queue:
                a = lane.queue[0]
                heap.append((a.t_ready_s, a.idx, lane.queue))
        for key in [k for k, q in self._departures.items() if not q]:
            del self._departures[key]
        for queue in self._departures.values():
            a = queue[0]
            heap.append((max(a.t_decide_s, t), a.idx, queue))
        heapq.heapify(heap)
        filled = False
        while heap:
            tr, i, queue = heapq.heappop(heap)
            if tr >= t + dt:
                continue  # reached the end (or decided) at the end of the step: next step
            agent = self.residents[i]
            moved, became_full = self._cross(agent, tr, queue, t, dt, step)
            filled |= became_full
            if not moved:
                continue  # blocked: the queue waits for the next step
            if queue:
                a = queue[0]
                key = a.t_ready_s if a.lane is not None else max(a.t_decide_s, t)
                heapq.heappush(heap, (key, a.idx, queue))
        return filled

    def _cross(
        self, agent: Resident, tr: float, queue: deque[Resident], t: float, dt: float, step: int
    ) -> tuple[bool, bool]:
        """Try to take the head of ``queue`` over its node.

        Returns
        -------
        moved : bool
            Whether it left the queue (else the queue is blocked this step).
        filled : bool
            Whether a shelter became full.
        """
        lane = agent.lane
        if lane is not None:
            if lane.credit_at(step, dt) <= 1e-9:  # as the numba model: float residue is no credit
                return False, False
            u = lane.head
        else:
            u = agent.home
        t_cross = tr if tr > t else t  # now, if it has been waiting
        if u in self._node_open:
            return self._admit(agent, u, t_cross, queue)
        e2 = self._next_edge[agent.mode][u]
        if e2 < 0:
            return False, False  # no reachable shelter with room
        nxt = self.lanes[agent.mode][e2]
        if nxt.n_agents and nxt.occupancy + agent.units > nxt.storage:
            return False, False  # spillback: no room on the next edge
        if lane is not None:
            lane.leave(agent)
            lane.credit -= agent.units
            if not lane.n_agents:
                del self._busy[lane.mode][lane.edge]
        else:
            queue.popleft()
            self.set_state(agent, State.EVACUATING)
        nxt.enter(agent)
        self._busy[nxt.mode][nxt.edge] = nxt
        run = nxt.speed(agent, step) * (t + dt - t_cross)
        if run >= nxt.free_length(step):  # reaches the queue: waits for the next step
            agent.pos_m = nxt.length_m
            agent.t_ready_s = t + dt
            nxt.join_queue(agent)
        else:
            agent.pos_m = run
            agent.t_ready_s = math.inf
        return True, False

    def _admit(
        self, agent: Resident, u: int, tr: float, queue: deque[Resident]
    ) -> tuple[bool, bool]:
        """Admission at node ``u``, which holds an open shelter; see :meth:`_cross`."""
        first = -1
        for s in self._shelters_at[u]:
            if self.shelter_full[s]:
                continue
            if first < 0:
                first = s
            room = self.shelter_capacity[s] - self.shelter_occupancy[s]
            if room >= agent.persons:
                lane = agent.lane
                if lane is not None:
                    lane.credit -= agent.units
                    lane.leave(agent)
                    if not lane.n_agents:
                        del self._busy[lane.mode][lane.edge]
                else:
                    queue.popleft()
                self.shelter_occupancy[s] += agent.persons
                self.shelter_arrivals[s] += agent.persons
                self.set_state(agent, State.EVACUATED)
                agent.t_evacuated_s = tr
                agent.shelter = s
                if room - agent.persons < self.largest_agent:
                    self.shelter_full[s] = True
                    self.shelter_t_full_s[s] = tr
                    return True, True
                return True, False
        if first < 0:  # all shelters here filled earlier in this step
            first = self._shelters_at[u][0]
        # turned away: waits at the head of its queue for the next route update
        self.shelter_turned_away[first] += agent.persons
        if self.shelter_full[first]:
            return False, False
        self.shelter_full[first] = True
        self.shelter_t_full_s[first] = tr
        return False, True

    # -- running and results ----------------------------------------------------
    def run(self) -> ReferenceModel:
        """Step to ``run.duration`` and record the final state."""
        while self.running:
            self.step()
        self.finish()
        return self

    def finish(self) -> None:
        """Record the final state if the last step fell between two records."""
        if self.datacollector.model_vars["t_s"][-1] < self.t_s:
            self._next_record_s = self.t_s
            self._record()

    @property
    def agent_steps(self) -> int:
        """Agents times steps taken so far."""
        return len(self.residents) * self.steps

    def timeseries_frame(self) -> pd.DataFrame:
        """The recorded series, one row per record time."""
        return self.datacollector.get_model_vars_dataframe().reset_index(drop=True)

    def shelters_frame(self) -> pd.DataFrame:
        """One row per shelter: capacity, occupancy, arrivals, turned away, time full."""
        sh = self.world.shelters
        return pd.DataFrame({
            "shelter": list(sh.id), "node": self.shelter_node, "capacity": self.shelter_capacity,
            "peak_occupancy": self.shelter_occupancy, "final_occupancy": self.shelter_occupancy,
            "arrivals": self.shelter_arrivals, "turned_away": self.shelter_turned_away,
            "t_full_s": self.shelter_t_full_s,
        })

    def agents_frame(self) -> pd.DataFrame:
        """One row per agent: home, persons, mode, state, evacuation time, shelter."""
        rs = self.residents
        return pd.DataFrame({
            "home_node": [a.home for a in rs], "persons": [a.persons for a in rs],
            "mode": [a.mode for a in rs], "state": [int(a.state) for a in rs],
            "t_warned_s": [a.t_warned_s for a in rs],
            "t_decide_s": [a.t_decide_s for a in rs],
            "t_arrive_s": [a.t_evacuated_s for a in rs], "shelter": [a.shelter for a in rs],
        })

    def lane(self, mode: int, edge: int) -> Lane:
        """The lane of ``mode`` on ``edge``."""
        return self.lanes[mode][edge]

    def invariant_violations(self) -> list[str]:
        """Broken invariants of docs/RESIDENTS.md right now (empty when all hold)."""
        bad = []
        counted = sum(self.persons_by_state.values())
        actual = sum(a.persons for a in self.residents)
        if counted != actual or actual != self.total_persons:
            bad.append(f"persons not conserved: {counted} counted, {actual} agents")
        by_state: dict[State, int] = dict.fromkeys(State, 0)
        for a in self.residents:
            by_state[a.state] += a.persons
        if by_state != self.persons_by_state:
            bad.append("state counts differ from the agents' states")
        for s, (occ, cap) in enumerate(zip(self.shelter_occupancy, self.shelter_capacity,
                                           strict=True)):
            if occ > cap:
                bad.append(f"shelter {s}: occupancy {occ} > capacity {cap}")
        on_lane: dict[tuple[int, int], list[Resident]] = {}
        queued = {a.idx for mode in _MODES for lane in self._busy[mode].values()
                  for a in lane.queue}
        for a in self.residents:
            if a.lane is not None:
                on_lane.setdefault((a.mode, a.lane.edge), []).append(a)
            if a.in_queue != (a.idx in queued):
                bad.append(f"agent {a.idx}: queue flag out of date")
        for mode in _MODES:
            for lane in self.lanes[mode]:
                on = on_lane.get((mode, lane.edge), [])
                units = sum(a.units for a in on)
                if len(on) != lane.n_agents or abs(units - lane.occupancy) > 1e-9:
                    bad.append(f"lane {mode}/{lane.edge}: occupancy {lane.occupancy} != "
                               f"{units} units of {len(on)} agents")
                if abs(sum(a.units for a in lane.queue) - lane.queued) > 1e-9:
                    bad.append(f"lane {mode}/{lane.edge}: queued units out of date")
                if len(on) > 1 and lane.occupancy > lane.storage + 1e-9:
                    bad.append(f"lane {mode}/{lane.edge}: {lane.occupancy} units > storage "
                               f"{lane.storage}")
                if (lane.n_agents > 0) != (lane.edge in self._busy[mode]):
                    bad.append(f"lane {mode}/{lane.edge}: busy set out of date")
        return bad
