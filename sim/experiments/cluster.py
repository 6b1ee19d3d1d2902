"""Where the runs of an experiment are made: this process, a local Dask cluster, or any.

``workers=0`` makes the runs here, one after another. ``workers=N`` starts a
``distributed.LocalCluster`` of N single-threaded worker processes on the
loopback interface; ``scheduler=ADDR`` joins a running Dask cluster (whose
workers must have citysim installed and see the result folder at the same
path).

Numba's compile cache: a local cluster's workers inherit this process's
environment, so they read and write the same on-disk cache of compiled
kernels (``NUMBA_CACHE_DIR`` when it is set, otherwise numba's default
beside the sources); a worker with a warm cache starts in about a second
instead of compiling for several. Each worker gets
``NUMBA_NUM_THREADS = max(1, cores // N)`` so that the threaded kernels of
N workers do not oversubscribe the machine (their results do not depend on
the thread count).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

__all__ = ["CONNECT_TIMEOUT_S", "default_workers", "open_client", "worker_environment"]

CONNECT_TIMEOUT_S = 10.0
"""How long joining a running scheduler (``--scheduler``) may take before it is given up (s)."""
SCHEMES = ("tcp", "tls", "ucx", "ws", "wss")
"""Address schemes of a Dask scheduler."""


def default_workers() -> int:
    """Worker processes of the default local cluster: one per core."""
    return max(1, os.cpu_count() or 1)


def worker_environment(n_workers: int) -> dict[str, str]:
    """Environment variables given to the workers of a local cluster.

    Parameters
    ----------
    n_workers
        Number of worker processes.
    """
    import numba

    env = {"NUMBA_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // max(1, n_workers)))}
    # mypy: numba.config sets its settings at import
    if numba.config.CACHE_DIR:  # type: ignore[attr-defined]
        env["NUMBA_CACHE_DIR"] = str(numba.config.CACHE_DIR)  # type: ignore[attr-defined]
    return env


@contextmanager
def open_client(
    workers: int | None = None,
    scheduler: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> Iterator[Any]:
    """A Dask client for the runs, or ``None`` to make them in this process.

    Parameters
    ----------
    workers
        0: no cluster (this process). N >= 1: a local cluster of N processes
        (``threads_per_worker=1``, ``host="127.0.0.1"``, no dashboard).
        ``None``: one per core.
    scheduler
        Address of a running scheduler (``tcp://host:8786``) to join instead;
        one not reached within :data:`CONNECT_TIMEOUT_S` is bad input.
    env
        More environment variables for a local cluster's workers, over
        :func:`worker_environment`.

    Yields
    ------
    distributed.Client or None
    """
    if scheduler is not None:
        with _join(scheduler) as client:
            yield client
        return
    n = default_workers() if workers is None else int(workers)
    if n <= 0:
        yield None
        return
    from distributed import Client, LocalCluster

    # every socket on the loopback interface: no dashboard, and the scheduler's small HTTP
    # server (health, metrics) on a free loopback port (":0" would listen on every
    # interface), so that clusters side by side never fight over 8787
    with _workers_ignore_ctrl_c():
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address="127.0.0.1:0",
                               scheduler_kwargs={"dashboard": False},
                               # a worker that dies fails its run, which says so; the nannies'
                               # own shutdown noise (a Ctrl-C tears them down) is not news
                               silence_logs=logging.CRITICAL,
                               env={**worker_environment(n), **(env or {})})
    with cluster, Client(cluster) as client:
        yield client


@contextmanager
def _join(scheduler: str) -> Iterator[Any]:
    """A client of a running scheduler; a malformed or unreachable address is bad input.

    Raises
    ------
    ScenarioError
        At ``--scheduler``.
    """
    from urllib.parse import urlsplit

    from distributed import Client

    from citysim.errors import Problem, ScenarioError

    def refused(why: str) -> ScenarioError:
        return ScenarioError([Problem("--scheduler", f"{scheduler!r}: {why}")])

    if "://" not in scheduler:  # host:port, as Dask accepts it
        scheduler = f"tcp://{scheduler}"
    try:
        parts = urlsplit(scheduler)
        port = parts.port
    except ValueError as exc:
        raise refused(f"not an address: {exc}") from None
    if parts.scheme not in SCHEMES or not parts.hostname or port is None:
        raise refused("expected <scheme>://<host>:<port>, e.g. tcp://10.0.0.5:8786 (schemes: "
                      f"{', '.join(SCHEMES)})")
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise refused(f"no Dask scheduler answered within {CONNECT_TIMEOUT_S:g} s "
                      f"({type(exc).__name__}: {exc})") from None
    with client:
        yield client


@contextmanager
def _workers_ignore_ctrl_c() -> Iterator[None]:
    """Start worker processes that ignore SIGINT: on Ctrl-C this process shuts them down.

    A spawned process inherits an ignored signal (and Python then installs no
    handler of its own), so a Ctrl-C at the terminal, which reaches the whole
    process group, stops the experiment here without a traceback from every
    worker.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
