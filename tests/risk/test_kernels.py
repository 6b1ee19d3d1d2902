"""The QRA kernels against a slow, obviously-correct reference (plain Python and NumPy)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from citysim.experiments.risk_spec import RiskSource, WeatherClass
from citysim.risk import _kernels as k
from citysim.risk.qra import _x_table, footprint


def _naive_lethality(xd, yc, ln_x, ln_load, sigma_y, a, b, n):
    if xd <= 0 or math.log(xd) >= ln_x[-1]:
        return 0.0
    lx = max(math.log(xd), ln_x[0])
    if np.interp(lx, ln_x, ln_load) <= -1e299 or ln_load[np.searchsorted(ln_x, lx)] <= -1e299:
        return 0.0
    ln_l = np.interp(lx, ln_x, ln_load) - n * yc ** 2 / (2 * np.interp(lx, ln_x, sigma_y) ** 2)
    return 0.5 * math.erfc(-(a + b * ln_l - 5.0) / math.sqrt(2.0))


@pytest.fixture(scope="module")
def footprints():
    source = RiskSource.model_validate({"id": "P", "location": {"x": 0, "y": 0},
                                        "substance": "chlorine", "inventory_kg": 20000})
    wc = [WeatherClass.model_validate({"stability": s, "wind_speed_mps": u, "probability": 0.5})
          for s, u in (("D", 5.0), ("F", 1.5))]
    return [footprint(source, loss, w, "urban") for loss in source.losses for w in wc]


def test_individual_risk_and_deaths_match_a_plain_reference(footprints):
    rng = np.random.default_rng(3)
    x = _x_table()
    ln_x = np.log(x)
    n_fp = len(footprints)
    tables = (ln_x[0], ln_x[1] - ln_x[0], np.array([f.ln_load for f in footprints]),
              np.array([f.sigma_y for f in footprints]))
    probit = np.array([f.probit for f in footprints])
    where = np.array([[100.0 * i, -50.0 * i, f.reach_m] for i, f in enumerate(footprints)])
    weight = rng.uniform(1e-7, 1e-5, n_fp)
    group = np.arange(n_fp) % 2
    winds = np.array([[-math.sin(t), -math.cos(t)] for t in np.radians(np.arange(0, 360, 30))])
    p_wind = rng.dirichlet(np.ones(len(winds)))
    px, py = rng.uniform(-3000, 3000, 300), rng.uniform(-3000, 3000, 300)
    persons = rng.integers(0, 50, 300).astype(float)
    got = k.individual_risk(px, py, weight, group, 2, where, winds, p_wind, tables, probit)
    deaths = k.expected_deaths(px, py, persons, where, winds, tables, probit)
    want = np.zeros((300, 2))
    want_deaths = np.zeros((n_fp, len(winds)))
    for f in range(n_fp):
        a, b, n = probit[f]
        for i in range(300):
            dx, dy = px[i] - where[f, 0], py[i] - where[f, 1]
            for j, (ex, ey) in enumerate(winds):
                p = _naive_lethality(dx * ex + dy * ey, -dx * ey + dy * ex, ln_x,
                                     tables[2][f], tables[3][f], a, b, n)
                p = p if p > k.NEGLIGIBLE_P else 0.0
                want[i, group[f]] += weight[f] * p_wind[j] * p
                want_deaths[f, j] += persons[i] * p
    assert want.max() > 0 and want_deaths.max() > 1  # the points are inside lethal zones
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-20)
    np.testing.assert_allclose(deaths, want_deaths, rtol=1e-9, atol=1e-12)


def test_the_axis_load_of_a_steady_plume_is_its_concentration_squared_times_its_duration():
    """A long release: ``integral C² dt = C² (D - 2 sigma_x / (u sqrt(pi)))``.

    The front and the tail are normal CDFs in time of spread ``sigma_x / u``
    (Palazzi); each removes ``integral (H - Phi²) = sigma_t / sqrt(pi)`` from ``D``.
    """
    from citysim.hazards import _plume_kernels as pk

    coef = pk.pack_coef(pk.SIGMA_BRIGGS, (0.08, 1e-4, -0.5, 0.06, 1.5e-3, -0.5))
    geo = np.array([0.0, 0.0, 1.0, 0.0, 5.0, 0.0, 0.0, 0.0, 1e12, 1.0])
    rel = np.array([0.0, 3600.0, 1e7])
    x = np.array([200.0, 1000.0, 3000.0])
    load, sy = k.centreline_load(x, geo, coef, rel, np.zeros(4), 2.0, 1.0)
    sz = 0.06 * x * (1 + 1.5e-3 * x) ** -0.5
    c = 1e7 / (math.pi * 5.0 * sy * sz)
    expected = c ** 2 * (3600.0 - 2.0 * sy / 5.0 / math.sqrt(math.pi)) / 60.0
    np.testing.assert_allclose(load, expected, rtol=1e-4)  # Simpson over 64 intervals a part
