"""Residents as a structure of arrays.

One entry per agent; an agent stands for ``persons`` persons. No Python
object per resident: every attribute is a NumPy array indexed by agent id.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.agents.states import State
from sim.world.population import Population


@dataclass(eq=False)
class Residents:
    """The residents' state arrays.

    Attributes
    ----------
    persons
        Persons per agent (int64).
    home_node
        Home node (int64).
    node
        Node the agent is at or last passed (int64).
    state
        :class:`~sim.agents.states.State` value (int8).
    injured
        Whether the agent's persons are injured (bool).
    t_arrive_s
        Time of arrival at a shelter, NaN until then (s).
    """

    persons: np.ndarray
    home_node: np.ndarray
    node: np.ndarray
    state: np.ndarray
    injured: np.ndarray
    t_arrive_s: np.ndarray

    @classmethod
    def at_home(cls, population: Population) -> Residents:
        """Everyone at home and unaware, as at the start of every run."""
        n = population.n_agents
        return cls(
            persons=population.persons.copy(),
            home_node=population.home_node.copy(),
            node=population.home_node.copy(),
            state=np.full(n, State.AT_HOME, dtype=np.int8),
            injured=np.zeros(n, dtype=bool),
            t_arrive_s=np.full(n, np.nan),
        )

    def __len__(self) -> int:
        return int(self.persons.shape[0])
