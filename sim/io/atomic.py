"""Atomic writes: a file is complete or absent, a folder is the old one or the new one whole.

A result folder is built aside, in a hidden sibling on the same file system
(``.<name>.citysim-<pid>-<hex>.partial``), and swapped in whole at the end
(:func:`replace_folder`): on Linux one ``renameat2(RENAME_EXCHANGE)`` call,
elsewhere two renames (the old folder is put back by the next call if a kill
falls between them). A process killed while building leaves its hidden
sibling, which the next write into the same place removes (the process that
made it being gone).
"""

from __future__ import annotations

import ctypes
import errno
import json
import math
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd


def write_atomic(path: Path, write: Callable[[Path], object]) -> Path:
    """Write ``path`` through a temporary file in the same folder, then rename.

    Parameters
    ----------
    path
        Destination.
    write
        Called with the temporary path; must write the whole file there.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # a unique name beside the target (same file system, so the rename is atomic);
    # created by the writer itself, so it gets the usual permissions
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def replace_folder(path: Path, build: Callable[[Path], object]) -> Path:
    """Build a folder aside and swap it in whole: ``path`` is the old folder or the new one.

    Parameters
    ----------
    path
        The folder to (re)place; its parents are created. Whatever it held is
        replaced (the caller decides whether it may be: see
        :func:`citysim.app.folders.check_output_folder`).
    build
        Called with an empty folder beside ``path``; must write the whole
        content there.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(path)
    staging = _sibling(path, "partial")
    staging.mkdir()
    try:
        build(staging)
        if not path.exists():
            os.rename(staging, path)
        elif not _exchange(staging, path):  # no atomic exchange here: two renames
            old = _sibling(path, "old")
            os.rename(path, old)
            os.rename(staging, path)
            staging = old
    finally:  # the unfinished folder, or the replaced one
        shutil.rmtree(staging, ignore_errors=True)
    return path


def clean_leftovers(path: Path) -> None:
    """Remove what killed writes of ``path`` left beside it; put back a folder lost mid-swap.

    Only the hidden siblings of processes that are gone are touched (another
    process may be building the same folder right now).
    """
    path = Path(path)
    if not path.parent.is_dir():
        return
    prefix = f".{path.name}.citysim-"
    left = sorted((p for p in path.parent.iterdir()
                   if p.name.startswith(prefix) and p.name.endswith((".partial", ".old"))
                   and not _alive(p.name[len(prefix):].split("-", 1)[0])),
                  key=lambda p: p.stat().st_mtime)
    for stale in left:
        if stale.name.endswith(".old") and not path.exists():  # killed between the two renames
            os.rename(stale, path)
        else:
            shutil.rmtree(stale, ignore_errors=True)


def _sibling(path: Path, kind: str) -> Path:
    return path.with_name(f".{path.name}.citysim-{os.getpid()}-{uuid.uuid4().hex[:12]}.{kind}")


def _alive(pid_text: str) -> bool:
    """Whether the process that named a hidden sibling still runs."""
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); ``False`` where not supported."""
    rename2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if rename2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if rename2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def write_json(path: Path, data: Any) -> Path:
    """Write JSON atomically, keys in the order given; NaN and infinity become null."""
    text = json.dumps(_finite(data), indent=2, allow_nan=False, default=_json_default) + "\n"
    return write_atomic(path, lambda p: p.write_text(text))


def write_parquet(path: Path, df: pd.DataFrame) -> Path:
    """Write a DataFrame as Parquet atomically (pyarrow engine, no index).

    The bytes of ``df.to_parquet(path, engine="pyarrow", index=False)``,
    written by pyarrow directly: pandas' own checks cost a quarter of the
    time of a small table, which a batch pays five times a run.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    return write_atomic(path, lambda p: pq.write_table(table, p))


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _finite(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
