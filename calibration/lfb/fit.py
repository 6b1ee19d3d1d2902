"""Fit turnout + Kolesar travel time to London Fire Brigade attendance times (2009).

Reads ``lfb_attendance.csv`` (beside this file; made by ``prepare.py``), fits
:func:`citysim.calibration.fit_attendance` and a plain lognormal, bootstraps the
parameters (seeded) and writes, beside this file:

``fit.json``
    Parameters with robust standard errors, Wald (``wald_ci95``) and bootstrap
    (``bootstrap_ci95``, preferred) 95 % intervals;
    observed against fitted median per distance band; the plain lognormal;
    a sensitivity fit without the implausible times under 60 s.
``fit.png``
    Left: observed against fitted attendance-time distributions. Right:
    attendance against straight-line distance (binned medians with IQR, the
    fitted median and IQR). The 5-minute standard is marked in both.

Usage::

    python calibration/lfb/fit.py [--boot N] [--seed S]

Needs only files in the repository.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import special

from citysim.calibration import (
    BANDS_M,
    ROAD_FACTOR,
    AttendanceFit,
    LognormalFit,
    band_table,
    bootstrap_attendance,
    fit_attendance,
    fit_lognormal,
)

HERE = Path(__file__).resolve().parent
DATA = HERE / "lfb_attendance.csv"
SEED = 2009
N_BOOT = 400
STANDARD_S = 300.0
"""A 5-minute arrival standard (citysim's default ``response.standard``)."""
EXTRA_BAND_M = (5000.0, math.inf)
"""Beyond the MODELS.md bands: reported, not a reference."""
ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Source: London Fire Brigade / London Datastore."
)


def load(path: Path = DATA) -> pd.DataFrame:
    """Read the derived incident table (``#`` lines are comments).

    Parameters
    ----------
    path
        The CSV file.

    Returns
    -------
    pandas.DataFrame
    """
    return pd.read_csv(path, comment="#")


def plot_fit(
    data: pd.DataFrame,
    fit: AttendanceFit,
    lognormal: LognormalFit,
    *,
    rng: np.random.Generator,
    draws_per_incident: int = 20,
    standard_s: float = STANDARD_S,
) -> Figure:
    """Observed against fitted attendance: distribution and distance dependence.

    Parameters
    ----------
    data
        Incidents (``distance_m``, ``attendance_s``).
    fit
        The fitted turnout + Kolesar model.
    lognormal
        The plain lognormal fitted to all times.
    rng
        Seeded generator for the model's predictive draws.
    draws_per_incident
        Predictive draws per observed incident (at its distance).
    standard_s
        Arrival standard to mark (s).

    Returns
    -------
    matplotlib.figure.Figure
    """
    d = data["distance_m"].to_numpy(dtype=float)
    t = data["attendance_s"].to_numpy(dtype=float)
    simulated = fit.sample_attendance_s(np.repeat(d, draws_per_incident), rng)
    std_min = standard_s / 60.0
    red, grey, blue = "#c0392b", "#555555", "#1f77b4"

    fig = Figure(figsize=(13, 5.2), dpi=110)
    (hx, dx) = fig.subplots(1, 2)

    # left: distributions
    bins = np.arange(0.0, 20.0 + 1e-9, 1 / 3)  # 20 s bins, in minutes
    hx.hist(t / 60, bins=bins, density=True, color="#bbbbbb", edgecolor="white", lw=0.4,
            label=f"observed, {t.size:,} dwelling fires")
    sim_density, _ = np.histogram(simulated / 60, bins=bins, density=True)
    hx.stairs(sim_density, bins, color=red, lw=2,
              label="fitted: turnout + Kolesar(distance),\nlognormal error (simulated at "
                    "observed distances)")
    grid = np.linspace(0.05, 20, 400)
    ln_pdf = np.gradient(lognormal.cdf(grid * 60), grid)
    hx.plot(grid, ln_pdf, color=blue, ls="--", lw=1.5,
            label=f"plain lognormal: median {lognormal.median_s:.0f} s, "
                  f"\u03c3 {lognormal.sigma_log:.3f}")
    within_obs = float(np.mean(t <= standard_s))
    within_fit = float(np.mean(simulated <= standard_s))
    hx.axvline(std_min, color="k", ls=":", lw=1.2)
    hx.text(std_min - 0.15, 0.97, f"5-minute standard:\nobserved {within_obs:.0%} within,\n"
                                  f"fitted {within_fit:.0%}",
            transform=hx.get_xaxis_transform(), va="top", ha="right", fontsize=9)
    hx.set_xlim(0, 16)
    hx.set_ylim(0, 1.3 * max(hx.get_ylim()[1], float(sim_density.max())))
    hx.set_xlabel("first-pump attendance time (min)")
    hx.set_ylabel("density (per min)")
    hx.set_title("Attendance-time distribution: observed vs fitted", fontsize=11)
    hx.legend(loc="upper right", fontsize=8.5, frameon=False)

    # right: attendance against distance
    dx.scatter(d / 1000, t / 60, s=3, color=grey, alpha=0.12, lw=0, rasterized=True,
               label="incidents")
    edges = np.r_[np.arange(0.0, 5000.0 + 1, 250.0), d.max() + 1]
    which = np.digitize(d, edges) - 1
    centre, q25, q50, q75 = [], [], [], []
    for k in range(edges.size - 1):
        sel = which == k
        if sel.sum() >= 10:
            centre.append(np.median(d[sel]) / 1000)
            a, b, c = np.quantile(t[sel], [0.25, 0.5, 0.75]) / 60
            q25.append(a)
            q50.append(b)
            q75.append(c)
    q50a = np.asarray(q50)
    dx.errorbar(centre, q50a, yerr=[q50a - np.asarray(q25), np.asarray(q75) - q50a], fmt="o",
                color="k", ms=4.5, capsize=2.5, lw=1,
                label="observed median and IQR (250 m bins)")
    curve_m = np.linspace(0.0, max(6000.0, float(np.quantile(d, 0.999))), 400)
    dx.fill_between(curve_m / 1000, fit.quantile_attendance_s(curve_m, 0.25) / 60,
                    fit.quantile_attendance_s(curve_m, 0.75) / 60, color=red, alpha=0.15, lw=0,
                    label="fitted IQR")
    dx.plot(curve_m / 1000, fit.median_attendance_s(curve_m) / 60, color=red, lw=2,
            label="fitted median")
    dx.axhline(std_min, color="k", ls=":", lw=1.2)
    dx.text(0.99, std_min, "5-minute standard ", va="bottom", ha="right", fontsize=9,
            transform=dx.get_yaxis_transform())
    dc_km = fit.critical_distance_m / fit.road_factor / 1000
    dx.axvline(dc_km, color=red, ls=":", lw=0.8)
    dx.text(dc_km, 0.02, f" cruise speed reached at {dc_km:.2f} km",
            transform=dx.get_xaxis_transform(), va="bottom", fontsize=8, color=red)
    params = (
        f"turnout {fit.turnout_s:.0f} s, a {fit.accel_mps2:.2f} m/s\u00b2, "
        f"v$_c$ {fit.cruise_mps * 3.6:.0f} km/h\n"
        f"(network, road factor {fit.road_factor:g}); \u03c3$_{{log}}$ {fit.sigma_log:.3f}"
    )
    dx.text(0.98, 0.03, params, transform=dx.transAxes, ha="right", va="bottom", fontsize=8.5,
            bbox={"boxstyle": "round", "fc": "white", "ec": "#cccccc"})
    dx.set_xlim(0, curve_m[-1] / 1000)
    dx.set_ylim(0, 16)
    dx.set_xlabel("straight-line distance from the deploying station (km)")
    dx.set_ylabel("first-pump attendance time (min)")
    dx.set_title("Attendance vs distance", fontsize=11)
    legend = dx.legend(loc="upper left", fontsize=8.5, frameon=False)
    legend.legend_handles[0].set_alpha(0.6)
    legend.legend_handles[0].set_sizes([16.0])

    fig.suptitle("London Fire Brigade, dwelling fires 2009: turnout + Kolesar travel time",
                 fontsize=12)
    fig.text(0.5, 0.005, ATTRIBUTION, ha="center", va="bottom", fontsize=7, color=grey)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig


def summarise(data: pd.DataFrame, *, n_boot: int, seed: int) -> tuple[dict[str, Any], Any]:
    """Fit, bootstrap and tabulate; return the ``fit.json`` content and the fits.

    Parameters
    ----------
    data
        Incidents (``distance_m``, ``attendance_s``).
    n_boot
        Bootstrap resamples.
    seed
        Root seed: child streams for the bootstrap and the figure's draws.

    Returns
    -------
    summary : dict
    fits : tuple of AttendanceFit and LognormalFit
    """
    d = data["distance_m"].to_numpy(dtype=float)
    t = data["attendance_s"].to_numpy(dtype=float)
    boot_stream, _ = np.random.SeedSequence(seed).spawn(2)
    fit = fit_attendance(d, t, road_factor=ROAD_FACTOR)
    boot = bootstrap_attendance(d, t, rng=np.random.default_rng(boot_stream), n_boot=n_boot,
                                road_factor=ROAD_FACTOR)
    lognormal = fit_lognormal(t)
    bands = band_table(d, t, fit, bands_m=[*BANDS_M, EXTRA_BAND_M])
    bands["reference"] = [True] * len(BANDS_M) + [False]
    bands["band"] = bands["band"].str.replace("5-inf km", "5+ km")
    plausible = t >= 60.0
    sensitivity = fit_attendance(d[plausible], t[plausible], road_factor=ROAD_FACTOR)

    model = fit.to_dict()
    for name, entry in model["parameters"].items():
        entry["bootstrap_ci95"] = [float(boot[name].quantile(0.025)),
                                   float(boot[name].quantile(0.975))]
    summary: dict[str, Any] = {
        "data": {
            "file": "calibration/lfb/lfb_attendance.csv",
            "sha256": hashlib.sha256(DATA.read_bytes()).hexdigest(),
            "n": int(t.size),
            "attribution": ATTRIBUTION,
        },
        "attendance_model": model,
        "bootstrap": {"n_boot": n_boot, "seed": seed, "method": "percentile, incidents "
                      "resampled with replacement"},
        "overall": {
            "observed_median_s": float(np.median(t)),
            "fitted_median_s": fit.predictive_quantile_s(d, 0.5),
            "observed_share_within_300_s": float(np.mean(t <= 300.0)),
            "fitted_share_within_300_s": _share_within(fit, d, 300.0),
            "lognormal_share_within_300_s": float(lognormal.cdf(300.0)),
            # 4 parameters against 2: AIC = 2k - 2 logL
            "aic_gain_over_plain_lognormal": 2 * (fit.log_likelihood - lognormal.log_likelihood)
            - 2 * 2,
        },
        "bands": bands.replace({np.nan: None}).to_dict(orient="records"),
        "lognormal": lognormal.to_dict(),
        "sensitivity_without_times_under_60_s": {
            "n": sensitivity.n,
            **{name: float(getattr(sensitivity, name)) for name in
               ("turnout_s", "accel_mps2", "cruise_mps", "sigma_log")},
        },
        "citysim": {
            "stations[].turnout": f"{round(fit.turnout_s)}s",
            "note": "turnout is the fitted intercept (see calibration/README.md); the "
                    "Kolesar curve is for checking or replacing citysim's network times",
        },
    }
    return _rounded(summary), (fit, lognormal)


def _share_within(fit: AttendanceFit, distance_m: np.ndarray, time_s: float) -> float:
    z = (np.log(time_s) - np.log(fit.median_attendance_s(distance_m))) / fit.sigma_log
    return float(np.mean(special.ndtr(z)))


def _rounded(value: Any, digits: int = 6) -> Any:
    if isinstance(value, dict):
        return {k: _rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v, digits) for v in value]
    if isinstance(value, float | np.floating):
        v = float(value)
        if not math.isfinite(v):
            return None
        return float(f"{v:.{digits}g}")
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    return value


def main(argv: list[str] | None = None) -> int:
    """Run the fit and write ``fit.json`` and ``fit.png``.

    Parameters
    ----------
    argv
        Command-line arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boot", type=int, default=N_BOOT, help="bootstrap resamples")
    parser.add_argument("--seed", type=int, default=SEED, help="root seed")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    data = load()
    summary, (fit, lognormal) = summarise(data, n_boot=args.boot, seed=args.seed)
    (HERE / "fit.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    _, draw_stream = np.random.SeedSequence(args.seed).spawn(2)
    fig = plot_fit(data, fit, lognormal, rng=np.random.default_rng(draw_stream))
    fig.savefig(HERE / "fit.png", metadata={"Software": None})

    params = summary["attendance_model"]["parameters"]
    print(f"n = {summary['data']['n']}, road factor {ROAD_FACTOR} (fixed)")
    for name, entry in params.items():
        lo, hi = entry["bootstrap_ci95"]
        print(f"  {name:12s} {entry['value']:9.4g}  bootstrap 95% [{lo:.4g}, {hi:.4g}]  "
              f"robust se {entry['se']:.3g}")
    for row in summary["bands"]:
        print(f"  {row['band']:>9s}  n={row['n']:5d}  observed {row['observed_median_s']:6.1f} s"
              f"  fitted {row['fitted_median_s']:6.1f} s  ({row['relative_difference']:+.1%})")
    overall = summary["overall"]
    print(f"  overall median: observed {overall['observed_median_s']:.1f} s, fitted "
          f"{overall['fitted_median_s']:.1f} s; lognormal median "
          f"{lognormal.median_s:.1f} s, sigma {lognormal.sigma_log:.3f}")
    print(f"wrote fit.json and fit.png in {HERE} ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
