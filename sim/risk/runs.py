"""Full citysim runs of one hazard on the base scenario of a risk file.

:func:`hazard_run` makes the :class:`~citysim.experiments.runs.RunSpec` of
the base scenario with ``hazards`` set to one block, ``run.duration`` given,
one replication at the base seed and no figures; its id is content-derived
(:func:`citysim.experiments.runs.run_id`), so a run an earlier attempt
finished is found and not made again (the fire runs of :mod:`citysim.risk.fire`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from citysim.experiments.runs import RunSpec, run_id
from citysim.io.data_sources import file_sha256, input_files
from citysim.scenario import Override, load_scenario

__all__ = ["hazard_run"]


def hazard_run(base: Path, block: dict[str, Any], duration_s: float) -> RunSpec:
    """The run of the base scenario ``base`` with ``block`` as its only hazard (module doc)."""
    seed = int(load_scenario(base).run.seed)
    overrides = (Override.of("hazards", [block]), Override.of("run.duration", float(duration_s)),
                 Override.of("run.replications", 1), Override.of("run.seed", seed),
                 Override.of("outputs.plots", False))
    scenario = load_scenario(base, overrides=overrides)
    inputs = [file_sha256(path) for path in input_files(scenario)]
    return RunSpec(run_id(scenario.resolved(), inputs), str(base), overrides, seed)
