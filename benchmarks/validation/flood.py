"""Flood: the local-inertial scheme against the MODELS.md reference cases.

Every case runs through the kernels the flood hazard itself runs
(:mod:`citysim.hazards._flood_kernels`: ``face_flux``, ``stable_dt``,
``flood_substep``, ``run_flood``); the references are the published numbers
of MODELS.md, or closed-form solutions written out here from their papers.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from benchmarks.validation.core import Check
from citysim.hazards import _flood_kernels as k

MODEL = "Flood"
G = 9.81
H_MIN_M = 1e-3
"""Depth threshold of the cases (m), as the hazard's default."""

NO_T = np.zeros(0)


def _substeps(z: np.ndarray, h: np.ndarray, qx: np.ndarray, qy: np.ndarray, t_s: float,
              t_end_s: float, *, n: float, dx_m: float, theta: float = 1.0,
              dt_max_s: float = math.inf, boundary: object = None) -> float:
    """Advance with the hazard's adaptive sub-step (alpha 0.7) to ``t_end_s``; return the time.

    ``boundary(h, t)`` is called before every sub-step (an imposed depth).
    """
    source = np.zeros_like(h)
    while t_s < t_end_s - 1e-12:
        if boundary is not None:
            boundary(h, t_s)
        dt = min(k.stable_dt(h, dx_m, 0.7), t_end_s - t_s, dt_max_s)
        k.flood_substep(z, h, qx, qy, n, dx_m, dt, source, False, H_MIN_M, theta)
        t_s += dt
    return t_s


def _single_face() -> list[Check]:
    return [
        Check(MODEL, "Single face: q = 0.1, h_f = 0.5, Δη = −0.01, Δx = 10, Δt = 1, n = 0.03",
              "q_new (m²/s)", 0.104440, "Bates et al. 2010, eq. 11 (MODELS.md, Flood)",
              k.face_flux(0.1, 0.5, -0.01, 10.0, 1.0, 0.03),
              1e-6, absolute=True, why="rounding of the published 6 decimals"),
        Check(MODEL, "Time step: α = 0.7, Δx = 10 m, h = 1 m", "Δt (s)", 2.2349,
              "Bates et al. 2010, dt = α Δx / sqrt(g h_max) (MODELS.md, Flood)",
              k.stable_dt(np.ones((3, 4)), 10.0, 0.7), 1e-4, absolute=True,
              why="rounding of the published 4 decimals"),
    ]


def _hunter(fig_dir: Path) -> list[Check]:
    u, n, dx, t_end = 0.4, 0.01, 25.0, 9000.0
    cols = 200  # 5 km: the front (3.6 km) never reaches the closed end
    z = np.zeros((1, cols))
    h, qx, qy = np.zeros((1, cols)), np.zeros((1, cols + 1)), np.zeros((2, cols))

    def inflow(h: np.ndarray, t: float) -> None:
        h[0, 0] = (7 / 3 * n * n * u**3 * t) ** (3 / 7)

    _substeps(z, h, qx, qy, 0.0, t_end, n=n, dx_m=dx, dt_max_s=10.0, boundary=inflow)
    x = np.array([0.0, 500.0, 1000.0, 2000.0, 3000.0, 3500.0])
    ref = [0.4231, 0.3968, 0.3680, 0.2989, 0.1963, 0.0911]
    got = h[0, (x / dx).astype(int)]
    src = "Hunter et al. 2005; de Almeida et al. 2012 set-up (MODELS.md, Flood)"
    case = "Hunter non-breaking wave, u = 0.4 m/s, n = 0.01, Δx = 25 m, t = 9000 s"
    checks = []
    for xi, r, g in zip(x, ref, got, strict=True):
        absolute = False
        if xi == 0:
            tol, why = 0.15, ("boundary cell: set to the imposed depth before each sub-step "
                              "and drained in it (Δt q/Δx ≈ 0.07 m)")
        elif xi < 3500:
            tol, why = 0.05, "inside the wave: the scheme's error away from the front"
        else:
            tol, absolute, why = 0.03, True, "100 m behind a steep front, h ~ (x_f − x)^(3/7)"
        checks.append(Check(MODEL, case, f"h at x = {xi:g} m (m)", r, src, float(g), tol,
                            absolute=absolute, why=why, figure="flood_hunter.png"))
    front = dx * float(np.nonzero(h[0] > H_MIN_M)[0].max())
    checks.append(Check(MODEL, case, "front position (m)", 3600.0, src, front, 2 * dx,
                        absolute=True, why="2 cells", figure="flood_hunter.png"))
    xs = dx * np.arange(cols)
    exact = np.maximum(-7 / 3 * n * n * u * u * (xs - u * t_end), 0.0) ** (3 / 7)
    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.add_subplot()
    ax.plot(xs, exact, "k-", label="Hunter et al. (2005), analytical")
    ax.plot(xs, h[0], "C0--", label="citysim (local-inertial, Δx = 25 m)")
    ax.plot(x, ref, "ko", mfc="none", label="MODELS.md reference points")
    ax.set(xlim=(0, 4200), xlabel="x (m)", ylabel="depth h (m)",
           title="Non-breaking wave over a flat plane, t = 9000 s")
    ax.legend()
    fig.savefig(fig_dir / "flood_hunter.png", dpi=110, bbox_inches="tight")
    return checks


def _thacker(fig_dir: Path) -> list[Check]:
    # Thacker (1981) planar oscillation, z = D0 x²/L², D0 = 4, L = 10, A = 2, frictionless:
    # eta(x, t) = D0 + 2 A D0/L² (x cos wt − A/2 cos² wt), w = sqrt(2 g D0)/L = 0.885889.
    # At t = T the surface is back at its t = 0 shape (MODELS.md: eta(−5, 0, 5) = 3.04,
    # 3.84, 4.64); at T/2 it is mirrored (4.64, 3.84, 3.04).
    d0, length, amp = 4.0, 10.0, 2.0
    omega = 0.885889
    period = 7.0925
    dx = 0.05
    x = np.arange(-15 + dx / 2, 15, dx)
    z = (d0 * x**2 / length**2)[None, :]

    def eta(t: float) -> np.ndarray:
        c = math.cos(omega * t)
        return d0 + 2 * amp * d0 / length**2 * (x * c - amp / 2 * c * c)

    h = np.maximum(eta(0.0) - z[0], 0.0)[None, :].copy()
    qx, qy = np.zeros((1, x.size + 1)), np.zeros((2, x.size))
    probes = np.array([-5.0, 0.0, 5.0])
    refs = {"T/2": [4.64, 3.84, 3.04], "T": [3.04, 3.84, 4.64]}
    src = "Thacker 1981 (MODELS.md: η(−5, 0, 5) = 3.04, 3.84, 4.64 at t = 0 and T)"
    case = "Thacker frictionless bowl, D0 = 4, L = 10, A = 2, Δx = 0.05 m, θ = 0.8"
    why = ("the inertial scheme drops advection (u²h_x, ~15 % of the pressure gradient "
           "here): 0.25 m = 6 % of D0")
    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.add_subplot()
    ax.plot(x, z[0], color="0.6", lw=1, label="bed")
    checks, t = [], 0.0
    for name, target in (("T/2", period / 2), ("T", period)):
        t = _substeps(z, h, qx, qy, t, target, n=0.0, dx_m=dx, theta=0.8)
        got = np.interp(probes, x, z[0] + h[0])
        for p, r, g in zip(probes, refs[name], got, strict=True):
            checks.append(Check(MODEL, case, f"η at x = {p:g} m, t = {name} (m)", r, src,
                                float(g), 0.25, absolute=True, why=why,
                                figure="flood_thacker.png"))
        wet = h[0] > H_MIN_M
        ax.plot(x[wet], (z[0] + h[0])[wet], "--", label=f"citysim, t = {name}")
        exact = eta(target)
        inside = exact >= z[0]
        ax.plot(x[inside], exact[inside], "k:", lw=1)
        ax.plot(probes, refs[name], "ko", mfc="none")
    ax.plot([], [], "k:", label="Thacker (1981), exact")
    ax.set(xlim=(-12, 12), ylim=(2, 7), xlabel="x (m)", ylabel="surface η (m)",
           title="Oscillation in a parabolic bowl")
    ax.legend(fontsize=8)
    fig.savefig(fig_dir / "flood_thacker.png", dpi=110, bbox_inches="tight")
    return checks


def _ritter() -> list[Check]:
    dx, t_end = 1.0, 10.0
    x = np.arange(-100 + dx / 2, 200, dx)
    z = np.zeros((1, x.size))
    h = np.where(x < 0, 1.0, 0.0)[None, :].copy()
    qx, qy = np.zeros((1, x.size + 1)), np.zeros((2, x.size))
    _substeps(z, h, qx, qy, 0.0, t_end, n=0.0, dx_m=dx)
    front = float(x[np.flatnonzero(h[0] > H_MIN_M).max()] + dx / 2)
    src = "Ritter 1892 (MODELS.md: a stress case, the inertial scheme is not exact)"
    case = "Ritter dry-bed dam break (stress case), h0 = 1 m, t = 10 s, Δx = 1 m"
    why = ("no advection term: the scheme's own dam break is a rarefaction to 0.618 h0 and "
           "a bore at about sqrt(g h*); bounded by the plateau, not exact")
    return [
        Check(MODEL, case, "h at the dam (m)", 0.4444, src,
              float(np.interp(0.0, x, h[0])), 0.3, why=why),
        Check(MODEL, case, "front position (m)", 62.64, src, front, 0.7,
              why="the bore runs at about a third of Ritter's front speed: only its order "
                  "of magnitude and that it is never ahead of the exact front are asked"),
    ]


def _depressions() -> list[Check]:
    # EA 2D benchmark test 2 (Néelz & Pender 2013), by volume: a chain of depressions
    # filled from a slow inflow ends with the upstream ones full to their sill and the
    # rest of the water in the last one; the levels follow from the volumes alone.
    dx, rows, sill = 10.0, 6, 2
    ponds, c = [], 2 + sill
    for width in (10, 10, 25):
        ponds.append((c, c + width))
        c += width + sill
    z = np.full((rows, c), 1.0)
    for a, b in ponds:
        z[:, a:b] = 0.0
    z[:, 0] = 1.5
    h, qx, qy = np.zeros((rows, c)), np.zeros((rows, c + 1)), np.zeros((rows + 1, c))
    pond_m3 = [rows * (b - a) * dx * dx for a, b in ponds]
    inflow_m3 = pond_m3[0] + pond_m3[1] + 0.4 * pond_m3[2]
    rate = 2.0
    cells = np.array([r * c for r in range(rows)])
    series_t = np.array([[0.0, inflow_m3 / rate]] * rows)
    series_q = np.array([[rate / rows, 0.0]] * rows)
    for t0 in range(0, 8 * 3600, 3600):
        k.run_flood(z, h, qx, qy, 0.03, dx, float(t0), t0 + 3600.0, 0.7, H_MIN_M, False,
                    NO_T, NO_T, 0.0, cells, series_t, series_q)
    level = z + h
    src = "EA 2D benchmark test 2 (Néelz & Pender 2013), end state by volume"
    case = "Filling of depressions: 3 ponds 1 m deep, inflow of 2 + 0.4 pond volumes, 8 h"
    why = "films over the sills drain ever more slowly (h^(5/3)): 1 cm after 8 h"
    return [Check(MODEL, case, f"level of pond {i + 1} (m)", ref, src,
                  float(level[:, a:b].mean()), 0.01, absolute=True, why=why)
            for i, ((a, b), ref) in enumerate(zip(ponds, (1.0, 1.0, 0.4), strict=True))]


def checks(fig_dir: Path) -> list[Check]:
    """Run the flood reference cases; draw the Hunter and Thacker figures into ``fig_dir``."""
    return [*_single_face(), *_hunter(fig_dir), *_thacker(fig_dir), *_ritter(),
            *_depressions()]
