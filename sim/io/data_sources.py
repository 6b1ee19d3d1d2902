"""Which data files a scenario reads, with their licences and attributions, for provenance.

Every input file of a scenario (the network, terrain, population, buildings,
and the CSV or OSM files its sites were read from) is listed with its size,
SHA-256 and, from a ``sources.yaml`` file in the same folder, where it came
from and how to credit it::

    poa_osm.pbf:
      title: OpenStreetMap extract of Porto Alegre (highways), data up to 2020-08-12
      source: GitHub ipeaGIT/r5r, commit 65e61df..., r-package/inst/extdata/poa/
      licence: ODbL 1.0
      attribution: "(c) OpenStreetMap contributors"

A file not listed there is still listed; an OSM file (``.osm``, ``.pbf``, ...)
is OpenStreetMap data and gets its attribution by default, anything else
says that its licence is unknown.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from citysim.scenario import Scenario
from citysim.scenario.sites import Site

SOURCES_FILE = "sources.yaml"
"""Name of the file, beside the data, that describes them."""
OSM_SOURCE = {
    "licence": "ODbL 1.0",
    "attribution": "(c) OpenStreetMap contributors, https://www.openstreetmap.org/copyright",
    "note": "OpenStreetMap data (from the file format; no sources.yaml entry)",
}
"""Attribution of an OSM file without a ``sources.yaml`` entry."""
_OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf")
_KEYS = ("title", "source", "licence", "attribution")


def input_files(scenario: Scenario) -> list[Path]:
    """Every input file a loaded scenario reads, in the order met, each once.

    Parameters
    ----------
    scenario
        A loaded :class:`citysim.scenario.Scenario`.

    Returns
    -------
    list of pathlib.Path
    """
    seen: dict[Path, None] = {}
    for path in _paths(scenario):
        seen.setdefault(path, None)
    return [p for p in seen if p.is_file()]


def _paths(value: Any) -> Iterator[Path]:
    if isinstance(value, Path):
        yield value
    elif isinstance(value, BaseModel):
        if isinstance(value, Site) and value.source_file is not None:
            yield value.source_file
        for name in type(value).model_fields:
            if name == "outputs":
                continue
            yield from _paths(getattr(value, name))
    elif isinstance(value, tuple):
        for item in value:
            yield from _paths(item)


def data_sources(scenario: Scenario) -> list[dict[str, Any]]:
    """Describe every input file of a scenario: path, bytes, SHA-256, source and licence.

    Parameters
    ----------
    scenario
        A loaded :class:`citysim.scenario.Scenario`.

    Returns
    -------
    list of dict
        One JSON-able record per file: ``file``, ``bytes``, ``sha256`` and
        ``title``, ``source``, ``licence``, ``attribution`` as ``sources.yaml``
        gives them (module docstring).
    """
    registries: dict[Path, dict[str, Any]] = {}
    out = []
    for path in input_files(scenario):
        folder = path.parent
        if folder not in registries:
            registries[folder] = _registry(folder / SOURCES_FILE)
        entry = registries[folder].get(path.name)
        record: dict[str, Any] = {"file": str(path), "bytes": path.stat().st_size,
                                  "sha256": file_sha256(path)}
        if isinstance(entry, dict):
            record.update({k: str(entry[k]) for k in _KEYS if entry.get(k) is not None})
        elif path.name.lower().endswith(_OSM_SUFFIXES):
            record.update(OSM_SOURCE)
        else:
            record["licence"] = None
            record["note"] = f"no entry in {folder / SOURCES_FILE}: licence unknown"
        out.append(record)
    return out


def _registry(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
