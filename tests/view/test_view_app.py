"""The drill-room app in one process: each app holds its own room and sessions (no module state)."""

from __future__ import annotations

import ipyvuetify as v
import solara
import yaml

from citysim.app.validate import validate
from citysim.app.view import KPI_CHARTS, DrillRoomPage, Room, kpi_series
from citysim.scenario import load_scenario
from citysim.view.session import DrillModel
from tests.view.drill_city import DRILL_CITY


def _texts(rc) -> list[str]:
    return [w.children[0] for w in rc.find(v.Html).widgets
            if w.children and isinstance(w.children[0], str)]


def test_two_drill_rooms_in_one_process_share_nothing(tmp_path):
    rooms = []
    for name in ("drill-town", "other-town"):
        path = tmp_path / f"{name}.yaml"
        path.write_text(DRILL_CITY.replace("name: drill-town", f"name: {name}"))
        scenario = load_scenario(path)
        rooms.append(Room.of(scenario, validate(scenario), tmp_path / name))
    _, first = solara.render(DrillRoomPage(rooms[0]), handle_error=False)
    _, second = solara.render(DrillRoomPage(rooms[1]), handle_error=False)
    assert "drill-town — T+0s" in _texts(first) and "other-town — T+0s" in _texts(second)
    assert not any("other-town" in t for t in _texts(first))
    # an inject in one app is that app's session only: each saves into its own room
    first.find(v.Btn, children=["Out of service"]).widget.click()
    for rc in (first, second):
        rc.find(v.Btn, children=["Save injects"]).widget.click()
    saved = [yaml.safe_load((room.out / "injects.yaml").read_text()) for room in rooms]
    assert saved[0]["scenario"] == "drill-town" and saved[1]["scenario"] == "other-town"
    assert saved[0]["injects"] == [{"at": 0.0, "out_of_service": "F1-engine1"}]
    assert saved[1]["injects"] == []
    # a new page of the first room starts its own session from the first room's scenario
    _, third = solara.render(DrillRoomPage(rooms[0]), handle_error=False)
    assert "Log: no inject yet" in _texts(third) and "drill-town — T+0s" in _texts(third)


def test_kpi_series_follow_the_response_counters(tmp_path):
    path = tmp_path / "drill.yaml"
    path.write_text(DRILL_CITY.replace("rate_per_h: 6", "rate_per_h: 30")
                    .replace("duration: 16min", "duration: 40min"))
    model = DrillModel(load_scenario(path))
    while model.running:
        model.step()
    rows = len(model.datacollector.model_vars["t_s"])
    t_min, series = kpi_series(model.datacollector.model_vars, rows)
    assert set(series) == {n for _, names, _ in KPI_CHARTS for n in names}
    assert t_min[-1] == model.t_s / 60.0
    # the counters agree with the incidents table, computed here from its rows
    inc = model.incidents_frame()
    reached = inc["response_time_s"].dropna()
    assert len(reached) >= 3
    assert model.datacollector.model_vars["first_arrivals"][-1] == len(reached)
    assert series["within_standard_share"][-1] == (reached <= 300.0).mean()
    assert abs(series["response_time_mean_s"][-1] - reached.mean() / 60.0) < 1e-9
    assert series["response_time_last_s"][-1] == inc.sort_values("t_arrive_s")[
        "response_time_s"].dropna().iloc[-1] / 60.0
    assert series["incidents_waiting"][0] == 0
