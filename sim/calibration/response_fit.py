"""Fit fire-and-rescue attendance times: turnout plus Kolesar travel time, lognormal error.

The model (MODELS.md, Response) for the attendance time (London Fire
Brigade: from the call to the first pump's arrival, with a pump free, so no
queue wait) at an incident a straight-line distance ``d`` from the
deploying station is::

    attendance = (turnout + T(road_factor * d)) * exp(eps),   eps ~ N(0, sigma_log^2)

with Kolesar's travel time over the network distance ``D = road_factor * d``
(Kolesar 1975; Kolesar & Walker, RAND R-1449, 1974; Larson & Odoni, *Urban
Operations Research*, 1981, section 3.7.2)::

    T(D) = 2 sqrt(D / a)          for D <= d_c = v_c^2 / a
    T(D) = v_c / a + D / v_c      beyond

(the engine accelerates at ``a`` to the cruise speed ``v_c`` and brakes at
``a``; ``T`` and its slope are continuous at ``d_c``). The multiplicative
lognormal error makes ``turnout + T`` the conditional *median* attendance
and gives the skewed spread observed in response times; ``sigma_log`` is the
standard deviation of ``log(attendance)`` about that median.

**Road factor.** ``road_factor`` cannot be estimated from times and
straight-line distances alone: ``T(r d; a, v_c) = T(d; a / r, v_c / r)``
exactly, so any ``r`` fits equally well with ``a`` and ``v_c`` scaled by it.
It is therefore fixed (default :data:`ROAD_FACTOR`, 1.3) and the fit reports
``accel_mps2`` and ``cruise_mps`` on the network scale implied by it, as well
as the straight-line equivalents (divided by ``r``), which do not depend on
the choice. 1.3 is close to the mean ratio of rectilinear to straight-line
distance on a square grid in uniformly random directions (``4 / pi = 1.273``,
Larson & Odoni section 3.7) and to published urban circuity values of about
1.2-1.4 (check against a London-specific source before relying on it).

**Estimation.** Maximum likelihood: with a lognormal error the likelihood of
the median curve is that of a nonlinear regression of ``log(attendance)`` on
``log(turnout + T)`` with normal errors, so the MLE of ``turnout_s``,
``accel_mps2`` and ``cruise_mps`` is bounded nonlinear least squares on log
times (:func:`scipy.optimize.least_squares`, in log-parameters, from a fixed
grid of starts) and ``sigma_log^2`` is the mean squared log residual.
Observed log residuals are skewed and heavy-tailed (a few recorded times
of seconds), so standard errors are robust ones (White 1982): the sandwich
``(J^T J)^-1 J^T diag(r^2) J (J^T J)^-1`` for the curve and the residuals'
fourth moment for ``sigma_log`` (both reduce to the Fisher-information
values when the errors really are lognormal). 95 % intervals are Wald
intervals on the log scale (always positive). :func:`bootstrap_attendance`
gives seeded percentile intervals, which also show the skewed trade-off
between turnout and acceleration; prefer them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize, special, stats

ROAD_FACTOR: float = 1.3
"""Default network / straight-line distance ratio (see the module docstring)."""

BANDS_M: tuple[tuple[float, float], ...] = (
    (0.0, 500.0),
    (500.0, 1000.0),
    (1000.0, 2000.0),
    (2000.0, 3000.0),
    (3000.0, 5000.0),
)
"""Straight-line distance bands (m) of the MODELS.md reference medians, ``[low, high)``."""

PARAMETERS: tuple[str, ...] = ("turnout_s", "accel_mps2", "cruise_mps", "sigma_log")
"""Names of the fitted parameters, in order."""

_Z95 = float(stats.norm.ppf(0.975))
# bounds of the curve parameters (turnout s, acceleration m/s^2, cruise m/s)
_LOWER = np.array([1.0, 0.01, 1.0])
_UPPER = np.array([600.0, 10.0, 60.0])
# deterministic grid of starts: turnout x acceleration x cruise speed
_STARTS = [(t, a, v) for t in (30.0, 90.0) for a in (0.2, 1.0) for v in (8.0, 20.0)]

FloatArray = npt.NDArray[np.float64]


def kolesar_travel_time_s(
    distance_m: npt.ArrayLike, *, accel_mps2: float, cruise_mps: float
) -> FloatArray:
    """Kolesar's travel time over a road distance.

    Parameters
    ----------
    distance_m
        Distance travelled on the road network (m), >= 0.
    accel_mps2
        Acceleration (and braking) rate (m/s^2), > 0.
    cruise_mps
        Cruise speed (m/s), > 0.

    Returns
    -------
    numpy.ndarray
        ``2 sqrt(d / a)`` for ``d <= d_c = v_c^2 / a``, else ``v_c / a + d / v_c``
        (s); same shape as ``distance_m`` (0-d for a scalar).

    Examples
    --------
    >>> float(kolesar_travel_time_s(1000.0, accel_mps2=1.0, cruise_mps=10.0))
    110.0
    """
    _require_positive(accel_mps2, "accel_mps2")
    _require_positive(cruise_mps, "cruise_mps")
    d = np.asarray(distance_m, dtype=np.float64)
    if np.any(d < 0) or not np.all(np.isfinite(d)):
        raise ValueError("distance_m: expected finite distances >= 0")
    critical_m = cruise_mps**2 / accel_mps2
    short = 2.0 * np.sqrt(np.minimum(d, critical_m) / accel_mps2)
    return np.where(d <= critical_m, short, cruise_mps / accel_mps2 + d / cruise_mps)


@dataclass(frozen=True)
class AttendanceFit:
    """A fitted attendance-time model: turnout + Kolesar(road_factor x d), lognormal error.

    Attributes
    ----------
    turnout_s
        Fitted intercept (s): call handling plus turnout, the constant part of
        the call-to-arrival time (used as a station's turnout).
    accel_mps2
        Acceleration on the network scale (m/s^2).
    cruise_mps
        Cruise speed on the network scale (m/s).
    sigma_log
        Standard deviation of log attendance about the median curve.
    road_factor
        Network / straight-line distance ratio used (fixed, not fitted).
    n
        Number of incidents fitted.
    log_likelihood
        Maximised log-likelihood of the attendance times (in s).
    se
        Robust standard errors by parameter name (see the module docstring).
    ci95
        95 % Wald intervals on the log scale by parameter name.
    """

    turnout_s: float
    accel_mps2: float
    cruise_mps: float
    sigma_log: float
    road_factor: float
    n: int
    log_likelihood: float
    se: dict[str, float] = field(default_factory=dict)
    ci95: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def critical_distance_m(self) -> float:
        """Network distance at which the cruise speed is first reached, ``v_c^2 / a`` (m)."""
        return self.cruise_mps**2 / self.accel_mps2

    @property
    def straight_line_accel_mps2(self) -> float:
        """Acceleration per straight-line metre, ``a / road_factor`` (independent of it)."""
        return self.accel_mps2 / self.road_factor

    @property
    def straight_line_cruise_mps(self) -> float:
        """Cruise speed per straight-line metre, ``v_c / road_factor`` (independent of it)."""
        return self.cruise_mps / self.road_factor

    def travel_time_s(self, distance_m: npt.ArrayLike) -> FloatArray:
        """Median travel time for straight-line distances (s).

        Parameters
        ----------
        distance_m
            Straight-line distance from the station (m).

        Returns
        -------
        numpy.ndarray
        """
        d = np.asarray(distance_m, dtype=np.float64) * self.road_factor
        return kolesar_travel_time_s(d, accel_mps2=self.accel_mps2, cruise_mps=self.cruise_mps)

    def median_attendance_s(self, distance_m: npt.ArrayLike) -> FloatArray:
        """Median attendance time, ``turnout + T(road_factor * d)`` (s).

        Parameters
        ----------
        distance_m
            Straight-line distance from the station (m).

        Returns
        -------
        numpy.ndarray
        """
        return self.turnout_s + self.travel_time_s(distance_m)

    def quantile_attendance_s(self, distance_m: npt.ArrayLike, q: float) -> FloatArray:
        """Quantile ``q`` of the attendance time at each distance (s).

        Parameters
        ----------
        distance_m
            Straight-line distance from the station (m).
        q
            Probability in (0, 1).

        Returns
        -------
        numpy.ndarray
        """
        if not 0.0 < q < 1.0:
            raise ValueError(f"q: expected a probability in (0, 1), got {q}")
        return self.median_attendance_s(distance_m) * np.exp(self.sigma_log * stats.norm.ppf(q))

    def predictive_quantile_s(self, distance_m: npt.ArrayLike, q: float = 0.5) -> float:
        """Quantile of attendance over a set of incidents (the mixture over their distances).

        Parameters
        ----------
        distance_m
            Straight-line distances of the incidents (m), at least one.
        q
            Probability in (0, 1); default the median.

        Returns
        -------
        float
            The time ``t`` (s) with ``mean_i P(attendance_i <= t) = q``.
        """
        if not 0.0 < q < 1.0:
            raise ValueError(f"q: expected a probability in (0, 1), got {q}")
        log_mu = np.log(self.median_attendance_s(np.atleast_1d(distance_m)))
        if log_mu.size == 0:
            raise ValueError("distance_m: expected at least one distance")
        z = stats.norm.ppf(q) * self.sigma_log
        lo, hi = float(log_mu.min() + z) - 1e-9, float(log_mu.max() + z) + 1e-9

        def excess(log_t: float) -> float:
            return float(np.mean(special.ndtr((log_t - log_mu) / self.sigma_log))) - q

        return float(np.exp(optimize.brentq(excess, lo, hi, xtol=1e-12)))

    def sample_attendance_s(
        self, distance_m: npt.ArrayLike, rng: np.random.Generator
    ) -> FloatArray:
        """Draw one attendance time per distance.

        Parameters
        ----------
        distance_m
            Straight-line distance from the station (m).
        rng
            Random generator (seeded by the caller).

        Returns
        -------
        numpy.ndarray
        """
        mu = self.median_attendance_s(distance_m)
        return mu * np.exp(self.sigma_log * rng.standard_normal(np.shape(mu)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary: values, standard errors, intervals and derived quantities.

        Returns
        -------
        dict
        """
        params = {
            name: {
                "value": float(getattr(self, name)),
                "se": self.se.get(name),
                "wald_ci95": list(self.ci95[name]) if name in self.ci95 else None,
            }
            for name in PARAMETERS
        }
        return {
            "model": "attendance = (turnout_s + kolesar(road_factor * distance_m)) * "
                     "exp(N(0, sigma_log^2))",
            "road_factor": self.road_factor,
            "road_factor_fitted": False,
            "parameters": params,
            "critical_distance_m": self.critical_distance_m,
            "straight_line_accel_mps2": self.straight_line_accel_mps2,
            "straight_line_cruise_mps": self.straight_line_cruise_mps,
            "n": self.n,
            "log_likelihood": self.log_likelihood,
        }


@dataclass(frozen=True)
class LognormalFit:
    """A lognormal fitted to attendance times by maximum likelihood.

    Attributes
    ----------
    median_s
        ``exp(mean(log t))`` (s).
    sigma_log
        Standard deviation of ``log t`` (maximum-likelihood, divisor ``n``).
    n
        Number of times.
    log_likelihood
        Maximised log-likelihood (times in s).
    se
        Standard errors of ``median_s`` and ``sigma_log``.
    ci95
        95 % intervals of ``median_s`` and ``sigma_log`` (Wald on the log scale).
    """

    median_s: float
    sigma_log: float
    n: int
    log_likelihood: float
    se: dict[str, float] = field(default_factory=dict)
    ci95: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def mean_s(self) -> float:
        """Mean of the fitted lognormal (s)."""
        return self.median_s * float(np.exp(0.5 * self.sigma_log**2))

    def quantile_s(self, q: npt.ArrayLike) -> FloatArray:
        """Quantiles of the fitted lognormal (s).

        Parameters
        ----------
        q
            Probabilities in (0, 1).

        Returns
        -------
        numpy.ndarray
        """
        return self.median_s * np.exp(self.sigma_log * stats.norm.ppf(np.asarray(q)))

    def cdf(self, time_s: npt.ArrayLike) -> FloatArray:
        """Probability of a time at most ``time_s``.

        Parameters
        ----------
        time_s
            Times (s).

        Returns
        -------
        numpy.ndarray
        """
        t = np.asarray(time_s, dtype=np.float64)
        with np.errstate(divide="ignore"):
            z = (np.log(np.maximum(t, 0.0)) - np.log(self.median_s)) / self.sigma_log
        return special.ndtr(z)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary.

        Returns
        -------
        dict
        """
        return {
            "model": "attendance ~ lognormal(median_s, sigma_log)",
            "parameters": {
                name: {
                    "value": float(getattr(self, name)),
                    "se": self.se.get(name),
                    "wald_ci95": list(self.ci95[name]) if name in self.ci95 else None,
                }
                for name in ("median_s", "sigma_log")
            },
            "mean_s": self.mean_s,
            "n": self.n,
            "log_likelihood": self.log_likelihood,
        }


def fit_lognormal(time_s: npt.ArrayLike) -> LognormalFit:
    """Fit a lognormal to positive times by maximum likelihood (closed form).

    Parameters
    ----------
    time_s
        Times (s), > 0, at least two.

    Returns
    -------
    LognormalFit
        ``median_s = exp(mean(log t))``, ``sigma_log = std(log t)`` (divisor
        ``n``); standard errors ``sigma / sqrt(n)`` for the log median and,
        for ``sigma_log``, one from the fourth moment of ``log t`` (robust to
        a non-normal ``log t``; ``sigma / sqrt(2 n)`` when it is normal).
    """
    t = _positive_times(time_s, "time_s")
    log_t = np.log(t)
    n = t.size
    mu, sigma = float(log_t.mean()), float(log_t.std())
    if sigma <= 0:
        raise ValueError("time_s: all times are equal; the spread cannot be estimated")
    se_mu, se_log_sigma = sigma / np.sqrt(n), _se_log_sigma(log_t - mu)
    median = float(np.exp(mu))
    loglik = float(np.sum(stats.norm.logpdf(log_t, mu, sigma)) - log_t.sum())
    return LognormalFit(
        median_s=median,
        sigma_log=sigma,
        n=n,
        log_likelihood=loglik,
        se={"median_s": median * se_mu, "sigma_log": sigma * se_log_sigma},
        ci95={
            "median_s": _wald_log(median, se_mu),
            "sigma_log": _wald_log(sigma, se_log_sigma),
        },
    )


def fit_attendance(
    distance_m: npt.ArrayLike,
    attendance_s: npt.ArrayLike,
    *,
    road_factor: float = ROAD_FACTOR,
) -> AttendanceFit:
    """Fit turnout + Kolesar travel time with a lognormal error by maximum likelihood.

    Parameters
    ----------
    distance_m
        Straight-line distance from the deploying station to each incident (m), >= 0.
    attendance_s
        First-pump attendance time of each incident (s), > 0.
    road_factor
        Network / straight-line distance ratio, fixed (it is not identifiable
        from these data; see the module docstring).

    Returns
    -------
    AttendanceFit
        Maximum-likelihood estimates with standard errors and 95 % intervals.

    Raises
    ------
    ValueError
        On mismatched lengths, negative or non-finite distances, non-positive
        times, fewer than 10 incidents or a non-positive ``road_factor``.
    """
    d, t = _check_pair(distance_m, attendance_s)
    _require_positive(road_factor, "road_factor")
    theta, jac, resid = _least_squares(d * road_factor, np.log(t), start=None)
    return _build_fit(theta, jac, resid, np.log(t), road_factor)


def bootstrap_attendance(
    distance_m: npt.ArrayLike,
    attendance_s: npt.ArrayLike,
    *,
    rng: np.random.Generator,
    n_boot: int = 400,
    road_factor: float = ROAD_FACTOR,
) -> pd.DataFrame:
    """Refit :func:`fit_attendance` on incidents resampled with replacement.

    Parameters
    ----------
    distance_m, attendance_s
        As for :func:`fit_attendance`.
    rng
        Random generator (seeded by the caller) that draws the resamples.
    n_boot
        Number of resamples, >= 1.
    road_factor
        Network / straight-line distance ratio, fixed.

    Returns
    -------
    pandas.DataFrame
        One row per resample, one column per name in :data:`PARAMETERS`;
        percentile intervals are its quantiles.
    """
    d, t = _check_pair(distance_m, attendance_s)
    if n_boot < 1:
        raise ValueError(f"n_boot: expected >= 1, got {n_boot}")
    network_m, log_t = d * road_factor, np.log(t)
    theta0, _, _ = _least_squares(network_m, log_t, start=None)
    rows = []
    # every resample is fitted from the full-data optimum and the same grid of starts
    for _ in range(n_boot):
        idx = rng.integers(0, d.size, size=d.size)
        theta, _, resid = _least_squares(network_m[idx], log_t[idx], start=theta0)
        rows.append([*np.exp(theta), float(np.sqrt(np.mean(resid**2)))])
    return pd.DataFrame(rows, columns=list(PARAMETERS))


def band_table(
    distance_m: npt.ArrayLike,
    attendance_s: npt.ArrayLike,
    fit: AttendanceFit,
    *,
    bands_m: Sequence[tuple[float, float]] = BANDS_M,
) -> pd.DataFrame:
    """Observed against fitted median attendance per straight-line distance band.

    Parameters
    ----------
    distance_m, attendance_s
        The incidents (m, s).
    fit
        A fitted model.
    bands_m
        ``[low, high)`` distance bands (m).

    Returns
    -------
    pandas.DataFrame
        One row per band: ``band`` (label in km), ``low_m``, ``high_m``, ``n``,
        ``observed_median_s``, ``observed_q25_s``, ``observed_q75_s``,
        ``fitted_median_s`` (the model's predictive median over the band's
        incidents) and ``relative_difference`` (fitted / observed - 1).
    """
    d, t = _check_pair(distance_m, attendance_s, minimum=1)
    rows = []
    for low, high in bands_m:
        inside = (d >= low) & (d < high)
        n = int(inside.sum())
        row: dict[str, Any] = {
            "band": f"{low / 1000:g}-{high / 1000:g} km",
            "low_m": float(low),
            "high_m": float(high),
            "n": n,
        }
        if n:
            q25, q50, q75 = np.quantile(t[inside], [0.25, 0.5, 0.75])
            fitted = fit.predictive_quantile_s(d[inside], 0.5)
            row |= {
                "observed_median_s": float(q50),
                "observed_q25_s": float(q25),
                "observed_q75_s": float(q75),
                "fitted_median_s": fitted,
                "relative_difference": fitted / float(q50) - 1.0,
            }
        rows.append(row)
    return pd.DataFrame(rows)


# --- helpers --------------------------------------------------------------------------


def _require_positive(value: float, name: str) -> None:
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name}: expected a finite value > 0, got {value}")


def _positive_times(values: npt.ArrayLike, name: str) -> FloatArray:
    t = np.asarray(values, dtype=np.float64).ravel()
    if t.size < 2:
        raise ValueError(f"{name}: expected at least two times, got {t.size}")
    if not np.all(np.isfinite(t)) or np.any(t <= 0):
        raise ValueError(f"{name}: expected finite times > 0")
    return t


def _check_pair(
    distance_m: npt.ArrayLike, attendance_s: npt.ArrayLike, minimum: int = 10
) -> tuple[FloatArray, FloatArray]:
    d = np.asarray(distance_m, dtype=np.float64).ravel()
    t = np.asarray(attendance_s, dtype=np.float64).ravel()
    if d.shape != t.shape:
        raise ValueError(
            f"distance_m and attendance_s: expected equal lengths, got {d.size} and {t.size}"
        )
    if d.size < minimum:
        raise ValueError(f"distance_m: expected at least {minimum} incidents, got {d.size}")
    if not np.all(np.isfinite(d)) or np.any(d < 0):
        raise ValueError("distance_m: expected finite distances >= 0")
    if not np.all(np.isfinite(t)) or np.any(t <= 0):
        raise ValueError("attendance_s: expected finite times > 0")
    return d, t


def _log_median(theta: FloatArray, network_m: FloatArray) -> FloatArray:
    turnout, accel, cruise = np.exp(theta)
    return np.log(turnout + kolesar_travel_time_s(network_m, accel_mps2=accel, cruise_mps=cruise))


def _least_squares(
    network_m: FloatArray, log_t: FloatArray, *, start: FloatArray | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Best log-parameters ``(log turnout, log a, log v_c)``, the Jacobian and residuals."""

    def residuals(theta: FloatArray) -> FloatArray:
        return _log_median(theta, network_m) - log_t

    bounds = (np.log(_LOWER), np.log(_UPPER))
    starts = [np.log(np.asarray(s)) for s in _STARTS]
    if start is not None:
        starts.append(start)
    best = None
    for x0 in starts:
        res = optimize.least_squares(
            residuals, x0, bounds=bounds, method="trf", jac="3-point",
            x_scale=1.0, ftol=1e-12, xtol=1e-12, gtol=1e-12, max_nfev=2000,
        )
        if best is None or res.cost < best.cost:
            best = res
    assert best is not None
    return best.x, best.jac, best.fun


def _build_fit(
    theta: FloatArray, jac: FloatArray, resid: FloatArray, log_t: FloatArray,
    road_factor: float,
) -> AttendanceFit:
    n = resid.size
    sigma = float(np.sqrt(np.mean(resid**2)))
    loglik = float(np.sum(stats.norm.logpdf(resid, 0.0, sigma)) - log_t.sum())
    # robust (sandwich) covariance of the log-parameters: the log residuals are
    # skewed and heavy-tailed, so sigma^2 (J^T J)^-1 alone would understate it
    bread = np.linalg.pinv(jac.T @ jac)
    cov = bread @ (jac.T @ (jac * (resid**2)[:, None])) @ bread
    se_log = np.sqrt(np.maximum(np.diag(cov), 0.0))
    values = np.exp(theta)
    names = PARAMETERS[:3]
    se = {name: float(v * s) for name, v, s in zip(names, values, se_log, strict=True)}
    ci95 = {name: _wald_log(float(v), float(s))
            for name, v, s in zip(names, values, se_log, strict=True)}
    se_log_sigma = _se_log_sigma(resid)
    se["sigma_log"] = sigma * se_log_sigma
    ci95["sigma_log"] = _wald_log(sigma, se_log_sigma)
    at_bound = np.isclose(values, _LOWER, rtol=1e-6) | np.isclose(values, _UPPER, rtol=1e-6)
    if np.any(at_bound):
        # an estimate on a bound has no Wald interval worth reporting
        for name in np.asarray(names)[at_bound]:
            se[str(name)] = float("nan")
            ci95[str(name)] = (float("nan"), float("nan"))
    return AttendanceFit(
        turnout_s=float(values[0]),
        accel_mps2=float(values[1]),
        cruise_mps=float(values[2]),
        sigma_log=sigma,
        road_factor=float(road_factor),
        n=n,
        log_likelihood=loglik,
        se=se,
        ci95=ci95,
    )


def _se_log_sigma(resid: FloatArray) -> float:
    """Standard error of ``log(sigma)`` from the residuals' fourth moment.

    ``Var(sigma^2) ~ (m4 - sigma^4) / n`` holds whatever the residuals'
    distribution; for normal residuals it reduces to ``1 / sqrt(2 n)``.
    """
    var = float(np.mean(resid**2))
    m4 = float(np.mean(resid**4))
    return float(np.sqrt(max(m4 - var**2, 0.0) / resid.size) / (2.0 * var))


def _wald_log(value: float, se_log: float) -> tuple[float, float]:
    return (float(value * np.exp(-_Z95 * se_log)), float(value * np.exp(_Z95 * se_log)))
