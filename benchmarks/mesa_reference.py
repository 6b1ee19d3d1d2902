"""A small pure-Mesa reference implementation of the resident dynamics.

It implements docs/RESIDENTS.md the way a typical Mesa model would: one
:class:`mesa.Agent` object per resident agent, plain Python in the per-agent
logic (no numba, no vectorised numpy), the model orchestrating the phases of
a step. It is written sensibly (only agents that have something to do are
visited; per-edge state lives in small :class:`Lane` objects), so that it is
a fair yardstick for speed (benchmarks/bench_residents.py) and an independent
cross-check of behaviour (tests/agents/test_mesa_reference.py).

Scope: no hazards (every edge speed factor is 1, nothing closes, the action
``auto`` evacuates), so no hazard warnings, injuries or deaths. The next-hop
trees come from :func:`sim.routing.next_hop_tree`, as in the numba model:
routes are computed rarely and are not what is being compared.

Where docs/RESIDENTS.md leaves a choice open, this module decides as follows
(and the numba model must do the same for the two to agree exactly):

- a step runs t -> t + dt: scheduled warnings with ``at <= t + dt`` (then
  word of mouth, from the warned shares after them) warn at ``t + dt``;
  warned agents whose ``t_warned + delay_s <= t + dt`` decide; then the
  agents move; shelters that filled trigger one route update at the end;
- the queue of an edge holds the agents waiting at its end, in the order
  they reached it (ties by agent id); agents still moving along the edge
  are not in it;
- deciding agents wait in a departure queue per home node and mode, in order
  of ``(t_decide, id)``, keyed ``max(t_decide, t)`` in the crossing order;
- an agent that crosses at ``t_ready < t`` (it waited) crosses at time
  ``max(t_ready, t)``: it continues ``v_next * (t + dt - max(t_ready, t))``;
  admission and ``t_full_s`` times are ``t_ready`` as the spec says;
- one that reaches the end of its next edge in the same step gets
  ``t_ready = t_cross + length / v_next`` and is not served again that step;
- the head of an edge whose credit is spent does nothing (not even a
  refusal) until the credit is positive again;
- at a node with an open shelter (as of the last route update) the agent is
  admitted by the first shelter there (in scenario order) that is not full
  and has room for all its persons, else turned away by the first one not
  full (which then is full); a turned-away agent stays at the head of its
  queue;
- an edge is "empty" (accepts any agent) when no agent is on it.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim.agents.plan import CAR, WALK, ResidentPlan, draw_plan
from sim.agents.states import STATE_COLUMNS, State
from sim.agents.traffic import (
    PED_MAX_FLOW_P_MS,
    WEIDMANN_FREE_SPEED_MPS,
    WEIDMANN_GAMMA,
    WEIDMANN_JAM_DENSITY_P_M2,
    edge_traffic,
)
from sim.rng import Streams, replication_seeds
from sim.routing import next_hop_tree
from sim.runner import world_streams
from sim.world.builder import World, build_world

_MODES = (WALK, CAR)
_MODE_NAMES = {WALK: "walk", CAR: "car"}


def reference_plan(scenario: Any, world: World, replication: int = 0) -> ResidentPlan:
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
    ResidentPlan
    """
    seeds = replication_seeds(scenario.run.seed, scenario.run.replications)
    rng = Streams(seeds[replication]).generator("residents")
    return draw_plan(world.population, scenario.behaviour, rng)


def reference_world(scenario: Any) -> World:
    """The world of a scenario, built as :func:`sim.runner.run_scenario` builds it."""
    return build_world(scenario, world_streams(scenario.run.seed))


# -- speeds: docs/RESIDENTS.md, "Speed" (sim.agents.traffic, one edge at a time) ------

def walk_factor(rho: float) -> float:
    """Weidmann's ``v / v0`` at a density ``rho`` (persons/m²), 1 at zero density."""
    if rho <= 0.0:
        return 1.0
    f = 1.0 - math.exp(-WEIDMANN_GAMMA * (1.0 / rho - 1.0 / WEIDMANN_JAM_DENSITY_P_M2))
    return min(max(f, 0.0), 1.0)


def walk_speed(v0: float, rho: float) -> float:
    """Walking speed: Weidmann's curve down to the speed carrying capacity (m/s)."""
    if rho <= 0.0:
        return v0
    return min(v0, max(v0 * walk_factor(rho), PED_MAX_FLOW_P_MS / rho))


def car_speed(k: float, vf: float, q: float) -> float:
    """Car speed ``min(vf, q / k)`` at density ``k`` (veh/m/lane), capacity ``q`` per lane."""
    if k <= 0.0:
        return vf
    return min(vf, q / k)


class Lane:
    """One mode's lane of one directed edge: occupancy, flow credit, queue.

    Attributes
    ----------
    moving
        Agents on the edge that have not reached its end.
    queue
        Agents waiting at its end, first to leave first.
    occupancy
        Units on the edge (moving and queued).
    n_agents
        Agents on the edge.
    credit
        Flow credit (units) as of step ``credit_step``.
    """

    __slots__ = ("mode", "edge", "head", "length_m", "width_m", "lanes", "free_mps",
                 "flow_per_s", "storage", "moving", "queue", "occupancy", "n_agents",
                 "credit", "credit_step", "speed_step", "rho", "car_mps")

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
        self.moving: list[Resident] = []
        self.queue: deque[Resident] = deque()
        self.occupancy = 0.0
        self.n_agents = 0
        self.credit = 0.0
        self.credit_step = 0
        self.speed_step = -1
        self.rho = 0.0
        self.car_mps = free_mps

    def fix_speed(self, step: int) -> None:
        """Take this step's speed parameters from the occupancy now (start of step)."""
        self.speed_step = step
        if self.mode == WALK:
            self.rho = self.occupancy / (self.length_m * self.width_m)
        else:
            k = self.occupancy / (self.lanes * self.length_m)
            self.car_mps = car_speed(k, self.free_mps, self.flow_per_s / self.lanes)

    def speed(self, agent: Resident, step: int) -> float:
        """Speed of ``agent`` on this lane during ``step`` (m/s)."""
        if self.speed_step != step:  # empty at the start of the step: free flow
            return agent.v0_mps if self.mode == WALK else self.free_mps
        if self.mode == WALK:
            return walk_speed(agent.v0_mps, self.rho)
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

    def leave(self, agent: Resident) -> None:
        self.n_agents -= 1
        self.occupancy = self.occupancy - agent.units if self.n_agents else 0.0
        agent.lane = None


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

    def __init__(self, model: ReferenceModel, idx: int, plan: ResidentPlan) -> None:
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
        self.pos_m = 0.0
        self.t_ready_s = math.inf
        self.served_step = -1
        self.t_evacuated_s = math.nan
        self.shelter = -1

    def hear_warning(self, t_s: float) -> None:
        """Learn of a warning at step time ``t_s``; act ``delay_s`` later."""
        self.model.set_state(self, State.WARNED)
        self.t_warned_s = t_s
        self.t_decide_s = t_s + self.delay_s

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

    def advance(self, speed_mps: float, t_s: float, dt_s: float) -> bool:
        """Move along the edge for one step; return whether the end was reached."""
        if speed_mps <= 0.0:
            return False
        rest = self.lane.length_m - self.pos_m
        if speed_mps * dt_s >= rest:
            self.t_ready_s = t_s + rest / speed_mps
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
        self, scenario: Any, world: World, plan: ResidentPlan, *,
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

        # lanes, one per (mode, edge)
        traffic = edge_traffic(net)
        head = net.edge_head.tolist()
        length = net.length_m.tolist()
        width = net.width_m.tolist()
        lanes = net.lanes.tolist()
        speed = net.speed_mps.tolist()
        self.lanes: dict[int, list[Lane]] = {
            mode: [Lane(mode, e, head[e], length[e], width[e], lanes[e], speed[e],
                        float(traffic.flow_per_s[mode, e]), float(traffic.storage[mode, e]))
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
        self._unwarned: dict[int, Resident] = {a.idx: a for a in self.residents}
        self._to_decide: list[tuple[float, int]] = []  # heap of (t_decide, id)
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
        t, dt, step = self.t_s, self.dt_s, self.steps
        t_end = t + dt
        self._warn(t_end, dt)
        self._decide(t_end)
        filled = self._move(t, dt, step)
        if filled:
            self._update_routes()
        self.t_s = min(t_end, self.duration_s)
        self._record()
        if self.steps >= self.n_steps:
            self.running = False

    def _warn(self, t_end: float, dt: float) -> None:
        while (self._warnings_done < len(self._warn_at)
               and self._warn_at[self._warnings_done] <= t_end + 1e-9):
            j = self._warnings_done
            reach = self._warn_reach[j]
            for a in [a for a in self._unwarned.values() if a.u_warn[j] < reach]:
                self._hear(a, t_end)
            self._warnings_done += 1
        if self._word_per_s > 0.0 and self._unwarned:
            share = {v: w / self._node_persons[v] for v, w in self._node_warned.items() if w}
            rate_dt = self._word_per_s * dt
            rng = self.rng
            for a in [a for a in self._unwarned.values() if a.home in share]:
                if rng.random() < 1.0 - math.exp(-rate_dt * share[a.home]):
                    self._hear(a, t_end)

    def _hear(self, agent: Resident, t_end: float) -> None:
        agent.hear_warning(t_end)
        del self._unwarned[agent.idx]
        self._node_warned[agent.home] += agent.persons
        heapq.heappush(self._to_decide, (agent.t_decide_s, agent.idx))

    def _decide(self, t_end: float) -> None:
        heap = self._to_decide
        while heap and heap[0][0] <= t_end:
            _, i = heapq.heappop(heap)
            agent = self.residents[i]
            if agent.decide():
                key = (agent.mode, agent.home)
                self._departures.setdefault(key, deque()).append(agent)

    def _move(self, t: float, dt: float, step: int) -> bool:
        """Advance, depart, cross nodes; return whether a shelter became full."""
        busy = [lane for mode in _MODES for lane in self._busy[mode].values()]
        for lane in busy:
            lane.fix_speed(step)
        # 1. advance along edges; those reaching the end queue there in order
        for lane in busy:
            if not lane.moving:
                continue
            still, arrived = [], []
            if lane.mode == WALK:
                for a in lane.moving:
                    v = walk_speed(a.v0_mps, lane.rho)
                    (arrived if a.advance(v, t, dt) else still).append(a)
            else:
                v = lane.car_mps
                for a in lane.moving:
                    (arrived if a.advance(v, t, dt) else still).append(a)
            if arrived:
                arrived.sort(key=lambda a: (a.t_ready_s, a.idx))
                lane.queue.extend(arrived)
            lane.moving = still
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
            agent = self.residents[i]
            moved, became_full = self._cross(agent, tr, queue, t, dt, step)
            filled |= became_full
            if not moved:
                continue  # blocked: the queue waits for the next step
            if queue:
                a = queue[0]
                if a.served_step != step:
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
            if lane.credit_at(step, dt) <= 0.0:
                return False, False
            u = lane.head
        else:
            u = agent.home
        if u in self._node_open:
            return self._admit(agent, u, tr, queue)
        e2 = self._next_edge[agent.mode][u]
        if e2 < 0:
            return False, False  # no reachable shelter with room
        nxt = self.lanes[agent.mode][e2]
        if nxt.n_agents and nxt.occupancy + agent.units > nxt.storage:
            return False, False  # spillback: no room on the next edge
        queue.popleft()
        if lane is not None:
            lane.leave(agent)
            lane.credit -= agent.units
            if not lane.n_agents:
                del self._busy[lane.mode][lane.edge]
        else:
            self.set_state(agent, State.EVACUATING)
        nxt.enter(agent)
        self._busy[nxt.mode][nxt.edge] = nxt
        agent.served_step = step
        t_cross = tr if tr > t else t
        v = nxt.speed(agent, step)
        run = v * (t + dt - t_cross)
        if run >= nxt.length_m:
            agent.pos_m = nxt.length_m
            agent.t_ready_s = t_cross + nxt.length_m / v
            nxt.queue.append(agent)
        else:
            agent.pos_m = run
            agent.t_ready_s = math.inf
            nxt.moving.append(agent)
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
                queue.popleft()
                lane = agent.lane
                if lane is not None:
                    lane.credit -= agent.units
                    lane.leave(agent)
                    if not lane.n_agents:
                        del self._busy[lane.mode][lane.edge]
                self.shelter_occupancy[s] += agent.persons
                self.shelter_arrivals[s] += agent.persons
                self.set_state(agent, State.EVACUATED)
                agent.t_evacuated_s = tr
                agent.shelter = s
                agent.served_step = self.steps
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
        for mode in _MODES:
            for lane in self.lanes[mode]:
                on = [*lane.moving, *lane.queue]
                units = sum(a.units for a in on)
                if len(on) != lane.n_agents or abs(units - lane.occupancy) > 1e-9:
                    bad.append(f"lane {mode}/{lane.edge}: occupancy {lane.occupancy} != "
                               f"{units} units of {len(on)} agents")
                if len(on) > 1 and lane.occupancy > lane.storage + 1e-9:
                    bad.append(f"lane {mode}/{lane.edge}: {lane.occupancy} units > storage "
                               f"{lane.storage}")
                if (lane.n_agents > 0) != (lane.edge in self._busy[mode]):
                    bad.append(f"lane {mode}/{lane.edge}: busy set out of date")
        return bad
