"""Numba kernels of the urban fire: event-driven spread between buildings.

The model is in :mod:`citysim.hazards.fire` (Hamada-type delays, docs MODELS.md
"Urban fire"); this module only moves the fire forward in time. Plain arrays
in and out, updated in place:

- the neighbour graph ``(ptr, nbr, src, tau_s)``: the directed pairs of
  buildings within the model's reach, sorted by source (CSR): the pairs of
  building ``i`` are ``ptr[i]:ptr[i + 1]``, pair ``k`` goes from ``src[k]``
  to ``nbr[k]`` and takes ``tau_s[k]`` seconds from the ignition of its
  source to the ignition of its target;
- per building: ``state`` (int8, :data:`UNBURNED` ... :data:`EXTINGUISHED`),
  ``source`` (the building that ignited it, -1 for a scheduled ignition),
  and the times ``t`` = ``(t_ign_s, t_full_s, t_out_s, t_stop_s, t_ext_s)``:
  ignition, full involvement, burn-out, end of spread (burn-out, or the
  first engine's arrival) and extinction (``inf`` until engines attack);
- ``dur`` = ``(full_s, burn_s)``: time from ignition to full involvement and
  from full involvement to burn-out of each building.

:func:`spread` is a Dijkstra-like first-passage search over ``(t0, t1]``: a
building ignites at the earliest ``t_ign[i] + tau[k]`` over its burning
neighbours ``i`` whose spread has not stopped by then, or at a scheduled
ignition. Events are processed in time order (ties by pair index), so the
result does not depend on how the run is cut into steps.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from citysim.heap import heap_new, heap_pop, heap_push

UNBURNED = 0
IGNITED = 1
"""Burning, not yet fully involved."""
INVOLVED = 2
"""Fully involved (flashover reached): the road in front is closed."""
BURNED_OUT = 3
EXTINGUISHED = 4


@njit(cache=True)
def spread(t0_s, t1_s, graph, t, dur, state, source, ign_t_s, ign_b, next_ign, newly):
    """Spread the fire from ``t0_s`` to ``t1_s`` (s); return ``(n_new, next_ign)``.

    Parameters
    ----------
    t0_s, t1_s
        The interval (s); events at or before ``t1_s`` are processed.
    graph
        ``(ptr, nbr, src, tau_s)``, see the module docstring.
    t
        ``(t_ign_s, t_full_s, t_out_s, t_stop_s, t_ext_s)``, updated for the
        buildings that ignite.
    dur
        ``(full_s, burn_s)`` of each building.
    state, source
        Updated in place for the buildings that ignite.
    ign_t_s, ign_b
        Scheduled ignitions (time, building), sorted by time.
    next_ign
        First scheduled ignition not yet processed.
    newly
        Work array (n buildings): the buildings ignited in this call are
        written to ``newly[:n_new]`` in ignition order.

    Returns
    -------
    n_new : int
        Buildings ignited in ``(t0_s, t1_s]``.
    next_ign : int
        First scheduled ignition still to come.
    """
    ptr, nbr, src, tau = graph
    t_ign, t_full, t_out, t_stop, t_ext = t
    full_s, burn_s = dur
    n_pairs = nbr.size
    heap = heap_new(n_pairs + ign_b.size + 1)
    size = 0
    for i in range(state.size):
        if (state[i] == IGNITED or state[i] == INVOLVED) and t_stop[i] > t0_s:
            for k in range(ptr[i], ptr[i + 1]):
                if state[nbr[k]] == UNBURNED:
                    e = t_ign[i] + tau[k]
                    if e <= t_stop[i] and e <= t1_s:
                        size = heap_push(heap, size, e, k)
    while next_ign < ign_b.size and ign_t_s[next_ign] <= t1_s:
        size = heap_push(heap, size, ign_t_s[next_ign], n_pairs + next_ign)
        next_ign += 1
    n_new = 0
    while size > 0:
        e, k, size = heap_pop(heap, size)
        if k < n_pairs:
            j = nbr[k]
            s = src[k]
        else:
            j = ign_b[k - n_pairs]
            s = -1
        if state[j] != UNBURNED:
            continue
        state[j] = IGNITED
        source[j] = s
        t_ign[j] = e
        t_full[j] = e + full_s[j]
        t_out[j] = t_full[j] + burn_s[j]
        t_stop[j] = t_out[j]
        t_ext[j] = np.inf
        newly[n_new] = j
        n_new += 1
        for m in range(ptr[j], ptr[j + 1]):
            if state[nbr[m]] == UNBURNED:
                e2 = e + tau[m]
                if e2 <= t_stop[j] and e2 <= t1_s:
                    size = heap_push(heap, size, e2, m)
    return n_new, next_ign


@njit(cache=True)
def settle(t1_s, t, state):
    """Move every burning building to its state at ``t1_s`` (s).

    Parameters
    ----------
    t1_s
        Now (s).
    t
        ``(t_ign_s, t_full_s, t_out_s, t_stop_s, t_ext_s)``.
    state
        Updated in place: extinguished once ``t_ext`` has passed, burned out
        once ``t_out`` has, fully involved once ``t_full`` has.
    """
    _, t_full, t_out, _, t_ext = t
    for i in range(state.size):
        if state[i] == IGNITED or state[i] == INVOLVED:
            if t_ext[i] <= t1_s:
                state[i] = EXTINGUISHED
            elif t_out[i] <= t1_s:
                state[i] = BURNED_OUT
            elif t_full[i] <= t1_s:
                state[i] = INVOLVED


@njit(cache=True)
def mark(ptr, items, chosen, n_out):
    """Boolean mask over ``n_out`` of the items listed (CSR) for the ``chosen`` rows."""
    out = np.zeros(n_out, dtype=np.bool_)
    for r in chosen:
        for k in range(ptr[r], ptr[r + 1]):
            out[items[k]] = True
    return out
