"""Hazards: one module per hazard, each registered by its YAML ``type``.

Importing this package registers the built-in hazards (flood, chemical leak,
fire); see :mod:`citysim.hazards.registry`.
"""

from citysim.hazards import chemical, closure, fire, flood  # noqa: F401  (registers the built-ins)
from citysim.hazards.registry import (
    HazardConfig,
    hazard_config,
    hazard_model,
    known_hazards,
    register_hazard,
    register_hazard_model,
    runnable_hazards,
)

__all__ = [
    "HazardConfig",
    "hazard_config",
    "hazard_model",
    "known_hazards",
    "register_hazard",
    "register_hazard_model",
    "runnable_hazards",
]
