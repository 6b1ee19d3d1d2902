"""Numba kernels of the chemical leak: Gaussian plume and puffs, exposure indoors and out.

The formulas and reference cases are in MODELS.md ("Chemical dispersion");
:mod:`citysim.hazards.chemical` calls these kernels with plain arrays:

- ``coef`` (:data:`COEF_SIZE`,): the dispersion coefficients, packed by
  :func:`pack_coef`: ``coef[0]`` the formula (:data:`SIGMA_BRIGGS`: ``sigma =
  c x (1 + d x)^p``, ``coef[1:7] = (cy, dy, py, cz, dz, pz)``;
  :data:`SIGMA_POWER`: ``sigma = a x^b``, ``coef[1:5] = (ay, by, az, bz)``, the
  puff coefficients; :data:`SIGMA_ISC3`: the ISC3 rural Pasquill-Gifford
  curves, ``coef[1:3] = (c, d)`` of ``sigma_y`` and ``coef[3]`` segments of
  ``sigma_z = a x_km^b`` whose upper ends (km), ``a`` and ``b`` follow), x in
  m; then a **distance warp** (:data:`WARP_AT`): the sigmas are evaluated at
  an effective distance ``xi(x)``, log-log interpolated in a table up to a
  transition distance ``x_t`` and ``x + x_v`` beyond it (a virtual source);
  ``x_t = 0``: no warp, ``xi = x``. The dense-gas phase of
  :mod:`citysim.hazards.dense_gas` is this warp;
- ``geo`` (10,): ``(x_s, y_s, e_x, e_y, u, h, lid, z, cap, x_min)``: the
  source (m), the unit vector the wind blows TO, the wind speed at release
  height (m/s), the release height (m), the mixing height (m; 0: none), the
  receptor height (m), the highest possible concentration (mg/m³, the pure
  gas) and the shortest distance at which sigmas are evaluated (m);
- ``rel`` (3,): ``(t_start, t_end, q)``: a continuous release of ``q`` mg/s
  from ``t_start`` to ``t_end`` (s; ``inf``: no end), drawn as a plume;
- ``puffs`` (4,): ``(t_first, interval, count, mass)``: ``count`` puffs of
  ``mass`` mg each released at ``t_first + k interval`` (s); ``count = 0``:
  no puffs, the release is the plume ``rel``.

Concentrations are in mg/m³ (mg/s over m/s over m²). A **plume** is the
steady Gaussian plume with ground reflection, cut at its front and tail by
along-wind dispersion (``sigma_x = sigma_y``; Palazzi et al. 1982),
``C = C_steady [erf(a_start) - erf(a_end)] / 2`` with
``a = (u (t - t_release) - x) / (sqrt(2) sigma_x)`` for the start and the
end of the release: the front passes a point ``x / u`` after the start. A
**puff** has its sigmas at the distance it travelled (``sigma_x = sigma_y``). A mixing lid
adds image sources (three pairs each side) until ``sigma_z >= 1.6 lid``,
then the plume is mixed uniformly up to the lid (as in ISC3).

A point sums only the puffs within :data:`PUFF_CUTOFF` sigmas of it, and
there consecutive puffs are summed in groups at most half a sigma_x long
(at the point): a group is one puff with the group's mass at its mean
position and ``sigma_x² + (n² - 1) spacing² / 12`` (mass and along-wind
spread kept; the sum of Gaussians closer than a sigma is smooth). The cost
per point is then a few dozen puffs whatever their number.

The per-agent loops call helpers with scalar arguments (passing arrays to a
function in a hot loop costs reference counting in numba), and read the
fixed places (the network's nodes, where agents at home stand) from a table
built once (:func:`place_table`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

SQRT2 = math.sqrt(2.0)
SQRT_2PI = math.sqrt(2.0 * math.pi)
TWO_PI_1_5 = (2.0 * math.pi) ** 1.5
WELL_MIXED = 1.6
"""sigma_z / mixing height from which the plume is uniformly mixed below the lid (ISC3)."""
IMAGES = 3
"""Image-source pairs on each side of the ground and the lid."""
PUFF_CUTOFF = 6.0
"""Sigmas beyond which a puff is not summed at a point."""
GROUP_SIGMAS = 0.5
"""Puffs are summed in groups at most this many sigma_x (at the point) long."""
GATE_SIGMAS = 8.0
"""Sigmas ahead of the first gas and behind the last within which an agent is evaluated."""
MAX_SUBSTEPS = 32
"""Most exposure sub-steps of one agent in one step."""
SIGMA_BRIGGS, SIGMA_POWER, SIGMA_ISC3 = 0, 1, 2
"""Dispersion formulas of ``coef[0]``: Briggs, power law (puffs), ISC3 Pasquill-Gifford."""
ISC3_SEGMENTS = 10
"""Most ``sigma_z`` segments of an ISC3 class (class F has 10)."""
ISC3_SIGMA_Z_MAX_M = 5000.0
"""ISC3 caps sigma_z at 5000 m."""
WARP_AT = 4 + 3 * ISC3_SEGMENTS
"""Index of the distance warp in ``coef``: ``(x_t, x_v, n, ln x[WARP_POINTS],
ln xi[WARP_POINTS])``."""
WARP_POINTS = 64
"""Most points of the distance-warp table."""
COEF_SIZE = WARP_AT + 3 + 2 * WARP_POINTS
"""Length of ``coef``."""
GL_PANEL = 0.5
"""Largest ``rate x time`` of one Gauss-Legendre panel of the indoor toxic load."""
MAX_PANELS = 256
"""Most panels of one interval."""
_GL_NODES = np.array([-0.8611363115940526, -0.3399810435848563, 0.3399810435848563,
                      0.8611363115940526])
_GL_WEIGHTS = np.array([0.3478548451374538, 0.6521451548625461, 0.6521451548625461,
                        0.3478548451374538])
# Setting codes of citysim.hazards.base.Setting
SHELTERING = 1
ON_FOOT = 2
GONE = 5


# --- formulas ------------------------------------------------------------------


def pack_coef(kind: int, params: tuple[float, ...], segments: tuple[tuple[float, float, float],
              ...] = ()) -> np.ndarray:
    """The ``coef`` array of a dispersion formula, without warp (see the module docstring).

    ``params``: ``(cy, dy, py, cz, dz, pz)`` (Briggs), ``(ay, by, az, bz)``
    (power law) or ``(c, d)`` (ISC3); ``segments``: ISC3 ``sigma_z`` as
    ``(upper end km, a, b)`` rows (the last one's end ``inf``).
    """
    coef = np.zeros(COEF_SIZE)
    coef[0] = kind
    coef[1:1 + len(params)] = params
    if kind == SIGMA_ISC3:
        coef[3] = len(segments)
        for j, (end_km, a, b) in enumerate(segments):
            coef[4 + j] = end_km
            coef[4 + ISC3_SEGMENTS + j] = a
            coef[4 + 2 * ISC3_SEGMENTS + j] = b
    return coef


def with_warp(coef: np.ndarray, x_m: np.ndarray, xi_m: np.ndarray) -> np.ndarray:
    """``coef`` with the distance warp ``x -> xi`` tabulated up to ``x_m[-1]``, a shift beyond.

    ``x_m`` and ``xi_m`` (m, increasing, at most :data:`WARP_POINTS`): the
    effective distance ``xi`` at which the sigmas are evaluated at ``x``;
    beyond the last point ``xi = x + (xi_m[-1] - x_m[-1])``.
    """
    out = coef.copy()
    n = x_m.size
    out[WARP_AT:WARP_AT + 3] = x_m[-1], xi_m[-1] - x_m[-1], n
    out[WARP_AT + 3:WARP_AT + 3 + n] = np.log(x_m)
    out[WARP_AT + 3 + WARP_POINTS:WARP_AT + 3 + WARP_POINTS + n] = np.log(xi_m)
    return out


@njit(cache=True)
def effective_distance(x: float, coef: np.ndarray) -> float:
    """The distance (m) at which the sigmas of ``x`` (m) are evaluated (the warp; ``x`` if none)."""
    x_t = coef[WARP_AT]
    if x_t <= 0.0:
        return x
    if x >= x_t:
        return x + coef[WARP_AT + 1]
    n = int(coef[WARP_AT + 2])
    lx = coef[WARP_AT + 3:WARP_AT + 3 + n]
    lxi = coef[WARP_AT + 3 + WARP_POINTS:WARP_AT + 3 + WARP_POINTS + n]
    return math.exp(np.interp(math.log(x), lx, lxi))


@njit(cache=True)
def sigma_formula(x: float, coef: np.ndarray) -> tuple[float, float]:
    """``(sigma_y, sigma_z)`` (m) of the packed formula at distance ``x`` (m), no warp."""
    kind = int(coef[0])
    if kind == SIGMA_BRIGGS:
        return (coef[1] * x * (1.0 + coef[2] * x) ** coef[3],
                coef[4] * x * (1.0 + coef[5] * x) ** coef[6])
    if kind == SIGMA_POWER:
        return coef[1] * x ** coef[2], coef[3] * x ** coef[4]
    x_km = x / 1000.0
    sy = 465.11628 * x_km * math.tan(0.017453293 * (coef[1] - coef[2] * math.log(x_km)))
    last = int(coef[3]) - 1
    j = 0
    while j < last and x_km > coef[4 + j]:
        j += 1
    sz = coef[4 + ISC3_SEGMENTS + j] * x_km ** coef[4 + 2 * ISC3_SEGMENTS + j]
    return sy, min(sz, ISC3_SIGMA_Z_MAX_M)


@njit(cache=True)
def dispersion_sigma(x: float, coef: np.ndarray) -> tuple[float, float]:
    """``(sigma_y, sigma_z)`` (m) at downwind distance ``x`` (m), at its warped distance."""
    return sigma_formula(effective_distance(x, coef), coef)


@njit(cache=True)
def dispersion_sigmas(x: np.ndarray, coef: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`briggs_sigma` over an array of distances (m)."""
    sy = np.empty(x.size)
    sz = np.empty(x.size)
    for i in range(x.size):
        sy[i], sz[i] = dispersion_sigma(x[i], coef)
    return sy, sz


@njit(cache=True)
def vertical_factor(z: float, h: float, sz: float, lid: float) -> float:
    """The vertical bracket of the Gaussian formulas (1).

    ``exp(-(z-h)²/2sz²) + exp(-(z+h)²/2sz²)`` (ground reflection), with image
    sources for a mixing lid at ``lid`` m (0: none), or ``sqrt(2 pi) sz / lid``
    once the plume is mixed up to the lid.
    """
    if lid > 0.0 and sz >= WELL_MIXED * lid:
        return SQRT_2PI * sz / lid
    two_s2 = 2.0 * sz * sz
    total = math.exp(-(z - h) ** 2 / two_s2) + math.exp(-(z + h) ** 2 / two_s2)
    if lid > 0.0:
        for k in range(1, IMAGES + 1):
            for sign in (-1.0, 1.0):
                shift = sign * 2.0 * k * lid
                total += math.exp(-(z - h + shift) ** 2 / two_s2)
                total += math.exp(-(z + h + shift) ** 2 / two_s2)
    return total


@njit(cache=True)
def plume_formula(q: float, u: float, sy: float, sz: float, y: float, z: float, h: float,
                  lid: float) -> float:
    """Steady Gaussian plume ``Q/(2 pi u sy sz) exp(-y²/2sy²) [bracket]`` (Q per s -> per m³)."""
    return (q / (2.0 * math.pi * u * sy * sz) * math.exp(-y * y / (2.0 * sy * sy))
            * vertical_factor(z, h, sz, lid))


@njit(cache=True)
def puff_formula(m: float, sx: float, sy: float, sz: float, dx: float, y: float, z: float,
                 h: float, lid: float) -> float:
    """Gaussian puff ``M/((2 pi)^1.5 sx sy sz) exp(-dx²/2sx²) exp(-y²/2sy²) [bracket]``."""
    return (m / (TWO_PI_1_5 * sx * sy * sz) * math.exp(-dx * dx / (2.0 * sx * sx))
            * math.exp(-y * y / (2.0 * sy * sy)) * vertical_factor(z, h, sz, lid))


@njit(cache=True)
def plume_axes(px: float, py: float, geo: np.ndarray) -> tuple[float, float]:
    """Downwind and crosswind (to the left of the wind) coordinates (m) of a point."""
    dx = px - geo[0]
    dy = py - geo[1]
    return dx * geo[2] + dy * geo[3], -dx * geo[3] + dy * geo[2]


@njit(cache=True)
def _steady_plume(xd: float, yc: float, geo: np.ndarray, coef: np.ndarray,
                  q: float) -> tuple[float, float]:
    """The steady plume (mg/m³) at plume coordinates, and sigma_y (m) there."""
    if xd <= 0.0:
        return 0.0, 0.0
    sy, sz = dispersion_sigma(max(xd, geo[9]), coef)
    return plume_formula(q, geo[4], sy, sz, yc, geo[7], geo[5], geo[6]), sy


@njit(cache=True)
def _front_and_tail(xd: float, t: float, sy: float, u: float, t_start: float,
                    t_end: float) -> float:
    """Share of the steady plume at ``xd`` at time ``t`` (Palazzi's erf pair)."""
    if xd <= 0.0 or t <= t_start:
        return 0.0
    front = math.erf((u * (t - t_start) - xd) / (SQRT2 * sy))
    tail = math.erf((u * (t - t_end) - xd) / (SQRT2 * sy))
    return 0.5 * (front - tail)


@njit(cache=True)
def _puffs_at(xd: float, yc: float, t: float, geo: np.ndarray, coef: np.ndarray,
              t_first: float, interval: float, count: int, mass: float) -> float:
    """Sum of the puffs released by ``t`` near plume coordinates ``(xd, yc)`` (mg/m³)."""
    released = min(count - 1, int(math.floor((t - t_first) / interval + 1e-9)))
    if released < 0:
        return 0.0
    u, x_min = geo[4], geo[9]
    z, h, lid = geo[7], geo[5], geo[6]
    spacing = u * interval
    s_here = dispersion_sigma(max(xd, x_min), coef)[0]
    stride = max(1, int(GROUP_SIGMAS * s_here / spacing))
    reach = PUFF_CUTOFF * 1.25 * s_here + stride * spacing + x_min
    # puff k is at u (t - t_first - k interval): those within reach of xd
    k_lo = max(0, int(math.floor((t - t_first - (xd + reach) / u) / interval)))
    k_hi = min(released, int(math.ceil((t - t_first - (xd - reach) / u) / interval)))
    c = 0.0
    for g in range(k_lo // stride, k_hi // stride + 1):
        k0 = g * stride
        k1 = min(k0 + stride - 1, released)
        n = k1 - k0 + 1
        centre = u * (t - t_first - 0.5 * (k0 + k1) * interval)
        sy, sz = dispersion_sigma(max(centre, x_min), coef)
        if abs(yc) > PUFF_CUTOFF * sy:
            continue
        sx = math.sqrt(sy * sy + (n * n - 1) * spacing * spacing / 12.0)
        c += puff_formula(n * mass, sx, sy, sz, xd - centre, yc, z, h, lid)
    return c


@njit(cache=True)
def _outdoor(xd: float, yc: float, t: float, steady: float, sy: float, geo: np.ndarray,
             coef: np.ndarray, rel: np.ndarray, puffs: np.ndarray) -> float:
    """Outdoor concentration (mg/m³, capped); ``steady``/``sy``: the plume's, precomputed."""
    if puffs[2] > 0:
        c = _puffs_at(xd, yc, t, geo, coef, puffs[0], puffs[1], int(puffs[2]), puffs[3])
    else:
        c = steady * _front_and_tail(xd, t, sy, geo[4], rel[0], rel[1])
    return min(c, geo[8])


@njit(cache=True)
def concentration(px: np.ndarray, py: np.ndarray, t: float, geo: np.ndarray, coef: np.ndarray,
                  rel: np.ndarray, puffs: np.ndarray) -> np.ndarray:
    """Concentration (mg/m³) at points ``(px, py)`` (m) at time ``t`` (s)."""
    out = np.zeros(px.size)
    for i in range(px.size):
        xd, yc = plume_axes(px[i], py[i], geo)
        out[i] = point_concentration(xd, yc, t, geo, coef, rel, puffs)
    return out


@njit(cache=True)
def point_concentration(xd: float, yc: float, t: float, geo: np.ndarray, coef: np.ndarray,
                        rel: np.ndarray, puffs: np.ndarray) -> float:
    """Concentration (mg/m³, capped) at plume coordinates ``(xd, yc)`` (m) at time ``t`` (s)."""
    steady, sy = _steady_plume(xd, yc, geo, coef, rel[2])
    return _outdoor(xd, yc, t, steady, sy, geo, coef, rel, puffs)


@njit(cache=True)
def peak_concentration(xd: np.ndarray, yc: np.ndarray, geo: np.ndarray, coef: np.ndarray,
                       line: np.ndarray) -> np.ndarray:
    """Highest concentration over time (mg/m³) at plume coordinates ``(xd, yc)`` (m).

    ``line = (q, duration, mass)``: the peak mass per metre along the wind
    passing a point ``x`` downwind is ``q/u erf(u D / (2 sqrt(2) sigma_x))``
    for a release of ``q`` mg/s lasting ``D`` s (``inf``: ``q/u``), or
    ``M / (sqrt(2 pi) sigma_x)`` for an instantaneous mass ``M`` mg
    (``mass > 0``), with ``sigma_x = sigma_y`` at ``x``: the maximum over
    time of the plume with its front and tail, and the exact peak of a
    single puff. Not capped at the pure-gas concentration.
    """
    out = np.zeros(xd.size)
    u = geo[4]
    for i in range(xd.size):
        x = xd[i]
        if x <= 0.0:
            continue
        sy, sz = dispersion_sigma(max(x, geo[9]), coef)
        if line[2] > 0.0:
            per_m = line[2] / (SQRT_2PI * sy)
        elif math.isinf(line[1]):
            per_m = line[0] / u
        else:
            per_m = line[0] / u * math.erf(u * line[1] / (2.0 * SQRT2 * sy))
        y = yc[i]
        out[i] = (per_m / (2.0 * math.pi * sy * sz) * math.exp(-y * y / (2.0 * sy * sy))
                  * vertical_factor(geo[7], geo[5], sz, geo[6]))
    return out


@njit(cache=True)
def indoor_step(ci: float, co: float, rate_s: float, tau: float, n: float,
                to_units: float) -> tuple[float, float, float]:
    """One interval of a single-zone enclosure under a constant outdoor concentration.

    ``dCi/dt = rate (Co - Ci)`` solved exactly: ``Ci(s) = Co + (Ci0 - Co) exp(-rate s)``.

    Parameters
    ----------
    ci, co
        Indoor concentration at the start and outdoor concentration (mg/m³).
    rate_s
        Air-change rate (1/s).
    tau
        Length of the interval (s).
    n
        Toxic-load exponent.
    to_units
        Factor from mg/m³ to the units of the toxic load (ppm or mg/m³).

    Returns
    -------
    ci_end : float
        Indoor concentration at the end (mg/m³).
    load : float
        ``integral (to_units Ci)^n ds`` over the interval: in closed form for
        n = 1, n = 2 and clean outdoor air (``co = 0``), else 4-point
        Gauss-Legendre on the exact path, on panels over which the enclosure
        relaxes by at most ``exp(-0.5)`` (relative error below 1e-9).
    dose : float
        ``integral Ci ds`` (mg s/m³), exact.
    """
    delta = ci - co
    if rate_s * tau < 1e-12:
        c = max(ci, 0.0) * to_units
        return ci, c ** n * tau, ci * tau
    decay = math.exp(-rate_s * tau)
    grow = (1.0 - decay) / rate_s  # integral of exp(-rate s) over the interval
    dose = co * tau + delta * grow
    if n == 1.0:
        return co + delta * decay, dose * to_units, dose
    if co == 0.0:
        load = (ci * to_units) ** n * (1.0 - math.exp(-n * rate_s * tau)) / (n * rate_s)
        return ci * decay, load, dose
    if n == 2.0:
        load = (co * co * tau + 2.0 * co * delta * grow
                + delta * delta * (1.0 - decay * decay) / (2.0 * rate_s)) * to_units ** 2
        return co + delta * decay, load, dose
    panels = min(int(math.ceil(rate_s * tau / GL_PANEL)), MAX_PANELS)
    width = tau / panels
    load = 0.0
    for p in range(panels):
        for k in range(_GL_NODES.size):
            s = width * (p + 0.5 * (1.0 + _GL_NODES[k]))
            c = max(co + delta * math.exp(-rate_s * s), 0.0) * to_units
            load += _GL_WEIGHTS[k] * c ** n
    return co + delta * decay, 0.5 * width * load, dose


# --- agents ----------------------------------------------------------------------


@njit(cache=True)
def emission_window(rel: np.ndarray, puffs: np.ndarray) -> tuple[float, float]:
    """First and last time (s) gas leaves the source."""
    if puffs[2] > 0:
        return puffs[0], puffs[0] + (puffs[2] - 1) * puffs[1]
    return rel[0], rel[1]


@njit(cache=True)
def _place_row(px: float, py: float, geo: np.ndarray, coef: np.ndarray, q: float,
               te0: float, te1: float, envelope: np.ndarray, log_x0: float,
               dlog_x: float) -> tuple[float, float, float, float, float, float]:
    """One row of :func:`place_table` (``q``: the plume's rate, 0 for puffs)."""
    xd, yc = plume_axes(px, py, geo)
    if xd <= 0.0:
        return xd, yc, 0.0, 0.0, np.inf, -np.inf
    sy = dispersion_sigma(max(xd, geo[9]), coef)[0]
    j = max(int(math.floor((math.log(max(xd, geo[9])) - log_x0) / dlog_x)), 0)
    if j >= envelope.size - 1:
        return xd, yc, sy, 0.0, np.inf, -np.inf
    half = max(envelope[j], envelope[j + 1])
    if half <= 0.0 or abs(yc) > half:
        return xd, yc, sy, 0.0, np.inf, -np.inf
    reach = GATE_SIGMAS * sy + geo[9]
    steady = _steady_plume(xd, yc, geo, coef, q)[0] if q > 0.0 else 0.0
    return xd, yc, sy, steady, te0 + (xd - reach) / geo[4], te1 + (xd + reach) / geo[4]


@njit(cache=True)
def place_table(px: np.ndarray, py: np.ndarray, geo: np.ndarray, coef: np.ndarray,
                rel: np.ndarray, puffs: np.ndarray, envelope: np.ndarray, log_x0: float,
                dlog_x: float) -> tuple[np.ndarray, ...]:
    """What the exposure needs to know of fixed places (the network's nodes).

    Returns
    -------
    xd, yc : numpy.ndarray
        Plume coordinates (m).
    sigma_y : numpy.ndarray
        sigma_y at the place's downwind distance (m; 0 upwind).
    steady : numpy.ndarray
        The steady plume there (mg/m³; 0 for puffs, upwind or outside the envelope).
    gas_from, gas_to : numpy.ndarray
        When the gas can be there (s): from the first emission's arrival to
        the last one's passage, give or take :data:`GATE_SIGMAS` sigma_y;
        ``inf``/``-inf`` outside the envelope, where the peak concentration is
        negligible (``envelope[j]``: its half-width at downwind distance
        ``exp(log_x0 + j dlog_x)``, the wider of the two entries around a
        place; nobody beyond the table's last distance).
    """
    n = px.size
    out = (np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n))
    te0, te1 = emission_window(rel, puffs)
    q = rel[2] if puffs[2] == 0 else 0.0
    for i in range(n):
        row = _place_row(px[i], py[i], geo, coef, q, te0, te1, envelope, log_x0, dlog_x)
        for k in range(6):
            out[k][i] = row[k]
    return out


@njit(cache=True)
def candidates(t_a: float, t_b: float, people: tuple, ci: np.ndarray, nodes: tuple,
               geo: np.ndarray, coef: np.ndarray, rel: np.ndarray, puffs: np.ndarray,
               envelope: np.ndarray, log_x0: float,
               dlog_x: float) -> tuple[np.ndarray, np.ndarray]:
    """Agents the gas can reach during ``[t_a, t_b]`` (s), and those who still breathe gas indoors.

    ``people = (x, y, node, setting)``; ``nodes`` is the :func:`place_table`
    of the network's nodes, prefixed by their coordinates: ``(node_x, node_y,
    xd, yc, sigma_y, steady, gas_from, gas_to)``; an agent standing exactly on
    its node reads its row, another one computes its own. An agent not gone is
    **in the gas** when its place's gas window overlaps the step. Agents out
    of the gas whose indoor concentration is above 0 are candidates too
    (with clean air outside).

    Returns
    -------
    ids : numpy.ndarray
        Candidate agents (int64, ascending).
    in_gas : numpy.ndarray
        Whether each of them is in the gas.
    """
    x, y, node, setting = people
    node_x, node_y, gas_from, gas_to = nodes[0], nodes[1], nodes[6], nodes[7]
    te0, te1 = emission_window(rel, puffs)
    q = rel[2] if puffs[2] == 0 else 0.0
    state = np.zeros(x.size, dtype=np.int8)  # 0 no, 1 indoor gas only, 2 in the gas
    for i in range(x.size):
        if setting[i] == GONE:
            continue
        if ci[i] > 0.0:
            state[i] = 1
        nd = node[i]
        if nd >= 0 and x[i] == node_x[nd] and y[i] == node_y[nd]:
            lo, hi = gas_from[nd], gas_to[nd]
        else:
            row = _place_row(x[i], y[i], geo, coef, q, te0, te1, envelope, log_x0, dlog_x)
            lo, hi = row[4], row[5]
        if t_b >= lo and t_a <= hi:
            state[i] = 2
    ids = np.flatnonzero(state)
    return ids, state[ids] == 2


@njit(cache=True)
def expose_agents(t_s: float, dt_s: float, ids: np.ndarray, in_gas: np.ndarray,
                  people: tuple, state: tuple, nodes: tuple, rates_s: np.ndarray,
                  airing_s: float, n: float, to_units: float, geo: np.ndarray, coef: np.ndarray,
                  rel: np.ndarray, puffs: np.ndarray, floor_mg_m3: float,
                  substep_m: float) -> None:
    """Advance the breathing concentration and toxic load of agents ``ids`` over one step.

    ``people = (x, y, node, setting)`` and ``state = (ci, load, dose)`` are
    per-agent arrays; ``nodes`` is the node table of :func:`candidates`. An
    agent in the gas (``in_gas``) cuts the step ``[t_s, t_s + dt_s]`` into
    equal intervals in which the gas moves at most ``max(sigma_y,
    substep_m)`` at its distance (at most :data:`MAX_SUBSTEPS`); in each the
    outdoor concentration is taken at the interval's middle and held
    constant. The others have clean air outside for the whole step.
    Outdoors (on foot) an agent breathes the outdoor air; in a car, at home,
    sheltering or in a public shelter it breathes the enclosure's air, which
    follows ``dCi/dt = rate (Co - Ci)`` exactly (:func:`indoor_step`) with
    the air-change rate of its setting (``rates_s``, 1/s, indexed by
    setting). A sheltering agent airs out (``airing_s``) once the outdoor air
    is cleaner than the indoor. On foot, ``ci`` takes the outdoor value (the
    air the agent carries into the next enclosure). An indoor concentration
    that falls below ``floor_mg_m3`` while the outdoor one is also below it
    is set to 0 (the agent stops being a candidate).

    Updated in place: ``ci`` (mg/m³), ``load`` (``integral (to_units C)^n dt``,
    units^n s) and ``dose`` (``integral C dt``, mg s/m³).
    """
    x, y, node, setting = people
    ci, load, dose = state
    node_x, node_y, node_xd, node_yc, node_sy, node_steady = nodes[:6]
    u, cap = geo[4], geo[8]
    t_start, t_end = rel[0], rel[1]
    t_first, interval, count, mass = puffs[0], puffs[1], int(puffs[2]), puffs[3]
    plume = count == 0
    for j in range(ids.size):
        i = ids[j]
        s = setting[i]
        n_sub = 1
        xd, yc, sy, steady = 0.0, 0.0, 0.0, 0.0
        if in_gas[j]:
            nd = node[i]
            if nd >= 0 and x[i] == node_x[nd] and y[i] == node_y[nd]:
                xd, yc, sy, steady = node_xd[nd], node_yc[nd], node_sy[nd], node_steady[nd]
            else:
                xd, yc = plume_axes(x[i], y[i], geo)
                steady, sy = _steady_plume(xd, yc, geo, coef, rel[2] if plume else 0.0)
            n_sub = min(max(int(math.ceil(u * dt_s / max(sy, substep_m))), 1), MAX_SUBSTEPS)
        tau = dt_s / n_sub
        for k in range(n_sub):
            co = 0.0
            if in_gas[j]:
                t_mid = t_s + (k + 0.5) * tau
                if plume:
                    co = min(steady * _front_and_tail(xd, t_mid, sy, u, t_start, t_end), cap)
                else:
                    co = min(_puffs_at(xd, yc, t_mid, geo, coef, t_first, interval, count,
                                       mass), cap)
            if s == ON_FOOT:
                ci[i] = co
                load[i] += (co * to_units) ** n * tau
                dose[i] += co * tau
                continue
            rate = rates_s[s]
            if s == SHELTERING and co < ci[i]:
                rate = airing_s
            ci[i], add_load, add_dose = indoor_step(ci[i], co, rate, tau, n, to_units)
            load[i] += add_load
            dose[i] += add_dose
            if co < floor_mg_m3 and ci[i] < floor_mg_m3:
                ci[i] = 0.0
