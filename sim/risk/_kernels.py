"""Numba kernels of the static QRA: toxic loads on the plume axis, lethality at points.

Array conventions (:mod:`citysim.risk.qra` builds them):

- a **footprint** is one loss of containment in one weather class, the wind
  blowing to +x from the origin. Its toxic load is tabulated on ``M``
  log-spaced downwind distances ``x_j = exp(ln_x0 + j d_ln_x)`` (m):
  ``ln_load[f, j]``, the natural log of the centreline load ``integral C^n dt``
  (probit units^n min), and ``sigma_y[f, j]`` (m); across the wind the load
  falls as ``exp(-n y² / (2 sigma_y²))`` (the Gaussian cross-section raised to
  the probit's power ``n``);
- ``probit`` (F, 3): ``(a, b, n)`` of each footprint's substance,
  ``P = Phi(a + b ln(load) - 5)``;
- ``where`` (F, 3): ``(x_s, y_s, reach)``: the source (m) and the distance
  beyond which lethality is below :data:`NEGLIGIBLE_P` (m);
- ``winds`` (K, 2): unit vectors the wind blows to, one per direction.

A point's coordinates along and across direction ``k`` are those of
:func:`citysim.hazards._plume_kernels.plume_axes`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from citysim.hazards._plume_kernels import dispersion_sigma, point_concentration

SQRT2 = math.sqrt(2.0)
NEGLIGIBLE_P = 1e-9
"""Lethality below which a point is not counted."""
EDGE_SIGMAS = 6.0
"""The passage of the front and the tail is integrated over this many sigma_x either side."""
SEGMENT_POINTS = 64
"""Simpson intervals of each part (front, body, tail) of a passage."""
NO_LOAD = -1e300
"""``ln_load`` where there is no gas."""


@njit(cache=True)
def _simpson(xd: float, t_a: float, t_b: float, geo: np.ndarray, coef: np.ndarray,
             rel: np.ndarray, puffs: np.ndarray, n: float, to_units: float) -> float:
    """``integral_{t_a}^{t_b} (C to_units)^n dt`` at ``(xd, 0)`` by Simpson's rule (units^n s)."""
    if t_b <= t_a:
        return 0.0
    h = (t_b - t_a) / SEGMENT_POINTS
    total = 0.0
    for i in range(SEGMENT_POINTS + 1):
        w = 1.0 if i == 0 or i == SEGMENT_POINTS else (4.0 if i % 2 == 1 else 2.0)
        c = point_concentration(xd, 0.0, t_a + i * h, geo, coef, rel, puffs) * to_units
        if c > 0.0:
            total += w * c ** n
    return total * h / 3.0


@njit(cache=True)
def centreline_load(xd: np.ndarray, geo: np.ndarray, coef: np.ndarray, rel: np.ndarray,
                    puffs: np.ndarray, n: float, to_units: float) -> tuple[np.ndarray, np.ndarray]:
    """Toxic load on the plume axis and sigma_y at downwind distances ``xd`` (m).

    The load ``integral (C to_units)^n dt`` (units^n min) integrates the
    model's own concentration (:func:`point_concentration`, the plume with its
    front and tail, or the puffs) over the whole passage of the gas: the front
    (``EDGE_SIGMAS`` sigma_x either side of ``t_start + x/u``), the body and
    the tail (around ``t_end + x/u``), each by Simpson's rule.
    """
    u = geo[4]
    t_start, t_end = rel[0], rel[1]
    if puffs[2] > 0:  # puffs: from the first to the last one's release
        t_start = puffs[0]
        t_end = puffs[0] + (puffs[2] - 1.0) * puffs[1]
    load = np.empty(xd.size)
    sig = np.empty(xd.size)
    for i in range(xd.size):
        x = xd[i]
        sy = dispersion_sigma(max(x, geo[9]), coef)[0]
        sig[i] = sy
        w = EDGE_SIGMAS * sy / u
        a = t_start + x / u
        b = t_end + x / u
        if b - a <= 2.0 * w:
            total = _simpson(x, a - w, b + w, geo, coef, rel, puffs, n, to_units)
        else:
            total = (_simpson(x, a - w, a + w, geo, coef, rel, puffs, n, to_units)
                     + _simpson(x, a + w, b - w, geo, coef, rel, puffs, n, to_units)
                     + _simpson(x, b - w, b + w, geo, coef, rel, puffs, n, to_units))
        load[i] = total / 60.0
    return load, sig


@njit(cache=True)
def lethality(xd: float, yc: float, f: int, tables: tuple, probit: np.ndarray) -> float:
    """Lethality of footprint ``f`` at plume coordinates ``(xd, yc)`` (m)."""
    ln_x0, d_ln_x, ln_load, sigma_y = tables
    if xd <= 0.0:
        return 0.0
    m = ln_load.shape[1]
    s = (math.log(xd) - ln_x0) / d_ln_x
    if s >= m - 1:
        return 0.0
    if s <= 0.0:
        j, frac = 0, 0.0
    else:
        j = int(s)
        frac = s - j
    lo, hi = ln_load[f, j], ln_load[f, j + 1]
    if lo <= NO_LOAD or hi <= NO_LOAD:
        return 0.0
    ln_l = lo + frac * (hi - lo)
    sy = sigma_y[f, j] + frac * (sigma_y[f, j + 1] - sigma_y[f, j])
    a, b, n = probit[f, 0], probit[f, 1], probit[f, 2]
    ln_l -= n * yc * yc / (2.0 * sy * sy)
    return 0.5 * math.erfc(-(a + b * ln_l - 5.0) / SQRT2)


@njit(cache=True)
def individual_risk(px: np.ndarray, py: np.ndarray, weight: np.ndarray, group: np.ndarray,
                    n_groups: int, where: np.ndarray, winds: np.ndarray, p_wind: np.ndarray,
                    tables: tuple, probit: np.ndarray) -> np.ndarray:
    """``IR(i, g) = sum_(f in g) weight_f sum_k p_k P_f(point i, direction k)`` (per year).

    ``weight``: frequency x weather-class probability of each footprint (per
    year); ``group``: the column (``< n_groups``) each footprint adds to.
    """
    out = np.zeros((px.size, n_groups))
    for f in range(weight.size):
        sx, sy, reach = where[f, 0], where[f, 1], where[f, 2]
        for i in range(px.size):
            dx = px[i] - sx
            dy = py[i] - sy
            if dx * dx + dy * dy > reach * reach:
                continue
            total = 0.0
            for k in range(winds.shape[0]):
                ex, ey = winds[k, 0], winds[k, 1]
                p = lethality(dx * ex + dy * ey, -dx * ey + dy * ex, f, tables, probit)
                if p > NEGLIGIBLE_P:
                    total += p_wind[k] * p
            out[i, group[f]] += weight[f] * total
    return out


@njit(cache=True)
def expected_deaths(px: np.ndarray, py: np.ndarray, persons: np.ndarray, where: np.ndarray,
                    winds: np.ndarray, tables: tuple, probit: np.ndarray) -> np.ndarray:
    """``S(f, k) = sum_i persons_i P_f(point i, direction k)``: outdoor deaths of each event."""
    out = np.zeros((where.shape[0], winds.shape[0]))
    for f in range(where.shape[0]):
        sx, sy, reach = where[f, 0], where[f, 1], where[f, 2]
        for i in range(px.size):
            dx = px[i] - sx
            dy = py[i] - sy
            if persons[i] <= 0.0 or dx * dx + dy * dy > reach * reach:
                continue
            for k in range(winds.shape[0]):
                ex, ey = winds[k, 0], winds[k, 1]
                p = lethality(dx * ex + dy * ey, -dx * ey + dy * ex, f, tables, probit)
                if p > NEGLIGIBLE_P:
                    out[f, k] += persons[i] * p
    return out
