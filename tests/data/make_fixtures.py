"""Regenerate the small OSM and GraphML fixtures in tests/data from the shared data.

Run from the repository root, with the shared data next to it::

    python tests/data/make_fixtures.py [--source ../shared/data/andorra/andorra-latest.osm.pbf]

Writes (see README.md in this folder):

- ``andorra_la_vella.osm`` / ``.osm.bz2`` / ``.osm.pbf``: the same cut of the
  Andorra extract, a bounding box around Andorra la Vella. Kept: every way
  tagged ``highway`` or ``waterway`` whose nodes all lie inside the box
  (ways whole, never clipped), the nodes they use, and the nodes inside the
  box tagged ``amenity``, ``leisure`` or ``emergency`` (points of interest).
  No metadata (user, changeset, timestamps) is written. The waterways show
  that the importer drops non-road ways.
- ``andorra_la_vella.graphml``: the drive network of that cut, as
  ``citysim.world.osm`` builds it (osmnx ``graph_from_xml``, simplified, speeds
  and travel times), unprojected, saved with ``osmnx.save_graphml``; nodes
  carry a synthetic ``population`` attribute (``osmid % 97``, so that tests
  of ``node_attrs`` have something to read; it is not real data).

``tiny_plain.graphml`` is written by hand and is not touched here.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import osmium
import osmnx as ox

from citysim.world.osm import _osm_graph

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parents[2] / "shared" / "data" / "andorra" / "andorra-latest.osm.pbf"

BBOX = (1.512, 42.501, 1.530, 42.512)
"""West, south, east, north (degrees, WGS84): about 1.48 km x 1.22 km (1.8 km2)."""

WAY_KEYS = ("highway", "waterway")
POI_KEYS = ("amenity", "leisure", "emergency")
STEM = "andorra_la_vella"


def _inside(location: osmium.osm.Location) -> bool:
    west, south, east, north = BBOX
    return location.valid() and west <= location.lon <= east and south <= location.lat <= north


def cut(source: Path) -> tuple[set[int], set[int]]:
    """Return the ids of the nodes and ways to keep."""
    inside: set[int] = set()
    pois: set[int] = set()
    for node in osmium.FileProcessor(str(source), osmium.osm.NODE):
        if _inside(node.location):
            inside.add(node.id)
            if any(k in node.tags for k in POI_KEYS):
                pois.add(node.id)
    ways: set[int] = set()
    used: set[int] = set()
    for way in osmium.FileProcessor(str(source), osmium.osm.WAY):
        if not any(k in way.tags for k in WAY_KEYS):
            continue
        refs = [n.ref for n in way.nodes]
        if refs and all(r in inside for r in refs):
            ways.add(way.id)
            used.update(refs)
    return used | pois, ways


def write(source: Path, nodes: set[int], ways: set[int], target: Path, fmt: str) -> None:
    """Write the kept objects of ``source`` to ``target`` (nodes first, by id)."""
    header = osmium.io.Header()
    west, south, east, north = BBOX
    header.add_box(
        osmium.osm.Box(osmium.osm.Location(west, south), osmium.osm.Location(east, north))
    )
    out = osmium.io.File(str(target), f"{fmt},add_metadata=false")
    with osmium.SimpleWriter(out, header=header, overwrite=True) as writer:
        for obj in osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY):
            if obj.is_node() and obj.id in nodes:
                writer.add_node(obj)
            elif obj.is_way() and obj.id in ways:
                writer.add_way(obj)


def main() -> None:
    """Regenerate the fixtures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    args = parser.parse_args()
    nodes, ways = cut(args.source)
    for suffix, fmt in ((".osm", "osm"), (".osm.bz2", "osm.bz2"), (".osm.pbf", "pbf")):
        target = HERE / f"{STEM}{suffix}"
        write(args.source, nodes, ways, target, fmt)
        print(f"{target.name}: {target.stat().st_size:,} B")
    print(f"  {len(nodes)} nodes, {len(ways)} ways")

    G, _ = _osm_graph(HERE / f"{STEM}.osm", "drive", "")
    for node, data in G.nodes(data=True):
        data["population"] = float(node % 97)
    target = HERE / f"{STEM}.graphml"
    ox.save_graphml(G, target)
    print(f"{target.name}: {target.stat().st_size:,} B, {len(G)} nodes, {len(G.edges)} edges")


if __name__ == "__main__":
    main()
