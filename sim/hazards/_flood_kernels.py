"""Numba kernels of the flood: the local-inertial scheme (Bates et al. 2010).

The formulas and reference cases are in docs MODELS.md ("Flood"); this module
is the LISFLOOD-FP style explicit solver that :mod:`citysim.hazards.flood` calls.
Plain float64 C-contiguous arrays in and out, updated in place:

- ``z`` (rows, cols): bed elevation (m); a cell with ``z >= Z_WALL_M`` is
  outside the domain (NODATA): no rain falls on it and no water crosses its
  faces; ``h`` (rows, cols): water depth (m), never negative; row 0 is the
  SOUTH row (as in :class:`citysim.world.raster.Raster`);
- ``qx`` (rows, cols + 1): unit-width discharge across the vertical faces
  (m²/s, positive toward +x, east); face ``j`` lies between cells ``j - 1``
  and ``j``, faces ``0`` and ``cols`` are the west and east boundary;
- ``qy`` (rows + 1, cols): the same across the horizontal faces (positive
  toward +y, north); face ``i`` lies between rows ``i - 1`` and ``i``.

One sub-step does, in this order:

1. **momentum**: every inner face with flow depth
   ``h_f = max(eta_i, eta_{i-1}) - max(z_i, z_{i-1}) > h_min`` gets
   ``q = (q - g h_f dt d_eta/dx) / (1 + g dt n² |q| / h_f^(7/3))``, other
   faces 0 (this ``h_f`` makes a lake at rest exactly still: well-balanced).
   The inertia term uses the de Almeida et al. (2012) smoothing
   ``theta q + (1 - theta)/2 (q_left + q_right)`` along the face direction
   (``theta = 1``, the default, is none; the outer faces count as
   neighbours). ``h_f^(-7/3)`` is ``r^7`` with ``r = h_f^(-1/3)`` from
   :func:`inv_cbrt` (no ``pow``). ``|q|`` is capped at Froude number
   ``froude_max``;
2. **boundary**: closed, outer faces carry 0; open, see
   :func:`_boundary_flux` (outflow only, driven by the free-surface slope of
   the last wet face: a zero-gradient, normal-depth outflow);
3. **source**: ``h += dt*source`` (rain on the domain's cells plus point
   inflows, minus losses where water stands), negatives clipped to 0;
4. **outflow limiter**: a cell whose outgoing faces would remove more than
   it holds in this step has all its outgoing faces scaled by
   ``h / outgoing`` (each face has one donor cell, so the scaling is
   unambiguous and a cell's inflows never count toward what it may give);
5. **continuity**: ``h += dt (sum q_in - sum q_out) / dx``; depths are then
   never negative (the limiter leaves at most a rounding residue below 0,
   set to 0: the volume ledger of :func:`run_flood` holds to rounding).

**How it runs fast.** The grid is cut into bands of :data:`BAND_ROWS` rows.
Within a band, one pass over the rows does all five stages while the rows
are in cache (row ``i``'s faces, its source and limiter, then the
continuity of row ``i - 1``), each stage an inner loop over the row that
LLVM vectorises (branch-free face updates, ``error_model="numpy"`` so that
a division carries no zero check, a row never read and written through two
views of one array in the same loop). The faces between bands are computed
before the bands and their continuity finished after, so the bands are
independent: :func:`run_flood` runs them on several threads on large grids.
Per-band sums are combined in band order, so the result does not depend on
the number of threads.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, prange
from numba.core import types
from numba.extending import intrinsic

G = 9.81
"""Gravitational acceleration (m/s²)."""
DT_MAX_S = 60.0
"""Largest sub-step (s), used when the grid is dry or nearly so."""
H_DRY_M = 1e-3
"""Default depth below which :func:`cell_velocity` reports 0 (m)."""
Z_WALL_M = 1e30
"""Bed elevation marking a cell outside the domain (NODATA): no rain, no flow."""
BAND_ROWS = 64
"""Rows per band of the sweep (the unit of work of a thread)."""
PARALLEL_MIN_CELLS = 250_000
"""Grids with fewer cells run on one thread (starting threads costs more)."""

@intrinsic
def _f64_bits(typingctx, x):
    """Bits of a float64 as an int64 (a bit cast, vectorisable)."""
    if not isinstance(x, types.Float):
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _bits_f64(typingctx, i):
    """The float64 whose bits are the int64 ``i``."""
    if not isinstance(i, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@njit(cache=True, error_model="numpy")
def inv_cbrt(x: float) -> float:
    """``x^(-1/3)`` for a positive normal float64, without ``pow`` or ``cbrt``.

    A first guess from the exponent bits (the high word divided by 3, as in
    the classic ``cbrt``; relative error below 4 %), then four Newton steps
    ``r <- r (4 - x r³) / 3`` (quadratic convergence: 4e-2, 3e-3, 2e-5,
    7e-10, then rounding, about 2 ulp). Only multiplications, so it
    vectorises.
    """
    # mypy: numba supplies an intrinsic's typing context
    hi = _f64_bits(x) >> 32  # type: ignore[call-arg]
    r = _bits_f64((1430194684 - ((hi * 1431655766) >> 32)) << 32)
    x3 = x * (1.0 / 3.0)
    r = r * (4.0 / 3.0 - x3 * (r * r * r))
    r = r * (4.0 / 3.0 - x3 * (r * r * r))
    r = r * (4.0 / 3.0 - x3 * (r * r * r))
    return r * (4.0 / 3.0 - x3 * (r * r * r))


@njit(cache=True)
def stable_dt(h: np.ndarray, dx_m: float, alpha: float) -> float:
    """Adaptive time step ``alpha dx / sqrt(g h_max)`` (Bates et al. 2010).

    Parameters
    ----------
    h
        Water depth (m), any shape.
    dx_m
        Cell size (m).
    alpha
        CFL coefficient (about 0.7).

    Returns
    -------
    float
        Time step (s); ``inf`` when the grid is dry.
    """
    h_max = 0.0
    for v in h.ravel():
        if v > h_max:
            h_max = v
    return _dt_of(h_max, dx_m, alpha)


@njit(cache=True)
def _dt_of(h_max: float, dx_m: float, alpha: float) -> float:
    if h_max <= 0.0:
        return np.inf
    return alpha * dx_m / math.sqrt(G * h_max)


@njit(cache=True, error_model="numpy")
def _inertial(q_in: float, q_abs: float, h_f: float, d_eta: float, g_dt_dx: float,
              fric: float) -> float:
    """Local-inertial update: inertia ``q_in``, friction from ``|q| = q_abs``.

    ``g_dt_dx = g dt / dx``, ``fric = g dt n²``; ``h_f^(-7/3) = r^7``.
    """
    r = inv_cbrt(h_f)
    r2 = r * r
    return (q_in - g_dt_dx * h_f * d_eta) / (1.0 + fric * q_abs * (r2 * r2 * r2 * r))


@njit(cache=True, error_model="numpy")
def _froude_cap(q: float, h_f: float, froude_max: float) -> float:
    """``q`` limited to ``|q| <= froude_max h_f sqrt(g h_f)`` (subcritical flow)."""
    cap = froude_max * h_f * math.sqrt(G * h_f)
    return min(max(q, -cap), cap)


@njit(cache=True)
def face_flux(q: float, h_f: float, d_eta: float, dx: float, dt: float, n: float,
              h_min: float = 0.0) -> float:
    """New unit-width discharge across one face (Bates et al. 2010, eq. 11).

    Parameters
    ----------
    q
        Discharge at the previous step (m²/s).
    h_f
        Flow depth at the face (m).
    d_eta
        Free-surface difference across the face, downstream minus upstream
        in the positive direction, ``eta_i - eta_{i-1}`` (m).
    dx
        Cell size (m).
    dt
        Time step (s).
    n
        Manning coefficient (s/m^(1/3)).
    h_min
        Flow depth at or below which the face is dry (m); default 0.

    Returns
    -------
    float
        ``(q - g h_f dt d_eta/dx) / (1 + g dt n² |q| / h_f^(7/3))`` (m²/s),
        0 when ``h_f <= h_min``.
    """
    if h_f <= h_min or h_f <= 0.0:
        return 0.0
    return _inertial(q, abs(q), h_f, d_eta, G * dt / dx, G * dt * n * n)


@njit(cache=True, error_model="numpy")
def _face(z_l: float, h_l: float, z_r: float, h_r: float, q: float, q_in: float,
          g_dt_dx: float, fric: float, h_min: float, froude_max: float) -> float:
    """New discharge across the face between cells l and r (m²/s), branch-free.

    Flow depth ``max(eta) - max(z)``; no flow at or below ``h_min`` (the
    update is computed on a dummy depth of 1 m and discarded, so that the
    loop has no branch to stop LLVM from vectorising it).
    """
    e_l = z_l + h_l
    e_r = z_r + h_r
    h_f = max(e_l, e_r) - max(z_l, z_r)
    wet = h_f > h_min
    h_s = h_f if wet else 1.0
    qn = _froude_cap(_inertial(q_in, abs(q), h_s, e_r - e_l, g_dt_dx, fric), h_s, froude_max)
    return qn if wet else 0.0


@njit(cache=True, error_model="numpy")
def _boundary_flux(q: float, h_c: float, z_c: float, h_in: float, z_in: float, sign: float,
                   g_dt_dx: float, fric: float, h_min: float, froude_max: float) -> float:
    """Outflow across an open outer face (m²/s), signed along its axis.

    The boundary cell ``c`` (depth ``h_c``, bed ``z_c``) loses water through
    the face as if a ghost cell beyond it continued the free-surface slope
    ``S = (eta_in - eta_c)/dx`` of the face between ``c`` and its inner
    neighbour (zero gradient of the slope; at steady state this is Manning
    normal-depth flow ``h^(5/3) sqrt(S)/n``). Flow depth ``h_c``. Only
    outflow: 0 when that inner face is dry, when the surface does not fall
    toward the boundary (a lake at rest stays at rest), when the cell is
    dry, or when the update would point inward. ``sign`` is +1 on the east
    and north edges, -1 on the west and south edges. A grid one cell wide in
    that direction has no inner face: no outflow.
    """
    if h_c <= h_min:
        return 0.0
    eta_c = z_c + h_c
    eta_in = z_in + h_in
    h_face = max(eta_c, eta_in) - max(z_c, z_in)
    if h_face <= h_min or eta_in <= eta_c:
        return 0.0
    q_old = q if sign * q > 0.0 else 0.0
    q_new = _froude_cap(_inertial(q_old, abs(q_old), h_c, -sign * (eta_in - eta_c), g_dt_dx,
                                  fric), h_c, froude_max)
    if sign * q_new <= 0.0:
        return 0.0
    return q_new


@njit(cache=True)
def _sum(a: np.ndarray, n: int) -> float:
    """``a[:n].sum()`` in a fixed order (four running sums), the same on every machine."""
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    j = 0
    while j + 4 <= n:
        s0 += a[j]
        s1 += a[j + 1]
        s2 += a[j + 2]
        s3 += a[j + 3]
        j += 4
    while j < n:
        s0 += a[j]
        j += 1
    return (s0 + s1) + (s2 + s3)


@njit(cache=True, error_model="numpy")
def _continuity(h_row: np.ndarray, qx_row: np.ndarray, q_south: np.ndarray,
                q_north: np.ndarray, k: float) -> float:
    """Continuity of one row in place (a rounding residue below 0 set to 0); its max depth."""
    h_max = 0.0
    for j in range(h_row.shape[0]):
        hn = max(h_row[j] + k * (qx_row[j] - qx_row[j + 1] + q_south[j] - q_north[j]), 0.0)
        h_row[j] = hn
        h_max = max(h_max, hn)
    return h_max


@njit(cache=True, error_model="numpy")
def _band(z, h, qx, qy, r0, r1, south, north, f_first, f_last, par, open_boundary,
          pt_cells, pt_rate, m0, part):
    """Sweep rows ``r0:r1``: faces, source, limiter, and the continuity of the inner rows.

    ``south``/``north`` are the new (unscaled) discharges of the band's outer
    y faces ``qy[r0]`` and ``qy[r1]``, computed beforehand; this band writes
    neither of them nor rows ``r0`` and ``r1 - 1`` of ``h`` past the source
    stage: it leaves the limiter factors of its first and last row in
    ``f_first`` and ``f_last`` for :func:`_finish`. ``part`` receives the
    band's (unused, loss m/s * cells, active cells, max depth, outflow m²/s).
    """
    rows, cols = h.shape
    dx, dt, n, h_min, theta, froude_max, rain, loss = par
    k = dt / dx
    g_dt_dx = G * dt / dx
    fric = G * dt * n * n
    side = 0.5 * (1.0 - theta)
    inv_dt = 1.0 / dt
    work = np.zeros((7, cols + 1))
    f = work[0]  # limiter factors of the row
    q_old = work[1]
    point = work[2]  # point inflows of the row (m/s), zero elsewhere
    acc_loss = work[3]
    prev = work[4]  # old qy of the face row below the one being updated,
    cur = work[5]  # of that row,
    nxt = work[6]  # and of the row above (de Almeida smoothing)
    for j in range(cols):
        prev[j] = qy[r0, j]
        cur[j] = qy[r0 + 1, j]
    lost = 0.0
    n_active = 0
    h_max = 0.0
    outflow = 0.0
    m = m0
    npt = pt_cells.shape[0]
    for i in range(r0, r1):
        z_row = z[i]
        h_row = h[i]
        qx_row = qx[i]
        # 1-2. x faces of row i, outer ones included
        for j in range(cols + 1):
            q_old[j] = qx_row[j]
        for j in range(1, cols):
            q = q_old[j]
            qx_row[j] = _face(z_row[j - 1], h_row[j - 1], z_row[j], h_row[j], q,
                              theta * q + side * (q_old[j - 1] + q_old[j + 1]), g_dt_dx, fric,
                              h_min, froude_max)
        if open_boundary and cols > 1:
            qx_row[0] = _boundary_flux(q_old[0], h_row[0], z_row[0], h_row[1], z_row[1], -1.0,
                                       g_dt_dx, fric, h_min, froude_max)
            qx_row[cols] = _boundary_flux(q_old[cols], h_row[cols - 1], z_row[cols - 1],
                                          h_row[cols - 2], z_row[cols - 2], 1.0, g_dt_dx, fric,
                                          h_min, froude_max)
        else:
            qx_row[0] = 0.0
            qx_row[cols] = 0.0
        # 1. the y faces between rows i and i + 1 inside the band
        if i + 1 < r1:
            z_up = z[i + 1]
            h_up = h[i + 1]
            q_up = qy[i + 1]
            above = qy[i + 2]
            for j in range(cols):
                nxt[j] = above[j]
            for j in range(cols):
                q = cur[j]
                q_up[j] = _face(z_row[j], h_row[j], z_up[j], h_up[j], q,
                                theta * q + side * (prev[j] + nxt[j]), g_dt_dx, fric, h_min,
                                froude_max)
            prev, cur, nxt = cur, nxt, prev
        q_s = south if i == r0 else qy[i]
        q_n = north if i + 1 == r1 else qy[i + 1]
        # 3. source: rain on the domain, point inflows, losses where water stands
        m_row = m
        while m < npt and pt_cells[m] < (i + 1) * cols:
            point[pt_cells[m] - i * cols] += pt_rate[m]
            m += 1
        active = 0
        for j in range(cols):
            inside = z_row[j] < Z_WALL_M
            active += 1 if inside else 0
            s = (rain if inside else 0.0) + point[j]
            avail = h_row[j] + dt * s
            lose = min(loss, avail * inv_dt) if avail > 0.0 else 0.0
            acc_loss[j] = lose
            h_row[j] = max(h_row[j] + dt * (s - lose), 0.0)
        for mm in range(m_row, m):
            point[pt_cells[mm] - i * cols] = 0.0
        n_active += active
        lost += _sum(acc_loss, cols)
        # 4. outflow limiter: factor of each cell of row i, applied to the faces it feeds
        for j in range(cols):
            out = (max(-qx_row[j], 0.0) + max(qx_row[j + 1], 0.0)
                   + max(-q_s[j], 0.0) + max(q_n[j], 0.0)) * k
            f[j] = h_row[j] / out if out > h_row[j] else 1.0
        q = qx_row[0]
        qx_row[0] = q * f[0] if q < 0.0 else q
        q = qx_row[cols]
        qx_row[cols] = q * f[cols - 1] if q > 0.0 else q
        for j in range(1, cols):
            q = qx_row[j]
            qx_row[j] = q * f[j - 1] if q > 0.0 else (q * f[j] if q < 0.0 else q)
        if i > r0:
            for j in range(cols):
                q = q_s[j]
                q_s[j] = q * f[j] if q < 0.0 else q
        if i + 1 < r1:
            for j in range(cols):
                q = q_n[j]
                q_n[j] = q * f[j] if q > 0.0 else q
        if i == r0:
            f_first[:] = f[:cols]
        if i == r1 - 1:
            f_last[:] = f[:cols]
        outflow += max(-qx_row[0], 0.0) + max(qx_row[cols], 0.0)
        # 5. continuity of row i - 1 when both its y faces are inside the band
        if i - 1 > r0:
            h_max = max(h_max, _continuity(h[i - 1], qx[i - 1], qy[i - 1], qy[i], k))
    part[0] = 0.0
    part[1] = lost
    part[2] = n_active
    part[3] = h_max
    part[4] = outflow


@njit(cache=True, error_model="numpy")
def _edge_faces(z, h, qy, starts, par, open_boundary, edge_q):
    """New discharges of the y faces between bands and of the south/north edges.

    ``edge_q[b]`` is face row ``starts[b]`` (``starts[-1] = rows``), computed
    from the old depths and discharges before any band changes them.
    """
    rows, cols = h.shape
    dx, dt, n, h_min, theta, froude_max, _, _ = par
    g_dt_dx = G * dt / dx
    fric = G * dt * n * n
    side = 0.5 * (1.0 - theta)
    n_bands = starts.shape[0] - 1
    for b in range(n_bands + 1):
        r = starts[b]
        out = edge_q[b]
        if b == 0 or b == n_bands:
            for j in range(cols):
                if open_boundary and rows > 1:
                    c, inner, sign = (0, 1, -1.0) if b == 0 else (rows - 1, rows - 2, 1.0)
                    out[j] = _boundary_flux(qy[r, j], h[c, j], z[c, j], h[inner, j],
                                            z[inner, j], sign, g_dt_dx, fric, h_min,
                                            froude_max)
                else:
                    out[j] = 0.0
        else:
            below = qy[r - 1]
            here = qy[r]
            above = qy[r + 1]
            for j in range(cols):
                q = here[j]
                out[j] = _face(z[r - 1, j], h[r - 1, j], z[r, j], h[r, j], q,
                               theta * q + side * (below[j] + above[j]), g_dt_dx, fric, h_min,
                               froude_max)


@njit(cache=True, error_model="numpy")
def _finish(h, qx, qy, starts, edge_q, f_edge, k, parts):
    """Scale the faces between bands by both donors' factors; continuity of the bands' edge rows."""
    rows, cols = h.shape
    n_bands = starts.shape[0] - 1
    for b in range(n_bands + 1):
        r = starts[b]
        for j in range(cols):
            q = edge_q[b, j]
            if q > 0.0 and b > 0:
                q = q * f_edge[b - 1, 1, j]
            elif q < 0.0 and b < n_bands:
                q = q * f_edge[b, 0, j]
            qy[r, j] = q
    outflow = 0.0
    for j in range(cols):
        outflow += max(-qy[0, j], 0.0) + max(qy[rows, j], 0.0)
    for b in range(n_bands):
        r0 = starts[b]
        last = starts[b + 1] - 1
        for r in (r0, last):
            parts[b, 3] = max(parts[b, 3], _continuity(h[r], qx[r], qy[r], qy[r + 1], k))
            if last == r0:
                break
    return outflow


@njit(cache=True)
def _band_starts(rows: int) -> np.ndarray:
    """First row of each band and ``rows`` at the end: about :data:`BAND_ROWS` rows each."""
    n_bands = max(1, rows // BAND_ROWS)
    return np.array([(b * rows) // n_bands for b in range(n_bands + 1)], dtype=np.int64)


@njit(cache=True)
def _step_value(t_s: np.ndarray, v: np.ndarray, t: float) -> float:
    """Value of a step series at ``t``: ``v[k]`` from ``t_s[k]`` on; 0 before ``t_s[0]``."""
    out = 0.0
    for k in range(t_s.shape[0]):
        if t_s[k] <= t:
            out = v[k]
        else:
            break
    return out


@njit(cache=True)
def _next_break(t_s: np.ndarray, t: float, t_next: float) -> float:
    """Earliest time of ``t_s`` after ``t``, or ``t_next`` if that is sooner."""
    for k in range(t_s.shape[0]):
        if t < t_s[k] < t_next:
            t_next = t_s[k]
    return t_next


@njit(cache=True)
def _start(h, inflow_cells):
    """Buffers of a run: inflows sorted by cell, bands, their edge faces and sums, max depth."""
    rows, cols = h.shape
    order = np.argsort(inflow_cells, kind="mergesort")
    cells = inflow_cells[order]
    starts = _band_starts(rows)
    n_bands = starts.shape[0] - 1
    pt_first = np.searchsorted(cells, starts[:-1] * cols)
    h_max = 0.0
    for v in h.ravel():
        h_max = max(h_max, v)
    return (order, cells, np.zeros(cells.shape[0]), starts, pt_first,
            np.zeros((n_bands + 1, cols)), np.zeros((n_bands, 2, cols)), np.zeros((n_bands, 5)),
            h_max)


@njit(cache=True)
def _next_substep(t, t1_s, h_max, dx_m, alpha, dt_max_s, rain_t_s, rain_m_s, inflow_t_s,
                  inflow_m3_s, order, rate):
    """The next sub-step from ``t``: ``(t_end, dt, rain m/s, inflow m³)``; ``rate`` (m/s) set.

    ``dt = min(stable, dt_max_s, t1_s - t)``, cut at the next change of the rain or an
    inflow, whose values are taken at ``t``.
    """
    area = dx_m * dx_m
    t_end = _next_break(rain_t_s, t, min(t + min(_dt_of(h_max, dx_m, alpha), dt_max_s), t1_s))
    for m in range(order.shape[0]):
        t_end = _next_break(inflow_t_s[m], t, t_end)
    dt = t_end - t
    inflow = 0.0
    for m in range(order.shape[0]):
        qm = _step_value(inflow_t_s[order[m]], inflow_m3_s[order[m]], t)
        rate[m] = qm / area
        inflow += qm * dt
    return t_end, dt, _step_value(rain_t_s, rain_m_s, t), inflow


@njit(cache=True)
def _end_substep(h, qx, qy, starts, edge_q, f_edge, par, parts, inflow, volumes):
    """Finish a sub-step after its bands; book its volumes; return the max depth (m)."""
    dx, dt = par[0], par[1]
    outflow = _finish(h, qx, qy, starts, edge_q, f_edge, dt / dx, parts)
    lost = 0.0
    active = 0.0
    h_max = 0.0
    for b in range(parts.shape[0]):  # in band order: the same sums on any number of threads
        lost += parts[b, 1]
        active += parts[b, 2]
        h_max = max(h_max, parts[b, 3])
        outflow += parts[b, 4]
    volumes[0] += par[6] * dt * dx * dx * active
    volumes[1] += lost * dt * dx * dx
    volumes[2] += inflow
    volumes[3] += outflow * dt * dx
    return h_max


@njit(cache=True)
def _run_serial(z, h, qx, qy, n_manning, dx_m, t0_s, t1_s, alpha, h_min_m, open_boundary,
                rain_t_s, rain_m_s, loss_m_s, inflow_cells, inflow_t_s, inflow_m3_s, theta,
                dt_max_s, froude_max):
    """:func:`run_flood` on one thread."""
    order, cells, rate, starts, pt_first, edge_q, f_edge, parts, h_max = _start(h, inflow_cells)
    volumes = np.zeros(4)
    n_sub = 0
    t = t0_s
    while t < t1_s:
        t, dt, rain, inflow = _next_substep(t, t1_s, h_max, dx_m, alpha, dt_max_s, rain_t_s,
                                            rain_m_s, inflow_t_s, inflow_m3_s, order, rate)
        if dt <= 0.0:  # t + dt rounds back to t; only at the last ulp before t1
            break
        par = (dx_m, dt, n_manning, h_min_m, theta, froude_max, rain, loss_m_s)
        _edge_faces(z, h, qy, starts, par, open_boundary, edge_q)
        for b in range(starts.shape[0] - 1):
            _band(z, h, qx, qy, starts[b], starts[b + 1], edge_q[b], edge_q[b + 1],
                  f_edge[b, 0], f_edge[b, 1], par, open_boundary, cells, rate, pt_first[b],
                  parts[b])
        h_max = _end_substep(h, qx, qy, starts, edge_q, f_edge, par, parts, inflow, volumes)
        n_sub += 1
    return volumes, n_sub


@njit(cache=True, parallel=True)
def _run_parallel(z, h, qx, qy, n_manning, dx_m, t0_s, t1_s, alpha, h_min_m, open_boundary,
                  rain_t_s, rain_m_s, loss_m_s, inflow_cells, inflow_t_s, inflow_m3_s, theta,
                  dt_max_s, froude_max):
    """:func:`run_flood` with the bands of each sub-step on all numba threads.

    The same stages as :func:`_run_serial`; a separate entry point, called from
    Python, because a cached function that calls a ``parallel=True`` one
    crashes when loaded from the cache (numba issue 8578).
    """
    order, cells, rate, starts, pt_first, edge_q, f_edge, parts, h_max = _start(h, inflow_cells)
    volumes = np.zeros(4)
    n_sub = 0
    t = t0_s
    while t < t1_s:
        t, dt, rain, inflow = _next_substep(t, t1_s, h_max, dx_m, alpha, dt_max_s, rain_t_s,
                                            rain_m_s, inflow_t_s, inflow_m3_s, order, rate)
        if dt <= 0.0:
            break
        par = (dx_m, dt, n_manning, h_min_m, theta, froude_max, rain, loss_m_s)
        _edge_faces(z, h, qy, starts, par, open_boundary, edge_q)
        for b in prange(starts.shape[0] - 1):
            _band(z, h, qx, qy, starts[b], starts[b + 1], edge_q[b], edge_q[b + 1],
                  f_edge[b, 0], f_edge[b, 1], par, open_boundary, cells, rate, pt_first[b],
                  parts[b])
        h_max = _end_substep(h, qx, qy, starts, edge_q, f_edge, par, parts, inflow, volumes)
        n_sub += 1
    return volumes, n_sub


def run_flood(z: np.ndarray, h: np.ndarray, qx: np.ndarray, qy: np.ndarray, n_manning: float,
              dx_m: float, t0_s: float, t1_s: float, alpha: float, h_min_m: float,
              open_boundary: bool, rain_t_s: np.ndarray, rain_m_s: np.ndarray, loss_m_s: float,
              inflow_cells: np.ndarray, inflow_t_s: np.ndarray, inflow_m3_s: np.ndarray,
              theta: float = 1.0, dt_max_s: float = DT_MAX_S, froude_max: float = 1.0,
              parallel: bool = False) -> tuple[np.ndarray, int]:
    """Advance the water from ``t0_s`` to ``t1_s`` with adaptive sub-steps, in place.

    Each sub-step is ``dt = min(stable_dt, dt_max_s, t1 - t)``, also cut at
    the next change of the rain or an inflow so that step series are applied
    exactly. Rain (uniform over the cells with ``z < Z_WALL_M``) and inflows
    take their values at the start of the sub-step. The loss rate is taken
    only where water stands and never more than the water present after
    this step's rain and inflow.

    Parameters
    ----------
    z, h, qx, qy
        Grid arrays as in :func:`flood_substep`; ``h``, ``qx`` and ``qy``
        are updated.
    n_manning
        Manning coefficient (s/m^(1/3)).
    dx_m
        Cell size (m).
    t0_s, t1_s
        Start and end time (s).
    alpha
        CFL coefficient of :func:`stable_dt`, for ``theta = 1``; the step
        taken is ``alpha sqrt(theta) dx / sqrt(g h_max)``.
    h_min_m
        Flow depth at or below which a face is dry (m).
    open_boundary
        Outflow through the outer faces (True) or closed walls (False).
    rain_t_s, rain_m_s
        Rain as a step series (s, m/s): ``rain_m_s[k]`` from ``rain_t_s[k]``
        until the next time; 0 before the first; may be empty.
    loss_m_s
        Uniform loss rate where water stands (drainage + infiltration, m/s).
    inflow_cells
        Flat cell index ``row * cols + col`` of each point inflow, shape (k,).
    inflow_t_s, inflow_m3_s
        Step series of each inflow (s, m³/s), shape (k, s); unused entries
        padded with ``inf`` times.
    theta
        de Almeida smoothing weight (1 = none).
    dt_max_s
        Largest sub-step (s).
    froude_max
        Largest Froude number of a face's flow.
    parallel
        Run the bands of each sub-step on all numba threads (worth it from
        about :data:`PARALLEL_MIN_CELLS` cells); the result is the same.

    Returns
    -------
    volumes_m3 : ndarray
        ``(rain, loss, inflow, outflow)`` of the interval (m³), such that the
        storage change ``sum(h) dx²`` equals ``rain + inflow - loss -
        outflow`` to rounding.
    n_substeps : int
        Number of sub-steps taken.
    """
    run = _run_parallel if parallel else _run_serial
    # The smoothing keeps (2 theta - 1) of a checkerboard discharge instead of all of
    # it: a von Neumann analysis of the 2-D staggered scheme then bounds the Courant
    # number by sqrt(theta / 2) instead of sqrt(1 / 2), so the step shrinks by sqrt(theta)
    # (without it, theta = 0.8 at alpha = 0.7 grows a checkerboard in deep water).
    return run(z, h, qx, qy, float(n_manning), float(dx_m), float(t0_s), float(t1_s),
               float(alpha) * math.sqrt(float(theta)), float(h_min_m), bool(open_boundary),
               rain_t_s, rain_m_s, float(loss_m_s), inflow_cells, inflow_t_s, inflow_m3_s,
               float(theta), float(dt_max_s), float(froude_max))


@njit(cache=True)
def flood_substep(z: np.ndarray, h: np.ndarray, qx: np.ndarray, qy: np.ndarray,
                  n_manning: float, dx_m: float, dt_s: float, source_m_s: np.ndarray,
                  open_boundary: bool, h_min_m: float,
                  theta: float = 1.0, froude_max: float = 1.0) -> tuple[float, float]:
    """Advance the water by one explicit sub-step of ``dt_s``, in place (module doc).

    Parameters
    ----------
    z
        Bed elevation (m), shape (rows, cols).
    h
        Water depth (m), shape (rows, cols); updated, stays >= 0.
    qx, qy
        Face discharges (m²/s), shapes (rows, cols + 1) and (rows + 1, cols);
        updated.
    n_manning
        Manning coefficient (s/m^(1/3)).
    dx_m
        Cell size (m).
    dt_s
        Sub-step (s); stable when ``<= stable_dt(h, dx_m, 0.7)``.
    source_m_s
        Net vertical source per cell (m/s, rain minus losses; may be
        negative), shape (rows, cols).
    open_boundary
        True: water leaves through the outer faces (outflow only); False:
        closed walls.
    h_min_m
        Flow depth at or below which a face is dry (m).
    theta
        de Almeida et al. (2012) weight; 1 (default) is no smoothing, about
        0.7-0.9 damps checkerboard oscillations at low friction.
    froude_max
        Largest Froude number of a face's flow.

    Returns
    -------
    outflow_m3 : float
        Volume that left through the outer faces in this step (m³).
    source_m3 : float
        Net volume actually added by ``source_m_s`` after clipping at zero
        depth (m³): the storage change plus the outflow.
    """
    rows, cols = h.shape
    before = h.sum()
    cells = np.arange(rows * cols)
    area = dx_m * dx_m
    volumes, _ = _run_serial(z, h, qx, qy, n_manning, dx_m, 0.0, dt_s, np.inf, h_min_m,
                             open_boundary, np.zeros(0), np.zeros(0), 0.0, cells,
                             np.zeros((rows * cols, 1)), (source_m_s * area).reshape(-1, 1),
                             theta, dt_s, froude_max)
    return volumes[3], (h.sum() - before) * area + volumes[3]


@njit(cache=True)
def edge_depth(h: np.ndarray, carve: np.ndarray, x0: float, y0: float, cell: float,
               ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray,
               on_deck: np.ndarray, n_samples: int) -> np.ndarray:
    """Deepest water along each straight road edge.

    Parameters
    ----------
    h
        Water depth (m), shape (rows, cols), row 0 to the south.
    carve
        Depth of each cell below the original ground (an underpass trough), m;
        zeros where nothing is carved.
    x0, y0
        South-west corner of cell (0, 0) (m).
    cell
        Cell size (m).
    ax, ay, bx, by
        Edge end points (m), shape (m,).
    on_deck
        Per edge, 1 when it runs on the original ground (it reads the water
        above it, ``max(h - carve, 0)``; a road crossing over an underpass),
        0 when it runs through the carved cells (it reads ``h``), uint8.
    n_samples
        Points sampled per edge, evenly spaced, both ends included (at least
        2; 1 samples the start point only).

    Returns
    -------
    ndarray
        Largest depth of the cells under the sample points of each edge (m),
        shape (m,); a point outside the grid reads 0. A point on a cell
        border belongs to the cell to its north-east.
    """
    rows, cols = h.shape
    m = ax.shape[0]
    out = np.zeros(m)
    steps = max(n_samples - 1, 1)
    for e in range(m):
        best = 0.0
        for k in range(max(n_samples, 1)):
            f = k / steps
            x = ax[e] + (bx[e] - ax[e]) * f
            y = ay[e] + (by[e] - ay[e]) * f
            c = math.floor((x - x0) / cell)
            r = math.floor((y - y0) / cell)
            if 0 <= r < rows and 0 <= c < cols:
                d = h[r, c] - carve[r, c] if on_deck[e] else h[r, c]
                if d > best:
                    best = d
        out[e] = best
    return out


@njit(cache=True)
def cell_velocity(h: np.ndarray, qx: np.ndarray, qy: np.ndarray, cells: np.ndarray,
                  h_min_m: float = H_DRY_M) -> np.ndarray:
    """Flow speed at the centres of some cells (m/s).

    Parameters
    ----------
    h
        Water depth (m), shape (rows, cols).
    qx, qy
        Face discharges (m²/s), shapes (rows, cols + 1) and (rows + 1, cols).
    cells
        Flat indices ``row * cols + col`` of the cells, shape (k,).
    h_min_m
        Depth at or below which a cell is dry and reads 0 (m); default 1 mm.

    Returns
    -------
    ndarray
        ``sqrt(qx_c² + qy_c²) / h`` with ``qx_c``, ``qy_c`` the means of the
        two opposite faces, shape (k,).
    """
    cols = h.shape[1]
    out = np.zeros(cells.shape[0])
    for k in range(cells.shape[0]):
        i = cells[k] // cols
        j = cells[k] % cols
        if h[i, j] > h_min_m:
            u = 0.5 * (qx[i, j] + qx[i, j + 1])
            v = 0.5 * (qy[i, j] + qy[i + 1, j])
            out[k] = math.sqrt(u * u + v * v) / h[i, j]
    return out
