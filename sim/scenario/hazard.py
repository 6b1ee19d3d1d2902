"""The hazard entries of a scenario: a common base and the registry of hazard types.

Each item of ``hazards:`` is a mapping with a ``type``; the config model
registered for that type validates the rest. A hazard type registers its YAML
schema here::

    @register_hazard("flood")
    class FloodConfig(HazardConfig):
        rain_mm_h: NonNegativeSeries = StepSeries.constant(0.0)
        ...

The schemas of the built-in types live in :mod:`citysim.scenario.hazards`,
which :mod:`citysim.scenario` imports, so the built-in types are known as soon
as any part of the scenario package is. The class that *simulates* a type is
registered apart, in the hazard layer
(:func:`citysim.hazards.registry.register_hazard_model`): a type can be valid
in a scenario before this version can simulate it.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any, ClassVar, TypeVar, overload

from pydantic import (
    BaseModel,
    PlainSerializer,
    PlainValidator,
    SerializationInfo,
    ValidationInfo,
    model_validator,
)

from citysim.scenario.base import (
    ConfigModel,
    closest,
    describe_value,
    error,
    line_error,
    raise_errors,
)

__all__ = ["HazardConfig", "HazardItem", "hazard_config", "known_hazards", "register_hazard"]


class HazardConfig(ConfigModel):
    """Base of every hazard's YAML block.

    Subclasses add their keys and are registered with :func:`register_hazard`,
    which sets :attr:`hazard_type`.

    Attributes
    ----------
    type
        The hazard type, as registered (``flood``, ``chemical_leak``, ``fire`` ...).
    hazard_type
        Class attribute: the registered type name.
    requires_city
        Class attribute: ``city`` sections this hazard cannot do without
        (e.g. ``("terrain",)`` for a flood); checked when a scenario loads.
    """

    hazard_type: ClassVar[str] = ""
    requires_city: ClassVar[tuple[str, ...]] = ()

    type: str

    @classmethod
    def model_for(cls, data: Mapping[str, Any]) -> builtins.type[BaseModel]:
        """Return the model registered for ``data["type"]`` (this one when unknown)."""
        name = data.get("type")
        return hazard_config(name) if isinstance(name, str) and name in known_hazards() else cls

    @model_validator(mode="after")
    def _check_type(self) -> HazardConfig:
        expected = type(self).hazard_type
        if expected and self.type != expected:
            raise_errors(
                type(self).__name__,
                [
                    line_error(
                        ("type",), f"expected type {expected!r}, got {self.type!r}", self.type
                    )
                ],
            )
        return self


C = TypeVar("C", bound=type[HazardConfig])

_NAME = re.compile(r"[a-z][a-z0-9_]*")
_REGISTRY: dict[str, type[HazardConfig]] = {}


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
        A :class:`HazardConfig` subclass.

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
        if current is not None and full_name(current) != full_name(model):
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


def full_name(cls: type) -> str:
    """``module.QualifiedName`` of a class: the same class imported twice has one name."""
    return f"{cls.__module__}.{cls.__qualname__}"


def _validate_hazard(value: Any, info: ValidationInfo) -> HazardConfig:
    if isinstance(value, HazardConfig):
        return value
    known = known_hazards()
    if not isinstance(value, dict):
        raise error(
            f"expected a hazard: a mapping with a type (one of: {', '.join(known)}), "
            f"got {describe_value(value)}"
        )
    if "type" not in value:
        raise_errors(
            "hazard",
            [
                line_error(
                    ("type",), f"missing: every hazard needs a type (one of: {', '.join(known)})"
                )
            ],
        )
    name = value["type"]
    if not isinstance(name, str) or name not in known:
        message = f"unknown hazard type {describe_value(name)} (known: {', '.join(known)})"
        guess = closest(name, known)
        if guess is not None:
            message += f"; did you mean {guess!r}?"
        raise_errors("hazard", [line_error(("type",), message, name)])
    return hazard_config(name).model_validate(value, context=info.context)


def _dump_hazard(value: HazardConfig, info: SerializationInfo) -> Any:
    return value.model_dump(mode=info.mode)


#: One item of ``hazards:``, validated by the model registered for its ``type``.
HazardItem = Annotated[
    HazardConfig, PlainValidator(_validate_hazard), PlainSerializer(_dump_hazard)
]
