"""Pluvial and fluvial flooding on the terrain grid (local-inertial scheme).

The YAML schema of ``type: flood`` (:mod:`citysim.scenario.hazards.flood`) and
:class:`FloodHazard`, which routes
rain and inflows over the terrain with the local-inertial scheme of Bates et
al. (2010) (kernels in :mod:`citysim.hazards._flood_kernels`), turns water on
the roads into slower and closed edges (Pregnolato et al. 2017), and water
around people outdoors into a hazard rating that slows, traps, injures and
kills (:class:`PeopleInWater`). Units: rain, drainage and infiltration in
mm/h at the YAML edge, m/s inside; inflows in m³/s, depths in m.

**The grid** is the scenario's terrain. NODATA cells (NaN) are outside the
domain: no rain falls on them and no water crosses into them (walls).
Underpasses carved into a synthetic terrain (:mod:`citysim.world.terrain`) are
troughs under their road: an edge that runs through one reads the water in
the trough; a road or a resident crossing *over* it reads the water above
the original ground.

**People in water** (:meth:`FloodHazard.expose`). At each resident's
position outdoors the UK flood hazard rating (Defra/EA FD2320, 2006; the
debris factor of Defra 2008 for urban areas)::

    HR = d (v + 0.5) + DF,   DF = 1 if d > 0.25 m or v > 2 m/s, else 0

with classes low (< 0.75), danger for some (< 1.25), danger for most
(< 2.0) and danger for all. MODELS.md leaves the mapping to outcomes open;
citysim decides (documented in the README, every number a YAML key of
``people_in_water``):

- **on foot**: low and danger for some (below ``trapped_from``, default
  danger for most): the walker wades on, slowed by the wading law below
  (:meth:`FloodHazard.walk_effects`; water never closes a street to walkers,
  it makes it slow, and routes weigh streets by their wading time); from
  ``trapped_from`` on a walker cannot go on: trapped where they stand, one
  ``flood_rescue`` incident per node for the newly trapped there. In still
  water ``HR = 0.5 d + 1`` above 0.25 m, so a walker wades in up to 0.5 m
  and is trapped from 0.5 m (with the default ``trapped_from``), which is
  also Ishigaki et al.'s (2009) limit of evacuation on foot, a specific
  force of 0.125 m²;
- **in a car**: the car stalls where the water reaches the depth at which
  roads close (Pregnolato's curve reaches 0 at 0.3 m): its occupants are
  trapped (a rescue call); the car protects them from harm until the class
  is danger for all (cars float and are swept away);
- **at home, sheltering, in a shelter**: indoors; MODELS.md gives no indoor
  threshold, so the water warns them (``WARN_DEPTH_M``) but does not harm
  them;
- **harm**: each agent draws two uniforms once from the hazard's stream
  (deterministic per seed, independent of the time step). With ``HR`` the
  worst rating the agent has met, it is injured when its first uniform is
  below ``injury_probability`` of HR's class, and an injured agent dies when
  its second is below ``fatality_per_hr * HR`` (FD2321's ratio of deaths
  to injuries, 2 HR %). The injury shares by class (5 %, 20 %, 50 % by
  default) are assumptions: no source we know gives injury rates by hazard
  class (FD2321 estimates injuries for a population from area and people
  vulnerability, not per class), so they are parameters of the flood config
  (``people_in_water.injury_probability.some / most / all``), to be set from
  local data or swept in an experiment.

**Walking in water** (:func:`wading_speed_factor`). The car curve
(Pregnolato) is not a walking law. Bernardini et al. (2017, "A preliminary
combined simulation tool for the risk assessment of pedestrians'
flood-induced evacuation", Environ. Model. Softw. 96) fit the wading speeds
of Ishigaki et al.'s (2009) flume experiments to the specific force per
unit width ``M = u² d / g + d² / 2`` (m²)::

    V = 0.53 M^-0.19  (m/s),  fitted for M up to about 0.125 m²

The coefficients and ``M`` are confirmed against an independent open
implementation: the FLAME GPU flood-pedestrian simulator of Shirvani,
Kesserwani & Richmond (2020, J. Hydroinformatics 22(5) 1078-1092;
``FloodPedestrian_2020/src/model/functions.c``) uses ``0.53 M^-0.19`` with
the same ``M`` for adults, citing Postacchini et al. (2018) on Ishigaki et
al.'s data; the primary paper was not re-read here. citysim scales it to each walker's own free
speed, ``v = v0 min(1, V / 1.34)``: walking is unaffected below about
0.12 m of still water, 0.95 m/s at 0.3 m, 0.79 m/s at 0.5 m. Laboratory
speeds in still water agree (Li et al. 2026: -39 % for men, -45 % for
women at 0.35 m; the law gives -33 %). Beyond the fitted range the law is
extrapolated, but the hazard rating has trapped the walker by then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from citysim.hazards.base import FieldSpec, Frame, Harm, Hazard, IncidentRequest, Setting
from citysim.hazards.registry import register_hazard_model
from citysim.scenario.hazards.flood import FloodConfig, Inflow, InjuryShares, PeopleInWater

if TYPE_CHECKING:
    from citysim.world.builder import World

__all__ = ["FloodConfig", "FloodHazard", "Inflow", "InjuryShares", "PeopleInWater",
           "hazard_class", "hazard_rating", "pregnolato_speed_factor", "wading_speed_factor"]

ALPHA = 0.7
"""CFL coefficient of the adaptive time step (Bates et al. 2010)."""
H_MIN_M = 0.001
"""Depth below which a face carries no flow (about 1 mm, MODELS.md)."""
PONDING_DEPTH_M = 0.05
"""Water on a road at least this deep lists it in ``flooded_roads.parquet`` (m)."""
WATERLOGGING_DEPTH_M = 0.15
"""A road is a waterlogging point when its water reached this depth (m): the
Chinese design standard for urban waterlogging (GB 51222-2017) asks that at
least one lane keeps its water below 15 cm (check)."""
WARN_DEPTH_M = 0.1
"""Water this deep at a resident's node warns them (m)."""
EDGE_SAMPLES = 5
"""Points sampled along each road edge for its depth (both ends included)."""
HR_CLASSES = (0.75, 1.25, 2.0)
"""Upper bounds of the hazard-rating classes low, danger for some, danger for
most; above: danger for all (FD2320)."""
HR_CLASS_NAMES = ("low", "some", "most", "all")
DEBRIS_DEPTH_M = 0.25
"""Debris factor 1 above this depth (urban, Defra 2008)."""
DEBRIS_SPEED_MPS = 2.0
"""... or above this flow speed."""
WADING_COEFF_MPS = 0.53
"""``V = 0.53 M^-0.19`` m/s, M in m² (Bernardini et al. 2017 on Ishigaki et al. 2009; check)."""
WADING_EXPONENT = -0.19
DRY_WALK_SPEED_MPS = 1.34
"""Free walking speed the wading speed is scaled by (Weidmann 1993)."""
GRAVITY_MPS2 = 9.81
FRAME_TOP_M = 2.0
"""Top of the colour scale of the animation frames (m)."""
IN_TUNNEL_M = 1.0
"""A resident within this distance of an underpass's axis, off a node, is in it (m)."""
EXAMPLE = {"type": "flood", "rain_mm_h": [[0, 0], [60, 200]], "drainage_mm_h": 12,
           "road_closed_depth_m": 0.3}
"""A minimal block for the hazard contract test (needs city terrain)."""


def pregnolato_speed_factor(depth_m: np.ndarray, closed_depth_m: float = 0.3) -> np.ndarray:
    """Car speed in standing water relative to dry road (Pregnolato et al. 2017).

    ``v = 0.0009 w² - 0.5529 w + 86.9448`` km/h for a depth ``w`` in mm below
    300 mm, fitted to an 87 km/h road, scaled here to the road's own free
    speed (divided by 86.9448); 0 from ``closed_depth_m`` on.

    Parameters
    ----------
    depth_m
        Water depth on the road (m).
    closed_depth_m
        Depth at which the road is closed (m); at most 0.3 m, where the curve
        reaches about 2 km/h.

    Returns
    -------
    numpy.ndarray
        Factor in [0, 1].
    """
    w = np.asarray(depth_m, dtype=np.float64) * 1000.0
    v = 0.0009 * w**2 - 0.5529 * w + 86.9448
    factor = np.clip(v / 86.9448, 0.0, 1.0)
    return np.where(np.asarray(depth_m) >= min(closed_depth_m, 0.3), 0.0, factor)


def wading_speed_factor(depth_m: np.ndarray, velocity_mps: np.ndarray | float = 0.0
                        ) -> np.ndarray:
    """Walking speed in water relative to dry ground (module doc, "Walking in water").

    ``min(1, 0.53 M^-0.19 / 1.34)`` with the specific force per unit width
    ``M = u² d / g + d² / 2`` (Bernardini et al. 2017, fit to Ishigaki et al.
    2009); 1 where there is no water. Never 0: whether a walker can go on
    at all is the hazard rating's decision (:meth:`FloodHazard.expose`).

    Parameters
    ----------
    depth_m
        Water depth (m).
    velocity_mps
        Flow speed (m/s).

    Returns
    -------
    numpy.ndarray
        Factor in (0, 1].
    """
    d = np.asarray(depth_m, dtype=np.float64)
    u = np.asarray(velocity_mps, dtype=np.float64)
    force_m2 = u**2 * d / GRAVITY_MPS2 + d**2 / 2.0
    with np.errstate(divide="ignore"):
        speed = WADING_COEFF_MPS * np.maximum(force_m2, 1e-300) ** WADING_EXPONENT
    return np.where(d > 0, np.minimum(speed / DRY_WALK_SPEED_MPS, 1.0), 1.0)


def hazard_rating(depth_m: np.ndarray, velocity_mps: np.ndarray) -> np.ndarray:
    """Flood hazard rating ``HR = d (v + 0.5) + DF`` (FD2320; urban debris factor, Defra 2008).

    Parameters
    ----------
    depth_m
        Water depth (m).
    velocity_mps
        Flow speed (m/s).

    Returns
    -------
    numpy.ndarray
        HR (dimensionless); ``DF = 1`` where ``d > 0.25 m`` or ``v > 2 m/s``,
        0 elsewhere; 0 where there is no water.
    """
    d = np.asarray(depth_m, dtype=np.float64)
    v = np.asarray(velocity_mps, dtype=np.float64)
    debris = ((d > DEBRIS_DEPTH_M) | ((v > DEBRIS_SPEED_MPS) & (d > 0))).astype(np.float64)
    return d * (v + 0.5) + debris


def hazard_class(hr: np.ndarray) -> np.ndarray:
    """Hazard class of a rating: 0 low, 1 danger for some, 2 for most, 3 for all (FD2320)."""
    return np.searchsorted(np.asarray(HR_CLASSES), np.asarray(hr), side="right").astype(np.int8)


@register_hazard_model("flood")
class FloodHazard(Hazard):
    """Rain and inflows routed over the terrain; water slows and closes roads and harms people.

    The grid is the scenario's terrain (NODATA cells are outside the domain).
    Each agent step the water advances with adaptive sub-steps (``dt = 0.7
    dx / sqrt(g h_max)``); drainage and infiltration are removed only where
    water stands; a running volume balance gives
    ``flood_volume_balance_error``. A road edge takes the deepest water among
    points sampled along it (an edge through an underpass: at least the
    water in the underpass).
    """

    type_name = "flood"
    fields = (
        FieldSpec("elevation_m", "float64", "m", "cell", "in", "bed elevation"),
        FieldSpec("depth_m", "float64", "m", "cell", "out", "water depth"),
        FieldSpec("depth_m", "float64", "m", "point", "out", "water depth at a point"),
        FieldSpec("velocity_mps", "float64", "m/s", "point", "out", "flow speed at a point"),
        FieldSpec("speed_factor", "float64", "1", "edge", "out", "Pregnolato car speed ratio"),
        FieldSpec("walk_factor", "float64", "1", "edge", "out", "wading speed ratio"),
    )

    def __init__(self, cfg: FloodConfig, world: World, rng: np.random.Generator) -> None:
        import numba

        from citysim.hazards import _flood_kernels  # numba compiles only when a flood runs

        self._k = _flood_kernels
        terrain = world.terrain
        assert terrain is not None, "a flood requires city.terrain (checked at load)"
        self.cfg = cfg
        self.rng = rng
        self.x0_m, self.y0_m, self.dx_m = terrain.x0_m, terrain.y0_m, terrain.cell_m
        elevation = np.asarray(terrain.values, dtype=np.float64)
        self.z = np.ascontiguousarray(np.where(np.isfinite(elevation), elevation,
                                               _flood_kernels.Z_WALL_M), dtype=np.float64)
        rows, cols = self.z.shape
        self.h = np.zeros((rows, cols))
        self.qx = np.zeros((rows, cols + 1))
        self.qy = np.zeros((rows + 1, cols))
        self.max_h = np.zeros((rows, cols))
        self.parallel = (rows * cols >= _flood_kernels.PARALLEL_MIN_CELLS
                         and numba.get_num_threads() > 1)
        self.rain_t_s = np.asarray(cfg.rain_mm_h.t_s, dtype=np.float64)
        self.rain_m_s = np.asarray(cfg.rain_mm_h.value, dtype=np.float64) / 3.6e6
        self.loss_m_s = (cfg.drainage_mm_h + cfg.infiltration_mm_h) / 3.6e6
        self.inflow_cells, self.inflow_t_s, self.inflow_m3_s = self._inflows(cfg, world)
        net = world.network
        self.network = net
        self.edge_ends = (net.node_x_m[net.edge_tail], net.node_y_m[net.edge_tail],
                          net.node_x_m[net.edge_head], net.node_y_m[net.edge_head])
        self.edge_length_m = net.length_m
        self.edge_mid_cell = self._cells((self.edge_ends[0] + self.edge_ends[2]) / 2,
                                         (self.edge_ends[1] + self.edge_ends[3]) / 2)[0]
        pair = np.minimum(net.edge_tail, net.edge_head).astype(np.int64) * net.n_nodes + \
            np.maximum(net.edge_tail, net.edge_head)
        self.edge_street = np.unique(pair, return_inverse=True)[1]  # street of each edge
        self.node_xy = (net.node_x_m, net.node_y_m)
        self._underpasses(world.underpasses, net.n_edges)
        self.volumes_m3 = np.zeros(4)  # rain, loss, inflow, outflow
        self.max_depth_m = 0.0
        self.max_edge_depth_m = np.zeros(net.n_edges)
        self.t_max_edge_s = np.full(net.n_edges, np.nan)  # when it was deepest
        self.t_closed_s = np.full(net.n_edges, np.nan)  # when the water first closed it
        self.edge_nodes = (net.node_id[net.edge_tail], net.node_id[net.edge_head])
        self.substeps = 0
        self._edge_depth = np.zeros(net.n_edges)
        self.series: list[tuple[float, float, float, int, int]] = []
        self._people: dict[str, np.ndarray] = {}
        self._pending: list[IncidentRequest] = []
        self.rescue_calls = 0

    def _underpasses(self, up: Any, n_edges: int) -> None:
        """Keep what the flood needs of the world's underpasses (none: empty arrays)."""
        rows, cols = self.z.shape
        self.underpasses = up
        n = 0 if up is None else len(up)
        self.carve_m = np.zeros((rows, cols)) if up is None else \
            np.ascontiguousarray(up.carve_m, dtype=np.float64)
        self.edge_underpass = np.full(n_edges, -1, np.int64) if up is None else \
            up.edge_underpass
        owner = np.full(rows * cols, -1, np.int64) if up is None else up.cell_underpass.ravel()
        self.up_cells = np.flatnonzero(owner >= 0)
        self.up_owner = owner[self.up_cells]
        self.up_depth_now = np.zeros(n)
        self.up_max_depth_m = np.zeros(n)
        self.up_t_max_s = np.full(n, np.nan)
        self.up_t_closed_s = np.full(n, np.nan)
        self.on_deck = (self.edge_underpass < 0).astype(np.uint8)

    @classmethod
    def from_config(cls, cfg: FloodConfig, world: World, rng: np.random.Generator) -> FloodHazard:
        """Build the flood from its YAML block and the world.

        ``rng`` draws each resident's two uniforms for harm, once, at the first
        exposure.
        """
        return cls(cfg, world, rng)

    def _inflows(self, cfg: FloodConfig, world: World) -> tuple[np.ndarray, ...]:
        from citysim.errors import ScenarioError

        k = len(cfg.inflows)
        if k == 0:
            return np.zeros(0, np.int64), np.full((0, 1), np.inf), np.zeros((0, 1))
        locator = world.locator()  # off the map: refused, as a shelter is
        paths = [("inflows", i, "location") for i in range(k)]
        x, y, _ = locator.resolve([f.location for f in cfg.inflows], paths)
        rows, cols = self.z.shape
        col = np.clip(((x - self.x0_m) // self.dx_m).astype(np.int64), 0, cols - 1)
        row = np.clip(((y - self.y0_m) // self.dx_m).astype(np.int64), 0, rows - 1)
        outside = np.flatnonzero(self.z[row, col] >= self._k.Z_WALL_M)
        if outside.size:
            i = int(outside[0])
            raise ScenarioError(f"inflow at ({x[i]:.0f}, {y[i]:.0f}) m falls on a terrain cell "
                                "without data (outside the flood's domain)",
                                path=f"inflows[{i}].location")
        n = max(len(f.m3_s.t_s) for f in cfg.inflows)
        t = np.full((k, n), np.inf)
        q = np.zeros((k, n))
        for i, f in enumerate(cfg.inflows):
            t[i, :len(f.m3_s.t_s)] = f.m3_s.t_s
            q[i, :len(f.m3_s.value)] = f.m3_s.value
        return row * cols + col, t, q

    # -- the water ------------------------------------------------------------------------
    def advance(self, t_s: float, dt_s: float) -> None:
        """Route the water from ``t_s`` to ``t_s + dt_s`` (adaptive sub-steps)."""
        volumes, n_sub = self._k.run_flood(
            self.z, self.h, self.qx, self.qy, self.cfg.manning_n, self.dx_m, t_s, t_s + dt_s,
            ALPHA, H_MIN_M, self.cfg.boundary == "open", self.rain_t_s, self.rain_m_s,
            self.loss_m_s, self.inflow_cells, self.inflow_t_s, self.inflow_m3_s,
            theta=self.cfg.theta, parallel=self.parallel)
        t_end = t_s + dt_s
        self.volumes_m3 += volumes
        self.substeps += int(n_sub)
        self.max_depth_m = max(self.max_depth_m, float(self.h.max()))
        np.maximum(self.max_h, self.h, out=self.max_h)
        closed_depth = self.cfg.road_closed_depth_m
        if self.up_depth_now.size:
            now = np.zeros(self.up_depth_now.size)
            np.maximum.at(now, self.up_owner, self.h.ravel()[self.up_cells])
            self.up_depth_now = now
            deeper = now > self.up_max_depth_m
            self.up_max_depth_m[deeper] = now[deeper]
            self.up_t_max_s[deeper] = t_end
            self.up_t_closed_s[np.isnan(self.up_t_closed_s) & (now >= closed_depth)] = t_end
        ax, ay, bx, by = self.edge_ends
        depth = self._k.edge_depth(self.h, self.carve_m, self.x0_m, self.y0_m, self.dx_m, ax, ay,
                                   bx, by, self.on_deck, EDGE_SAMPLES)
        through = self.edge_underpass >= 0
        depth[through] = np.maximum(depth[through], self.up_depth_now[self.edge_underpass[through]])
        self._edge_depth = depth
        deeper = depth > self.max_edge_depth_m
        self.max_edge_depth_m[deeper] = depth[deeper]
        self.t_max_edge_s[deeper] = t_end
        self.t_closed_s[np.isnan(self.t_closed_s) & (depth >= closed_depth)] = t_end
        rain_mm_h = float(self.cfg.rain_mm_h.value_at(t_s))
        self.series.append((t_end, rain_mm_h, self.storage_m3(),
                            int(np.count_nonzero(depth >= closed_depth)),
                            int(np.count_nonzero(self.up_depth_now >= closed_depth))))

    def edge_effects(self) -> np.ndarray:
        """Pregnolato speed factor of every edge from its deepest water; 0 closes it."""
        return pregnolato_speed_factor(self._edge_depth, self.cfg.road_closed_depth_m)

    def walk_effects(self) -> np.ndarray:
        """Wading speed factor of every edge: its deepest water, the flow at its middle.

        Never 0: water slows walkers; the hazard rating where they stand traps
        them (:meth:`expose`).
        """
        velocity = self._k.cell_velocity(self.h, self.qx, self.qy, self.edge_mid_cell)
        return wading_speed_factor(self._edge_depth, velocity)

    def _cells(self, x_m: np.ndarray, y_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows, cols = self.h.shape
        col = np.floor((np.asarray(x_m) - self.x0_m) / self.dx_m).astype(np.int64)
        row = np.floor((np.asarray(y_m) - self.y0_m) / self.dx_m).astype(np.int64)
        inside = (row >= 0) & (row < rows) & (col >= 0) & (col < cols)
        return np.where(inside, row * cols + np.clip(col, 0, cols - 1), 0), inside

    def _depth_at(self, x_m: np.ndarray, y_m: np.ndarray, *,
                  on_deck: np.ndarray | bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Depth at points (0 outside the grid) and their flat cells.

        ``on_deck``: read the water above the original ground (over an underpass).
        """
        idx, inside = self._cells(x_m, y_m)
        depth = self.h.ravel()[idx]
        depth = np.where(on_deck, np.maximum(depth - self.carve_m.ravel()[idx], 0.0), depth)
        return np.where(inside, depth, 0.0), idx

    def sample(self, x_m: np.ndarray, y_m: np.ndarray) -> dict[str, np.ndarray]:
        """Depth (m) and flow speed (m/s) at points; 0 outside the grid."""
        depth, idx = self._depth_at(x_m, y_m)
        speed = self._k.cell_velocity(self.h, self.qx, self.qy, idx)
        return {"depth_m": depth, "velocity_mps": np.where(depth > 0, speed, 0.0)}

    def warned_nodes(self) -> np.ndarray:
        """Nodes where the water (above the ground) is at least :data:`WARN_DEPTH_M` deep."""
        return self._depth_at(*self.node_xy, on_deck=True)[0] >= WARN_DEPTH_M

    def storage_m3(self) -> float:
        """Water on the grid (m³)."""
        return float(self.h.sum() * self.dx_m**2)

    # -- people ---------------------------------------------------------------------------
    def _in_tunnel(self, x_m: np.ndarray, y_m: np.ndarray, idx: np.ndarray,
                   node: np.ndarray) -> np.ndarray:
        """Whether each point is inside an underpass (on its axis, not at a node)."""
        if self.underpasses is None:
            return np.zeros(x_m.shape, dtype=bool)
        owner = self.underpasses.cell_underpass.ravel()[idx]
        k = np.maximum(owner, 0)
        up = self.underpasses
        across = np.abs(-(x_m - up.x_m[k]) * up.axis[k, 1] + (y_m - up.y_m[k]) * up.axis[k, 0])
        off_node = np.hypot(x_m - self.node_xy[0][node], y_m - self.node_xy[1][node]) > IN_TUNNEL_M
        return (owner >= 0) & (across <= IN_TUNNEL_M) & off_node

    def expose(self, t_s: float, dt_s: float, people: Any) -> Harm | None:
        """Slow, trap, injure and kill residents in water outdoors (module doc).

        Returns the step's harm (cumulative masks of the agents in water now);
        newly trapped residents get one ``flood_rescue`` incident per node.
        """
        n = people.x_m.shape[0]
        state = self._people
        if not state:
            u = self.rng.random((2, n))
            state.update(u_injury=u[0], u_death=u[1], hr_max=np.zeros(n), hr_harm=np.zeros(n),
                         trapped=np.zeros(n, bool), injured=np.zeros(n, bool),
                         dead=np.zeros(n, bool), wet=np.zeros(n, bool),
                         persons=np.asarray(people.persons))
        on_foot = people.setting == Setting.ON_FOOT
        in_car = people.setting == Setting.IN_CAR
        ids = np.flatnonzero((on_foot | in_car) & ~state["dead"])
        if ids.size == 0:
            return None
        x, y = people.x_m[ids], people.y_m[ids]
        idx, _ = self._cells(x, y)
        tunnel = self._in_tunnel(x, y, idx, people.node[ids])
        depth, _ = self._depth_at(x, y, on_deck=~tunnel)
        wet = depth > H_MIN_M
        ids, depth, idx, car = ids[wet], depth[wet], idx[wet], in_car[ids[wet]]
        if ids.size == 0:
            return None
        state["wet"][ids] = True
        hr = hazard_rating(depth, self._k.cell_velocity(self.h, self.qx, self.qy, idx))
        state["hr_max"][ids] = np.maximum(state["hr_max"][ids], hr)
        harm = np.where(car & (hazard_class(hr) < 3), 0.0, hr)  # a car shelters until it floats
        state["hr_harm"][ids] = np.maximum(state["hr_harm"][ids], harm)
        worst = state["hr_harm"][ids]
        cls = hazard_class(worst)
        p = self.cfg.people_in_water
        p_injury = p.injury_probability.by_class()[cls]
        injured = state["u_injury"][ids] < p_injury
        dead = injured & (state["u_death"][ids] < p.fatality_per_hr * worst)
        trapped = np.where(car, depth >= self.cfg.road_closed_depth_m,
                           cls >= HR_CLASS_NAMES.index(p.trapped_from)) & ~dead
        fresh = ids[trapped & ~state["trapped"][ids]]
        state["trapped"][fresh] = True
        state["injured"][ids[injured]] = True
        state["dead"][ids[dead]] = True
        self._rescue(t_s + dt_s, fresh, people.node[fresh])
        masks = [np.zeros(n, dtype=bool) for _ in range(3)]
        for mask, sel in zip(masks, (dead, trapped, injured), strict=True):
            mask[ids[sel]] = True
        return Harm(dead=masks[0], trapped=masks[1], injured=masks[2])

    def _rescue(self, t_s: float, agents: np.ndarray, nodes: np.ndarray) -> None:
        """One ``flood_rescue`` incident per node for the agents newly trapped there."""
        units = self.cfg.people_in_water.rescue_units
        needs = {k: v for k, v in units.model_dump().items() if v > 0}
        for node in np.unique(nodes):
            self._pending.append(IncidentRequest(
                t_s=t_s, node=int(node), kind="flood_rescue", needs=needs,
                agents=agents[nodes == node]))
            self.rescue_calls += 1

    def incidents(self) -> list[IncidentRequest]:
        """Rescue incidents raised since the last call."""
        out, self._pending = self._pending, []
        return out

    # -- outputs --------------------------------------------------------------------------
    def tables(self) -> dict[str, Any]:
        """``flooded_roads`` and ``waterlogging`` (:meth:`waterlogging`).

        ``flooded_roads``: every edge where water stood at least
        :data:`PONDING_DEPTH_M`, columns ``edge, from_node, to_node, length_m,
        max_depth_m, t_closed_s`` (when the water first reached
        ``road_closed_depth_m``, NaN if never), ``kind`` (``road`` or
        ``underpass``: the edge runs through one), ``t_max_depth_s``; in the
        order the roads drowned (closed first, by time; then the rest, deepest
        first).
        """
        import pandas as pd

        wet = np.flatnonzero(self.max_edge_depth_m >= PONDING_DEPTH_M)
        frame = pd.DataFrame({
            "edge": wet, "from_node": self.edge_nodes[0][wet], "to_node": self.edge_nodes[1][wet],
            "length_m": self.edge_length_m[wet], "max_depth_m": self.max_edge_depth_m[wet],
            "t_closed_s": self.t_closed_s[wet],
            "kind": np.where(self.edge_underpass[wet] >= 0, "underpass", "road"),
            "t_max_depth_s": self.t_max_edge_s[wet],
        })
        roads = frame.sort_values(["t_closed_s", "max_depth_m"], ascending=[True, False],
                                  na_position="last", kind="stable").reset_index(drop=True)
        return {"flooded_roads": roads, "waterlogging": self.waterlogging()}

    def waterlogging(self) -> Any:
        """The waterlogging points: streets and underpasses ranked by their deepest water.

        One row per street (both directions of a two-way road together) whose
        water reached :data:`WATERLOGGING_DEPTH_M`, outside underpasses, and
        one per underpass (all of them, flooded or not). Columns: ``rank``
        (1 = deepest; ties: the earlier closure first), ``kind`` (``road`` or
        ``underpass``), ``name`` (the underpass's, or the road class and its
        end nodes), ``edge`` (an edge of the street, or the first through the
        underpass), ``from_node``, ``to_node``, ``x``, ``y`` (middle of the
        street or of the underpass, m), ``length_m``, ``max_depth_m``,
        ``t_max_depth_s``, ``t_closed_s`` (first time the water reached
        ``road_closed_depth_m``, NaN if never). ``frame.attrs["csv"]`` is set:
        the run writes it as ``waterlogging.csv`` too.
        """
        import pandas as pd

        net = self.network
        rows = []
        road = (self.edge_underpass < 0) & (self.max_edge_depth_m >= WATERLOGGING_DEPTH_M)
        _, first = np.unique(self.edge_street, return_index=True)  # lowest edge of each street
        classes = net.class_names()
        for e in first[road[first]]:
            tail, head = net.edge_tail[e], net.edge_head[e]
            rows.append({
                "kind": "road", "name": f"{classes[e]} {net.node_id[tail]}-{net.node_id[head]}",
                "edge": int(e), "from_node": int(net.node_id[tail]),
                "to_node": int(net.node_id[head]),
                "x": float((net.node_x_m[tail] + net.node_x_m[head]) / 2),
                "y": float((net.node_y_m[tail] + net.node_y_m[head]) / 2),
                "length_m": float(net.length_m[e]),
                "max_depth_m": float(self.max_edge_depth_m[e]),
                "t_max_depth_s": float(self.t_max_edge_s[e]),
                "t_closed_s": float(self.t_closed_s[e]),
            })
        up = self.underpasses
        for k in range(0 if up is None else len(up)):
            e = self._underpass_edge(k)
            tail, head = net.edge_tail[e], net.edge_head[e]
            rows.append({
                "kind": "underpass", "name": up.name[k], "edge": int(e),
                "from_node": int(net.node_id[tail]), "to_node": int(net.node_id[head]),
                "x": float(up.x_m[k]), "y": float(up.y_m[k]), "length_m": float(up.length_m[k]),
                "max_depth_m": float(self.up_max_depth_m[k]),
                "t_max_depth_s": float(self.up_t_max_s[k]),
                "t_closed_s": float(self.up_t_closed_s[k]),
            })
        columns = ["rank", "kind", "name", "edge", "from_node", "to_node", "x", "y", "length_m",
                   "max_depth_m", "t_max_depth_s", "t_closed_s"]
        frame = pd.DataFrame(rows, columns=columns[1:])
        frame = frame.sort_values(["max_depth_m", "t_closed_s", "kind", "name"],
                                  ascending=[False, True, True, True], na_position="last",
                                  kind="stable").reset_index(drop=True)
        frame.insert(0, "rank", np.arange(1, len(frame) + 1))
        frame = frame.astype({"edge": "int64", "from_node": "int64", "to_node": "int64"})
        frame.attrs["csv"] = True
        return frame

    def _underpass_edge(self, k: int) -> int:
        """The first edge through underpass ``k``, else the edge nearest its centre."""
        through = np.flatnonzero(self.edge_underpass == k)
        if through.size:
            return int(through[0])
        ax, ay, bx, by = self.edge_ends
        mid = np.hypot((ax + bx) / 2 - self.underpasses.x_m[k], (ay + by) / 2 -
                       self.underpasses.y_m[k])
        return int(np.argmin(mid))

    def summary(self) -> dict[str, float | str | None]:
        """Flood KPIs: water, roads, underpasses, people (persons) and rescues."""
        rain, loss, inflow, outflow = self.volumes_m3
        expected = rain + inflow - loss - outflow
        scale = max(rain + inflow, 1e-12)
        closed = self.max_edge_depth_m >= self.cfg.road_closed_depth_m
        street_closed = np.zeros(self.edge_street.max() + 1, dtype=bool)
        street_length = np.zeros(street_closed.size)
        street_closed[self.edge_street[closed]] = True
        street_length[self.edge_street] = self.edge_length_m
        people = self._people
        persons = people.get("persons", np.zeros(0))

        def count(name: str) -> int:
            return int(persons[people[name]].sum()) if people else 0

        first = np.nanmin(self.t_closed_s) if np.isfinite(self.t_closed_s).any() else None
        hr_max = float(people["hr_max"].max()) if people and people["hr_max"].size else 0.0
        return {
            "flood_max_depth_m": self.max_depth_m,
            "flood_volume_balance_error": abs(self.storage_m3() - expected) / scale
            if rain + inflow > 0 else 0.0,
            "flooded_road_km": float(street_length[street_closed].sum() / 1000.0),
            "flood_first_road_closed_s": None if first is None else float(first),
            "flood_waterlogging_points": int(
                (self.waterlogging()["max_depth_m"] >= WATERLOGGING_DEPTH_M).sum()),
            "flood_underpasses_flooded": int(np.count_nonzero(
                self.up_max_depth_m >= self.cfg.road_closed_depth_m)),
            "flood_persons_in_water": count("wet"),
            "flood_persons_trapped": count("trapped"),
            "flood_persons_injured": count("injured"),
            "flood_persons_dead": count("dead"),
            "flood_max_hazard_rating": hr_max,
            "flood_rescue_calls": self.rescue_calls,
            "flood_rain_m3": float(rain), "flood_inflow_m3": float(inflow),
            "flood_loss_m3": float(loss), "flood_outflow_m3": float(outflow),
            "flood_substeps": self.substeps,
        }

    def frame(self) -> Frame:
        """Water depth now (m), NaN where dry (under 1 cm).

        The colours top out at :data:`FRAME_TOP_M` (deeper is danger for all).
        """
        return Frame(label="water depth (m)", grid=np.where(self.h >= 0.01, self.h, np.nan),
                     extent_m=self.extent_m(), vmax=FRAME_TOP_M)

    def extent_m(self) -> tuple[float, float, float, float]:
        """``(x_min, x_max, y_min, y_max)`` of the grid (m)."""
        rows, cols = self.h.shape
        return (self.x0_m, self.x0_m + cols * self.dx_m, self.y0_m, self.y0_m + rows * self.dx_m)

    def series_frame(self) -> Any:
        """The flood step by step.

        Columns ``t_s, rain_mm_h, storage_m3, closed_edges, underpasses_closed``.
        """
        import pandas as pd

        return pd.DataFrame(self.series, columns=["t_s", "rain_mm_h", "storage_m3",
                                                  "closed_edges", "underpasses_closed"])
