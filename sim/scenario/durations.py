"""Durations: a number of seconds, or a string such as ``"1h30min"``.

>>> parse_duration("1h30min")
5400.0
>>> parse_duration(90)
90.0
>>> format_duration(5400)
'1h30min'
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import PlainValidator

from citysim.scenario.base import describe_value, error

__all__ = [
    "DURATION_FORMS",
    "Duration",
    "PositiveDuration",
    "format_duration",
    "parse_duration",
]

#: The accepted forms, as shown in error messages.
DURATION_FORMS = (
    'seconds as a number, or a string like "90s", "15min", "2h", "1h30min", "1.5h", "2d" '
    "(units: d, h, min, s)"
)

_UNITS: dict[str, float] = {
    "d": 86400.0,
    "day": 86400.0,
    "days": 86400.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hrs": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
}
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_PLAIN = re.compile(rf"[+-]?{_NUMBER}")
_PART = re.compile(rf"\s*({_NUMBER})\s*([A-Za-z]+)")


def parse_duration(value: Any) -> float:
    """Parse a duration to seconds.

    Parameters
    ----------
    value
        A number of seconds (int or float, not bool), or a string: a plain
        number (``"90"``), or one or more number+unit parts in decreasing
        unit order (``"90s"``, ``"15min"``, ``"2h"``, ``"1h30min"``,
        ``"1.5h"``, ``"2d"``), optionally signed. Units: ``d``, ``h``,
        ``min``, ``s`` (and the spelled-out forms ``day(s)``, ``hr(s)``,
        ``hour(s)``, ``min(s)``, ``minute(s)``, ``sec(s)``, ``second(s)``).
        ``m`` is not accepted (minutes or months?).

    Returns
    -------
    float
        Seconds; may be negative when the input is (callers reject those).

    Raises
    ------
    ValueError
        On anything else; the message lists the accepted forms.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected a duration: {DURATION_FORMS}; got {describe_value(value)}")
    if isinstance(value, str):
        seconds = _parse_text(value)
    else:
        try:
            seconds = float(value)
        except OverflowError:
            seconds = math.inf
    if not math.isfinite(seconds):
        raise ValueError(f"expected a finite duration, got {describe_value(value)}")
    return seconds


def _parse_text(text: str) -> float:
    bad = ValueError(f"expected a duration: {DURATION_FORMS}; got {describe_value(text)}")
    body = text.strip()
    if _PLAIN.fullmatch(body):
        return float(body)
    sign = 1.0
    if body[:1] in "+-" and body:
        sign = -1.0 if body[0] == "-" else 1.0
        body = body[1:]
    total = 0.0
    last_unit = math.inf
    pos = 0
    while pos < len(body):
        match = _PART.match(body, pos)
        if match is None:
            raise bad
        number, unit = match.groups()
        size = _UNITS.get(unit.lower())
        if size is None or size >= last_unit:
            raise bad
        total += float(number) * size
        last_unit = size
        pos = match.end()
        while pos < len(body) and body[pos].isspace():
            pos += 1
    if last_unit == math.inf:
        raise bad
    return sign * total


def format_duration(seconds: float) -> str:
    """Write seconds as a short duration string (``5400`` -> ``"1h30min"``).

    Parameters
    ----------
    seconds
        A duration in seconds.
    """
    if not math.isfinite(seconds):
        return str(seconds)
    sign = "-" if seconds < 0 else ""
    rest = abs(seconds)
    if rest != int(rest):
        return f"{sign}{rest:g}s"
    rest = int(rest)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return sign + ("".join(parts) or "0s")


def _validator(*, positive: bool):
    bound = "> 0" if positive else ">= 0"

    def validate(value: Any) -> float:
        try:
            seconds = parse_duration(value)
        except ValueError as exc:
            raise error(str(exc)) from None
        if seconds < 0 or (positive and seconds == 0):
            raise error(f"expected a duration {bound}, got {describe_value(value)}")
        return seconds

    return validate


#: A duration >= 0, in seconds once loaded.
Duration = Annotated[float, PlainValidator(_validator(positive=False))]
#: A duration > 0, in seconds once loaded.
PositiveDuration = Annotated[float, PlainValidator(_validator(positive=True))]
