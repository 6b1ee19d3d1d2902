"""City safety risk (QRA): the single-source reference case of MODELS.md, through ``citysim risk``.

One continuous release (Q = 10 kg/s of chlorine for 30 min, ground level),
one weather class all year (Briggs rural D, u = 5 m/s), a uniform wind rose
of K = 72 sectors, frequency f = 1e-5 /yr: the individual risk at a receptor
is ``f/K sum_k P_death(plume of direction k at the receptor)`` with the CCPS
chlorine probit (MODELS.md). :func:`hand_individual_risk` writes the plume
formula and the probit out by hand; the model's value comes from
:func:`citysim.app.risk.run_risk` on a risk file (``receptors.csv``). The
model's Britter-McQuaid switch would call this chlorine release dense; the
reference case is the passive plume, so the gas is given a density below
the air's.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import pandas as pd
import yaml

from benchmarks.validation.core import Check

MODEL = "City safety risk (QRA)"
SOURCE = "MODELS.md, City safety risk (QRA), reference case (Briggs rural D, CCPS probit)"
Q_KG_S, U_MPS, F_PER_YEAR, SECTORS = 10.0, 5.0, 1e-5, 72
RECEPTORS = ((300.0, 2.5), (500.0, 0.0), (500.0, 2.5), (700.0, 1.0), (400.0, 47.0))
"""(distance m, bearing from +x in degrees) of the receptors."""
PASSIVE_CHLORINE = {"name": "chlorine (passive)", "mw_g_mol": 70.906,
                    "aegl_ppm": {"aegl1": 0.5, "aegl2": 2.0, "aegl3": 20.0},
                    "probit": {"a": -8.29, "b": 0.92, "n": 2.0}, "density_kg_m3": 1.0}
CITY = {"name": "qra-town", "run": {"duration": "10min", "dt": "5s", "seed": 1},
        "city": {"network": {"synthetic": {"kind": "grid", "rows": 11, "cols": 11,
                                           "block_m": 100}},
                 "population": {"residents": 3000, "persons_per_agent": 1}}}


def hand_individual_risk(rx: float, ry: float, sectors: int = SECTORS, q_kg_s: float = Q_KG_S,
                         u_mps: float = U_MPS, f_per_year: float = F_PER_YEAR) -> float:
    """``f/K sum_k P_death`` at ``(rx, ry)`` (m, the source at the origin), by hand.

    Wind from ``k 360/K`` degrees (clockwise from north); steady Gaussian
    plume, ground source and receptor, Briggs rural D sigmas; 30 min at the
    steady concentration; CCPS chlorine probit in ppm and min.
    """
    total = 0.0
    for k in range(sectors):
        theta = math.radians(k * 360.0 / sectors)
        ex, ey = -math.sin(theta), -math.cos(theta)  # where the wind blows to
        xd, yc = rx * ex + ry * ey, -rx * ey + ry * ex
        if xd <= 0:
            continue
        sy = 0.08 * xd * (1 + 0.0001 * xd) ** -0.5
        sz = 0.06 * xd * (1 + 0.0015 * xd) ** -0.5
        c_mg_m3 = (q_kg_s * 1e6 / (2 * math.pi * u_mps * sy * sz)
                   * math.exp(-yc ** 2 / (2 * sy ** 2)) * 2.0)
        ppm = c_mg_m3 * 24.45 / 70.906
        if ppm < 1e-100:  # no gas (and ppm² would underflow)
            continue
        y = -8.29 + 0.92 * math.log(ppm ** 2 * 30.0)
        total += 0.5 * math.erfc(-(y - 5.0) / math.sqrt(2.0))
    return f_per_year / sectors * total


def risk_file(folder: Path, sources: list[dict], receptors: list[dict], *,
              sectors: int = SECTORS, name: str = "ref") -> Path:
    """Write ``city.yaml`` and a risk file of the reference set-up into ``folder``."""
    (folder / "city.yaml").write_text(yaml.safe_dump(CITY))
    risk = {"kind": "risk", "base": "city.yaml", "mode": "static", "sources": sources,
            "weather": {"sectors": sectors, "terrain": "rural",
                        "classes": [{"stability": "D", "wind_speed_mps": U_MPS,
                                     "probability": 1.0}]},
            "receptors": receptors, "cell_m": 50.0, "out": f"results/{name}"}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(risk, sort_keys=False))
    return path


def source(sid: str, x: float, frequency: float = F_PER_YEAR) -> dict:
    """The reference release from ``(x, 0)``."""
    return {"id": sid, "location": {"x": x, "y": 0.0}, "substance": PASSIVE_CHLORINE,
            "inventory_kg": 50_000.0,
            "releases": [{"id": "hole", "rate_kg_s": Q_KG_S, "duration": "30min",
                          "frequency_per_year": frequency}]}


def checks(fig_dir: Path) -> list[Check]:
    """Individual risk at the receptors against the hand computation."""
    from citysim.app.risk import run_risk

    receptors = [{"id": f"R{i}", "location": {"x": r * math.cos(math.radians(a)),
                                              "y": r * math.sin(math.radians(a))}}
                 for i, (r, a) in enumerate(RECEPTORS)]
    with tempfile.TemporaryDirectory() as tmp:
        out = run_risk(risk_file(Path(tmp), [source("P1", 0.0)], receptors)).out_dir
        table = pd.read_csv(out / "receptors.csv")
    return [Check(model=MODEL, case=f"one source, {SECTORS} sectors, Q = 10 kg/s chlorine, "
                                    "D 5 m/s, 30 min", quantity=f"IR at {r:g} m, "
                                    f"{a:g}° off the x axis (per year)",
                  reference=hand_individual_risk(row.x, row.y), source=SOURCE,
                  value=float(row.individual_risk_per_year), tolerance=0.05,
                  why="the model integrates the plume's front and tail (Palazzi); the hand "
                      "case takes 30 min at the steady concentration (~1 % in the load)")
            for (r, a), row in zip(RECEPTORS, table.itertuples(), strict=True)]
