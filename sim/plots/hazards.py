"""Each hazard type's figures, looked up by type.

A hazard model knows nothing of drawing: it keeps its state as arrays and
tables (:meth:`~citysim.hazards.base.Hazard.tables` and its own accessors).
This registry maps a hazard type (:attr:`~citysim.hazards.base.Hazard.type_name`)
to a function ``figures(hazard, world) -> {file stem: Figure}`` that draws
from them; :func:`citysim.plots.write_run_plots` saves each figure as
``plots/<stem>.png``. A type without an entry draws no figure of its own.
A hazard added outside citysim registers its figures with
:func:`register_hazard_figures`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from matplotlib.figure import Figure

from citysim.hazards.registry import register_for_type
from citysim.plots.chemical import chemical_figures
from citysim.plots.fire import fire_figures
from citysim.plots.flood import flood_figures

if TYPE_CHECKING:
    from citysim.world.builder import World

__all__ = ["HAZARD_FIGURES", "HazardFigures", "hazard_figures", "register_hazard_figures"]

HazardFigures = Callable[[Any, Any], dict[str, Figure]]
"""``figures(hazard, world)``: the hazard's figures by file stem."""

HAZARD_FIGURES: dict[str, HazardFigures] = {
    "chemical_leak": chemical_figures,
    "fire": fire_figures,
    "flood": flood_figures,
}
"""Figure function of each hazard type that has figures."""


def register_hazard_figures(type_name: str, figures: HazardFigures) -> HazardFigures:
    """Register the figure function of a hazard type.

    Parameters
    ----------
    type_name
        The hazard's YAML ``type``.
    figures
        ``figures(hazard, world) -> {file stem: matplotlib.figure.Figure}``.

    Returns
    -------
    callable
        ``figures``, unchanged.

    Raises
    ------
    ValueError
        When another function is already registered for ``type_name``.
    """
    return register_for_type(HAZARD_FIGURES, type_name, figures, "figures")


def hazard_figures(hazard: Any, world: World) -> dict[str, Figure]:
    """The figures of a hazard as a run left it, by file stem (none for an unregistered type).

    Parameters
    ----------
    hazard
        A :class:`citysim.hazards.base.Hazard`.
    world
        The run's world.

    Returns
    -------
    dict
        File stem to :class:`matplotlib.figure.Figure`.
    """
    figures = HAZARD_FIGURES.get(hazard.type_name)
    return {} if figures is None else figures(hazard, world)
