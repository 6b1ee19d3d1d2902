"""Distributions: parameters, validation and sampling moments.

Moments are checked on 200,000 seeded draws: the sample mean within 5
standard errors of the exact mean (a false alarm about once in 10^6 runs,
though with a fixed seed the test is deterministic), and the sample standard
deviation within 2 % of the exact one (its relative standard error is below
0.5 % for these families).
"""

import math

import numpy as np
import pytest
from pydantic import ValidationError

from citysim.scenario import Distribution, DurationDistribution

N = 200_000


def _sd(d: dict) -> float:
    kind = d["dist"]
    if kind == "normal":
        return d["sd"]
    if kind == "lognormal":
        s2 = d["sigma"] ** 2
        return d["median"] * math.sqrt((math.exp(s2) - 1) * math.exp(s2))
    if kind == "exponential":
        return d["mean"]
    if kind == "uniform":
        return (d["high"] - d["low"]) / math.sqrt(12)
    k = d["shape"]
    return d["scale"] * math.sqrt(math.gamma(1 + 2 / k) - math.gamma(1 + 1 / k) ** 2)


def _mean(d: dict) -> float:
    kind = d["dist"]
    if kind == "normal":
        return d["mean"]
    if kind == "lognormal":
        return d["median"] * math.exp(d["sigma"] ** 2 / 2)
    if kind == "exponential":
        return d["mean"]
    if kind == "uniform":
        return (d["low"] + d["high"]) / 2
    return d["scale"] * math.gamma(1 + 1 / d["shape"])


FAMILIES = [
    {"dist": "normal", "mean": 1.34, "sd": 0.26},
    {"dist": "lognormal", "median": 600.0, "sigma": 0.6},
    {"dist": "exponential", "mean": 45.0},
    {"dist": "uniform", "low": -2.0, "high": 5.0},
    {"dist": "weibull", "shape": 1.8, "scale": 300.0},
]


@pytest.mark.parametrize("params", FAMILIES, ids=lambda d: d["dist"])
def test_untruncated_draws_have_the_family_moments(params):
    dist = Distribution.model_validate(params)
    draws = dist.sample(np.random.default_rng(20240720), N)
    assert draws.dtype == np.float64 and draws.shape == (N,)
    mean, sd = _mean(params), _sd(params)
    assert dist.expected() == pytest.approx(mean, rel=1e-9)
    assert abs(draws.mean() - mean) < 5 * sd / math.sqrt(N)
    assert draws.std() == pytest.approx(sd, rel=0.02)


def test_lognormal_median_is_the_median():
    dist = Distribution.model_validate({"dist": "lognormal", "median": 600, "sigma": 0.6})
    draws = dist.sample(np.random.default_rng(1), N)
    assert np.median(draws) == pytest.approx(600, rel=0.01)


@pytest.mark.parametrize(
    "params",
    [
        {"dist": "normal", "mean": 1.34, "sd": 0.26, "min": 0.5},
        {"dist": "normal", "mean": 0.0, "sd": 1.0, "min": -1.0, "max": 0.5},
        {"dist": "lognormal", "median": 600.0, "sigma": 0.6, "max": 900.0},
        {"dist": "exponential", "mean": 45.0, "min": 10.0, "max": 60.0},
        {"dist": "uniform", "low": 0.0, "high": 10.0, "min": 2.0},
        {"dist": "weibull", "shape": 1.8, "scale": 300.0, "min": 100.0},
        # almost no mass inside: most draws end up clipped to the bounds
        {"dist": "normal", "mean": 0.0, "sd": 1.0, "min": 3.0, "max": 4.0},
    ],
    ids=lambda d: f"{d['dist']}-{d.get('min')}-{d.get('max')}",
)
def test_truncated_draws_stay_in_bounds_with_the_exact_mean(params):
    dist = Distribution.model_validate(params)
    draws = dist.sample(np.random.default_rng(7), N)
    lo, hi = params.get("min", -np.inf), params.get("max", np.inf)
    assert draws.min() >= lo and draws.max() <= hi
    assert abs(draws.mean() - dist.expected()) < 5 * draws.std() / math.sqrt(N) + 1e-12


def test_fixed_and_bare_numbers():
    fixed = Distribution.model_validate(3.5)
    assert fixed.dist == "fixed" and fixed.value == 3.5
    assert (fixed.sample(np.random.default_rng(0), 4) == 3.5).all()
    assert fixed.expected() == 3.5
    clipped = Distribution.model_validate({"dist": "fixed", "value": 5, "max": 2})
    assert clipped.expected() == 2 and (clipped.sample(np.random.default_rng(0), 3) == 2).all()
    assert Distribution.model_validate({"dist": "normal", "mean": 2, "sd": 0}).expected() == 2


def test_duration_distributions_take_duration_strings():
    d = DurationDistribution.model_validate(
        {"dist": "lognormal", "median": "10min", "sigma": 0.6, "max": "1h"}
    )
    assert d.median == 600.0 and d.max == 3600.0 and d.sigma == 0.6
    assert DurationDistribution.model_validate("15min").value == 900.0
    assert DurationDistribution.model_validate(30).value == 30.0
    u = DurationDistribution.model_validate({"dist": "uniform", "low": "1min", "high": "2min"})
    assert u.sample(np.random.default_rng(0), 1000).max() <= 120


def test_dump_has_only_the_given_parameters():
    d = Distribution.model_validate({"dist": "normal", "mean": 1.34, "sd": 0.26, "min": 0.5})
    assert d.model_dump() == {"dist": "normal", "mean": 1.34, "sd": 0.26, "min": 0.5}
    assert d.params() == {"mean": 1.34, "sd": 0.26}


def _errors(cls, data):
    with pytest.raises(ValidationError) as info:
        cls.model_validate(data)
    return {".".join(map(str, e["loc"])): e["msg"] for e in info.value.errors()}


def test_missing_and_foreign_parameters_are_named():
    errors = _errors(Distribution, {"dist": "lognormal", "mean": 1.0, "sigma": 0.5})
    assert "needs median and sigma" in errors["median"]
    assert "'mean' is not a parameter of a lognormal" in errors["mean"]
    errors = _errors(Distribution, {"mean": 1.0})
    assert "say which distribution" in errors["dist"]
    errors = _errors(Distribution, {"dist": "gamma", "mean": 1.0})
    assert "gamma" in str(errors) or "dist" in errors
    errors = _errors(Distribution, {"dist": "normal", "mean": 1.0, "sd": 1.0, "meen": 2})
    assert "did you mean 'mean'" in errors["meen"]


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"dist": "normal", "mean": 1, "sd": -1}, "sd"),
        ({"dist": "lognormal", "median": 0, "sigma": 1}, "median"),
        ({"dist": "lognormal", "median": 1, "sigma": -1}, "sigma"),
        ({"dist": "exponential", "mean": 0}, "mean"),
        ({"dist": "uniform", "low": 2, "high": 1}, "high"),
        ({"dist": "weibull", "shape": 0, "scale": 1}, "shape"),
        ({"dist": "weibull", "shape": 1, "scale": -1}, "scale"),
        ({"dist": "normal", "mean": 1, "sd": 1, "min": 2, "max": 2}, "max"),
    ],
)
def test_bad_parameter_values(params, key):
    assert key in _errors(Distribution, params)


def test_duration_parameters_reject_negative_durations():
    errors = _errors(DurationDistribution, {"dist": "lognormal", "median": "-5min", "sigma": 1})
    assert "median" in errors
    assert "expected a duration" in _errors(DurationDistribution, "soon")[""]


def test_sample_rejects_negative_n():
    with pytest.raises(ValueError):
        Distribution.model_validate(1).sample(np.random.default_rng(0), -1)
