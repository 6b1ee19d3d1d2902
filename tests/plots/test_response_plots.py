import matplotlib.image as mpimg
import numpy as np
import pandas as pd

from citysim.plots import plot_response_times, plot_unit_availability, save_figure


def test_response_time_figure(tmp_path):
    inc = pd.DataFrame({"response_time_s": [60.0, 200.0, 290.0, 400.0, np.nan],
                        "station": ["F1", "F1", "F2", "F2", None]})
    fig = plot_response_times(inc, 300.0)
    ax = fig.axes[0]
    assert "p50" in ax.get_title() and len(ax.get_lines()) >= 4  # all, F1, F2, standard
    path = save_figure(fig, tmp_path / "r.png")
    assert mpimg.imread(path)[..., :3].std() > 0.01
    empty = plot_response_times(inc.iloc[4:], 300.0)
    assert "no incident" in empty.axes[0].texts[0].get_text()


def test_unit_availability_figure(tmp_path):
    ts = pd.DataFrame({"t_s": np.arange(0, 7200, 600.0), "busy_units": [0, 1, 2, 3, 3, 2] * 2,
                       "active_incidents": [0, 1, 2, 4, 3, 2] * 2})
    fig = plot_unit_availability(ts, 3)
    assert fig.axes[0].get_ylim()[1] >= 4
    assert mpimg.imread(save_figure(fig, tmp_path / "u.png"))[..., :3].std() > 0.01
