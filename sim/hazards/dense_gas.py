"""Dense gas: the Britter-McQuaid (1988) criterion and workbook correlations.

A release heavier than air slumps and spreads as a low cloud before the
atmosphere's turbulence takes over. Britter and McQuaid (1988, *Workbook on
the Dispersion of Dense Gases*, HSE Contract Research Report 17/1988; also
CCPS 1999, *Guidelines for Consequence Analysis of Chemical Releases*,
section 2.3) decide whether it does, and give the centreline concentration of
the dense phase (MODELS.md, "Dense gas"):

- **Reduced gravity** ``g0' = g (rho0 - rho_a) / rho_a`` with the release
  density ``rho0`` and the air's ``rho_a`` (:data:`AIR_DENSITY_KG_M3`).
- **Criterion.** Continuous (volume rate ``q0 = rate / rho0``): dense when
  ``(g0' q0 / (u^3 D))^(1/3) >= 0.15`` with ``D = sqrt(q0 / u)``;
  instantaneous (volume ``V0 = M / rho0``): dense when
  ``sqrt(g0' V0^(1/3)) / u >= 0.20``; ``u`` is the wind at 10 m. A gas
  lighter than air (``g0' <= 0``) scores 0.
- **Correlations.** The workbook's nomograms give, for a ratio ``C/C0`` of
  the centreline ground concentration to the release's, ``beta = log10(x /
  L)`` as a piecewise-linear function of ``alpha``: continuous ``alpha =
  0.2 log10(g0'^2 q0 / u^5)``, ``L = D``, ratios 0.1 ... 0.002
  (:data:`CONTINUOUS`); instantaneous ``alpha = 0.5 log10(g0' V0^(1/3) /
  u^2)``, ``L = V0^(1/3)``, ratios 0.1 ... 0.001 (:data:`INSTANTANEOUS`). The
  segments are the equations of the nomogram curves as CCPS (1999) tabulates
  them (the same digitisation is in the US EPA *User's Guide to TSCREEN*,
  EPA-454/B-94-023, 1994); we read them as tabulated in the open
  GasDispersion.jl documentation and source (Farrell, ``britter_mcquaid_correls.jl``)
  and checked each segment's continuity at its break points by hand. Outside
  the workbook's range ``alpha`` is clamped to ``[-1, 1]`` (the end segments
  are flat or nearly so below -0.7).
- Between the tabulated ratios ``C/C0`` is log-log interpolated in ``x``;
  nearer than the first (0.1) the first segment is extended, up to ``C/C0 =
  1``. The dense phase ends at the last tabulated ratio; beyond it the cloud
  is passive (:mod:`citysim.hazards.chemical` matches its Gaussian model
  there by a virtual source).

Concentrations are ``C/C0`` times the release density ``rho0`` (kg/m³): the
mass the workbook's volume ``q0`` or ``V0`` carries. The workbook is for
ground-level releases in the isothermal form (no correction for a cold
cloud's warming).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "AIR_DENSITY_KG_M3",
    "CONTINUOUS",
    "INSTANTANEOUS",
    "DenseGas",
    "assess",
    "beta",
]

GRAVITY_M_S2 = 9.81
"""Acceleration of gravity (m/s²)."""
AIR_DENSITY_KG_M3 = 28.96 / 24.45
"""Air at 25 °C and 1 atm (kg/m³): 28.96 g/mol over 24.45 L/mol, as the ppm conversion."""
CONTINUOUS_THRESHOLD = 0.15
"""Britter-McQuaid: a continuous release is dense from this criterion value."""
INSTANTANEOUS_THRESHOLD = 0.20
"""Britter-McQuaid: an instantaneous release is dense from this criterion value."""
ALPHA_RANGE = (-1.0, 1.0)
"""Range of ``alpha`` the nomograms cover; ``alpha`` is clamped to it."""

Segments = tuple[tuple[float, float, float], ...]
"""``(alpha upper end, slope, intercept)``: ``beta = slope alpha + intercept`` up to the end."""

CONTINUOUS: dict[float, Segments] = {
    0.10: ((-0.55, 0.0, 1.75), (-0.14, 0.24, 1.88), (1.0, -0.50, 1.78)),
    0.05: ((-0.68, 0.0, 1.92), (-0.29, 0.36, 2.16), (-0.18, 0.0, 2.06), (1.0, -0.56, 1.96)),
    0.02: ((-0.69, 0.0, 2.08), (-0.31, 0.45, 2.39), (-0.16, 0.0, 2.25), (1.0, -0.54, 2.16)),
    0.01: ((-0.70, 0.0, 2.25), (-0.29, 0.49, 2.59), (-0.20, 0.0, 2.45), (1.0, -0.52, 2.35)),
    0.005: ((-0.67, 0.0, 2.40), (-0.28, 0.59, 2.80), (-0.15, 0.0, 2.63), (1.0, -0.48, 2.56)),
    0.002: ((-0.69, 0.0, 2.60), (-0.25, 0.39, 2.87), (-0.13, 0.0, 2.77), (1.0, -0.50, 2.71)),
}
"""Britter-McQuaid continuous-plume correlations (CCPS 1999), ``C/C0 -> beta(alpha)``."""
INSTANTANEOUS: dict[float, Segments] = {
    0.10: ((-0.44, 0.0, 0.70), (0.43, 0.26, 0.81), (1.0, 0.0, 0.93)),
    0.05: ((-0.56, 0.0, 0.85), (0.31, 0.26, 1.00), (1.0, -0.12, 1.12)),
    0.02: ((-0.66, 0.0, 0.95), (0.32, 0.36, 1.19), (1.0, -0.26, 1.38)),
    0.01: ((-0.71, 0.0, 1.15), (0.37, 0.34, 1.39), (1.0, -0.38, 1.66)),
    0.005: ((-0.52, 0.0, 1.48), (0.24, 0.26, 1.62), (1.0, -0.30, 1.75)),
    0.002: ((0.27, 0.0, 1.83), (1.0, -0.32, 1.92)),
    0.001: ((-0.10, 0.0, 2.075), (1.0, -0.27, 2.05)),
}
"""Britter-McQuaid instantaneous-puff correlations (CCPS 1999), ``C/C0 -> beta(alpha)``."""


def beta(segments: Segments, alpha: float) -> float:
    """``beta = log10(x / L)`` of one concentration ratio at ``alpha`` (clamped to the range)."""
    a = min(max(alpha, ALPHA_RANGE[0]), ALPHA_RANGE[1])
    for end, slope, intercept in segments:
        if a <= end:
            return slope * a + intercept
    raise AssertionError("the last segment ends at the top of ALPHA_RANGE")


@dataclass(frozen=True)
class DenseGas:
    """The Britter-McQuaid assessment of one release.

    Attributes
    ----------
    kind
        ``continuous`` or ``instantaneous``.
    criterion, threshold
        The criterion's value and the value from which the release is dense.
    dense
        ``criterion >= threshold``.
    alpha
        The nomogram's abscissa (``nan`` for a gas not heavier than air).
    length_m
        The scale ``L`` of the distances (m): ``D`` or ``V0^(1/3)``.
    density_kg_m3
        The release density ``rho0`` (kg/m³): ``C0``.
    """

    kind: str
    criterion: float
    threshold: float
    dense: bool
    alpha: float
    length_m: float
    density_kg_m3: float

    def table(self) -> tuple[np.ndarray, np.ndarray]:
        """Downwind distances (m, increasing) to the tabulated ratios ``C/C0`` (decreasing)."""
        corr = CONTINUOUS if self.kind == "continuous" else INSTANTANEOUS
        ratios = np.array(sorted(corr, reverse=True))
        x = self.length_m * 10.0 ** np.array([beta(corr[r], self.alpha) for r in ratios])
        return np.maximum.accumulate(x), ratios

    @property
    def end_m(self) -> float:
        """Where the dense phase ends (m): the distance to the last tabulated ratio."""
        return float(self.table()[0][-1])

    def concentration_kg_m3(self, x_m: np.ndarray) -> np.ndarray:
        """Centreline ground concentration (kg/m³) of the dense phase at ``x_m`` (m, > 0).

        Log-log interpolation between the tabulated ratios; nearer than the
        first, its first segment extended (at most ``C0``); beyond the last,
        the last segment extended (the passive model takes over there).
        """
        x, r = self.table()
        lx, lr = np.log(x), np.log(r)
        ln = np.log(np.asarray(x_m, dtype=float))
        slope_in = (lr[1] - lr[0]) / (lx[1] - lx[0])
        slope_out = (lr[-1] - lr[-2]) / (lx[-1] - lx[-2])
        out = np.interp(ln, lx, lr)
        out = np.where(ln < lx[0], lr[0] + slope_in * (ln - lx[0]), out)
        out = np.where(ln > lx[-1], lr[-1] + slope_out * (ln - lx[-1]), out)
        return self.density_kg_m3 * np.minimum(np.exp(out), 1.0)


def assess(kind: str, amount: float, density_kg_m3: float, wind_10m_mps: float) -> DenseGas:
    """Apply the Britter-McQuaid criterion to a release.

    Parameters
    ----------
    kind
        ``continuous`` (``amount`` in kg/s) or ``instantaneous`` (kg).
    amount
        Mass rate (kg/s) or mass (kg).
    density_kg_m3
        Release density ``rho0`` (kg/m³).
    wind_10m_mps
        Wind at 10 m (m/s).
    """
    u = wind_10m_mps
    g0 = GRAVITY_M_S2 * (density_kg_m3 - AIR_DENSITY_KG_M3) / AIR_DENSITY_KG_M3
    heavy = g0 > 0.0
    volume = amount / density_kg_m3  # m3/s or m3
    if kind == "continuous":
        length = math.sqrt(volume / u)
        value = (g0 * volume / (u**3 * length)) ** (1.0 / 3.0) if heavy else 0.0
        alpha = 0.2 * math.log10(g0**2 * volume / u**5) if heavy else math.nan
        threshold = CONTINUOUS_THRESHOLD
    else:
        length = volume ** (1.0 / 3.0)
        value = math.sqrt(g0 * length) / u if heavy else 0.0
        alpha = 0.5 * math.log10(g0 * length / u**2) if heavy else math.nan
        threshold = INSTANTANEOUS_THRESHOLD
    return DenseGas(kind=kind, criterion=value, threshold=threshold, dense=value >= threshold,
                    alpha=alpha, length_m=length, density_kg_m3=density_kg_m3)
