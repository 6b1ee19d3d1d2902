"""Flood benchmarks: the numba local-inertial solver against NumPy and against the memory bound.

``flood_vs_numpy`` advances the same wet grid by the same sub-steps with
:func:`citysim.hazards._flood_kernels.run_flood` and with :func:`numpy_run_flood`,
a vectorised NumPy implementation of the same scheme (whole-array operations,
one sub-step at a time, ``h^(7/3)`` as ``h² cbrt(h)``); the ratio of times is
the ratio of cell updates per second (target 5).

``flood_bandwidth`` compares the numba solver with this machine's
memory-bandwidth bound, measured in the same run: a STREAM triad
(``a = b + s c`` over arrays far larger than the caches, 24 bytes moved per
element) gives the bandwidth; one cell update must read ``z``, ``h``, ``qx``,
``qy`` and write ``h``, ``qx``, ``qy`` (7 float64 = 56 bytes), so the bound is
``bandwidth / 56`` cell updates per second. ``ratio`` = achieved / bound
(target 0.5). At full size both measure memory, not cache: the grid is
4096 x 4096 (seven 134 MB fields) and the triad's three arrays together are
at least four times the last-level cache (read from
``/sys/devices/system/cpu/cpu0/cache``) and never fewer than 4096² elements
each; the solver and the triad run alternately (best of each), so that
other jobs' load on the memory bus hits both alike. Both entries run the
solver on all numba threads when the grid is large enough
(:data:`citysim.hazards._flood_kernels.PARALLEL_MIN_CELLS`), and the triad
on all threads too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numba import njit, prange

from benchmarks.common import BenchResult, compare, register
from citysim.hazards import _flood_kernels as k

G = 9.81
BYTES_PER_CELL_UPDATE = 56
"""z, h, qx, qy read and h, qx, qy written, float64."""
TRIAD_BYTES = 24
"""a = b + s c: two reads and one write of float64."""

# side of the square grid (cells), simulated seconds per timed call
GRID = {"full": (2048, 20.0), "quick": (512, 20.0), "smoke": (64, 10.0)}
TRIAD_N = {"full": 50_000_000, "quick": 20_000_000, "smoke": 1_000_000}
BANDWIDTH_SIDE = {"full": 4096, "quick": 512, "smoke": 64}
"""Grid side of ``flood_bandwidth``: at full size, far beyond any cache."""
LLC_FALLBACK_BYTES = 64 * 2**20
NUMPY_TARGET = 5.0
BOUND_TARGET = 0.5
DX_M = 5.0
N_MANNING = 0.03
RAIN_M_S = 50.0 / 3.6e6
LOSS_M_S = 12.0 / 3.6e6


def wet_case(side: int) -> tuple[np.ndarray, np.ndarray]:
    """A gently sloping, bumpy bed under water 0.05-1.3 m deep everywhere (all faces wet)."""
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:side, 0:side]
    z = 0.8 * xx / side + 0.3 * np.sin(xx / 17.0) * np.cos(yy / 23.0) + \
        rng.uniform(0.0, 0.05, (side, side))
    h = np.maximum(1.0 - z, 0.0) + 0.05
    return np.ascontiguousarray(z), np.ascontiguousarray(h)


# --- the NumPy reference ---------------------------------------------------------------------


def _inertial(q_in, q_abs, h_f, d_eta, dt, dx, n):
    return (q_in - G * h_f * dt * d_eta / dx) / (1.0 + G * dt * n * n * q_abs /
                                                 (h_f * h_f * np.cbrt(h_f)))


def _cap(q, h_f, froude_max):
    cap = froude_max * h_f * np.sqrt(G * h_f)
    return np.clip(q, -cap, cap)


def _faces(z_l, h_l, z_r, h_r, q, q_before, q_after, theta, dt, dx, n, h_min, froude_max):
    """New discharges of inner faces between cells l and r (arrays)."""
    e_l, e_r = z_l + h_l, z_r + h_r
    h_f = np.maximum(e_l, e_r) - np.maximum(z_l, z_r)
    wet = h_f > h_min
    h_s = np.where(wet, h_f, 1.0)
    q_in = theta * q + 0.5 * (1.0 - theta) * (q_before + q_after)
    qn = _cap(_inertial(q_in, np.abs(q), h_s, e_r - e_l, dt, dx, n), h_s, froude_max)
    return np.where(wet, qn, 0.0)


def _outflow(q, h_c, z_c, h_in, z_in, sign, dt, dx, n, h_min, froude_max):
    """Open outer faces (arrays): outflow only, driven by the last inner face's slope."""
    eta_c, eta_in = z_c + h_c, z_in + h_in
    h_face = np.maximum(eta_c, eta_in) - np.maximum(z_c, z_in)
    ok = (h_c > h_min) & (h_face > h_min) & (eta_in > eta_c)
    h_s = np.where(ok, h_c, 1.0)
    q_old = np.where(sign * q > 0.0, q, 0.0)
    qn = _cap(_inertial(q_old, np.abs(q_old), h_s, -sign * (eta_in - eta_c), dt, dx, n), h_s,
              froude_max)
    return np.where(ok & (sign * qn > 0.0), qn, 0.0)


def numpy_substep(z, h, qx, qy, n, dx, dt, rain, loss, point, open_boundary, h_min,
                  theta=1.0, froude_max=1.0):
    """One sub-step of the local-inertial scheme in whole-array NumPy, in place.

    The same stages, order and formulas as the numba kernel (module doc of
    :mod:`citysim.hazards._flood_kernels`): momentum, boundary, source (rain on
    cells with ``z < Z_WALL_M``, ``point`` m/s per cell, losses where water
    stands), outflow limiter, continuity. Returns ``(outflow m³, source m³,
    loss m³, active cells)``.
    """
    rows, cols = h.shape
    qx_old, qy_old = qx.copy(), qy.copy()
    qx[:, 1:-1] = _faces(z[:, :-1], h[:, :-1], z[:, 1:], h[:, 1:], qx_old[:, 1:-1],
                         qx_old[:, :-2], qx_old[:, 2:], theta, dt, dx, n, h_min, froude_max)
    qy[1:-1, :] = _faces(z[:-1], h[:-1], z[1:], h[1:], qy_old[1:-1], qy_old[:-2], qy_old[2:],
                         theta, dt, dx, n, h_min, froude_max)
    if open_boundary and cols > 1:
        qx[:, 0] = _outflow(qx_old[:, 0], h[:, 0], z[:, 0], h[:, 1], z[:, 1], -1.0, dt, dx, n,
                            h_min, froude_max)
        qx[:, -1] = _outflow(qx_old[:, -1], h[:, -1], z[:, -1], h[:, -2], z[:, -2], 1.0, dt, dx,
                             n, h_min, froude_max)
    else:
        qx[:, [0, -1]] = 0.0
    if open_boundary and rows > 1:
        qy[0] = _outflow(qy_old[0], h[0], z[0], h[1], z[1], -1.0, dt, dx, n, h_min, froude_max)
        qy[-1] = _outflow(qy_old[-1], h[-1], z[-1], h[-2], z[-2], 1.0, dt, dx, n, h_min,
                          froude_max)
    else:
        qy[[0, -1]] = 0.0
    active = z < k.Z_WALL_M
    s = np.where(active, rain, 0.0) + point
    avail = h + dt * s
    lose = np.where(avail > 0.0, np.minimum(loss, avail * (1.0 / dt)), 0.0)
    h_s = np.maximum(h + dt * (s - lose), 0.0)
    added = float((h_s - h).sum())
    kk = dt / dx
    out = (np.maximum(-qx[:, :-1], 0.0) + np.maximum(qx[:, 1:], 0.0)
           + np.maximum(-qy[:-1], 0.0) + np.maximum(qy[1:], 0.0)) * kk
    f = np.where(out > h_s, h_s / np.where(out > 0.0, out, 1.0), 1.0)
    fx = np.ones((rows, cols + 1))
    pos = qx > 0.0
    pos[:, 0] = False
    neg = qx < 0.0
    neg[:, -1] = False
    fx[:, 1:][pos[:, 1:]] = f[pos[:, 1:]]
    fx[:, :-1][neg[:, :-1]] = f[neg[:, :-1]]
    qx *= fx
    fy = np.ones((rows + 1, cols))
    pos = qy > 0.0
    pos[0] = False
    neg = qy < 0.0
    neg[-1] = False
    fy[1:][pos[1:]] = f[pos[1:]]
    fy[:-1][neg[:-1]] = f[neg[:-1]]
    qy *= fy
    h_new = h_s + kk * (qx[:, :-1] - qx[:, 1:] + qy[:-1] - qy[1:])
    added -= float(np.minimum(h_new, 0.0).sum())
    h[:] = np.maximum(h_new, 0.0)
    outflow = float(np.maximum(-qx[:, 0], 0.0).sum() + np.maximum(qx[:, -1], 0.0).sum()
                    + np.maximum(-qy[0], 0.0).sum() + np.maximum(qy[-1], 0.0).sum())
    return (outflow * dt * dx, added * dx * dx, float(lose.sum()) * dt * dx * dx,
            int(active.sum()))


def numpy_run_flood(z, h, qx, qy, n, dx, t0, t1, alpha, h_min, open_boundary, rain, loss,
                    point=None, theta=1.0, dt_max=k.DT_MAX_S, froude_max=1.0):
    """:func:`numpy_substep` with the adaptive step of ``run_flood`` (constant rain and loss).

    Returns ``(volumes (rain, loss, inflow, outflow) m³, sub-steps)``; ``point``
    (m/s per cell) counts as inflow.
    """
    point = np.zeros_like(h) if point is None else point
    volumes = np.zeros(4)
    t = t0
    n_sub = 0
    while t < t1:
        h_max = float(h.max())
        dt = min(alpha * np.sqrt(theta) * dx / np.sqrt(G * h_max) if h_max > 0 else np.inf, dt_max)
        t_end = min(t + dt, t1)
        dt = t_end - t
        if dt <= 0.0:
            break
        out, _, lost, active = numpy_substep(z, h, qx, qy, n, dx, dt, rain, loss, point,
                                             open_boundary, h_min, theta, froude_max)
        volumes += (rain * dt * dx * dx * active, lost, float(point.sum()) * dt * dx * dx, out)
        n_sub += 1
        t = t_end
    return volumes, n_sub


# --- the bandwidth yardstick ---------------------------------------------------------------


@njit(cache=True, parallel=True)
def _triad(a: np.ndarray, b: np.ndarray, c: np.ndarray, s: float) -> None:
    for i in prange(a.shape[0]):
        a[i] = b[i] + s * c[i]


def last_level_cache_bytes() -> int:
    """Size of the largest CPU cache this machine reports (bytes; 64 MiB if unknown)."""
    sizes = []
    for path in Path("/sys/devices/system/cpu/cpu0/cache").glob("index*/size"):
        text = path.read_text().strip()
        unit = {"K": 2**10, "M": 2**20, "G": 2**30}.get(text[-1:], 1)
        sizes.append(int(text.rstrip("KMG")) * unit)
    return max(sizes, default=LLC_FALLBACK_BYTES)


def triad_elements(size: str) -> int:
    """Elements per triad array: at full size three arrays of 4x the last-level cache."""
    if size != "full":
        return TRIAD_N[size]
    return max(TRIAD_N[size], 4 * last_level_cache_bytes() // TRIAD_BYTES,
               BANDWIDTH_SIDE[size] ** 2)


def triad(n: int):
    """A STREAM triad over three ``n``-element arrays: ``(run, bytes moved per run)``."""
    a, b, c = np.zeros(n), np.ones(n), np.full(n, 2.0)
    return (lambda: _triad(a, b, c, 3.0)), TRIAD_BYTES * n


# --- the entries -----------------------------------------------------------------------------


def _runner(side: int, seconds: float):
    z, h0 = wet_case(side)
    parallel = side * side >= k.PARALLEL_MIN_CELLS
    empty_t, empty_q = np.full((0, 1), np.inf), np.zeros((0, 1))

    def numba_run():
        h, qx, qy = h0.copy(), np.zeros((side, side + 1)), np.zeros((side + 1, side))
        vol, n_sub = k.run_flood(z, h, qx, qy, N_MANNING, DX_M, 0.0, seconds, 0.7, 1e-3, True,
                                 np.zeros(1), np.array([RAIN_M_S]), LOSS_M_S,
                                 np.zeros(0, np.int64), empty_t, empty_q, parallel=parallel)
        return h, vol, n_sub

    def numpy_run():
        h, qx, qy = h0.copy(), np.zeros((side, side + 1)), np.zeros((side + 1, side))
        vol, n_sub = numpy_run_flood(z, h, qx, qy, N_MANNING, DX_M, 0.0, seconds, 0.7, 1e-3,
                                     True, RAIN_M_S, LOSS_M_S)
        return h, vol, n_sub

    return numba_run, numpy_run


@register("flood_vs_numpy")
def bench_vs_numpy(size: str, repeats: int) -> BenchResult:
    side, seconds = GRID[size]
    numba_run, numpy_run = _runner(side, seconds)
    ours_s, ref_s, first_s = compare(numba_run, numpy_run, max(1, repeats // 2))
    (h1, v1, n1), (h2, v2, n2) = numba_run(), numpy_run()
    agree = n1 == n2 and np.allclose(h1, h2, rtol=0, atol=1e-9) and np.allclose(v1, v2,
                                                                                 rtol=1e-9)
    rate = side * side * n1 / ours_s / 1e6
    return BenchResult(ours_s, ref_s, NUMPY_TARGET,
                       f"{side}x{side} wet cells x {n1} sub-steps: numba {rate:.0f} M cell "
                       f"updates/s, NumPy {side * side * n2 / ref_s / 1e6:.1f} M", first_s, agree)


@register("flood_bandwidth")
def bench_bandwidth(size: str, repeats: int) -> BenchResult:
    side, seconds = BANDWIDTH_SIDE[size], GRID[size][1]
    numba_run, _ = _runner(side, seconds)
    n_triad = triad_elements(size)
    triad_run, moved = triad(n_triad)
    # alternately, so that the load of other jobs on the memory bus hits both sides alike
    best, triad_s, first_s = compare(numba_run, triad_run, repeats)
    _, _, n_sub = numba_run()
    bandwidth = moved / triad_s
    updates = side * side * n_sub
    bound_s = updates * BYTES_PER_CELL_UPDATE / bandwidth  # the time the bound allows
    return BenchResult(best, bound_s, BOUND_TARGET,
                       f"{updates / best / 1e6:.0f} M cell updates/s of a bound of "
                       f"{bandwidth / BYTES_PER_CELL_UPDATE / 1e6:.0f} M (triad "
                       f"{bandwidth / 1e9:.1f} GB/s over 3 x {n_triad * 8 / 1e6:,.0f} MB, "
                       f"last-level cache {last_level_cache_bytes() / 2**20:,.0f} MiB / "
                       f"{BYTES_PER_CELL_UPDATE} B); {side}x{side} grid "
                       f"({BYTES_PER_CELL_UPDATE * side * side / 1e6:,.0f} MB moved per sub-step)",
                       max(0.0, first_s - best))
