"""The YAML schema of ``type: road_closure`` (simulated by :mod:`citysim.hazards.closure`)."""

from __future__ import annotations

from typing import Annotated

from annotated_types import MinLen
from pydantic import AfterValidator, model_validator

from citysim.scenario.base import ConfigModel, Id, NonNegFloat, Text, error
from citysim.scenario.durations import Duration, format_duration
from citysim.scenario.hazard import HazardConfig, register_hazard
from citysim.scenario.locations import Location
from citysim.scenario.sites import check_unique_ids

__all__ = ["Closure", "RoadClosureConfig"]


class Closure(ConfigModel):
    """One blocked place.

    Attributes
    ----------
    id
        Its name in the tables; default ``C<k>`` (k from 1).
    label
        What happened, in words; default "road blocked".
    location
        Where.
    radius_m
        0: the street nearest to ``location``; > 0: every road segment within
        this distance (m).
    at
        When it closes (s).
    until
        When it reopens (s); default never within the run.
    """

    id: Id | None = None
    label: Text = "road blocked"
    location: Location
    radius_m: NonNegFloat = 0.0
    at: Duration = 0.0
    until: Duration | None = None

    @model_validator(mode="after")
    def _opens_after_closing(self) -> Closure:
        if self.until is not None and self.until <= self.at:
            raise error(f"expected until after at ({format_duration(self.at)}), got "
                        f"{format_duration(self.until)}")
        return self


def _name_closures(closures: tuple[Closure, ...]) -> tuple[Closure, ...]:
    named = tuple(c if c.id is not None else c.model_copy(update={"id": f"C{k + 1}"})
                  for k, c in enumerate(closures))
    return check_unique_ids(named)


@register_hazard("road_closure")
class RoadClosureConfig(HazardConfig):
    """``type: road_closure`` -- streets blocked at scripted times.

    Attributes
    ----------
    closures
        The blocked places (at least one); ids unique.
    """

    closures: Annotated[tuple[Closure, ...], MinLen(1), AfterValidator(_name_closures)]
