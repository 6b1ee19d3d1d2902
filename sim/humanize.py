"""Numbers and times in words for people: clocks, counts, shares, minutes."""

from __future__ import annotations

import math
import re
from typing import Any, TypeGuard

__all__ = ["clock", "is_number", "minutes", "number", "parse_clock", "percent"]

_CLOCK = re.compile(r"^\s*(?:T\+)?\s*(?:(\d+):)?(\d+):(\d+(?:\.\d*)?)\s*$")


def is_number(value: Any) -> TypeGuard[float]:
    """Whether ``value`` is a finite real number (not a bool, not None, not NaN)."""
    if isinstance(value, bool) or value is None:
        return False
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def clock(t_s: float) -> str:
    """Scenario time as ``hh:mm:ss`` from the start of the run (rounded to the second).

    Parameters
    ----------
    t_s
        Time since the start (s), >= 0.

    Returns
    -------
    str
        ``01:05:00``; hours go past 24 (``27:00:00``); ``—`` when not a number.
    """
    if not is_number(t_s):
        return "—"
    total = int(round(float(t_s)))
    sign = "-" if total < 0 else ""
    total = abs(total)
    return f"{sign}{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def parse_clock(text: str) -> float:
    """Read a scenario time written ``hh:mm:ss``, ``mm:ss``, ``T+hh:mm:ss`` or seconds.

    Parameters
    ----------
    text
        What an exercise controller typed.

    Returns
    -------
    float
        Seconds since the start of the run.

    Raises
    ------
    ValueError
        When the text is none of these forms.
    """
    stripped = str(text).strip()
    match = _CLOCK.match(stripped)
    if match is not None:
        hours, mins, secs = match.groups()
        if (hours is not None and int(mins) >= 60) or float(secs) >= 60:
            raise ValueError(f"expected minutes and seconds below 60, got {text!r}")
        return int(hours or 0) * 3600.0 + int(mins) * 60.0 + float(secs)
    try:
        value = float(stripped)
    except ValueError:
        raise ValueError(f"expected a time hh:mm:ss, mm:ss or seconds, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"expected a time >= 0, got {text!r}")
    return value


def number(value: Any, digits: int = 3) -> str:
    """A number for a table: thousands separated, about ``digits`` significant figures."""
    if not is_number(value):
        return "—"
    v = float(value)
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    if abs(v) >= 10 ** (digits - 1):
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def percent(fraction: Any, digits: int = 1) -> str:
    """A share in [0, 1] as a percentage (``85.3 %``)."""
    if not is_number(fraction):
        return "—"
    return f"{100.0 * float(fraction):.{digits}f} %"


def minutes(t_s: Any) -> str:
    """A duration in seconds as minutes (``4.8 min``), hours beyond 3 h."""
    if not is_number(t_s):
        return "—"
    v = float(t_s)
    if abs(v) >= 3 * 3600:
        return f"{v / 3600:.1f} h"
    return f"{v / 60:.1f} min"
