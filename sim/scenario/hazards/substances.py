"""Built-in toxic substances: molar mass, AEGL threat levels, lethality probits, sources.

Each record gives the Acute Exposure Guideline Levels (ppm) for 10, 30 and
60 min exposures and the lethality probit ``Y = a + b ln(C^n t)`` (C in ppm,
t in min, ``P = Phi(Y - 5)``), each with where it comes from:

- **AEGL**: US EPA / National Research Council, *Acute Exposure Guideline
  Levels for Selected Airborne Chemicals* (final values): chlorine vol. 4
  (2004), ammonia vol. 6 (2008), hydrogen sulphide vol. 9 (2010), sulphur
  dioxide vol. 8 (2010), hydrogen chloride and hydrogen fluoride vol. 4
  (2004). Chlorine and ammonia are also tabulated in MODELS.md (ammonia
  marked "check" there; the values agree with the NRC volume).
- **Probits**: CCPS (2000), *Guidelines for Chemical Process Quantitative
  Risk Analysis*, 2nd ed., table of toxic-gas probit constants (ppm, min),
  also reproduced in Crowl & Louvar, *Chemical Process Safety*. Chlorine and
  ammonia are the MODELS.md values (chlorine: 100 ppm for 30 min gives
  P = 0.046, 400 ppm 0.806; ammonia: 10,000 ppm for 30 min gives 0.298).
  MODELS.md marks every probit constant "check": they are literature fits
  to animal data with wide uncertainty; the TNO Green Book chlorine probit
  (mg/m³: a = -6.35, b = 0.5, n = 2.75) is an alternative a scenario can
  give as a custom substance.

- **Release density** (:attr:`SubstanceRecord.density_kg_m3`, for the
  dense-gas criterion of :mod:`citysim.hazards.dense_gas`): the saturated
  vapour at the normal boiling point, as the ideal gas ``p MW / (R T_b)`` at
  1 atm (:func:`vapour_density_kg_m3`), with ``T_b`` from the NIST Chemistry
  WebBook (phase-change data; CRC Handbook values agree to 0.1 K): chlorine
  239.11 K (3.61 kg/m³; the measured saturated vapour, 3.57 kg/m³, is within
  1.5 %), ammonia 239.82 K (0.86 kg/m³: lighter than air as a vapour; a
  flashing ammonia release is a cold aerosol, which the table does not
  model), hydrogen sulphide 212.8 K, sulphur dioxide 263.13 K, hydrogen
  chloride 188.15 K, hydrogen fluoride 292.67 K (as the monomer; real HF
  vapour associates and is denser).

Concentrations convert as ``ppm = mg/m³ x 24.45 / MW``: the molar volume of
an ideal gas at 25 °C and 1 atm is 24.45 L/mol (:data:`MOLAR_VOLUME_L`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

__all__ = [
    "AEGL_MINUTES",
    "BUILT_IN",
    "MOLAR_VOLUME_L",
    "SubstanceRecord",
    "canonical_name",
    "mg_m3_to_ppm",
    "ppm_to_mg_m3",
    "vapour_density_kg_m3",
]

X = TypeVar("X", float, np.ndarray)
"""A concentration: one value or an array of them."""

MOLAR_VOLUME_L = 24.45
"""Molar volume of an ideal gas at 25 °C and 1 atm (L/mol): ppm = mg/m³ x 24.45 / MW."""
GAS_CONSTANT_J_MOL_K = 8.314462618
"""Molar gas constant (J/(mol K))."""
ATMOSPHERE_PA = 101_325.0
"""Standard atmosphere (Pa)."""
AEGL_MINUTES: tuple[int, ...] = (10, 30, 60)
"""AEGL exposure periods (min) the built-in table carries."""

_AEGL_SOURCE = ("US EPA / National Research Council, Acute Exposure Guideline Levels for "
                "Selected Airborne Chemicals, vol. {vol} ({year}), final AEGLs")
_CCPS = ("CCPS (2000) Guidelines for Chemical Process Quantitative Risk Analysis, 2nd ed., "
         "toxic probit constants (ppm, min)")
_DENSITY = ("release density: ideal-gas vapour at the normal boiling point "
            "(NIST Chemistry WebBook)")


@dataclass(frozen=True)
class SubstanceRecord:
    """One built-in substance.

    Attributes
    ----------
    name
        Canonical name (``hydrogen_sulfide``).
    formula
        Chemical formula, also accepted as a name (``H2S``).
    mw_g_mol
        Molar mass (g/mol).
    aegl_ppm
        AEGL-1, AEGL-2, AEGL-3 (ppm) by exposure period in minutes (10, 30, 60);
        ``None`` where no AEGL-1 is set.
    probit
        Lethality probit ``(a, b, n)``, C in ppm and t in min.
    boiling_point_k
        Normal boiling point (K).
    source
        Where the AEGLs and the probit come from.
    """

    name: str
    formula: str
    mw_g_mol: float
    aegl_ppm: dict[int, tuple[float | None, float, float]]
    probit: tuple[float, float, float]
    boiling_point_k: float
    source: str

    @property
    def density_kg_m3(self) -> float:
        """Release density (kg/m³): the vapour at the normal boiling point."""
        return vapour_density_kg_m3(self.mw_g_mol, self.boiling_point_k)


def _record(name: str, formula: str, mw: float, aegl: dict, probit: tuple, vol: int,
            year: int, boiling_point_k: float) -> SubstanceRecord:
    return SubstanceRecord(name, formula, mw, aegl, probit, boiling_point_k,
                           f"AEGL: {_AEGL_SOURCE.format(vol=vol, year=year)}; probit: {_CCPS}; "
                           f"{_DENSITY}")


BUILT_IN: dict[str, SubstanceRecord] = {r.name: r for r in (
    _record("chlorine", "Cl2", 70.906,
            {10: (0.50, 2.8, 50.0), 30: (0.50, 2.8, 28.0), 60: (0.50, 2.0, 20.0)},
            (-8.29, 0.92, 2.0), 4, 2004, 239.11),
    _record("ammonia", "NH3", 17.031,
            {10: (30.0, 220.0, 2700.0), 30: (30.0, 220.0, 1600.0), 60: (30.0, 160.0, 1100.0)},
            (-35.9, 1.85, 2.0), 6, 2008, 239.82),
    _record("hydrogen_sulfide", "H2S", 34.081,
            {10: (0.75, 41.0, 76.0), 30: (0.60, 32.0, 59.0), 60: (0.51, 27.0, 50.0)},
            (-31.42, 3.008, 1.43), 9, 2010, 212.8),
    _record("sulfur_dioxide", "SO2", 64.066,
            {10: (0.20, 0.75, 42.0), 30: (0.20, 0.75, 32.0), 60: (0.20, 0.75, 27.0)},
            (-15.67, 2.10, 1.0), 8, 2010, 263.13),
    _record("hydrogen_chloride", "HCl", 36.461,
            {10: (1.8, 100.0, 620.0), 30: (1.8, 43.0, 210.0), 60: (1.8, 22.0, 100.0)},
            (-16.85, 2.00, 1.0), 4, 2004, 188.15),
    _record("hydrogen_fluoride", "HF", 20.006,
            {10: (1.0, 95.0, 170.0), 30: (1.0, 34.0, 62.0), 60: (1.0, 24.0, 44.0)},
            (-35.87, 3.354, 1.0), 4, 2004, 292.67),
)}
"""Built-in substances by canonical name."""

_ALIASES: dict[str, str] = {
    **{r.formula.lower(): r.name for r in BUILT_IN.values()},
    "hydrogen_sulphide": "hydrogen_sulfide",
    "sulphur_dioxide": "sulfur_dioxide",
}


def canonical_name(name: str) -> str | None:
    """The built-in substance a name means, or ``None``.

    Case, spaces and hyphens do not matter, nor British spelling or the
    formula: ``"Hydrogen sulphide"``, ``"hydrogen-sulfide"`` and ``"H2S"`` all
    mean ``hydrogen_sulfide``.
    """
    key = re.sub(r"[\s\-]+", "_", name.strip().lower())
    key = _ALIASES.get(key, key)
    return key if key in BUILT_IN else None


def ppm_to_mg_m3(ppm: X, mw_g_mol: float) -> X:
    """Convert ppm (by volume) to mg/m³ at 25 °C and 1 atm: ``ppm x MW / 24.45``."""
    return ppm * mw_g_mol / MOLAR_VOLUME_L


def mg_m3_to_ppm(mg_m3: X, mw_g_mol: float) -> X:
    """Convert mg/m³ to ppm (by volume) at 25 °C and 1 atm: ``mg/m³ x 24.45 / MW``."""
    return mg_m3 * MOLAR_VOLUME_L / mw_g_mol


def vapour_density_kg_m3(mw_g_mol: float, temperature_k: float,
                         pressure_pa: float = ATMOSPHERE_PA) -> float:
    """Density (kg/m³) of the ideal gas: ``p MW / (R T)``."""
    return pressure_pa * mw_g_mol * 1e-3 / (GAS_CONSTANT_J_MOL_K * temperature_k)
