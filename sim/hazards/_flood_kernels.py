"""Numba kernels of the flood: the local-inertial scheme (Bates et al. 2010).

The formulas and reference cases are in docs MODELS.md ("Flood"); this module
is the LISFLOOD-FP style explicit solver that :mod:`sim.hazards.flood` calls.
Plain float64 C-contiguous arrays in and out, updated in place:

- ``z`` (rows, cols): bed elevation (m); ``h`` (rows, cols): water depth (m),
  never negative; row 0 is the SOUTH row (as in :class:`sim.world.raster.Raster`);
- ``qx`` (rows, cols + 1): unit-width discharge across the vertical faces
  (m²/s, positive toward +x, east); face ``j`` lies between cells ``j - 1``
  and ``j``, faces ``0`` and ``cols`` are the west and east boundary;
- ``qy`` (rows + 1, cols): the same across the horizontal faces (positive
  toward +y, north); face ``i`` lies between rows ``i - 1`` and ``i``.

One sub-step (:func:`flood_substep`) does, in this order:

1. **momentum**: every inner face with flow depth
   ``h_f = max(eta_i, eta_{i-1}) - max(z_i, z_{i-1}) > h_min`` gets
   ``q = (q - g h_f dt d_eta/dx) / (1 + g dt n² |q| / h_f^(7/3))``, other
   faces 0 (this ``h_f`` makes a lake at rest exactly still: well-balanced).
   With ``theta < 1`` the inertia term uses the de Almeida et al. (2012)
   smoothing ``theta q + (1 - theta)/2 (q_left + q_right)`` along the face
   direction (the outer faces count as neighbours);
2. **boundary**: closed, outer faces carry 0; open, see
   :func:`_boundary_flux` (outflow only, driven by the free-surface slope of
   the last wet face: a zero-gradient, normal-depth outflow);
3. **source**: ``h += dt*source`` (net rain minus losses, m/s), negatives
   clipped to 0;
4. **outflow limiter**: a cell whose outgoing faces would remove more than
   it holds in this step has all its outgoing faces scaled by
   ``h / outgoing`` (each face has one donor cell, so the scaling is
   unambiguous and a cell's inflows never count toward what it may give);
5. **continuity**: ``h += dt (sum q_in - sum q_out) / dx``; depths are then
   never negative (a rounding residue below 0 is set to 0 and booked in the
   source volume, so the volume ledger stays exact).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

G = 9.81
"""Gravitational acceleration (m/s²)."""
DT_MAX_S = 60.0
"""Largest sub-step (s), used when the grid is dry or nearly so."""
H_DRY_M = 1e-3
"""Default depth below which :func:`cell_velocity` reports 0 (m)."""


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
    if h_max <= 0.0:
        return np.inf
    return alpha * dx_m / math.sqrt(G * h_max)


@njit(cache=True)
def _inertial(q: float, q_abs: float, h_f: float, d_eta: float, dx: float, dt: float,
              n: float) -> float:
    """Local-inertial update with inertia ``q`` and friction ``|q| = q_abs``."""
    return (q - G * h_f * dt * d_eta / dx) / (1.0 + G * dt * n * n * q_abs / h_f ** (7.0 / 3.0))


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
    return _inertial(q, abs(q), h_f, d_eta, dx, dt, n)


@njit(cache=True)
def _froude_cap(q: float, h_f: float, froude_max: float) -> float:
    """``q`` limited to ``|q| <= froude_max h_f sqrt(g h_f)`` (subcritical flow)."""
    cap = froude_max * h_f * math.sqrt(G * h_f)
    if q > cap:
        return cap
    if q < -cap:
        return -cap
    return q


@njit(cache=True)
def _boundary_flux(q: float, h_c: float, z_c: float, h_in: float, z_in: float, sign: float,
                   dx: float, dt: float, n: float, h_min: float, froude_max: float) -> float:
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
    slope = (eta_in - eta_c) / dx
    q_old = q if sign * q > 0.0 else 0.0
    q_new = _froude_cap(_inertial(q_old, abs(q_old), h_c, -sign * slope * dx, dx, dt, n), h_c,
                        froude_max)
    if sign * q_new <= 0.0:
        return 0.0
    return q_new


@njit(cache=True)
def _inner_face(z_l, h_l, z_r, h_r, q, q_before, q_after, smooth, theta, side, dx, dt, n,
                h_min, froude_max):
    """New discharge across the face between cells l and r, and its speed (m²/s, m/s).

    Flow depth ``max(eta) - max(z)``; no flow at or below ``h_min``; de Almeida
    smoothing of ``q`` with its neighbours ``q_before``/``q_after`` when asked.
    """
    e_l = z_l + h_l
    e_r = z_r + h_r
    h_f = max(e_l, e_r) - max(z_l, z_r)
    if h_f <= h_min:
        return 0.0, 0.0
    q_in = theta * q + side * (q_before + q_after) if smooth else q
    qn = _froude_cap(_inertial(q_in, abs(q), h_f, e_r - e_l, dx, dt, n), h_f, froude_max)
    return qn, abs(qn) / h_f


@njit(cache=True)
def _substep(z: np.ndarray, h: np.ndarray, qx: np.ndarray, qy: np.ndarray, n: float, dx: float,
             dt: float, source: np.ndarray, open_boundary: bool, h_min: float,
             theta: float, froude_max: float) -> tuple[float, float, float]:
    """One sub-step in place; returns (outflow m³, source m³, max face speed m/s)."""
    rows, cols = h.shape
    v_max = 0.0
    smooth = theta < 1.0
    if smooth:
        qx0 = qx.copy()
        qy0 = qy.copy()
    else:
        qx0 = qx
        qy0 = qy
    side = 0.5 * (1.0 - theta)
    # 1. momentum on the inner faces (x faces between columns, y faces between rows)
    for i in range(rows):
        for j in range(1, cols):
            q, v = _inner_face(z[i, j - 1], h[i, j - 1], z[i, j], h[i, j], qx0[i, j],
                               qx0[i, j - 1], qx0[i, j + 1], smooth, theta, side, dx, dt, n,
                               h_min, froude_max)
            qx[i, j] = q
            v_max = max(v_max, v)
    for i in range(1, rows):
        for j in range(cols):
            q, v = _inner_face(z[i - 1, j], h[i - 1, j], z[i, j], h[i, j], qy0[i, j],
                               qy0[i - 1, j], qy0[i + 1, j], smooth, theta, side, dx, dt, n,
                               h_min, froude_max)
            qy[i, j] = q
            v_max = max(v_max, v)
    # 2. outer faces
    for i in range(rows):
        if open_boundary and cols > 1:
            qx[i, 0] = _boundary_flux(qx0[i, 0], h[i, 0], z[i, 0], h[i, 1], z[i, 1], -1.0,
                                      dx, dt, n, h_min, froude_max)
            qx[i, cols] = _boundary_flux(qx0[i, cols], h[i, cols - 1], z[i, cols - 1],
                                         h[i, cols - 2], z[i, cols - 2], 1.0, dx, dt, n, h_min,
                                         froude_max)
        else:
            qx[i, 0] = 0.0
            qx[i, cols] = 0.0
    for j in range(cols):
        if open_boundary and rows > 1:
            qy[0, j] = _boundary_flux(qy0[0, j], h[0, j], z[0, j], h[1, j], z[1, j], -1.0,
                                      dx, dt, n, h_min, froude_max)
            qy[rows, j] = _boundary_flux(qy0[rows, j], h[rows - 1, j], z[rows - 1, j],
                                         h[rows - 2, j], z[rows - 2, j], 1.0, dx, dt, n, h_min,
                                         froude_max)
        else:
            qy[0, j] = 0.0
            qy[rows, j] = 0.0
    for i in range(rows):  # boundary speeds (flow depth = the cell's depth)
        for j in (0, cols):
            if qx[i, j] != 0.0:
                v = abs(qx[i, j]) / h[i, j - 1 if j == cols else 0]
                if v > v_max:
                    v_max = v
    for j in range(cols):
        for i in (0, rows):
            if qy[i, j] != 0.0:
                v = abs(qy[i, j]) / h[i - 1 if i == rows else 0, j]
                if v > v_max:
                    v_max = v
    # 3. vertical source, clipped at 0
    added = 0.0
    for i in range(rows):
        for j in range(cols):
            s = source[i, j]
            if s != 0.0:
                hs = h[i, j] + dt * s
                if hs < 0.0:
                    hs = 0.0
                added += hs - h[i, j]
                h[i, j] = hs
    # 4. outflow limiter: factor per donor cell, then scale its outgoing faces
    k = dt / dx
    factor = np.ones((rows, cols))
    for i in range(rows):
        for j in range(cols):
            out = (max(-qx[i, j], 0.0) + max(qx[i, j + 1], 0.0)
                   + max(-qy[i, j], 0.0) + max(qy[i + 1, j], 0.0)) * k
            if out > h[i, j]:
                factor[i, j] = h[i, j] / out
    for i in range(rows):
        for j in range(cols + 1):
            q = qx[i, j]
            if q > 0.0 and j > 0:
                qx[i, j] = q * factor[i, j - 1]
            elif q < 0.0 and j < cols:
                qx[i, j] = q * factor[i, j]
    for i in range(rows + 1):
        for j in range(cols):
            q = qy[i, j]
            if q > 0.0 and i > 0:
                qy[i, j] = q * factor[i - 1, j]
            elif q < 0.0 and i < rows:
                qy[i, j] = q * factor[i, j]
    # 5. continuity
    for i in range(rows):
        for j in range(cols):
            hn = h[i, j] + k * (qx[i, j] - qx[i, j + 1] + qy[i, j] - qy[i + 1, j])
            if hn < 0.0:  # rounding residue of a limited cell
                added -= hn
                hn = 0.0
            h[i, j] = hn
    outflow = 0.0
    for i in range(rows):
        outflow += max(-qx[i, 0], 0.0) + max(qx[i, cols], 0.0)
    for j in range(cols):
        outflow += max(-qy[0, j], 0.0) + max(qy[rows, j], 0.0)
    return outflow * dt * dx, added * dx * dx, v_max


@njit(cache=True)
def flood_substep(z: np.ndarray, h: np.ndarray, qx: np.ndarray, qy: np.ndarray,
                  n_manning: float, dx_m: float, dt_s: float, source_m_s: np.ndarray,
                  open_boundary: bool, h_min_m: float,
                  theta: float = 1.0, froude_max: float = 1.0) -> tuple[float, float]:
    """Advance the water by one explicit sub-step, in place (see the module doc).

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

    Returns
    -------
    outflow_m3 : float
        Volume that left through the outer faces in this step (m³).
    source_m3 : float
        Net volume actually added by ``source_m_s`` after clipping at zero
        depth (m³). ``storage change = source_m3 - outflow_m3``.
    """
    out, added, _ = _substep(z, h, qx, qy, n_manning, dx_m, dt_s, source_m_s, open_boundary,
                             h_min_m, theta, froude_max)
    return out, added


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
def run_flood(z: np.ndarray, h: np.ndarray, qx: np.ndarray, qy: np.ndarray, n_manning: float,
              dx_m: float, t0_s: float, t1_s: float, alpha: float, h_min_m: float,
              open_boundary: bool, rain_t_s: np.ndarray, rain_m_s: np.ndarray, loss_m_s: float,
              inflow_cells: np.ndarray, inflow_t_s: np.ndarray, inflow_m3_s: np.ndarray,
              theta: float = 1.0, dt_max_s: float = DT_MAX_S,
              froude_max: float = 1.0) -> tuple[np.ndarray, int, float]:
    """Advance the water from ``t0_s`` to ``t1_s`` with adaptive sub-steps, in place.

    Each sub-step is ``dt = min(stable_dt, dt_max_s, t1 - t)``, also cut at
    the next change of the rain or an inflow so that step series are applied
    exactly. Rain (uniform) and inflows take their values at the start of
    the sub-step. The loss rate is taken only where water stands and never
    more than the water present after this step's rain and inflow.

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
        CFL coefficient of :func:`stable_dt`.
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

    Returns
    -------
    volumes_m3 : ndarray
        ``(rain, loss, inflow, outflow)`` of the interval (m³), such that the
        storage change ``sum(h) dx²`` equals ``rain + inflow - loss -
        outflow`` to rounding.
    n_substeps : int
        Number of sub-steps taken.
    max_velocity : float
        Largest face speed ``|q| / h_f`` met in the interval (m/s).
    """
    rows, cols = h.shape
    area = dx_m * dx_m
    source = np.zeros((rows, cols))
    volumes = np.zeros(4)
    n_sub = 0
    v_max = 0.0
    t = t0_s
    n_in = inflow_cells.shape[0]
    while t < t1_s:
        dt = min(stable_dt(h, dx_m, alpha), dt_max_s)
        t_end = min(t + dt, t1_s)
        t_end = _next_break(rain_t_s, t, t_end)
        for m in range(n_in):
            t_end = _next_break(inflow_t_s[m], t, t_end)
        dt = t_end - t
        if dt <= 0.0:  # t + dt rounds back to t; only at the last ulp before t1
            break
        rain = _step_value(rain_t_s, rain_m_s, t)
        for i in range(rows):
            for j in range(cols):
                source[i, j] = rain
        inflow = 0.0
        for m in range(n_in):
            qm = _step_value(inflow_t_s[m], inflow_m3_s[m], t)
            if qm != 0.0:
                c = inflow_cells[m]
                source[c // cols, c % cols] += qm / area
                inflow += qm * dt
        loss = 0.0
        if loss_m_s > 0.0:
            for i in range(rows):
                for j in range(cols):
                    avail = h[i, j] + dt * source[i, j]
                    if avail > 0.0:
                        lost = min(loss_m_s, avail / dt)
                        source[i, j] -= lost
                        loss += lost
        rain_v = rain * dt * area * rows * cols
        out, _, v = _substep(z, h, qx, qy, n_manning, dx_m, dt, source, open_boundary,
                                 h_min_m, theta, froude_max)
        volumes[0] += rain_v
        volumes[1] += loss * dt * area
        volumes[2] += inflow
        volumes[3] += out
        if v > v_max:
            v_max = v
        n_sub += 1
        t = t_end
    return volumes, n_sub, v_max


@njit(cache=True)
def edge_depth(h: np.ndarray, x0: float, y0: float, cell: float, ax: np.ndarray,
               ay: np.ndarray, bx: np.ndarray, by: np.ndarray, n_samples: int) -> np.ndarray:
    """Deepest water along each straight road edge.

    Parameters
    ----------
    h
        Water depth (m), shape (rows, cols), row 0 to the south.
    x0, y0
        South-west corner of cell (0, 0) (m).
    cell
        Cell size (m).
    ax, ay, bx, by
        Edge end points (m), shape (m,).
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
            if 0 <= r < rows and 0 <= c < cols and h[r, c] > best:
                best = h[r, c]
        out[e] = best
    return out


@njit(cache=True)
def cell_velocity(h: np.ndarray, qx: np.ndarray, qy: np.ndarray,
                  h_min_m: float = H_DRY_M) -> np.ndarray:
    """Flow speed at the cell centres (m/s).

    Parameters
    ----------
    h
        Water depth (m), shape (rows, cols).
    qx, qy
        Face discharges (m²/s), shapes (rows, cols + 1) and (rows + 1, cols).
    h_min_m
        Depth at or below which a cell is dry and reads 0 (m); default 1 mm.

    Returns
    -------
    ndarray
        ``sqrt(qx_c² + qy_c²) / h`` with ``qx_c``, ``qy_c`` the means of the
        two opposite faces, shape (rows, cols).
    """
    rows, cols = h.shape
    out = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            if h[i, j] > h_min_m:
                u = 0.5 * (qx[i, j] + qx[i, j + 1])
                v = 0.5 * (qy[i, j] + qy[i + 1, j])
                out[i, j] = math.sqrt(u * u + v * v) / h[i, j]
    return out
