"""The residents' fixed draws of one replication (docs/RESIDENTS.md, "plan").

Both the numba model and the pure-Mesa reference consume the same plan, so
that they differ only in their dynamics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from citysim.world.population import Population

WALK, CAR = 0, 1
"""Travel modes (values of :attr:`ResidentDraws.mode`)."""


@dataclass(frozen=True, eq=False)
class ResidentDraws:
    """Per-agent draws and constants, fixed for a replication.

    Attributes
    ----------
    home_node
        Home node (int64).
    persons
        Persons per agent (int64).
    mode
        :data:`WALK` or :data:`CAR` (int8).
    units
        Road units the agent takes: persons on foot, vehicles by car
        (``persons / persons_per_car``) (float64).
    v0_mps
        Free walking speed (m/s).
    delay_s
        Response delay: from learning of a warning to acting (s).
    complies
        Whether the agent acts on a warning.
    u_warn
        Uniform draws, shape (n_agents, n_warnings): agent i receives
        scheduled warning j when ``u_warn[i, j] < reach_j``.
    warn_at_s, warn_reach
        The scheduled warnings: times (s) and reach, shape (n_warnings,).
    word_of_mouth_per_s
        Word-of-mouth rate at a fully warned node (1/s).
    """

    home_node: np.ndarray
    persons: np.ndarray
    mode: np.ndarray
    units: np.ndarray
    v0_mps: np.ndarray
    delay_s: np.ndarray
    complies: np.ndarray
    u_warn: np.ndarray
    warn_at_s: np.ndarray
    warn_reach: np.ndarray
    word_of_mouth_per_s: float

    @property
    def n_agents(self) -> int:
        """Number of agents."""
        return int(self.home_node.shape[0])


def draw_residents(
    population: Population, behaviour: Any, rng: np.random.Generator
) -> ResidentDraws:
    """Draw the plan of a replication, in the order docs/RESIDENTS.md gives.

    Parameters
    ----------
    population
        Homes and sizes of the agents.
    behaviour
        The scenario's ``behaviour`` section.
    rng
        The ``residents`` stream of the replication.

    Returns
    -------
    ResidentDraws
    """
    n = population.n_agents
    warnings = sorted(behaviour.warnings, key=lambda w: w.at)
    mode = (rng.random(n) < behaviour.mode_share.car).astype(np.int8)
    v0 = behaviour.walk_speed_mps.sample(rng, n)
    delay = behaviour.response_delay.sample(rng, n)
    complies = rng.random(n) < behaviour.compliance
    u_warn = rng.random((n, len(warnings)))
    persons = population.persons
    units = np.where(mode == CAR, persons / behaviour.persons_per_car, persons.astype(float))
    return ResidentDraws(
        home_node=population.home_node,
        persons=persons,
        mode=mode,
        units=units,
        v0_mps=v0,
        delay_s=delay,
        complies=complies,
        u_warn=u_warn,
        warn_at_s=np.array([w.at for w in warnings], dtype=np.float64),
        warn_reach=np.array([w.reach for w in warnings], dtype=np.float64),
        word_of_mouth_per_s=float(behaviour.word_of_mouth_per_h) / 3600.0,
    )
