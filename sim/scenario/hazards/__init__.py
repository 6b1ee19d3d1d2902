"""The YAML schemas of the built-in hazard types, one module per type.

Importing this package registers them (:func:`citysim.scenario.hazard.register_hazard`);
:mod:`citysim.scenario` does, so they are known wherever a scenario is. The
classes that simulate them are in :mod:`citysim.hazards`.
"""

from citysim.scenario.hazards import chemical, closure, fire, flood  # noqa: F401  (registers them)
