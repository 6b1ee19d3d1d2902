"""From pydantic's validation errors to :class:`~citysim.errors.Problem` s a user can act on.

Each error gets the YAML path of the offending value (``hazards[0].release.rate_kg_s``)
and a message that says what was expected, in our words rather than pydantic's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from citysim.errors import Problem
from citysim.scenario.base import SCENARIO_ERROR, closest, describe_value

__all__ = ["Loc", "error_message", "format_path", "parse_path", "problems_from_error"]

Loc = tuple[str | int, ...]

_PATH = re.compile(r"[^.\[\]]+(?:\.[^.\[\]]+|\[\d+\])*")
_PATH_TOKEN = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def format_path(loc: Sequence[str | int]) -> str:
    """Write a location as a YAML path: ``("hazards", 0, "release")`` -> ``hazards[0].release``.

    A string part that starts with ``[`` (such as ``"[row 3]"``) is appended as is.
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith("["):
            out += part
        elif out:
            out += "." + part
        else:
            out = part
    return out


def parse_path(path: str) -> Loc:
    """Split a YAML path into its parts: ``hazards[0].release`` -> ``("hazards", 0, "release")``.

    Raises
    ------
    ValueError
        When ``path`` is not a dotted path of keys with ``[i]`` indexes.
    """
    text = path.strip()
    if not _PATH.fullmatch(text):
        raise ValueError(
            f"expected a path such as behaviour.compliance or hazards[0].type, got {path!r}"
        )
    return tuple(int(index) if index else key for index, key in _PATH_TOKEN.findall(text))


def _num(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def error_message(err: ErrorDetails) -> str:
    """Return a human message for one pydantic error: what was expected, what was given."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    got = describe_value(value)
    if kind == SCENARIO_ERROR:
        return err["msg"]
    if kind == "missing":
        return "required key is missing"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {got}"
    if kind in ("float_type", "float_parsing"):
        return f"expected a number, got {got}"
    if kind == "finite_number":
        return f"expected a finite number, got {got}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {got}"
    if kind == "string_type":
        hint = " (put it in quotes)" if isinstance(value, (int, float)) else ""
        return f"expected text, got {got}{hint}"
    if kind == "string_too_short":
        return "expected non-empty text"
    if kind == "string_pattern_mismatch":
        return f"expected text matching {ctx.get('pattern')}, got {got}"
    bounds = {
        "greater_than": (">", "gt"),
        "greater_than_equal": (">=", "ge"),
        "less_than": ("<", "lt"),
        "less_than_equal": ("<=", "le"),
    }
    if kind in bounds:
        op, key = bounds[kind]
        return f"expected a value {op} {_num(ctx.get(key))}, got {got}"
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        choices = re.findall(r"'([^']*)'", expected)
        message = f"expected one of: {', '.join(choices) or expected}, got {got}"
        guess = closest(value, choices)
        if guess is not None:
            message += f"; did you mean {guess!r}?"
        return message
    if kind in ("list_type", "tuple_type", "iterable_type", "set_type"):
        return f"expected a list, got {got}"
    if kind == "too_short":
        n = ctx.get("min_length")
        return f"expected at least {n} item{'s' if n != 1 else ''}, got {ctx.get('actual_length')}"
    if kind == "too_long":
        n = ctx.get("max_length")
        return f"expected at most {n} item{'s' if n != 1 else ''}, got {ctx.get('actual_length')}"
    if kind in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        return f"expected a mapping, got {got}"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", err["msg"]))
    if kind == "recursion_loop":
        return "the value refers to itself (a recursive YAML alias?)"
    if kind == "extra_forbidden":
        return "unknown key"
    return f"{err['msg']} (got {got})"


def problems_from_error(
    exc: ValidationError,
    *,
    line_of: Callable[[Loc], int | None] | None = None,
    prefix: Loc = (),
) -> list[Problem]:
    """Convert every error of ``exc`` into a :class:`~citysim.errors.Problem`.

    Parameters
    ----------
    exc
        A validation error of a scenario model.
    line_of
        Maps a location to its 1-based line in the YAML file, when known.
    prefix
        Location of the validated value in the whole document.
    """
    problems = []
    for err in exc.errors():
        loc = prefix + tuple(err["loc"])
        line = line_of(loc) if line_of is not None else None
        problems.append(Problem(format_path(loc), error_message(err), line))
    return problems
