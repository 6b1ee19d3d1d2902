"""Numba kernels of the residents' step; the dynamics are docs/RESIDENTS.md.

Plain arrays in and out. Inputs are grouped in small tuples per concern:

- ``agents = (state, mode, persons, units, v0_mps, node, edge, pos_m,
  t_ready_s, queue, q_next, t_arrive_s, shelter)`` (one entry per agent);
- ``roads = (edge_head, length_m, width_m, lanes, free_speed_mps, factor,
  flow_per_s, storage)``: ``factor`` (the hazards' speed factor: walkers in
  water wade, cars follow Pregnolato), ``flow_per_s`` and ``storage`` shaped
  (2, m) by mode;
- ``queues = (occupancy, credit, q_head, q_tail, heap, queued)``: occupancy,
  credit and queued (units waiting at the edge end) shaped (2, m); the FIFO
  queues are linked lists over agents, queue ``mode * m + e`` for the end of
  edge e, ``2 m + mode * n + v`` for the
  departures from node v; ``heap`` a work buffer from ``heap_new(n_queues)``;
- ``routes = (next_edge, node_open)``: next_edge shaped (2, n) by mode;
- ``shelters = (sh_ptr, sh_idx, capacity, occupancy, arrivals, turned_away,
  t_full_s, full, largest_agent)``: shelters at node v are
  ``sh_idx[sh_ptr[v]:sh_ptr[v + 1]]``.

``counts`` (int64, shape (2, number of states)) holds the persons in each
state by mode; every kernel that changes an agent's state moves its persons
between the counts (:func:`_shift`), so that recording is free of per-agent work.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from citysim.heap import heap_pop, heap_push

# resident states (citysim.agents.states.State; checked equal in the tests)
AT_HOME, WARNED, DECIDING, EVACUATING, EVACUATED = 0, 1, 2, 3, 4
SHELTERED_IN_PLACE, NOT_EVACUATED = 5, 6
# node actions for deciding residents
ACT_EVACUATE, ACT_SHELTER = 1, 2

WEIDMANN_GAMMA = 1.913
WEIDMANN_JAM = 5.4
CAR_JAM_SPACING_M = 7.5
CAR_LANE_CAPACITY_VEH_S = 2000.0 / 3600.0
"""Physical capacity of a moving lane (MODELS.md: 1,800-2,000 veh/h/lane); an
edge's own ``capacity_vph`` limits what leaves it (signals, junctions)."""
EMPTY = 1e-9
"""Occupancy (units) below which an edge counts as empty (rounding of car units)."""
MIN_FREE_SHARE = 0.01
"""Free length never shrinks below this share of the edge (numerical guard)."""


@njit(cache=True)
def _walk_factor(rho):
    """Weidmann's ``v / v0`` at density ``rho`` (persons/m²)."""
    if rho <= 0.0:
        return 1.0
    f = 1.0 - np.exp(-WEIDMANN_GAMMA * (1.0 / rho - 1.0 / WEIDMANN_JAM))
    return min(max(f, 0.0), 1.0)


@njit(cache=True)
def _car_fd_speed(k, vf, q_exit):
    """Car speed at moving density ``k`` (veh/m/lane) on the triangular diagram.

    Free speed ``vf`` up to the critical density of a lane's physical capacity
    (:data:`CAR_LANE_CAPACITY_VEH_S`), the congested branch beyond it, and
    never below the speed that carries the exit capacity ``q_exit`` (veh/s per
    lane) at that density, so that a jammed edge still drains.
    """
    if k <= 0.0:
        return vf
    kj = 1.0 / CAR_JAM_SPACING_M
    kc = min(CAR_LANE_CAPACITY_VEH_S / max(vf, 1e-12), 0.999 * kj)
    v = vf if k <= kc else CAR_LANE_CAPACITY_VEH_S / (kj - kc) * (kj / k - 1.0)
    return min(vf, max(v, q_exit / k))


@njit(cache=True)
def edge_speeds(roads, occupancy, queued):
    """Speed parameters of every edge from its moving traffic now (docs/RESIDENTS.md).

    The units queued at the end of an edge take ``7.5 m / lanes`` per car and
    ``1 / (5.4 width)`` m per walker; the others move on the remaining free
    length, at the density they have there.

    Returns
    -------
    free_length_m : ndarray, shape (2, m)
        Length of each edge before its queue, by mode (m).
    walk_factor : ndarray
        Weidmann's ``v / v0`` at the walkers' moving density, shape (m,); a
        walker moves at ``v0 * walk_factor * factor[0]`` (0: a standing jam).
    car_mps : ndarray
        Car speed (m/s), hazard factor included, shape (m,).
    """
    edge_head, length_m, width_m, lanes, free_speed, factor, flow, storage = roads
    m = length_m.shape[0]
    free = np.empty((2, m))
    walk = np.empty(m)
    car = np.empty(m)
    for e in range(m):
        length = length_m[e]
        lw = length - queued[0, e] / (WEIDMANN_JAM * width_m[e])
        free[0, e] = max(lw, MIN_FREE_SHARE * length)
        rho = (occupancy[0, e] - queued[0, e]) / (free[0, e] * width_m[e])
        walk[e] = _walk_factor(rho)
        lc = length - queued[1, e] * CAR_JAM_SPACING_M / lanes[e]
        free[1, e] = max(lc, MIN_FREE_SHARE * length)
        # a car is not slowed by itself: the density of the others on the lane
        k = max(occupancy[1, e] - queued[1, e] - 1.0, 0.0) / (lanes[e] * free[1, e])
        car[e] = _car_fd_speed(k, free_speed[e] * factor[1, e],
                               flow[1, e] / lanes[e] * factor[1, e])
    return free, walk, car


@njit(cache=True)
def _speed(v0, md, e, walk, car, factor):
    """Speed of an agent (free walking speed ``v0``, mode ``md``) on edge ``e`` (m/s)."""
    if md == 1:
        return car[e]
    return v0 * walk[e] * factor[0, e]


@njit(cache=True)
def _shift(counts, state, mode, persons, i, new_state):
    """Set agent ``i``'s state to ``new_state``, moving its persons in ``counts``."""
    counts[mode[i], state[i]] -= persons[i]
    counts[mode[i], new_state] += persons[i]
    state[i] = new_state


@njit(cache=True)
def word_of_mouth(rng, rate_dt, state, mode, home_node, persons, node_persons, t_end_s, t_act_s,
                  delay_s, undecided, n_undecided, counts):
    """Warn unaware residents from the warned share at their node.

    An agent at home and unaware learns with probability
    ``1 - exp(-rate_dt * f)``, ``f`` the warned share of persons at its node.
    Only the agents in ``undecided[:n_undecided]`` (the ones that have not
    acted yet, in agent order) are looked at; one uniform is drawn per
    unaware agent at a node with ``f > 0``, in that order. Returns the
    number of agents warned.
    """
    unaware = np.zeros(node_persons.shape[0])
    for k in range(n_undecided):
        i = undecided[k]
        if state[i] == AT_HOME:
            unaware[home_node[i]] += persons[i]
    count = 0
    for k in range(n_undecided):
        i = undecided[k]
        if state[i] != AT_HOME:
            continue
        v = home_node[i]
        f = 1.0 - unaware[v] / node_persons[v]
        if f <= 0.0:
            continue
        if rng.random() < 1.0 - np.exp(-rate_dt * f):
            _shift(counts, state, mode, persons, i, WARNED)
            t_act_s[i] = t_end_s + delay_s[i]
            count += 1
    return count


@njit(cache=True)
def _append(queues, agents, q, i):
    """Append agent ``i`` at the tail of queue ``q`` (counting its units at an edge end)."""
    q_head, q_tail, queued = queues[2], queues[3], queues[5]
    queue, q_next = agents[9], agents[10]
    m = queued.shape[1]
    if q < 2 * m:
        queued[q // m, q % m] += agents[3][i]
    queue[i] = q
    q_next[i] = -1
    if q_tail[q] < 0:
        q_head[q] = i
    else:
        q_next[q_tail[q]] = i
    q_tail[q] = i


@njit(cache=True)
def _pop_head(queues, agents, q):
    """Remove the head of queue ``q`` and return it."""
    q_head, q_tail, queued = queues[2], queues[3], queues[5]
    queue, q_next = agents[9], agents[10]
    i = q_head[q]
    m = queued.shape[1]
    if q < 2 * m:
        queued[q // m, q % m] -= agents[3][i]
    q_head[q] = q_next[i]
    if q_head[q] < 0:
        q_tail[q] = -1
    queue[i] = -1
    q_next[i] = -1
    return i


@njit(cache=True)
def take_off_roads(agents, queues, agent_ids):
    """Remove agents from the roads: out of their queue, off their edge.

    For agents a hazard stops for good (killed, trapped, injured): their
    units leave the edge's occupancy (and queue), the agents behind them move
    up. The caller sets their state.
    """
    occupancy, queued = queues[0], queues[5]
    q_head, q_tail = queues[2], queues[3]
    mode, units, edge, queue, q_next = agents[1], agents[3], agents[6], agents[9], agents[10]
    m = occupancy.shape[1]
    for i in agent_ids:
        q = queue[i]
        if q >= 0:
            prev = -1
            j = q_head[q]
            while j != i:
                prev = j
                j = q_next[j]
            if prev < 0:
                q_head[q] = q_next[i]
            else:
                q_next[prev] = q_next[i]
            if q_tail[q] == i:
                q_tail[q] = prev
            if q < 2 * m:
                queued[q // m, q % m] -= units[i]
            queue[i] = -1
            q_next[i] = -1
        if edge[i] >= 0:
            occupancy[mode[i], edge[i]] -= units[i]
            edge[i] = -1


@njit(cache=True)
def decide(t_end_s, agents, t_act_s, complies, node_action, queues, n_edges, undecided,
           n_undecided, counts):
    """Residents whose response delay is over act on the warning.

    Non-compliers stay (NOT_EVACUATED); compliers shelter in place or, to
    evacuate, join their home node's departure queue (DECIDING), in order of
    ``(t_act, agent id)``. ``undecided[:n_undecided]`` lists the agents still
    at home or warned, in agent order; those that act (or were moved to
    another state by a hazard) are removed from it in place.

    Returns
    -------
    int
        The new number of undecided agents.
    """
    state, mode, persons, node, t_ready = agents[0], agents[1], agents[2], agents[5], agents[8]
    n_nodes = node_action.shape[0]
    go = np.empty(n_undecided, dtype=np.int64)
    n_go = 0
    kept = 0
    for k in range(n_undecided):
        i = undecided[k]
        if state[i] == AT_HOME or (state[i] == WARNED and t_act_s[i] > t_end_s):
            undecided[kept] = i
            kept += 1
            continue
        if state[i] != WARNED:
            continue  # a hazard changed it (injured, dead)
        if not complies[i]:
            _shift(counts, state, mode, persons, i, NOT_EVACUATED)
        elif node_action[node[i]] == ACT_SHELTER:
            _shift(counts, state, mode, persons, i, SHELTERED_IN_PLACE)
        else:
            _shift(counts, state, mode, persons, i, DECIDING)
            t_ready[i] = t_act_s[i]
            go[n_go] = i
            n_go += 1
    order = np.argsort(t_act_s[go[:n_go]], kind="mergesort")
    for j in order:
        i = go[j]
        _append(queues, agents, 2 * n_edges + mode[i] * n_nodes + node[i], i)
    return kept


@njit(cache=True)
def _admit(u, i, tr, agents, shelters):
    """Try to admit agent ``i`` at node ``u``; return (shelter, admitted, became_full)."""
    sh_ptr, sh_idx, capacity, occupancy, arrivals, turned_away, t_full, full, largest = shelters
    persons = agents[2]
    first = -1
    for k in range(sh_ptr[u], sh_ptr[u + 1]):
        s = sh_idx[k]
        if full[s]:
            continue
        if first < 0:
            first = s
        if capacity[s] - occupancy[s] >= persons[i]:
            occupancy[s] += persons[i]
            arrivals[s] += persons[i]
            filled = capacity[s] - occupancy[s] < largest
            if filled:
                full[s] = True
                t_full[s] = tr
            return s, True, filled
    if first < 0:  # every shelter here already full
        first = sh_idx[sh_ptr[u]]
    turned_away[first] += persons[i]
    filled = not full[first]
    if filled:
        full[first] = True
        t_full[first] = tr
    return first, False, filled


@njit(cache=True)
def _key(q, t_ready, t_s, m):
    """Crossing order of a queue head (docs/RESIDENTS.md).

    When it reached the edge end, or ``max(t_decide, t)`` for a departure.
    """
    return t_ready if q < 2 * m else max(t_ready, t_s)


@njit(cache=True)
def move(t_s, dt_s, agents, roads, queues, routes, shelters, counts):
    """Advance the residents on the roads by one step (docs/RESIDENTS.md).

    Returns
    -------
    int
        Number of shelters that became full this step (routes must be
        recomputed when positive).
    """
    (state, mode, persons, units, v0, node, edge, pos, t_ready, queue, q_next, t_arrive,
     shelter) = agents
    edge_head, length_m, width_m, lanes, free_speed, factor, flow, storage = roads
    occupancy, credit, q_head, q_tail, heap, queued = queues
    next_edge, node_open = routes
    m = length_m.shape[0]
    t_end = t_s + dt_s
    free, walk, car = edge_speeds(roads, occupancy, queued)

    # 1. advance agents moving along an edge; those reaching its end queue there
    ready = np.empty(state.shape[0], dtype=np.int64)
    n_ready = 0
    for i in range(state.shape[0]):
        if state[i] != EVACUATING or queue[i] >= 0:
            continue
        e = edge[i]
        if mode[i] == 0 and walk[e] <= 0.0 and factor[0, e] > 0.0:
            # walkers at jam density stand in the jam: they are the edge's queue
            t_ready[i] = t_s
            pos[i] = length_m[e]
            ready[n_ready] = i
            n_ready += 1
            continue
        v = _speed(v0[i], mode[i], e, walk, car, factor)
        if v <= 0.0:
            continue
        rest = free[mode[i], e] - pos[i]
        if v * dt_s >= rest:
            t_ready[i] = t_s + max(rest, 0.0) / v
            pos[i] = length_m[e]
            ready[n_ready] = i
            n_ready += 1
        else:
            pos[i] += v * dt_s
    order = np.argsort(t_ready[ready[:n_ready]], kind="mergesort")
    for j in order:
        i = ready[j]
        _append(queues, agents, mode[i] * m + edge[i], i)

    # 2. flow credit: no banking beyond one step, debts carry
    for k in range(2):
        for e in range(m):
            full = flow[k, e] * factor[k, e] * dt_s  # a closed edge lets nobody out
            credit[k, e] = min(credit[k, e] + full, full)

    # 3. node crossings in order of (t_ready, agent id), FIFO per queue
    n_queues = q_head.shape[0]
    for j in range(4):  # every queue has at most one entry in the heap at a time
        heap[2 * j] = np.inf
    size = 0
    for q in range(n_queues):
        if q_head[q] >= 0:
            size = heap_push(heap, size, _key(q, t_ready[q_head[q]], t_s, m), q_head[q])
    became_full = 0
    while size > 0:
        _, i, size = heap_pop(heap, size)
        if t_ready[i] >= t_end:
            continue  # joined this queue after crossing a node this step: next step
        tr = max(t_ready[i], t_s)  # when it crosses: now, if it has been waiting
        q = queue[i]
        md = mode[i]
        on_edge = q < 2 * m
        e = edge[i] if on_edge else -1
        u = edge_head[e] if on_edge else node[i]
        if on_edge and credit[md, e] <= EMPTY:
            continue  # the edge's outflow is spent this step: the queue waits
        if node_open[u]:
            s, admitted, filled = _admit(u, i, tr, agents, shelters)
            if filled:
                became_full += 1
            if not admitted:
                continue  # turned away: waits here for the next route update
            _pop_head(queues, agents, q)
            if on_edge:
                occupancy[md, e] -= units[i]
                credit[md, e] -= units[i]
            _shift(counts, state, mode, persons, i, EVACUATED)
            t_arrive[i] = tr
            shelter[i] = s
            node[i] = u
            edge[i] = -1
        else:
            e2 = next_edge[md, u]
            if e2 < 0:
                continue  # no reachable shelter with room
            if occupancy[md, e2] > EMPTY and occupancy[md, e2] + units[i] > storage[md, e2]:
                continue  # no room on the next edge: the queue waits (spillback)
            _pop_head(queues, agents, q)
            if on_edge:
                occupancy[md, e] -= units[i]
                credit[md, e] -= units[i]
            else:
                _shift(counts, state, mode, persons, i, EVACUATING)
            occupancy[md, e2] += units[i]
            edge[i] = e2
            node[i] = u
            v2 = _speed(v0[i], md, e2, walk, car, factor)
            pos[i] = v2 * (t_end - tr)
            if pos[i] >= free[md, e2]:  # reaches the queue: waits there for the next step
                pos[i] = length_m[e2]
                t_ready[i] = t_end
                _append(queues, agents, md * m + e2, i)
            else:
                t_ready[i] = np.inf
        nxt = q_head[q]
        if nxt >= 0:
            size = heap_push(heap, size, _key(q, t_ready[nxt], t_s, m), nxt)
    return became_full
