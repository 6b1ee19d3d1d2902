"""Residents as a structure of arrays, stepped by numba kernels.

One entry per agent; an agent stands for ``persons`` persons. No Python
object per resident: every attribute is a NumPy array indexed by agent id.
The dynamics (warning, decision, link-queue movement, shelters) are
specified in docs/RESIDENTS.md and implemented in
:mod:`citysim.agents._kernels`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from citysim.agents import _kernels
from citysim.agents.draws import CAR, ResidentDraws
from citysim.agents.states import State
from citysim.agents.traffic import Roads, cache_aligned
from citysim.hazards.base import People, Setting
from citysim.world.network import RoadNetwork
from citysim.world.sites import Shelters

ACTION_CODES = {"evacuate": _kernels.ACT_EVACUATE, "shelter_in_place": _kernels.ACT_SHELTER}
HOT_FIELDS = np.dtype({
    "names": ["t_ready_s", "pos_m", "units", "v0_mps", "edge", "queue", "q_next", "node",
              "mode"],
    "formats": ["f8", "f8", "f8", "f8", "i4", "i4", "i4", "i4", "i1"],
    "offsets": [0, 8, 16, 24, 32, 36, 40, 44, 48],
    "itemsize": 64,
})
"""The per-agent record of :attr:`Residents.hot`: one cache line."""


@dataclass(eq=False)
class Residents:
    """The residents' arrays (see docs/RESIDENTS.md for their meaning).

    Attributes
    ----------
    plan
        The fixed per-agent draws of this replication.
    state
        :class:`~citysim.agents.states.State` value (int8).
    node
        Home node until departure, then the last node passed (int64).
    edge
        Edge the agent is on, -1 if none (int64).
    pos_m
        Distance along that edge (m) (a property: the positions of the
        moving agents live in their slots, see ``slots``).
    t_ready_s
        When the agent reached the end of its edge, or decided to go (s).
    t_act_s
        When a warned agent acts: warning time + response delay (s).
    queue, q_next
        Queue the agent waits in and the agent behind it (-1: none).
    t_arrive_s
        Arrival at a shelter, NaN until then (s).
    shelter
        Shelter the agent is in, -1 if none.
    injured
        Whether the agent's persons are injured.
    undecided, n_undecided
        Agents still at home or warned (``undecided[:n_undecided]``, in agent
        order): the only ones the warning and decision kernels look at.
    counts
        Persons in each state by mode, shape (2, len(State)) (int64), kept
        up to date by every change of state (the kernels and
        :meth:`set_state`): the time series read it instead of scanning the
        agents.
    injured_persons
        Persons injured and alive, kept up to date by :meth:`mark_injured`
        and :meth:`set_state`.
    slots
        The agents moving along an edge (on it, not in its queue), one slot
        each (agent, position, free speed, edge, mode) packed in the order
        the movement kernel visits them, ``n_moving[0]`` of them, and the
        kernel's work buffers (:mod:`citysim.agents._kernels`, ``moving``).
    hot
        One 64-byte record per agent (:data:`HOT_FIELDS`) holding what a node
        crossing reads and writes, so that it touches one cache line per
        agent: ``node``, ``edge``, ``pos_m`` (stored), ``t_ready_s``,
        ``queue`` and ``q_next`` are views of its fields, and it keeps the
        kernels' copies of the plan's mode, units and free speed.
    """

    plan: ResidentDraws
    state: np.ndarray
    node: np.ndarray
    edge: np.ndarray
    stored_pos_m: np.ndarray
    t_ready_s: np.ndarray
    t_act_s: np.ndarray
    queue: np.ndarray
    q_next: np.ndarray
    t_arrive_s: np.ndarray
    shelter: np.ndarray
    injured: np.ndarray
    undecided: np.ndarray
    n_undecided: int
    counts: np.ndarray
    slots: dict[str, np.ndarray]
    hot: np.ndarray
    injured_persons: int = 0
    _tuples: dict[str, tuple[np.ndarray, ...]] = field(default_factory=dict, init=False,
                                                       repr=False)

    @classmethod
    def at_home(cls, plan: ResidentDraws) -> Residents:
        """Everyone at home and unaware, as at the start of every run."""
        n = plan.n_agents
        hot = cache_aligned(n, HOT_FIELDS)
        hot["node"] = plan.home_node
        hot["edge"] = hot["queue"] = hot["q_next"] = -1
        hot["t_ready_s"] = np.inf
        hot["mode"], hot["units"], hot["v0_mps"] = plan.mode, plan.units, plan.v0_mps
        return cls(
            plan=plan,
            state=np.full(n, State.AT_HOME, dtype=np.int8),
            node=hot["node"],
            edge=hot["edge"],
            stored_pos_m=hot["pos_m"],
            t_ready_s=hot["t_ready_s"],
            t_act_s=np.full(n, np.inf),
            queue=hot["queue"],
            q_next=hot["q_next"],
            t_arrive_s=np.full(n, np.nan),
            shelter=np.full(n, -1, dtype=np.int64),
            injured=np.zeros(n, dtype=bool),
            undecided=np.arange(n, dtype=np.int64),
            n_undecided=n,
            counts=_count(plan.mode, np.full(n, State.AT_HOME, dtype=np.int8), plan.persons),
            slots={"agent": np.zeros(n, dtype=np.int64), "pos_m": np.zeros(n),
                   "v0_mps": np.zeros(n), "edge": np.zeros(n, dtype=np.int64),
                   "mode": np.zeros(n, dtype=np.int8), "n_moving": np.zeros(1, dtype=np.int64),
                   "ready": np.zeros(n, dtype=np.int64), "j_next": np.zeros(n, dtype=np.int64)},
            hot=hot,
        )

    @property
    def persons(self) -> np.ndarray:
        """Persons per agent."""
        return self.plan.persons

    @property
    def mode(self) -> np.ndarray:
        """Travel mode per agent (0 walk, 1 car)."""
        return self.plan.mode

    def __len__(self) -> int:
        return self.plan.n_agents

    @property
    def pos_m(self) -> np.ndarray:
        """Distance of every agent along its edge (m), the moving ones' brought up to date."""
        _kernels.sync_positions(self.kernel_moving(), self.stored_pos_m)
        return self.stored_pos_m

    def kernel_agents(self) -> tuple[np.ndarray, ...]:
        """The agent arrays in the order the kernels take them (made once)."""
        if "agents" not in self._tuples:
            p, hot = self.plan, self.hot
            self._tuples["agents"] = (
                self.state, hot["mode"], p.persons, hot["units"], hot["v0_mps"], self.node,
                self.edge, self.stored_pos_m, self.t_ready_s, self.queue, self.q_next,
                self.t_arrive_s, self.shelter)
        return self._tuples["agents"]

    def kernel_moving(self) -> tuple[np.ndarray, ...]:
        """The moving agents' slots and work buffers in the order the kernels take them."""
        if "moving" not in self._tuples:
            s = self.slots
            self._tuples["moving"] = (s["agent"], s["pos_m"], s["v0_mps"], s["edge"],
                                      s["mode"], s["n_moving"], s["ready"], s["j_next"])
        return self._tuples["moving"]

    def stop(self, agent_ids: np.ndarray, state: State, roads: Roads) -> None:
        """Stop agents for good (a hazard killed, trapped or injured them).

        They leave the roads (their queue and edge), keep their node, and take
        ``state`` (e.g. :attr:`State.DEAD` or :attr:`State.INJURED`).
        """
        ids = np.asarray(agent_ids, dtype=np.int64)
        _kernels.take_off_roads(self.kernel_agents(), self.kernel_moving(),
                                roads.kernel_queues(), ids)
        self.set_state(ids, state)

    def place(self, agent_ids: np.ndarray, edge: int, pos_m: np.ndarray, roads: Roads,
              network: RoadNetwork) -> None:
        """Put agents at home on ``edge`` at ``pos_m``, already on their way (set-ups by hand).

        They become EVACUATING and move from the next step on as if they had
        entered the edge from its tail.
        """
        ids = np.asarray(agent_ids, dtype=np.int64)
        _kernels.place_on_edge(self.kernel_agents(), self.kernel_moving(),
                               roads.kernel_queues(), roads.kernel_speeds(), ids, int(edge),
                               int(network.edge_tail[edge]),
                               np.broadcast_to(np.asarray(pos_m, dtype=np.float64),
                                               ids.shape).copy())
        self.set_state(ids, State.EVACUATING)

    def set_state(self, agent_ids: np.ndarray, state: State) -> None:
        """Put agents (distinct ids) in ``state``, keeping :attr:`counts` and the injured count."""
        ids = np.asarray(agent_ids, dtype=np.int64)
        if not ids.size:
            return
        mode, persons, old = self.mode[ids], self.persons[ids], self.state[ids]
        self.counts -= _count(mode, old, persons)
        self.counts += _count(mode, np.full(ids.size, state, dtype=np.int8), persons)
        hurt = self.injured[ids]
        was = int(persons[hurt & (old != State.DEAD)].sum())
        self.injured_persons += (0 if state == State.DEAD else int(persons[hurt].sum())) - was
        self.state[ids] = state

    def mark_injured(self, mask: np.ndarray) -> None:
        """Mark the living agents in ``mask`` injured (once; the dead stay as they are)."""
        new = mask & ~self.injured & (self.state != State.DEAD)
        self.injured |= new
        self.injured_persons += int(self.persons[new].sum())

    def where(self, network: RoadNetwork, shelters: Shelters) -> People:
        """Where every agent is now and in what setting, for hazards acting on people.

        Agents on a road are placed along their edge; agents a hazard stopped
        stand at the last node they passed; agents in a public shelter at it.
        Rescued agents count as indoors in a shelter (where they were found).

        Parameters
        ----------
        network
            The road network.
        shelters
            The public shelters.

        Returns
        -------
        People
        """
        state, edge = self.state, self.edge
        x_m = network.node_x_m[self.node].astype(np.float64)
        y_m = network.node_y_m[self.node].astype(np.float64)
        on = np.flatnonzero(edge >= 0)
        if on.size:
            e = edge[on]
            share = np.clip(self.pos_m[on] / np.maximum(network.length_m[e], 1e-9), 0.0, 1.0)
            tail, head = network.edge_tail[e], network.edge_head[e]
            x_m[on] += share * (network.node_x_m[head] - network.node_x_m[tail])
            y_m[on] += share * (network.node_y_m[head] - network.node_y_m[tail])
        inside = self.shelter >= 0
        x_m[inside] = shelters.x_m[self.shelter[inside]]
        y_m[inside] = shelters.y_m[self.shelter[inside]]
        setting = np.full(len(self), Setting.HOME, dtype=np.int8)
        departed = (state == State.DECIDING) | (state == State.EVACUATING) | (
            np.isin(state, (State.INJURED, State.TRAPPED)) & np.isfinite(self.t_ready_s))
        setting[departed] = np.where(self.mode[departed] == CAR, Setting.IN_CAR, Setting.ON_FOOT)
        setting[state == State.SHELTERED_IN_PLACE] = Setting.SHELTERING
        setting[inside | (state == State.RESCUED)] = Setting.IN_SHELTER  # brought to safety
        setting[state == State.DEAD] = Setting.GONE
        return People(x_m=x_m, y_m=y_m, node=self.node, setting=setting, persons=self.persons)

    def warn(self, mask: np.ndarray, t_s: float) -> int:
        """Warn the unaware agents in ``mask`` at time ``t_s``; return how many."""
        new = mask & (self.state == State.AT_HOME)
        self.t_act_s[new] = t_s + self.plan.delay_s[new]
        ids = np.flatnonzero(new)
        self.set_state(ids, State.WARNED)
        return int(ids.size)


def _count(mode: np.ndarray, state: np.ndarray, persons: np.ndarray) -> np.ndarray:
    """Persons by mode and state, shape (2, len(State)) (int64)."""
    n = len(State)
    flat = np.bincount(mode.astype(np.int64) * n + state, weights=persons, minlength=2 * n)
    return flat.astype(np.int64).reshape(2, n)
