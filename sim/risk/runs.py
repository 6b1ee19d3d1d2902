"""Full citysim runs of one hazard on the base scenario of a risk file.

:func:`hazard_runs` makes the :class:`~citysim.experiments.runs.RunSpec` of
the base scenario (with a what-if variant's overrides first) with
``hazards`` set to one block, ``run.duration`` given, the base seed and no
figures, one per replication: run ``r`` is replication ``r`` of ``citysim
run`` on that scenario (dynamics from ``SeedSequence(seed).spawn(R)[r]``,
:mod:`citysim.rng`), as a batch's. Its id is content-derived
(:func:`citysim.experiments.runs.run_id`), so a run an earlier attempt
finished is found and not made again. Used by the dynamic chemical runs
(:mod:`citysim.risk.dynamic`) and the fire runs (:mod:`citysim.risk.fire`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from citysim.experiments.runs import RunSpec, run_id
from citysim.io.data_sources import file_sha256, input_files
from citysim.scenario import Override, load_scenario

__all__ = ["hazard_runs"]


def hazard_runs(base: Path, block: dict[str, Any], duration_s: float, *,
                overrides: tuple[Override, ...] = (), replications: int = 1) -> list[RunSpec]:
    """The runs of the scenario ``base`` with ``block`` as its only hazard (module doc).

    Parameters
    ----------
    base
        The base scenario file.
    block
        The hazard block (``type: ...``) in the scenario's frame.
    duration_s
        Simulated time of each run (s).
    overrides
        Applied before the run's own (a variant's added shelters and stations).
    replications
        How many runs: replications ``0 .. replications - 1``.
    """
    seed = int(load_scenario(base, overrides=overrides).run.seed)
    mine = (*overrides, Override.of("hazards", [block]),
            Override.of("run.duration", float(duration_s)), Override.of("run.replications", 1),
            Override.of("run.seed", seed), Override.of("outputs.plots", False))
    scenario = load_scenario(base, overrides=mine)
    inputs = [file_sha256(path) for path in input_files(scenario)]
    resolved = scenario.resolved()
    return [RunSpec(run_id(resolved, inputs, replication=r), str(base), mine, seed,
                    replication=r) for r in range(replications)]
