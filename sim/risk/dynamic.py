"""Dynamic mode: the events that dominate risk as full citysim runs.

The static QRA (:mod:`citysim.risk.qra`) counts people where they live,
indoors or out, without warning or movement. Here each chosen event -- one
loss of containment in one weather class with the wind from one direction --
becomes the base scenario with that ``chemical_leak`` as its hazard (the
release from time 0, ``run.duration`` from ``dynamic.duration``,
``dynamic.replications`` replications): the city's warnings, residents sheltering in place or
evacuating, the indoor air of their homes and the response all play out,
and the run's ``plume_fatalities`` is the event's dynamic death toll. The
runs are made as a batch's (:class:`citysim.experiments.runs.RunPool`):
result folders ``<out>/runs/<run_id>/``, on Dask with ``--workers`` or
``--scheduler``, and resumable: a run with its ``run.json`` is never made
again.

- **Which events**: the static events are grouped over day and night (the
  runs have no clock of presence); the ``events`` groups with the largest
  static ``f N`` are simulated; the others keep their static deaths, so the
  dynamic F-N curve and PLL differ from the static ones only where the city
  was simulated.
- **Deaths**: each agent's lethal toxic load is drawn from the probit (the
  leak's own random stream), so a run's toll is one draw of a random
  variable whose mean, for residents who stay outdoors, is the static
  expected deaths.
- **Replications**: an event of frequency ``f`` simulated ``R`` times
  (replication ``r`` = replication ``r`` of ``citysim run``, seeded from
  ``SeedSequence(seed).spawn(R)[r]``) counts ``N = mean_r N_r`` deaths in
  ``events.csv``, the inventory and PLL (``f mean_r N_r``); in the F-N
  curve each replication is an outcome of frequency ``f / R`` (the curve of
  the event's distribution of tolls, not of its mean: the same PLL, and a
  bad replication shows at its own ``N``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from citysim.experiments.risk_spec import RiskExperiment
from citysim.experiments.runs import RunPool, RunSpec
from citysim.risk.qra import fn_curve
from citysim.risk.runs import hazard_runs
from citysim.scenario import Override

__all__ = ["EVENT_KEYS", "add_dynamic", "event_specs", "run_dynamic"]

EVENT_KEYS = ("source", "loss", "stability", "wind_speed_mps", "from_deg")
"""Columns of ``events`` that name a simulated event (day and night together)."""


def _leak(exp: RiskExperiment, xy: tuple[float, float], event: Any) -> dict[str, Any]:
    """The ``chemical_leak`` block of one event, in the base scenario's frame."""
    source = next(s for s in exp.sources if s.id == event.source)
    loss = next(r for r in source.losses if r.id == event.loss)
    release: dict[str, Any] = ({"mass_kg": loss.mass_kg, "start": 0.0}
                               if loss.mass_kg is not None else
                               {"rate_kg_s": loss.rate_kg_s, "start": 0.0,
                                "duration": loss.duration})
    block: dict[str, Any] = {
        "type": "chemical_leak",
        "source": {"location": {"x": float(xy[0]), "y": float(xy[1])},
                   "height_m": loss.height_m},
        "substance": source.substance.model_dump(mode="json"),
        "release": release,
        "weather": {"wind_speed_mps": float(event.wind_speed_mps),
                    "from_deg": float(event.from_deg), "stability": event.stability,
                    "terrain": exp.weather.terrain}}
    if exp.dynamic.air_exchange is not None:
        block["air_exchange"] = exp.dynamic.air_exchange.model_dump()
    return block


def event_specs(exp: RiskExperiment, sources_xy: np.ndarray, events: pd.DataFrame,
                overrides: tuple[Override, ...] = ()) -> dict[tuple[Any, ...], list[RunSpec]]:
    """The runs of the dominant events: ``dynamic.replications`` :class:`RunSpec` per event key.

    Each run is the base scenario (with ``overrides`` first: a what-if
    variant's shelters and stations) with ``hazards`` set to the event's
    leak and ``run.duration`` from ``dynamic.duration``
    (:func:`citysim.risk.runs.hazard_runs`: replication ``r`` of ``citysim
    run``, content-derived ids, found again by a later attempt).
    """
    base = Path(exp.base)
    groups = (events.assign(f_n=events["frequency_per_year"] * events["deaths"])
              .groupby(list(EVENT_KEYS), sort=False)["f_n"].sum())
    chosen = groups[groups > 0].sort_values(ascending=False, kind="stable").head(
        exp.dynamic.events)
    index = {s.id: i for i, s in enumerate(exp.sources)}
    leaks = []
    for key in chosen.index:
        event = pd.Series(dict(zip(EVENT_KEYS, key, strict=True)))
        leaks.append(_leak(exp, tuple(sources_xy[index[event.source]]), event))
    runs = hazard_runs(base, leaks, float(exp.dynamic.duration), overrides=overrides,
                       replications=exp.dynamic.replications)
    return dict(zip(chosen.index, runs, strict=True))


def run_dynamic(exp: RiskExperiment, sources_xy: np.ndarray, events: pd.DataFrame,
                runs_dir: Path, *, client: Any = None, overrides: tuple[Override, ...] = ()
                ) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Simulate the dominant events; return the events with ``deaths_dynamic``, F-N and PLL.

    Parameters
    ----------
    exp
        The risk file.
    sources_xy
        The sources in the city's frame (m), in the file's order.
    events
        The static events (:attr:`citysim.risk.RiskResult.events`).
    runs_dir
        Folder of the run folders (``<out>/runs``): resumable as a batch's.
    client
        A Dask client to make the runs on (:func:`citysim.experiments.cluster.open_client`);
        ``None``: this process.
    overrides
        Scenario overrides of every run, before the event's (a variant's).

    Returns
    -------
    events
        With ``simulated`` (bool), ``deaths_dynamic`` (the mean toll over the
        event's replications for simulated events, the static deaths for the
        others) and ``deaths_dynamic_runs`` (the tolls, ``;``-separated).
    fn
        The dynamic F-N curve (``n, frequency_per_year``): each replication
        of a simulated event is an outcome of ``1/R`` of its frequency.
    pll
        The dynamic PLL (per year).

    Raises
    ------
    RuntimeError
        When a run failed (its folder keeps ``error.json``; run again to retry).
    """
    specs = event_specs(exp, sources_xy, events, overrides)
    records = RunPool(Path(runs_dir), client=client).run(
        [spec for runs in specs.values() for spec in runs], desc="dynamic runs")
    failed = [r for r in records.values() if r["status"] != "ok"]
    if failed:
        raise RuntimeError(f"{len(failed)} dynamic run(s) failed, e.g. {failed[0]['run_id']}: "
                           f"{failed[0]['error']}")
    tolls = {key: [float(records[spec.run_id]["summary"].get("plume_fatalities") or 0.0)
                   for spec in runs] for key, runs in specs.items()}
    keys = list(events[list(EVENT_KEYS)].itertuples(index=False, name=None))
    out = events.assign(simulated=[k in tolls for k in keys], deaths_dynamic=[
        float(np.mean(tolls[k])) if k in tolls else d
        for k, d in zip(keys, events["deaths"], strict=True)],
        deaths_dynamic_runs=[";".join(f"{n:g}" for n in tolls.get(k, ())) for k in keys],
        run_id=[";".join(s.run_id for s in specs.get(k, ())) for k in keys])
    pll = float((out["frequency_per_year"] * out["deaths_dynamic"]).sum())
    # the F-N curve: every replication of a simulated event is an outcome of f / R
    reps = [tolls.get(k, [d]) for k, d in zip(keys, events["deaths"], strict=True)]
    freq = np.repeat(out["frequency_per_year"].to_numpy() / [len(r) for r in reps],
                     [len(r) for r in reps])
    fn = fn_curve(freq, np.array([n for r in reps for n in r], dtype=np.float64))
    return out, fn, pll


def add_dynamic(exp: RiskExperiment, result: Any, runs_dir: Path, *, client: Any = None,
                overrides: tuple[Override, ...] = ()) -> None:
    """Run :func:`run_dynamic` and add its numbers to a static :class:`~citysim.risk.RiskResult`.

    ``events`` gains ``simulated``, ``deaths_dynamic`` and ``run_id``, the
    inventory ``pll_dynamic_per_year``, the summary ``pll_dynamic_per_year``
    and ``events_simulated``; ``fn_dynamic`` is set.
    """
    events, fn, pll = run_dynamic(exp, result.sources_xy, result.events, runs_dir,
                                  client=client, overrides=overrides)
    result.events = events
    result.fn_dynamic = fn
    by = (events.assign(x=events["frequency_per_year"] * events["deaths_dynamic"])
          .groupby(["source", "loss"], sort=False)["x"].sum())
    inv = result.inventory
    inv.insert(inv.columns.get_loc("pll_static_per_year") + 1, "pll_dynamic_per_year",
               [float(by.get((s, r), 0.0)) for s, r in zip(inv["source"], inv["loss"],
                                                             strict=True)])
    result.summary.update({"pll_dynamic_per_year": pll, "mode": exp.mode,
                           "events_simulated": int(events.drop_duplicates(
                               list(EVENT_KEYS))["simulated"].sum()),
                           "replications_per_event": exp.dynamic.replications})
