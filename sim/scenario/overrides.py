"""``--set key.path=value`` overrides, applied to the raw YAML data before validation.

The key path has dots and ``[i]`` indexes (``hazards[0].release.rate_kg_s``);
the value is read as a YAML scalar or flow value (``2h``, ``0.6``, ``[1, 2]``,
``{x: 1, y: 2}``). A missing mapping key on the way is filled with its
default from the schema (``--set response.service_time.median=30min`` keeps
the default distribution's ``dist`` and ``sigma``), or created empty where the
schema has no mapping default there; validation then judges the result. An
index out of range, or a step through a value that is not a mapping (or a
list, for an index), is an error naming the override.
"""

from __future__ import annotations

import copy
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import BaseModel

from citysim.errors import Problem, ScenarioError
from citysim.scenario.problems import Loc, format_path, parse_path
from citysim.scenario.yamlio import safe_load

__all__ = ["Override", "apply_overrides", "parse_override"]


@dataclass(frozen=True)
class Override:
    """One override.

    Attributes
    ----------
    loc
        The key path, split: ``("hazards", 0, "release", "rate_kg_s")``.
    value
        The new value (already parsed).
    text
        How it is recorded in provenance: ``key.path=value``.
    """

    loc: Loc
    value: Any
    text: str

    @property
    def path(self) -> str:
        """The key path as written (``hazards[0].release.rate_kg_s``)."""
        return format_path(self.loc)

    @classmethod
    def of(cls, path: str, value: Any) -> Override:
        """Build an override from a path and an already-parsed value (for code, not CLIs).

        Raises
        ------
        ScenarioError
            When ``path`` is not a valid key path.
        """
        loc = _parse_loc(path, f"{path}=...")
        try:
            shown = yaml.safe_dump(value, default_flow_style=True, width=10**9).strip()
            shown = shown.removesuffix("...").strip()
        except yaml.YAMLError:
            shown = repr(value)
        return cls(loc, value, f"{format_path(loc)}={shown}")


def _parse_loc(path: str, text: str) -> Loc:
    try:
        return parse_path(path)
    except ValueError as exc:
        raise ScenarioError([Problem(path.strip(), f"in override {text!r}: {exc}")]) from None


def parse_override(text: str) -> Override:
    """Parse ``key.path=value``.

    Raises
    ------
    ScenarioError
        When there is no ``=``, the path is malformed, or the value is not
        valid YAML.
    """
    if not isinstance(text, str) or "=" not in text:
        raise ScenarioError(
            [
                Problem(
                    "", f"override {text!r}: expected key.path=value, e.g. behaviour.compliance=0.6"
                )
            ]
        )
    path, _, raw = text.partition("=")
    loc = _parse_loc(path, text)
    try:
        value = safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(
            [
                Problem(
                    format_path(loc),
                    f"in override {text!r}: the value is not valid YAML ({problem})",
                )
            ]
        ) from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise ScenarioError(
            [Problem(format_path(loc), f"in override {text!r}: cannot read the value ({exc})")]
        ) from None
    return Override(loc, value, text.strip())


def apply_overrides(
    data: Any, overrides: Sequence[str | Override], model: type[BaseModel] | None = None
) -> Any:
    """Return a copy of ``data`` with the overrides applied, in order.

    Parameters
    ----------
    data
        The raw scenario (a mapping, as read from YAML); not modified.
    overrides
        ``key.path=value`` strings or :class:`Override` objects.
    model
        The schema ``data`` is validated with (the loader passes
        :class:`~citysim.scenario.Scenario`): a key missing on an override's
        path is filled with that field's default, when the default is a
        mapping, so the override changes one key of it; ``None``: created empty.

    Raises
    ------
    ScenarioError
        Naming every override that cannot be applied.
    """
    parsed = [o if isinstance(o, Override) else parse_override(o) for o in overrides]
    if not parsed:
        return data
    try:
        out = copy.deepcopy(data)
    except RecursionError:
        raise ScenarioError([Problem("", "the data is nested too deeply")]) from None
    problems = []
    for override in parsed:
        message = _apply(out, override, model)
        if message is not None:
            problems.append(Problem(override.path, f"in override {override.text!r}: {message}"))
    if problems:
        raise ScenarioError(problems)
    return out


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    return f"a {type(value).__name__} ({value!r})"[:80]


def _strip(annotation: Any) -> Any:
    """Return ``annotation`` without ``Annotated`` and ``None`` (``X | None`` is ``X``)."""
    while True:
        if typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if typing.get_origin(annotation) in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return None  # a choice of forms: no single schema to follow
            annotation = members[0]
            continue
        return annotation


def _model(annotation: Any, node: Any) -> type[BaseModel] | None:
    """Return the model that validates ``node`` under ``annotation``, if there is one."""
    annotation = _strip(annotation)
    if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        return None
    choose = getattr(annotation, "model_for", None)
    return choose(node) if choose is not None and isinstance(node, Mapping) else annotation


def _child(annotation: Any, node: Any, part: str | int) -> tuple[Any, Any]:
    """Return the annotation of ``node[part]`` and its schema default (``None``: none)."""
    model = _model(annotation, node)
    if model is not None:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        if field is None or field.is_required():
            return (field.annotation if field is not None else None), None
        default = field.get_default(call_default_factory=True)
        if isinstance(default, BaseModel):
            # only what differs from the model's own defaults: validates back to ``default``
            default = default.model_dump(mode="json", exclude_defaults=True)
        return field.annotation, copy.deepcopy(default) if isinstance(default, dict) else None
    annotation = _strip(annotation)
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if isinstance(part, int) and origin in (tuple, list) and args:
        return args[0], None
    if isinstance(part, str) and origin in (dict, Mapping) and len(args) == 2:
        return args[1], None
    return None, None


def _apply(root: Any, override: Override, model: type[BaseModel] | None) -> str | None:
    """Apply one override in place; return what is wrong, or None."""
    node = root
    schema: Any = model
    loc = override.loc
    for depth, part in enumerate(loc):
        last = depth == len(loc) - 1
        here = format_path(loc[:depth]) or "the top level"
        if isinstance(part, str):
            if not isinstance(node, dict):
                return f"cannot set key {part!r}: {here} is {_kind(node)}, not a mapping"
            if last:
                node[part] = copy.deepcopy(override.value)
                return None
            schema, default = _child(schema, node, part)
            if node.get(part) is None:
                node[part] = default if default is not None else {}
            node = node[part]
        else:
            if not isinstance(node, list):
                return f"cannot index [{part}]: {here} is {_kind(node)}, not a list"
            if part >= len(node):
                n = len(node)
                return f"index [{part}] out of range: {here} has {n} item{'s' if n != 1 else ''}"
            if last:
                node[part] = copy.deepcopy(override.value)
                return None
            schema, _ = _child(schema, node, part)
            node = node[part]
    return None  # pragma: no cover - loc is never empty
