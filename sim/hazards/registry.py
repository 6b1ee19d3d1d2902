"""The hazard registry: hazard type name -> config model, and simulation model.

A hazard module registers its YAML schema when it is imported::

    @register_hazard("flood")
    class FloodConfig(HazardConfig):
        rain_mm_h: NonNegativeSeries = StepSeries.constant(0.0)
        ...

The class that simulates a type (a :class:`citysim.hazards.base.Hazard`) is
registered separately, with :func:`register_hazard_model`, when it exists: a
type can be valid in a scenario before this version can simulate it.

Importing :mod:`citysim.hazards` imports the built-in hazard modules, so the
built-in types are always known once this module is importable.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar, overload

from citysim.scenario.hazard import HazardConfig

__all__ = [
    "HazardConfig",
    "hazard_config",
    "hazard_model",
    "known_hazards",
    "register_hazard",
    "register_hazard_model",
    "runnable_hazards",
]

C = TypeVar("C", bound=type[HazardConfig])
T = TypeVar("T", bound=type)

_NAME = re.compile(r"[a-z][a-z0-9_]*")
_REGISTRY: dict[str, type[HazardConfig]] = {}
_MODELS: dict[str, type] = {}


@overload
def register_hazard(type_name: str) -> Callable[[C], C]: ...
@overload
def register_hazard(type_name: str, config_model: C) -> C: ...
def register_hazard(type_name: str, config_model: C | None = None) -> C | Callable[[C], C]:
    """Register the config model of a hazard type.

    Use as ``register_hazard("flood", FloodConfig)`` or as a class decorator
    ``@register_hazard("flood")``.

    Parameters
    ----------
    type_name
        The YAML ``type`` (lowercase letters, digits, ``_``; starts with a letter).
    config_model
        A :class:`~citysim.scenario.hazard.HazardConfig` subclass.

    Returns
    -------
    type or callable
        The model (function form), or a decorator that registers and returns it.

    Raises
    ------
    ValueError
        On a bad name, or a name already registered to another model.
    TypeError
        When ``config_model`` is not a ``HazardConfig`` subclass.
    """

    def register(model: C) -> C:
        if not _NAME.fullmatch(type_name):
            raise ValueError(f"bad hazard type name {type_name!r}: use [a-z][a-z0-9_]*")
        if not (isinstance(model, type) and issubclass(model, HazardConfig)):
            raise TypeError(f"{model!r} is not a HazardConfig subclass")
        current = _REGISTRY.get(type_name)
        if current is not None and _full_name(current) != _full_name(model):
            raise ValueError(f"hazard type {type_name!r} is already registered to {current!r}")
        model.hazard_type = type_name
        _REGISTRY[type_name] = model
        return model

    if config_model is None:
        return register
    return register(config_model)


def hazard_config(type_name: str) -> type[HazardConfig]:
    """Return the config model registered for ``type_name``.

    Raises
    ------
    KeyError
        For an unknown type; the message lists the known ones.
    """
    try:
        return _REGISTRY[type_name]
    except KeyError:
        raise KeyError(
            f"unknown hazard type {type_name!r} (known: {', '.join(known_hazards())})"
        ) from None


def known_hazards() -> tuple[str, ...]:
    """Return the registered hazard type names, sorted."""
    return tuple(sorted(_REGISTRY))


def register_hazard_model(type_name: str, model: T | None = None) -> T | Callable[[T], T]:
    """Register the class that simulates a hazard type (function or class decorator).

    Parameters
    ----------
    type_name
        A type already registered with :func:`register_hazard`.
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
        if current is not None and _full_name(current) != _full_name(cls):
            raise ValueError(f"hazard type {type_name!r} already has the model {current!r}")
        _MODELS[type_name] = cls
        return cls

    if model is None:
        return register
    return register(model)


def hazard_model(type_name: str) -> type | None:
    """Return the class that simulates ``type_name``, or ``None`` when there is none yet."""
    return _MODELS.get(type_name)


def runnable_hazards() -> tuple[str, ...]:
    """Return the hazard types that have a simulation model, sorted."""
    return tuple(sorted(_MODELS))


def _full_name(model: type) -> str:
    return f"{model.__module__}.{model.__qualname__}"
