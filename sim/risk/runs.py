"""Full citysim runs of one hazard on the base scenario of a risk file.

:func:`hazard_runs` makes the :class:`~citysim.experiments.runs.RunSpec` of
the base scenario (with a what-if variant's overrides first) with
``hazards`` set to one block (for each of a list of blocks), ``run.duration``
given, the base seed and no figures, one per replication: run ``r`` is
replication ``r`` of ``citysim run`` on that scenario (dynamics from
``SeedSequence(seed).spawn(R)[r]``, :mod:`citysim.rng`), as a batch's. Its id is content-derived
(:func:`citysim.experiments.runs.run_id`), so a run an earlier attempt
finished is found and not made again. Used by the dynamic chemical runs
(:mod:`citysim.risk.dynamic`) and the fire runs (:mod:`citysim.risk.fire`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from citysim.experiments.runs import RunSpec, run_id
from citysim.io.data_sources import file_sha256, input_files
from citysim.scenario import Override, load_scenario

__all__ = ["hazard_runs"]


def hazard_runs(base: Path, blocks: Sequence[dict[str, Any]], duration_s: float, *,
                overrides: tuple[Override, ...] = (),
                replications: int = 1) -> list[list[RunSpec]]:
    """The runs of the scenario ``base`` with each of ``blocks`` as its only hazard (module doc).

    The base scenario (for its seed) is loaded once and every input file is
    hashed once for all the blocks; each block's scenario is validated once.

    Parameters
    ----------
    base
        The base scenario file.
    blocks
        The hazard blocks (``type: ...``) in the scenario's frame.
    duration_s
        Simulated time of each run (s).
    overrides
        Applied before the run's own (a variant's added shelters and stations).
    replications
        How many runs per block: replications ``0 .. replications - 1``.

    Returns
    -------
    list of list of RunSpec
        One list per block, in the order of ``blocks``.
    """
    seed = int(load_scenario(base, overrides=overrides).run.seed)
    common = (Override.of("run.duration", float(duration_s)), Override.of("run.replications", 1),
              Override.of("run.seed", seed), Override.of("outputs.plots", False))
    hashes: dict[Path, str] = {}
    specs = []
    for block in blocks:
        mine = (*overrides, Override.of("hazards", [block]), *common)
        scenario = load_scenario(base, overrides=mine)
        files = input_files(scenario)
        hashes.update({path: file_sha256(path) for path in files if path not in hashes})
        inputs = [hashes[path] for path in files]
        resolved = scenario.resolved()
        specs.append([RunSpec(run_id(resolved, inputs, replication=r), str(base), mine, seed,
                              replication=r) for r in range(replications)])
    return specs
