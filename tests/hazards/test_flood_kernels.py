"""Kernels of the local-inertial flood (citysim.hazards._flood_kernels).

Reference values from docs MODELS.md ("Flood"); each tolerance is justified
where it is set.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from citysim.hazards import _flood_kernels as k

G = 9.81
NO_T = np.zeros(0)
NO_CELLS = np.zeros(0, np.int64)
NO_SERIES = np.full((0, 1), np.inf)


def grid(rows: int, cols: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.zeros((rows, cols)), np.zeros((rows, cols + 1)), np.zeros((rows + 1, cols))


def storage(h: np.ndarray, dx: float) -> float:
    return float(h.sum()) * dx * dx


# --- naive reference of flood_substep: plain Python, one face at a time ---------------------


def _naive_face(q_in: float, q_abs: float, h_f: float, d_eta: float, dx: float, dt: float,
                n: float, fr: float) -> float:
    q = (q_in - G * h_f * dt * d_eta / dx) / (1 + G * dt * n * n * q_abs / h_f ** (7 / 3))
    cap = fr * h_f * math.sqrt(G * h_f)
    return max(-cap, min(cap, q))


def naive_substep(z, h, qx, qy, n, dx, dt, source, open_bc, h_min, theta=1.0, fr=1.0):
    """Mirror of ``_flood_kernels.flood_substep`` on lists; returns new arrays and volumes."""
    rows, cols = len(z), len(z[0])
    z = [list(r) for r in z]
    h = [list(r) for r in h]
    qx_old = [list(r) for r in qx]
    qy_old = [list(r) for r in qy]
    eta = [[z[i][j] + h[i][j] for j in range(cols)] for i in range(rows)]
    qx_new = [[0.0] * (cols + 1) for _ in range(rows)]
    qy_new = [[0.0] * cols for _ in range(rows + 1)]

    def inner(q_here, q_before, q_after, za, zb, ea, eb):
        # cell a before the face, cell b after it (in the positive direction)
        h_f = max(ea, eb) - max(za, zb)
        if h_f <= h_min:
            return 0.0
        q_in = theta * q_here + (1 - theta) / 2 * (q_before + q_after) if theta < 1 else q_here
        return _naive_face(q_in, abs(q_here), h_f, eb - ea, dx, dt, n, fr)

    for i in range(rows):
        for j in range(1, cols):
            qx_new[i][j] = inner(qx_old[i][j], qx_old[i][j - 1], qx_old[i][j + 1],
                                 z[i][j - 1], z[i][j], eta[i][j - 1], eta[i][j])
    for i in range(1, rows):
        for j in range(cols):
            qy_new[i][j] = inner(qy_old[i][j], qy_old[i - 1][j], qy_old[i + 1][j],
                                 z[i - 1][j], z[i][j], eta[i - 1][j], eta[i][j])

    def outer(q_old, c, inn, sign):
        # open edge: surface slope of the inner face continued outward; outflow only
        (ci, cj), (ni, nj) = c, inn
        if h[ci][cj] <= h_min:
            return 0.0
        if max(eta[ci][cj], eta[ni][nj]) - max(z[ci][cj], z[ni][nj]) <= h_min:
            return 0.0
        slope = (eta[ni][nj] - eta[ci][cj]) / dx
        if slope <= 0:
            return 0.0
        q0 = q_old if sign * q_old > 0 else 0.0
        q = _naive_face(q0, abs(q0), h[ci][cj], -sign * slope * dx, dx, dt, n, fr)
        return q if sign * q > 0 else 0.0

    if open_bc:
        for i in range(rows):
            if cols > 1:
                qx_new[i][0] = outer(qx_old[i][0], (i, 0), (i, 1), -1)
                qx_new[i][cols] = outer(qx_old[i][cols], (i, cols - 1), (i, cols - 2), 1)
        for j in range(cols):
            if rows > 1:
                qy_new[0][j] = outer(qy_old[0][j], (0, j), (1, j), -1)
                qy_new[rows][j] = outer(qy_old[rows][j], (rows - 1, j), (rows - 2, j), 1)

    added = 0.0
    for i in range(rows):
        for j in range(cols):
            new = max(h[i][j] + dt * source[i][j], 0.0)
            added += new - h[i][j]
            h[i][j] = new

    def outgoing(i, j):
        # the faces that take water out of cell (i, j): (array, row, col)
        faces = []
        if qx_new[i][j] < 0:
            faces.append((qx_new, i, j))
        if qx_new[i][j + 1] > 0:
            faces.append((qx_new, i, j + 1))
        if qy_new[i][j] < 0:
            faces.append((qy_new, i, j))
        if qy_new[i + 1][j] > 0:
            faces.append((qy_new, i + 1, j))
        return faces

    scale = {}
    for i in range(rows):
        for j in range(cols):
            faces = outgoing(i, j)
            volume = sum(abs(a[r][c]) for a, r, c in faces) * dt / dx
            if volume > h[i][j]:
                for a, r, c in faces:
                    scale[(id(a), r, c)] = (a, h[i][j] / volume)
    for (_, r, c), (a, f) in scale.items():
        a[r][c] *= f

    for i in range(rows):
        for j in range(cols):
            net = qx_new[i][j] - qx_new[i][j + 1] + qy_new[i][j] - qy_new[i + 1][j]
            h[i][j] += dt * net / dx
            if h[i][j] < 0:
                added -= h[i][j]
                h[i][j] = 0.0
    out = 0.0
    for i in range(rows):
        out += max(-qx_new[i][0], 0) + max(qx_new[i][cols], 0)
    for j in range(cols):
        out += max(-qy_new[0][j], 0) + max(qy_new[rows][j], 0)
    return (np.array(h), np.array(qx_new), np.array(qy_new), out * dt * dx, added * dx * dx)


# --- single face and time step ---------------------------------------------------------------


def test_face_flux_reference() -> None:
    # MODELS.md gives 6 decimals: abs 1e-6 is the rounding of the published value
    assert k.face_flux(0.1, 0.5, -0.01, 10.0, 1.0, 0.03) == pytest.approx(0.104440, abs=1e-6)
    assert k.face_flux(0.1, 0.0005, -0.01, 10.0, 1.0, 0.03, 0.001) == 0.0  # dry face
    assert k.face_flux(0.1, 0.0, -0.01, 10.0, 1.0, 0.03) == 0.0


def test_stable_dt_reference() -> None:
    # 2.2349 s published to 4 decimals: abs 1e-4
    assert k.stable_dt(np.ones((3, 4)), 10.0, 0.7) == pytest.approx(2.2349, abs=1e-4)
    assert k.stable_dt(np.zeros((3, 4)), 10.0, 0.7) == math.inf


# --- well-balanced, volume balance, positivity ------------------------------------------------


@pytest.mark.parametrize("open_bc", [False, True])
def test_lake_at_rest_on_bumpy_bed(open_bc: bool) -> None:
    rng = np.random.default_rng(7)
    z = rng.uniform(0.0, 3.0, (12, 15))
    h0 = np.maximum(2.0 - z, 0.0)  # islands stick out of a lake at 2 m
    h, qx, qy = h0.copy(), np.zeros((12, 16)), np.zeros((13, 15))
    vol, n_sub = k.run_flood(z, h, qx, qy, 0.03, 10.0, 0.0, 600.0, 0.7, 1e-3, open_bc,
                                NO_T, NO_T, 0.0, NO_CELLS, NO_SERIES, np.zeros((0, 1)))
    assert n_sub > 100
    # eta = z + (2 - z) differs from 2 only by rounding (~4e-16 m): the fluxes this
    # drives are ~1e-15 m²/s, so 1e-12 separates rounding from any real imbalance
    assert np.abs(qx).max() < 1e-12 and np.abs(qy).max() < 1e-12
    assert np.abs(h - h0).max() < 1e-12
    assert vol[3] < 1e-9


def _check_balance(h0, h, vol, dx) -> None:
    rain, loss, inflow, out = vol
    change = storage(h, dx) - storage(h0, dx)
    # every volume is booked from the same floats that change h: the ledger only
    # carries summation rounding (~1e-15 relative), 1e-10 is the contract
    scale = max(rain + inflow, storage(h0, dx), 1e-30)
    assert abs(change - (rain + inflow - loss - out)) <= 1e-10 * scale


def test_closed_basin_rain_and_losses_balance() -> None:
    rng = np.random.default_rng(3)
    rows, cols, dx = 20, 25, 5.0
    yy, xx = np.mgrid[0:rows, 0:cols]
    z = 0.02 * ((xx - 12) ** 2 + (yy - 10) ** 2) ** 0.5 + rng.uniform(0, 0.3, (rows, cols))
    h, qx, qy = grid(rows, cols)
    rain_t = np.array([0.0, 300.0, 900.0])
    rain = np.array([100.0, 30.0, 0.0]) / 3.6e6
    loss = 12.0 / 3.6e6
    inflow_t = np.array([[60.0, 120.0, np.inf]])
    inflow_q = np.array([[0.5, 0.0, 0.0]])
    h0 = h.copy()
    total = np.zeros(4)
    for t0 in range(0, 1800, 300):  # several calls, as the hazard does
        vol, _ = k.run_flood(z, h, qx, qy, 0.03, dx, float(t0), t0 + 300.0, 0.7, 1e-3,
                                   False, rain_t, rain, loss, np.array([cols * 10 + 3]),
                                   inflow_t, inflow_q)
        assert h.min() >= 0.0
        total += vol
    area = rows * cols * dx * dx
    # step series integrated exactly (sub-steps are cut at the breakpoints): rounding only
    assert total[0] == pytest.approx(area * (100 * 300 + 30 * 600) / 3.6e6, rel=1e-12)
    assert total[2] == pytest.approx(0.5 * 60, rel=1e-12)
    assert total[3] == 0.0  # closed
    assert 0 < total[1] < total[0] + total[2]
    _check_balance(h0, h, total, dx)


def test_drying_front_with_strong_losses() -> None:
    # a wet mound drains downhill while losses of 500 mm/h eat the thin water
    rows, cols, dx = 6, 40, 2.0
    z = np.tile(np.linspace(1.0, 0.0, cols), (rows, 1))
    h, qx, qy = grid(rows, cols)
    h[:, :8] = 0.3
    h0 = h.copy()
    loss = 500.0 / 3.6e6
    total = np.zeros(4)
    for t0 in range(0, 3600, 60):
        vol, _ = k.run_flood(z, h, qx, qy, 0.03, dx, float(t0), t0 + 60.0, 0.7, 1e-3, False,
                                NO_T, NO_T, loss, NO_CELLS, NO_SERIES, np.zeros((0, 1)))
        assert h.min() >= 0.0  # never negative, even on the drying front
        total += vol
    assert h.max() == 0.0  # all of it lost in an hour (0.3 m * 8/40 of the length)
    assert total[1] == pytest.approx(storage(h0, dx), rel=1e-10)
    _check_balance(h0, h, total, dx)


def test_open_boundary_drains_tilted_plane() -> None:
    rows, cols, dx = 8, 30, 10.0
    z = np.tile(np.linspace(3.0, 0.0, cols), (rows, 1))  # falls 1 % toward the east
    out = {}
    for open_bc in (False, True):
        h, qx, qy = grid(rows, cols)
        vol, _ = k.run_flood(z, h, qx, qy, 0.03, dx, 0.0, 7200.0, 0.7, 1e-3, open_bc,
                                np.array([0.0, 1800.0]), np.array([50.0 / 3.6e6, 0.0]), 0.0,
                                NO_CELLS, NO_SERIES, np.zeros((0, 1)))
        _check_balance(np.zeros_like(h), h, vol, dx)
        assert h.min() >= 0.0
        out[open_bc] = vol[3]
        if open_bc:  # leaves through the east edge only (the surface falls there)
            assert qx[:, 0].max() == 0.0 and np.all(qx[:, -1] >= 0.0)
    assert out[False] == 0.0
    rain = 50.0 / 3.6e6 * 1800 * rows * cols * dx * dx
    # 1.5 h after the rain stopped on a 1 % slope most of it has run off
    assert 0.5 * rain < out[True] < rain


# --- the kernel against the naive reference ---------------------------------------------------


@pytest.mark.parametrize(("open_bc", "theta", "rows"),
                         [(False, 1.0, 5), (True, 1.0, 5), (True, 0.8, 5),
                          (True, 0.8, 2 * k.BAND_ROWS + 3), (False, 1.0, 3 * k.BAND_ROWS)])
def test_substep_matches_naive_reference(open_bc: bool, theta: float, rows: int) -> None:
    # taller grids are cut into bands whose edge faces and rows are finished apart
    rng = np.random.default_rng(11)
    cols, dx, n = 7, 4.0, 0.03
    z = rng.uniform(0.0, 0.5, (rows, cols))
    h = np.where(rng.random((rows, cols)) < 0.7, rng.uniform(0, 0.4, (rows, cols)), 0.0)
    h[1, 1] = 0.0005  # below h_min
    h[rows // 2, 3] = 0.9  # a mound that sends water across the band edges
    qx = rng.normal(0, 0.05, (rows, cols + 1))
    qy = rng.normal(0, 0.05, (rows + 1, cols))
    ref = (h.copy(), qx.copy(), qy.copy())
    for step in range(6):
        # losses larger than some cells hold: exercises the clip and the limiter
        source = rng.normal(0, 2e-3, (rows, cols))
        dt = 0.5 * k.stable_dt(h, dx, 0.7) if step else 2.0
        rh, rqx, rqy, rout, radd = naive_substep(z, *ref, n, dx, dt, source, open_bc, 1e-3,
                                                 theta)
        out, add = k.flood_substep(z, h, qx, qy, n, dx, dt, source, open_bc, 1e-3, theta)
        # same arithmetic in a different order: differences are rounding (~1e-16)
        np.testing.assert_allclose(h, rh, rtol=0, atol=1e-12)
        np.testing.assert_allclose(qx, rqx, rtol=0, atol=1e-12)
        np.testing.assert_allclose(qy, rqy, rtol=0, atol=1e-12)
        assert out == pytest.approx(rout, abs=1e-12)
        # the source volume is the storage change plus the outflow: the rounding of a sum
        # over the grid, ~1e-16 of the storage
        assert add == pytest.approx(radd, abs=1e-13 * max(storage(h, dx), 1.0))
        assert h.min() >= 0.0
        ref = (rh, rqx, rqy)
    assert np.abs(qx).max() > 0.0


def test_inv_cbrt_is_the_inverse_cube_root() -> None:
    x = np.geomspace(1e-6, 1e6, 20001)
    got = np.array([k.inv_cbrt(v) for v in x])
    # four Newton steps from a 4 % guess reach rounding: measured <= 4.5e-16 (2 ulp)
    np.testing.assert_allclose(got * np.cbrt(x), 1.0, rtol=1e-15, atol=0)


def test_bands_on_threads_give_the_serial_result_exactly() -> None:
    rng = np.random.default_rng(5)
    rows, cols = 4 * k.BAND_ROWS + 17, 40
    z = rng.uniform(0.0, 1.0, (rows, cols))
    h0 = np.where(rng.random((rows, cols)) < 0.5, 0.3, 0.0)
    results = []
    for parallel in (False, True):
        h = h0.copy()
        qx, qy = np.zeros((rows, cols + 1)), np.zeros((rows + 1, cols))
        vol, n_sub = k.run_flood(z, h, qx, qy, 0.03, 5.0, 0.0, 120.0, 0.7, 1e-3, True,
                                 np.zeros(1), np.array([80 / 3.6e6]), 20 / 3.6e6,
                                 np.array([3 * cols + 4, (rows - 2) * cols + 30]),
                                 np.array([[0.0], [0.0]]), np.array([[0.5], [0.2]]),
                                 theta=0.8, parallel=parallel)
        results.append((h, qx, qy, vol, n_sub))
    (h1, qx1, qy1, v1, n1), (h2, qx2, qy2, v2, n2) = results
    assert n1 == n2 > 10
    # every cell and face is computed by the same arithmetic on either path; the per-band
    # sums are combined in band order: bit for bit the same
    np.testing.assert_array_equal(h1, h2)
    np.testing.assert_array_equal(qx1, qx2)
    np.testing.assert_array_equal(qy1, qy2)
    np.testing.assert_array_equal(v1, v2)


def test_nodata_cells_take_no_rain_and_no_water() -> None:
    rows, cols, dx = 12, 15, 10.0
    z = np.tile(np.linspace(2.0, 0.0, cols), (rows, 1))  # falls east, into the wall block
    z[3:8, 10:14] = k.Z_WALL_M
    z[0, :] = k.Z_WALL_M
    active = int((z < k.Z_WALL_M).sum())
    h, qx, qy = grid(rows, cols)
    rain = 100 / 3.6e6
    vol, _ = k.run_flood(z, h, qx, qy, 0.03, dx, 0.0, 1800.0, 0.7, 1e-3, True, np.zeros(1),
                         np.array([rain]), 0.0, NO_CELLS, NO_SERIES, np.zeros((0, 1)))
    wall = z >= k.Z_WALL_M
    assert h[wall].max() == 0.0  # outside the domain: never wet
    assert h[~wall].min() > 0.0
    # rain falls on the domain only (the step series is integrated exactly): rounding
    assert vol[0] == pytest.approx(rain * 1800.0 * dx * dx * active, rel=1e-12)
    _check_balance(np.zeros_like(h), h, vol, dx)
    # no face into or out of a wall cell carries water
    assert np.abs(qx[3:8, 10:15]).max() == 0.0 and np.abs(qy[3:9, 10:14]).max() == 0.0


def test_numpy_reference_gives_the_same_water() -> None:
    from benchmarks.bench_flood import numpy_run_flood

    rng = np.random.default_rng(2)
    rows, cols, dx = 30, 40, 5.0
    z = rng.uniform(0.0, 0.6, (rows, cols)) + np.linspace(1.0, 0.0, cols)
    h0 = np.where(rng.random((rows, cols)) < 0.6, rng.uniform(0.0, 0.5, (rows, cols)), 0.0)
    out = []
    for run in ("numba", "numpy"):
        h, qx, qy = h0.copy(), np.zeros((rows, cols + 1)), np.zeros((rows + 1, cols))
        if run == "numba":
            vol, n_sub = k.run_flood(z, h, qx, qy, 0.03, dx, 0.0, 300.0, 0.7, 1e-3, True,
                                     np.zeros(1), np.array([60 / 3.6e6]), 12 / 3.6e6, NO_CELLS,
                                     NO_SERIES, np.zeros((0, 1)), theta=0.8)
        else:
            vol, n_sub = numpy_run_flood(z, h, qx, qy, 0.03, dx, 0.0, 300.0, 0.7, 1e-3, True,
                                         60 / 3.6e6, 12 / 3.6e6, theta=0.8)
        out.append((h, qx, qy, vol, n_sub))
    (h1, qx1, qy1, v1, n1), (h2, qx2, qy2, v2, n2) = out
    assert n1 == n2 > 50
    # same formulas, grouped differently (h^(-7/3) by Newton steps vs h^2 cbrt(h)):
    # rounding differences, grown over the sub-steps to ~1e-13 m
    np.testing.assert_allclose(h1, h2, rtol=0, atol=1e-10)
    np.testing.assert_allclose(qx1, qx2, rtol=0, atol=1e-10)
    np.testing.assert_allclose(qy1, qy2, rtol=0, atol=1e-10)
    np.testing.assert_allclose(v1, v2, rtol=1e-10)


# --- Hunter et al. (2005) non-breaking wave -------------------------------------------------


def test_hunter_non_breaking_wave() -> None:
    u, n, dx, t_end = 0.4, 0.01, 25.0, 9000.0
    cols = 200  # 5 km: the front (3.6 km) never reaches the closed end
    z = np.zeros((1, cols))
    h, qx, qy = grid(1, cols)
    source = np.zeros((1, cols))
    t = 0.0
    while t < t_end:
        # upstream depth imposed in cell 0 (x = 0) before every sub-step
        h[0, 0] = (7 / 3 * n * n * u**3 * t) ** (3 / 7)
        dt = min(k.stable_dt(h, dx, 0.7), t_end - t, 10.0)
        k.flood_substep(z, h, qx, qy, n, dx, dt, source, False, 1e-3)
        t += dt
    x = np.array([0.0, 500.0, 1000.0, 2000.0, 3000.0, 3500.0])
    ref = np.array([0.4231, 0.3968, 0.3680, 0.2989, 0.1963, 0.0911])  # MODELS.md
    got = h[0, (x / dx).astype(int)]  # every point as the scheme leaves it, x = 0 too
    # Measured (theta = 1): 0.3700 0.3966 0.3674 0.2969 0.1898 0.0666 m, i.e. -12.5, -0.05,
    # -0.2, -0.7, -3.3, -27 %. At x = 0 the boundary cell is set to the imposed depth before
    # each sub-step and drained by it (dt q / dx = 10 s x 0.17 m2/s / 25 m = 0.07 m at most):
    # within 15 % there. Inside, within 5 % up to 3 km; the scheme lags the analytical front
    # slightly and the profile there is steep (h ~ (x_f - x)^(3/7)): within 0.03 m at 3.5 km
    # (100 m, 4 cells, behind the front); the front within 2 cells of 3600 m.
    tolerance = np.array([0.15, 0.05, 0.05, 0.05, 0.05, 0.03 / ref[5]])
    assert (np.abs(got - ref) <= tolerance * ref).all(), (got, ref)
    assert got[0] < ref[0]  # drained, never above the imposed depth
    front = dx * np.nonzero(h[0] > 1e-3)[0].max()
    assert abs(front - 3600.0) <= 2 * dx


# --- sampling -------------------------------------------------------------------------------


def test_edge_depth_hand_values() -> None:
    h = np.array([[0.1, 0.2, 0.0],
                  [0.0, 0.5, 0.3]])  # row 0 south; x0, y0 = 100, 200; cell 10
    flat = np.zeros_like(h)
    ax = np.array([101.0, 101.0, 125.0, 90.0, 95.0])
    ay = np.array([201.0, 201.0, 215.0, 205.0, 230.0])
    bx = np.array([129.0, 101.0, 125.0, 105.0, 135.0])
    by = np.array([201.0, 219.0, 215.0, 205.0, 230.0])
    deck = np.ones(5, np.uint8)
    got = k.edge_depth(h, flat, 100.0, 200.0, 10.0, ax, ay, bx, by, deck, 5)
    # south row west->east: max(0.1, 0.2, 0.0); west column: 0.1, 0.0; a point in cell (1, 2);
    # starts west of the grid (0), ends in cell (0, 0); entirely north of the grid
    np.testing.assert_array_equal(got, [0.2, 0.1, 0.3, 0.1, 0.0])
    # two samples only see the ends: the 0.5 cell in the middle of this edge is missed
    got2 = k.edge_depth(h, flat, 100.0, 200.0, 10.0, np.array([105.0]), np.array([215.0]),
                        np.array([125.0]), np.array([215.0]), deck[:1], 2)
    np.testing.assert_array_equal(got2, [0.3])


def test_edge_depth_over_and_through_an_underpass() -> None:
    # cell (0, 1) is a trough 4 m below the ground holding 4.2 m of water: a road through
    # it reads 4.2 m, a road crossing over it reads the 0.2 m above the ground
    h = np.array([[0.1, 4.2, 0.1]])
    carve = np.array([[0.0, 4.0, 0.0]])
    ax, ay = np.array([1.0, 15.0]), np.array([5.0, 1.0])
    bx, by = np.array([29.0, 15.0]), np.array([5.0, 9.0])
    got = k.edge_depth(h, carve, 0.0, 0.0, 10.0, ax, ay, bx, by, np.array([0, 1], np.uint8), 5)
    np.testing.assert_allclose(got, [4.2, 0.2], rtol=1e-15)


def test_cell_velocity_hand_values() -> None:
    h = np.array([[0.5, 0.0005]])
    qx = np.array([[0.0, 0.2, 0.0]])
    qy = np.array([[0.0, 0.0], [0.3, 0.0]])
    v = k.cell_velocity(h, qx, qy, np.array([0, 1, 0]))
    # cell 0: u = (0 + 0.2)/2 = 0.1, v = (0 + 0.3)/2 = 0.15 m²/s over 0.5 m; cell 1 dry
    expected = math.hypot(0.1, 0.15) / 0.5
    np.testing.assert_allclose(v, [expected, 0.0, expected], rtol=1e-15)


# --- Thacker (1981) oscillation in a parabolic bowl ------------------------------------------


def test_thacker_planar_oscillation_in_a_parabolic_bowl() -> None:
    # MODELS.md: z = D0 x^2/L^2, D0 = 4, L = 10, A = 2; omega = sqrt(2 g D0)/L = 0.885889,
    # period 7.0925 s; eta(x, t) = D0 + 2 A D0/L^2 (x cos wt - A/2 cos^2 wt), u = -A w sin wt
    d0, length, amp = 4.0, 10.0, 2.0
    omega = math.sqrt(2 * G * d0) / length
    period = 2 * math.pi / omega
    assert omega == pytest.approx(0.885889, abs=1e-6)
    assert period == pytest.approx(7.0925, abs=1e-4)
    dx = 0.05
    x = np.arange(-15 + dx / 2, 15, dx)
    z = (d0 * x**2 / length**2)[None, :]

    def eta(t: float) -> np.ndarray:
        c = math.cos(omega * t)
        return d0 + 2 * amp * d0 / length**2 * (x * c - amp / 2 * c * c)

    probes = np.array([-5.0, 0.0, 5.0])
    np.testing.assert_allclose(np.interp(probes, x, eta(0.0)), [3.04, 3.84, 4.64], atol=1e-12)
    h = np.maximum(eta(0.0) - z[0], 0.0)[None, :].copy()
    volume0 = h.sum()
    qx, qy = np.zeros((1, x.size + 1)), np.zeros((2, x.size))
    source = np.zeros((1, x.size))
    t = 0.0
    for target in (period / 2, period):
        while t < target - 1e-12:
            dt = min(k.stable_dt(h, dx, 0.7), target - t)
            k.flood_substep(z, h, qx, qy, 0.0, dx, dt, source, False, 1e-3, 0.8)
            t += dt
        got = np.interp(probes, x, z[0] + h[0])
        exact = np.interp(probes, x, eta(target))
        # The local-inertial scheme drops the advection term (q^2/h)_x, here u^2 h_x: about
        # 15 % of the pressure gradient in this bowl (u up to 1.77 m/s), so it is not exact
        # here and MODELS.md gives no tolerance. Measured (theta 0.8, dx 0.05 m): errors of
        # 0.08-0.18 m on a 4 m basin whose surface swings by 1.6 m. Asserted: within 0.25 m
        # (6 % of D0), the tilt reversed at T/2 and restored at T, volume kept.
        np.testing.assert_allclose(got, exact, rtol=0, atol=0.25)
        assert np.sign(got[2] - got[0]) == np.sign(exact[2] - exact[0])
    assert h.sum() == pytest.approx(volume0, rel=1e-12)


# --- Ritter (1892) dry-bed dam break: a stress case ------------------------------------------


def test_ritter_dam_break_stress_case() -> None:
    # MODELS.md: h0 = 1 m, t = 10 s: h(0) = 4/9 = 0.4444 m, front at 2 sqrt(g h0) t = 62.64 m.
    # The local-inertial equations have no advection: their own dam break is a rarefaction
    # to a plateau h* = 0.618 h0 (q = 2/3 sqrt(g)(h0^1.5 - h^1.5) meets the bore condition
    # s = q/h = sqrt(g h/2)) and a bore running at about sqrt(g h*) with the scheme's
    # upwind flow depth: about 24 m in 10 s. The scheme is not exact here (MODELS.md);
    # asserted is what it must still do, with the measured values (dx = 1 m, Froude cap 1):
    # h(0) = 0.557 m, within 30 % of 0.4444 and below the plateau; the front at 23 m, behind
    # Ritter's (never faster than the exact solution) and ahead of the bore's 17 m.
    dx, t_end = 1.0, 10.0
    x = np.arange(-100 + dx / 2, 200, dx)
    z = np.zeros((1, x.size))
    h = np.where(x < 0, 1.0, 0.0)[None, :].copy()
    volume0 = h.sum()
    qx, qy = np.zeros((1, x.size + 1)), np.zeros((2, x.size))
    source = np.zeros((1, x.size))
    t = 0.0
    while t < t_end - 1e-12:
        dt = min(k.stable_dt(h, dx, 0.7), t_end - t)
        k.flood_substep(z, h, qx, qy, 0.0, dx, dt, source, False, 1e-3)
        assert h.min() >= 0.0
        t += dt
    h_dam = float(np.interp(0.0, x, h[0]))
    front = x[np.flatnonzero(h[0] > 1e-3).max()] + dx / 2
    assert h_dam == pytest.approx(4 / 9, rel=0.3)
    assert 4 / 9 < h_dam < 0.618
    assert 17.0 < front < 2 * math.sqrt(G) * t_end
    assert h.sum() == pytest.approx(volume0, rel=1e-12)


# --- filling of floodplain depressions (after EA 2D benchmark test 2) -----------------------


def test_depressions_fill_in_turn_and_spill() -> None:
    # UK Environment Agency test 2 (Neelz and Pender 2013) fills a chain of depressions
    # from a slow inflow; its published results are inter-model comparisons (MODELS.md:
    # agree within about +-10 %), whose data are not in the repository. What every code
    # there tends to, and this test checks, is the end state fixed by volume alone: the
    # upstream ponds full to their sill, the rest of the water in the last one.
    dx, rows, sill = 10.0, 6, 2
    ponds, c = [], 2 + sill
    for width in (10, 10, 25):  # columns of each depression, 1 m deep, 2-cell sills between
        ponds.append((c, c + width))
        c += width + sill
    cols = c
    z = np.full((rows, cols), 1.0)
    for a, b in ponds:
        z[:, a:b] = 0.0
    z[:, 0] = 1.5  # the inflow cells sit a little higher, upstream of the first pond
    h, qx, qy = grid(rows, cols)
    pond_m3 = [rows * (b - a) * dx * dx for a, b in ponds]
    inflow_m3 = pond_m3[0] + pond_m3[1] + 0.4 * pond_m3[2]
    rate = 2.0  # m3/s over the west column for 2.5 h: slow, low momentum, as in test 2
    cells = np.array([r * cols for r in range(rows)])
    series_t = np.array([[0.0, inflow_m3 / rate]] * rows)
    series_q = np.array([[rate / rows, 0.0]] * rows)
    total = np.zeros(4)
    for t0 in range(0, 8 * 3600, 3600):
        vol, _ = k.run_flood(z, h, qx, qy, 0.03, dx, float(t0), t0 + 3600.0, 0.7, 1e-3, False,
                             NO_T, NO_T, 0.0, cells, series_t, series_q)
        total += vol
    assert total[2] == pytest.approx(inflow_m3, rel=1e-12)
    _check_balance(np.zeros_like(h), h, total, dx)
    level = z + h
    # The films over the sills drain ever more slowly (Manning flux ~ h^(5/3)): after 8 h
    # (5.5 h after the inflow stopped) measured 6.4 and 5.5 mm above the sills and the last
    # pond 6.2 mm short of 0.4 m. Asserted: each level within 1 cm of the end state.
    for a, b in ponds[:2]:
        np.testing.assert_allclose(level[:, a:b], 1.0, rtol=0, atol=0.01)
    a, b = ponds[2]
    np.testing.assert_allclose(level[:, a:b], 0.4, rtol=0, atol=0.01)
    assert np.ptp(level[:, a:b]) < 1e-3  # at rest: a flat surface


@pytest.mark.parametrize("theta", [1.0, 0.8, 0.7])
def test_deep_water_over_a_rough_bed_settles_without_a_checkerboard(theta: float) -> None:
    # 6-7 m of water over +-1 m bumps, tilted 0.5 m across 1.8 km, closed box: the
    # seiche must die out under friction, never grow into a cell-to-cell pattern.
    # theta < 1 at the full alpha = 0.7 step did (von Neumann: Courant <= sqrt(theta/2)).
    rng = np.random.default_rng(1)
    rows = cols = 60
    z = rng.uniform(-1.0, 1.0, (rows, cols))
    eta0 = 6.0 + 0.5 * np.mgrid[0:rows, 0:cols][1] / cols
    h = np.maximum(eta0 - z, 0.0)
    qx, qy = np.zeros((rows, cols + 1)), np.zeros((rows + 1, cols))
    e = np.zeros(0)
    k.run_flood(z, h, qx, qy, 0.035, 30.0, 0.0, 3 * 3600.0, 0.7, 1e-3, False, e, e, 0.0,
                np.zeros(0, np.int64), np.zeros((0, 1)), np.zeros((0, 1)), theta=theta)
    eta = z + h
    inner = eta[1:-1, 1:-1]
    around = 0.25 * (eta[:-2, 1:-1] + eta[2:, 1:-1] + eta[1:-1, :-2] + eta[1:-1, 2:])
    assert np.abs(inner - around).max() < 5e-3  # m: no cell-to-cell pattern
    assert eta.std() < 0.5 * eta0.std()  # the seiche decays (starts at 0.144 m)
    assert np.abs(qx).max() < 1.0  # m²/s: no runaway discharge
