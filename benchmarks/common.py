"""What every benchmark shares: the result record, the registry, the timer."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class BenchResult:
    """Outcome of one benchmark.

    Attributes
    ----------
    ours_s
        Best wall time of the citysim side (s).
    ref_s
        Best wall time of the reference side (s).
    target_ratio
        Smallest acceptable ``ref_s / ours_s``.
    description
        What was compared, on what problem size.
    first_call_s
        Extra time of citysim's first call over its best one: JIT compilation,
        or loading numba's on-disk cache (s).
    agree
        Whether both sides computed the same result.
    skipped
        Not run at this size (the description says why).
    """

    ours_s: float
    ref_s: float
    target_ratio: float
    description: str
    first_call_s: float = 0.0
    agree: bool = True
    skipped: bool = False

    @property
    def ratio(self) -> float:
        return self.ref_s / self.ours_s if self.ours_s > 0 else float("inf")

    @property
    def passed(self) -> bool:
        return self.ratio >= self.target_ratio


Benchmark = Callable[[str, int], BenchResult]
_REGISTRY: dict[str, Benchmark] = {}


def register(name: str) -> Callable[[Benchmark], Benchmark]:
    """Register ``fn(size, repeats) -> BenchResult`` under ``name``."""

    def deco(fn: Benchmark) -> Benchmark:
        if name in _REGISTRY and _REGISTRY[name] is not fn:
            raise ValueError(f"benchmark {name!r} registered twice")
        _REGISTRY[name] = fn
        return fn

    return deco


def registered() -> dict[str, Benchmark]:
    """Return the registered benchmarks by name, sorted."""
    return dict(sorted(_REGISTRY.items()))


def compare(
    ours: Callable[[], object], ref: Callable[[], object], repeats: int
) -> tuple[float, float, float]:
    """Time two callables alternately; return ``(ours_best, ref_best, ours_first_extra)``.

    Each is called once untimed-for-the-result (citysim's first call is timed
    separately: it includes JIT compilation or cache loading), then both are
    run ``repeats`` times, interleaved so that machine load drifts hit both
    alike, and the best time of each is kept.
    """
    t0 = time.perf_counter()
    ours()
    first = time.perf_counter() - t0
    ref()
    best_ours = best_ref = float("inf")
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        ours()
        best_ours = min(best_ours, time.perf_counter() - t0)
        t0 = time.perf_counter()
        ref()
        best_ref = min(best_ref, time.perf_counter() - t0)
    return best_ours, best_ref, max(0.0, first - best_ours)
