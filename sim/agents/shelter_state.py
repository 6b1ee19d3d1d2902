"""Occupancy and counters of the shelters while residents arrive (docs/RESIDENTS.md)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from citysim.world.sites import Shelters


@dataclass(eq=False)
class ShelterState:
    """Occupancy and counters of the shelters.

    Attributes
    ----------
    sh_ptr, sh_idx
        Shelters at each node: ``sh_idx[sh_ptr[v]:sh_ptr[v + 1]]``.
    capacity, occupancy, arrivals, turned_away
        Persons (int64).
    t_full_s
        When the shelter became full (room below the largest agent), NaN if never.
    full
        Whether it is full (closed to routing).
    largest_agent
        Persons in the largest agent.
    """

    sh_ptr: np.ndarray
    sh_idx: np.ndarray
    capacity: np.ndarray
    occupancy: np.ndarray
    arrivals: np.ndarray
    turned_away: np.ndarray
    t_full_s: np.ndarray
    full: np.ndarray
    largest_agent: int

    @classmethod
    def empty(cls, shelters: Shelters, n_nodes: int, largest_agent: int) -> ShelterState:
        """Empty shelters; one with less room than the largest agent starts full."""
        order = np.argsort(shelters.node, kind="stable")
        counts = np.bincount(shelters.node, minlength=n_nodes)
        k = len(shelters)
        capacity = shelters.capacity.astype(np.int64)
        full = capacity < largest_agent
        return cls(
            sh_ptr=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            sh_idx=order.astype(np.int64),
            capacity=capacity,
            occupancy=np.zeros(k, dtype=np.int64),
            arrivals=np.zeros(k, dtype=np.int64),
            turned_away=np.zeros(k, dtype=np.int64),
            t_full_s=np.where(full, 0.0, np.nan),
            full=full,
            largest_agent=int(largest_agent),
        )

    def close(self, k: int) -> None:
        """Shelter ``k`` has no room (not open yet): out of routing, never "full" in the results."""
        self.capacity[k] = 0
        self.full[k] = True
        self.t_full_s[k] = np.nan

    def grown(self, shelters: Shelters, n_nodes: int) -> ShelterState:
        """The state of ``shelters``: these shelters first, as they are, then new empty ones."""
        new = ShelterState.empty(shelters, n_nodes, self.largest_agent)
        k = self.capacity.size
        for name in ("capacity", "occupancy", "arrivals", "turned_away", "t_full_s", "full"):
            getattr(new, name)[:k] = getattr(self, name)
        return new

    def open_nodes(self, n_nodes: int, node: np.ndarray) -> np.ndarray:
        """Boolean mask of nodes with a shelter that still has room."""
        mask = np.zeros(n_nodes, dtype=bool)
        mask[node[~self.full]] = True
        return mask

    def kernel_shelters(self) -> tuple:
        """The shelter arrays in the order the kernels take them."""
        return (self.sh_ptr, self.sh_idx, self.capacity, self.occupancy, self.arrivals,
                self.turned_away, self.t_full_s, self.full, self.largest_agent)
