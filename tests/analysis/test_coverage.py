"""Station coverage: exact against brute force, monotone, closures and slow roads, the map."""

import math

import matplotlib.image as mpimg
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from citysim.analysis import coverage_nodes, station_coverage, street_pairs
from citysim.plots import save_figure
from citysim.plots.coverage import plot_coverage_map
from citysim.rng import world_streams
from citysim.scenario import load_scenario_text
from citysim.world.builder import World, build_world
from citysim.world.network import RoadNetwork
from citysim.world.population import Population
from citysim.world.road_classes import CLASS_INDEX
from citysim.world.sites import UNIT_TYPES, Probes, Shelters, Stations
from tests.scenarios import SMALL_CITY

# --------------------------------------------------------------------------- a hand-made city
#
#   0 ---- 1 ---- 2 ---- 3          A: engine station at 0 (turnout 60 s)
#   |      |      |      |          B: two engines at 7 (turnout 95 s)
#   |      |      v      |          C: rescue only, at 2 (turnout 0): not an engine station
#   4 ---- 5 ---- 6 ---- 7 ~~ 8     2 -> 6 one-way; 7 ~ 8 a pedestrian street (no cars)

X = np.array([0.0, 310.0, 590.0, 905.0, 5.0, 295.0, 610.0, 900.0, 1200.0])
Y = np.array([300.0, 305.0, 296.0, 300.0, 0.0, 4.0, -3.0, 0.0, 10.0])
TWO_WAY = [(0, 1, 11.0), (1, 2, 9.5), (2, 3, 10.5), (4, 5, 7.0), (5, 6, 8.5), (6, 7, 7.5),
           (0, 4, 6.0), (1, 5, 5.5), (3, 7, 6.5)]  # (u, v, speed m/s)
ONE_WAY = [(2, 6, 12.0)]
FOOT = [(7, 8), (8, 7)]
HOMES = {0: 120, 1: 80, 2: 200, 3: 50, 4: 90, 5: 150, 6: 60, 7: 110, 8: 40}
STATIONS = {  # id: (node, turnout_s, units by type)
    "A": (0, 60.0, {"engine": 1}),
    "B": (7, 95.0, {"engine": 2, "ladder": 1}),
    "C": (2, 0.0, {"rescue": 1}),
}


def hand_world() -> World:
    tail, head, speed, cls = [], [], [], []
    for u, v, s in TWO_WAY:
        tail += [u, v]
        head += [v, u]
        speed += [s, s]
        cls += [CLASS_INDEX["residential"]] * 2
    for u, v, s in ONE_WAY:
        tail.append(u)
        head.append(v)
        speed.append(s)
        cls.append(CLASS_INDEX["residential"])
    for u, v in FOOT:
        tail.append(u)
        head.append(v)
        speed.append(1.3)
        cls.append(CLASS_INDEX["pedestrian"])
    tail, head = np.array(tail), np.array(head)
    length = 1.07 * np.hypot(X[head] - X[tail], Y[head] - Y[tail])  # streets bend a little
    net = RoadNetwork.from_edges(X, Y, tail, head, length_m=length, road_class=np.array(cls),
                                 speed_mps=np.array(speed))
    homes = np.repeat(list(HOMES), 1)
    population = Population(home_node=homes.astype(np.int64),
                            persons=np.array(list(HOMES.values()), dtype=np.int64))
    units = np.zeros((len(STATIONS), len(UNIT_TYPES)), dtype=np.int64)
    for k, (_, _, u) in enumerate(STATIONS.values()):
        for kind, count in u.items():
            units[k, UNIT_TYPES.index(kind)] = count
    nodes = np.array([s[0] for s in STATIONS.values()], dtype=np.int64)
    stations = Stations(id=list(STATIONS), name=list(STATIONS), x_m=X[nodes], y_m=Y[nodes],
                        node=nodes, units=units,
                        turnout_s=np.array([s[1] for s in STATIONS.values()]))
    empty = np.zeros(0)
    shelters = Shelters(id=[], name=[], kind=[], x_m=empty, y_m=empty,
                        node=np.zeros(0, dtype=np.int64), capacity=np.zeros(0, dtype=np.int64))
    probes = Probes(id=[], x_m=empty, y_m=empty, node=np.zeros(0, dtype=np.int64))
    return World(network=net, population=population, shelters=shelters, stations=stations,
                 probes=probes, terrain=None, crs=None)


def brute_force(world: World, standard_s: float, unit: str = "engine", samples: int = 4000):
    """networkx all-pairs Dijkstra, then every street sampled point by point."""
    net = world.network
    g = nx.DiGraph()
    g.add_nodes_from(range(net.n_nodes))
    drivable = net.drivable
    for e in np.flatnonzero(drivable):
        g.add_edge(int(net.edge_tail[e]), int(net.edge_head[e]),
                   w=float(net.travel_time_s[e]), length=float(net.length_m[e]))
    dist = dict(nx.all_pairs_dijkstra_path_length(g, weight="w"))
    st = world.stations
    col = UNIT_TYPES.index(unit)
    sources = [k for k in range(len(st)) if st.units[k, col] > 0]
    n = net.n_nodes
    time = np.full(n, math.inf)
    owner = np.full(n, -1)
    for v in range(n):
        options = sorted((st.turnout_s[k] + dist[int(st.node[k])][v], k) for k in sources
                         if v in dist[int(st.node[k])])
        if options:
            if len(options) > 1:
                assert options[1][0] - options[0][0] > 1e-6, "the case must have no ties"
            time[v], owner[v] = options[0]
    pop = np.zeros(n)
    for v, p in HOMES.items():
        pop[v] = p
    covered_pop = pop[time <= standard_s].sum()

    # streets: each undirected pair once; arrival at a point = min over the usable directions
    f = (np.arange(samples) + 0.5) / samples
    total = covered = 0.0
    district_m = np.zeros(len(st))
    district_covered_m = np.zeros(len(st))
    latest = np.full(len(st), -math.inf)
    seen = set()
    for u, v in g.edges:
        if (v, u) in seen or (u, v) in seen:
            continue
        seen.add((u, v))
        length = g.edges[u, v]["length"]
        arrive = [time[u] + f * g.edges[u, v]["w"]]
        side_owner = [owner[u]]
        if g.has_edge(v, u):
            arrive.append(time[v] + (1 - f) * g.edges[v, u]["w"])
            side_owner.append(owner[v])
        arrive = np.array(arrive)
        best = arrive.min(axis=0)
        who = np.array(side_owner)[arrive.argmin(axis=0)]
        total += length
        covered += length * np.mean(best <= standard_s)
        for k in range(len(st)):
            mine = (who == k) & np.isfinite(best)
            district_m[k] += length * mine.mean()
            district_covered_m[k] += length * (mine & (best <= standard_s)).mean()
            if mine.any():
                latest[k] = max(latest[k], best[mine].max())
    return {"time": time, "owner": owner, "pop": pop, "covered_pop": covered_pop,
            "total_m": total, "covered_m": covered, "district_m": district_m,
            "district_covered_m": district_covered_m, "latest": latest,
            "tolerance_m": 2 * total / samples}


@pytest.mark.parametrize("standard_s", [70.0, 110.0, 135.0, 170.0, 400.0])
def test_coverage_equals_brute_force(standard_s):
    world = hand_world()
    cov = station_coverage(world, standard_s=standard_s)
    ref = brute_force(world, standard_s)
    np.testing.assert_allclose(cov.time_s, ref["time"], rtol=1e-12)
    np.testing.assert_array_equal(cov.station, ref["owner"])
    assert cov.time_s[8] == math.inf and cov.station[8] == -1  # on foot only
    assert cov.covered_population == ref["covered_pop"]
    assert cov.total_population == sum(HOMES.values())
    assert cov.coverage_fraction == pytest.approx(ref["covered_pop"] / sum(HOMES.values()))
    # each street once: nine two-way, one one-way; the footway is not road for engines
    assert cov.total_road_m == pytest.approx(ref["total_m"], rel=1e-12)
    assert cov.covered_road_m == pytest.approx(ref["covered_m"], abs=ref["tolerance_m"])
    table = cov.stations.set_index("station")
    tol_km = ref["tolerance_m"] / 1000.0
    for k, sid in enumerate(STATIONS):
        row = table.loc[sid]
        assert row["district_population"] == ref["pop"][ref["owner"] == k].sum()
        assert row["covered_population"] == ref["pop"][(ref["owner"] == k)
                                                       & (ref["time"] <= standard_s)].sum()
        assert row["district_road_km"] == pytest.approx(ref["district_m"][k] / 1000, abs=tol_km)
        assert row["covered_road_km"] == pytest.approx(ref["district_covered_m"][k] / 1000,
                                                       abs=tol_km)
        if math.isfinite(ref["latest"][k]):
            assert row["district_max_time_s"] == pytest.approx(ref["latest"][k], abs=0.05)
            assert row["meets_time_standard"] == (row["district_max_time_s"] <= standard_s)
        else:
            assert row["district_max_time_s"] is None or np.isnan(row["district_max_time_s"])
    assert table["district_road_km"].sum() == pytest.approx(cov.total_road_m / 1000)


def test_station_without_an_engine_is_ignored():
    world = hand_world()
    cov = station_coverage(world, standard_s=120.0)
    c = list(STATIONS).index("C")
    assert c not in set(cov.station.tolist())
    row = cov.stations.set_index("station").loc["C"]
    assert row["units"] == 0 and row["district_population"] == 0
    assert row["district_road_km"] == 0 and row["district_area_km2"] == 0
    # the same station counts for its rescue unit: it is the only one, with no turnout
    rescue = station_coverage(world, standard_s=120.0, unit="rescue")
    assert set(rescue.station[np.isfinite(rescue.time_s)].tolist()) == {c}
    assert rescue.time_s[2] == 0.0
    np.testing.assert_allclose(rescue.time_s, brute_force(world, 120.0, unit="rescue")["time"])
    with pytest.raises(ValueError, match="unit must be one of"):
        station_coverage(world, standard_s=120.0, unit="boat")


def test_raster_districts_tile_the_bounding_box():
    world = hand_world()
    cov = station_coverage(world, standard_s=135.0, raster_cell_m=10.0)
    r = cov.raster
    net = world.network
    xmin, ymin, xmax, ymax = net.bounds_m
    assert r.station.size * r.cell_area_km2 == pytest.approx((xmax - xmin) * (ymax - ymin) / 1e6)
    # each cell: the district and coverage of its nearest node (checked by brute force)
    cx = (r.x_edges_m[:-1] + r.x_edges_m[1:]) / 2
    cy = (r.y_edges_m[:-1] + r.y_edges_m[1:]) / 2
    gx, gy = np.meshgrid(cx, cy)
    d2 = (gx[..., None] - net.node_x_m) ** 2 + (gy[..., None] - net.node_y_m) ** 2
    nearest = d2.argmin(axis=-1)
    np.testing.assert_array_equal(r.station, cov.station[nearest])
    np.testing.assert_array_equal(r.covered, cov.covered[nearest])
    areas = cov.stations["district_area_km2"].to_numpy()
    unreached = (r.station < 0).sum() * r.cell_area_km2
    assert areas.sum() + unreached == pytest.approx(r.station.size * r.cell_area_km2)
    assert cov.raster_area_fraction == pytest.approx(r.covered.mean())


def test_street_pairs_count_two_way_streets_once():
    world = hand_world()
    net = world.network
    fwd, rev = street_pairs(net, net.drivable)
    assert fwd.size == len(TWO_WAY) + len(ONE_WAY)
    assert (rev >= 0).sum() == len(TWO_WAY)
    both = rev >= 0
    np.testing.assert_array_equal(net.edge_tail[fwd[both]], net.edge_head[rev[both]])
    np.testing.assert_array_equal(net.edge_head[fwd[both]], net.edge_tail[rev[both]])
    assert not set(fwd) & set(rev)


# --------------------------------------------------------------------------- scenarios


@pytest.fixture(scope="module")
def small_world(tmp_path_factory):
    scenario = load_scenario_text(SMALL_CITY, base_dir=tmp_path_factory.mktemp("small"))
    return build_world(scenario, world_streams(scenario.run.seed))


def test_more_time_never_covers_less(small_world):
    net = small_world.network
    fwd, _ = street_pairs(net, net.drivable)
    runs = [station_coverage(small_world, standard_s=s) for s in (60, 90, 120, 150, 200, 600)]
    for key in ("coverage_fraction", "area_fraction", "raster_area_fraction"):
        values = [getattr(c, key) for c in runs]
        assert values == sorted(values), key
        assert values[0] < values[-1] == 1.0, key
    # a grid of two-way streets: each street once, half the drivable edge length
    assert runs[0].total_road_m == pytest.approx(net.length_m[net.drivable].sum() / 2)
    assert fwd.size * 2 == int(net.drivable.sum())


def test_closures_and_slow_roads_lengthen_times(small_world):
    net = small_world.network
    base = station_coverage(small_world, standard_s=120.0)
    slow = station_coverage(small_world, standard_s=120.0, speed_factor=np.full(net.n_edges, 0.5))
    turnout = float(small_world.stations.turnout_s[0])
    np.testing.assert_allclose(slow.time_s - turnout, 2 * (base.time_s - turnout))
    closed = np.zeros(net.n_edges, dtype=bool)
    closed[net.rev_edges[net.rev_indptr[5]:net.rev_indptr[6]]] = True  # nothing drives into 5
    shut = station_coverage(small_world, standard_s=120.0, closed=closed)
    assert shut.time_s[5] == math.inf and (shut.time_s >= base.time_s).all()
    assert shut.area_fraction < base.area_fraction


# --------------------------------------------------------------------------- the map


def test_map_marks_gaps_unreached_nodes_and_stations(tmp_path):
    world = hand_world()
    cov = station_coverage(world, standard_s=110.0)
    fig = plot_coverage_map(world, cov)
    ax = fig.axes[0]
    gids = {c.get_gid() for c in ax.collections}
    assert {"covered", "gaps", "unreached", "stations"} <= gids
    assert "within 1 min 50 s of dispatch" in ax.get_title()
    labels = [t.get_text() for t in ax.texts]
    assert "A" in labels and "B" in labels and "C (no engine)" in labels
    image = mpimg.imread(save_figure(fig, tmp_path / "m.png"))
    assert image[..., :3].std() > 0.05
    frame = coverage_nodes(world, cov)
    assert pd.isna(frame.loc[8, "station"]) and np.isnan(frame.loc[8, "time_s"])
    assert frame.loc[0, "station"] == "A" and frame.loc[7, "station"] == "B"
