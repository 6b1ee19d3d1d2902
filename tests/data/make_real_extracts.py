"""Cut the small real-data extracts in tests/data from the shared data.

Run from the repository root, with the shared data next to the checkout::

    python tests/data/make_real_extracts.py [--shared ../shared/data]

Writes (see README.md in this folder):

- ``poa_elevation_cut.tif``: 60 x 60 pixels of the Porto Alegre SRTM GeoTIFF
  (uint8 metres, EPSG:4326, 1 arc-second) around the Centro Histórico, where
  the Guaíba (0) meets the city; the same GeoTIFF tags with the tie point
  moved, plus a ``GDAL_NODATA`` tag of 0 (the lake), uncompressed.
- ``N42E001.hgt.zip``: the SRTM3 tile of Andorra with every sample outside a
  121 x 121 window around Andorra la Vella (rows 532..652, columns 566..686)
  set to the void value -32768, so that the zip stays small; the window is
  unchanged.
- ``andorra_la_vella_full.osm.pbf``: every object of the Andorra extract in a
  box around Andorra la Vella and Escaldes (:data:`BOX`), with all its tags:
  nodes inside, ways whose nodes are all inside, relations whose member ways
  are all kept (relation members of other types are dropped). Facilities
  tests read its parks, squares, schools, hospital and fire station.
- ``poa_hexgrid_cut.csv``: the hexagons of ``poa_hexgrid.csv`` inside
  :data:`HEX_BOX` (id, lon, lat, population), unchanged.
"""

from __future__ import annotations

import argparse
import csv
import io
import zipfile
from pathlib import Path

import numpy as np
import osmium
import tifffile

HERE = Path(__file__).resolve().parent
DEFAULT_SHARED = HERE.parents[2] / "shared" / "data"
BOX = (1.490, 42.490, 1.545, 42.515)
"""West, south, east, north (degrees) of the Andorra la Vella OSM cut."""
HEX_BOX = (-51.235, -30.04, -51.215, -30.02)
"""West, south, east, north (degrees) of the hexagon cut (Centro Histórico)."""
TIF_WINDOW = (80, 50, 60, 60)
"""First row, first column, rows, columns of the GeoTIFF cut."""
HGT_WINDOW = (532, 566, 121, 121)
"""First row, first column, rows, columns kept in the SRTM tile."""


def cut_geotiff(source: Path, target: Path) -> None:
    """Write a window of a north-up GeoTIFF with its georeferencing."""
    r0, c0, rows, cols = TIF_WINDOW
    with tifffile.TiffFile(source) as tif:
        page = tif.pages[0]
        data = page.asarray()[r0:r0 + rows, c0:c0 + cols]
        scale = page.tags[33550].value
        tie = list(page.tags[33922].value)
        keys = page.tags[34735].value
        doubles = page.tags[34736].value
        ascii_ = page.tags[34737].value
    tie[3] += c0 * scale[0]
    tie[4] -= r0 * scale[1]
    extratags = [
        (33550, "d", 3, tuple(scale), True),
        (33922, "d", 6, tuple(tie), True),
        (34735, "H", len(keys), tuple(keys), True),
        (34736, "d", len(doubles), tuple(doubles), True),
        (34737, "s", 0, ascii_, True),
        (42113, "s", 0, "0", True),
    ]
    tifffile.imwrite(target, data, photometric="minisblack", extratags=extratags,
                     metadata=None)


def cut_hgt(source: Path, target: Path) -> None:
    """Void an SRTM tile outside a window, zipped as the tile's own name."""
    r0, c0, rows, cols = HGT_WINDOW
    with zipfile.ZipFile(source) as archive:
        name = [n for n in archive.namelist() if n.endswith(".hgt")][0]
        tile = np.frombuffer(archive.read(name), dtype=">i2").reshape(1201, 1201)
    out = np.full_like(tile, -32768)
    out[r0:r0 + rows, c0:c0 + cols] = tile[r0:r0 + rows, c0:c0 + cols]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(Path(name).name, date_time=(2000, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, out.astype(">i2").tobytes())
    target.write_bytes(buffer.getvalue())


def cut_osm(source: Path, target: Path) -> tuple[int, int, int]:
    """Write the objects inside :data:`BOX` with all their tags."""
    west, south, east, north = BOX
    nodes: set[int] = set()
    for node in osmium.FileProcessor(str(source), osmium.osm.NODE):
        loc = node.location
        if loc.valid() and west <= loc.lon <= east and south <= loc.lat <= north:
            nodes.add(node.id)
    ways: set[int] = set()
    for way in osmium.FileProcessor(str(source), osmium.osm.WAY):
        refs = [n.ref for n in way.nodes]
        if refs and all(r in nodes for r in refs):
            ways.add(way.id)
    relations: dict[int, list] = {}
    for rel in osmium.FileProcessor(str(source), osmium.osm.RELATION):
        members = [(m.type, m.ref, m.role) for m in rel.members]
        way_members = [m for m in members if m[0] == "w"]
        if way_members and all(m[1] in ways for m in way_members):
            relations[rel.id] = way_members
    header = osmium.io.Header()
    header.add_box(osmium.osm.Box(osmium.osm.Location(west, south),
                                  osmium.osm.Location(east, north)))
    out = osmium.io.File(str(target), "pbf,add_metadata=false")
    with osmium.SimpleWriter(out, header=header, overwrite=True) as writer:
        for obj in osmium.FileProcessor(str(source)):
            if obj.is_node() and obj.id in nodes:
                writer.add_node(obj)
            elif obj.is_way() and obj.id in ways:
                writer.add_way(obj)
            elif obj.is_relation() and obj.id in relations:
                writer.add_relation(obj.replace(members=relations[obj.id]))
    return len(nodes), len(ways), len(relations)


def cut_hexgrid(source: Path, target: Path) -> int:
    """Write the hexagons inside :data:`HEX_BOX` (id, lon, lat, population)."""
    west, south, east, north = HEX_BOX
    with source.open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh)
                if west <= float(r["lon"]) <= east and south <= float(r["lat"]) <= north]
    with target.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["id", "lon", "lat", "population"],
                                extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def main() -> None:
    """Regenerate the extracts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    args = parser.parse_args()
    poa, andorra = args.shared / "porto_alegre", args.shared / "andorra"
    cut_geotiff(poa / "poa_elevation.tif", HERE / "poa_elevation_cut.tif")
    cut_hgt(andorra / "N42E001.hgt.zip", HERE / "N42E001.hgt.zip")
    counts = cut_osm(andorra / "andorra-latest.osm.pbf", HERE / "andorra_la_vella_full.osm.pbf")
    hexes = cut_hexgrid(poa / "poa_hexgrid.csv", HERE / "poa_hexgrid_cut.csv")
    for name in ("poa_elevation_cut.tif", "N42E001.hgt.zip", "andorra_la_vella_full.osm.pbf",
                 "poa_hexgrid_cut.csv"):
        print(f"{name}: {(HERE / name).stat().st_size:,} B")
    print("osm cut: {} nodes, {} ways, {} relations; {} hexagons".format(*counts, hexes))


if __name__ == "__main__":
    main()
