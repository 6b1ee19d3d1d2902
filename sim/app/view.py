"""``citysim view``: the drill room, a live browser view of a running scenario with injects.

Built on Mesa's own visualisation stack: a :class:`mesa.visualization.SolaraViz`
page (play, pause, step, speed, reset; sliders for the settings before the
start) shows a :class:`~citysim.view.session.DrillModel` -- the
:class:`~citysim.model.CityModel` of the session -- with the city map
(:mod:`citysim.view.mapdata`, drawn by ``map.vue``), live KPI charts (the
model's Mesa DataCollector, redrawn at each new record) and the inject
controls. Clicking a street closes it (or reopens a street the session
closed); a click on the map elsewhere warns the area around it, starts a
fire or a release there, as the chosen click action says; a unit can be
taken out of service. Every inject is logged with its time and "save
injects" writes ``injects.yaml`` for ``citysim run SCENARIO --injects FILE``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from citysim.app.validate import validate
from citysim.scenario import Scenario
from citysim.scenario.durations import format_duration
from citysim.view.mapdata import STATE_COLOURS, MapGeometry, map_frame
from citysim.view.session import DrillModel

__all__ = ["KPI_SERIES", "Page", "serve"]

KPI_SERIES = (("evacuated", "evacuating", "not_evacuated"), ("fatalities", "injured"),
              ("shelter_occupancy",), ("active_incidents", "busy_units"), ("closed_edges",))
"""The live KPI charts: DataCollector columns drawn together."""
CLICK_ACTIONS = ("warn area (500 m)", "start a fire", "start a release",
                 "open a shelter (1,000 places)")
"""What a click on the map off the streets injects."""
_ROOM: dict[str, Any] = {}
"""The session ``serve`` set up: scenario, world, output folder (one server per process)."""


def save_injects(model: DrillModel, folder: str | os.PathLike[str]) -> Path:
    """Write the session's injects file ``FOLDER/injects.yaml``; return its path."""
    file = Path(folder) / "injects.yaml"
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(model.injects_yaml(), encoding="utf-8")
    return file


def _model_params(scenario: Scenario, world: Any) -> dict[str, Any]:
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
    engines = {s.units.engine for s in scenario.stations}
    if len(engines) == 1:
        params["engines_per_station"] = {"type": "SliderInt", "value": engines.pop(), "min": 0,
                                         "max": 6, "step": 1, "label": "Engines per station"}
    return params


@solara.component_vue(str(Path(__file__).parents[1] / "view" / "map.vue"))
def RoadMap(  # noqa: N802  (a Solara component drawn by map.vue)
    width: int, height: int, streets: list, closed: list, nodes: list, shelters: list,
    units: list, images: list, hazard_dots: list, hazard_labels: list, legend: list,
    scale_px: float, scale_label: str, event_street_click: Any = None,
    event_map_click: Any = None,
) -> None:
    """The city map (:mod:`citysim.view.mapdata`); clicks call back with a street or a point."""


LEGEND = [[label, colour] for label, colour in STATE_COLOURS.values()]
"""The residents' legend: state and colour."""


def kpi_figure(series: dict[str, list[float]], names: tuple[str, ...]) -> Figure:
    """A small chart of recorded KPI columns against scenario time (min)."""
    fig = Figure(figsize=(4.2, 2.4), layout="constrained")
    ax = fig.add_subplot()
    t_min = [t / 60.0 for t in series["t_s"]]
    for name in names:
        ax.plot(t_min, series[name], label=name.replace("_", " "))
    ax.set_xlabel("scenario time (min)")
    ax.legend(fontsize=7, loc="upper left")
    ax.tick_params(labelsize=7)
    return fig


@solara.component
def KpiCharts(model: DrillModel, records: int) -> None:  # noqa: N802  (a Solara component)
    """The live KPI charts, redrawn when the DataCollector records a new row.

    Reads a snapshot of the first ``records`` rows (the model may be stepping
    in another thread meanwhile).
    """
    def snapshot() -> dict[str, list[float]]:
        return {k: list(v[:records]) for k, v in model.datacollector.model_vars.items()}

    figures = solara.use_memo(lambda: [kpi_figure(snapshot(), names) for names in KPI_SERIES],
                              [id(model), records])
    with solara.Row(style={"flex-wrap": "wrap"}):
        for fig in figures:
            solara.FigureMatplotlib(fig, format="png", dependencies=[id(model), records])


@solara.component
def DrillRoom(model_ref: Any, geo: MapGeometry) -> None:  # noqa: N802  (a Solara component)
    """The map, the inject controls and log, and the live KPI charts."""
    update_counter.get()  # redrawn after every step SolaraViz's controller makes
    model = model_ref.value
    action = solara.use_reactive(CLICK_ACTIONS[0])
    unit = solara.use_reactive(model.response.units[0].name if model.response.units
                               else "")
    message = solara.use_reactive("")
    frame = map_frame(model, geo)

    def inject(**kind: Any) -> None:
        from citysim.errors import ScenarioError

        try:
            model_ref.value = model_ref.value.with_inject(**kind)
            message.value = ""
        except ScenarioError as err:
            message.value = "; ".join(str(p) for p in err.problems)

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
        message.value = f"saved {save_injects(model_ref.value, _ROOM['out'])}"

    with solara.Row(style={"align-items": "flex-start"}):
        with solara.Column():
            solara.Text(f"{model.scenario.name} — T+{format_duration(model.t_s)}",
                        classes=["drill-clock"])
            RoadMap(width=geo.width_px, height=geo.height_px, streets=geo.streets,
                     closed=frame["closed"], nodes=frame["nodes"],
                     shelters=frame["shelters"], units=frame["units"],
                     images=frame["images"], hazard_dots=frame["hazard_dots"],
                     hazard_labels=frame["hazard_labels"], legend=LEGEND,
                     scale_px=geo.scale_bar[1], scale_label=f"{geo.scale_bar[0]:g} m",
                     event_street_click=street_click, event_map_click=map_click)
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
            solara.Text("Log" if model.injects else "Log: no inject yet")
            for j in model.injects:
                what = getattr(j, j.kind)
                solara.Text(f"T+{format_duration(j.at)} {j.kind.replace('_', ' ')}"
                            f"{': ' + what if isinstance(what, str) else ''}"
                            f"{': ' + what.id if j.close_road is not None else ''}",
                            classes=["injects-log"])
    KpiCharts(model, len(model.datacollector.model_vars["t_s"]))


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
def Page() -> Any:  # noqa: N802  (Solara's page entry point)
    """The drill-room page of the scenario :func:`serve` set up."""
    scenario, world = _ROOM["scenario"], _ROOM["world"]
    geo = _ROOM["geometry"]
    model_ref: Any = solara.use_reactive(DrillModel(scenario, world))  # noqa: SH101
    with solara.Column() as page:
        SolaraViz(model_ref, components=[], model_params=_model_params(scenario, world),
                  name=f"citysim drill room — {scenario.name}", play_interval=50)
        DrillRoom(model_ref, geo)
    return page


def serve(scenario: Scenario, *, host: str = "127.0.0.1", port: int = 8765,
          out: str | Path | None = None) -> None:
    """Check the scenario (as ``citysim validate``), then serve the drill room until stopped.

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
    from citysim.app.folders import output_folder

    world = validate(scenario)
    _ROOM.update(scenario=scenario, world=world, out=output_folder(scenario, out),
                 geometry=MapGeometry.of(world.network))
    import solara.server.settings
    import uvicorn

    solara.server.settings.main.mode = "production"
    os.environ["SOLARA_APP"] = "citysim.app.view:Page"
    print(f"citysim drill room: http://{host}:{port}/  (Ctrl-C to stop)", flush=True)
    uvicorn.run("solara.server.starlette:app", host=host, port=port, log_level="warning")
