"""The hazard interface every hazard model follows.

A hazard is built from its YAML block and the world, advances its own state,
and tells the model three things: how it slows or closes each road edge, its
fields at given points, and its own KPIs. It declares the fields it reads
and writes (as Landlab components do), and :func:`check_fields` verifies the
declaration when the hazard is built. Hazards know nothing of residents or
units; the model passes arrays between them.

Hazards know nothing of presentation either: they keep their state as
arrays and tables (:meth:`Hazard.tables`, :meth:`Hazard.frame` and their own
accessors), and the figures and GIS layers of a hazard type are looked up by
its :attr:`Hazard.type_name` in :mod:`citysim.plots.hazards` and
:mod:`citysim.io.hazard_layers`. Nothing here imports matplotlib or GeoJSON code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np

if TYPE_CHECKING:
    from citysim.world.builder import World

Where = Literal["cell", "edge", "node", "point"]


@dataclass(frozen=True)
class FieldSpec:
    """One field a hazard reads or writes.

    Attributes
    ----------
    name
        Field name with its unit suffix (``depth_m``, ``concentration_mg_m3``).
    dtype
        NumPy dtype name.
    units
        Units in words (``m``, ``m/s``, ``mg/m3``, ``1``).
    where
        Where the field lives: ``cell``, ``edge``, ``node`` or ``point``.
    intent
        ``in`` (read from the world) or ``out`` (written by the hazard).
    doc
        One line of description.
    """

    name: str
    dtype: str
    units: str
    where: Where
    intent: Literal["in", "out"]
    doc: str


class Setting(IntEnum):
    """Where a resident is, as a hazard acting on people sees it."""

    HOME = 0
    """Indoors at home, normal air exchange."""
    SHELTERING = 1
    """Indoors at home, sheltering in place (windows and doors shut)."""
    ON_FOOT = 2
    """Outdoors, walking."""
    IN_CAR = 3
    """In a vehicle."""
    IN_SHELTER = 4
    """Indoors in a public shelter."""
    GONE = 5
    """Dead: no longer exposed."""


@dataclass(frozen=True)
class People:
    """Where the residents are now, for :meth:`Hazard.expose` (one entry per agent).

    Attributes
    ----------
    x_m, y_m
        Position (m): the home node, the point reached along the road, or the shelter.
    node
        The network node the agent is at or last passed.
    setting
        :class:`Setting` value (int8).
    persons
        Persons per agent.
    """

    x_m: np.ndarray
    y_m: np.ndarray
    node: np.ndarray
    setting: np.ndarray
    persons: np.ndarray


@dataclass
class Harm:
    """What a hazard did to people in one step (boolean masks over agents, or None).

    Attributes
    ----------
    dead
        Agents killed now; they stop where they are.
    trapped
        Agents who cannot go on (cut off by water, overcome) and wait for a rescue
        where they are; the hazard raises their rescue incident (an
        :class:`IncidentRequest` with ``agents``), once: a trapped agent keeps
        its setting and position, so the hazard remembers whom it trapped.
    injured
        Agents injured now; they carry on, counted in ``injured``.
    """

    dead: np.ndarray | None = None
    trapped: np.ndarray | None = None
    injured: np.ndarray | None = None


@dataclass(frozen=True)
class IncidentRequest:
    """An incident a hazard raises for the response system.

    Attributes
    ----------
    t_s
        Call time (s), inside the step just advanced.
    node
        Network node of the incident.
    kind
        What it is (``building_fire``, ``flood_rescue``, ``hazmat_leak`` ...).
    needs
        Units by type it needs (run card).
    priority
        1 is the most urgent (background calls are 2).
    key
        The hazard's own reference (a building, a cell); passed back in
        :meth:`Hazard.attend`.
    hold
        When true, units stay on scene until the hazard releases the incident
        (a fire burns until it is out); otherwise they clear after the
        scenario's ``service_time``.
    agents
        Residents the incident concerns (the trapped ones): they are rescued
        when it clears.
    """

    t_s: float
    node: int
    kind: str
    needs: Mapping[str, int]
    priority: int = 1
    key: int = -1
    hold: bool = False
    agents: np.ndarray | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Frame:
    """A picture of a hazard at one moment, for animations.

    Either a grid (``grid`` with ``extent_m``) or points (``x_m``, ``y_m``,
    ``value``), both coloured by value.

    Attributes
    ----------
    label
        What the colour means, with units (``water depth (m)``).
    grid
        2-D values, row 0 to the south; NaN where there is nothing to draw.
    extent_m
        ``(x_min, x_max, y_min, y_max)`` of the grid in the run's frame (m).
    x_m, y_m, value
        Points (buildings ...) and their values.
    vmax
        Top of the colour scale (None: the frame's own maximum).
    """

    label: str
    grid: np.ndarray | None = None
    extent_m: tuple[float, float, float, float] | None = None
    x_m: np.ndarray | None = None
    y_m: np.ndarray | None = None
    value: np.ndarray | None = None
    vmax: float | None = None


class Hazard(ABC):
    """Base class of every hazard model.

    Subclasses set :attr:`type_name` and :attr:`fields` and implement the
    abstract methods. ``sample`` returns a mapping with one array per
    ``out`` field that lives at ``point``. A type's figures and GIS layers
    are registered by type name (:func:`citysim.plots.hazards.register_hazard_figures`,
    :func:`citysim.io.hazard_layers.register_hazard_layers`), drawn from the
    hazard's data as the run left it.
    """

    type_name: ClassVar[str]
    fields: ClassVar[tuple[FieldSpec, ...]]

    @classmethod
    @abstractmethod
    def from_config(cls, cfg: Any, world: World, rng: np.random.Generator) -> Hazard:
        """Build the hazard from its validated YAML block and the world."""

    @abstractmethod
    def advance(self, t_s: float, dt_s: float) -> None:
        """Advance the hazard from ``t_s`` to ``t_s + dt_s`` (s)."""

    @abstractmethod
    def edge_effects(self) -> np.ndarray:
        """Per-edge speed factor in [0, 1]; 0 closes the edge. Shape (n_edges,)."""

    def walk_effects(self) -> np.ndarray:
        """Per-edge speed factor for people on foot in [0, 1]; 0 closes the edge to them.

        Default: :meth:`edge_effects`. A hazard that slows walkers by its own
        law (the flood: wading in water) overrides it.
        """
        return self.edge_effects()

    @abstractmethod
    def sample(self, x_m: np.ndarray, y_m: np.ndarray) -> dict[str, np.ndarray]:
        """Fields at points (m): one array per point field, each shape like ``x_m``."""

    @abstractmethod
    def summary(self) -> dict[str, float | str | None]:
        """The hazard's own KPIs (flat keys, SI units)."""

    def warned_nodes(self) -> np.ndarray | None:
        """Nodes whose residents the hazard warns now (boolean, shape (n_nodes,)), or None."""
        return None

    def protective_action(self) -> np.ndarray | None:
        """The safest action per node for ``action: auto``, or None for no opinion.

        An int8 array, shape (n_nodes,): 0 no opinion, 1 evacuate, 2 shelter in place.
        """
        return None

    def expose(self, t_s: float, dt_s: float, people: People) -> Harm | None:
        """Act on people over the step ``[t_s, t_s + dt_s]`` (s); ``None``: no harm.

        Called after residents moved; only for hazards that override it (the
        model builds :class:`People` only then).
        """
        return None

    def incidents(self) -> list[IncidentRequest]:
        """Incidents raised since the last call (default none)."""
        return []

    def attend(self, t_s: float, on_scene: Mapping[int, tuple[int, float]]) -> list[int]:
        """Hear which of this hazard's held incidents have units on scene.

        Parameters
        ----------
        t_s
            Now (s), the end of the step.
        on_scene
            For the ``key`` of every held incident not yet released: units on
            scene now, and when the first of them arrived (s; NaN if none yet).

        Returns
        -------
        list of int
            Keys of incidents that are over: their units clear now.
        """
        return []

    def frame(self) -> Frame | None:
        """The hazard now, for an animation frame; default none."""
        return None

    def tables(self) -> dict[str, Any]:
        """Extra result tables of the hazard, by file stem (pandas DataFrames); default none."""
        return {}

    def point_fields(self) -> list[str]:
        """Names of the ``out`` fields sampled at points."""
        return [f.name for f in self.fields if f.where == "point" and f.intent == "out"]


def overrides(hazard: Hazard, method: str) -> bool:
    """Whether ``hazard`` implements ``method`` itself rather than inheriting the default."""
    return getattr(type(hazard), method) is not getattr(Hazard, method)


def check_fields(hazard: Hazard, n_edges: int) -> list[str]:
    """Check a built hazard against its declared fields.

    Parameters
    ----------
    hazard
        A hazard just built.
    n_edges
        Number of network edges.

    Returns
    -------
    list of str
        Problems found; empty when the hazard keeps its contract.
    """
    problems = []
    names = [(f.name, f.where) for f in hazard.fields]
    if len(set(names)) != len(names):
        problems.append("a field is declared twice at the same place")
    for f in hazard.fields:
        if not f.name or not f.units or f.where not in ("cell", "edge", "node", "point"):
            problems.append(f"field {f.name!r} is incompletely declared")
    for name in ("edge_effects", "walk_effects"):
        effects = np.asarray(getattr(hazard, name)())
        if effects.shape != (n_edges,):
            problems.append(f"{name}() has shape {effects.shape}, expected ({n_edges},)")
        elif not np.all((effects >= 0) & (effects <= 1)):
            problems.append(f"{name}() must lie in [0, 1]")
    sampled = hazard.sample(np.zeros(2), np.zeros(2))
    expected = set(hazard.point_fields())
    if set(sampled) != expected:
        problems.append(f"sample() returns {sorted(sampled)}, declared {sorted(expected)}")
    for name, arr in sampled.items():
        if np.shape(arr) != (2,):
            problems.append(f"sample()[{name!r}] has shape {np.shape(arr)}, expected (2,)")
    return problems
