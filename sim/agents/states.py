"""Resident states, declared once.

Each resident agent is in exactly one state, stored as a small integer in
one int8 array. ``FINAL_GROUPS`` maps states to the four final outcomes of
the output contract, which partition the population::

    evacuated + sheltered_in_place + not_evacuated + fatalities == residents_total

Residents still at home, warned, deciding or on the way when the run ends
count as ``not_evacuated``, and so do residents trapped by a hazard and
waiting for a rescue; residents a rescue unit brought out count as
``evacuated``. An injured survivor counts in the group of where they are, and
additionally in ``injured``.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class State(IntEnum):
    """Resident states (values are stored in int8 arrays)."""

    AT_HOME = 0
    WARNED = 1
    DECIDING = 2
    EVACUATING = 3
    EVACUATED = 4
    SHELTERED_IN_PLACE = 5
    NOT_EVACUATED = 6
    INJURED = 7
    DEAD = 8
    TRAPPED = 9
    RESCUED = 10


STATE_COLUMNS: dict[State, str] = {
    State.AT_HOME: "at_home",
    State.WARNED: "warned",
    State.DECIDING: "deciding",
    State.EVACUATING: "evacuating",
    State.EVACUATED: "evacuated",
    State.SHELTERED_IN_PLACE: "sheltered_in_place",
    State.NOT_EVACUATED: "stayed",
    State.INJURED: "injured_waiting",
    State.DEAD: "fatalities",
    State.TRAPPED: "trapped",
    State.RESCUED: "rescued",
}
"""Time-series column of persons in each state. ``stayed`` are residents who
decided not to act; ``injured_waiting`` are injured residents stopped where
they are; ``trapped`` residents wait where a hazard stopped them for a
rescue unit, and ``rescued`` ones were brought out by it."""

FINAL_GROUPS: dict[str, tuple[State, ...]] = {
    "evacuated": (State.EVACUATED, State.RESCUED),
    "sheltered_in_place": (State.SHELTERED_IN_PLACE,),
    "not_evacuated": (State.AT_HOME, State.WARNED, State.DECIDING, State.EVACUATING,
                      State.NOT_EVACUATED, State.INJURED, State.TRAPPED),
    "fatalities": (State.DEAD,),
}


def final_groups(counts: np.ndarray) -> dict[str, int]:
    """Collapse per-state person counts into the four final outcomes."""
    return {name: int(sum(counts[s] for s in states)) for name, states in FINAL_GROUPS.items()}
