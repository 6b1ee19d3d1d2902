"""CityModel: the step loop that wires the world, hazards and agents together."""

from __future__ import annotations

import math
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim.agents.residents import Residents
from sim.agents.states import STATE_COLUMNS, final_groups, persons_by_state
from sim.errors import Problem, ScenarioError
from sim.hazards.base import Hazard, check_fields
from sim.io.tables import INCIDENT_COLUMNS, PROBE_COLUMNS, SHELTER_COLUMNS, typed_frame
from sim.rng import Streams
from sim.routing import next_hop_tree
from sim.world.builder import World, build_world

FREE_WALK_SPEED_MPS = 1.34
"""Free walking speed used to weight routes to shelters (Weidmann 1993)."""


def build_hazards(scenario: Any, world: World, streams: Streams) -> list[Hazard]:
    """Build the scenario's hazards, each with its own random stream.

    Parameters
    ----------
    scenario
        The loaded scenario.
    world
        The built world.
    streams
        The replication's random streams; hazard ``i`` of type ``T`` draws
        from ``hazards[i].T``.

    Returns
    -------
    list of Hazard

    Raises
    ------
    ScenarioError
        When a hazard type has no simulation model yet.
    """
    from sim.hazards.registry import hazard_model, runnable_hazards

    hazards: list[Hazard] = []
    problems: list[Problem] = []
    for i, cfg in enumerate(scenario.hazards):
        model = hazard_model(cfg.type)
        if model is None:
            known = ", ".join(runnable_hazards()) or "none yet"
            problems.append(scenario.problem(
                ("hazards", i, "type"),
                f"hazard type {cfg.type!r} is valid but this version of citysim cannot simulate "
                f"it yet (simulated hazard types: {known})",
            ))
            continue
        hazard = model.from_config(cfg, world, streams.generator(f"hazards[{i}].{cfg.type}"))
        broken = check_fields(hazard, world.network.n_edges)
        if broken:
            raise RuntimeError(f"hazard {cfg.type!r} breaks its field contract: {broken}")
        hazards.append(hazard)
    if problems:
        raise ScenarioError(problems)
    return hazards


class CityModel(mesa.Model):
    """A city under an emergency, stepped at a fixed agent time step.

    ``step()`` advances simulated time by ``run.dt`` in this order; every
    stage reads and writes arrays and none reaches back into an earlier one:

    1. **hazards advance** to t + dt;
    2. **hazards act on the world**: per-edge speed factors multiply, a factor
       of 0 closes the edge; when closures change, the residents' next-hop
       tree toward the shelters with room is recomputed (once, for all);
    3. **warnings**, 4. **residents move**, 5. **incidents appear**,
       6. **dispatch**: stages added by the residents and response models;
    7. **record**: every ``outputs.every`` the DataCollector takes the
       model-level series and probes sample the hazards. Recording never
       changes the simulation.

    Parameters
    ----------
    scenario
        A loaded, validated scenario.
    seed_sequence
        Root seed of this replication (see :mod:`sim.rng`).
    world
        A world already built from the same scenario and seed, to reuse.
    """

    def __init__(
        self,
        scenario: Any,
        seed_sequence: np.random.SeedSequence,
        *,
        world: World | None = None,
    ) -> None:
        streams = Streams(seed_sequence)
        super().__init__(rng=streams.generator("mesa"))
        self.scenario = scenario
        self.streams = streams
        self.world = world if world is not None else build_world(scenario, streams)
        self.hazards = build_hazards(scenario, self.world, streams)
        self.residents = Residents.at_home(self.world.population)
        self.dt_s = float(scenario.run.dt)
        self.duration_s = float(scenario.run.duration)
        self.n_steps = math.ceil(self.duration_s / self.dt_s - 1e-9)
        self.record_every_s = float(scenario.outputs.every)
        self.t_s = 0.0
        n_edges = self.world.network.n_edges
        self.edge_speed_factor = np.ones(n_edges)
        self.edge_closed = np.zeros(n_edges, dtype=bool)
        self.shelter_occupancy = np.zeros(len(self.world.shelters), dtype=np.int64)
        self.shelter_peak = np.zeros(len(self.world.shelters), dtype=np.int64)
        self.shelter_arrivals = np.zeros(len(self.world.shelters), dtype=np.int64)
        self.shelter_turned_away = np.zeros(len(self.world.shelters), dtype=np.int64)
        self.shelter_t_full_s = np.full(len(self.world.shelters), np.nan)
        self.incident_rows: list[dict[str, Any]] = []
        self.busy_units = 0
        self.route_updates = 0
        self.routes = None
        self._update_routes()
        self.probe_rows: list[dict[str, Any]] = []
        self._counts_step = -1
        self._counts = np.zeros(0, dtype=np.int64)
        self._next_record_s = 0.0
        self.datacollector = mesa.DataCollector(model_reporters=self._reporters())
        self._record()

    # -- stages ---------------------------------------------------------
    def _advance_hazards(self) -> None:
        for hazard in self.hazards:
            hazard.advance(self.t_s, self.dt_s)

    def _apply_hazard_effects(self) -> None:
        if not self.hazards:
            return
        factor = np.ones(self.world.network.n_edges)
        for hazard in self.hazards:
            factor *= hazard.edge_effects()
        closed = factor <= 0.0
        changed = not np.array_equal(closed, self.edge_closed)
        self.edge_speed_factor = factor
        self.edge_closed = closed
        if changed:
            self._update_routes()

    def _update_routes(self) -> None:
        """Recompute the next-hop tree toward shelters that still have room."""
        shelters = self.world.shelters
        open_ = np.flatnonzero(self.shelter_occupancy < shelters.capacity)
        if open_.size == 0:
            self.routes = None
            return
        walk_s = self.world.network.length_m / FREE_WALK_SPEED_MPS
        self.routes = next_hop_tree(
            self.world.network, shelters.node[open_], weight_s=walk_s, closed=self.edge_closed
        )
        self.route_updates += 1

    def _record(self) -> None:
        if self.t_s + 1e-9 < self._next_record_s:
            return
        self.datacollector.collect(self)
        probes = self.world.probes
        if len(probes.id):
            fields: dict[str, np.ndarray] = {}
            for hazard in self.hazards:
                fields.update(hazard.sample(probes.x_m, probes.y_m))
            for k, pid in enumerate(probes.id):
                row = {"t_s": self.t_s, "probe": pid, "x": probes.x_m[k], "y": probes.y_m[k]}
                row.update({name: float(values[k]) for name, values in fields.items()})
                self.probe_rows.append(row)
        self._next_record_s += self.record_every_s

    def _reporters(self) -> dict[str, Any]:
        reporters: dict[str, Any] = {"t_s": lambda m: m.t_s}
        for state, column in STATE_COLUMNS.items():
            reporters[column] = lambda m, s=state: int(m.state_counts()[s])
        for group in ("evacuated", "sheltered_in_place", "not_evacuated", "fatalities"):
            if group not in reporters:
                reporters[group] = lambda m, g=group: final_groups(m.state_counts())[g]
        reporters["injured"] = lambda m: int(m.residents.persons[m.residents.injured].sum())
        reporters["shelter_occupancy"] = lambda m: int(m.shelter_occupancy.sum())
        reporters["active_incidents"] = lambda m: sum(
            1 for r in m.incident_rows if not (r.get("t_clear_s", np.nan) <= m.t_s)
        )
        reporters["busy_units"] = lambda m: m.busy_units
        reporters["closed_edges"] = lambda m: int(m.edge_closed.sum())
        return reporters

    # -- public ---------------------------------------------------------
    def state_counts(self) -> np.ndarray:
        """Persons in each resident state now (computed once per step)."""
        if self._counts_step != self.steps:
            self._counts = persons_by_state(self.residents.state, self.residents.persons)
            self._counts_step = self.steps
        return self._counts

    def step(self) -> None:
        """Advance the model by one time step ``dt`` (see the class docstring)."""
        self._advance_hazards()
        self._apply_hazard_effects()
        self.t_s = min(self.t_s + self.dt_s, self.duration_s)
        self._record()
        if self.steps >= self.n_steps:
            self.running = False

    def finish(self) -> None:
        """Record the final state if the last step fell between two records."""
        last = self.datacollector.model_vars["t_s"][-1]
        if last < self.t_s:
            self._next_record_s = self.t_s
            self._record()

    # -- tables ---------------------------------------------------------
    def timeseries_frame(self) -> pd.DataFrame:
        """The recorded model-level series, one row per ``outputs.every``."""
        return self.datacollector.get_model_vars_dataframe().reset_index(drop=True)

    def incidents_frame(self) -> pd.DataFrame:
        """One row per incident, contract columns first."""
        return typed_frame(self.incident_rows, INCIDENT_COLUMNS)

    def shelters_frame(self) -> pd.DataFrame:
        """One row per shelter, contract columns first."""
        sh = self.world.shelters
        return typed_frame(
            {
                "shelter": sh.id, "name": sh.name, "kind": sh.kind, "x": sh.x_m, "y": sh.y_m,
                "node": sh.node, "capacity": sh.capacity, "peak_occupancy": self.shelter_peak,
                "final_occupancy": self.shelter_occupancy, "arrivals": self.shelter_arrivals,
                "turned_away": self.shelter_turned_away, "t_full_s": self.shelter_t_full_s,
            },
            SHELTER_COLUMNS,
        )

    def probes_frame(self) -> pd.DataFrame:
        """Hazard fields at the probes, one row per probe and record time."""
        return typed_frame(self.probe_rows, PROBE_COLUMNS)
