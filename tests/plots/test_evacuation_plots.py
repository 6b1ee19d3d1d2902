"""Evacuation figures on small synthetic tables: the artists drawn, empty inputs, PNGs."""

from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from citysim.agents.states import State
from citysim.app.run import run
from citysim.plots import (
    plot_evacuation_curve,
    plot_evacuation_time_map,
    plot_shelter_loads,
    save_figure,
)
from citysim.plots.evacuation import node_evacuation_times
from citysim.rng import world_streams
from citysim.scenario import load_scenario
from citysim.scenario.loader import load_scenario_text
from citysim.world.builder import build_world
from tests.scenarios import SMALL_CITY, write_scenario

TOTAL = 1000


def timeseries(minutes: int = 60, evacuees: int = 800) -> pd.DataFrame:
    t = np.arange(minutes + 1) * 60.0
    done = np.round(evacuees / (1 + np.exp(-(t - 1200.0) / 200.0))).astype(int)
    walk = (done * 0.7).astype(int)
    going = np.round(150 * np.exp(-(((t - 900.0) / 400.0) ** 2))).astype(int)
    going_walk = (going * 0.8).astype(int)
    return pd.DataFrame({
        "t_s": t, "evacuated": done, "evacuated_walk": walk, "evacuated_car": done - walk,
        "evacuating": going, "evacuating_walk": going_walk, "evacuating_car": going - going_walk,
        "shelter_occupancy": done,
    })


def shelters(n: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(n)
    cap = rng.integers(50, 3000, n)
    peak = np.minimum(cap, rng.integers(0, 3000, n))
    full = peak == cap
    return pd.DataFrame({
        "shelter": [f"S{i + 1}" for i in range(n)],
        "name": [f"Shelter number {i + 1} with a rather long name" for i in range(n)],
        "capacity": cap, "peak_occupancy": peak,
        "turned_away": np.where(full, rng.integers(1, 200, n), 0),
        "t_full_s": np.where(full, rng.uniform(300, 3000, n), np.nan),
    })


def gids(ax) -> list[str]:
    return [line.get_gid() for line in ax.lines if line.get_gid()]


def test_curve_draws_total_and_modes_in_a_shelter_and_on_the_way():
    fig = plot_evacuation_curve(timeseries(), TOTAL, p50_s=1200.0, p90_s=1800.0)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert gids(ax) == ["evacuated", "evacuated_walk", "evacuated_car",
                        "evacuating", "evacuating_walk", "evacuating_car"]
    styles = {line.get_gid(): line.get_linestyle() for line in ax.lines if line.get_gid()}
    assert styles["evacuated"] == "-" and styles["evacuating"] == "--"
    # p50 and p90 marked, in minutes on a 1 h run
    marks = [line for line in ax.lines if not line.get_gid()]
    assert sorted(line.get_xdata()[0] for line in marks) == [20.0, 30.0]
    assert "min" in ax.get_xlabel() and ax.get_ylim()[1] >= TOTAL
    assert any("%" in (a.get_ylabel() or "") for a in fig.axes[0].child_axes)


def test_curve_in_hours_for_long_runs_and_without_optional_columns():
    ts = timeseries(minutes=300)[["t_s", "evacuated", "evacuating"]]
    fig = plot_evacuation_curve(ts, TOTAL, p50_s=float("nan"))
    ax = fig.axes[0]
    assert gids(ax) == ["evacuated", "evacuating"]
    assert "(h)" in ax.get_xlabel() and np.isclose(ax.get_xlim()[1], 5.0)


@pytest.mark.parametrize("ts", [timeseries(evacuees=0), timeseries().iloc[:0]],
                         ids=["nobody evacuates", "no rows"])
def test_curve_of_nothing_is_still_a_figure(ts):
    fig = plot_evacuation_curve(ts, 0)
    assert isinstance(fig, Figure)


@pytest.mark.parametrize("n", [2, 6, 30])
def test_shelter_loads_one_bar_per_shelter_sorted_by_capacity(n):
    table = shelters(n)
    fig = plot_shelter_loads(table, timeseries())
    ax = fig.axes[0]
    bars = {c.get_label(): c for c in ax.containers}
    assert len(bars["peak occupancy"]) == n and len(bars["capacity"]) == n
    widths = [p.get_width() for p in bars["capacity"]]
    assert widths == sorted(table["capacity"])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1].startswith(table.loc[table["capacity"].idxmax(), "shelter"] + " ")
    texts = " ".join(t.get_text() for t in ax.texts)
    assert texts.count("full at") == int(table["t_full_s"].notna().sum())
    assert texts.count("turned away") == int((table["turned_away"] > 0).sum())
    if (table["turned_away"] > 0).any():
        assert len(bars["turned away"]) == n
    assert len(fig.axes) == 2 and gids(fig.axes[1]) == ["shelter_occupancy"]


def test_shelter_loads_without_timeseries_or_shelters():
    fig = plot_shelter_loads(shelters(4))
    assert len(fig.axes) == 1
    fig = plot_shelter_loads(shelters(0), timeseries())
    assert isinstance(fig, Figure) and not fig.axes[0].containers


@pytest.fixture(scope="module")
def world():
    return build_world(load_scenario_text(SMALL_CITY, base_dir=Path(__file__).parent),
                       world_streams(11))


def agents(world, *, arrive: bool = True) -> pd.DataFrame:
    n = 200
    rng = np.random.default_rng(3)
    state = np.where(np.arange(n) % 10 == 0, State.EVACUATING, State.EVACUATED)
    state[np.arange(n) % 10 == 1] = State.AT_HOME
    if not arrive:
        state[state == State.EVACUATED] = State.DECIDING
    t = np.where(state == State.EVACUATED, rng.uniform(300, 3000, n), np.nan)
    return pd.DataFrame({
        "home_node": rng.integers(0, world.network.n_nodes, n), "persons": 3,
        "mode": rng.integers(0, 2, n), "state": state.astype(np.int8), "t_arrive_s": t,
        "shelter": np.where(np.isfinite(t), 0, -1),
    })


def test_time_map_points_crosses_shelters_and_colour_bar(world):
    table = agents(world)
    fig = plot_evacuation_time_map(world, table)
    ax = fig.axes[0]
    layers = {c.get_gid(): c for c in ax.collections if c.get_gid()}
    arrived = table[np.isfinite(table["t_arrive_s"])]
    assert len(layers["arrived"].get_offsets()) == arrived["home_node"].nunique()
    on_way = table[table["state"] == State.EVACUATING]
    assert len(layers["not_arrived"].get_offsets()) == on_way["home_node"].nunique()
    assert len(layers["shelters"].get_offsets()) == len(world.shelters)
    assert [t.get_text() for t in ax.texts] == list(world.shelters.id)
    assert len(fig.axes) == 2 and "min" in fig.axes[1].get_ylabel()  # the colour bar
    minutes = layers["arrived"].get_array()
    assert minutes.min() >= 5 and minutes.max() <= 50


def test_time_map_with_no_arrivals_draws_crosses_without_colour_bar(world):
    fig = plot_evacuation_time_map(world, agents(world, arrive=False))
    layers = {c.get_gid() for c in fig.axes[0].collections}
    assert "arrived" not in layers and "not_arrived" in layers and len(fig.axes) == 1
    fig = plot_evacuation_time_map(world, agents(world).iloc[:0])
    assert isinstance(fig, Figure)


def test_node_times_weighted_mean_and_median():
    home = np.array([5, 5, 5, 2, 7])
    persons = np.array([1, 1, 2, 4, 1])
    t = np.array([100.0, 200.0, 400.0, 50.0, np.nan])
    nodes, arrived, mean = node_evacuation_times(home, persons, t)
    np.testing.assert_array_equal(nodes, [2, 5])
    np.testing.assert_array_equal(arrived, [4, 4])
    np.testing.assert_allclose(mean, [50.0, 275.0])
    _, _, median = node_evacuation_times(home, persons, t, statistic="median")
    np.testing.assert_allclose(median, [50.0, 200.0])
    with pytest.raises(ValueError, match="statistic"):
        node_evacuation_times(home, persons, t, statistic="mode")


def test_written_pngs_are_not_blank(tmp_path, world):
    figures = {
        "curve": plot_evacuation_curve(timeseries(), TOTAL, p50_s=1200.0),
        "loads": plot_shelter_loads(shelters(5), timeseries()),
        "map": plot_evacuation_time_map(world, agents(world)),
    }
    for name, fig in figures.items():
        image = mpimg.imread(save_figure(fig, tmp_path / f"{name}.png"))
        assert image.shape[0] > 300 and image.shape[1] > 300
        assert image[..., :3].std() > 0.05
        assert fig.canvas.manager is None  # not held by pyplot: nothing to close


def test_run_plots_of_several_replications_draw_replication_0(tmp_path):
    text = SMALL_CITY.replace("plots: false", "plots: true").replace(
        "seed: 11}", "seed: 11, replications: 2}")
    text += ("behaviour: {warnings: [{at: 0}], action: evacuate,"
             " response_delay: {dist: fixed, value: 60}}\n")
    out = run(load_scenario(write_scenario(tmp_path, text)), out=tmp_path / "out")
    assert out.replications["replication"].tolist() == [0, 1]
    written = sorted(p.name for p in (tmp_path / "out" / "plots").glob("*.png"))
    # no background calls here: no response-time figure, but the units are drawn
    assert written == ["city_map.png", "evacuation_curve.png", "evacuation_time_map.png",
                       "residents_by_state.png", "shelter_loads.png", "unit_availability.png"]
