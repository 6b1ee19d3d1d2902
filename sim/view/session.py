"""A live drill-room session: the model being shown, the settings and the injects so far.

A live inject is stamped with the model's clock and applied to the running
model at once (:meth:`citysim.model.CityModel.apply_inject`): nothing is
rebuilt or re-run. ``citysim run SCENARIO --injects FILE`` builds the same
model from the scenario and the file's settings and applies each inject of
the saved file at the same step boundary through the same method, so the
replay is the session bit for bit (same scenario, same seed).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import yaml

from citysim.model import CityModel
from citysim.rng import replication_seed_sequence, world_streams
from citysim.scenario import Scenario
from citysim.scenario.injects import Inject, Injects, with_injects
from citysim.world.builder import World, build_world
from citysim.world.sites import UNIT_TYPES

__all__ = ["DrillModel", "settings_overrides", "station_units"]


def station_units(scenario: Scenario) -> dict[str, int]:
    """Unit types the stations hold, each with its count per station when all agree.

    A type is listed when every station that holds it holds as many (the
    value a "units per station" slider starts from); types held in
    different numbers are left out.
    """
    out = {}
    for kind in UNIT_TYPES:
        held = {int(getattr(s.units, kind)) for s in scenario.stations} - {0}
        if len(held) == 1:
            out[kind] = held.pop()
    return out


def settings_overrides(
    scenario: Scenario,
    *,
    compliance: float | None = None,
    warning_at_min: float | None = None,
    warning_reach: float | None = None,
    walk_share: float | None = None,
    units_per_station: dict[str, int] | None = None,
) -> tuple[str, ...]:
    """The ``--set`` overrides of the drill room's sliders (``None``: the scenario's own value).

    Parameters
    ----------
    scenario
        The scenario the sliders start from.
    compliance
        ``behaviour.compliance``, [0, 1].
    warning_at_min, warning_reach
        One scheduled warning to everyone at this time (min) with this reach,
        in place of the scenario's scheduled warnings (either given: both
        apply, the other from the scenario's first warning or 0 min / 1).
    walk_share
        ``behaviour.mode_share.walk``; cars take the rest.
    units_per_station
        Units of a type (``engine``, ``ambulance``, ...) at each station that
        holds that type (only where it differs from the scenario).
    """
    out: list[str] = []
    if compliance is not None:
        out.append(f"behaviour.compliance={float(compliance)!r}")
    if warning_at_min is not None or warning_reach is not None:
        first = scenario.behaviour.warnings[0] if scenario.behaviour.warnings else None
        at_s = 60.0 * warning_at_min if warning_at_min is not None else (
            first.at if first else 0.0)
        reach = warning_reach if warning_reach is not None else (first.reach if first else 1.0)
        out.append(f"behaviour.warnings=[{{at: {float(at_s)!r}, reach: {float(reach)!r}}}]")
    if walk_share is not None:
        walk = float(walk_share)
        out.append(f"behaviour.mode_share={{walk: {walk!r}, car: {1.0 - walk!r}}}")
    for kind, count in (units_per_station or {}).items():
        out += [f"stations[{k}].units.{kind}={int(count)}"
                for k, station in enumerate(scenario.stations)
                if 0 < int(getattr(station.units, kind)) != int(count)]
    return tuple(out)


class DrillModel(CityModel):
    """The :class:`~citysim.model.CityModel` of a drill-room session.

    Built from the scenario and the settings chosen before the start
    (replication 0, the scenario's seed); injects are applied to it live
    (:meth:`add_inject`): the model ``citysim run SCENARIO --injects FILE``
    steps for the saved file.

    Parameters
    ----------
    scenario
        The scenario as loaded (without the session's settings and injects).
    world
        Its city, when already built (reused unless the settings change its
        stations' units).
    compliance, warning_at_min, warning_reach, walk_share
        The sliders (:func:`settings_overrides`).
    **kwargs
        ``<type>_per_station``: units of that type at each station holding
        it (``engine_per_station=3``; the name Mesa's ``SolaraViz`` passes a
        slider by).
    """

    def __init__(
        self,
        scenario: Scenario,
        world: World | None = None,
        *,
        compliance: float | None = None,
        warning_at_min: float | None = None,
        warning_reach: float | None = None,
        walk_share: float | None = None,
        **kwargs: int,
    ) -> None:
        units = {key.removesuffix("_per_station"): int(v) for key, v in kwargs.items()}
        unknown = sorted(set(units) - set(UNIT_TYPES))
        if unknown or not all(key.endswith("_per_station") for key in kwargs):
            raise TypeError(f"unexpected settings {sorted(kwargs)}: expected "
                            f"<type>_per_station, type one of {', '.join(UNIT_TYPES)}")
        self.source = scenario
        self.settings = settings_overrides(
            scenario, compliance=compliance, warning_at_min=warning_at_min,
            warning_reach=warning_reach, walk_share=walk_share,
            units_per_station=units)
        chosen = with_injects(scenario, Injects(set=self.settings))
        seed = int(chosen.run.seed)
        wanted = np.array([[int(getattr(s.units, kind)) for kind in UNIT_TYPES]
                           for s in chosen.stations], dtype=np.int64).reshape(-1, len(UNIT_TYPES))
        if world is None or not np.array_equal(world.stations.units, wanted):
            world = build_world(chosen, world_streams(seed))
        super().__init__(chosen, replication_seed_sequence(seed, 0), world=world)
        self._boundary = threading.Lock()  # an inject waits for the step under way to end

    def step(self) -> None:
        """One step (:meth:`CityModel.step`), never at the same time as an inject."""
        with self._boundary:
            super().step()

    @property
    def session(self) -> Injects:
        """The session as an injects file: the settings and the injects so far."""
        return Injects(scenario=self.source.name, set=self.settings, injects=self.injects)

    def add_inject(self, **kind: Any) -> Inject:
        """Apply one more inject now, stamped with the model's clock; return it.

        Safe while another thread steps the model (the drill room's play
        loop): it waits for the step under way to end and applies at that
        boundary.

        Parameters
        ----------
        **kind
            One inject kind and its value, as in an injects file
            (``close_road={"id": "R1", "location": {"x": 0, "y": 0}}``).

        Raises
        ------
        ScenarioError
            When the inject is not valid here (unknown unit, no such closure).
        ValueError
            When the run is over.
        """
        with self._boundary:  # the play loop steps in another thread: wait for a boundary
            inject = Inject.model_validate({"at": self.t_s, **kind})
            self.apply_inject(inject)
        return inject

    def injects_yaml(self) -> str:
        """The session as an injects file (YAML text)."""
        data: dict[str, Any] = {"scenario": self.source.name}
        if self.settings:
            data["set"] = list(self.settings)
        data["injects"] = [j.as_yaml() for j in self.injects]
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
