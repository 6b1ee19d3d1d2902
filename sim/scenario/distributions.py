"""Probability distributions of a parameter (walking speed, response delay ...).

Written ``{dist: NAME, <parameters>, min: .., max: ..}``:

=============  ======================  =====================================
dist           parameters              meaning
=============  ======================  =====================================
fixed          value                   always ``value``
normal         mean, sd                sd >= 0
lognormal      median, sigma           ``exp(N(ln median, sigma))``; median > 0, sigma >= 0
exponential    mean                    mean > 0
uniform        low, high               low <= high
weibull        shape, scale            ``scale * Weibull(shape)``; both > 0
=============  ======================  =====================================

``min``/``max`` (optional, ``min < max``) truncate. A bare number is a
fixed distribution. :class:`DurationDistribution` is the same with
duration-valued parameters (``median: 10min``), stored in seconds.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import model_validator
from pydantic_core import InitErrorDetails

from citysim.scenario.base import (
    Float,
    OmitNoneModel,
    describe_value,
    error,
    line_error,
    raise_errors,
)
from citysim.scenario.durations import Duration, parse_duration

__all__ = [
    "PARAMETERS",
    "TRUNCATION_ROUNDS",
    "DistName",
    "Distribution",
    "DurationDistribution",
]

DistName = Literal["fixed", "normal", "lognormal", "exponential", "uniform", "weibull"]

#: The parameters each distribution takes (besides the optional min/max).
PARAMETERS: dict[str, tuple[str, ...]] = {
    "fixed": ("value",),
    "normal": ("mean", "sd"),
    "lognormal": ("median", "sigma"),
    "exponential": ("mean",),
    "uniform": ("low", "high"),
    "weibull": ("shape", "scale"),
}

#: Truncated draws outside [min, max] are redrawn this many times, then clipped.
TRUNCATION_ROUNDS = 20

_DISTS = ", ".join(PARAMETERS)


class Distribution(OmitNoneModel):
    """A distribution of a number; see the module docstring for the forms.

    Attributes
    ----------
    dist
        The family name.
    value, mean, sd, median, sigma, low, high, shape, scale
        Parameters; only those of :attr:`dist` are set, the rest are ``None``.
    min, max
        Optional truncation bounds.
    """

    yaml_form: ClassVar[str] = "a number, or a distribution {dist: NAME, ...}"

    dist: DistName
    value: Float | None = None
    mean: Float | None = None
    sd: Float | None = None
    median: Float | None = None
    sigma: Float | None = None
    low: Float | None = None
    high: Float | None = None
    shape: Float | None = None
    scale: Float | None = None
    min: Float | None = None
    max: Float | None = None

    # --- validation ----------------------------------------------------------

    @classmethod
    def _prepare(cls, data: Any) -> Any:
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            try:
                ok = math.isfinite(data)
            except OverflowError:
                ok = False
            if not ok:
                raise error(f"expected a finite number, got {describe_value(data)}")
            return {"dist": "fixed", "value": data}
        return data

    @classmethod
    def _known_keys(cls, data: dict[str, Any]) -> list[str]:
        name = data.get("dist")
        if isinstance(name, str) and name in PARAMETERS:
            return ["dist", *PARAMETERS[name], "min", "max"]
        return list(cls.model_fields)

    @classmethod
    def _check_keys(cls, data: dict[str, Any]) -> list[InitErrorDetails]:
        name = data.get("dist")
        if "dist" not in data:
            return [
                line_error(("dist",), f"missing: say which distribution (dist: one of {_DISTS})")
            ]
        if not isinstance(name, str) or name not in PARAMETERS:
            return []  # the field's own error says what is allowed
        takes = PARAMETERS[name]
        problems = []
        missing = [p for p in takes if data.get(p) is None]
        for p in missing:
            problems.append(
                line_error((p,), f"missing: a {name} distribution needs {' and '.join(takes)}")
            )
        allowed = {"dist", "min", "max", *takes}
        for key, value in data.items():
            if key not in allowed and value is not None:
                problems.append(
                    line_error(
                        (key,),
                        f"{key!r} is not a parameter of a {name} distribution "
                        f"(it takes: {', '.join([*takes, 'min', 'max'])})",
                        value,
                    )
                )
        return problems

    @model_validator(mode="after")
    def _check_values(self) -> Distribution:
        problems = []

        def need(ok: bool, key: str, text: str) -> None:
            if not ok:
                value = getattr(self, key)
                problems.append(line_error((key,), f"expected {text}, got {value:g}", value))

        d, p = self.dist, self.params()
        if d == "normal":
            need(p["sd"] >= 0, "sd", "sd >= 0")
        elif d == "lognormal":
            need(p["median"] > 0, "median", "median > 0")
            need(p["sigma"] >= 0, "sigma", "sigma >= 0")
        elif d == "exponential":
            need(p["mean"] > 0, "mean", "mean > 0")
        elif d == "uniform":
            need(p["high"] >= p["low"], "high", f"high >= low ({p['low']:g})")
        elif d == "weibull":
            need(p["shape"] > 0, "shape", "shape > 0")
            need(p["scale"] > 0, "scale", "scale > 0")
        if self.min is not None and self.max is not None:
            need(self.max > self.min, "max", f"max > min ({self.min:g})")
        if problems:
            raise_errors(type(self).__name__, problems)
        return self

    # --- use -------------------------------------------------------------------

    def params(self) -> dict[str, float]:
        """Return the distribution's parameters (without min/max).

        They are all set once the distribution is validated (its keys are
        checked before its values), so they are floats here, never ``None``.
        """
        return {p: float(getattr(self, p)) for p in PARAMETERS[self.dist]}

    def bounds(self) -> tuple[float, float]:
        """Return (lowest, highest) value a draw can take (inf when unbounded).

        A bound of 0 for lognormal, exponential and weibull is not reached.
        """
        lo, hi = self._support()
        if self.min is not None:
            lo = max(lo, self.min)
            hi = max(hi, self.min)
        if self.max is not None:
            hi = min(hi, self.max)
            lo = min(lo, self.max)
        return lo, hi

    def is_positive(self) -> bool:
        """Whether every draw is > 0."""
        lo, _ = self.bounds()
        natural = (
            self.dist in ("lognormal", "exponential", "weibull") and self._degenerate() is None
        )
        return lo > 0 or (lo == 0 and natural and (self.min is None or self.min <= 0))

    def is_non_negative(self) -> bool:
        """Whether every draw is >= 0."""
        return self.bounds()[0] >= 0

    def _support(self) -> tuple[float, float]:
        point = self._degenerate()
        if point is not None:
            return point, point
        if self.dist == "normal":
            return -math.inf, math.inf
        if self.dist == "uniform":
            p = self.params()
            return p["low"], p["high"]
        return 0.0, math.inf

    def _degenerate(self) -> float | None:
        """Return the single value of a point-mass distribution, else None."""
        d, p = self.dist, self.params()
        if d == "fixed":
            return p["value"]
        if d == "normal" and p["sd"] == 0:
            return p["mean"]
        if d == "lognormal" and p["sigma"] == 0:
            return p["median"]
        if d == "uniform" and p["low"] == p["high"]:
            return p["low"]
        return None

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values.

        Truncation: a draw outside [min, max] is redrawn, up to
        :data:`TRUNCATION_ROUNDS` times, and then clipped to the nearer
        bound. With the bounds covering a reasonable share of the mass this
        is the truncated distribution; when they cover almost none, the
        draws pile up on the bounds (:meth:`mean` accounts for both).

        Parameters
        ----------
        rng
            The generator to draw from.
        n
            Number of draws (>= 0).

        Returns
        -------
        numpy.ndarray
            float64, shape (n,).
        """
        n = int(n)
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        out = self._draw(rng, n)
        if self.min is None and self.max is None:
            return out
        lo = -math.inf if self.min is None else self.min
        hi = math.inf if self.max is None else self.max
        for _ in range(TRUNCATION_ROUNDS):
            bad = np.flatnonzero((out < lo) | (out > hi))
            if bad.size == 0:
                break
            out[bad] = self._draw(rng, bad.size)
        return np.clip(out, lo, hi)

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        d, p = self.dist, self.params()
        point = self._degenerate()
        if point is not None:
            return np.full(n, point, dtype=np.float64)
        if d == "normal":
            return rng.normal(p["mean"], p["sd"], n)
        if d == "lognormal":
            return rng.lognormal(math.log(p["median"]), p["sigma"], n)
        if d == "exponential":
            return rng.exponential(p["mean"], n)
        if d == "uniform":
            return rng.uniform(p["low"], p["high"], n)
        return p["scale"] * rng.weibull(p["shape"], n)

    def expected(self) -> float:
        """Return the mean of what :meth:`sample` draws (exact, closed form).

        Without truncation, the family's mean. With ``min``/``max``: the mean
        of the redraw-then-clip procedure of :meth:`sample`, i.e. the
        truncated mean plus the (usually negligible) share of draws clipped
        to a bound. (Not called ``mean``: that is the parameter.)
        """
        lo = -math.inf if self.min is None else float(self.min)
        hi = math.inf if self.max is None else float(self.max)
        point = self._degenerate()
        if point is not None:
            return float(min(max(point, lo), hi))
        f_lo, f_hi = self._cdf(lo), self._cdf(hi)
        p_in = f_hi - f_lo
        p_out = 1.0 - p_in
        inside = self._partial_mean(lo, hi) / p_in if p_in > 0 else 0.0
        if p_out <= 0:
            return inside
        q = p_out ** (TRUNCATION_ROUNDS + 1)  # share of draws still outside, then clipped
        below = lo * f_lo if f_lo > 0 else 0.0
        above = hi * (1.0 - f_hi) if f_hi < 1 else 0.0
        clipped = (below + above) / p_out
        return (1.0 - q) * inside + q * clipped

    def _cdf(self, x: float) -> float:
        from scipy import special  # loaded on first use: it costs 0.1-0.2 s at import

        d, p = self.dist, self.params()
        if x == -math.inf:
            return 0.0
        if x == math.inf:
            return 1.0
        if d == "normal":
            return float(special.ndtr((x - p["mean"]) / p["sd"]))
        if d == "uniform":
            return float(min(max((x - p["low"]) / (p["high"] - p["low"]), 0.0), 1.0))
        if x <= 0:
            return 0.0
        if d == "lognormal":
            return float(special.ndtr((math.log(x) - math.log(p["median"])) / p["sigma"]))
        if d == "exponential":
            return float(-math.expm1(-x / p["mean"]))
        return float(-math.expm1(-((x / p["scale"]) ** p["shape"])))

    def _partial_mean(self, a: float, b: float) -> float:
        """Return the integral of x f(x) over [a, b] (the partial expectation)."""
        from scipy import special  # loaded on first use, as in _cdf

        d, p = self.dist, self.params()
        if d == "normal":
            m, s = p["mean"], p["sd"]
            return m * (self._cdf(b) - self._cdf(a)) - s * (
                _std_normal_pdf((b - m) / s) - _std_normal_pdf((a - m) / s)
            )
        if d == "uniform":
            lo, hi = max(a, p["low"]), min(b, p["high"])
            if hi <= lo:
                return 0.0
            return (hi * hi - lo * lo) / (2.0 * (p["high"] - p["low"]))
        a, b = max(a, 0.0), max(b, 0.0)
        if b <= a:
            return 0.0
        if d == "lognormal":
            mu, s = math.log(p["median"]), p["sigma"]

            def upper_tail(x: float) -> float:  # Phi((ln x - mu - s^2) / s)
                if x <= 0:
                    return 0.0
                if math.isinf(x):
                    return 1.0
                return float(special.ndtr((math.log(x) - mu - s * s) / s))

            return math.exp(mu + 0.5 * s * s) * (upper_tail(b) - upper_tail(a))
        if d == "exponential":
            m = p["mean"]

            def g(x: float) -> float:  # integral of t f(t) over [x, inf)
                return 0.0 if math.isinf(x) else (x + m) * math.exp(-x / m)

            return g(a) - g(b)
        k, lam = p["shape"], p["scale"]
        s = 1.0 + 1.0 / k

        def lower_gamma(x: float) -> float:  # regularised P(1 + 1/k, (x/lam)^k)
            return 1.0 if math.isinf(x) else float(special.gammainc(s, (x / lam) ** k))

        return lam * math.gamma(s) * (lower_gamma(b) - lower_gamma(a))


def _std_normal_pdf(z: float) -> float:
    if math.isinf(z):
        return 0.0
    return math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)


class DurationDistribution(Distribution):
    """A distribution of a duration: parameters in seconds (``"10min"`` allowed).

    ``value, mean, sd, median, low, high, scale, min, max`` are durations
    (``>= 0``); ``sigma`` and ``shape`` are plain numbers. A bare duration
    (``90``, ``"15min"``) is a fixed distribution. Draws are seconds.
    """

    yaml_form: ClassVar[str] = (
        "a duration, or a distribution {dist: NAME, ...} such as {dist: lognormal, median: 10min, sigma: 0.6}"  # noqa: E501
    )

    value: Duration | None = None
    mean: Duration | None = None
    sd: Duration | None = None
    median: Duration | None = None
    low: Duration | None = None
    high: Duration | None = None
    scale: Duration | None = None
    min: Duration | None = None
    max: Duration | None = None

    @classmethod
    def _prepare(cls, data: Any) -> Any:
        if isinstance(data, (int, float, str)) and not isinstance(data, bool):
            try:
                seconds = parse_duration(data)
            except ValueError as exc:
                raise error(str(exc)) from None
            if seconds < 0:
                raise error(f"expected a duration >= 0, got {describe_value(data)}")
            return {"dist": "fixed", "value": seconds}
        return data
