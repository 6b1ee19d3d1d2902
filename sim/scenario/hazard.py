"""The hazard entries of a scenario: a common base and the registry lookup.

Each item of ``hazards:`` is a mapping with a ``type``; the config model
registered for that type (:mod:`citysim.hazards.registry`) validates the rest.
This module is the scenario side of that contract; the registry lives with
the hazards, which build on the scenario types, so it is looked up when a
scenario is validated rather than imported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

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

__all__ = ["HazardConfig", "HazardItem"]


class HazardConfig(ConfigModel):
    """Base of every hazard's YAML block.

    Subclasses add their keys and are registered with
    :func:`citysim.hazards.registry.register_hazard`, which sets :attr:`hazard_type`.

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
    def model_for(cls, data: Mapping[str, Any]) -> type[BaseModel]:
        """Return the model registered for ``data["type"]`` (this one when unknown)."""
        from citysim.hazards.registry import hazard_config, known_hazards

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


def _validate_hazard(value: Any, info: ValidationInfo) -> HazardConfig:
    # Deferred import: citysim.hazards builds on citysim.scenario (and importing the
    # package registers the built-in hazards).
    from citysim.hazards.registry import hazard_config, known_hazards

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
