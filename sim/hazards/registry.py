"""The registry of hazard simulation models: hazard type name -> the class that simulates it.

The YAML schema of a type (its config model) is registered in the scenario
layer, with :func:`citysim.scenario.hazard.register_hazard`; the class that
simulates it (a :class:`citysim.hazards.base.Hazard`) is registered here,
with :func:`register_hazard_model`, when it exists: a type can be valid in a
scenario before this version can simulate it. A plugin hazard does both::

    @register_hazard("sinkhole")
    class SinkholeConfig(HazardConfig): ...

    @register_hazard_model("sinkhole")
    class Sinkhole(Hazard): ...

Importing :mod:`citysim.hazards` imports the built-in hazard modules, so the
built-in types can be simulated once that package is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, overload

from citysim.hazards.base import Hazard
from citysim.scenario.hazard import full_name, hazard_config

__all__ = ["hazard_model", "register_for_type", "register_hazard_model", "runnable_hazards"]

T = TypeVar("T", bound=type[Hazard])
F = TypeVar("F", bound=Callable[..., Any])

_MODELS: dict[str, type[Hazard]] = {}


@overload
def register_hazard_model(type_name: str) -> Callable[[T], T]: ...
@overload
def register_hazard_model(type_name: str, model: T) -> T: ...
def register_hazard_model(type_name: str, model: T | None = None) -> T | Callable[[T], T]:
    """Register the class that simulates a hazard type (function or class decorator).

    Parameters
    ----------
    type_name
        A type already registered with :func:`citysim.scenario.hazard.register_hazard`.
    model
        The simulation class (a :class:`citysim.hazards.base.Hazard` subclass,
        built with ``from_config(cfg, world, rng)``).

    Raises
    ------
    KeyError
        When ``type_name`` has no config model.
    ValueError
        When another class is already registered for ``type_name``.
    """

    def register(cls: T) -> T:
        hazard_config(type_name)  # must be a known type
        current = _MODELS.get(type_name)
        if current is not None and full_name(current) != full_name(cls):
            raise ValueError(f"hazard type {type_name!r} already has the model {current!r}")
        _MODELS[type_name] = cls
        return cls

    if model is None:
        return register
    return register(model)


def hazard_model(type_name: str) -> type[Hazard] | None:
    """Return the class that simulates ``type_name``, or ``None`` when there is none yet."""
    return _MODELS.get(type_name)


def runnable_hazards() -> tuple[str, ...]:
    """Return the hazard types that have a simulation model, sorted."""
    return tuple(sorted(_MODELS))


def register_for_type(registry: dict[str, F], type_name: str, function: F, what: str) -> F:
    """Register what a hazard type brings besides its model (figures, GIS layers ...).

    Parameters
    ----------
    registry
        Hazard type name to function (e.g. ``citysim.plots.hazards.HAZARD_FIGURES``).
    type_name
        The hazard's YAML ``type``.
    function
        The function to register.
    what
        What the function makes, for the error message (``"figures"``).

    Returns
    -------
    callable
        ``function``, unchanged.

    Raises
    ------
    ValueError
        When another function is already registered for ``type_name``.
    """
    current = registry.get(type_name)
    if current is not None and current is not function:
        raise ValueError(f"hazard type {type_name!r} already has the {what} {current!r}")
    registry[type_name] = function
    return function
