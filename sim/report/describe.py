"""A resolved scenario in plain words, for the first page of a report.

Every function takes the resolved scenario as ``provenance.json`` keeps it
(durations in seconds, defaults filled in) and returns sentences. A hazard
type gets its own sentence from :data:`HAZARD_DESCRIBERS` (flood, chemical
leak, fire, road closure); any other type is listed by its scalar settings.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from citysim.humanize import is_number, number, percent
from citysim.report.kpis import shelter_places
from citysim.scenario.durations import format_duration

__all__ = ["HAZARD_DESCRIBERS", "describe_hazard", "describe_scenario"]

UNIT_WORDS = {"engine": ("engine", "engines"), "ladder": ("ladder", "ladders"),
              "rescue": ("rescue unit", "rescue units"), "hazmat": ("hazmat unit", "hazmat units"),
              "ambulance": ("ambulance", "ambulances")}


def _dur(seconds: Any) -> str:
    return format_duration(float(seconds)) if is_number(seconds) else "—"


def _plural(n: int, one: str, many: str) -> str:
    return f"{number(n)} {one if n == 1 else many}"


def _where(location: dict[str, Any] | None) -> str:
    if not location:
        return "an unstated place"
    if location.get("node") is not None:
        return f"node {location['node']}"
    if location.get("lon") is not None:
        return f"{location['lon']:.5f}° E, {location['lat']:.5f}° N"
    return f"({number(location.get('x'))}, {number(location.get('y'))}) m"


def _steps(series: Any) -> list[tuple[float, float]]:
    """A step series ``[[t, v], ...]`` (or one constant value) as ``(t_s, value)`` pairs."""
    if isinstance(series, list):
        return [(float(t), float(v)) for t, v in series]
    return [(0.0, float(series))]


def _series_peak(series: Any) -> tuple[float, float, float]:
    """Peak value of a step series ``[[t, v], ...]``, when it starts and ends (s)."""
    pairs = _steps(series)
    k = max(range(len(pairs)), key=lambda i: pairs[i][1])
    end = pairs[k + 1][0] if k + 1 < len(pairs) else float("inf")
    return pairs[k][1], pairs[k][0], end


def _series_total(series: Any, duration_s: float, per_s: float) -> float:
    """Integral of a step series over the run, the value given per ``1/per_s`` seconds."""
    pairs = _steps(series)
    total = 0.0
    for k, (t, v) in enumerate(pairs):
        end = min(pairs[k + 1][0] if k + 1 < len(pairs) else duration_s, duration_s)
        total += v * max(end - t, 0.0) * per_s
    return total


def _flood(cfg: dict[str, Any], duration_s: float) -> str:
    peak, start, end = _series_peak(cfg.get("rain_mm_h", 0.0))
    until = "the end" if end == float("inf") else _dur(end)
    total = _series_total(cfg.get("rain_mm_h", 0.0), duration_s, 1 / 3600.0)
    text = (f"Flood: rain peaking at {number(peak)} mm/h from {_dur(start)} to {until} "
            f"({number(total)} mm over the run); sewers drain {number(cfg.get('drainage_mm_h'))} "
            f"mm/h where water stands; roads close at {number(cfg.get('road_closed_depth_m'))} m "
            f"of water; Manning n {number(cfg.get('manning_n'))}; {cfg.get('boundary', 'closed')} "
            "boundary")
    inflows = cfg.get("inflows") or []
    if inflows:
        text += f"; {_plural(len(inflows), 'inflow', 'inflows')} (rivers, broken mains)"
    return text + "."


def _chemical(cfg: dict[str, Any], duration_s: float) -> str:
    substance = cfg.get("substance") or {}
    name = substance.get("name", "a gas") if isinstance(substance, dict) else str(substance)
    release = cfg.get("release") or {}
    if release.get("mass_kg") is not None:
        how = f"{number(release['mass_kg'])} kg released at once"
    else:
        how = f"{number(release.get('rate_kg_s'))} kg/s"
        if release.get("duration") is not None:
            how += f" for {_dur(release['duration'])}"
    if release.get("start"):
        how += f" from {_dur(release['start'])}"
    source = cfg.get("source") or {}
    weather = cfg.get("weather") or {}
    return (f"Toxic release of {name} at {_where(source.get('location'))}, "
            f"{number(source.get('height_m', 0))} m up: {how}; wind "
            f"{number(weather.get('wind_speed_mps'))} m/s from {number(weather.get('from_deg'))}° "
            f"(where it blows from), stability class {weather.get('stability', '—')}, "
            f"{weather.get('terrain', 'urban')} terrain.")


def _fire(cfg: dict[str, Any], duration_s: float) -> str:
    ignitions = cfg.get("ignitions") or []
    times = sorted({_dur(i.get("at", 0)) for i in ignitions})
    wind = cfg.get("wind") or {}
    return (f"Urban fire: {_plural(len(ignitions), 'ignition', 'ignitions')} (at "
            f"{', '.join(times) or '—'}); wind {number(wind.get('speed_mps', 0))} m/s from "
            f"{number(wind.get('from_deg', 0))}°; each fire call needs "
            f"{_units(cfg.get('needs') or {}) or 'no unit'}.")


def _road_closure(cfg: dict[str, Any], duration_s: float) -> str:
    parts = []
    for c in cfg.get("closures") or []:
        when = f"from {_dur(c.get('at', 0))}"
        if c.get("until") is not None:
            when += f" to {_dur(c['until'])}"
        where = _where(c.get("location"))
        if c.get("radius_m"):
            where = f"within {number(c['radius_m'])} m of {where}"
        parts.append(f"{c.get('id')} {c.get('label', 'road blocked')} at {where} {when}")
    return "Roads blocked: " + "; ".join(parts) + "."


HAZARD_DESCRIBERS: dict[str, Callable[[dict[str, Any], float], str]] = {
    "flood": _flood, "chemical_leak": _chemical, "fire": _fire, "road_closure": _road_closure,
}
"""Sentence makers by hazard type: ``(resolved block, run duration s) -> str``."""


def describe_hazard(cfg: dict[str, Any], duration_s: float) -> str:
    """One sentence about a hazard block of the resolved scenario."""
    describe = HAZARD_DESCRIBERS.get(cfg.get("type", ""))
    if describe is not None:
        try:
            return describe(cfg, duration_s)
        except (KeyError, TypeError, ValueError, IndexError):
            pass  # a block this version words differently: list its settings instead
    settings = ", ".join(f"{k} {v}" for k, v in cfg.items()
                         if k != "type" and isinstance(v, int | float | str) and v is not None)
    return f"{cfg.get('type', 'hazard')}: {settings or 'default settings'}."


def _units(units: dict[str, Any]) -> str:
    parts = []
    for kind, (one, many) in UNIT_WORDS.items():
        n = int(units.get(kind) or 0)
        if n:
            parts.append(_plural(n, one, many))
    return ", ".join(parts)


def _network(city: dict[str, Any], world: dict[str, Any]) -> str:
    net = city.get("network") or {}
    info = world.get("network") or {}
    size = ""
    if info.get("nodes"):
        size = f" ({number(info['nodes'])} intersections, {number(info.get('edges'))} road links)"
    syn = net.get("synthetic")
    if syn and syn.get("kind") == "grid":
        span_x = (syn["cols"] - 1) * syn["block_m"] / 1000
        span_y = (syn["rows"] - 1) * syn["block_m"] / 1000
        text = (f"A synthetic grid city of {syn['rows']} x {syn['cols']} intersections, "
                f"{number(syn['block_m'])} m blocks ({span_x:.1f} x {span_y:.1f} km)")
    elif syn:
        text = (f"A synthetic ring-and-spoke city of {syn.get('rings')} rings and "
                f"{syn.get('spokes')} spokes, {number(syn.get('ring_spacing_m'))} m apart")
    else:
        source = net.get("osm") or net.get("graphml")
        kind = "OpenStreetMap" if net.get("osm") else "GraphML"
        text = f"The road network of {Path(str(source)).name} ({kind})"
    text += size
    terrain = city.get("terrain") or {}
    if terrain.get("synthetic"):
        t = terrain["synthetic"]
        text += (f"; terrain: a synthetic {t.get('kind')} ({number(t.get('cell_m'))} m cells"
                 + (f", {number(t.get('depth_m'))} m relief" if t.get("depth_m") else "") + ")")
    elif terrain.get("asc"):
        text += f"; terrain from {Path(str(terrain['asc'])).name}"
    if city.get("origin"):
        text += f"; placed at {_where(city['origin'])}"
    return text + "."


def _population(city: dict[str, Any], world: dict[str, Any]) -> str:
    pop = city.get("population") or {}
    persons = world.get("persons", pop.get("residents"))
    agents = world.get("agents")
    dist = pop.get("distribution", "uniform")
    where = ("spread evenly over the intersections" if dist == "uniform" else
             f"placed by {dist}" if isinstance(dist, str) else
             "placed by " + ", ".join(f"{k} {v}" for k, v in dist.items() if v is not None))
    text = f"{number(persons)} residents"
    if agents and pop.get("persons_per_agent", 1) != 1:
        text += f" ({number(agents)} agents of {pop['persons_per_agent']} persons)"
    return f"{text}, {where}."


def _shelters(scenario: dict[str, Any], persons: float) -> str:
    shelters = scenario.get("shelters") or []
    if not shelters:
        return "No public shelters."
    cap = sum(shelter_places(s) for s in shelters)
    largest = max(shelters, key=shelter_places)
    text = (f"{_plural(len(shelters), 'public shelter', 'public shelters')} with "
            f"{number(cap)} places in all")
    if persons:
        text += f" ({percent(cap / persons)} of the residents)"
    label = largest.get("name") or largest.get("id")
    return text + f"; the largest, {label}, holds {number(shelter_places(largest))}."


def _stations(scenario: dict[str, Any]) -> str:
    stations = scenario.get("stations") or []
    if not stations:
        return "No fire stations."
    totals: dict[str, int] = {}
    for s in stations:
        for kind, n in (s.get("units") or {}).items():
            totals[kind] = totals.get(kind, 0) + int(n or 0)
    turnouts = sorted({_dur(s.get("turnout", 0)) for s in stations})
    return (f"{_plural(len(stations), 'fire station', 'fire stations')} with "
            f"{_units(totals) or 'no units'}; turnout {', '.join(turnouts)}.")


def _behaviour(b: dict[str, Any]) -> str:
    warnings = b.get("warnings") or []
    if warnings:
        said = "; ".join(f"at {_dur(w['at'])} reaching {percent(w.get('reach', 1), 0)}"
                         for w in warnings)
        text = f"Warnings are issued {said}, and by the hazards where they strike"
    else:
        text = "No scheduled warning: residents are warned by the hazards where they strike"
    delay = b.get("response_delay") or {}
    median = delay.get("median", delay.get("mean", delay.get("value")))
    if median is not None:
        text += f"; residents act after a delay of about {_dur(median)} ({delay.get('dist')})"
    action = {"auto": "chosen by the hazard (evacuate, or shelter in place from a toxic cloud)",
              "evacuate": "evacuate", "shelter_in_place": "shelter in place"}.get(
                  b.get("action", "auto"), b.get("action"))
    share = b.get("mode_share") or {}
    text += (f"; {percent(b.get('compliance'), 0)} comply; the action is {action}; "
             f"{percent(share.get('walk'), 0)} walk and {percent(share.get('car'), 0)} drive "
             f"({number(b.get('persons_per_car'))} per car).")
    return text


def _response(r: dict[str, Any]) -> str:
    calls = (r.get("background_calls") or {}).get("rate_per_h", 0)
    service = r.get("service_time") or {}
    median = service.get("median", service.get("mean", service.get("value")))
    busy = ("waits in a queue" if r.get("when_all_busy", "queue") == "queue"
            else "is lost")
    return (f"The closest available unit by current travel time is sent; the arrival standard is "
            f"{_dur(r.get('standard'))} after the call (queue wait, turnout and travel); "
            f"units stay on scene about {_dur(median)}; "
            f"{number(calls)} everyday calls per hour; a call that finds every unit busy "
            f"{busy}.")


def _run(run: dict[str, Any]) -> str:
    reps = int(run.get("replications", 1))
    return (f"{_dur(run.get('duration'))} simulated in steps of {_dur(run.get('dt'))}, seed "
            f"{run.get('seed')}, {_plural(reps, 'replication', 'replications')}.")


def describe_dispersion(summary: dict[str, Any]) -> str | None:
    """Which dispersion model governed a chemical release, and why (``None`` without one).

    Parameters
    ----------
    summary
        ``summary.json`` of the run (its ``plume_*`` keys).
    """
    model = summary.get("plume_dispersion_model")
    crit, threshold = summary.get("plume_dense_criterion"), summary.get("plume_dense_threshold")
    if not isinstance(model, str) or not is_number(crit) or not is_number(threshold):
        return None
    sigma = str(summary.get("plume_sigma", "briggs")).replace("_", "-").title()
    if model.startswith("dense"):
        distance = summary.get("plume_dense_distance_m")
        reach = f"to {number(distance)} m from the source" if is_number(distance) else "near it"
        return (f"A dense gas: its Britter-McQuaid criterion is {crit:.2f}, at or above "
                f"{threshold:g}, so the workbook's heavy-cloud correlations govern {reach}, "
                f"and the passive Gaussian model ({sigma} coefficients) beyond.")
    return (f"A passive gas: its Britter-McQuaid criterion is {crit:.2f}, below {threshold:g}, "
            f"so the Gaussian model ({sigma} coefficients) governs throughout.")


def describe_scenario(scenario: dict[str, Any],
                      world: dict[str, Any] | None = None,
                      summary: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """The scenario in plain words, one sentence per topic.

    Parameters
    ----------
    scenario
        The resolved scenario (``provenance.json["scenario"]``).
    world
        The built world's description (``provenance.json["world"]``), for
        the network size and the persons actually placed.
    summary
        ``summary.json``: what the run found out about the scenario (which
        dispersion model governed a release).

    Returns
    -------
    list of (topic, sentence)
    """
    world = world or {}
    city = scenario.get("city") or {}
    run = scenario.get("run") or {}
    persons = float(world.get("persons") or (city.get("population") or {}).get("residents") or 0)
    items = [("City", _network(city, world)), ("People", _population(city, world)),
             ("Shelters", _shelters(scenario, persons)), ("Stations", _stations(scenario))]
    hazards = scenario.get("hazards") or []
    if hazards:
        for cfg in hazards:
            items.append(("Hazard", describe_hazard(cfg, float(run.get("duration") or 0))))
        dispersion = describe_dispersion(summary or {})
        if dispersion is not None:
            items.append(("Dispersion", dispersion))
    else:
        items.append(("Hazard", "None: a normal day of everyday calls."))
    items += [("Behaviour", _behaviour(scenario.get("behaviour") or {})),
              ("Response", _response(scenario.get("response") or {})),
              ("Run", _run(run))]
    return items
