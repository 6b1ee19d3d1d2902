"""``citysim view``: the drill room, a live browser view of a running scenario with injects.

Built on Mesa's own visualisation stack: a :class:`mesa.visualization.SolaraViz`
page (play, pause, step, speed, reset; sliders for the settings before the
start) shows a :class:`~citysim.view.session.DrillModel` -- the
:class:`~citysim.model.CityModel` of the session -- with the city map
(:mod:`citysim.view.mapdata`, drawn by ``map.vue`` on canvases), live KPI
charts (the model's Mesa DataCollector, drawn in the page by ``kpi.vue`` at
each new record) and the inject controls; injects are applied to the live
model (:meth:`~citysim.model.CityModel.apply_inject`). What a page shows is
its :class:`Room`, the argument of :func:`DrillRoomPage`.
Clicking a street closes it (or reopens a street the session closed); a
click on the map elsewhere warns the area around it, starts a fire or a
release there, as the chosen click action says; a unit can be taken out of
service. Every inject is logged with its time and "save
injects" writes ``injects.yaml`` for ``citysim run SCENARIO --injects FILE``.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import force_update, update_counter

from citysim.app.validate import validate
from citysim.errors import ScenarioError
from citysim.scenario import Scenario
from citysim.scenario.durations import format_duration
from citysim.view.mapdata import STATE_COLOURS, STATE_PALETTE, MapGeometry, map_frame
from citysim.view.session import DrillModel, station_units
from citysim.world.builder import World

__all__ = ["KPI_CHARTS", "DrillRoomPage", "Room", "serve"]

KPI_CHARTS: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("persons", ("evacuated", "evacuating", "not_evacuated"), 1.0),
    ("casualties", ("fatalities", "injured"), 1.0),
    ("in shelters", ("shelter_occupancy",), 1.0),
    ("incidents and units", ("incidents_waiting", "active_incidents", "busy_units"), 1.0),
    ("response time (min)", ("response_time_mean_s", "response_time_last_s"), 60.0),
    ("first arrivals within the standard", ("within_standard_share",), 1.0),
    ("closed road segments", ("closed_edges",), 1.0),
)
"""The live KPI charts: title, DataCollector columns drawn together, their unit (divided by)."""
CLICK_ACTIONS = ("warn area (500 m)", "start a fire", "start a release",
                 "open a shelter (1,000 places)")
"""What a click on the map off the streets injects."""


@dataclass(frozen=True)
class Room:
    """What a drill-room app shows: the scenario, its city, its map and where to save.

    Immutable, the argument of :func:`DrillRoomPage` (no module state): two
    apps in one process share nothing; each browser session has its own
    model.
    """

    scenario: Scenario
    world: World
    out: Path
    geometry: MapGeometry

    @classmethod
    def of(cls, scenario: Scenario, world: World, out: str | os.PathLike[str]) -> Room:
        """The room of a checked scenario and its built city, saving into ``out``."""
        return cls(scenario, world, Path(out), MapGeometry.of(world.network))


def save_injects(model: DrillModel, folder: str | os.PathLike[str]) -> Path:
    """Write the session's injects file ``FOLDER/injects.yaml``; return its path."""
    file = Path(folder) / "injects.yaml"
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(model.injects_yaml(), encoding="utf-8")
    return file


def _model_params(scenario: Scenario, world: World) -> dict[str, Any]:
    """SolaraViz's model parameters: the scenario and city, and the sliders (before the start)."""
    b = scenario.behaviour
    params: dict[str, Any] = {
        "scenario": scenario, "world": world,
        "compliance": {"type": "SliderFloat", "value": float(b.compliance), "min": 0.0,
                       "max": 1.0, "step": 0.05, "label": "Compliance"},
        "walk_share": {"type": "SliderFloat", "value": float(b.mode_share.walk), "min": 0.0,
                       "max": 1.0, "step": 0.05, "label": "Walking share"},
    }
    if b.warnings:
        params["warning_at_min"] = {"type": "SliderFloat", "value": b.warnings[0].at / 60.0,
                                    "min": 0.0, "max": 60.0, "step": 1.0,
                                    "label": "Warning at (min)"}
        params["warning_reach"] = {"type": "SliderFloat", "value": float(b.warnings[0].reach),
                                   "min": 0.05, "max": 1.0, "step": 0.05,
                                   "label": "Warning reach"}
    for kind, count in station_units(scenario).items():
        params[f"{kind}_per_station"] = {"type": "SliderInt", "value": count, "min": 0,
                                         "max": max(6, count), "step": 1,
                                         "label": f"{kind.capitalize()} units per station"}
    return params


@solara.component_vue(str(Path(__file__).parents[1] / "view" / "map.vue"))
def RoadMap(  # noqa: N802  (a Solara component drawn by map.vue)
    width: int, height: int, streets: list, node_xy: list, palette: list, closed: list,
    nodes: list, shelters: list, units: list, images: list, hazard_dots: list,
    hazard_labels: list, legend: list, scale_px: float, scale_label: str, t_s: float,
    event_street_click: Any = None, event_map_click: Any = None,
) -> None:
    """The city map (:mod:`citysim.view.mapdata`); clicks call back with a street or a point.

    Every argument is a property of one widget: an update sends only those
    that changed (the streets and nodes once; the page draws the streets
    once to a canvas and redraws only the dynamic layers).
    """


LEGEND = tuple(STATE_COLOURS.values())
"""The residents' legend: state and colour."""


@solara.component_vue(str(Path(__file__).parents[1] / "view" / "kpi.vue"))
def KpiChartsView(  # noqa: N802  (a Solara component drawn by kpi.vue)
    charts: list, t_min: list, series: dict,
) -> None:
    """Small line charts drawn in the page: ``charts`` (title, columns, standard), the series."""


def kpi_series(model_vars: dict[str, list[Any]], records: int) -> tuple[list, dict]:
    """The first ``records`` rows of the KPI columns :data:`KPI_CHARTS` draws, in their units.

    Returns scenario time (min) and each column (NaN as ``None``: JSON has no NaN).
    """
    t_min = [float(t) / 60.0 for t in model_vars["t_s"][:records]]
    series = {name: [None if v is None or math.isnan(v) else float(v) / unit
                     for v in model_vars[name][:records]]
              for _, names, unit in KPI_CHARTS for name in names}
    return t_min, series


@solara.component
def KpiCharts(model: DrillModel, records: int) -> None:  # noqa: N802  (a Solara component)
    """The live KPI charts, sent to the page when the DataCollector records a new row.

    Reads a snapshot of the first ``records`` rows (the model may be stepping
    in another thread meanwhile); the page draws them (no image per update).
    """
    standard_min = float(model.scenario.response.standard) / 60.0
    charts = solara.use_memo(lambda: [
        {"title": title, "names": list(names),
         "standard": standard_min if names[0].startswith("response_time") else None}
        for title, names, _ in KPI_CHARTS], [standard_min])
    t_min, series = solara.use_memo(lambda: kpi_series(model.datacollector.model_vars, records),
                                    [id(model), records])
    KpiChartsView(charts=charts, t_min=t_min, series=series)


@solara.component
def LiveMap(model: DrillModel, geo: MapGeometry, on_street: Any,  # noqa: N802
            on_point: Any) -> None:
    """The clock, the map and the KPI charts: what is redrawn after every step."""
    update_counter.get()  # redrawn after every step SolaraViz's controller makes
    frame = map_frame(model, geo)
    static = solara.use_memo(lambda: (geo.streets_flat, geo.node_xy), [geo])
    solara.Text(f"{model.scenario.name} — T+{format_duration(model.t_s)}",
                classes=["drill-clock"])
    RoadMap(width=geo.width_px, height=geo.height_px, streets=static[0], node_xy=static[1],
            palette=STATE_PALETTE, closed=frame["closed"], nodes=frame["nodes"],
            shelters=frame["shelters"], units=frame["units"], images=frame["images"],
            hazard_dots=frame["hazard_dots"], hazard_labels=frame["hazard_labels"],
            legend=[list(item) for item in LEGEND], scale_px=geo.scale_bar[1],
            scale_label=f"{geo.scale_bar[0]:g} m",
            t_s=frame["t_s"], event_street_click=on_street, event_map_click=on_point)
    KpiCharts(model, len(model.datacollector.model_vars["t_s"]))


@solara.component
def DrillRoom(model_ref: Any, room: Room) -> None:  # noqa: N802  (a Solara component)
    """The live map and charts, the inject controls and the log of the session's model."""
    model = model_ref.value
    geo = room.geometry
    action = solara.use_reactive(CLICK_ACTIONS[0])
    unit = solara.use_reactive(model.response.units[0].name if model.response.units
                               else "")
    message = solara.use_reactive("")
    logged = solara.use_reactive(0)  # the log is redrawn after an inject, not every step

    def inject(**kind: Any) -> None:
        try:
            model_ref.value.add_inject(**kind)
            message.value = ""
        except ScenarioError as err:
            message.value = "; ".join(str(p) for p in err.problems)
        except ValueError as err:  # the run is over
            message.value = str(err)
        logged.value += 1
        force_update()  # the map shows the inject now, without waiting for a step

    def street_click(k: int) -> None:
        closures = {j.close_road.id: j for j in model.injects if j.close_road is not None}
        reopened = {j.reopen_road for j in model.injects if j.reopen_road is not None}
        mine = [cid for cid, j in closures.items() if cid not in reopened
                and k in _street_of(j, geo, model)]
        if mine:
            inject(reopen_road=mine[0])
            return
        x1, y1, x2, y2 = geo.streets[k]
        x, y = geo.to_m((x1 + x2) / 2, (y1 + y2) / 2)
        inject(close_road={"id": f"R{len(closures) + 1}",
                           "location": {"x": round(x, 1), "y": round(y, 1)}})

    def map_click(xy: list[float]) -> None:
        x, y = geo.to_m(*xy)
        where = {"x": round(x, 1), "y": round(y, 1)}
        if action.value == CLICK_ACTIONS[0]:
            inject(warning={"location": where, "radius_m": 500.0})
        elif action.value == CLICK_ACTIONS[1]:
            inject(fire={"location": where})
        elif action.value == CLICK_ACTIONS[2]:
            inject(release={"location": where})
        else:
            extra = sum(j.shelter is not None for j in model.injects)
            inject(shelter={"id": f"X{extra + 1}", "location": where, "capacity": 1000})

    def save() -> None:
        message.value = f"saved {save_injects(model_ref.value, room.out)}"

    with solara.Row(style={"align-items": "flex-start"}):
        with solara.Column():
            LiveMap(model, geo, street_click, map_click)
        with solara.Column(style={"min-width": "260px"}):
            solara.Text("Injects: click a street to close or reopen it")
            solara.Select(label="Click on the map", values=list(CLICK_ACTIONS),
                          value=action)
            names = [u.name for u in model.response.units]
            if names:
                solara.Select(label="Unit", values=names, value=unit)
                solara.Button("Out of service",
                              on_click=lambda: inject(out_of_service=unit.value))
                solara.Button("Back in service",
                              on_click=lambda: inject(back_in_service=unit.value))
            solara.Button("Save injects", on_click=save, color="primary")
            if message.value:
                solara.Text(message.value, classes=["injects-message"])
            _ = logged.value  # read here, so that each inject redraws the panel and its log
            solara.Text("Log" if model.injects else "Log: no inject yet")
            for j in model.injects:
                what = getattr(j, j.kind)
                solara.Text(f"T+{format_duration(j.at)} {j.kind.replace('_', ' ')}"
                            f"{': ' + what if isinstance(what, str) else ''}"
                            f"{': ' + what.id if j.close_road is not None else ''}",
                            classes=["injects-log"])


def _street_of(inject: Any, geo: MapGeometry, model: DrillModel) -> list[int]:
    """Streets a close_road inject closed: those whose edges its closure holds."""
    from citysim.hazards.closure import RoadClosureHazard

    for hazard in model.hazards:
        if isinstance(hazard, RoadClosureHazard):
            ids = [c.id for c in hazard.cfg.closures]
            if inject.close_road.id in ids:
                edges = set(hazard.edges[ids.index(inject.close_road.id)].tolist())
                return [k for k, e in enumerate(geo.street_edges) if edges & set(e)]
    return []


@solara.component
def DrillRoomPage(room: Room) -> Any:  # noqa: N802  (a Solara component)
    """The drill-room page of ``room``: Mesa's ``SolaraViz`` controls and the drill room.

    The room is the component's argument, not module state: two apps in one
    process share nothing, and each browser session gets its own model.
    """
    first = solara.use_memo(lambda: DrillModel(room.scenario, room.world), [])
    model_ref: Any = solara.use_reactive(first)
    with solara.Column() as page:
        SolaraViz(model_ref, components=[], model_params=_model_params(room.scenario,
                                                                       room.world),
                  name=f"citysim drill room — {room.scenario.name}", play_interval=1)
        DrillRoom(model_ref, room)
    return page


def serve(scenario: Scenario, *, host: str = "127.0.0.1", port: int = 8765,
          out: str | Path | None = None) -> None:
    """Check the scenario (as ``citysim validate``), then serve the drill room until stopped.

    The page, :class:`DrillRoomPage` of the room, is registered with Solara as
    the ``Page`` of a module made for this server
    (``citysim_drill_room_<port>``): nothing is kept in this module.

    Parameters
    ----------
    scenario
        The loaded scenario.
    host, port
        Where to listen (default loopback only).
    out
        Folder ``injects.yaml`` is saved into (default: the run's output folder).

    Raises
    ------
    ScenarioError
        When the scenario is bad input (the same problems as ``citysim validate``).
    """
    import sys
    import types

    from citysim.app.folders import output_folder

    world = validate(scenario)
    room = Room.of(scenario, world, output_folder(scenario, out))
    app = types.ModuleType(f"citysim_drill_room_{port}", "The drill room this server shows.")
    app.__file__ = __file__  # Solara finds an app module by its file
    app.Page = DrillRoomPage(room)  # type: ignore[attr-defined]
    sys.modules[app.__name__] = app
    import solara.server.settings
    import uvicorn

    solara.server.settings.main.mode = "production"
    os.environ["SOLARA_APP"] = app.__name__
    print(f"citysim drill room: http://{host}:{port}/  (Ctrl-C to stop)", flush=True)
    uvicorn.run("solara.server.starlette:app", host=host, port=port, log_level="warning")
