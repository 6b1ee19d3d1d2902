"""Turnout + Kolesar attendance fit: the travel-time form, recovery, and the LFB example."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from citysim.calibration import (
    BANDS_M,
    band_table,
    bootstrap_attendance,
    fit_attendance,
    fit_lognormal,
    kolesar_travel_time_s,
)

REPO = Path(__file__).resolve().parents[2]
LFB = REPO / "calibration" / "lfb"
ATTRIBUTION = "Contains public sector information licensed under the Open Government Licence v3.0"

# --- Kolesar travel time ----------------------------------------------------------------


def test_kolesar_hand_computed_values():
    # a = 1 m/s^2, v_c = 10 m/s: d_c = 100 m
    t = kolesar_travel_time_s([0.0, 25.0, 100.0, 1000.0], accel_mps2=1.0, cruise_mps=10.0)
    # 2 sqrt(25 / 1) = 10 s; at d_c 2 v_c / a = 20 s; beyond 10 / 1 + 1000 / 10 = 110 s
    np.testing.assert_allclose(t, [0.0, 10.0, 20.0, 110.0], rtol=1e-12)


def test_kolesar_continuous_with_continuous_slope_at_critical_distance():
    a, v = 0.7, 14.0
    dc = v**2 / a
    eps = dc * 1e-7
    below, at, above = kolesar_travel_time_s([dc - eps, dc, dc + eps], accel_mps2=a, cruise_mps=v)
    assert below == pytest.approx(at, rel=1e-6) and above == pytest.approx(at, rel=1e-6)
    assert at == pytest.approx(2 * v / a, rel=1e-12)
    h = dc * 1e-4
    left = (at - kolesar_travel_time_s(dc - h, accel_mps2=a, cruise_mps=v)) / h
    right = (kolesar_travel_time_s(dc + h, accel_mps2=a, cruise_mps=v) - at) / h
    assert left == pytest.approx(1 / v, rel=1e-3) and right == pytest.approx(1 / v, rel=1e-9)


def test_kolesar_limits():
    a, v = 0.5, 15.0
    # short: pure acceleration then braking, 2 sqrt(d / a)
    assert float(kolesar_travel_time_s(2.0, accel_mps2=a, cruise_mps=v)) == pytest.approx(4.0)
    # long: average speed tends to the cruise speed, with a fixed v/a penalty
    d = np.array([1e5, 1e6])
    t = kolesar_travel_time_s(d, accel_mps2=a, cruise_mps=v)
    np.testing.assert_allclose(t - d / v, v / a, rtol=1e-12)
    assert d[1] / t[1] == pytest.approx(v, rel=1e-3)
    # monotone
    grid = np.linspace(0, 5000, 1001)
    assert np.all(np.diff(kolesar_travel_time_s(grid, accel_mps2=a, cruise_mps=v)) > 0)


@pytest.mark.parametrize("kwargs", [{"accel_mps2": 0.0, "cruise_mps": 10.0},
                                    {"accel_mps2": 1.0, "cruise_mps": -1.0}])
def test_kolesar_rejects_bad_parameters(kwargs):
    with pytest.raises(ValueError, match="accel_mps2|cruise_mps"):
        kolesar_travel_time_s(100.0, **kwargs)


def test_kolesar_rejects_negative_distance():
    with pytest.raises(ValueError, match="distance_m"):
        kolesar_travel_time_s([-1.0], accel_mps2=1.0, cruise_mps=10.0)


# --- recovery from synthetic data ---------------------------------------------------------

TRUE = {"turnout_s": 90.0, "accel_mps2": 0.5, "cruise_mps": 15.0, "sigma_log": 0.25}


def synthetic(n: int, seed: int, *, sigma_log: float = TRUE["sigma_log"],
              road_factor: float = 1.3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    distance_m = rng.gamma(2.5, 600.0, size=n)  # median about 1.3 km, like London
    network_m = road_factor * distance_m
    median_s = TRUE["turnout_s"] + kolesar_travel_time_s(
        network_m, accel_mps2=TRUE["accel_mps2"], cruise_mps=TRUE["cruise_mps"])
    return distance_m, median_s * np.exp(sigma_log * rng.standard_normal(n))


def test_fit_recovers_all_parameters_from_low_noise_data():
    # sigma 0.08, n = 20000: over seeds 0-19 the largest errors are 4.0 % (turnout),
    # 14 % (acceleration), 0.3 % (cruise) and 1.4 % (sigma); tolerances 1.5x that
    d, t = synthetic(20000, seed=11, sigma_log=0.08)
    fit = fit_attendance(d, t, road_factor=1.3)
    assert fit.turnout_s == pytest.approx(TRUE["turnout_s"], rel=0.06)
    assert fit.accel_mps2 == pytest.approx(TRUE["accel_mps2"], rel=0.20)
    assert fit.cruise_mps == pytest.approx(TRUE["cruise_mps"], rel=0.01)
    assert fit.sigma_log == pytest.approx(0.08, rel=0.025)
    lo, hi = fit.ci95["cruise_mps"]
    assert lo < TRUE["cruise_mps"] < hi
    assert fit.n == 20000


def test_fit_recovers_the_median_curve_from_london_like_noise():
    # sigma 0.25, n = 8000: turnout and acceleration trade off at short range
    # (over seeds 0-7 turnout 73-101 s, acceleration 0.31-0.74 m/s^2), but the
    # median curve, the cruise speed and sigma are recovered tightly (curve
    # errors at 0.5-4 km below 1 %, at 0.2 km below 3.3 %)
    d, t = synthetic(8000, seed=11)
    fit = fit_attendance(d, t, road_factor=1.3)
    grid_m = np.array([200.0, 500.0, 1000.0, 2000.0, 4000.0])
    true_s = TRUE["turnout_s"] + kolesar_travel_time_s(
        1.3 * grid_m, accel_mps2=TRUE["accel_mps2"], cruise_mps=TRUE["cruise_mps"])
    np.testing.assert_allclose(fit.median_attendance_s(grid_m), true_s, rtol=0.04)
    np.testing.assert_allclose(fit.median_attendance_s(grid_m[1:]), true_s[1:], rtol=0.015)
    assert fit.cruise_mps == pytest.approx(TRUE["cruise_mps"], rel=0.03)
    assert fit.sigma_log == pytest.approx(TRUE["sigma_log"], rel=0.03)
    assert fit.turnout_s == pytest.approx(TRUE["turnout_s"], rel=0.25)
    assert 0.5 * TRUE["accel_mps2"] < fit.accel_mps2 < 2.0 * TRUE["accel_mps2"]


def test_road_factor_only_rescales_acceleration_and_speed():
    # T(r d; a, v) = T(d; a / r, v / r): the likelihood cannot tell road factors
    # apart (low noise, so the optimum is sharp and the comparison exact)
    d, t = synthetic(3000, seed=5, sigma_log=0.08)
    a = fit_attendance(d, t, road_factor=1.0)
    b = fit_attendance(d, t, road_factor=1.4)
    assert a.log_likelihood == pytest.approx(b.log_likelihood, abs=1e-6)
    assert a.turnout_s == pytest.approx(b.turnout_s, rel=1e-5)
    assert a.straight_line_accel_mps2 == pytest.approx(b.straight_line_accel_mps2, rel=1e-5)
    assert a.straight_line_cruise_mps == pytest.approx(b.straight_line_cruise_mps, rel=1e-5)
    assert b.cruise_mps == pytest.approx(1.4 * a.cruise_mps, rel=1e-5)


def test_bootstrap_is_reproducible_and_brackets_the_truth():
    d, t = synthetic(1000, seed=3)
    boots = [bootstrap_attendance(d, t, rng=np.random.default_rng(42), n_boot=20)
             for _ in range(2)]
    pd.testing.assert_frame_equal(boots[0], boots[1])
    assert list(boots[0].columns) == ["turnout_s", "accel_mps2", "cruise_mps", "sigma_log"]
    lo, hi = boots[0]["cruise_mps"].quantile([0.025, 0.975])
    assert lo < TRUE["cruise_mps"] < hi


def test_fit_lognormal_recovers_median_and_sigma():
    rng = np.random.default_rng(9)
    t = 296.0 * np.exp(0.4 * rng.standard_normal(20000))
    fit = fit_lognormal(t)
    assert fit.median_s == pytest.approx(296.0, rel=0.01)
    assert fit.sigma_log == pytest.approx(0.4, rel=0.02)
    assert fit.ci95["median_s"][0] < 296.0 < fit.ci95["median_s"][1]
    assert float(fit.cdf(fit.median_s)) == pytest.approx(0.5)


def test_predictive_median_of_one_distance_is_the_curve():
    d, t = synthetic(500, seed=1)
    fit = fit_attendance(d, t)
    assert fit.predictive_quantile_s([1500.0]) == pytest.approx(
        float(fit.median_attendance_s(1500.0)), rel=1e-9)


@pytest.mark.parametrize(
    ("distance", "attendance", "match"),
    [([1.0] * 20, [1.0] * 19, "equal lengths"),
     ([-1.0] + [1.0] * 19, [100.0] * 20, "distance_m"),
     ([1.0] * 20, [0.0] + [100.0] * 19, "attendance_s"),
     ([1.0] * 5, [100.0] * 5, "at least 10")],
)
def test_fit_rejects_bad_input(distance, attendance, match):
    with pytest.raises(ValueError, match=match):
        fit_attendance(distance, attendance)


# --- the London Fire Brigade example (committed files only) ------------------------------


@pytest.fixture(scope="module")
def lfb() -> pd.DataFrame:
    return pd.read_csv(LFB / "lfb_attendance.csv", comment="#")


@pytest.fixture(scope="module")
def lfb_fit(lfb):
    return fit_attendance(lfb["distance_m"], lfb["attendance_s"])


def test_lfb_file_carries_attribution_and_expected_columns(lfb):
    head = (LFB / "lfb_attendance.csv").read_text(encoding="utf-8").splitlines()[:6]
    assert any(ATTRIBUTION in line for line in head if line.startswith("#"))
    assert list(lfb.columns) == ["incident_id", "distance_m", "attendance_s", "station", "hour"]
    assert len(lfb) == 6708 - 37  # WIMBLEDON has no location in fs.csv
    assert lfb["incident_id"].is_unique
    assert lfb["hour"].between(0, 23).all()


def test_lfb_fit_uses_every_row(lfb, lfb_fit):
    assert lfb_fit.n == len(lfb)


def test_lfb_overall_median_is_296_s(lfb, lfb_fit):
    # MODELS.md: median first-pump attendance 296 s
    assert float(lfb["attendance_s"].median()) == pytest.approx(296.0, rel=0.01)
    assert lfb_fit.predictive_quantile_s(lfb["distance_m"]) == pytest.approx(296.0, rel=0.01)
    assert fit_lognormal(lfb["attendance_s"]).median_s == pytest.approx(296.0, rel=0.01)


def test_lfb_band_medians_fitted_within_10_percent(lfb, lfb_fit):
    table = band_table(lfb["distance_m"], lfb["attendance_s"], lfb_fit, bands_m=BANDS_M)
    assert len(table) == 5 and (table["n"] > 0).all()
    assert (table["relative_difference"].abs() < 0.10).all(), table.to_string()
    # and the observed medians are MODELS.md's reference values (0.5-1 km has none there)
    reference = {"0-0.5 km": 195.0, "1-2 km": 297.0, "2-3 km": 369.0, "3-5 km": 440.0}
    observed = dict(zip(table["band"], table["observed_median_s"], strict=True))
    for band, value in reference.items():
        assert observed[band] == pytest.approx(value, abs=1.0), band


def test_lfb_committed_fit_json_matches_a_fresh_fit(lfb_fit):
    stored = json.loads((LFB / "fit.json").read_text(encoding="utf-8"))
    data_sha = hashlib.sha256((LFB / "lfb_attendance.csv").read_bytes()).hexdigest()
    assert stored["data"]["sha256"] == data_sha, "rerun calibration/lfb/fit.py"
    assert stored["data"]["n"] == lfb_fit.n
    params = stored["attendance_model"]["parameters"]
    for name in ("turnout_s", "accel_mps2", "cruise_mps", "sigma_log"):
        assert params[name]["value"] == pytest.approx(getattr(lfb_fit, name), rel=1e-4), name
        lo, hi = params[name]["bootstrap_ci95"]
        assert lo < params[name]["value"] < hi, name
