"""Pluvial and fluvial flooding on the terrain grid (local-inertial scheme).

The YAML schema of ``type: flood`` and :class:`FloodHazard`, which routes
rain and inflows over the terrain with the local-inertial scheme of Bates et
al. (2010) (kernels in :mod:`sim.hazards._flood_kernels`) and turns water on
the roads into slower and closed edges (Pregnolato et al. 2017). Units: rain,
drainage and infiltration in mm/h at the YAML edge, m/s inside; inflows in
m³/s, depths in m.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np

from sim.hazards.base import FieldSpec, Hazard
from sim.hazards.registry import register_hazard, register_hazard_model
from sim.scenario.base import ConfigModel, NonNegFloat, PosFloat
from sim.scenario.hazard import HazardConfig
from sim.scenario.locations import Location
from sim.scenario.series import NonNegativeSeries, StepSeries

__all__ = ["FloodConfig", "FloodHazard", "Inflow", "pregnolato_speed_factor"]

ALPHA = 0.7
"""CFL coefficient of the adaptive time step (Bates et al. 2010)."""
H_MIN_M = 0.001
"""Depth below which a face carries no flow (about 1 mm, MODELS.md)."""
PONDING_DEPTH_M = 0.05
"""Water on a road at least this deep lists it in ``flooded_roads.parquet`` (m)."""
WARN_DEPTH_M = 0.1
"""Water this deep at a resident's node warns them (m)."""
EDGE_SAMPLES = 5
"""Points sampled along each road edge for its depth (both ends included)."""
EXAMPLE = {"type": "flood", "rain_mm_h": [[0, 0], [60, 200]], "drainage_mm_h": 12,
           "road_closed_depth_m": 0.3}
"""A minimal block for the hazard contract test (needs city terrain)."""


class Inflow(ConfigModel):
    """Water entering the domain at a point (a river, a broken main).

    Attributes
    ----------
    location
        Where it enters.
    m3_s
        Discharge (m³/s) over time, a step series >= 0.
    """

    location: Location
    m3_s: NonNegativeSeries


@register_hazard("flood")
class FloodConfig(HazardConfig):
    """``type: flood`` -- rain and inflows routed over the terrain.

    Attributes
    ----------
    rain_mm_h
        Rain intensity (mm/h) over time: a step series or a constant; default 0.
    drainage_mm_h
        Sewer capacity removed where water stands (mm/h); default 12, the
        uniform urban-drainage allowance of UK surface-water mapping (MODELS.md).
    infiltration_mm_h
        Infiltration into the ground (mm/h); default 0 (sealed urban surface).
    manning_n
        Manning roughness (s/m^(1/3)); default 0.035 (MODELS.md: use >= 0.03 on
        rough urban surfaces).
    inflows
        Point inflows.
    boundary
        ``closed`` (walls: water stays) or ``open`` (water leaves at the edge).
    road_closed_depth_m
        Depth at which a road is closed to cars (m); default 0.3, where the
        Pregnolato et al. (2017) speed curve reaches zero.
    """

    requires_city: ClassVar[tuple[str, ...]] = ("terrain",)

    rain_mm_h: NonNegativeSeries = StepSeries.constant(0.0)
    drainage_mm_h: NonNegFloat = 12.0
    infiltration_mm_h: NonNegFloat = 0.0
    manning_n: PosFloat = 0.035
    inflows: tuple[Inflow, ...] = ()
    boundary: Literal["closed", "open"] = "closed"
    road_closed_depth_m: PosFloat = 0.3


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


@register_hazard_model("flood")
class FloodHazard(Hazard):
    """Rain and inflows routed over the terrain; water on roads slows and closes them.

    The grid is the scenario's terrain (NODATA cells are walls). Each agent
    step the water advances with adaptive sub-steps (``dt = 0.7 dx /
    sqrt(g h_max)``); drainage and infiltration are removed only where water
    stands; a running volume balance gives ``flood_volume_balance_error``.
    A road edge takes the deepest water among points sampled along it.
    """

    type_name = "flood"
    fields = (
        FieldSpec("elevation_m", "float64", "m", "cell", "in", "bed elevation"),
        FieldSpec("depth_m", "float64", "m", "cell", "out", "water depth"),
        FieldSpec("depth_m", "float64", "m", "point", "out", "water depth at a point"),
        FieldSpec("velocity_mps", "float64", "m/s", "point", "out", "flow speed at a point"),
        FieldSpec("speed_factor", "float64", "1", "edge", "out", "Pregnolato car speed ratio"),
    )

    def __init__(self, cfg: FloodConfig, world: Any) -> None:
        from sim.hazards import _flood_kernels  # numba compiles only when a flood runs

        self._k = _flood_kernels
        terrain = world.terrain
        self.cfg = cfg
        self.x0_m, self.y0_m, self.dx_m = terrain.x0_m, terrain.y0_m, terrain.cell_m
        self.z = np.ascontiguousarray(np.where(np.isfinite(terrain.values), terrain.values,
                                               1e6), dtype=np.float64)
        rows, cols = self.z.shape
        self.h = np.zeros((rows, cols))
        self.qx = np.zeros((rows, cols + 1))
        self.qy = np.zeros((rows + 1, cols))
        self.rain_t_s = np.asarray(cfg.rain_mm_h.t_s, dtype=np.float64)
        self.rain_m_s = np.asarray(cfg.rain_mm_h.value, dtype=np.float64) / 3.6e6
        self.loss_m_s = (cfg.drainage_mm_h + cfg.infiltration_mm_h) / 3.6e6
        self.inflow_cells, self.inflow_t_s, self.inflow_m3_s = self._inflows(cfg, world)
        net = world.network
        self.edge_ends = (net.node_x_m[net.edge_tail], net.node_y_m[net.edge_tail],
                          net.node_x_m[net.edge_head], net.node_y_m[net.edge_head])
        self.edge_length_m = net.length_m
        pair = np.minimum(net.edge_tail, net.edge_head).astype(np.int64) * net.n_nodes + \
            np.maximum(net.edge_tail, net.edge_head)
        self.edge_street = np.unique(pair, return_inverse=True)[1]  # street of each edge
        self.node_xy = (net.node_x_m, net.node_y_m)
        self.volumes_m3 = np.zeros(4)  # rain, loss, inflow, outflow
        self.storage0_m3 = 0.0
        self.max_depth_m = 0.0
        self.max_edge_depth_m = np.zeros(net.n_edges)
        self.t_closed_s = np.full(net.n_edges, np.nan)  # when the water first closed it
        self.edge_nodes = (net.node_id[net.edge_tail], net.node_id[net.edge_head])
        self.substeps = 0
        self._edge_depth = np.zeros(net.n_edges)

    @classmethod
    def from_config(cls, cfg: FloodConfig, world: Any, rng: np.random.Generator) -> FloodHazard:
        """Build the flood from its YAML block and the world (no randomness)."""
        return cls(cfg, world)

    def _inflows(self, cfg: FloodConfig, world: Any) -> tuple[np.ndarray, ...]:
        from sim.world.places import Locator

        k = len(cfg.inflows)
        if k == 0:
            return np.zeros(0, np.int64), np.full((0, 1), np.inf), np.zeros((0, 1))
        locator = Locator(world.network, world.crs, np.inf)
        paths = [("inflows", i, "location") for i in range(k)]
        x, y, _ = locator.resolve([f.location for f in cfg.inflows], paths)
        rows, cols = self.z.shape
        col = np.clip(((x - self.x0_m) // self.dx_m).astype(np.int64), 0, cols - 1)
        row = np.clip(((y - self.y0_m) // self.dx_m).astype(np.int64), 0, rows - 1)
        n = max(len(f.m3_s.t_s) for f in cfg.inflows)
        t = np.full((k, n), np.inf)
        q = np.zeros((k, n))
        for i, f in enumerate(cfg.inflows):
            t[i, :len(f.m3_s.t_s)] = f.m3_s.t_s
            q[i, :len(f.m3_s.value)] = f.m3_s.value
        return row * cols + col, t, q

    def advance(self, t_s: float, dt_s: float) -> None:
        """Route the water from ``t_s`` to ``t_s + dt_s`` (adaptive sub-steps)."""
        volumes, n_sub, _ = self._k.run_flood(
            self.z, self.h, self.qx, self.qy, self.cfg.manning_n, self.dx_m, t_s, t_s + dt_s,
            ALPHA, H_MIN_M, self.cfg.boundary == "open", self.rain_t_s, self.rain_m_s,
            self.loss_m_s, self.inflow_cells, self.inflow_t_s, self.inflow_m3_s)
        self.volumes_m3 += volumes
        self.substeps += int(n_sub)
        self.max_depth_m = max(self.max_depth_m, float(self.h.max()))
        ax, ay, bx, by = self.edge_ends
        self._edge_depth = self._k.edge_depth(self.h, self.x0_m, self.y0_m, self.dx_m, ax, ay, bx,
                                        by, EDGE_SAMPLES)
        np.maximum(self.max_edge_depth_m, self._edge_depth, out=self.max_edge_depth_m)
        newly = np.isnan(self.t_closed_s) & (self._edge_depth >= self.cfg.road_closed_depth_m)
        self.t_closed_s[newly] = t_s + dt_s

    def edge_effects(self) -> np.ndarray:
        """Pregnolato speed factor of every edge from its deepest water; 0 closes it."""
        return pregnolato_speed_factor(self._edge_depth, self.cfg.road_closed_depth_m)

    def _cells(self, x_m: np.ndarray, y_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows, cols = self.h.shape
        col = np.floor((np.asarray(x_m) - self.x0_m) / self.dx_m).astype(np.int64)
        row = np.floor((np.asarray(y_m) - self.y0_m) / self.dx_m).astype(np.int64)
        inside = (row >= 0) & (row < rows) & (col >= 0) & (col < cols)
        return np.where(inside, row * cols + np.clip(col, 0, cols - 1), -1), inside

    def _depth_at(self, x_m: np.ndarray, y_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        flat, inside = self._cells(x_m, y_m)
        idx = np.where(inside, flat, 0)
        return np.where(inside, self.h.ravel()[idx], 0.0), idx

    def sample(self, x_m: np.ndarray, y_m: np.ndarray) -> dict[str, np.ndarray]:
        """Depth (m) and flow speed (m/s) at points; 0 outside the grid."""
        depth, idx = self._depth_at(x_m, y_m)
        speed = self._k.cell_velocity(self.h, self.qx, self.qy).ravel()[idx]
        return {"depth_m": depth, "velocity_mps": np.where(depth > 0, speed, 0.0)}

    def warned_nodes(self) -> np.ndarray:
        """Nodes where the water is at least :data:`WARN_DEPTH_M` deep."""
        return self._depth_at(*self.node_xy)[0] >= WARN_DEPTH_M

    def storage_m3(self) -> float:
        """Water on the grid (m³)."""
        return float(self.h.sum() * self.dx_m**2)

    def tables(self) -> dict[str, Any]:
        """``flooded_roads``: every edge where water stood at least :data:`PONDING_DEPTH_M`.

        Columns ``edge, from_node, to_node, length_m, max_depth_m, t_closed_s``
        (when the water first reached ``road_closed_depth_m``, NaN if never):
        which roads drown, and in which order (closed first, by time; then the
        rest, deepest first).
        """
        import pandas as pd

        wet = np.flatnonzero(self.max_edge_depth_m >= PONDING_DEPTH_M)
        frame = pd.DataFrame({
            "edge": wet, "from_node": self.edge_nodes[0][wet], "to_node": self.edge_nodes[1][wet],
            "length_m": self.edge_length_m[wet], "max_depth_m": self.max_edge_depth_m[wet],
            "t_closed_s": self.t_closed_s[wet],
        })
        return {"flooded_roads": frame.sort_values(["t_closed_s", "max_depth_m"],
                                                   ascending=[True, False],
                                                   na_position="last", kind="stable")
                .reset_index(drop=True)}

    def summary(self) -> dict[str, float | None]:
        """Flood KPIs: deepest water, volume balance, flooded road length."""
        rain, loss, inflow, outflow = self.volumes_m3
        expected = rain + inflow - loss - outflow
        scale = max(rain + inflow, 1e-12)
        closed = self.max_edge_depth_m >= self.cfg.road_closed_depth_m
        street_closed = np.zeros(self.edge_street.max() + 1, dtype=bool)
        street_length = np.zeros(street_closed.size)
        street_closed[self.edge_street[closed]] = True
        street_length[self.edge_street] = self.edge_length_m
        return {
            "flood_max_depth_m": self.max_depth_m,
            "flood_volume_balance_error": abs(self.storage_m3() - expected) / scale
            if rain + inflow > 0 else 0.0,
            "flooded_road_km": float(street_length[street_closed].sum() / 1000.0),
            "flood_rain_m3": float(rain), "flood_inflow_m3": float(inflow),
            "flood_loss_m3": float(loss), "flood_outflow_m3": float(outflow),
            "flood_substeps": self.substeps,
        }
