"""Urban fire: building-to-building spread (Hamada-type), fought by the units that reach it.

The YAML schema of ``type: fire`` (:mod:`citysim.scenario.hazards.fire`), the spread
model :class:`FireSpread` and
the hazard :class:`FireHazard` that couples it to the city (roads, residents,
fire engines). The science is in docs MODELS.md, "Urban fire".

**Spread between buildings.** Buildings are squares of side ``a``
(:mod:`citysim.world.buildings`). A burning building ``i`` ignites a combustible
neighbour ``j`` whose footprint lies within :attr:`FireConfig.reach_m` of its
own (edge-to-edge separation ``d``), ``tau_ij`` after ``i`` itself ignited,
provided ``i`` still burns then (and no engine has reached it). ``tau_ij`` is
Hamada's time for the fire to advance by one building and one gap (as in
Himoto & Tanaka 2008, MODELS.md)::

    bracket(X) = (1-f_i)(3 + 0.375 a) + f_i(5 + 0.625 a) + ((1-f_j) 8 + f_j 16) d / X
    t_down = bracket(25 + 2.5V) / [1.5 (1 + 0.1V + 0.007V²)]
    t_side = bracket(5 + 0.25V) / (1 + 0.005V²)
    t_up   = bracket(5 + 0.2V)  / (1 + 0.002V²)          (minutes)

with ``a`` the side of the burning building, ``f = 1`` for a fire-resistant
building and 0 for wood, wind ``V`` (m/s). The time to become fully
involved belongs to the burning building (``f_i``) and the crossing of the
gap to the one receiving the fire (``f_j``); with ``f_i = f_j = f`` this is
exactly the district formula of MODELS.md, which is linear in ``f``.

The downwind divisor ``1.5 (1 + 0.1V + 0.007V²)`` is as Himoto & Tanaka
(2008, "Development and validation of a physics-based urban fire spread
model", Fire Safety Journal 43(7), 477-494, doi:10.1016/j.firesaf.2007.12.008)
reproduce Hamada's (1951) formula, and as FireBench (WIRC, San José State
University: ``firebench.ros_models.Hamada_1``, which cites Himoto & Tanaka)
implements it. Some secondary summaries give 1.6; we found no primary
source for it (Hamada's 1951 report is in Japanese and was not consulted
directly), so 1.5 is kept: it is what the cited reproduction and MODELS.md's
reference values (a = 20, d = 5, V = 1, f = 0.6: 2.4380 m/min downwind)
use; 1.6 would make the downwind speed 6.25 % slower.

Speeds ``(a + d)/t`` downwind, sideways and upwind define an ellipse with
its major axis along the wind that passes through the three points reached
in unit time from the burning building: ``v_down`` ahead, ``v_up`` behind and
``v_side`` abeam of it (:func:`ellipse_speed`). The building sits on the
major axis ``(v_down - v_up) / 2`` behind the ellipse's centre; that point
is in general not a focus (it is one only when ``v_side`` happens to be
the harmonic mean ``2 v_down v_up / (v_down + v_up)``). The direction ``theta`` from ``i`` to
``j`` gives ``v(theta)``, the distance from the building to the ellipse
along that ray, and ``tau_ij = (a + d) / v(theta)``.
In calm air (``V = 0``) there is no downwind: the fire spreads the same way
in every direction, at the sideways speed (equal to the upwind one at
``V = 0``). Hamada's downwind term keeps its 1.5 factor and a five-times
faster gap crossing even as ``V -> 0``, so the downwind speed jumps by about
2x between calm and the lightest wind; MODELS.md notes that Hamada overstates
spread in weak wind and is an upper bound.

**A building's own fire.** It becomes fully involved Hamada's involvement
time after ignition (``3 + 0.375 a`` min for wood, ``5 + 0.625 a`` for
fire-resistant: the first terms of the bracket, calm air) and burns out
:attr:`FireConfig.burn_duration` later. ``noncombustible`` buildings never
burn: they are fire breaks.

**Reach.** No fire crosses a gap wider than ``reach_m`` (default 10 m): in
Japan's Building Standard Law (Art. 2 vi) the part of a building "liable to
catch fire" from a neighbour is within 3 m (ground floor) or 5 m (upper
floors) of the boundary between them, i.e. up to 10 m between two-storey
buildings. Firebrands (spotting over wider gaps in strong wind) are not
modelled. Inside the reach every building spreads to every combustible
neighbour that it reaches before it burns out, so with ``spread_time_sigma
= 0`` the burned set is the cluster of the ignited building in the graph of
buildings within reach: site percolation (MODELS.md). ``spread_time_sigma >
0`` multiplies each delay by a lognormal factor of median 1 drawn per pair
from the hazard's stream (a stochastic automaton around Hamada's mean).

**Effects.** While a building is fully involved, every road edge whose
centreline passes within ``road_closure_m`` of its footprint is closed
(speed factor 0) -- about the collapse zone of 1.5 times the height of a
two-storey building, the fireground rule of thumb (check) -- and reopens once
it burns out or is put out. Residents at nodes within ``warn_radius_m`` of a
burning building are warned (and evacuate, by their behaviour).

**Fighting it.** Each building that ignites is called in ``call_delay`` later
as a held ``building_fire`` incident (run card ``needs``, priority 1, key =
the building's index) at the nearest road node not cut off by the fire's own
closures. When the first unit reaches it, spread from that building stops
and it is put out ``suppression`` later (if it has not burned out by then);
a building reached before full involvement never gets there. The incident is
released when the building is out, and its units go home. Spread stops at the
end of the step in which the first unit arrived (the model tells the hazard
after it advanced): up to one ``run.dt`` late. Without units, the fire
spreads unchecked; many fires queue for the units there are.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.spatial import cKDTree

from citysim.errors import ScenarioError
from citysim.hazards import _fire_kernels
from citysim.hazards._fire_kernels import BURNED_OUT, EXTINGUISHED, IGNITED, INVOLVED, UNBURNED
from citysim.hazards.base import FieldSpec, Frame, Hazard, IncidentRequest
from citysim.hazards.registry import register_hazard_model
from citysim.scenario.hazards.fire import BurnDuration, FireConfig, FireWind, Ignition
from citysim.world.buildings import FIRE_RESISTANT, NONCOMBUSTIBLE, road_points
from citysim.world.hydrants import frontage_hose_m, hose_distances, hose_length_m
from citysim.world.sites import UNIT_TYPES

if TYPE_CHECKING:
    from citysim.world.builder import World

__all__ = [
    "STATES",
    "BurnDuration",
    "FireConfig",
    "FireHazard",
    "FireSpread",
    "FireWind",
    "Ignition",
    "ellipse_speed",
    "hamada_minutes",
]

STATES: tuple[str, ...] = ("unburned", "ignited", "involved", "burned_out", "extinguished")
"""Building states; the code of a state is its index (``citysim.hazards._fire_kernels``)."""
SEVERITY = np.array([0.0, 2.0, 3.0, 4.0, 1.0])
"""Colour value of each state in animation frames (unburned, put out, burning, fully
involved, burned out)."""
INCIDENT_NODES = 4
"""Nearest road nodes considered for a building's incident."""
CLOSURE_SAMPLE_M = 5.0
"""Spacing of the street points searched for the roads next to a building (m)."""
EXAMPLE = {"type": "fire", "ignitions": [{"location": {"x": 450, "y": 450}, "at": 60}],
           "wind": {"speed_mps": 5, "from_deg": 270}}
"""A minimal block for the hazard contract test (needs city buildings)."""


def hamada_minutes(side_m: Any, gap_m: Any, wind_mps: Any, f_source: Any = 0.0,
                   f_target: Any = None) -> tuple[Any, Any, Any]:
    """Hamada's times for the fire to advance one building and one gap (min).

    Parameters
    ----------
    side_m
        Side ``a`` of the burning building (m).
    gap_m
        Separation ``d`` to the next building (m).
    wind_mps
        Wind speed ``V`` (m/s).
    f_source, f_target
        Fire-resistant share of the burning and of the receiving building
        (1 fire-resistant, 0 wood); ``f_target`` defaults to ``f_source``,
        which is the district formula of MODELS.md with ratio ``f``.

    Returns
    -------
    t_down, t_side, t_up
        Minutes, downwind, sideways and upwind (arrays broadcast from the inputs).
    """
    a, d, v = np.asarray(side_m), np.asarray(gap_m), np.asarray(wind_mps)
    f_s = np.asarray(f_source)
    f_t = f_s if f_target is None else np.asarray(f_target)
    involve = (1 - f_s) * (3 + 0.375 * a) + f_s * (5 + 0.625 * a)
    cross = ((1 - f_t) * 8 + f_t * 16) * d
    t_down = (involve + cross / (25 + 2.5 * v)) / (1.5 * (1 + 0.1 * v + 0.007 * v**2))
    t_side = (involve + cross / (5 + 0.25 * v)) / (1 + 0.005 * v**2)
    t_up = (involve + cross / (5 + 0.2 * v)) / (1 + 0.002 * v**2)
    return t_down, t_side, t_up


def ellipse_speed(v_down: Any, v_side: Any, v_up: Any, cos_theta: Any) -> Any:
    """Spread speed at angle ``theta`` from downwind, on the ellipse through three speeds.

    The ellipse has its major axis along the wind, semi-major axis
    ``(v_down + v_up) / 2``, and the burning building on that axis
    ``(v_down - v_up) / 2`` behind its centre, so that the distances reached
    in unit time are ``v_down`` ahead and ``v_up`` behind; its semi-minor
    axis makes it pass ``v_side`` abeam of the building. The building is not
    a focus in general. The speed in direction ``theta`` is the distance from
    the building to the ellipse along that ray.

    Parameters
    ----------
    v_down, v_side, v_up
        Speeds downwind, sideways and upwind (any unit, ``v_down >= v_up``).
    cos_theta
        Cosine of the angle between the direction of spread and downwind.

    Returns
    -------
    Speed in direction ``theta`` (same unit).
    """
    c = np.clip(np.asarray(cos_theta, dtype=np.float64), -1.0, 1.0)
    semi = (np.asarray(v_down) + v_up) / 2
    shift = (np.asarray(v_down) - v_up) / 2
    minor = v_side / np.sqrt(1 - (shift / semi) ** 2)
    s2 = 1 - c**2
    quad = c**2 / semi**2 + s2 / minor**2
    half = shift * c / semi**2
    return (half + np.sqrt(half**2 - quad * (shift**2 / semi**2 - 1))) / quad


def _gaps_m(x: np.ndarray, y: np.ndarray, side: np.ndarray, i: np.ndarray,
            j: np.ndarray) -> np.ndarray:
    """Shortest distance between the square footprints of ``i`` and ``j`` (m)."""
    half = (side[i] + side[j]) / 2
    gx = np.maximum(np.abs(x[j] - x[i]) - half, 0.0)
    gy = np.maximum(np.abs(y[j] - y[i]) - half, 0.0)
    return np.hypot(gx, gy)


class FireSpread:
    """The fire among the buildings, without roads or people (the model's core).

    Parameters
    ----------
    x_m, y_m
        Building centres (m).
    side_m
        Footprint sides (m).
    structure
        Structure codes (:data:`citysim.world.buildings.STRUCTURES`).
    wind_mps, wind_from_deg
        Wind speed (m/s) and where it blows from (degrees clockwise from north).
    reach_m
        Widest gap the fire crosses (m).
    burn_s
        Burning time after full involvement by structure code (s), for wood
        and fire-resistant buildings.
    sigma
        Log standard deviation of the lognormal factor on each pair's delay.
    rng
        Draws the factors (only when ``sigma > 0``).

    Attributes
    ----------
    state, source
        Per building (see :mod:`citysim.hazards._fire_kernels`).
    t_ign_s, t_full_s, t_out_s, t_stop_s, t_ext_s
        Per building times (s); ``inf`` when it has not happened.  ``t_ign_s``
        is the building's spread clock: its ignition plus ``spread_delay_s``.
    spread_delay_s
        Time each building's spread was held by water that then ran out (s).
    graph
        The neighbour pairs ``(ptr, nbr, src, tau_s)``.
    """

    def __init__(self, x_m: np.ndarray, y_m: np.ndarray, side_m: np.ndarray,
                 structure: np.ndarray, *, wind_mps: float, wind_from_deg: float, reach_m: float,
                 burn_s: tuple[float, float], sigma: float = 0.0,
                 rng: np.random.Generator | None = None) -> None:
        n = len(x_m)
        self.x_m = np.asarray(x_m, dtype=np.float64)
        self.y_m = np.asarray(y_m, dtype=np.float64)
        self.side_m = np.asarray(side_m, dtype=np.float64)
        self.structure = np.asarray(structure, dtype=np.int8)
        self.combustible = self.structure != NONCOMBUSTIBLE
        f = (self.structure == FIRE_RESISTANT).astype(np.float64)
        a = self.side_m
        self.full_s = 60.0 * ((1 - f) * (3 + 0.375 * a) + f * (5 + 0.625 * a))
        self.burn_s = np.where(f > 0, burn_s[1], burn_s[0]).astype(np.float64)
        self.graph = self._neighbours(f, wind_mps, wind_from_deg, reach_m, sigma, rng)
        self.state = np.zeros(n, dtype=np.int8)
        self.source = np.full(n, -1, dtype=np.int64)
        self.t_ign_s, self.t_full_s, self.t_out_s, self.t_stop_s, self.t_ext_s = (
            np.full(n, np.inf) for _ in range(5))
        self.spread_delay_s = np.zeros(n)
        self._newly = np.zeros(n, dtype=np.int64)
        self.ign_t_s = np.zeros(0)
        self.ign_b = np.zeros(0, dtype=np.int64)
        self._next_ign = 0

    def _neighbours(self, f: np.ndarray, wind_mps: float, wind_from_deg: float, reach_m: float,
                    sigma: float, rng: np.random.Generator | None) -> tuple[np.ndarray, ...]:
        n = self.x_m.size
        idx = np.flatnonzero(self.combustible)
        if idx.size >= 2:
            tree = cKDTree(np.column_stack([self.x_m[idx], self.y_m[idx]]))
            pairs = tree.query_pairs(reach_m + float(self.side_m[idx].max()), p=np.inf,
                                     output_type="ndarray")
        else:
            pairs = np.zeros((0, 2), dtype=np.int64)
        i, j = idx[pairs[:, 0]], idx[pairs[:, 1]]
        near = _gaps_m(self.x_m, self.y_m, self.side_m, i, j) <= reach_m
        src = np.concatenate([i[near], j[near]])
        dst = np.concatenate([j[near], i[near]])
        order = np.lexsort((dst, src))
        src, dst = src[order].astype(np.int64), dst[order].astype(np.int64)
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=n), out=ptr[1:])
        gap = _gaps_m(self.x_m, self.y_m, self.side_m, src, dst)
        a = self.side_m[src]
        t_down, t_side, t_up = hamada_minutes(a, gap, wind_mps, f[src], f[dst])
        if wind_mps > 0:
            phi = math.radians(wind_from_deg)
            dx, dy = self.x_m[dst] - self.x_m[src], self.y_m[dst] - self.y_m[src]
            # two buildings on one spot (a CSV may have them) spread as if abeam
            cos = (-math.sin(phi) * dx - math.cos(phi) * dy) / np.maximum(np.hypot(dx, dy),
                                                                        1e-12)
            speed = ellipse_speed((a + gap) / t_down, (a + gap) / t_side, (a + gap) / t_up, cos)
            tau_s = 60.0 * (a + gap) / speed
        else:
            tau_s = 60.0 * t_side
        if sigma > 0 and src.size:
            # mypy: rng is given whenever sigma > 0 (FireSpread)
            tau_s = tau_s * np.exp(sigma * rng.standard_normal(src.size))  # type: ignore[union-attr]
        return ptr, dst, src, np.ascontiguousarray(tau_s, dtype=np.float64)

    @property
    def times(self) -> tuple[np.ndarray, ...]:
        """``(t_ign_s, t_full_s, t_out_s, t_stop_s, t_ext_s)``."""
        return self.t_ign_s, self.t_full_s, self.t_out_s, self.t_stop_s, self.t_ext_s

    def schedule(self, t_s: np.ndarray, building: np.ndarray) -> None:
        """Set the scheduled ignitions: buildings ``building`` at times ``t_s`` (s).

        Noncombustible buildings are left out: they do not burn.
        """
        t_s = np.asarray(t_s, dtype=np.float64)
        building = np.asarray(building, dtype=np.int64)
        burns = self.combustible[building]
        order = np.argsort(t_s[burns], kind="stable")
        self.ign_t_s = t_s[burns][order]
        self.ign_b = building[burns][order]
        self._next_ign = 0

    def add_ignition(self, t_s: float, building: int) -> None:
        """Schedule one more ignition, among those still to come (a noncombustible: none)."""
        if not self.combustible[building]:
            return
        pos = max(int(np.searchsorted(self.ign_t_s, t_s, side="right")), self._next_ign)
        self.ign_t_s = np.insert(self.ign_t_s, pos, float(t_s))
        self.ign_b = np.insert(self.ign_b, pos, int(building))

    def advance(self, t0_s: float, t1_s: float) -> np.ndarray:
        """Spread the fire over ``(t0_s, t1_s]`` (s); return the buildings that ignited."""
        n_new, self._next_ign = _fire_kernels.spread(
            t0_s, t1_s, self.graph, self.times, (self.full_s, self.burn_s), self.state,
            self.source, self.ign_t_s, self.ign_b, self._next_ign, self._newly)
        _fire_kernels.settle(t1_s, self.times, self.state)
        return self._newly[:n_new].copy()

    def attack(self, building: int, t_arrive_s: float, suppression_s: float,
               t_now_s: float) -> None:
        """Units reached ``building`` at ``t_arrive_s``: its spread stops, it is put out later.

        Parameters
        ----------
        building
            The building.
        t_arrive_s
            First arrival (s).
        suppression_s
            From arrival to the fire being out (s).
        t_now_s
            Now (s): the building's state is brought up to date.
        """
        b = building
        if self.t_stop_s[b] <= t_arrive_s or self.state[b] not in (IGNITED, INVOLVED):
            return
        self.t_stop_s[b] = t_arrive_s
        if t_arrive_s < self.t_full_s[b]:  # caught before flashover: never fully involved
            self.t_full_s[b] = np.inf
            self.state[b] = IGNITED
        self.put_out(b, t_arrive_s + suppression_s, t_now_s)

    def hold(self, building: int, t_s: float, t_now_s: float) -> None:
        """Water on ``building`` from ``t_s``: its spread stops (it is not put out).

        :meth:`resume` lets it spread again; :meth:`attack` finishes it.
        """
        b = building
        if self.state[b] in (IGNITED, INVOLVED):
            self.t_stop_s[b] = min(self.t_stop_s[b], t_s)
            _fire_kernels.settle(t_now_s, self.times, self.state)

    def resume(self, building: int, held_s: float) -> None:
        """The water on a held building ran out after ``held_s``: it spreads again.

        Its spread to each neighbour comes ``held_s`` later than it would have
        (the spread clock of the building is set back by the time it was
        held; :attr:`spread_delay_s` keeps the total, and
        :meth:`ignition_times` the true ignition times).
        """
        b = building
        if self.state[b] not in (IGNITED, INVOLVED):
            return
        self.t_ign_s[b] += held_s
        self.spread_delay_s[b] += held_s
        self.t_stop_s[b] = self.t_out_s[b]

    def put_out(self, building: int, t_ext_s: float, t_now_s: float) -> None:
        """The fire of ``building`` is out at ``t_ext_s`` (unless it burns out first)."""
        b = building
        if self.state[b] in (IGNITED, INVOLVED) and t_ext_s < self.t_out_s[b]:
            self.t_ext_s[b] = t_ext_s
        _fire_kernels.settle(t_now_s, self.times, self.state)

    def ignition_times(self) -> np.ndarray:
        """When each building caught fire (s), ``inf`` if it has not."""
        return self.t_ign_s - self.spread_delay_s

    def counts(self) -> np.ndarray:
        """Buildings in each state now, shape (len(STATES),)."""
        return np.bincount(self.state, minlength=len(STATES))

    def burning(self) -> np.ndarray:
        """Indices of the buildings burning now (ignited or fully involved)."""
        return np.flatnonzero((self.state == IGNITED) | (self.state == INVOLVED))


def _closure_csr(buildings: Any, network: Any, distance_m: float) -> tuple[np.ndarray, ...]:
    """Road edges within ``distance_m`` of each building's footprint, as CSR ``(ptr, edges)``.

    A footprint is approximated by its inscribed circle (half its side): an
    edge counts when its centreline passes within ``side/2 + distance_m`` of
    the centre. Both directions of a street count.
    """
    from citysim.hazards.closure import segment_distance_m

    n = len(buildings)
    half = buildings.side_m / 2
    rx, ry, street = road_points(network, CLOSURE_SAMPLE_M)
    if n == 0 or rx.size == 0:
        return np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int64)
    hits = cKDTree(np.column_stack([rx, ry])).query_ball_point(
        np.column_stack([buildings.x_m, buildings.y_m]), half + distance_m + CLOSURE_SAMPLE_M / 2,
        return_sorted=True)
    counts = np.array([len(h) for h in hits], dtype=np.int64)
    b = np.repeat(np.arange(n), counts)
    e = street[np.concatenate([np.asarray(h, dtype=np.int64) for h in hits])] if b.size else b
    pair = np.unique(np.column_stack([b, e]), axis=0)
    b, e = pair[:, 0], pair[:, 1]
    tail, head = network.edge_tail, network.edge_head
    nx, ny = network.node_x_m, network.node_y_m
    d = segment_distance_m(buildings.x_m[b], buildings.y_m[b], nx[tail[e]], ny[tail[e]],
                           nx[head[e]], ny[head[e]])
    b, e = b[d <= half[b] + distance_m], e[d <= half[b] + distance_m]
    # every directed edge of the same street
    key = np.minimum(tail, head).astype(np.int64) * network.n_nodes + np.maximum(tail, head)
    order = np.argsort(key, kind="stable")
    lo = np.searchsorted(key[order], key[e], side="left")
    hi = np.searchsorted(key[order], key[e], side="right")
    reps = hi - lo
    bb = np.repeat(b, reps)
    pos = np.repeat(lo, reps) + (np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps))
    ee = order[pos]
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(bb, minlength=n), out=ptr[1:])
    return ptr, ee[np.argsort(bb, kind="stable")].astype(np.int64)


@register_hazard_model("fire")
class FireHazard(Hazard):
    """Fire spreading between the city's buildings; roads close, residents leave, engines attack.

    See the module docstring for the model. Per agent step: the fire spreads
    (event-driven, exact times), the buildings' states are brought up to
    date, roads next to fully involved buildings close, nodes near burning
    ones are warned, and each newly ignited building is called in.
    """

    type_name = "fire"
    fields = (
        FieldSpec("footprint_m2", "float64", "m2", "point", "in",
                  "building footprints and structures (city.buildings)"),
        FieldSpec("fire_state", "float64", "1", "point", "out",
                  "state of the nearest building: 0 unburned, 1 ignited, 2 fully involved, "
                  "3 burned out, 4 extinguished"),
        FieldSpec("speed_factor", "float64", "1", "edge", "out",
                  "0 on roads next to a fully involved building"),
    )

    def __init__(self, cfg: FireConfig, world: World, rng: np.random.Generator) -> None:
        buildings = world.buildings
        if buildings is None:
            raise ScenarioError("missing: a fire needs buildings (city.buildings)",
                                path="city.buildings")
        net = world.network
        self.cfg = cfg
        self.buildings = buildings
        self.network = net
        self.model = FireSpread(
            buildings.x_m, buildings.y_m, buildings.side_m, buildings.structure,
            wind_mps=cfg.wind.speed_mps, wind_from_deg=cfg.wind.from_deg, reach_m=cfg.reach_m,
            burn_s=(cfg.burn_duration.wood, cfg.burn_duration.fire_resistant),
            sigma=cfg.spread_time_sigma, rng=rng)
        self._locator = world.locator()  # off the map: refused, as a shelter is
        target = self._nearest_combustible(
            [g.location for g in cfg.ignitions],
            [("ignitions", k, "location") for k in range(len(cfg.ignitions))])
        if target is not None:
            self.model.schedule(np.array([g.at for g in cfg.ignitions]), target)
        self.closure_ptr, self.closure_edges = _closure_csr(buildings, net, cfg.road_closure_m)
        self._node_tree = cKDTree(np.column_stack([net.node_x_m, net.node_y_m]))
        self._building_tree = (cKDTree(np.column_stack([buildings.x_m, buildings.y_m]))
                               if len(buildings) else None)
        self.needs = {k: int(getattr(cfg.needs, k)) for k in UNIT_TYPES
                      if int(getattr(cfg.needs, k)) > 0}
        self._factor = np.ones(net.n_edges)
        self._warned = np.zeros(net.n_nodes, dtype=bool)
        self._new_warned = np.zeros(net.n_nodes, dtype=bool)
        self._calls: deque[tuple[float, int]] = deque()
        self._released: set[int] = set()
        self._hydrants = world.hydrants if cfg.water is not None else None
        self._hose_m, self._frontage = self._hose_lengths()
        self._hose_closed: tuple[bytes, np.ndarray, np.ndarray] | None = None
        self._attacked: set[int] = set()
        self._dry_at: dict[int, float] = {}  # held building -> when its tank runs dry
        self._resumed: set[int] = set()
        self._supply_calls: deque[tuple[float, int]] = deque()
        self._supplied: set[int] = set()
        self.water_counts = {"hydrant_hookups": 0, "tanks_run_dry": 0, "supply_requests": 0}
        self._step_start_s = 0.0
        self.t_s = 0.0
        self.progress: list[tuple[float, int, int, int, int]] = []
        self.max_closed_edges = 0

    @classmethod
    def from_config(cls, cfg: FireConfig, world: World, rng: np.random.Generator) -> FireHazard:
        """Build the fire from its YAML block and the world (``rng``: spread-time factors)."""
        return cls(cfg, world, rng)

    def _nearest_combustible(self, locations: list[Any],
                             paths: list[tuple[str | int, ...]]) -> np.ndarray | None:
        """The combustible building nearest to each location (None: the city has none)."""
        x, y, _ = self._locator.resolve(locations, paths)
        combustible = np.flatnonzero(self.model.combustible)
        if not combustible.size:
            return None
        b = self.buildings
        tree = cKDTree(np.column_stack([b.x_m[combustible], b.y_m[combustible]]))
        return combustible[tree.query(np.column_stack([x, y]))[1]]

    def ignite(self, location: Any, t_s: float, path: tuple[str | int, ...]) -> None:
        """One more ignition, of the combustible building nearest to ``location`` at ``t_s``.

        As an entry of ``ignitions`` does (a drill-room inject on the running
        fire); ``path`` names the location in errors (off the map).
        """
        target = self._nearest_combustible([location], [path])
        if target is not None:
            self.model.add_ignition(t_s, int(target[0]))

    def _hose_lengths(self) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
        """Hose length from each building's frontage to the nearest hydrant in service (m).

        Also the frontage (its edge and the position along it), for the hose
        lengths once the fire has closed some hydrants' streets
        (:meth:`_hose_now`).  Without hydrants: ``inf`` everywhere, no frontage.
        """
        b, h = self.buildings, self._hydrants
        if h is None or not len(h):
            return np.full(len(b), np.inf), None
        length, edge, offset = hose_length_m(self.network, h, b.x_m, b.y_m)
        return length, (edge, offset)

    def _hose_now(self, b: int) -> float:
        """Hose length from building ``b`` to the nearest hydrant usable now (m).

        A hydrant standing on a street the fire has closed (within
        ``road_closure_m`` of a fully involved building: the collapse zone)
        cannot be hooked up; the crew lays hose to the next one, along the
        streets.  Only the fire's own closures are known here.
        """
        h = self._hydrants
        if h is None or self._frontage is None:
            return math.inf
        usable = h.in_service & (self._factor[h.edge] > 0)
        if usable.sum() == h.in_service.sum():
            return float(self._hose_m[b])
        key = usable.tobytes()
        if self._hose_closed is None or self._hose_closed[0] != key:
            use = np.flatnonzero(usable)
            node_m, _ = hose_distances(self.network, h.edge[use], h.offset_m[use])
            self._hose_closed = (key, node_m, use)
        _, node_m, use = self._hose_closed
        edge, offset = self._frontage
        return float(frontage_hose_m(self.network, node_m, edge[b:b + 1], offset[b:b + 1],
                                     h.edge[use], h.offset_m[use])[0])

    # -- the step ---------------------------------------------------------
    def advance(self, t_s: float, dt_s: float) -> None:
        """Spread the fire to ``t_s + dt_s``; close roads, warn nodes, queue the calls."""
        t1 = t_s + dt_s
        self._step_start_s = t_s
        model = self.model
        for b in model.advance(t_s, t1):
            self._calls.append((float(model.t_ign_s[b]) + self.cfg.call_delay, int(b)))
        self.t_s = t1
        involved = np.flatnonzero(model.state == INVOLVED)
        closed = _fire_kernels.mark(self.closure_ptr, self.closure_edges, involved,
                                    self.network.n_edges)
        self._factor = np.where(closed, 0.0, 1.0)
        self.max_closed_edges = max(self.max_closed_edges, int(closed.sum()))
        burning = model.burning()
        self._new_warned = np.zeros(self.network.n_nodes, dtype=bool)
        if burning.size and self.cfg.warn_radius_m > 0:
            hits = self._node_tree.query_ball_point(
                np.column_stack([model.x_m[burning], model.y_m[burning]]), self.cfg.warn_radius_m)
            nodes = np.unique(np.concatenate([np.asarray(h, dtype=np.int64) for h in hits]))
            self._new_warned[nodes] = True
            self._new_warned &= ~self._warned
            self._warned |= self._new_warned
        c = model.counts()
        self.progress.append((t1, int(c[1] + c[2]), int(c[3]), int(c[4]), int(c[1:].sum())))

    def edge_effects(self) -> np.ndarray:
        """0 on the roads next to a fully involved building, 1 elsewhere."""
        return self._factor

    def warned_nodes(self) -> np.ndarray:
        """Nodes that came within ``warn_radius_m`` of a burning building in this step."""
        return self._new_warned

    def incidents(self) -> list[IncidentRequest]:
        """A held ``building_fire`` for each building whose call time has come.

        With water modelled, also a held ``water_supply`` (one engine, key
        ``n_buildings + building``) for each fire whose crew found no
        hydrant within hose reach.
        """
        out = []
        while self._calls and self._calls[0][0] <= self.t_s + 1e-9:
            t_call, b = self._calls.popleft()
            if self.model.state[b] in (IGNITED, INVOLVED):  # one that burned out unseen is not
                out.append(IncidentRequest(t_s=t_call, node=self._incident_node(b),
                                           kind="building_fire", needs=dict(self.needs),
                                           priority=1, key=b, hold=True))
        n = len(self.buildings)
        while self._supply_calls:
            t_call, b = self._supply_calls.popleft()
            if self.model.state[b] in (IGNITED, INVOLVED):
                self.water_counts["supply_requests"] += 1
                out.append(IncidentRequest(t_s=max(t_call, self._step_start_s),
                                           node=self._incident_node(b), kind="water_supply",
                                           needs={"engine": 1}, priority=1, key=n + b,
                                           hold=True))
        return out

    def _incident_node(self, b: int) -> int:
        """The nearest road node of building ``b`` that the fire's closures leave reachable."""
        net = self.network
        k = min(INCIDENT_NODES, net.n_nodes)
        _, nodes = self._node_tree.query([self.model.x_m[b], self.model.y_m[b]], k=k)
        nodes = np.atleast_1d(nodes)
        for v in nodes:
            into = net.rev_edges[net.rev_indptr[v]:net.rev_indptr[v + 1]]
            if into.size == 0 or (self._factor[into] > 0).any():
                return int(v)
        return int(nodes[0])

    def attend(self, t_s: float, on_scene: Any) -> list[int]:
        """Units on scene stop a building's spread and put it out; release the buildings out.

        With ``water`` (:class:`FireWater`), the first crew attacks from its
        tank; see :meth:`_first_water` and :meth:`_supply_arrives`.
        """
        model = self.model
        n = len(self.buildings)
        done = []
        for key, (_, t_first) in on_scene.items():
            b = int(key) % n if n else int(key)
            if math.isfinite(t_first):
                if self.cfg.water is None:
                    model.attack(b, float(t_first), self.cfg.suppression, t_s)
                elif key < n and b not in self._attacked:
                    self._attacked.add(b)
                    self._first_water(b, float(t_first), t_s)
                elif key >= n and b not in self._supplied:
                    self._supplied.add(b)
                    self._supply_arrives(b, float(t_first), t_s)
        held = self.cfg.water.tank_s if self.cfg.water is not None else 0.0
        for b, t_dry in self._dry_at.items():
            if t_dry <= t_s and b not in self._resumed and b not in self._supplied:
                self._resumed.add(b)
                model.resume(b, held)
        for key in on_scene:
            b = int(key) % n if n else int(key)
            if model.state[b] in (BURNED_OUT, EXTINGUISHED) and key not in self._released:
                self._released.add(int(key))
                done.append(int(key))
        return done

    def _first_water(self, b: int, t_arrive_s: float, t_s: float) -> None:
        """The first crew reaches building ``b`` with its tank.

        If the tank lasts the whole suppression, or a hydrant within hose
        reach (in service, on a street the fire has not closed:
        :meth:`_hose_now`) is hooked up before the tank runs dry, the attack
        is as without water limits.  A hook-up after the tank ran dry leaves a gap without
        water: the fire is out that much later.  With no hydrant in reach the
        tank holds the spread while it lasts; then the fire spreads again
        until a second engine (requested now) brings water, and is out
        ``suppression - tank time`` after it arrives.
        """
        water = self.cfg.water
        assert water is not None
        supp = float(self.cfg.suppression)
        tank_s = water.tank_s
        if tank_s >= supp:
            self.model.attack(b, t_arrive_s, supp, t_s)
            return
        hose = self._hose_now(b)
        if hose <= water.hose_reach_m:
            self.water_counts["hydrant_hookups"] += 1
            hookup_s = float(water.hookup) + hose / water.lay_speed_mps
            self.model.attack(b, t_arrive_s, supp + max(0.0, hookup_s - tank_s), t_s)
            return
        self.water_counts["tanks_run_dry"] += 1
        self.model.hold(b, t_arrive_s, t_s)
        self._dry_at[b] = t_arrive_s + tank_s
        self._supply_calls.append((t_arrive_s, b))

    def _supply_arrives(self, b: int, t_arrive_s: float, t_s: float) -> None:
        """The requested engine reaches ``b``: the attack goes on to the end with its water."""
        water = self.cfg.water
        assert water is not None
        tank_s = water.tank_s
        t_dry = self._dry_at.get(b, math.inf)
        if t_arrive_s <= t_dry:  # before the first tank ran dry: no gap
            self.model.put_out(b, t_dry - tank_s + float(self.cfg.suppression), t_s)
            return
        if b not in self._resumed:
            self._resumed.add(b)
            self.model.resume(b, tank_s)
        self.model.attack(b, t_arrive_s, float(self.cfg.suppression) - tank_s, t_s)

    # -- outputs ----------------------------------------------------------
    def sample(self, x_m: np.ndarray, y_m: np.ndarray) -> dict[str, np.ndarray]:
        """State code of the building nearest to each point (0 when there are no buildings)."""
        x = np.atleast_1d(np.asarray(x_m, dtype=np.float64))
        if self._building_tree is None:
            return {"fire_state": np.zeros(x.shape)}
        _, b = self._building_tree.query(np.column_stack([x, np.atleast_1d(y_m)]))
        return {"fire_state": self.model.state[b].astype(np.float64)}

    def summary(self) -> dict[str, float | str | None]:
        """Fire KPIs: buildings burned (caught fire), burned out, put out, burned area."""
        model = self.model
        caught = model.state != UNBURNED
        c = model.counts()
        peak = max((p[1] for p in self.progress), default=0)
        return {
            "fire_buildings": len(self.buildings),
            "fire_buildings_burned": int(caught.sum()),
            "fire_buildings_burned_out": int(c[3]),
            "fire_buildings_extinguished": int(c[4]),
            "fire_buildings_burning": int(c[1] + c[2]),
            "fire_burned_area_m2": float(self.buildings.footprint_m2[caught].sum()),
            "fire_peak_burning": int(peak),
            "fire_last_ignition_s": (float(model.ignition_times()[caught].max()) if caught.any()
                                     else None),
            "fire_max_closed_edges": int(self.max_closed_edges),
            **({} if self.cfg.water is None else {
                f"fire_{k}": int(v) for k, v in self.water_counts.items()}),
        }

    def tables(self) -> dict[str, Any]:
        """``fire_buildings`` (one row per building) and ``fire_progress`` (one row per step).

        ``fire_buildings``: ``building, x, y, footprint_m2, structure, state,
        t_ignite_s, t_involved_s, t_out_s`` (burned out or put out; NaN while
        it burns or if it never caught fire) and ``source`` (the building it
        caught from; empty for a scheduled ignition or none).
        ``fire_progress``: ``t_s, burning, burned_out, extinguished, ignited``
        (buildings that caught fire so far).
        """
        import pandas as pd

        m, b = self.model, self.buildings
        caught = m.state != UNBURNED
        done = (m.state == BURNED_OUT) | (m.state == EXTINGUISHED)
        t_out = np.where(m.state == EXTINGUISHED, m.t_ext_s, m.t_out_s)
        reached_full = caught & (m.t_full_s <= self.t_s)

        def finite(v: np.ndarray, mask: np.ndarray) -> np.ndarray:
            return np.where(mask & np.isfinite(v), v, np.nan)

        source = np.asarray(b.id, dtype=object)[np.maximum(m.source, 0)]
        buildings = pd.DataFrame({
            "building": b.id, "x": b.x_m, "y": b.y_m, "footprint_m2": b.footprint_m2,
            "structure": b.structure_names(),
            "state": np.asarray(STATES, dtype=object)[m.state],
            "t_ignite_s": finite(m.ignition_times(), caught),
            "t_involved_s": finite(m.t_full_s, reached_full),
            "t_out_s": finite(t_out, done),
            # mypy: an object column: None where there is no source
            "source": np.where(m.source >= 0, source, None),  # type: ignore[call-overload]
        })
        progress = pd.DataFrame(self.progress, columns=["t_s", "burning", "burned_out",
                                                        "extinguished", "ignited"])
        return {"fire_buildings": buildings, "fire_progress": progress}

    def frame(self) -> Frame | None:
        """Every building, coloured by its state (0 unburned ... 4 burned out)."""
        if not len(self.buildings):
            return None
        return Frame(label="buildings: 0 unburned, 1 put out, 2 burning, 3 fully involved, "
                           "4 burned out",
                     x_m=self.buildings.x_m, y_m=self.buildings.y_m,
                     value=SEVERITY[self.model.state], vmax=4.0)
