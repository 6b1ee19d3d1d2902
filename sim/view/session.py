"""A live drill-room session: the model being shown, the settings and the injects so far.

A live inject is stamped with the model's clock and added to the session's
injects; the model is then rebuilt from ``with_injects(scenario, injects)``
and stepped back to the same step. That is exactly what ``citysim run
SCENARIO --injects FILE`` does with the saved file, so the replay is the
session bit for bit (same scenario, same seed), whatever the inject: the
cost is re-running the steps so far (the city is built once and reused).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from citysim.model import CityModel
from citysim.rng import replication_seed_sequence, world_streams
from citysim.scenario import Scenario
from citysim.scenario.injects import Inject, Injects, with_injects
from citysim.world.builder import World, build_world

__all__ = ["DrillModel", "settings_overrides"]


def settings_overrides(
    scenario: Scenario,
    *,
    compliance: float | None = None,
    warning_at_min: float | None = None,
    warning_reach: float | None = None,
    walk_share: float | None = None,
    engines_per_station: int | None = None,
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
    engines_per_station
        Engines at every station.
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
    if engines_per_station is not None:
        out += [f"stations[{k}].units.engine={int(engines_per_station)}"
                for k in range(len(scenario.stations))]
    return tuple(out)


class DrillModel(CityModel):
    """The :class:`~citysim.model.CityModel` of a drill-room session.

    Built from the scenario, the settings chosen before the start and the
    injects so far (replication 0, the scenario's seed): the model ``citysim
    run SCENARIO --injects FILE`` steps for the saved file.

    Parameters
    ----------
    scenario
        The scenario as loaded (without the session's settings and injects).
    world
        Its city, when already built for the same stations (reused).
    injects
        The injects so far.
    compliance, warning_at_min, warning_reach, walk_share, engines_per_station
        The sliders (:func:`settings_overrides`).
    """

    def __init__(
        self,
        scenario: Scenario,
        world: World | None = None,
        injects: Sequence[Inject] = (),
        *,
        compliance: float | None = None,
        warning_at_min: float | None = None,
        warning_reach: float | None = None,
        walk_share: float | None = None,
        engines_per_station: int | None = None,
    ) -> None:
        self.settings: dict[str, Any] = {
            "compliance": compliance, "warning_at_min": warning_at_min,
            "warning_reach": warning_reach, "walk_share": walk_share,
            "engines_per_station": engines_per_station}
        self.source = scenario
        self.session = Injects(scenario=scenario.name,
                               set=settings_overrides(scenario, **self.settings),
                               injects=tuple(injects))
        injected = with_injects(scenario, self.session)
        seed = int(injected.run.seed)
        if (world is None or list(world.shelters.id) != [s.id for s in injected.shelters]
                or (engines_per_station is not None and len(world.stations)
                    and (world.stations.units[:, 0] != engines_per_station).any())):
            world = build_world(injected, world_streams(seed))
        super().__init__(injected, replication_seed_sequence(seed, 0), world=world)

    @property
    def injects(self) -> tuple[Inject, ...]:
        """The injects so far."""
        return self.session.injects

    def with_inject(self, **kind: Any) -> DrillModel:
        """The session with one more inject now: a new model stepped to the same step.

        Parameters
        ----------
        **kind
            One inject kind and its value, as in an injects file
            (``close_road={"id": "R1", "location": {"x": 0, "y": 0}}``).

        Raises
        ------
        ScenarioError
            When the inject is not valid here (unknown unit, no such closure).
        """
        inject = Inject.model_validate({"at": self.t_s, **kind})
        model = DrillModel(self.source, self.world, (*self.injects, inject), **self.settings)
        while model.steps < self.steps:
            model.step()
        return model

    def injects_yaml(self) -> str:
        """The session as an injects file (YAML text)."""
        data: dict[str, Any] = {"scenario": self.source.name}
        if self.session.set:
            data["set"] = list(self.session.set)
        data["injects"] = [j.as_yaml() for j in self.injects]
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
