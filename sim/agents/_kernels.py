"""Numba kernels of the residents' step; the dynamics are docs/RESIDENTS.md.

Plain arrays in and out. Inputs are grouped in small tuples per concern:

- ``agents = (state, mode, persons, units, v0_mps, node, edge, pos_m,
  t_ready_s, queue, q_next, t_arrive_s, shelter)`` (one entry per agent);
- ``moving = (s_agent, s_pos_m, s_v0_mps, s_edge, s_mode, n_moving, ready,
  j_next)``: the agents moving along an edge (on it, not in its queue), one
  slot each, packed in the order the advance visits them (``n_moving[0]``
  slots); a moving agent's position is its slot's ``s_pos_m`` (``pos_m`` is
  brought up to date by :func:`sync_positions`). ``ready`` and ``j_next``
  are work buffers;
- ``roads = (edge_head, length_m, width_m, lanes, free_speed_mps, factor,
  flow_per_s)``: ``factor`` (the hazards' speed factor: walkers in
  water wade, cars follow Pregnolato) and ``flow_per_s`` shaped (2, m) by
  mode (the storage is in the lane records, ``speeds``);
- ``queues = (occupancy, credit, q_head, q_tail, heap, queued, on_edge,
  credit_step, active, in_active, debt, in_debt, j_head, sizes, parked_on,
  w_head, w_next)``:
  occupancy, credit, queued (units waiting at the edge end) and on_edge
  (agents on the edge) shaped (2, m); the FIFO queues are linked lists over
  agents, queue ``mode * m + e`` for the end of edge e, ``2 m + mode * n + v``
  for the departures from node v; ``active`` lists the queues that may be
  non-empty, ``debt`` the edge-modes ``mode * m + e`` whose flow credit is
  negative (the only ones updated every step), ``credit_step`` the step
  each credit is for; ``heap`` and ``j_head`` are work buffers;
  ``sizes = [n_active, n_debt, n_busy, step]``; then ``(parked_on, w_head,
  w_next)``: a queue whose head found no room on its next edge-mode ``l``
  is parked there (``parked_on[q] = l``, in ``l``'s list of waiters
  ``w_head[l]``, ``w_next[q]``) and not tried again until an agent leaves
  ``l`` or the routes change (it could not cross before: the room it waits
  for only shrinks meanwhile);
- ``speeds = (busy, in_busy, speed_step, free_m, vel, storage)``: the edges
  with agents on them (``busy``), for which the speeds of the step are
  computed at its start, and the speeds of the step of every edge-mode,
  valid where ``speed_step`` (shaped (2, m) like the others) is the step:
  the free length ``free_m`` and ``vel``, for cars their speed (m/s), for
  walkers Weidmann's ``v / v0`` times the hazards' factor (a walker moves
  at ``v0 * vel``), or -1 where walkers stand in a jam; ``storage`` is the
  edges' storage by mode;
- ``routes = (next_edge, node_open)``: next_edge shaped (2, n) by mode;
- ``shelters = (sh_ptr, sh_idx, capacity, occupancy, arrivals, turned_away,
  t_full_s, full, largest_agent)``: shelters at node v are
  ``sh_idx[sh_ptr[v]:sh_ptr[v + 1]]``.

``counts`` (int64, shape (2, number of states)) holds the persons in each
state by mode; every kernel that changes an agent's state moves its persons
between the counts (:func:`_shift`), so that recording is free of per-agent work.

Many of these arrays are strided views of the fields of one record per
agent (``citysim.agents.residents.HOT_FIELDS``) or per edge-mode
(``citysim.agents.traffic.LANE_FIELDS``), so that a node crossing touches a
cache line or two per agent and per edge instead of one per array.

The work of a step is proportional to the moving agents (a streaming pass
over their slots), the queues that are not empty and the edges with agents
on them, never to all agents or all edges (docs/RESIDENTS.md, "How a step
is computed").
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
# entries of the queues' ``sizes`` array
N_ACTIVE, N_DEBT, N_BUSY, STEP = 0, 1, 2, 3

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
def _lane_speeds(length, width, lanes, vf, q_exit, occ_walk, queued_walk, occ_car, queued_car):
    """``(free length walk, free length car, walk factor, car speed)`` of one edge.

    ``vf`` and ``q_exit`` are the car free speed and exit capacity per lane
    with the hazard factor; ``occ_*`` the units on the edge and ``queued_*``
    those queued at its end, by mode; see :func:`edge_speeds`.
    """
    free_walk = free_car = length  # what the formulas give on an empty lane
    walk = 1.0
    car = vf
    if occ_walk != 0.0 or queued_walk != 0.0:
        lw = length - queued_walk / (WEIDMANN_JAM * width)
        free_walk = max(lw, MIN_FREE_SHARE * length)
        walk = _walk_factor((occ_walk - queued_walk) / (free_walk * width))
    if occ_car != 0.0 or queued_car != 0.0:
        lc = length - queued_car * CAR_JAM_SPACING_M / lanes
        free_car = max(lc, MIN_FREE_SHARE * length)
        # a car is not slowed by itself: the density of the others on the lane
        k = max(occ_car - queued_car - 1.0, 0.0) / (lanes * free_car)
        car = _car_fd_speed(k, vf, q_exit)
    return free_walk, free_car, walk, car


@njit(cache=True, inline="always")
def _edge_speed(roads, e, occ_walk, queued_walk, occ_car, queued_car):
    """Edge ``e``'s :func:`_lane_speeds` from the roads' arrays."""
    lanes, factor = roads[3][e], roads[5][1, e]
    return _lane_speeds(roads[1][e], roads[2][e], lanes, roads[4][e] * factor,
                        roads[6][1, e] / lanes * factor, occ_walk, queued_walk, occ_car,
                        queued_car)


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
    m = roads[1].shape[0]
    free = np.empty((2, m))
    walk = np.empty(m)
    car = np.empty(m)
    for e in range(m):
        free[0, e], free[1, e], walk[e], car[e] = _edge_speed(
            roads, e, occupancy[0, e], queued[0, e], occupancy[1, e], queued[1, e])
    return free, walk, car


@njit(cache=True)
def _speed(v0, md, e, walk, car, factor):
    """Speed of an agent (free walking speed ``v0``, mode ``md``) on edge ``e`` (m/s)."""
    if md == 1:
        return car[e]
    return v0 * (walk[e] * factor[0, e])


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


@njit(cache=True, inline="always")
def _append(q_head, q_tail, queued, active, in_active, sizes, queue, q_next, units, q, i):
    """Append agent ``i`` at the tail of queue ``q`` (counting its units at an edge end)."""
    m = queued.shape[1]
    if q < 2 * m:
        queued[q // m, q % m] += units[i]
    queue[i] = q
    q_next[i] = -1
    if q_tail[q] < 0:
        q_head[q] = i
        if not in_active[q]:
            in_active[q] = True
            active[sizes[N_ACTIVE]] = q
            sizes[N_ACTIVE] += 1
    else:
        q_next[q_tail[q]] = i
    q_tail[q] = i


@njit(cache=True, inline="always")
def _pop_head(q_head, q_tail, queued, queue, q_next, units, q):
    """Remove the head of queue ``q`` and return it.

    The units queued at an edge end are set to exactly 0 when its queue empties.
    """
    i = q_head[q]
    m = queued.shape[1]
    q_head[q] = q_next[i]
    if q_head[q] < 0:
        q_tail[q] = -1
    if q < 2 * m:
        if q_head[q] < 0:
            queued[q // m, q % m] = 0.0
        else:
            queued[q // m, q % m] -= units[i]
    queue[i] = -1
    q_next[i] = -1
    return i


@njit(cache=True, inline="always")
def _leave_edge(occupancy, on_edge, queued, md, e, units):
    """Take ``units`` off edge ``e`` (mode ``md``); an edge left empty is exactly empty."""
    on_edge[md, e] -= 1
    if on_edge[md, e] == 0:
        occupancy[md, e] = 0.0
        queued[md, e] = 0.0
    else:
        occupancy[md, e] -= units


@njit(cache=True)
def _wake(queues, lane):
    """Wake the queues parked on edge-mode ``lane``; return them (to be tried again)."""
    active, in_active, sizes, parked_on, w_head, w_next = (queues[8], queues[9], queues[13],
                                                           queues[14], queues[15], queues[16])
    n = 0
    q = w_head[lane]
    while q >= 0:
        n += 1
        q = w_next[q]
    woken = np.empty(n, dtype=np.int64)
    n = 0
    q = w_head[lane]
    w_head[lane] = -1
    while q >= 0:
        parked_on[q] = -1
        if not in_active[q]:
            in_active[q] = True
            active[sizes[N_ACTIVE]] = q
            sizes[N_ACTIVE] += 1
        woken[n] = q
        n += 1
        q = w_next[q]
    return woken


@njit(cache=True)
def wake_all(queues):
    """Wake every parked queue (the routes changed: their next edge may be another)."""
    w_head = queues[15]
    for lane in range(w_head.shape[0]):
        if w_head[lane] >= 0:
            _wake(queues, lane)


@njit(cache=True)
def take_off_roads(agents, moving, queues, agent_ids):
    """Remove agents from the roads: out of their queue, off their edge.

    For agents a hazard stops for good (killed, trapped, injured): their
    units leave the edge's occupancy (and queue), the agents behind them move
    up. The caller sets their state.
    """
    occupancy, q_head, q_tail, queued, on_edge = (queues[0], queues[2], queues[3], queues[5],
                                                  queues[6])
    mode, units, edge, pos, queue, q_next = (agents[1], agents[3], agents[6], agents[7],
                                             agents[9], agents[10])
    s_agent, s_pos, s_edge, n_moving = moving[0], moving[1], moving[3], moving[5]
    m = occupancy.shape[1]
    stopped = np.zeros(mode.shape[0], dtype=np.bool_)
    for i in agent_ids:
        stopped[i] = edge[i] >= 0 and queue[i] < 0
    for k in range(n_moving[0]):  # moving agents leave their slot (the advance drops it)
        i = s_agent[k]
        if s_edge[k] >= 0 and stopped[i]:
            pos[i] = s_pos[k]
            s_edge[k] = -1
    parked_on = queues[14]
    for i in agent_ids:
        q = queue[i]
        if q >= 0 and parked_on[q] >= 0:  # its queue's head may change
            _wake(queues, parked_on[q])
        if edge[i] >= 0:  # room on its edge for whoever waits for it
            _wake(queues, mode[i] * m + edge[i])
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
                if q_head[q] < 0:
                    queued[q // m, q % m] = 0.0
                else:
                    queued[q // m, q % m] -= units[i]
            queue[i] = -1
            q_next[i] = -1
        if edge[i] >= 0:
            _leave_edge(occupancy, on_edge, queued, mode[i], edge[i], units[i])
            edge[i] = -1


@njit(cache=True)
def place_on_edge(agents, moving, queues, speeds, agent_ids, e, tail, pos_m):
    """Put agents on edge ``e`` (from node ``tail``) at ``pos_m``, moving toward its end.

    For setting a situation up by hand: their units join the edge's occupancy
    and each takes a moving slot; the caller sets their state (EVACUATING).
    """
    mode, units, v0, node, edge, pos = (agents[1], agents[3], agents[4], agents[5], agents[6],
                                        agents[7])
    s_agent, s_pos, s_v0, s_edge, s_mode, n_moving = moving[:6]
    occupancy, on_edge, sizes = queues[0], queues[6], queues[13]
    busy, in_busy = speeds[0], speeds[1]
    for k in range(agent_ids.shape[0]):
        i = agent_ids[k]
        md = mode[i]
        edge[i] = e
        node[i] = tail
        pos[i] = pos_m[k]
        occupancy[md, e] += units[i]
        on_edge[md, e] += 1
        n = n_moving[0]
        s_agent[n], s_pos[n], s_v0[n], s_edge[n], s_mode[n] = i, pos_m[k], v0[i], e, md
        n_moving[0] = n + 1
    if not in_busy[e]:
        in_busy[e] = True
        busy[sizes[N_BUSY]] = e
        sizes[N_BUSY] += 1


@njit(cache=True)
def sync_positions(moving, pos):
    """Copy the moving agents' positions from their slots into ``pos`` (per agent)."""
    s_agent, s_pos, s_edge, n_moving = moving[0], moving[1], moving[3], moving[5]
    for k in range(n_moving[0]):
        if s_edge[k] >= 0:
            pos[s_agent[k]] = s_pos[k]


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
    state, mode, persons, units, node, t_ready = (agents[0], agents[1], agents[2], agents[3],
                                                  agents[5], agents[8])
    queue, q_next = agents[9], agents[10]
    q_head, q_tail, queued, active, in_active, sizes = (queues[2], queues[3], queues[5],
                                                        queues[8], queues[9], queues[13])
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
        _append(q_head, q_tail, queued, active, in_active, sizes, queue, q_next, units,
                2 * n_edges + mode[i] * n_nodes + node[i], i)
    return kept


@njit(cache=True)
def _admit(u, persons_i, tr, shelters):
    """Try to admit an agent of ``persons_i`` at node ``u``; return (shelter, admitted, filled)."""
    sh_ptr, sh_idx, capacity, occupancy, arrivals, turned_away, t_full, full, largest = shelters
    first = -1
    for k in range(sh_ptr[u], sh_ptr[u + 1]):
        s = sh_idx[k]
        if full[s]:
            continue
        if first < 0:
            first = s
        if capacity[s] - occupancy[s] >= persons_i:
            occupancy[s] += persons_i
            arrivals[s] += persons_i
            filled = capacity[s] - occupancy[s] < largest
            if filled:
                full[s] = True
                t_full[s] = tr
            return s, True, filled
    if first < 0:  # every shelter here already full
        first = sh_idx[sh_ptr[u]]
    turned_away[first] += persons_i
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


@njit(cache=True, inline="always")
def _credit_now(credit, credit_step, flow, factor, md, e, step, dt_s):
    """Edge ``e``'s flow credit (mode ``md``) in ``step``: ``min(c + C dt, C dt)`` once a step.

    Only edges in debt are updated every step (:func:`move`); any other has a
    credit of at least 0 since its last update, which gives ``C dt`` now.
    """
    if credit_step[md, e] != step:
        full = flow[md, e] * factor[md, e] * dt_s  # a closed edge lets nobody out
        credit[md, e] = min(credit[md, e] + full, full)
        credit_step[md, e] = step
    return credit[md, e]


@njit(cache=True, inline="always")
def _set_speed(speeds, e, step, roads, free_walk, free_car, walk, car):
    """Store edge ``e``'s speeds of ``step`` (see ``speeds``)."""
    speed_step, free, vel = speeds[2], speeds[3], speeds[4]
    fw = roads[5][0, e]
    free[0, e] = free_walk
    free[1, e] = free_car
    # walkers at jam density on an open edge stand in the jam (-1); else walk * factor
    vel[0, e] = -1.0 if walk <= 0.0 and fw > 0.0 else walk * fw
    vel[1, e] = car
    speed_step[0, e] = step
    speed_step[1, e] = step


@njit(cache=True)
def _step_speeds(roads, queues, speeds, step):
    """Speeds of every busy edge (agents on it) from its traffic at the start of the step."""
    occupancy, queued, on_edge, sizes = queues[0], queues[5], queues[6], queues[13]
    busy, in_busy = speeds[0], speeds[1]
    kept = 0
    for k in range(sizes[N_BUSY]):
        e = busy[k]
        if on_edge[0, e] + on_edge[1, e] == 0:
            in_busy[e] = False
            continue
        busy[kept] = e
        kept += 1
        fw, fc, w, c = _edge_speed(roads, e, occupancy[0, e], queued[0, e], occupancy[1, e],
                                   queued[1, e])
        _set_speed(speeds, e, step, roads, fw, fc, w, c)
    sizes[N_BUSY] = kept


@njit(cache=True)
def _advance(t_s, dt_s, agents, moving, roads, speeds):
    """Step 1: move the agents along their edges; return how many reached its queue.

    Those that did are listed in ``ready`` (in slot order) and leave their slot.
    """
    pos, t_ready = agents[7], agents[8]
    s_agent, s_pos, s_v0, s_edge, s_mode, n_moving, ready = moving[:7]
    length_m = roads[1]
    free, vel = speeds[3], speeds[4]
    n_ready = 0
    kept = 0
    for k in range(n_moving[0]):
        e = s_edge[k]
        if e < 0:
            continue  # taken off the roads
        md = s_mode[k]
        i = s_agent[k]
        p = s_pos[k]
        if md == 0:
            f = vel[0, e]
            if f < 0.0:  # walkers at jam density stand in the jam: they are the edge's queue
                t_ready[i] = t_s
                pos[i] = length_m[e]
                ready[n_ready] = i
                n_ready += 1
                continue
            v = s_v0[k] * f
        else:
            v = vel[1, e]
        if v > 0.0:
            rest = free[md, e] - p
            if v * dt_s >= rest:
                t_ready[i] = t_s + max(rest, 0.0) / v
                pos[i] = length_m[e]
                ready[n_ready] = i
                n_ready += 1
                continue
            p += v * dt_s
        s_agent[kept] = i
        s_pos[kept] = p
        s_v0[kept] = s_v0[k]
        s_edge[kept] = e
        s_mode[kept] = md
        kept += 1
    n_moving[0] = kept
    return n_ready


@njit(cache=True)
def _join_queues(n_ready, agents, moving, queues):
    """Append the agents that reached their edge's end to its queue, by ``(t_ready, id)``.

    Only the order within a queue matters: the arrivals are grouped by queue
    (a linked list per queue through ``j_head`` and ``j_next``) and each
    group, usually of one or two, is sorted by insertion.
    """
    mode, units, edge, t_ready, queue, q_next = (agents[1], agents[3], agents[6], agents[8],
                                                 agents[9], agents[10])
    ready, j_next = moving[6], moving[7]
    q_head, q_tail, queued, active, in_active, j_head, sizes = (
        queues[2], queues[3], queues[5], queues[8], queues[9], queues[12], queues[13])
    m = queued.shape[1]
    for k in range(n_ready):  # group by queue, remembering each group's first arrival
        i = ready[k]
        q = mode[i] * m + edge[i]
        j_next[k] = j_head[q]
        j_head[q] = k
    for k in range(n_ready):
        q = mode[ready[k]] * m + edge[ready[k]]
        g = j_head[q]
        if g < 0:
            continue  # this queue's group is done
        j_head[q] = -1
        if j_next[g] < 0:  # the usual case: one arrival at this queue
            _append(q_head, q_tail, queued, active, in_active, sizes, queue, q_next, units, q,
                    ready[g])
            continue
        n = 0
        h = g
        while h >= 0:
            n += 1
            h = j_next[h]
        group = np.empty(n, dtype=np.int64)
        h = g
        c = 0
        while h >= 0:
            i = ready[h]
            p = c
            while p > 0 and (t_ready[group[p - 1]] > t_ready[i]
                             or (t_ready[group[p - 1]] == t_ready[i] and group[p - 1] > i)):
                group[p] = group[p - 1]
                p -= 1
            group[p] = i
            c += 1
            h = j_next[h]
        for c in range(n):
            _append(q_head, q_tail, queued, active, in_active, sizes, queue, q_next, units, q,
                    group[c])


@njit(cache=True)
def _settle_debts(queues, roads, step, dt_s):
    """Step 3 for the edges in debt: their credit grows by ``C dt`` (the others lazily)."""
    credit, credit_step, debt, in_debt, sizes = (queues[1], queues[7], queues[10], queues[11],
                                                 queues[13])
    factor, flow = roads[5], roads[6]
    m = credit.shape[1]
    kept = 0
    for k in range(sizes[N_DEBT]):
        d = debt[k]
        md, e = d // m, d % m
        c = _credit_now(credit, credit_step, flow, factor, md, e, step, dt_s)
        if c < 0.0:
            debt[kept] = d
            kept += 1
        else:
            in_debt[d] = False
    sizes[N_DEBT] = kept


REGROUP_EVERY = 8
"""Steps between two regroupings of the moving slots by edge (:func:`_regroup`)."""


@njit(cache=True)
def _regroup(moving, speeds, queues):
    """Order the moving slots by edge (stable) and the busy edges by id.

    The advance then reads the lane records of consecutive slots from the
    same cache lines, and the speeds of the step are computed in edge order.
    Where each slot sits changes nothing in the dynamics (arrivals are
    ordered per queue by ``(t_ready, id)``).
    """
    s_agent, s_pos, s_v0, s_edge, s_mode, n_moving = moving[:6]
    busy, sizes = speeds[0], queues[13]
    m = busy.shape[0]
    n = n_moving[0]
    start = np.zeros(m + 1, dtype=np.int64)
    for k in range(n):
        if s_edge[k] >= 0:
            start[s_edge[k] + 1] += 1
    for e in range(m):
        start[e + 1] += start[e]
    kept = start[m]
    agent = np.empty(kept, dtype=np.int64)
    pos = np.empty(kept)
    v0 = np.empty(kept)
    mode = np.empty(kept, dtype=np.int8)
    for k in range(n):
        e = s_edge[k]
        if e >= 0:
            j = start[e]
            start[e] = j + 1
            agent[j], pos[j], v0[j], mode[j] = s_agent[k], s_pos[k], s_v0[k], s_mode[k]
    e = 0
    for j in range(kept):
        while start[e] <= j:  # start[e] is now the end of edge e's run
            e += 1
        s_agent[j], s_pos[j], s_v0[j], s_edge[j], s_mode[j] = agent[j], pos[j], v0[j], e, mode[j]
    n_moving[0] = kept
    busy[:sizes[N_BUSY]].sort()


@njit(cache=True)
def move(t_s, dt_s, agents, moving, roads, queues, speeds, routes, shelters, counts):
    """Advance the residents on the roads by one step (docs/RESIDENTS.md).

    Returns
    -------
    int
        Number of shelters that became full this step (routes must be
        recomputed when positive).
    """
    sizes = queues[13]
    sizes[STEP] += 1
    step = sizes[STEP]
    if step % REGROUP_EVERY == 0:
        _regroup(moving, speeds, queues)
    _step_speeds(roads, queues, speeds, step)
    # 1. advance agents moving along an edge; those reaching its end queue there
    n_ready = _advance(t_s, dt_s, agents, moving, roads, speeds)
    _join_queues(n_ready, agents, moving, queues)
    # 3. flow credit: no banking beyond one step, debts carry (lazily, but for debts)
    _settle_debts(queues, roads, step, dt_s)
    # 4. node crossings
    return _cross(t_s, dt_s, step, agents, moving, roads, queues, speeds, routes, shelters,
                  counts)


@njit(cache=True)
def _cross(t_s, dt_s, step, agents, moving, roads, queues, speeds, routes, shelters, counts):
    """Step 4: node crossings in order of ``(t_ready, agent id)``, FIFO per queue.

    Returns the number of shelters that became full.
    """
    (state, mode, persons, units, v0, node, edge, pos, t_ready, queue, q_next, t_arrive,
     shelter) = agents
    s_agent, s_pos, s_v0, s_edge, s_mode, n_moving = moving[:6]
    edge_head, length_m, factor, flow = roads[0], roads[1], roads[5], roads[6]
    (occupancy, credit, q_head, q_tail, heap, queued, on_edge, credit_step, active, in_active,
     debt, in_debt, _, sizes, parked_on, w_head, w_next) = queues
    busy, in_busy, speed_step, free, vel, storage = speeds
    next_edge, node_open = routes
    m = length_m.shape[0]
    t_end = t_s + dt_s
    for j in range(4):  # every queue has at most one entry in the heap at a time
        heap[2 * j] = np.inf
    size = 0
    kept = 0
    for k in range(sizes[N_ACTIVE]):
        q = active[k]
        if q_head[q] < 0 or parked_on[q] >= 0:
            in_active[q] = False
            continue
        active[kept] = q
        kept += 1
        size = heap_push(heap, size, _key(q, t_ready[q_head[q]], t_s, m), q_head[q])
    sizes[N_ACTIVE] = kept
    became_full = 0
    while size > 0:
        key, i, size = heap_pop(heap, size)
        if t_ready[i] >= t_end:
            continue  # joined this queue after crossing a node this step: next step
        tr = max(t_ready[i], t_s)  # when it crosses: now, if it has been waiting
        q = queue[i]
        md = mode[i]
        on_road = q < 2 * m
        e = edge[i] if on_road else -1
        u = edge_head[e] if on_road else node[i]
        if on_road and _credit_now(credit, credit_step, flow, factor, md, e, step,
                                   dt_s) <= EMPTY:
            continue  # the edge's outflow is spent this step: the queue waits
        if node_open[u]:
            s, admitted, filled = _admit(u, persons[i], tr, shelters)
            if filled:
                became_full += 1
            if not admitted:
                continue  # turned away: waits here for the next route update
            _pop_head(q_head, q_tail, queued, queue, q_next, units, q)
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
                lane = md * m + e2  # no room on the next edge: the queue waits (spillback)
                parked_on[q] = lane
                w_next[q] = w_head[lane]
                w_head[lane] = q
                continue
            _pop_head(q_head, q_tail, queued, queue, q_next, units, q)
            if not on_road:
                _shift(counts, state, mode, persons, i, EVACUATING)
            if speed_step[md, e2] != step:  # empty at the start of the step: free flow
                fw, fc, w, c = _edge_speed(roads, e2, 0.0, 0.0, 0.0, 0.0)
                _set_speed(speeds, e2, step, roads, fw, fc, w, c)
            if not in_busy[e2]:
                in_busy[e2] = True
                busy[sizes[N_BUSY]] = e2
                sizes[N_BUSY] += 1
            occupancy[md, e2] += units[i]
            on_edge[md, e2] += 1
            edge[i] = e2
            node[i] = u
            v2 = vel[1, e2] if md == 1 else v0[i] * max(vel[0, e2], 0.0)  # jam: 0
            p = v2 * (t_end - tr)
            if p >= free[md, e2]:  # reaches the queue: waits there for the next step
                pos[i] = length_m[e2]
                t_ready[i] = t_end
                _append(q_head, q_tail, queued, active, in_active, sizes, queue, q_next, units,
                        md * m + e2, i)
            else:
                pos[i] = p
                t_ready[i] = np.inf
                n = n_moving[0]
                s_agent[n], s_pos[n], s_v0[n], s_edge[n], s_mode[n] = i, p, v0[i], e2, md
                n_moving[0] = n + 1
        if on_road:
            _leave_edge(occupancy, on_edge, queued, md, e, units[i])
            credit[md, e] -= units[i]
            if credit[md, e] < 0.0 and not in_debt[md * m + e]:
                in_debt[md * m + e] = True
                debt[sizes[N_DEBT]] = md * m + e
                sizes[N_DEBT] += 1
            if w_head[md * m + e] >= 0:  # room for the queues waiting for this edge
                for w in _wake(queues, md * m + e):
                    h = q_head[w]
                    k_h = _key(w, t_ready[h], t_s, m)
                    if k_h > key or (k_h == key and h > i):  # its turn is still to come
                        size = heap_push(heap, size, k_h, h)
        nxt = q_head[q]
        if nxt >= 0:
            size = heap_push(heap, size, _key(q, t_ready[nxt], t_s, m), nxt)
    return became_full
