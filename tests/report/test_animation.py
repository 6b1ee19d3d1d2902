"""Animations: frames recorded during the run, drawn into a GIF a briefing can show."""

import subprocess

import numpy as np
import pandas as pd
from matplotlib.animation import writers
from PIL import Image

from citysim.app.run import run
from citysim.hazards.base import Frame
from citysim.plots.animation import MAX_FRAMES, AnimationFrame, write_animation
from citysim.rng import world_streams
from citysim.scenario import load_scenario_text
from citysim.world.builder import build_world
from tests.scenarios import SMALL_CITY


def test_run_writes_a_gif_of_every_recorded_frame(storm):
    out, folder = storm
    with Image.open(folder / "animation.gif") as gif:
        assert gif.format == "GIF" and gif.n_frames == len(out.frames) > 1
        gif.seek(0)
        first = np.asarray(gif.convert("RGB")).astype(int)
        gif.seek(gif.n_frames - 1)
        last = np.asarray(gif.convert("RGB")).astype(int)
    assert [f.t_s for f in out.frames] == list(np.arange(0.0, 6001.0, 300.0))  # every 5 min
    mp4 = folder / "animation.mp4"
    assert mp4.is_file() == writers.is_available("ffmpeg")  # MP4 where ffmpeg exists
    if mp4.is_file():
        probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames",
                                "-show_entries", "stream=codec_name,nb_read_frames", "-of",
                                "csv=p=0", str(mp4)], capture_output=True, text=True, check=True)
        assert probe.stdout.strip() == f"h264,{len(out.frames)}"
    assert np.abs(first - last).sum() > 0  # the clock, the water, the people move
    flood, closure = zip(*(f.hazards for f in out.frames), strict=True)
    assert all(h is None for h in closure[:4])  # the lorry arrives at 20 min
    assert all(h is not None and len(h.x_m) == 2 for h in closure[4:12])  # until 60 min
    assert all(h is None for h in closure[12:])  # reopened at 60 min


def test_frames_are_bounded_and_end_at_the_end(tmp_path):
    text = SMALL_CITY.replace("duration: 20min", "duration: 2h").replace(
        "every: 2min", "every: 10s").replace("plots: false", "plots: false\n  animation: true")
    out = run(load_scenario_text(text, base_dir=tmp_path))
    t = np.array([f.t_s for f in out.frames])
    assert 100 <= len(t) <= MAX_FRAMES  # 721 record times
    assert t[0] == 0 and t[-1] == 7200 and np.all(np.diff(t) > 0)
    assert np.ptp(np.diff(t)[:-1]) == 0  # evenly spaced but for the last
    assert all(len(f.x_m) == 1668 for f in out.frames)  # every agent (fewer than the cap)
    assert all(f.persons.sum() == 5003 for f in out.frames)


def test_recording_frames_never_changes_the_run(tmp_path):
    text = SMALL_CITY + (
        "behaviour: {warnings: [{at: 60}], response_delay: {dist: fixed, value: 60}}\n"
        "response: {background_calls: {rate_per_h: 10}}\n")
    plain = run(load_scenario_text(text, base_dir=tmp_path))
    drawn = run(load_scenario_text(
        text.replace("plots: false", "plots: false\n  animation: true"), base_dir=tmp_path))
    assert drawn.frames and not plain.frames
    for name in ("timeseries", "incidents", "shelters"):
        pd.testing.assert_frame_equal(getattr(plain, name), getattr(drawn, name))
    same = {k: v for k, v in plain.summary.items() if k != "wall_time_s"}
    assert same == {k: v for k, v in drawn.summary.items() if k != "wall_time_s"}


def test_hazard_grid_and_residents_are_drawn(tmp_path):
    scenario = load_scenario_text(SMALL_CITY, base_dir=tmp_path)
    world = build_world(scenario, world_streams(0))
    n_units, n_sh = int(world.stations.units.sum()), len(world.shelters)
    grid = np.zeros((20, 20))
    frames = []
    for k in range(3):  # water spreading over the south-west quarter
        grid = grid.copy()
        grid[: 5 * (k + 1), : 5 * (k + 1)] = 1.0
        frames.append(AnimationFrame(
            t_s=600.0 * k, hazards=(Frame("water depth (m)", grid=grid,
                                          extent_m=(0.0, 1050.0, 0.0, 1050.0)),),
            x_m=np.array([800.0]), y_m=np.array([800.0]), group=np.array([2], dtype=np.int8),
            persons=np.array([1, 0, 1, 0, 0, 0, 0]), unit_x_m=np.full(n_units, 600.0),
            unit_y_m=np.full(n_units, 450.0), unit_busy=np.arange(n_units) == 0,
            shelter_load=np.linspace(0, 1, n_sh)))
    written = write_animation(frames, world, tmp_path, title="test", fps=2)
    gif = tmp_path / "animation.gif"
    assert written[0] == gif and len(written) == 1 + writers.is_available("ffmpeg")
    with Image.open(gif) as image:
        assert image.n_frames == 3 and image.info["duration"] == 500
        blue = []
        for i in range(3):
            image.seek(i)
            rgb = np.asarray(image.convert("RGB")).astype(int)
            blue.append(int(((rgb[..., 2] - rgb[..., 0] > 60) & (rgb[..., 2] > 120)).sum()))
    assert blue[0] < blue[1] < blue[2]  # the water grows on the map
    assert not list(tmp_path.glob(".*.tmp"))
