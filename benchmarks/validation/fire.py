"""Urban fire: Hamada's spread speeds and site percolation, through the fire model.

The spread speeds run through :class:`citysim.hazards.fire.FireSpread` (the
core the fire hazard builds from a scenario: two buildings a gap apart, the
delay it gives the pair turned into a speed) where the case is one
building's structure; the district case with a fire-resistant ratio
``f = 0.6`` (not a single building's structure) goes through
:func:`citysim.hazards.fire.hamada_minutes`, the formula FireSpread calls.
The references are MODELS.md's published speeds, and the spanning
probabilities of square-lattice site percolation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from benchmarks.validation.core import Check
from citysim.hazards.fire import FireSpread, hamada_minutes
from citysim.world.buildings import WOOD

MODEL = "Urban fire"
HAMADA = "Hamada 1951 as in Himoto & Tanaka 2008 (MODELS.md, Urban fire)"
BURN_S = (3600.0, 7200.0)
"""Burning times after full involvement (s): irrelevant to the pair delay."""


def pair_speed_m_min(side_m: float, gap_m: float, wind_mps: float, angle_deg: float) -> float:
    """Spread speed from one wood building to another ``angle_deg`` off downwind (m/min).

    Two buildings of side ``side_m`` a gap ``gap_m`` apart, the wind blowing
    from the first toward the second at ``angle_deg = 0``; the delay the
    fire model gives the pair is turned into the speed ``(a + d) / tau``.
    """
    pitch = side_m + gap_m
    theta = np.radians(angle_deg)
    spread = FireSpread(np.array([0.0, pitch * np.cos(theta)]),
                        np.array([0.0, pitch * np.sin(theta)]), np.full(2, side_m),
                        np.full(2, WOOD, np.int8), wind_mps=wind_mps,
                        wind_from_deg=270.0,  # from the west: blowing toward +x
                        reach_m=pitch, burn_s=BURN_S)
    ptr, nbr, src, tau_s = spread.graph
    (pair,) = np.flatnonzero((src == 0) & (nbr == 1))
    return 60.0 * pitch / float(tau_s[pair])


def _hamada(fig_dir: Path) -> list[Check]:
    down, side, up = hamada_minutes(20.0, 5.0, 1.0, 0.6)
    case = "a = 20 m, d = 5 m, V = 1 m/s, f = 0.6 (district formula)"
    why = "MODELS.md's 4-5 significant digits"
    checks = [Check(MODEL, case, f"{name} speed (m/min)", ref, HAMADA, 25.0 / float(t), 2e-4,
                    why=why)
              for name, ref, t in (("downwind", 2.4380, down), ("sideways", 0.9343, side),
                                   ("upwind", 0.9275, up))]
    (calm, _, _) = hamada_minutes(10.0, 3.0, 0.0, 0.0)
    checks.append(Check(MODEL, "a = 10 m, d = 3 m, f = 0, V = 0 (formula; in calm air the "
                        "model spreads at the sideways speed every way)",
                        "downwind speed (m/min)", 2.5292, HAMADA, 13.0 / float(calm), 2e-4,
                        why=why))
    for v, ref in ((5.0, 4.4198), (10.0, 7.2822)):
        checks.append(Check(MODEL, f"a = 10 m, d = 3 m, f = 0 (wood), V = {v:g} m/s: two "
                            "buildings in FireSpread", "downwind speed (m/min)", ref, HAMADA,
                            pair_speed_m_min(10.0, 3.0, v, 0.0), 2e-4, why=why,
                            figure="fire_hamada.png"))
    winds = np.linspace(0.5, 12.0, 24)
    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.add_subplot()
    for angle, label in ((0, "downwind"), (90, "sideways"), (180, "upwind")):
        ax.plot(winds, [pair_speed_m_min(10.0, 3.0, v, angle) for v in winds],
                label=f"citysim FireSpread, {label}")
    ax.plot([5.0, 10.0], [4.4198, 7.2822], "ko", mfc="none", label="MODELS.md, downwind")
    ax.set(xlabel="wind speed V (m/s)", ylabel="spread speed (m/min)",
           title="Hamada spread between wood buildings, a = 10 m, d = 3 m")
    ax.legend(fontsize=8)
    fig.savefig(fig_dir / "fire_hamada.png", dpi=110, bbox_inches="tight")
    return checks


def spans(p: float, size: int, rng: np.random.Generator) -> bool:
    """Whether a fire lit along the west edge of a random ``size``-square lattice reaches the east.

    Each site holds a wood building with probability ``p``; buildings 10 m
    wide, 5 m apart, reach 6 m: the four nearest neighbours are within
    reach, the diagonal ones (7.1 m) are not. Buildings burn long enough to
    reach every neighbour: the burned set is the cluster of the lit edge.
    """
    col, row = np.meshgrid(np.arange(size), np.arange(size))
    built = rng.random((size, size)) < p
    x, y = 15.0 * col[built], 15.0 * row[built]
    n = int(built.sum())
    spread = FireSpread(x.astype(float), y.astype(float), np.full(n, 10.0),
                        np.full(n, WOOD, np.int8), wind_mps=0.0, wind_from_deg=0.0,
                        reach_m=6.0, burn_s=(1e12, 1e12))
    west = np.flatnonzero(col[built] == 0)
    spread.schedule(np.zeros(west.size), west)
    spread.advance(-1.0, 1e15)
    return bool(np.isfinite(spread.t_ign_s[col[built] == size - 1]).any())


def _percolation() -> list[Check]:
    size = 256
    rng = np.random.default_rng(20261207)
    src = "square-lattice site percolation, p_c = 0.592746 (MODELS.md, Urban fire)"
    checks = []
    for p, ref, trials in ((0.58, 0.05, 40), (0.592746, 0.5, 80), (0.60, 0.82, 40)):
        share = float(np.mean([spans(p, size, rng) for _ in range(trials)]))
        se = float(np.sqrt(ref * (1 - ref) / trials))
        checks.append(Check(MODEL, f"Percolation, L = {size}, fire lit along one edge, "
                            f"{trials} lattices", f"spanning probability at p = {p:g}", ref,
                            src, share, round(3 * se + 0.03, 2), absolute=True,
                            why=f"3 binomial standard errors of {trials} lattices "
                                f"({se:.3f}) + 0.03 for MODELS.md's 'about'"))
    return checks


def checks(fig_dir: Path) -> list[Check]:
    """Run the fire reference cases; draw the spread-speed figure into ``fig_dir``."""
    return [*_hamada(fig_dir), *_percolation()]
