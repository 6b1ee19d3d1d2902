"""Toxic gas release: Gaussian plume and puffs, threat zones, exposure indoors and out.

The YAML schema of ``type: chemical_leak`` (:mod:`citysim.scenario.hazards.chemical`)
and :class:`ChemicalLeakHazard`.
The gas is carried by a steady wind (``from_deg``: where it blows FROM, so
270 carries it east) and spreads with the dispersion coefficients of its
Pasquill-Turner stability class A-F (MODELS.md); kernels in
:mod:`citysim.hazards._plume_kernels`.

- **Dispersion coefficients.** A plume takes ``sigma: briggs`` (default):
  Briggs (1973) rural or urban (``weather.terrain``, :data:`BRIGGS`), or
  ``sigma: pasquill_gifford``: the Pasquill-Gifford curves as ISC3 fits them,
  rural only (:data:`ISC3_RURAL`; US EPA, *User's Guide for the Industrial
  Source Complex (ISC3) Dispersion Models*, vol. II, EPA-454/B-95-003b, 1995,
  tables 1-1 and 1-2). Briggs is the default because it is the one scheme
  with an urban form (ISC3 itself switches to Briggs urban in urban mode)
  and the shipped scenarios are urban; ``pasquill_gifford`` with ``terrain:
  urban`` is rejected at load. Briggs rural is a fit to the same
  Pasquill-Gifford curves. **Puffs** (an instantaneous release, and a short
  one drawn as puffs) always take the puff coefficients
  ``sigma_x = sigma_y = a x^b``, ``sigma_z = c x^d`` (:data:`PUFF`; CCPS 1999
  *Guidelines for Consequence Analysis of Chemical Releases* / Crowl & Louvar
  *Chemical Process Safety*, after Slade 1968), whatever ``sigma`` and
  ``terrain`` say (the table has no urban form): an instantaneous puff grows
  more slowly than a plume averaged over minutes.
- **Dense gas.** Every release is judged by the Britter-McQuaid (1988)
  criterion with its substance's release density
  (:mod:`citysim.hazards.dense_gas`). A dense release follows the workbook's
  centreline concentration up to the end of its correlations (the distance
  to ``C/C0`` = 0.002, continuous, or 0.001, instantaneous), then the
  Gaussian model from a virtual source that matches it there: the sigmas are
  those of an effective distance ``xi(x)`` at which the Gaussian centreline
  peak equals the workbook's (``x + x_v`` beyond the dense phase). The
  cross-section keeps the Gaussian shape (the workbook gives no width we
  use); the front still moves at the wind speed.

- **Release.** A continuous release (``rate_kg_s``, ``start``,
  ``duration``) is a Gaussian plume whose front and tail move at the wind
  speed, however short; an instantaneous one (``mass_kg``) is a Gaussian
  puff. ``dispersion: puffs`` draws a finite continuous release as puffs
  released every ``5 m / u`` s (:data:`PUFF_SPACING_M`), with the puff
  coefficients: for a release short against the travel time (a release
  lasting minutes meanders as a plume does, so ``auto`` draws it as one). The ground reflects;
  a ``mixing_height_m`` reflects too (image sources). The wind at release
  height follows the power law from 10 m (exponents of MODELS.md), not below
  10 m (as ISC3 does).
- **Concentration.** In mg/m³ at ground level; ppm = mg/m³ x 24.45 / MW
  (25 °C, 1 atm; :mod:`citysim.scenario.hazards.substances`). Capped at the pure gas.
- **Threat zones.** Where the highest concentration over time reaches the
  AEGL-1, -2 or -3 of an exposure period: 60 min by default, as ALOHA draws
  them (MODELS.md); ``zone_period: release`` takes the period matching the
  release's duration instead (10, 30 or 60 min; instantaneous: 10 min; no
  end: 60 min). The peak is analytic: the steady plume times the
  along-wind factor ``erf(u D / (2 sqrt(2) sigma_x))`` of a release of
  duration D, or a single puff's peak. Zone areas, the farthest distance
  (the protection distance) and the population living inside are KPIs; the
  zones are polygons for the GIS export and a map.
- **Exposure.** Each resident breathes where it is: outdoors on foot the
  outdoor air; in a car, at home, sheltering or in a public shelter the air
  of a single-zone enclosure, ``dCi/dt = n (Co - Ci)``, integrated exactly
  over each step for a piecewise-constant outdoor concentration (sub-steps
  in which the gas moves at most ``max(sigma_y, 5 m)`` at the resident's
  distance); sheltering residents air out at
  ``airing_per_h`` once the outdoor air is cleaner than the indoor. The
  toxic load ``integral C^n dt`` feeds the substance's lethality probit
  ``Y = a + b ln(load)`` (t in min, ``P = Phi(Y - 5)``): each agent draws
  one uniform ``U`` at the start (the hazard's own random stream) and dies
  when ``P >= U``, i.e. when its load reaches
  ``exp((5 + Phi^-1(U) - a) / b)`` (monotone in dose). A resident is
  injured when its load reaches the load of breathing AEGL-2 for the threat
  zones' exposure period T (``zone_period``): ``AEGL2_T^n T``, with the same
  exponent n (n = 1 for a substance without a probit, which then kills
  nobody).
- **Warnings and action.** Residents living in the AEGL-2 zone are warned
  when the plume front reaches their node. With ``action: auto`` residents
  in the AEGL-2 zone shelter in place, unless the release lasts longer than
  an hour (:data:`SHELTER_MAX_EXPOSURE_S`: a sealed home then fills up) and
  they can walk out of the zone crosswind before the plume reaches them
  (:func:`auto_action`); residents in the AEGL-1 zone outside it shelter;
  elsewhere the leak has no opinion.
- **Response.** The leak raises one ``hazmat_leak`` incident at the source
  when it starts (a hazmat unit if the city has any, else an engine); units
  stay until a continuous release ends. The gas neither slows nor closes
  roads (closing them would stop whoever is on them inside the plume), so
  routes to shelters do not avoid it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from citysim.errors import ScenarioError
from citysim.hazards.base import FieldSpec, Frame, Harm, Hazard, IncidentRequest, People, Setting
from citysim.hazards.dense_gas import DenseGas, assess
from citysim.hazards.registry import register_hazard_model
from citysim.scenario.hazards.chemical import (
    SUBSTANCES,
    AeglPpm,
    AirExchange,
    ChemicalLeakConfig,
    Probit,
    Release,
    Source,
    Substance,
    Weather,
)
from citysim.scenario.hazards.substances import mg_m3_to_ppm, ppm_to_mg_m3
from citysim.world.sites import UNIT_TYPES, Locator

if TYPE_CHECKING:
    from citysim.world.builder import World

__all__ = [
    "SUBSTANCES",
    "AeglPpm",
    "AirExchange",
    "ChemicalLeakConfig",
    "ChemicalLeakHazard",
    "Dispersion",
    "Probit",
    "Release",
    "Source",
    "Substance",
    "ThreatZone",
    "Weather",
    "auto_action",
    "check_source_on_map",
    "sigma_coefficients",
]

SOURCE_MARGIN_M = 10_000.0
"""How far outside the road network's extent a chemical source may lie (m).

A source may lie off the road network (a plant out of town whose plume
reaches it), unlike a shelter; one farther than this outside the network's
bounding box is off the map (a typing error in its coordinates).
"""
STABILITY_CLASSES = "ABCDEF"
BRIGGS: dict[str, tuple[tuple[float, ...], ...]] = {
    # (cy, dy, py, cz, dz, pz): sigma = c x (1 + d x)^p, classes A..F (MODELS.md)
    "rural": (
        (0.22, 1e-4, -0.5, 0.20, 0.0, 0.0),
        (0.16, 1e-4, -0.5, 0.12, 0.0, 0.0),
        (0.11, 1e-4, -0.5, 0.08, 2e-4, -0.5),
        (0.08, 1e-4, -0.5, 0.06, 1.5e-3, -0.5),
        (0.06, 1e-4, -0.5, 0.03, 3e-4, -1.0),
        (0.04, 1e-4, -0.5, 0.016, 3e-4, -1.0),
    ),
    "urban": (
        (0.32, 4e-4, -0.5, 0.24, 1e-3, 0.5),
        (0.32, 4e-4, -0.5, 0.24, 1e-3, 0.5),
        (0.22, 4e-4, -0.5, 0.20, 0.0, 0.0),
        (0.16, 4e-4, -0.5, 0.14, 3e-4, -0.5),
        (0.11, 4e-4, -0.5, 0.08, 1.5e-3, -0.5),
        (0.11, 4e-4, -0.5, 0.08, 1.5e-3, -0.5),
    ),
}
"""Briggs (1973) dispersion coefficients by terrain and class (MODELS.md table)."""
PUFF: tuple[tuple[float, float, float, float], ...] = (
    # (ay, by, az, bz): sigma_x = sigma_y = ay x^by, sigma_z = az x^bz (x in m), A..F
    (0.18, 0.92, 0.60, 0.75),
    (0.14, 0.92, 0.53, 0.73),
    (0.10, 0.92, 0.34, 0.71),
    (0.06, 0.92, 0.15, 0.70),
    (0.04, 0.92, 0.10, 0.65),
    (0.02, 0.89, 0.05, 0.61),
)
"""Puff dispersion coefficients A-F (MODELS.md; CCPS 1999 and Crowl & Louvar after Slade
1968). Rows A, C and E, marked "check" in MODELS.md, agree with the same table in the open
GasDispersion.jl (Farrell, ``equation_sets/ccps.jl``, citing CCPS 1999), as do B, D and F."""
ISC3_RURAL: tuple[tuple[tuple[float, float], tuple[tuple[float, float, float], ...]], ...] = (
    # ((c, d) of sigma_y), ((upper end of x in km, a, b) of sigma_z = a x_km^b), A..F
    ((24.1670, 2.5334), ((0.10, 122.800, 0.94470), (0.15, 158.080, 1.05420),
                         (0.20, 170.220, 1.09320), (0.25, 179.520, 1.12620),
                         (0.30, 217.410, 1.26440), (0.40, 258.890, 1.40940),
                         (0.50, 346.750, 1.72830), (math.inf, 453.850, 2.11660))),
    ((18.3330, 1.8096), ((0.20, 90.673, 0.93198), (0.40, 98.483, 0.98332),
                         (math.inf, 109.300, 1.09710))),
    ((12.5000, 1.0857), ((math.inf, 61.141, 0.91465),)),
    ((8.3330, 0.72382), ((0.30, 34.459, 0.86974), (1.00, 32.093, 0.81066),
                         (3.00, 32.093, 0.64403), (10.00, 33.504, 0.60486),
                         (30.00, 36.650, 0.56589), (math.inf, 44.053, 0.51179))),
    ((6.2500, 0.54287), ((0.10, 24.260, 0.83660), (0.30, 23.331, 0.81956),
                         (1.00, 21.628, 0.75660), (2.00, 21.628, 0.63077),
                         (4.00, 22.534, 0.57154), (10.00, 24.703, 0.50527),
                         (20.00, 26.970, 0.46713), (40.00, 35.420, 0.37615),
                         (math.inf, 47.618, 0.29592))),
    ((4.1667, 0.36191), ((0.20, 15.209, 0.81558), (0.70, 14.457, 0.78407),
                         (1.00, 13.953, 0.68465), (2.00, 13.953, 0.63227),
                         (3.00, 14.823, 0.54503), (7.00, 16.187, 0.46490),
                         (15.00, 17.836, 0.41507), (30.00, 22.651, 0.32681),
                         (60.00, 27.074, 0.27436), (math.inf, 34.219, 0.21716))),
)
"""ISC3 rural Pasquill-Gifford curves A-F: ``sigma_y = 465.11628 x tan(TH)``, ``TH =
0.017453293 (c - d ln x)``, ``sigma_z = a x^b`` (at most 5000 m), x in km (US EPA ISC3 User's
Guide vol. II, EPA-454/B-95-003b, 1995, tables 1-1 and 1-2; class D is also in MODELS.md; read
as tabulated in GasDispersion.jl, ``equation_sets/isc3.jl``, which cites the same tables)."""
WIND_EXPONENT: dict[str, tuple[float, ...]] = {
    "rural": (0.07, 0.07, 0.10, 0.15, 0.35, 0.55),
    "urban": (0.15, 0.15, 0.20, 0.25, 0.30, 0.30),
}
"""Wind-profile power-law exponents A-F (MODELS.md; urban: ISC3)."""
ANEMOMETER_HEIGHT_M = 10.0
"""Height of ``wind_speed_mps`` (m); the wind is not reduced below it (ISC3)."""
RECEPTOR_HEIGHT_M = 0.0
"""Height at which people breathe in the model (ground level, as ALOHA's footprints)."""
X_MIN_M = 1.0
"""Shortest downwind distance at which sigmas are evaluated (m)."""
X_MAX_M = 100_000.0
"""Farthest downwind distance of the threat-zone search (m)."""
FOOTPRINT_POINTS = 3000
"""Log-spaced downwind distances of the threat-zone computation."""
NEGLIGIBLE_FRACTION = 1e-2
"""Below this share of the lowest threat level a concentration is negligible: agents
outside the region it bounds are not evaluated."""
PUFF_SPACING_M = 5.0
"""Along-wind distance between the puffs of a finite release (m)."""
MAX_PUFFS = 10_000
"""Most puffs of one release (the spacing widens beyond)."""
SUBSTEP_TRAVEL_M = 5.0
"""Exposure sub-steps are short enough that the gas moves at most ``max(sigma_y, 5 m)``
at an agent's distance in one."""
SHELTER_MAX_EXPOSURE_S = 3600.0
"""``action: auto`` considers evacuation only for releases longer than this (s)."""
EVACUATION_MARGIN_S = 300.0
"""Time to leave the building and reach the street, added to the walk out of a zone (s)."""
WALK_SPEED_MPS = 1.34
"""Walking speed for the time to leave a zone crosswind (Weidmann 1993)."""
FRAME_CELLS = 160
"""Cells of an animation frame along the longer side of the city."""
EVACUATE, SHELTER = 1, 2
EXAMPLE = {"type": "chemical_leak", "source": {"location": {"x": 200, "y": 500}, "height_m": 2},
           "substance": "chlorine", "release": {"rate_kg_s": 2, "start": 60, "duration": "10min"},
           "weather": {"wind_speed_mps": 3, "from_deg": 270, "stability": "D"}}
"""A minimal block for the hazard contract test."""


# --- the model -----------------------------------------------------------------


def wind_at_height(speed_10m_mps: float, height_m: float, stability: str, terrain: str) -> float:
    """Wind at the release height from the 10 m wind (power law, not reduced below 10 m).

    ``u(H) = u10 (max(H, 10) / 10)^p`` with the exponent ``p`` of the class
    and terrain (MODELS.md; urban: ISC3).
    """
    p = WIND_EXPONENT[terrain][STABILITY_CLASSES.index(stability)]
    return speed_10m_mps * (max(height_m, ANEMOMETER_HEIGHT_M) / ANEMOMETER_HEIGHT_M) ** p


def sigma_coefficients(kind: str, terrain: str, stability: str) -> np.ndarray:
    """The kernels' packed dispersion coefficients (``_plume_kernels.pack_coef``).

    ``kind``: ``briggs`` (:data:`BRIGGS` of ``terrain``), ``pasquill_gifford``
    (:data:`ISC3_RURAL`) or ``puff`` (:data:`PUFF`); ``stability``: A-F.
    """
    from citysim.hazards import _plume_kernels as k

    i = STABILITY_CLASSES.index(stability)
    if kind == "puff":
        return k.pack_coef(k.SIGMA_POWER, PUFF[i])
    if kind == "pasquill_gifford":
        return k.pack_coef(k.SIGMA_ISC3, *ISC3_RURAL[i])
    return k.pack_coef(k.SIGMA_BRIGGS, BRIGGS[terrain][i])


def downwind_unit(from_deg: float) -> tuple[float, float]:
    """Unit vector (east, north) the wind blows TO, from where it blows FROM (deg)."""
    theta = math.radians(from_deg)
    return -math.sin(theta), -math.cos(theta)


def _release_amount(rel: Release) -> float:
    """Rate (kg/s) of a continuous release, mass (kg) of an instantaneous one."""
    amount = rel.mass_kg if rel.rate_kg_s is None else rel.rate_kg_s
    assert amount is not None, "a release has rate_kg_s or mass_kg (Release._check_keys)"
    return amount


@dataclass(frozen=True)
class Dispersion:
    """The dispersion of one release as the kernels take it (no city needed).

    Built by :meth:`from_config` from a leak's YAML block and the source's
    place in the run's frame; :class:`ChemicalLeakHazard` and the risk
    assessment (:mod:`citysim.risk`) both evaluate concentrations with it.

    Attributes
    ----------
    geo, coef, rel, puffs
        The kernels' arrays (:mod:`citysim.hazards._plume_kernels`).
    line
        ``(q mg/s, duration s, mass mg)``, as ``_plume_kernels.peak_concentration`` takes it.
    dense
        The Britter-McQuaid assessment.
    wind_to
        Unit vector (east, north) the wind blows to.
    u_mps
        Wind at release height (m/s).
    t_start_s, t_end_s
        When the release starts and ends (s; ``inf``: no end).
    mass_kg
        Mass released (kg); ``None`` for a release without end.
    sigma_kind
        ``briggs``, ``pasquill_gifford`` or ``puff``.
    """

    geo: np.ndarray
    coef: np.ndarray
    rel: np.ndarray
    puffs: np.ndarray
    line: np.ndarray
    dense: DenseGas
    wind_to: tuple[float, float]
    u_mps: float
    t_start_s: float
    t_end_s: float
    mass_kg: float | None
    sigma_kind: str

    @classmethod
    def from_config(cls, cfg: ChemicalLeakConfig, source_xy: tuple[float, float]) -> Dispersion:
        """The arrays of the release ``cfg`` from ``source_xy`` (m, the run's frame)."""
        from citysim.hazards import _plume_kernels as k

        w, rel, sub = cfg.weather, cfg.release, cfg.substance
        wind_to = downwind_unit(w.from_deg)
        u_mps = wind_at_height(w.wind_speed_mps, cfg.source.height_m, w.stability, w.terrain)
        geo = np.array([*source_xy, *wind_to, u_mps, cfg.source.height_m,
                        w.mixing_height_m or 0.0, RECEPTOR_HEIGHT_M,
                        ppm_to_mg_m3(1e6, sub.mw_g_mol), X_MIN_M])
        t_start_s = float(rel.start)
        amount = _release_amount(rel)  # kg/s or kg
        mass_kg: float | None
        if rel.kind == "continuous":
            q = amount * 1e6  # mg/s
            t_end_s = math.inf if rel.duration is None else t_start_s + rel.duration
            duration = t_end_s - t_start_s
            mass_kg = None if rel.duration is None else amount * rel.duration
            line = np.array([q, duration, 0.0])
        else:
            q, duration = 0.0, 0.0
            t_end_s = t_start_s
            mass_kg = amount
            line = np.array([0.0, 0.0, amount * 1e6])
        puffs = np.zeros(4)  # count 0: a plume
        if cfg.release.kind == "instantaneous":
            puffs = np.array([t_start_s, 1.0, 1.0, amount * 1e6])
        elif cfg.uses_puffs:
            n = int(min(max(math.ceil(u_mps * duration / PUFF_SPACING_M), 1), MAX_PUFFS))
            interval = duration / n  # each puff at the middle of its share of the release
            puffs = np.array([t_start_s + 0.5 * interval, interval, float(n), q * duration / n])
        sigma_kind = "puff" if cfg.uses_puffs else cfg.sigma
        density = sub.density_kg_m3 or ppm_to_mg_m3(1e6, sub.mw_g_mol) * 1e-6  # ideal gas
        dense = assess(rel.kind, amount, density, w.wind_speed_mps)
        coef = sigma_coefficients(sigma_kind, w.terrain, w.stability)
        if dense.dense:
            coef = _dense_phase(k, coef, dense, geo, line)
        return cls(geo=geo, coef=coef, rel=np.array([t_start_s, t_end_s, q]), puffs=puffs,
                   line=line, dense=dense, wind_to=wind_to, u_mps=u_mps, t_start_s=t_start_s,
                   t_end_s=t_end_s, mass_kg=mass_kg, sigma_kind=sigma_kind)


def _dense_phase(k: Any, coef: np.ndarray, dense: DenseGas, geo: np.ndarray,
                 line: np.ndarray) -> np.ndarray:
    """``coef`` with the distance warp that makes the centreline follow the dense phase.

    At each distance ``x`` of the dense phase the effective distance ``xi``
    is where the passive centreline peak (the steady plume, or the one
    puff) equals the Britter-McQuaid concentration; beyond it ``xi = x +
    x_v`` (the virtual source), continuous at the transition. Only the
    falling side of the passive peak is used (an elevated source's peak
    rises first). ``k``: the kernel module.
    """
    x = np.geomspace(X_MIN_M, max(dense.end_m, 2.0 * X_MIN_M), k.WARP_POINTS)
    target = dense.concentration_kg_m3(x) * 1e6  # mg/m3
    steady = line if line[2] > 0 else np.array([line[0], math.inf, 0.0])
    xi = np.geomspace(X_MIN_M, 10.0 * X_MAX_M, 4 * FOOTPRINT_POINTS)
    passive = k.peak_concentration(xi, np.zeros_like(xi), geo, coef, steady)
    top = int(np.argmax(passive))
    ln_xi = np.interp(-np.log(target), -np.log(passive[top:]), np.log(xi[top:]))
    return k.with_warp(coef, x, np.maximum.accumulate(np.exp(ln_xi)))


@dataclass(frozen=True)
class ThreatZone:
    """Where the peak concentration reaches one threat level.

    Attributes
    ----------
    level
        1, 2 or 3 (AEGL-k).
    minutes
        The AEGL exposure period used.
    threshold_ppm, threshold_mg_m3
        The level.
    area_km2
        Area of the zone (km²).
    distance_m
        Farthest downwind reach (m): the protection distance.
    population
        Persons whose home lies in the zone.
    rings
        The zone's outlines in the run's frame (m): closed (k, 2) arrays.
    """

    level: int
    minutes: int
    threshold_ppm: float
    threshold_mg_m3: float
    area_km2: float
    distance_m: float
    population: int
    rings: tuple[np.ndarray, ...]


def auto_action(in_zone: np.ndarray, in_outer: np.ndarray, t_arrival_s: np.ndarray,
                t_escape_s: np.ndarray, now_s: float, long_release: bool) -> np.ndarray:
    """The protective action per node for ``action: auto``.

    Shelter in place (2) in the AEGL-2 zone and the AEGL-1 zone around it;
    evacuate (1) from the AEGL-2 zone only when the release is long (more
    than :data:`SHELTER_MAX_EXPOSURE_S`: a sealed home slowly fills up, at
    0.2/h to 18 % of the outdoor concentration in an hour and 45 % in three)
    and the residents can get out before the plume arrives
    (``t_arrival - now > t_escape``); no opinion (0) elsewhere.

    Parameters
    ----------
    in_zone, in_outer
        Nodes in the AEGL-2 zone, and in the AEGL-1 zone (or the AEGL-2 zone
        when there is no AEGL-1).
    t_arrival_s
        When the plume front reaches each node (s; ``inf`` upwind).
    t_escape_s
        Time each node's residents need to leave the AEGL-2 zone (s).
    now_s
        Now (s).
    long_release
        Whether the release lasts longer than :data:`SHELTER_MAX_EXPOSURE_S`.

    Returns
    -------
    numpy.ndarray
        int8 per node: 0 no opinion, 1 evacuate, 2 shelter in place.
    """
    action = np.where(in_zone | in_outer, SHELTER, 0).astype(np.int8)
    if long_release:
        action[in_zone & (t_arrival_s - now_s > t_escape_s)] = EVACUATE
    return action


def check_source_on_map(x_m: float, y_m: float, bounds_m: tuple[float, ...]) -> None:
    """Refuse a source more than :data:`SOURCE_MARGIN_M` outside the road network's extent.

    Parameters
    ----------
    x_m, y_m
        The source (m, in the city's frame).
    bounds_m
        ``(xmin, ymin, xmax, ymax)`` of the road network (m).

    Raises
    ------
    ScenarioError
        At ``source.location``.
    """
    xmin, ymin, xmax, ymax = bounds_m
    outside_m = math.hypot(max(xmin - x_m, 0.0, x_m - xmax), max(ymin - y_m, 0.0, y_m - ymax))
    if outside_m > SOURCE_MARGIN_M:
        raise ScenarioError(
            f"off the map: ({x_m:.0f}, {y_m:.0f}) m is {outside_m / 1000:.1f} km outside the road "
            f"network (x {xmin:.0f}..{xmax:.0f}, y {ymin:.0f}..{ymax:.0f} m); a source may lie "
            f"at most {SOURCE_MARGIN_M / 1000:g} km outside it", path="source.location")


@register_hazard_model("chemical_leak")
class ChemicalLeakHazard(Hazard):
    """A toxic release carried by the wind; residents breathe it where they are.

    See the module docstring for the model; :attr:`zones` holds the threat
    zones, computed once when the hazard is built.
    """

    type_name = "chemical_leak"
    fields = (
        FieldSpec("concentration_mg_m3", "float64", "mg/m3", "point", "out",
                  "gas concentration at ground level"),
        FieldSpec("concentration_ppm", "float64", "ppm", "point", "out",
                  "gas concentration at ground level (25 °C, 1 atm)"),
    )

    def __init__(self, cfg: ChemicalLeakConfig, world: World, rng: np.random.Generator) -> None:
        from citysim.hazards import _plume_kernels  # numba compiles only when a leak runs

        self._k = _plume_kernels
        self.cfg = cfg
        net = world.network
        x, y, node = Locator(net, world.crs, np.inf).resolve([cfg.source.location],
                                                             [("source", "location")])
        check_source_on_map(float(x[0]), float(y[0]), net.bounds_m)
        self.source_xy = (float(x[0]), float(y[0]))
        self.source_node = int(node[0])
        d = Dispersion.from_config(cfg, self.source_xy)
        self.dispersion = d
        self.wind_to, self.u_mps, self.geo, self.coef = d.wind_to, d.u_mps, d.geo, d.coef
        self.rel, self.puffs, self.line, self.dense = d.rel, d.puffs, d.line, d.dense
        self.t_start_s, self.t_end_s, self.mass_kg = d.t_start_s, d.t_end_s, d.mass_kg
        self.sigma_kind = d.sigma_kind
        sub = cfg.substance
        self.mw = sub.mw_g_mol
        # threat levels of the release's exposure period
        self.minutes = cfg.exposure_minutes
        aegl = sub.aegl_for(self.minutes)
        self.levels_ppm = {k: aegl.level(k) for k in (1, 2, 3)}
        self.levels_mg_m3 = {k: None if v is None else ppm_to_mg_m3(v, self.mw)
                             for k, v in self.levels_ppm.items()}
        lowest = min(v for v in self.levels_mg_m3.values() if v is not None)
        self.floor_mg_m3 = NEGLIGIBLE_FRACTION * lowest
        self.exposed_dose = 60.0 * self.floor_mg_m3  # mg s/m3: one minute at the floor
        self._people(cfg, world.population, rng)
        # footprint, zones, nodes
        self._footprint()
        self._nodes(world)
        self.n_edges = net.n_edges
        self.bounds_m = net.bounds_m
        units = world.stations.units.sum(axis=0) if len(world.stations) else np.zeros(
            len(UNIT_TYPES), dtype=np.int64)
        kind = next((k for k in ("hazmat", "engine") if units[UNIT_TYPES.index(k)] > 0), None)
        self.needs = {kind: 1} if kind else None  # no such unit in the city: no incident
        self.t_s = 0.0
        self._pending: list[IncidentRequest] = []
        self._raised = False

    def _people(self, cfg: ChemicalLeakConfig, pop: Any, rng: np.random.Generator) -> None:
        """Per-agent state, lethality thresholds, toxic-load units and air-change rates."""
        from scipy.special import ndtri

        sub = cfg.substance
        probit = sub.probit
        self.n_exp = probit.n if probit is not None else 1.0
        in_ppm = probit is None or probit.units == "ppm"
        self.to_units = mg_m3_to_ppm(1.0, self.mw) if in_ppm else 1.0
        minutes = cfg.exposure_minutes  # AEGL-2 of the zones' period, as a toxic load
        self.injury_load = (sub.aegl_for(minutes).aegl2 * (  # units^n min
            1.0 if in_ppm else ppm_to_mg_m3(1.0, self.mw))) ** self.n_exp * minutes
        self.persons = np.asarray(pop.persons, dtype=np.int64)
        n_agents = pop.n_agents
        if probit is not None:
            u = np.clip(rng.random(n_agents), 1e-12, 1.0 - 1e-12)
            self.lethal_load = np.exp((5.0 + ndtri(u) - probit.a) / probit.b)  # units^n min
        else:
            self.lethal_load = np.full(n_agents, np.inf)
        a = cfg.air_exchange
        rates_h = np.zeros(len(Setting))
        rates_h[Setting.HOME], rates_h[Setting.SHELTERING] = a.home_per_h, a.sheltering_per_h
        rates_h[Setting.IN_CAR], rates_h[Setting.IN_SHELTER] = (a.vehicle_per_h,
                                                                a.public_shelter_per_h)
        self.rates_s = rates_h / 3600.0
        self.airing_s = a.airing_per_h / 3600.0
        self.ci = np.zeros(n_agents)
        self.load = np.zeros(n_agents)  # units^n s
        self.dose = np.zeros(n_agents)  # mg s / m3
        self.dead = np.zeros(n_agents, dtype=bool)
        self.injured = np.zeros(n_agents, dtype=bool)
        self.group = np.zeros(n_agents, dtype=np.int8)  # 0 home, 1 sheltered, 2 left home

    @classmethod
    def from_config(cls, cfg: ChemicalLeakConfig, world: World,
                    rng: np.random.Generator) -> ChemicalLeakHazard:
        """Build the leak from its YAML block and the world; ``rng`` draws lethality thresholds."""
        return cls(cfg, world, rng)

    # -- geometry ---------------------------------------------------------
    def _nodes(self, world: World) -> None:
        """The node table of the exposure kernels, threat zones, arrival and escape times."""
        net, pop = world.network, world.population
        node_x = np.ascontiguousarray(net.node_x_m, dtype=np.float64)
        node_y = np.ascontiguousarray(net.node_y_m, dtype=np.float64)
        self._envelope = (self.envelope, math.log(X_MIN_M),
                          math.log(self.x_grid[1] / self.x_grid[0]))
        self.node_table = (node_x, node_y, *self._k.place_table(
            node_x, node_y, self.geo, self.coef, self.rel, self.puffs, *self._envelope))
        xd, yc = self.node_table[2], self.node_table[3]
        peak = self._k.peak_concentration(xd, yc, self.geo, self.coef, self.line)
        self.node_in = {k: (peak >= v) if v is not None else None
                        for k, v in self.levels_mg_m3.items()}
        node_persons = np.bincount(pop.home_node, weights=self.persons, minlength=net.n_nodes)
        self.zones = {k: self._zone(k, node_persons) for k, v in self.levels_mg_m3.items()
                      if v is not None}
        self.node_arrival_s = np.where(xd > 0, self.t_start_s + xd / self.u_mps, np.inf)
        half2 = np.interp(np.log(np.maximum(xd, X_MIN_M)), np.log(self.x_grid),
                          self._half_width(self._level(2)[1]))
        self.node_escape_s = EVACUATION_MARGIN_S + np.maximum(half2 - np.abs(yc), 0.0) \
            / WALK_SPEED_MPS
        self.node_outer = self.node_in[1] if self.node_in[1] is not None else self._in_zone(2)

    def to_frame(self, xd: np.ndarray, yc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Points in plume coordinates (m) back in the run's frame (m)."""
        ex, ey = self.wind_to
        return self.source_xy[0] + xd * ex - yc * ey, self.source_xy[1] + xd * ey + yc * ex

    def _footprint(self) -> None:
        """Peak centreline concentration and sigma_y on log-spaced downwind distances."""
        self.x_grid = np.geomspace(X_MIN_M, X_MAX_M, FOOTPRINT_POINTS)
        self.peak_centre = self._k.peak_concentration(self.x_grid, np.zeros_like(self.x_grid),
                                                      self.geo, self.coef, self.line)
        self.sigma_y = self._k.dispersion_sigmas(self.x_grid, self.coef)[0]
        self.envelope = self._half_width(self.floor_mg_m3)

    def _level(self, k: int) -> tuple[float, float]:
        """AEGL-``k`` in ppm and mg/m³, for a level the substance sets (AEGL-2, -3 always)."""
        ppm, mg_m3 = self.levels_ppm[k], self.levels_mg_m3[k]
        assert ppm is not None and mg_m3 is not None, f"AEGL-{k} is not set"
        return ppm, mg_m3

    def _in_zone(self, k: int) -> np.ndarray:
        """Whether each node is in AEGL-``k``'s zone, for a level the substance sets."""
        inside = self.node_in[k]
        assert inside is not None, f"AEGL-{k} is not set"
        return inside

    def _half_width(self, level_mg_m3: float) -> np.ndarray:
        """Half-width (m) of the region where the peak reaches ``level`` at each grid distance."""
        ratio = self.peak_centre / level_mg_m3
        with np.errstate(divide="ignore"):
            return np.where(ratio >= 1.0, self.sigma_y * np.sqrt(2.0 * np.log(
                np.maximum(ratio, 1.0))), 0.0)

    def _zone(self, k: int, node_persons: np.ndarray) -> ThreatZone:
        level_ppm, level = self._level(k)
        half = self._half_width(level)
        inside = half > 0
        area = float(np.trapezoid(2.0 * half, self.x_grid)) / 1e6
        distance = 0.0
        rings = []
        if inside.any():
            last = int(np.flatnonzero(inside)[-1])
            distance = float(self.x_grid[last])
            if last + 1 < self.x_grid.size:  # log-linear interpolation to the crossing
                c0, c1 = np.log(self.peak_centre[last]), np.log(max(self.peak_centre[last + 1],
                                                                    1e-300))
                f = (c0 - math.log(level)) / (c0 - c1) if c0 > c1 else 0.0
                distance = float(np.exp(np.log(self.x_grid[last]) + f * (
                    np.log(self.x_grid[last + 1]) - np.log(self.x_grid[last]))))
            edges = np.flatnonzero(np.diff(np.r_[0, inside.astype(np.int8), 0]))
            for start, stop in zip(edges[::2], edges[1::2], strict=True):
                keep = np.unique(np.linspace(start, stop - 1, min(stop - start, 300)).astype(int))
                xd = np.r_[self.x_grid[keep], distance if stop - 1 == last else
                           self.x_grid[stop - 1]]
                hw = np.r_[half[keep], 0.0]
                ring_x = np.r_[xd, xd[::-1], xd[:1]]
                ring_y = np.r_[hw, -hw[::-1], hw[:1]]
                rings.append(np.column_stack(self.to_frame(ring_x, ring_y)))
        return ThreatZone(level=k, minutes=self.minutes, threshold_ppm=level_ppm,
                          threshold_mg_m3=level, area_km2=area, distance_m=distance,
                          population=int(node_persons[self.node_in[k]].sum()),
                          rings=tuple(rings))

    # -- the step ---------------------------------------------------------
    def advance(self, t_s: float, dt_s: float) -> None:
        """Move the clock to ``t_s + dt_s``; raise the hazmat incident when the release starts."""
        self.t_s = t_s + dt_s
        if not self._raised and self.t_s >= self.t_start_s and self.needs:
            self._raised = True
            self._pending.append(IncidentRequest(
                t_s=max(t_s, self.t_start_s), node=self.source_node, kind="hazmat_leak",
                needs=self.needs, priority=1, key=0, hold=math.isfinite(self.t_end_s)
                and self.t_end_s > self.t_start_s))

    def edge_effects(self) -> np.ndarray:
        """The gas does not slow traffic: every factor is 1."""
        return np.ones(self.n_edges)

    def concentration_mg_m3(self, x_m: np.ndarray, y_m: np.ndarray, t_s: float,
                            z_m: float = RECEPTOR_HEIGHT_M) -> np.ndarray:
        """Concentration (mg/m³) at points (m) and time ``t_s`` (s).

        At height ``z_m`` (m; default: where people breathe, the ground).
        """
        x = np.ascontiguousarray(np.ravel(x_m), dtype=np.float64)
        y = np.ascontiguousarray(np.ravel(y_m), dtype=np.float64)
        geo = self.geo.copy()
        geo[7] = z_m
        c = self._k.concentration(x, y, float(t_s), geo, self.coef, self.rel, self.puffs)
        return c.reshape(np.shape(x_m))

    def dispersion_sigmas(self, x_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(sigma_y, sigma_z)`` (m) the model uses at downwind distances ``x_m`` (m).

        The plume's or the puffs' coefficients, at the effective distance of a
        dense release's virtual source.
        """
        x = np.ascontiguousarray(np.ravel(x_m), dtype=np.float64)
        sy, sz = self._k.dispersion_sigmas(x, self.coef)
        return sy.reshape(np.shape(x_m)), sz.reshape(np.shape(x_m))

    def sample(self, x_m: np.ndarray, y_m: np.ndarray) -> dict[str, np.ndarray]:
        """Concentration in mg/m³ and ppm at points (m), now."""
        c = self.concentration_mg_m3(x_m, y_m, self.t_s)
        return {"concentration_mg_m3": c, "concentration_ppm": mg_m3_to_ppm(c, self.mw)}

    def warned_nodes(self) -> np.ndarray:
        """Nodes in the AEGL-2 zone that the plume front has reached."""
        return self._in_zone(2) & (self.node_arrival_s <= self.t_s)

    def protective_action(self) -> np.ndarray:
        """Shelter in place or evacuate, node by node (:func:`auto_action`)."""
        long_release = self.t_end_s - self.t_start_s > SHELTER_MAX_EXPOSURE_S
        return auto_action(self._in_zone(2), self.node_outer, self.node_arrival_s,
                           self.node_escape_s, self.t_s, long_release)

    def expose(self, t_s: float, dt_s: float, people: People) -> Harm | None:
        """Residents breathe the gas over the step; the probit kills, AEGL-2 loads injure."""
        if t_s + dt_s <= self.t_start_s:
            return None
        setting = np.asarray(people.setting)
        left = (setting == Setting.ON_FOOT) | (setting == Setting.IN_CAR) | (
            setting == Setting.IN_SHELTER)
        self.group[left] = 2
        self.group[(setting == Setting.SHELTERING) & (self.group == 0)] = 1
        x = np.ascontiguousarray(people.x_m, dtype=np.float64)
        y = np.ascontiguousarray(people.y_m, dtype=np.float64)
        node = np.ascontiguousarray(people.node, dtype=np.int64)
        where = (x, y, node, setting)
        ids, in_gas = self._k.candidates(t_s, t_s + dt_s, where, self.ci, self.node_table,
                                         self.geo, self.coef, self.rel, self.puffs,
                                         *self._envelope)
        if ids.size == 0:
            return None
        self._k.expose_agents(t_s, dt_s, ids, in_gas, where, (self.ci, self.load, self.dose),
                              self.node_table, self.rates_s,
                              self.airing_s, self.n_exp, self.to_units, self.geo, self.coef,
                              self.rel, self.puffs, self.floor_mg_m3, SUBSTEP_TRAVEL_M)
        load_min = self.load[ids] / 60.0
        self.dead[ids[(load_min >= self.lethal_load[ids]) & (load_min > 0)]] = True
        self.injured[ids[load_min >= self.injury_load]] = True
        return Harm(dead=self.dead, injured=self.injured)

    def incidents(self) -> list[IncidentRequest]:
        """The hazmat incident at the source, once, when the release starts."""
        out, self._pending = self._pending, []
        return out

    def attend(self, t_s: float, on_scene: Any) -> list[int]:
        """The hazmat incident is over when the release ends."""
        return [key for key in on_scene if t_s >= self.t_end_s]

    # -- outputs ----------------------------------------------------------
    ACTIONS: ClassVar[tuple[str, ...]] = ("stayed_home", "sheltered_in_place", "left_home")
    """Protective action groups: never left home unsealed, sheltered in place at some
    point, left home (on foot, by car, to a public shelter) at some point."""

    def summary(self) -> dict[str, float | str | None]:
        """Threat zones (area, protection distance, population) and casualties by action.

        Keys ``plume_aegl{1,2,3}_area_km2``, ``_distance_m``, ``_population``
        (``None`` when the substance has no such level), ``plume_aegl_minutes``
        (the exposure period of the zones), ``plume_release_mass_kg`` (``None``
        for a release without end), ``plume_wind_at_release_mps``,
        ``plume_puffs`` (0: a plume), ``plume_sigma`` (the dispersion
        coefficients: ``briggs``, ``pasquill_gifford`` or ``puff``),
        ``plume_dispersion_model`` (``dense (Britter-McQuaid)`` or ``passive
        Gaussian``), ``plume_dense_criterion`` and ``plume_dense_threshold``
        (the Britter-McQuaid criterion and the value from which the release is
        dense), ``plume_dense_distance_m`` (where the dense phase ends;
        ``None`` when passive), ``plume_exposed_persons`` (breathed a
        dose of at least one minute at 1 % of the lowest threat level),
        ``plume_fatalities``, ``plume_injured`` (survivors), and
        ``plume_fatalities_<group>`` / ``plume_injured_<group>`` for the groups
        ``home``, ``sheltered`` and ``evacuees`` (:attr:`ACTIONS`).
        """
        out: dict[str, float | str | None] = {}
        for k in (1, 2, 3):
            zone = self.zones.get(k)
            out[f"plume_aegl{k}_area_km2"] = None if zone is None else zone.area_km2
            out[f"plume_aegl{k}_distance_m"] = None if zone is None else zone.distance_m
            out[f"plume_aegl{k}_population"] = None if zone is None else zone.population
        out.update({
            "plume_aegl_minutes": self.minutes,
            "plume_release_mass_kg": self.mass_kg,
            "plume_wind_at_release_mps": self.u_mps,
            "plume_puffs": int(self.puffs[2]),
            "plume_sigma": self.sigma_kind,
            "plume_dispersion_model": ("dense (Britter-McQuaid)" if self.dense.dense
                                       else "passive Gaussian"),
            "plume_dense_criterion": self.dense.criterion,
            "plume_dense_threshold": self.dense.threshold,
            "plume_dense_distance_m": self.dense.end_m if self.dense.dense else None,
            "plume_exposed_persons": int(self.persons[self.dose >= self.exposed_dose].sum()),
            "plume_fatalities": int(self.persons[self.dead].sum()),
            "plume_injured": int(self.persons[self.injured & ~self.dead].sum()),
        })
        for g, name in enumerate(("home", "sheltered", "evacuees")):
            mine = self.group == g
            out[f"plume_fatalities_{name}"] = int(self.persons[mine & self.dead].sum())
            out[f"plume_injured_{name}"] = int(self.persons[mine & self.injured
                                                            & ~self.dead].sum())
        return out

    def tables(self) -> dict[str, Any]:
        """``threat_zones`` (one row per AEGL level) and ``exposure_by_action``.

        ``exposure_by_action``: one row per protective action group
        (:attr:`ACTIONS`) with ``persons``, ``exposed`` (as ``plume_exposed_persons``),
        ``injured`` (survivors), ``fatalities``, ``mean_dose_mg_min_m3`` and
        ``max_dose_mg_min_m3`` (``integral C dt`` among the exposed) and
        ``mean_toxic_load`` (``integral C^n dt`` in the probit's units^n min).
        """
        import pandas as pd

        zones = pd.DataFrame([{
            "level": f"AEGL-{z.level}", "aegl_minutes": z.minutes,
            "threshold_ppm": z.threshold_ppm, "threshold_mg_m3": z.threshold_mg_m3,
            "area_km2": z.area_km2, "distance_m": z.distance_m, "population": z.population,
        } for z in self.zones.values()])
        rows = []
        dose_min = self.dose / 60.0
        for g, action in enumerate(self.ACTIONS):
            mine = self.group == g
            exposed = mine & (self.dose >= self.exposed_dose)
            rows.append({
                "action": action, "persons": int(self.persons[mine].sum()),
                "exposed": int(self.persons[exposed].sum()),
                "injured": int(self.persons[mine & self.injured & ~self.dead].sum()),
                "fatalities": int(self.persons[mine & self.dead].sum()),
                "mean_dose_mg_min_m3": float(np.average(dose_min[exposed],
                                                        weights=self.persons[exposed]))
                if exposed.any() else np.nan,
                "max_dose_mg_min_m3": float(dose_min[exposed].max()) if exposed.any() else np.nan,
                "mean_toxic_load": float(np.average(self.load[exposed] / 60.0,
                                                    weights=self.persons[exposed]))
                if exposed.any() else np.nan,
            })
        return {"threat_zones": zones, "exposure_by_action": pd.DataFrame(rows)}

    def frame(self) -> Frame:
        """Ground-level concentration now on a grid over the city (NaN where negligible).

        The colour scale tops at AEGL-2: what is dark is disabling or worse.
        """
        xmin, ymin, xmax, ymax = self.bounds_m
        cell = max(xmax - xmin, ymax - ymin, 1.0) / FRAME_CELLS
        xs = np.arange(xmin, xmax + cell, cell) + 0.5 * cell
        ys = np.arange(ymin, ymax + cell, cell) + 0.5 * cell
        gx, gy = np.meshgrid(xs, ys)
        c = self.concentration_mg_m3(gx, gy, self.t_s)
        vmax = self.levels_mg_m3[2]
        return Frame(label=f"{self.cfg.substance.name} (mg/m³, scale to AEGL-2)",
                     grid=np.where(c >= self.floor_mg_m3, c, np.nan),
                     extent_m=(xs[0] - 0.5 * cell, xs[-1] + 0.5 * cell, ys[0] - 0.5 * cell,
                               ys[-1] + 0.5 * cell), vmax=vmax)
