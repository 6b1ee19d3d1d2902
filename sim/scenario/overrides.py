"""``--set key.path=value`` overrides, applied to the raw YAML data before validation.

The key path has dots and ``[i]`` indexes (``hazards[0].release.rate_kg_s``);
the value is read as a YAML scalar or flow value (``2h``, ``0.6``, ``[1, 2]``,
``{x: 1, y: 2}``). A missing mapping key on the way is created (validation
then judges the result); an index out of range, or a step through a value
that is not a mapping (or a list, for an index), is an error naming the
override.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

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


def apply_overrides(data: Any, overrides: Sequence[str | Override]) -> Any:
    """Return a copy of ``data`` with the overrides applied, in order.

    Parameters
    ----------
    data
        The raw scenario (a mapping, as read from YAML); not modified.
    overrides
        ``key.path=value`` strings or :class:`Override` objects.

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
        message = _apply(out, override)
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


def _apply(root: Any, override: Override) -> str | None:
    """Apply one override in place; return what is wrong, or None."""
    node = root
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
            if node.get(part) is None:
                node[part] = {}
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
            node = node[part]
    return None  # pragma: no cover - loc is never empty
