"""Kernels of the chemical leak (citysim.hazards._plume_kernels).

Reference values from MODELS.md ("Chemical dispersion"); the Gaussian plume
and puff are checked against straightforward formulas written out here (the
Briggs table typed in again, not imported), each tolerance justified where
it is set.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from citysim.hazards import _plume_kernels as k
from citysim.hazards.chemical import downwind_unit, sigma_coefficients

NO_PUFFS = np.zeros(4)
NO_NODES = tuple(np.zeros(0) for _ in range(8))  # agents off the network's nodes

# MODELS.md Briggs table, typed in again as plain functions of x (m)
R = 1e-4
TABLE = {
    ("rural", "A"): (lambda x: 0.22 * x * (1 + R * x) ** -0.5, lambda x: 0.20 * x),
    ("rural", "B"): (lambda x: 0.16 * x * (1 + R * x) ** -0.5, lambda x: 0.12 * x),
    ("rural", "C"): (lambda x: 0.11 * x * (1 + R * x) ** -0.5,
                     lambda x: 0.08 * x * (1 + 0.0002 * x) ** -0.5),
    ("rural", "D"): (lambda x: 0.08 * x * (1 + R * x) ** -0.5,
                     lambda x: 0.06 * x * (1 + 0.0015 * x) ** -0.5),
    ("rural", "E"): (lambda x: 0.06 * x * (1 + R * x) ** -0.5,
                     lambda x: 0.03 * x / (1 + 0.0003 * x)),
    ("rural", "F"): (lambda x: 0.04 * x * (1 + R * x) ** -0.5,
                     lambda x: 0.016 * x / (1 + 0.0003 * x)),
    ("urban", "A"): (lambda x: 0.32 * x / math.sqrt(1 + 0.0004 * x),
                     lambda x: 0.24 * x * math.sqrt(1 + 0.001 * x)),
    ("urban", "B"): (lambda x: 0.32 * x / math.sqrt(1 + 0.0004 * x),
                     lambda x: 0.24 * x * math.sqrt(1 + 0.001 * x)),
    ("urban", "C"): (lambda x: 0.22 * x / math.sqrt(1 + 0.0004 * x), lambda x: 0.20 * x),
    ("urban", "D"): (lambda x: 0.16 * x / math.sqrt(1 + 0.0004 * x),
                     lambda x: 0.14 * x / math.sqrt(1 + 0.0003 * x)),
    ("urban", "E"): (lambda x: 0.11 * x / math.sqrt(1 + 0.0004 * x),
                     lambda x: 0.08 * x / math.sqrt(1 + 0.0015 * x)),
    ("urban", "F"): (lambda x: 0.11 * x / math.sqrt(1 + 0.0004 * x),
                     lambda x: 0.08 * x / math.sqrt(1 + 0.0015 * x)),
}


def coef(terrain: str, stability: str, kind: str = "briggs") -> np.ndarray:
    return sigma_coefficients(kind, terrain, stability)


# MODELS.md puff table (CCPS 1999 / Crowl & Louvar after Slade 1968), typed in again
PUFF_TABLE = {"A": (0.18, 0.92, 0.60, 0.75), "B": (0.14, 0.92, 0.53, 0.73),
              "C": (0.10, 0.92, 0.34, 0.71), "D": (0.06, 0.92, 0.15, 0.70),
              "E": (0.04, 0.92, 0.10, 0.65), "F": (0.02, 0.89, 0.05, 0.61)}
# ISC3 vol. II tables 1-1 ((c, d) of sigma_y) and 1-2 (sigma_z = a x_km^b), typed in again
# as {class: ((c, d), [(x_km at which the segment starts, a, b), ...])}
ISC3_TABLE = {
    "A": ((24.1670, 2.5334), [(0, 122.800, 0.94470), (0.10, 158.080, 1.05420),
                              (0.15, 170.220, 1.09320), (0.20, 179.520, 1.12620),
                              (0.25, 217.410, 1.26440), (0.30, 258.890, 1.40940),
                              (0.40, 346.750, 1.72830), (0.50, 453.850, 2.11660)]),
    "B": ((18.3330, 1.8096), [(0, 90.673, 0.93198), (0.20, 98.483, 0.98332),
                              (0.40, 109.300, 1.09710)]),
    "C": ((12.5000, 1.0857), [(0, 61.141, 0.91465)]),
    "D": ((8.3330, 0.72382), [(0, 34.459, 0.86974), (0.30, 32.093, 0.81066),
                              (1.0, 32.093, 0.64403), (3.0, 33.504, 0.60486),
                              (10.0, 36.650, 0.56589), (30.0, 44.053, 0.51179)]),
    "E": ((6.2500, 0.54287), [(0, 24.260, 0.83660), (0.10, 23.331, 0.81956),
                              (0.30, 21.628, 0.75660), (1.0, 21.628, 0.63077),
                              (2.0, 22.534, 0.57154), (4.0, 24.703, 0.50527),
                              (10.0, 26.970, 0.46713), (20.0, 35.420, 0.37615),
                              (40.0, 47.618, 0.29592)]),
    "F": ((4.1667, 0.36191), [(0, 15.209, 0.81558), (0.20, 14.457, 0.78407),
                              (0.70, 13.953, 0.68465), (1.0, 13.953, 0.63227),
                              (2.0, 14.823, 0.54503), (3.0, 16.187, 0.46490),
                              (7.0, 17.836, 0.41507), (15.0, 22.651, 0.32681),
                              (30.0, 27.074, 0.27436), (60.0, 34.219, 0.21716)]),
}


def isc3_sigmas(x_m: float, cls: str) -> tuple[float, float]:
    (c, d), rows = ISC3_TABLE[cls]
    x = x_m / 1000.0
    sy = 465.11628 * x * math.tan(0.017453293 * (c - d * math.log(x)))
    a, b = next((a, b) for start, a, b in reversed(rows) if x > start)
    return sy, min(a * x**b, 5000.0)


def geo(*, u=3.0, h=0.0, lid=0.0, z=0.0, from_deg=270.0, xs=0.0, ys=0.0, cap=1e12):
    ex, ey = downwind_unit(from_deg)
    return np.array([xs, ys, ex, ey, u, h, lid, z, cap, 1.0])


def steady_plume(q, u, sy, sz, y, z, h):
    """MODELS.md Gaussian plume with ground reflection."""
    return (q / (2 * math.pi * u * sy * sz) * math.exp(-y**2 / (2 * sy**2))
            * (math.exp(-(z - h) ** 2 / (2 * sz**2)) + math.exp(-(z + h) ** 2 / (2 * sz**2))))


@pytest.mark.parametrize("key", sorted(TABLE))
def test_briggs_sigmas_follow_the_models_md_table(key):
    x = np.array([50.0, 100.0, 500.0, 1000.0, 3000.0, 10000.0])
    sy, sz = k.dispersion_sigmas(x, coef(*key))
    fy, fz = TABLE[key]
    # the same formula evaluated twice: agreement to rounding
    np.testing.assert_allclose(sy, [fy(v) for v in x], rtol=1e-12)
    np.testing.assert_allclose(sz, [fz(v) for v in x], rtol=1e-12)


def test_briggs_reference_values():
    # MODELS.md, given to 3 decimals: tolerance half a unit of the last digit
    cases = [("rural", "F", 500, 19.518, 6.957), ("urban", "F", 500, 50.208, 30.237),
             ("urban", "D", 500, 73.030, 65.275), ("urban", "D", 1000, 135.225, 122.788)]
    for terrain, cls, x, sy, sz in cases:
        got = k.dispersion_sigma(float(x), coef(terrain, cls))
        assert got[0] == pytest.approx(sy, abs=5e-4) and got[1] == pytest.approx(sz, abs=5e-4)


@pytest.mark.parametrize("cls", list("ABCDEF"))
def test_isc3_sigmas_follow_the_table_in_every_class(cls):
    # every segment of table 1-2 (both sides of each break) and the 5000 m cap
    c = coef("rural", cls, "pasquill_gifford")
    starts = [s for s, _, _ in ISC3_TABLE[cls][1]][1:]
    xs = [50.0, 100.0, 3000.0, 100_000.0] + [1000 * s * f for s in starts for f in (0.99, 1.01)]
    for x in xs:
        # the same formula evaluated twice: agreement to rounding
        assert k.dispersion_sigma(x, c) == pytest.approx(isc3_sigmas(x, cls), rel=1e-12)


@pytest.mark.parametrize("cls", list("ABCDEF"))
def test_puff_sigmas_follow_the_table_in_every_class(cls):
    ay, by, az, bz = PUFF_TABLE[cls]
    for terrain in ("rural", "urban"):  # the puff table has no urban form
        c = coef(terrain, cls, "puff")
        for x in (10.0, 500.0, 5000.0):
            assert k.dispersion_sigma(x, c) == pytest.approx((ay * x**by, az * x**bz), rel=1e-12)


def test_isc3_reference_case_with_the_models_sigmas():
    # MODELS.md: class D, x = 500 m: sigma_y = 36.146 m, sigma_z = 18.297 m (5 digits:
    # half a unit of the last, 3e-5 relative); Q = 10 g/s, H = 50 m, u = 6 m/s ->
    # 1.9172e-5 g/m3 on the ground on the centreline (5 digits: 3e-5)
    c = coef("rural", "D", "pasquill_gifford")
    sy, sz = k.dispersion_sigma(500.0, c)
    assert sy == pytest.approx(36.146, rel=3e-5) and sz == pytest.approx(18.297, rel=3e-5)
    g = geo(u=6.0, h=50.0)
    conc = k.concentration(np.array([500.0]), np.array([0.0]), 1e6, g, c,
                           np.array([0.0, math.inf, 10.0]), NO_PUFFS)[0]
    assert conc == pytest.approx(1.9172e-5, rel=3e-5)


def test_ccps_puff_reference_case_with_the_models_sigmas():
    # MODELS.md: M = 1 kg at ground, class F, u = 2 m/s, t = 250 s, x = 500 m:
    # sigma_x = sigma_y = 5.0479 m, sigma_z = 2.2148 m -> 2.2500e-3 kg/m3 (5 digits)
    c = coef("rural", "F", "puff")
    sy, sz = k.dispersion_sigma(500.0, c)
    assert sy == pytest.approx(5.0479, rel=2e-5) and sz == pytest.approx(2.2148, rel=3e-5)
    conc = k.concentration(np.array([500.0]), np.array([0.0]), 250.0, geo(u=2.0), c,
                           np.zeros(3), np.array([0.0, 1.0, 1.0, 1.0]))[0]
    assert conc == pytest.approx(2.2500e-3, rel=1e-4)


def test_the_distance_warp_is_continuous_and_a_shift_beyond():
    c = coef("urban", "F")
    x = np.geomspace(1.0, 300.0, 40)
    xi = 0.5 * x**1.2  # any increasing table
    warped = k.with_warp(c, x, xi)
    for xv, want in ((1.0, 0.5), (300.0, xi[-1]), (1000.0, 1000.0 + xi[-1] - 300.0)):
        assert k.effective_distance(xv, warped) == pytest.approx(want, rel=1e-12)
        assert k.dispersion_sigma(xv, warped) == pytest.approx(k.sigma_formula(want, c),
                                                               rel=1e-12)
    # continuous at the transition: just below and above differ by the slope only
    below = k.effective_distance(300.0 * (1 - 1e-9), warped)
    above = k.effective_distance(300.0 * (1 + 1e-9), warped)
    assert above == pytest.approx(below, rel=1e-6)
    assert k.effective_distance(700.0, c) == 700.0  # no warp


@pytest.mark.parametrize("terrain,cls,h", [("urban", "D", 0.0), ("rural", "F", 10.0),
                                           ("urban", "B", 25.0)])
def test_centreline_and_crosswind_concentrations_match_the_formula(terrain, cls, h):
    q, u = 2e6, 4.0  # mg/s, m/s
    g = geo(u=u, h=h, from_deg=270.0)
    c = coef(terrain, cls)
    rel = np.array([0.0, math.inf, q])
    fy, fz = TABLE[(terrain, cls)]
    t = 20000.0  # long after the front passed 10 km: the plume is steady here
    for x in (100.0, 400.0, 1500.0, 6000.0):
        for y in (0.0, 0.5 * fy(x), 1.5 * fy(x), -2.0 * fy(x)):
            got = k.concentration(np.array([x]), np.array([y]), t, g, c, rel, NO_PUFFS)[0]
            want = steady_plume(q, u, fy(x), fz(x), y, 0.0, h)
            # the front factor is erf(> 100) = 1 exactly in float64: rounding only
            assert got == pytest.approx(want, rel=1e-9, abs=1e-300)


def _plane_flux(x: float, c: np.ndarray, g: np.ndarray, rel: np.ndarray, lid: float) -> float:
    """Integral of C u over a downwind plane at x (midpoint rule on a fine grid)."""
    sy, sz = k.dispersion_sigma(x, c)
    ny, nz = 801, 400
    y_edges = np.linspace(-8 * sy, 8 * sy, ny + 1)
    top = lid if lid > 0 else g[5] + 8 * sz
    z_edges = np.linspace(0.0, top, nz + 1)
    y = 0.5 * (y_edges[1:] + y_edges[:-1])
    total = 0.0
    for z in 0.5 * (z_edges[1:] + z_edges[:-1]):
        gz = g.copy()
        gz[7] = z
        conc = k.concentration(np.full(ny, x), y, 1e6, gz, c, rel, NO_PUFFS)
        total += conc.sum() * (y_edges[1] - y_edges[0]) * (z_edges[1] - z_edges[0])
    return total * g[4]


@pytest.mark.parametrize("lid", [0.0, 300.0])
def test_mass_flux_through_a_downwind_plane_equals_the_release_rate(lid):
    q = 5e6
    g = geo(u=2.5, h=15.0, lid=lid)
    c = coef("urban", "C")
    rel = np.array([0.0, math.inf, q])
    for x in (200.0, 1000.0, 3000.0):  # with the lid: image sources, then well mixed
        # midpoint rule over +-8 sigma_y and 0..8 sigma_z (or the lid): the truncated
        # tails are below 1e-14, the quadrature error below 1e-5
        assert _plane_flux(x, c, g, rel, lid) == pytest.approx(q, rel=1e-4)


@pytest.mark.parametrize("from_deg,east,north", [(270, 1, 0), (90, -1, 0), (0, 0, -1),
                                                 (180, 0, 1), (225, 1, 1)])
def test_wind_blows_from_from_deg(from_deg, east, north):
    # from_deg is where the wind blows FROM: 270 carries the plume east (+x)
    g = geo(u=3.0, from_deg=from_deg, xs=100.0, ys=-50.0)
    c = coef("rural", "D")
    rel = np.array([0.0, math.inf, 1e6])
    d = np.array([east, north], dtype=float) / math.hypot(east, north)
    pts = np.array([[100 + 500 * d[0], -50 + 500 * d[1]],      # downwind
                    [100 - 500 * d[0], -50 - 500 * d[1]],      # upwind
                    [100 - 500 * d[1], -50 + 500 * d[0]]])     # crosswind
    conc = k.concentration(pts[:, 0].copy(), pts[:, 1].copy(), 1e5, g, c, rel, NO_PUFFS)
    assert conc[0] > 1.0 and conc[1] == 0.0 and conc[2] < 1e-6 * conc[0]


@pytest.mark.parametrize("lid", [0.0, 40.0])
def test_a_puff_conserves_its_mass(lid):
    m = 1e9  # mg (1 t)
    u, t = 2.0, 400.0
    g = geo(u=u, h=5.0, lid=lid)
    c = coef("urban", "E")
    sy, sz = k.dispersion_sigma(u * t, c)
    xs = np.linspace(u * t - 7 * sy, u * t + 7 * sy, 141)
    ys = np.linspace(-7 * sy, 7 * sy, 141)
    zs_edges = np.linspace(0.0, lid if lid > 0 else 5.0 + 8 * sz, 121)
    X, Y = np.meshgrid(xs, ys)
    cell = (xs[1] - xs[0]) * (ys[1] - ys[0]) * (zs_edges[1] - zs_edges[0])
    total = 0.0
    for z in 0.5 * (zs_edges[1:] + zs_edges[:-1]):
        gz = g.copy()
        gz[7] = z
        total += k.concentration(X.ravel(), Y.ravel(), t, gz, c, np.zeros(3),
                                 np.array([0.0, 1.0, 1.0, m])).sum() * cell
    # Gaussian tails beyond 7 sigma ~1e-11; the rectangle rule on 20 points per sigma
    # integrates a Gaussian to machine precision; z cells of sigma_z/15: < 1e-4
    assert total == pytest.approx(m, rel=1e-4)


def test_a_dense_puff_train_is_the_plume():
    # a 10-min release as 5-m spaced puffs against the plume with its front and tail
    q, u, duration = 1e6, 3.0, 600.0
    g = geo(u=u, h=2.0)
    c = coef("urban", "D")
    rel = np.array([0.0, duration, q])

    def train(spacing):
        n = int(u * duration / spacing)
        return np.array([0.5 * duration / n, duration / n, n, q * duration / n])

    five, one = train(5.0), train(1.0)
    for x in (150.0, 600.0, 1200.0):
        sy = k.dispersion_sigma(x, c)[0]
        for t in (x / u + 300.0, x / u + 20.0, x / u + duration - 20.0):
            for y in (0.0, sy):
                pts = (np.array([x]), np.array([y]))
                plume = k.concentration(*pts, t, g, c, rel, NO_PUFFS)[0]
                puffs = k.concentration(*pts, t, g, c, rel, five)[0]
                # 5-m spacing is converged: 1-m spacing changes it by < 1e-3 (the puffs
                # summed in groups of half a sigma_x: 0.1 % from the puff-by-puff sum)
                assert k.concentration(*pts, t, g, c, rel, one)[0] == pytest.approx(
                    puffs, rel=1e-3)
                if y == 0 and t == x / u + 300.0:
                    # the middle of the train on the axis is the steady plume (the
                    # grouping and the sigma growth along the train: < 0.2 %)
                    assert puffs == pytest.approx(plume, rel=2e-3)
                else:
                    # puffs carry the sigmas of their own travel distance, the plume those
                    # of the receptor: near the front, the tail and off the axis the
                    # puffs that reach a point have sigmas a few sigma_x away: <= 8 %
                    assert puffs == pytest.approx(plume, rel=0.08)


def test_plume_front_passes_at_distance_over_wind_speed():
    u, x = 4.0, 1000.0
    g = geo(u=u)
    c = coef("urban", "D")
    t0 = 300.0
    rel = np.array([t0, math.inf, 1e6])
    sy = k.dispersion_sigma(x, c)[0]
    steady = k.concentration(np.array([x]), np.array([0.0]), 1e6, g, c, rel, NO_PUFFS)[0]

    def at(t):
        return k.concentration(np.array([x]), np.array([0.0]), t, g, c, rel, NO_PUFFS)[0] / steady

    assert at(t0 + x / u) == pytest.approx(0.5, abs=1e-12)  # erf(0): the front's middle
    assert at(t0 + x / u - 3 * sy / u) < 0.002  # 3 sigma_x ahead: (1 - erf(3/sqrt 2))/2
    assert at(t0 + x / u + 3 * sy / u) > 0.998
    assert at(t0 - 1.0) == 0.0


def test_peak_concentration_is_the_steady_plume_and_the_puff_peak():
    g = geo(u=2.0, h=3.0)
    c = coef("rural", "E")
    x = np.array([80.0, 700.0, 4000.0])
    y = np.array([0.0, 30.0, -200.0])
    steady = k.peak_concentration(x, y, g, c, np.array([1e6, math.inf, 0.0]))
    for i in range(3):
        sy, sz = k.dispersion_sigma(x[i], c)
        assert steady[i] == pytest.approx(steady_plume(1e6, 2.0, sy, sz, y[i], 0.0, 3.0),
                                          rel=1e-12)
    puff = k.peak_concentration(x, y, g, c, np.array([0.0, 0.0, 5e8]))
    for i in range(3):  # the peak of one puff is its value at its centre
        sy, sz = k.dispersion_sigma(x[i], c)
        want = k.puff_formula(5e8, sy, sy, sz, 0.0, y[i], 0.0, 3.0, 0.0)
        assert puff[i] == pytest.approx(want, rel=1e-12)
    # a finite release: the peak over time of the plume with front and tail
    finite = k.peak_concentration(x, y, g, c, np.array([1e6, 900.0, 0.0]))
    rel = np.array([0.0, 900.0, 1e6])
    for i in range(3):
        times = np.linspace(x[i] / 2.0, x[i] / 2.0 + 900.0, 2001)
        series = [k.concentration(x[i:i + 1], y[i:i + 1], t, g, c, rel, NO_PUFFS)[0]
                  for t in times]
        # sampled every 0.45 s around a smooth maximum: 1e-6 relative
        assert max(series) == pytest.approx(finite[i], rel=1e-6)


def test_indoor_reference_case():
    # MODELS.md: n = 0.5/h, constant outdoor concentration for 30 min:
    # Ci/Co = 0.2212 and dose ratio 0.1152 (4 digits given)
    co = 100.0
    ci, load, dose = k.indoor_step(0.0, co, 0.5 / 3600, 1800.0, 1.0, 1.0)
    assert ci / co == pytest.approx(0.2212, abs=5e-5)
    assert dose / (co * 1800.0) == pytest.approx(0.1152, abs=5e-5)
    assert load == pytest.approx(dose, rel=1e-9)  # n = 1: the load is the dose


def _load_by_quadrature(ci0, co, lam, tau, n, units, m=1_000_000):
    """integral (units Ci)^n ds by the midpoint rule on m points of the exact path."""
    s = (np.arange(m) + 0.5) * tau / m
    return float(np.sum((units * (co + (ci0 - co) * np.exp(-lam * s))) ** n) * tau / m)


@pytest.mark.parametrize("n", [1.0, 1.43, 2.0, 2.75])
@pytest.mark.parametrize("co", [0.0, 50.0, 400.0])
def test_indoor_load_is_the_exact_integral_and_never_blows_up(n, co):
    ci0 = 200.0
    for rate_h, tau in ((0.2, 60.0), (1.0, 900.0), (10.0, 600.0), (30.0, 7200.0)):
        lam = rate_h / 3600
        ci, load, dose = k.indoor_step(ci0, co, lam, tau, n, 0.5)
        assert ci == pytest.approx(co + (ci0 - co) * math.exp(-lam * tau), rel=1e-12)
        # relaxes toward the outdoor air, never past it (no explicit-Euler overshoot)
        assert min(co, ci0) <= ci <= max(co, ci0)
        # closed forms (n = 1, 2, co = 0) or Gauss-Legendre on panels of lam s <= 0.5
        # (< 1e-9) against a 1e6-point midpoint rule (error (2 lam tau / m)^2 / 24 < 1e-9)
        assert load == pytest.approx(_load_by_quadrature(ci0, co, lam, tau, n, 0.5), rel=1e-8)


def _one_agent_run(setting: int, dt: float, t_end: float = 4000.0, x=800.0) -> tuple:
    g = geo(u=3.0)
    c = coef("urban", "D")
    rel = np.array([0.0, 900.0, 2e6])
    state = {name: np.zeros(1) for name in ("ci", "load", "dose")}
    rates = np.array([1.0, 0.2, 0.0, 10.0, 1.0, 0.0]) / 3600
    for t in np.arange(0.0, t_end, dt):
        people = (np.array([x]), np.array([0.0]), np.array([-1]), np.array([setting], np.int8))
        k.expose_agents(t, dt, np.array([0]), np.array([True]), people,
                        (state["ci"], state["load"], state["dose"]), NO_NODES, rates, 5.0 / 3600,
                        2.0, 1.0, g, c, rel, NO_PUFFS, 0.0,
                        1e9)  # one sub-step per step: the step alone sets the resolution
    return state["ci"][0], state["load"][0], state["dose"][0]


def test_exposure_converges_with_the_step_and_sheltering_lowers_the_dose():
    home = _one_agent_run(0, 1.0)
    coarse = _one_agent_run(0, 60.0)
    # piecewise-constant outdoor air sampled at mid-step: 60-s steps against 1-s steps
    # differ only by the sampling of the front and tail (sigma_x / u ~ 30 s): < 2 %
    assert coarse[2] == pytest.approx(home[2], rel=0.02)
    sheltered = _one_agent_run(1, 1.0)
    outdoors = _one_agent_run(2, 1.0)
    assert sheltered[2] < 0.5 * home[2] < home[2] < outdoors[2]
    assert sheltered[1] < 0.1 * home[1]  # the toxic load (n = 2) even more so
    # after the plume passed the sheltered home aired out (5/h): cleaner than the home
    assert sheltered[0] < home[0]


def test_kernel_setting_codes_are_the_interface_ones():
    from citysim.hazards.base import Setting

    assert (k.SHELTERING, k.ON_FOOT, k.GONE) == (Setting.SHELTERING, Setting.ON_FOOT,
                                                 Setting.GONE)


def test_candidates_skip_the_far_the_dead_and_those_the_gas_has_not_reached():
    g = geo(u=3.0)
    c = coef("urban", "D")
    rel = np.array([0.0, 600.0, 1e6])
    x = np.array([100.0, 100.0, -100.0, 100.0, 5000.0, 130.0])
    y = np.array([0.0, 500.0, 0.0, 0.0, 0.0, 0.0])
    setting = np.array([0, 0, 0, k.GONE, 2, 0], np.int8)
    envelope = np.full(50, 100.0)  # 100 m either side out to exp(49 * 0.1) = 134 m
    ci = np.zeros(6)

    def ids(t_a, t_b, release=rel):
        found, in_gas = k.candidates(t_a, t_b, (x, y, np.full(6, -1), setting), ci, NO_NODES,
                                     g, c, release, NO_PUFFS, envelope, 0.0, 0.1)
        return [(int(i), bool(gas)) for i, gas in zip(found, in_gas, strict=True)]

    assert ids(10.0, 20.0) == [(0, True), (5, True)]  # the front (3 m/s) is near both
    # 8 sigma_y ahead of the front counts: sigma_y(100 m) = 15.7 m, so 100 m downwind is a
    # candidate from (100 - 8 * 15.7 - 1) / 3 = -9.2 s on, but not a minute before
    assert ids(-5.0, 0.0) == [(0, True), (5, True)] and ids(-60.0, -50.0) == []
    late = rel.copy()
    late[:2] += 200.0
    assert ids(0.0, 10.0, late) == []
    assert ids(2000.0, 2010.0) == []  # long after the tail passed
    ci[2] = 1.0  # still breathing gas indoors upwind: kept, with clean air outside
    ci[0] = 1.0
    assert ids(2000.0, 2010.0) == [(0, False), (2, False)]
    assert ids(10.0, 20.0) == [(0, True), (2, False), (5, True)]
