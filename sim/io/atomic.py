"""Atomic file writes: a file is complete or absent, never half-written."""

from __future__ import annotations

import json
import math
import os
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


def write_json(path: Path, data: Any) -> Path:
    """Write JSON atomically, keys in the order given; NaN and infinity become null."""
    text = json.dumps(_finite(data), indent=2, allow_nan=False, default=_json_default) + "\n"
    return write_atomic(path, lambda p: p.write_text(text))


def write_parquet(path: Path, df: pd.DataFrame) -> Path:
    """Write a DataFrame as Parquet atomically (pyarrow engine, no index)."""
    return write_atomic(path, lambda p: df.to_parquet(p, engine="pyarrow", index=False))


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
