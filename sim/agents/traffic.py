"""Traffic constants and per-edge capacities for walking and driving.

Sources: Weidmann (1993) for pedestrians (free speed 1.34 m/s, jam density
5.4 persons/m², the capacity of a walking lane the peak of the curve's own
flow, :data:`PED_MAX_FLOW_P_MS`); MATSim's
queue model for cars (7.5 m of lane per car at jam, 133 veh/km/lane), with the
lane capacities of :mod:`citysim.world.road_classes`. See docs/RESIDENTS.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from citysim.agents import _kernels
from citysim.agents.draws import CAR, WALK
from citysim.heap import heap_new
from citysim.world.network import RoadNetwork

WEIDMANN_FREE_SPEED_MPS = 1.34
WEIDMANN_JAM_DENSITY_P_M2 = 5.4
WEIDMANN_GAMMA = 1.913


def weidmann_peak() -> tuple[float, float]:
    """Density and specific flow at the peak of Weidmann's flow ``rho v(rho)``.

    With ``x = gamma (1/rho - 1/rho_jam)`` the flow ``q = v0 rho (1 - e^-x)``
    has ``dq/drho = v0 (1 - e^-x (1 + gamma/rho))``, zero where ``e^x = 1 +
    gamma / rho``; that root is found by bisection on (0, rho_jam), where the
    derivative falls from +v0 to -v0 gamma / rho_jam.

    Returns
    -------
    tuple of float
        ``(rho, q)``: about 1.751 persons/m² and 1.225 persons/(m s).
    """
    lo, hi = 1e-3, WEIDMANN_JAM_DENSITY_P_M2
    for _ in range(200):
        rho = 0.5 * (lo + hi)
        x = WEIDMANN_GAMMA * (1.0 / rho - 1.0 / WEIDMANN_JAM_DENSITY_P_M2)
        if 1.0 - math.exp(-x) * (1.0 + WEIDMANN_GAMMA / rho) > 0.0:
            lo = rho
        else:
            hi = rho
    rho = 0.5 * (lo + hi)
    x = WEIDMANN_GAMMA * (1.0 / rho - 1.0 / WEIDMANN_JAM_DENSITY_P_M2)
    return rho, WEIDMANN_FREE_SPEED_MPS * rho * (1.0 - math.exp(-x))


PED_CRITICAL_DENSITY_P_M2, PED_MAX_FLOW_P_MS = weidmann_peak()
"""Capacity of a walking lane per metre of width (persons/(m s)): the peak of
Weidmann's own flow, about 1.225 at 1.75 persons/m² (MODELS.md)."""
CAR_JAM_SPACING_M = 7.5
CAR_LANE_CAPACITY_VEH_S = 2000.0 / 3600.0
"""Physical capacity of a moving lane (MODELS.md: 1,800-2,000 veh/h/lane)."""


@dataclass(frozen=True, eq=False)
class EdgeTraffic:
    """Capacities of every edge for each mode, shape (2, n_edges), row = mode.

    Attributes
    ----------
    flow_per_s
        Flow capacity (units/s): pedestrians or vehicles per second.
    storage
        Storage capacity (units on the edge at jam).
    usable
        Whether the mode may use the edge (cars: drivable edges only).
    """

    flow_per_s: np.ndarray
    storage: np.ndarray
    usable: np.ndarray


def edge_traffic(network: RoadNetwork) -> EdgeTraffic:
    """Flow and storage capacity of every edge on foot and by car.

    Parameters
    ----------
    network
        The road network.

    Returns
    -------
    EdgeTraffic
    """
    m = network.n_edges
    flow = np.zeros((2, m))
    storage = np.zeros((2, m))
    usable = np.zeros((2, m), dtype=bool)
    flow[WALK] = PED_MAX_FLOW_P_MS * network.width_m
    storage[WALK] = WEIDMANN_JAM_DENSITY_P_M2 * network.length_m * network.width_m
    usable[WALK] = True
    flow[CAR] = network.capacity_vph / 3600.0
    storage[CAR] = network.lanes * network.length_m / CAR_JAM_SPACING_M
    usable[CAR] = network.drivable & (flow[CAR] > 0)
    return EdgeTraffic(flow_per_s=flow, storage=storage, usable=usable)


def walk_speed_mps(v0_mps: np.ndarray | float, density_p_m2: np.ndarray | float) -> np.ndarray:
    """Walking speed at a pedestrian density (m/s), docs/RESIDENTS.md.

    Weidmann's curve ``v0 (1 - exp(-1.913 (1/rho - 1/5.4)))`` at every
    density (``v0`` at zero density, 0 from the jam density on). The
    capacity :data:`PED_MAX_FLOW_P_MS` limits what leaves an edge, not the
    speed of those moving on it.
    """
    v0 = np.asarray(v0_mps, dtype=np.float64)
    rho = np.asarray(density_p_m2, dtype=np.float64)
    with np.errstate(divide="ignore"):
        inv = np.where(rho > 0, 1.0 / np.maximum(rho, 1e-300), np.inf)
    f = np.clip(1.0 - np.exp(-WEIDMANN_GAMMA * (inv - 1.0 / WEIDMANN_JAM_DENSITY_P_M2)), 0, 1)
    return v0 * f


def car_speed_mps(
    density_veh_m_lane: np.ndarray | float,
    free_speed_mps: np.ndarray | float,
    exit_capacity_veh_s_lane: np.ndarray | float,
) -> np.ndarray:
    """Car speed at a moving density per lane (m/s), docs/RESIDENTS.md.

    The triangular fundamental diagram of a lane of physical capacity
    :data:`CAR_LANE_CAPACITY_VEH_S` (free speed up to the critical density,
    then ``w (kj / k - 1)`` with ``kj = 1 / 7.5`` veh/m), never below the speed
    that carries the edge's exit capacity at that density, never above the
    free speed.
    """
    k = np.asarray(density_veh_m_lane, dtype=np.float64)
    vf = np.asarray(free_speed_mps, dtype=np.float64)
    q_exit = np.asarray(exit_capacity_veh_s_lane, dtype=np.float64)
    kj = 1.0 / CAR_JAM_SPACING_M
    kc = np.minimum(CAR_LANE_CAPACITY_VEH_S / np.maximum(vf, 1e-12), 0.999 * kj)
    safe_k = np.maximum(k, 1e-300)
    congested = CAR_LANE_CAPACITY_VEH_S / (kj - kc) * (kj / safe_k - 1.0)
    v = np.where(k <= kc, vf, congested)
    return np.where(k > 0, np.minimum(vf, np.maximum(v, q_exit / safe_k)), vf)


@dataclass(eq=False)
class Roads:
    """Traffic state of the roads: occupancy, flow credit and queues.

    Attributes
    ----------
    traffic
        Flow and storage capacities by mode.
    occupancy
        Units on each edge by mode, shape (2, m).
    credit
        Flow credit of each edge by mode, shape (2, m), as of step
        ``credit_step`` (only edges in debt are updated every step).
    q_head, q_tail
        First and last agent of each queue (edge ends, then node departures).
    heap
        Work buffer of the node-crossing kernel.
    queued
        Units waiting at the end of each edge by mode, shape (2, m).
    on_edge
        Agents on each edge by mode, shape (2, m).

        These four are views of the fields of ``work["lane"]``
        (:data:`LANE_FIELDS`).
    work
        The kernels' bookkeeping (lists of the non-empty queues, of the edges
        in debt and of the edges with agents on them, the speeds of the
        step): see :mod:`citysim.agents._kernels`.
    """

    traffic: EdgeTraffic
    occupancy: np.ndarray
    credit: np.ndarray
    q_head: np.ndarray
    q_tail: np.ndarray
    heap: np.ndarray
    queued: np.ndarray
    on_edge: np.ndarray
    work: dict[str, np.ndarray]
    _tuples: dict[str, tuple[np.ndarray, ...]] = field(default_factory=dict, init=False,
                                                       repr=False)

    @classmethod
    def empty(cls, network: RoadNetwork, traffic: EdgeTraffic) -> Roads:
        """Empty roads with full flow credit."""
        m, n = network.n_edges, network.n_nodes
        n_queues = 2 * m + 2 * n
        lane = cache_aligned(2 * m, LANE_FIELDS)
        lane["storage"] = traffic.storage.ravel()
        lane["credit_step"] = lane["speed_step"] = -1

        def view(name: str) -> np.ndarray:
            return lane[name].reshape(2, m)

        work = {
            "lane": lane,
            "credit_step": view("credit_step"),
            "active": np.zeros(n_queues, dtype=np.int64),
            "in_active": np.zeros(n_queues, dtype=bool),
            "debt": np.zeros(2 * m, dtype=np.int64),
            "in_debt": np.zeros(2 * m, dtype=bool),
            "j_head": np.full(n_queues, -1, dtype=np.int64),
            "sizes": np.zeros(4, dtype=np.int64),
            "busy": np.zeros(m, dtype=np.int64),
            "in_busy": np.zeros(m, dtype=bool),
            "speed_step": view("speed_step"),
            "free_m": view("free_m"),
            "vel": view("vel"),
            "storage": view("storage"),
            "parked_on": np.full(n_queues, -1, dtype=np.int64),
            "w_head": np.full(2 * m, -1, dtype=np.int64),
            "w_next": np.full(n_queues, -1, dtype=np.int64),
        }
        return cls(
            traffic=traffic,
            occupancy=view("occupancy"),
            credit=view("credit"),
            q_head=np.full(n_queues, -1, dtype=np.int64),
            q_tail=np.full(n_queues, -1, dtype=np.int64),
            heap=heap_new(n_queues),
            queued=view("queued"),
            on_edge=view("on_edge"),
            work=work,
        )

    def kernel_queues(self) -> tuple[np.ndarray, ...]:
        """The queue arrays in the order the kernels take them (made once)."""
        if "queues" not in self._tuples:
            w = self.work
            self._tuples["queues"] = (
                self.occupancy, self.credit, self.q_head, self.q_tail, self.heap, self.queued,
                self.on_edge, w["credit_step"], w["active"], w["in_active"], w["debt"],
                w["in_debt"], w["j_head"], w["sizes"], w["parked_on"], w["w_head"],
                w["w_next"])
        return self._tuples["queues"]

    def wake_parked(self) -> None:
        """Try again the queues waiting for room on their next edge (the routes changed)."""
        _kernels.wake_all(self.kernel_queues())

    def kernel_speeds(self) -> tuple[np.ndarray, ...]:
        """The busy edges and their speeds of the step, in the order the kernels take them."""
        if "speeds" not in self._tuples:
            w = self.work
            self._tuples["speeds"] = (w["busy"], w["in_busy"], w["speed_step"], w["free_m"],
                                      w["vel"], w["storage"])
        return self._tuples["speeds"]


LANE_FIELDS = np.dtype({
    "names": ["occupancy", "queued", "credit", "storage", "free_m", "vel", "credit_step",
              "speed_step", "on_edge"],
    "formats": ["f8", "f8", "f8", "f8", "f8", "f8", "i4", "i4", "i4"],
    "offsets": [0, 8, 16, 24, 32, 40, 48, 52, 56],
    "itemsize": 64,
})
"""One record per edge and mode (row ``mode * m + edge``): what a node crossing
reads and writes of an edge, in one cache line. ``Roads.occupancy``, ``queued``,
``credit`` and ``on_edge`` are (2, m) views of its fields."""


def cache_aligned(n: int, dtype: np.dtype) -> np.ndarray:
    """``n`` zeroed records of ``dtype`` starting on a 64-byte (cache line) boundary."""
    raw = np.zeros(n * dtype.itemsize + 64, dtype=np.uint8)
    skip = -raw.ctypes.data % 64
    return raw[skip:skip + n * dtype.itemsize].view(dtype)
