"""One seeded random-number discipline for the whole simulation.

A run has one root :class:`numpy.random.SeedSequence` built from the scenario
seed. Replication ``i`` of a run uses ``root.spawn(n)[i]`` (equivalently
``SeedSequence(seed, spawn_key=(i,))``), so any replication can be reproduced
alone. Inside a replication each component (population placement, residents,
a hazard, background calls, ...) draws from its own child stream keyed by a
stable hash of its name: adding a hazard leaves every other stream unchanged.
"""

from __future__ import annotations

import hashlib

import numpy as np


def stable_hash(name: str) -> int:
    """Return a 64-bit integer hash of ``name`` that is the same on every machine.

    Parameters
    ----------
    name
        Component name, e.g. ``"population"`` or ``"hazards.flood"``.

    Returns
    -------
    int
    """
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")


def replication_seeds(seed: int, replications: int) -> list[np.random.SeedSequence]:
    """Seed sequences of the replications of a run.

    Parameters
    ----------
    seed
        The run seed (``run.seed``).
    replications
        Number of replications.

    Returns
    -------
    list of numpy.random.SeedSequence
    """
    return np.random.SeedSequence(seed).spawn(replications)


def replication_seed_sequence(seed: int, replication: int) -> np.random.SeedSequence:
    """Seed sequence of replication ``replication`` of a run, alone.

    Equal to ``replication_seeds(seed, n)[replication]`` for every
    ``n > replication``: ``SeedSequence(seed, spawn_key=(replication,))``.

    Parameters
    ----------
    seed
        The run seed (``run.seed``).
    replication
        0-based replication index.

    Returns
    -------
    numpy.random.SeedSequence
    """
    return np.random.SeedSequence(seed, spawn_key=(int(replication),))


class Streams:
    """Named random streams of one replication.

    Parameters
    ----------
    root
        The replication's seed sequence.
    """

    def __init__(self, root: np.random.SeedSequence) -> None:
        self.root = root

    def seed_sequence(self, name: str) -> np.random.SeedSequence:
        """Return the child seed sequence of component ``name``."""
        return np.random.SeedSequence(
            self.root.entropy, spawn_key=(*self.root.spawn_key, stable_hash(name))
        )

    def generator(self, name: str) -> np.random.Generator:
        """Return a fresh generator for component ``name`` (same name, same draws)."""
        return np.random.default_rng(self.seed_sequence(name))


def world_streams(seed: int) -> Streams:
    """Random streams of the city itself (network jitter, population placement).

    The city is the same in every replication of a run: its streams hang off
    the run seed's root, the replications' off its spawned children
    (:func:`replication_seeds`).

    Parameters
    ----------
    seed
        The run seed (``run.seed``).

    Returns
    -------
    Streams
    """
    return Streams(np.random.SeedSequence(seed))
