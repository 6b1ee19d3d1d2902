"""Hazards: one module per hazard, each registered by its YAML ``type``.

Importing this package registers the simulation models of the built-in
hazards (flood, chemical leak, fire, road closure); their YAML schemas are
registered by :mod:`citysim.scenario.hazards`. A plugin hazard registers both,
with the functions exported here (see :mod:`citysim.hazards.registry`).
"""

from citysim.hazards import chemical, closure, fire, flood  # noqa: F401  (registers the built-ins)
from citysim.hazards.registry import hazard_model, register_hazard_model, runnable_hazards
from citysim.scenario.hazard import HazardConfig, hazard_config, known_hazards, register_hazard

__all__ = [
    "HazardConfig",
    "hazard_config",
    "hazard_model",
    "known_hazards",
    "register_hazard",
    "register_hazard_model",
    "runnable_hazards",
]
