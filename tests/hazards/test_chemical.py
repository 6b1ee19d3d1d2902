"""The chemical leak in the model: substances, threat zones, exposure, warnings, outputs.

Reference values from MODELS.md ("Chemical dispersion"); tolerances are
justified where they are set.
"""

from __future__ import annotations

import json
import math

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.stats import norm

from citysim.errors import ScenarioError
from citysim.hazards.base import People, Setting
from citysim.hazards.chemical import SUBSTANCES, ChemicalLeakHazard, auto_action
from citysim.io.hazard_layers import hazard_layers
from citysim.plots import hazard_figures, save_figure
from citysim.rng import world_streams
from citysim.scenario import load_scenario_text
from citysim.scenario.hazards.substances import BUILT_IN, canonical_name, mg_m3_to_ppm, ppm_to_mg_m3
from citysim.world.builder import build_world
from tests.hazards.test_plume_kernels import TABLE, steady_plume
from tests.scenarios import SMALL_CITY

LEAK = {"type": "chemical_leak", "source": {"location": {"x": -100, "y": 525}, "height_m": 2},
        "substance": "chlorine", "release": {"rate_kg_s": 2, "start": 0},
        "weather": {"wind_speed_mps": 3, "from_deg": 270, "stability": "D"}}


TRACER = {"name": "tracer", "mw_g_mol": 28.96, "aegl_ppm": {"aegl2": 1, "aegl3": 10}}
"""A gas as heavy as air: passive."""


def leak(**changes) -> dict:
    block = json.loads(json.dumps(LEAK))
    for path, value in changes.items():
        *keys, last = path.split("__")
        node = block
        for key in keys:
            node = node[key]
        node[last] = value
    return block


def scenario(block: dict, extra: str = ""):
    return load_scenario_text(SMALL_CITY + extra + yaml.safe_dump({"hazards": [block]}),
                              base_dir=".")


@pytest.fixture(scope="module")
def world():
    return build_world(scenario(LEAK), world_streams(0))


def hazard(world, block: dict, seed: int = 0) -> ChemicalLeakHazard:
    cfg = scenario(block).hazards[0]
    return ChemicalLeakHazard.from_config(cfg, world, np.random.default_rng(seed))


def everyone_at_home(world, setting: int = Setting.HOME) -> People:
    net, hn = world.network, world.population.home_node
    return People(x_m=net.node_x_m[hn].astype(float), y_m=net.node_y_m[hn].astype(float),
                  node=hn, setting=np.full(hn.size, setting, np.int8),
                  persons=world.population.persons)


def run_exposure(h: ChemicalLeakHazard, people: People, t_end: float, dt: float = 10.0):
    for t in np.arange(0.0, t_end, dt):
        h.advance(t, dt)
        h.expose(t, dt, people)


# --- substances ----------------------------------------------------------------


def test_built_in_substances_carry_their_levels_and_units():
    assert set(BUILT_IN) == {"chlorine", "ammonia", "hydrogen_sulfide", "sulfur_dioxide",
                             "hydrogen_chloride", "hydrogen_fluoride"}
    for name, record in BUILT_IN.items():
        assert set(record.aegl_ppm) == {10, 30, 60} and "AEGL" in record.source
        assert SUBSTANCES[name].probit is not None and SUBSTANCES[name].source
        for levels in record.aegl_ppm.values():
            assert levels[0] <= levels[1] <= levels[2]
    assert canonical_name("Hydrogen sulphide") == canonical_name("H2S") == "hydrogen_sulfide"
    assert canonical_name("sulphur-dioxide") == "sulfur_dioxide" and canonical_name("x") is None
    # MODELS.md: chlorine 1 ppm = 2.90 mg/m3, ammonia 0.697 (3 digits given)
    assert ppm_to_mg_m3(1.0, SUBSTANCES["chlorine"].mw_g_mol) == pytest.approx(2.90, abs=5e-3)
    assert ppm_to_mg_m3(1.0, SUBSTANCES["ammonia"].mw_g_mol) == pytest.approx(0.697, abs=5e-4)
    assert mg_m3_to_ppm(ppm_to_mg_m3(7.0, 34.08), 34.08) == pytest.approx(7.0, rel=1e-12)
    # MODELS.md AEGL table, chlorine (ppm): 10, 30, 60 min
    cl = SUBSTANCES["chlorine"]
    assert [cl.aegl_for(m).aegl2 for m in (10, 30, 60)] == [2.8, 2.8, 2.0]
    assert [cl.aegl_for(m).aegl3 for m in (10, 30, 60)] == [50.0, 28.0, 20.0]
    assert cl.aegl_ppm.aegl1 == 0.5 and SUBSTANCES["ammonia"].aegl_ppm.aegl3 == 1100.0


@pytest.mark.parametrize("name,ppm,minutes,p", [("chlorine", 100, 30, 0.046),
                                                ("chlorine", 400, 30, 0.806),
                                                ("ammonia", 10000, 30, 0.298)])
def test_probit_reference_values(name, ppm, minutes, p):
    # MODELS.md, 3 decimals given
    pr = SUBSTANCES[name].probit
    y = pr.a + pr.b * math.log(ppm**pr.n * minutes)
    assert norm.cdf(y - 5.0) == pytest.approx(p, abs=5e-4)


def test_custom_substance_and_the_aegl_period(world):
    custom = {"name": "phosgene", "mw_g_mol": 98.92, "aegl_ppm": {"aegl2": 0.3, "aegl3": 0.75},
              "aegl_ppm_10min": {"aegl2": 0.6, "aegl3": 3.6}}
    assert scenario(leak(substance=custom, release={"mass_kg": 100})).hazards[
        0].exposure_minutes == 60  # ALOHA's default period, whatever the release
    cfg = scenario(leak(substance=custom, release={"mass_kg": 100},
                        zone_period="release")).hazards[0]
    assert cfg.exposure_minutes == 10 and cfg.substance.aegl_for(10).aegl3 == 3.6
    assert cfg.substance.aegl_for(30).aegl3 == 0.75  # no 30-min levels: the 60-min ones
    h = ChemicalLeakHazard.from_config(cfg, world, np.random.default_rng(0))
    assert set(h.zones) == {2, 3} and h.summary()["plume_aegl1_area_km2"] is None
    assert np.isinf(h.lethal_load).all()  # no probit: nobody dies of it
    for duration, minutes in ((300, 10), (600, 10), (1200, 30), (2700, 60), (None, 60)):
        release = {"rate_kg_s": 1, "duration": duration} if duration else {"rate_kg_s": 1}
        cfg = scenario(leak(release=release, zone_period="release")).hazards[0]
        assert cfg.exposure_minutes == minutes


@pytest.mark.parametrize("change,path,words", [
    ({"weather__mixing_height_m": 2}, "hazards[0].weather.mixing_height_m",
     "above the release height"),
    ({"dispersion": "plume", "release": {"mass_kg": 10}}, "hazards[0].dispersion", "a puff"),
    ({"dispersion": "puffs"}, "hazards[0].dispersion", "a release that ends"),
    ({"substance": "chlorin"}, "hazards[0].substance", "did you mean 'chlorine'?"),
    ({"sigma": "pasquill_gifford"}, "hazards[0].sigma", "curves are rural"),
    ({"sigma": "pg"}, "hazards[0].sigma", "briggs"),
])
def test_inconsistent_blocks_are_rejected_at_their_path(change, path, words):
    with pytest.raises(ScenarioError) as info:
        scenario(leak(**change))
    assert any(p.path == path and words in p.message for p in info.value.problems)


# --- dispersion coefficients, dense gas, reference cases ---------------------------


def test_validation_cases_hold_through_the_model(tmp_path):
    # benchmarks/validation/chemical.py: CCPS puff, ISC3 (sigma_y, sigma_z, C), mass
    # flux, Britter-McQuaid criterion and dense-phase distances, each from a hazard built
    # from its YAML block and sampled through its API; references typed in by hand there,
    # tolerances (2 % or tighter) stated with each check
    from benchmarks.validation.chemical import FIGURE, checks

    found = checks(tmp_path)
    assert len(found) == 8
    for check in found:
        assert check.ok, (check.case, check.quantity, check.value, check.reference)
    assert (tmp_path / FIGURE).stat().st_size > 10_000


def test_puffs_take_puff_sigmas_and_plumes_the_chosen_ones(world):
    assert scenario(leak()).hazards[0].sigma == "briggs"  # the default
    for release, dispersion, kind in (({"mass_kg": 50}, "auto", "puff"),
                                      ({"rate_kg_s": 1, "duration": "5min"}, "auto", "briggs"),
                                      ({"rate_kg_s": 1, "duration": "5min"}, "puffs", "puff"),
                                      ({"rate_kg_s": 1}, "auto", "briggs")):
        h = hazard(world, leak(release=release, dispersion=dispersion))
        assert h.sigma_kind == h.summary()["plume_sigma"] == kind
        assert (h.summary()["plume_puffs"] > 0) is (kind == "puff")
    # MODELS.md puff row F at 500 m: sigma_y = 5.0479 m, sigma_z = 2.2148 m, in either
    # terrain (the puff table has no urban form); 5 digits given
    for terrain in ("rural", "urban"):
        h = hazard(world, leak(release={"mass_kg": 1.0}, substance=TRACER,
                               weather={"wind_speed_mps": 2, "from_deg": 270,
                                        "stability": "F", "terrain": terrain}))
        sy, sz = h.dispersion_sigmas(np.array([500.0]))
        assert sy[0] == pytest.approx(5.0479, rel=2e-5) and sz[0] == pytest.approx(2.2148,
                                                                                   rel=3e-5)
    # sigma: pasquill_gifford takes the ISC3 curves (MODELS.md class D, 500 m; a passive
    # gas: chlorine here would be dense, its sigmas those of the virtual source)
    h = hazard(world, leak(sigma="pasquill_gifford", substance=TRACER, weather={
        "wind_speed_mps": 3, "from_deg": 270, "stability": "D", "terrain": "rural"}))
    sy, sz = h.dispersion_sigmas(np.array([500.0]))
    assert h.summary()["plume_sigma"] == "pasquill_gifford"
    assert sy[0] == pytest.approx(36.146, rel=3e-5) and sz[0] == pytest.approx(18.297, rel=3e-5)


# hand arithmetic: rho_a = 28.96 / 24.45 = 1.184458; chlorine rho0 = 101325 x 0.070906 /
# (8.314462618 x 239.11) = 3.613830, g0' = 9.81 (rho0 - rho_a) / rho_a = 20.1206 m/s2.
# Continuous 0.4 g/s: q0 = 1.10687e-4 m3/s, (g0' q0 / (u^3 D))^(1/3) = (g0' sqrt(q0) /
# u^2.5)^(1/3): u = 6 -> 0.13389 (passive), u = 5 -> 0.15585 (dense; threshold 0.15).
# Instantaneous, a gas of 1.25 kg/m3, 1 kg: g0' = 0.542821, V0^(1/3) = 0.928318 m,
# sqrt(g0' V0^(1/3)) / u: u = 4 -> 0.17747 (passive), u = 3 -> 0.23662 (dense; 0.20).
# Chlorine 1 kg, u = 2: V0^(1/3) = 0.651680 m -> sqrt(13.1122) / 2 = 1.8105 (dense).
@pytest.mark.parametrize("kind,amount,density,u,value,dense", [
    ("continuous", 4e-4, 3.613830, 6.0, 0.13389, False),
    ("continuous", 4e-4, 3.613830, 5.0, 0.15585, True),
    ("instantaneous", 1.0, 1.25, 4.0, 0.17747, False),
    ("instantaneous", 1.0, 1.25, 3.0, 0.23662, True),
    ("instantaneous", 1.0, 3.613830, 2.0, 1.8105, True),
    ("continuous", 5.0, 0.865, 1.0, 0.0, False),  # ammonia vapour: lighter than air
])
def test_britter_mcquaid_criterion_on_hand_computed_cases(kind, amount, density, u, value,
                                                          dense):
    from citysim.hazards.dense_gas import assess

    got = assess(kind, amount, density, u)
    assert got.criterion == pytest.approx(value, rel=2e-4, abs=1e-12)  # 5 digits by hand
    assert got.dense is dense
    assert got.threshold == (0.15 if kind == "continuous" else 0.20)


def test_the_dense_phase_hands_over_to_the_gaussian_continuously(world):
    h = hazard(world, leak(release={"rate_kg_s": 5}, weather={
        "wind_speed_mps": 1.5, "from_deg": 270, "stability": "F"}))
    s = h.summary()
    assert s["plume_dispersion_model"] == "dense (Britter-McQuaid)"
    assert s["plume_dense_criterion"] == pytest.approx(2.0479, rel=2e-4)  # by hand (validation)
    x_t = s["plume_dense_distance_m"]
    assert x_t == pytest.approx(320.39, rel=1e-4)  # C/C0 = 0.002, by hand (validation)
    h.advance(0.0, 1e6)
    x = x_t * np.array([1 - 1e-6, 1 + 1e-6, 1.2, 2.0])
    c = h.sample(-100.0 + x, np.full(4, 525.0))["concentration_mg_m3"]
    # no step at the transition; the workbook's C/C0 = 0.002 of rho0 = 3.61383 kg/m3 there
    # (the 64-point warp is exact at its end); beyond, the passive plume keeps falling
    assert c[1] == pytest.approx(c[0], rel=1e-4)
    assert c[0] == pytest.approx(0.002 * 3.61383e6, rel=1e-4)
    assert c[0] > c[2] > c[3]
    # a passive twin (the same release as light as air) is not what the dense one is
    passive = hazard(world, leak(release={"rate_kg_s": 5}, substance={
        "name": "chlorine, passive", "mw_g_mol": 70.906, "density_kg_m3": 1.0,
        "aegl_ppm": {"aegl2": 2.0, "aegl3": 20.0}}, weather={
        "wind_speed_mps": 1.5, "from_deg": 270, "stability": "F"}))
    assert passive.summary()["plume_dispersion_model"] == "passive Gaussian"
    assert passive.summary()["plume_dense_distance_m"] is None


def test_an_instantaneous_dense_release_takes_the_puff_correlations(world):
    # chlorine 1 kg, u10 = 2 m/s, by hand: V0^(1/3) = 0.651680 m, alpha = 0.5 log10(g0'
    # V0^(1/3) / u^2) = 0.5 log10(13.1122 / 4) = 0.257808; C/C0 = 0.001 (the last ratio):
    # beta = -0.27 alpha + 2.05 = 1.980392 (CCPS instantaneous table) -> x = 10^beta x
    # 0.651680 = 62.29 m, where the centreline is 0.001 x 3.61383 kg/m3 (4 digits by hand)
    h = hazard(world, leak(release={"mass_kg": 1.0}, weather={
        "wind_speed_mps": 2, "from_deg": 270, "stability": "F"}))
    s = h.summary()
    assert s["plume_dispersion_model"] == "dense (Britter-McQuaid)"
    assert s["plume_dense_threshold"] == 0.20
    assert s["plume_dense_criterion"] == pytest.approx(1.8105, rel=2e-4)
    assert s["plume_dense_distance_m"] == pytest.approx(62.29, rel=2e-4)
    x_t = s["plume_dense_distance_m"]
    h.advance(0.0, x_t / h.u_mps)  # the puff's centre is there
    c = h.sample(np.array([-100.0 + x_t]), np.array([525.0]))["concentration_mg_m3"][0]
    assert c == pytest.approx(0.001 * 3.61383e6, rel=1e-3)


def test_text_kpis_survive_the_aggregation_of_replications():
    from citysim.metrics import aggregate_replications

    dense = {"plume_dispersion_model": "dense (Britter-McQuaid)", "plume_dense_criterion": 2.0}
    out = aggregate_replications([dense, dense])
    assert out["plume_dispersion_model"] == "dense (Britter-McQuaid)"
    assert out["plume_dense_criterion"]["mean"] == 2.0
    mixed = aggregate_replications([dense, {"plume_dispersion_model": "passive Gaussian"}])
    assert mixed["plume_dispersion_model"] is None  # replications disagree: no single label


# --- threat zones ----------------------------------------------------------------


def test_threat_zones_grow_with_the_release_rate_and_shrink_with_the_wind(world):
    def zone(rate, wind):
        h = hazard(world, leak(release__rate_kg_s=rate, weather__wind_speed_mps=wind))
        return h.zones[2].area_km2, h.zones[2].distance_m, h.zones[3].distance_m

    by_rate = [zone(r, 3.0) for r in (0.5, 1.0, 2.0, 4.0)]
    by_wind = [zone(1.0, w) for w in (1.5, 3.0, 6.0, 9.0)]
    for a, b in zip(by_rate, by_rate[1:], strict=False):
        assert all(later > earlier for earlier, later in zip(a, b, strict=True))
    for a, b in zip(by_wind, by_wind[1:], strict=False):
        assert all(later < earlier for earlier, later in zip(a, b, strict=True))


def test_threat_zone_matches_a_brute_force_contour_of_the_steady_plume(world):
    # chlorine's levels, released as light as air: passive, the Gaussian plume throughout
    passive = {"name": "chlorine, passive", "mw_g_mol": 70.906, "density_kg_m3": 1.0,
               "aegl_ppm": {"aegl1": 0.5, "aegl2": 2.0, "aegl3": 20.0}}
    h = hazard(world, leak(substance=passive))  # no end: the steady plume, 60-min AEGLs
    assert h.summary()["plume_dispersion_model"] == "passive Gaussian"
    q, u = 2e6, 3.0
    fy, fz = TABLE[("urban", "D")]
    level = ppm_to_mg_m3(2.0, 70.906)  # chlorine AEGL-2, 60 min

    def c(x, y):
        return steady_plume(q, u, fy(x), fz(x), y, 0.0, 2.0)

    lo, hi = 10.0, 1e5  # the farthest reach on the axis, by bisection
    for _ in range(100):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if c(mid, 0.0) >= level else (lo, mid)
    zone = h.zones[2]
    # log-linear interpolation between grid points 0.4 % apart: < 1e-4 relative
    assert zone.distance_m == pytest.approx(lo, rel=1e-4)
    # area: count 2-m cells (x by 1 m steps is exact enough) above the level
    xs = np.arange(1.0, lo + 1.0, 1.0)
    half = np.array([fy(x) * math.sqrt(max(2 * math.log(c(x, 0.0) / level), 0.0)) for x in xs])
    assert zone.area_km2 == pytest.approx(2 * half.sum() / 1e6, rel=2e-3)
    # the polygon outlines the same area (300 vertices per side: within 1 %)
    ring = zone.rings[0]
    shoelace = 0.5 * abs(np.dot(ring[:-1, 0], ring[1:, 1]) - np.dot(ring[1:, 0], ring[:-1, 1]))
    assert np.allclose(ring[0], ring[-1]) and shoelace / 1e6 == pytest.approx(zone.area_km2,
                                                                           rel=0.01)
    # population: persons whose home node has its peak at or above the level
    net, pop = world.network, world.population
    xd = net.node_x_m[pop.home_node] + 100.0
    yc = net.node_y_m[pop.home_node] - 525.0
    inside = np.array([c(x, y) >= level for x, y in zip(xd, yc, strict=True)])
    assert zone.population == pop.persons[inside].sum() > 0


# --- the plume in the model ------------------------------------------------------


def test_the_hazard_carries_the_gas_where_the_wind_blows(world):
    east = hazard(world, leak(source={"location": {"x": 525, "y": 525}}))
    west = hazard(world, leak(source={"location": {"x": 525, "y": 525}}, weather__from_deg=90))
    points = (np.array([900.0, 150.0]), np.array([525.0, 525.0]))
    for h in (east, west):
        h.advance(0.0, 600.0)
    c_east = east.sample(*points)
    c_west = west.sample(*points)
    assert c_east["concentration_mg_m3"][0] > 1.0 and c_east["concentration_mg_m3"][1] == 0.0
    assert c_west["concentration_mg_m3"][1] > 1.0 and c_west["concentration_mg_m3"][0] == 0.0
    assert c_east["concentration_ppm"][0] == pytest.approx(
        c_east["concentration_mg_m3"][0] * 24.45 / 70.906, rel=1e-12)


def test_sheltering_lowers_the_dose_against_staying_home(world):
    block = leak(release={"rate_kg_s": 2, "start": 0, "duration": "10min"})
    home, sheltered = hazard(world, block), hazard(world, block)
    run_exposure(home, everyone_at_home(world, Setting.HOME), 3600.0)
    run_exposure(sheltered, everyone_at_home(world, Setting.SHELTERING), 3600.0)
    exposed = home.dose > 0
    assert exposed.sum() > 100
    assert (sheltered.dose[exposed] < home.dose[exposed]).all()
    assert sheltered.dose.sum() < 0.3 * home.dose.sum()  # 0.2/h sealed, aired out after
    assert sheltered.load.sum() < home.load.sum()


@pytest.mark.parametrize("release,dispersion", [
    ({"rate_kg_s": 2, "start": 0, "duration": "30min"}, "auto"),
    ({"rate_kg_s": 2, "start": 0, "duration": "5min"}, "puffs")])
def test_agents_on_their_node_read_the_node_table_with_the_same_result(world, release,
                                                                       dispersion):
    on_node = everyone_at_home(world, Setting.HOME)
    off_node = People(x_m=on_node.x_m, y_m=on_node.y_m, node=np.full(on_node.node.size, -1),
                      setting=on_node.setting, persons=on_node.persons)
    a, b = (hazard(world, leak(release=release, dispersion=dispersion)) for _ in range(2))
    run_exposure(a, on_node, 1800.0, dt=30.0)
    run_exposure(b, off_node, 1800.0, dt=30.0)
    assert a.load.max() > 0
    np.testing.assert_allclose(a.load, b.load, rtol=1e-12, atol=0)
    np.testing.assert_allclose(a.dose, b.dose, rtol=1e-12, atol=0)


def test_deaths_follow_the_probit_deterministic_and_monotone(world):
    block = leak(release={"rate_kg_s": 1.5, "start": 0, "duration": "15min"})
    people = everyone_at_home(world, Setting.ON_FOOT)
    people.x_m[:], people.y_m[:] = 150.0, 525.0  # all outdoors at one point: one load
    h = hazard(world, block, seed=3)
    run_exposure(h, people, 1200.0)
    load_min = h.load[0] / 60.0
    assert np.allclose(h.load, h.load[0])
    pr = SUBSTANCES["chlorine"].probit
    p = norm.cdf(pr.a + pr.b * math.log(load_min) - 5.0)
    n = h.dead.size
    assert 0.05 < p < 0.95
    # one uniform draw per agent: the dead share is binomial(n, p); 4 sd
    assert abs(h.dead.mean() - p) < 4 * math.sqrt(p * (1 - p) / n)
    again = hazard(world, block, seed=3)
    run_exposure(again, people, 1200.0)
    assert (again.dead == h.dead).all()  # same seed, same deaths
    stronger = hazard(world, leak(release={"rate_kg_s": 2, "start": 0, "duration": "15min"}),
                      seed=3)
    run_exposure(stronger, people, 1200.0)
    assert (stronger.dead >= h.dead).all() and stronger.dead.sum() > h.dead.sum()
    assert h.injured.all()  # far above the AEGL-2 load


def test_warnings_follow_the_front_and_auto_chooses_the_action(world):
    h = hazard(world, leak(release={"rate_kg_s": 2, "start": 60}))
    in2 = h.node_in[2]
    assert in2.any() and not in2.all()
    h.advance(0.0, 60.0)
    assert not h.warned_nodes().any()  # not released yet
    h.advance(60.0, 200.0)  # the front is 600 m downwind: the near part of the zone
    warned = h.warned_nodes()
    assert warned.any() and (warned <= in2).all()
    assert (h.node_arrival_s[warned] <= 260.0).all()
    h.advance(260.0, 3000.0)
    assert (h.warned_nodes() == in2).all()
    # auto: a short release (20 min) -> shelter in the zones; one without end -> evacuate
    # where the gas arrives after the residents could walk out of the AEGL-2 zone
    short = hazard(world, leak(release={"rate_kg_s": 2, "start": 600, "duration": "20min"}))
    short.advance(0.0, 60.0)
    assert set(np.unique(short.protective_action()[short.node_in[2]])) == {2}
    endless = hazard(world, leak(release={"rate_kg_s": 2, "start": 600}))
    endless.advance(0.0, 60.0)
    action = endless.protective_action()
    zone = endless.node_in[2]
    go = zone & (action == 1)
    assert go.any() and (action[zone & ~go] == 2).all() and (action[~zone] != 1).all()
    assert (endless.node_arrival_s[go] - 60.0 > endless.node_escape_s[go]).all()
    endless.advance(60.0, 3000.0)  # the gas is everywhere now: too late to leave
    assert not (endless.protective_action() == 1).any()
    # the rule itself
    zone = np.array([True, True, True, False, False])
    outer = np.array([True, True, True, True, False])
    arrival = np.array([100.0, 2000.0, np.inf, 50.0, 50.0])
    escape = np.array([600.0, 600.0, 600.0, 600.0, 600.0])
    assert auto_action(zone, outer, arrival, escape, 0.0, False).tolist() == [2, 2, 2, 2, 0]
    assert auto_action(zone, outer, arrival, escape, 0.0, True).tolist() == [2, 1, 1, 2, 0]


def test_a_hazmat_incident_stays_until_the_release_ends(world):
    h = hazard(world, leak(release={"rate_kg_s": 2, "start": 120, "duration": "10min"}))
    h.advance(0.0, 60.0)
    assert h.incidents() == []
    h.advance(60.0, 120.0)
    (req,) = h.incidents()
    assert req.kind == "hazmat_leak" and req.hold and req.t_s == 120.0
    assert req.needs == {"engine": 1}  # the small city has no hazmat unit
    assert req.node == h.source_node and h.incidents() == []
    assert h.attend(600.0, {0: (1, 300.0)}) == [] and h.attend(720.0, {0: (1, 300.0)}) == [0]


def test_layers_frame_and_figures(world, tmp_path):
    h = hazard(world, leak(release={"rate_kg_s": 2, "start": 0, "duration": "20min"}))
    run_exposure(h, everyone_at_home(world), 900.0, dt=30.0)
    (features,) = hazard_layers(h, world).values()
    assert [f["properties"]["level"] for f in features] == ["AEGL-1", "AEGL-2", "AEGL-3"]
    for f in features:
        ring = f["geometry"]["coordinates"][0]
        assert f["geometry"]["type"] == "Polygon" and ring[0] == ring[-1] and len(ring) > 10
    frame = h.frame()
    assert frame.grid.shape[0] > 50 and np.nanmax(frame.grid) > 0
    assert np.isnan(frame.grid).any()  # upwind: nothing to draw
    figs = hazard_figures(h, world)
    assert set(figs) == {"chemical_threat_zones", "chemical_exposure_by_action"}
    for name, fig in figs.items():
        image = mpimg.imread(save_figure(fig, tmp_path / f"{name}.png"))
        assert image.shape[0] > 300 and image[..., :3].std() > 0.01


# --- the shipped scenario ------------------------------------------------------------


@pytest.mark.slow
def test_chlorine_scenario_runs_end_to_end_and_keeps_the_contract(tmp_path):
    from pathlib import Path

    from citysim.cli import main
    from tests.contract import contract_problems

    path = Path(__file__).resolve().parents[2] / "scenarios" / "chlorine-leak.yaml"
    out = tmp_path / "chlorine"
    code = main(["run", str(path), "--out", str(out), "--no-progress",
                 "--set", "city.population.residents=8000", "--set", "run.duration=45min",
                 "--set", "behaviour.action=evacuate"])
    assert code == 0
    assert contract_problems(out) == []
    summary = json.loads((out / "summary.json").read_text())
    assert summary["residents_total"] == 8000
    # 5 kg/s of chlorine in 1.5 m/s: dense by Britter-McQuaid (2.05 >= 0.15, by hand in
    # benchmarks/validation/chemical.py), the workbook's correlations out to 320 m
    assert summary["plume_dispersion_model"] == "dense (Britter-McQuaid)"
    assert summary["plume_dense_criterion"] > summary["plume_dense_threshold"] == 0.15
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert (ts[["evacuated", "sheltered_in_place", "not_evacuated", "fatalities"]].sum(axis=1)
            == 8000).all()
    for k in (1, 2, 3):
        assert summary[f"plume_aegl{k}_area_km2"] > 0
        assert summary[f"plume_aegl{k}_distance_m"] > 0
    assert (summary["plume_aegl1_distance_m"] > summary["plume_aegl2_distance_m"]
            > summary["plume_aegl3_distance_m"])
    by_action = pd.read_parquet(out / "exposure_by_action.parquet")
    assert by_action["fatalities"].sum() == summary["plume_fatalities"] == summary["fatalities"]
    assert by_action["injured"].sum() == summary["plume_injured"] > 0
    assert by_action.set_index("action").loc["left_home", "exposed"] > 0
    zones = pd.read_parquet(out / "threat_zones.parquet")
    assert zones["level"].tolist() == ["AEGL-1", "AEGL-2", "AEGL-3"]
    probes = pd.read_parquet(out / "probes.parquet")
    assert probes.groupby("probe")["concentration_mg_m3"].max()["PLANT_GATE"] > 1000
    for png in ("chemical_threat_zones.png", "chemical_exposure_by_action.png"):
        assert (out / "plots" / png).stat().st_size > 10_000


def test_injury_is_the_aegl2_load_of_the_zone_period(world):
    # chlorine AEGL-2 is 2.0 ppm at 60 min and 2.8 ppm at 30 min; probit n = 2:
    # injured from 2.0^2 x 60 = 240 ppm^2 min (default period), 2.8^2 x 30 = 235.2 at 30 min
    for period, load in ((60, 240.0), (30, 235.2)):
        cfg = scenario(leak(zone_period=period)).hazards[0]
        h = ChemicalLeakHazard.from_config(cfg, world, np.random.default_rng(0))
        assert h.injury_load == pytest.approx(load, rel=1e-12)
        assert h.levels_ppm[2] == (2.0 if period == 60 else 2.8)
