"""Step series: a value that changes at given times (rain intensity, inflow).

Written in YAML as a constant number (``rain_mm_h: 20``) or a list of
``[time, value]`` pairs with strictly increasing times
(``rain_mm_h: [[0, 0], [1h, 50], [2h, 201.9], [3h, 20]]``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import numpy as np
from pydantic import AfterValidator, GetCoreSchemaHandler, ValidationError
from pydantic_core import ErrorDetails, InitErrorDetails, core_schema

from citysim.scenario.base import (
    Float,
    describe_value,
    error,
    line_error,
    raise_errors,
    rebuild_error,
)
from citysim.scenario.durations import Duration, format_duration

__all__ = ["NonNegativeSeries", "StepSeries"]

_FORM = "a number, or a list of [time, value] pairs such as [[0, 0], [1h, 50]]"


class StepSeries:
    """A piecewise-constant function of time.

    The value given at ``t_s[i]`` holds until ``t_s[i + 1]`` (and after the
    last time, for ever). Before the first time the value is 0: a series
    ``[[1h, 50]]`` starts at 1 h. A constant is the single pair ``(0, c)``.

    Parameters
    ----------
    t_s
        Times (s), strictly increasing, >= 0.
    value
        The value from each time on, same length as ``t_s``.

    Attributes
    ----------
    t_s : numpy.ndarray
        Times (s), float64, read-only.
    value : numpy.ndarray
        Values, float64, read-only.
    """

    __slots__ = ("t_s", "value")

    t_s: np.ndarray
    value: np.ndarray

    def __init__(self, t_s: Sequence[float] | np.ndarray, value: Sequence[float] | np.ndarray):
        times = np.array(t_s, dtype=np.float64)
        values = np.array(value, dtype=np.float64)
        if times.ndim != 1 or times.shape != values.shape or times.size == 0:
            raise ValueError("t_s and value must be non-empty 1-D sequences of the same length")
        if not (np.all(np.isfinite(times)) and np.all(np.isfinite(values))):
            raise ValueError("times and values must be finite")
        if times[0] < 0 or np.any(np.diff(times) <= 0):
            raise ValueError("times must be >= 0 and strictly increasing")
        times.flags.writeable = False
        values.flags.writeable = False
        object.__setattr__(self, "t_s", times)
        object.__setattr__(self, "value", values)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("StepSeries is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (StepSeries, (self.t_s.tolist(), self.value.tolist()))

    @classmethod
    def constant(cls, value: float) -> StepSeries:
        """Return the series that is ``value`` from t = 0 on."""
        return cls([0.0], [value])

    @property
    def is_constant(self) -> bool:
        """Whether the series is one value from t = 0 on."""
        return self.t_s.size == 1 and self.t_s[0] == 0.0

    def value_at(self, t_s: float | np.ndarray) -> float | np.ndarray:
        """Return the value at time(s) ``t_s`` (s): the last value set at or before it.

        Parameters
        ----------
        t_s
            A time or an array of times (s).

        Returns
        -------
        float or numpy.ndarray
            The value(s); 0 before the first time.
        """
        t = np.asarray(t_s, dtype=np.float64)
        idx = np.searchsorted(self.t_s, t, side="right") - 1
        out = np.where(idx >= 0, self.value[np.clip(idx, 0, None)], 0.0)
        if out.ndim == 0:
            return float(out)
        return out

    def max(self) -> float:
        """Return the largest value the series takes (0 counts if it starts after t = 0)."""
        top = float(self.value.max())
        return top if self.t_s[0] == 0.0 else max(top, 0.0)

    def to_yaml(self) -> float | list[list[float]]:
        """Return the YAML form: a number for a constant, else ``[[t_s, value], ...]``."""
        if self.is_constant:
            return float(self.value[0])
        return [[float(t), float(v)] for t, v in zip(self.t_s, self.value, strict=True)]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StepSeries):
            return NotImplemented
        return bool(np.array_equal(self.t_s, other.t_s) and np.array_equal(self.value, other.value))

    def __hash__(self) -> int:
        return hash((self.t_s.tobytes(), self.value.tobytes()))

    def __repr__(self) -> str:
        return f"StepSeries({self.to_yaml()!r})"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        pairs = handler.generate_schema(list[tuple[Duration, Float]])
        return core_schema.no_info_wrap_validator_function(
            cls._validate,
            pairs,
            serialization=core_schema.plain_serializer_function_ser_schema(cls.to_yaml),
        )

    @classmethod
    def _validate(cls, value: Any, handler: Any) -> StepSeries:
        if isinstance(value, StepSeries):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                return cls.constant(float(value))
            except (ValueError, OverflowError):
                raise error(f"expected a finite number, got {describe_value(value)}") from None
        if not isinstance(value, (list, tuple)):
            raise error(f"expected {_FORM}, got {describe_value(value)}")
        if not value:
            raise error(f"expected {_FORM}, got an empty list")
        try:
            points = handler(value)
        except ValidationError as exc:
            raise_errors("StepSeries", [_pair_error(e) for e in exc.errors()])
        problems = []
        for i in range(1, len(points)):
            if points[i][0] <= points[i - 1][0]:
                problems.append(
                    line_error(
                        (i, 0),
                        "times must increase strictly: "
                        f"{format_duration(points[i][0])} follows "
                        f"{format_duration(points[i - 1][0])}",
                        value[i][0] if isinstance(value[i], (list, tuple)) else value[i],
                    )
                )
        if problems:
            raise_errors("StepSeries", problems)
        return cls([p[0] for p in points], [p[1] for p in points])


def _pair_error(err: ErrorDetails) -> InitErrorDetails:
    """Say "a [time, value] pair" where pydantic would say "a valid tuple"."""
    loc = tuple(err["loc"])
    if len(loc) == 1 and err["type"] in ("tuple_type", "list_type", "too_short", "too_long"):
        got = err.get("input")
        return line_error(loc, f"expected a [time, value] pair, got {describe_value(got)}", got)
    return rebuild_error(err)


def _non_negative(series: StepSeries) -> StepSeries:
    bad = np.flatnonzero(series.value < 0)
    if bad.size:
        if series.is_constant:
            raise error(f"expected a value >= 0, got {series.value[0]:g}")
        raise_errors(
            "StepSeries",
            [
                line_error((int(i), 1), f"expected a value >= 0, got {series.value[i]:g}")
                for i in bad
            ],
        )
    return series


#: A step series whose values are all >= 0.
NonNegativeSeries = Annotated[StepSeries, AfterValidator(_non_negative)]
