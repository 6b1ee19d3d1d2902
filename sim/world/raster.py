"""Regular rasters in the scenario's metric frame, and the ESRI ASCII grid reader.

A :class:`Raster` stores its values with row 0 at the SOUTH edge (``y``
grows with the row index), so that cell ``(i, j)`` covers
``x0_m + j*cell_m .. x0_m + (j+1)*cell_m`` and the same in ``y``. ESRI ASCII
files list the northern row first; :func:`read_asc` flips them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from citysim.errors import ScenarioError

_HEADER_KEYS = ("ncols", "nrows", "xllcorner", "yllcorner", "xllcenter", "yllcenter",
                "cellsize", "nodata_value")


@dataclass(frozen=True, eq=False)
class Raster:
    """Values on a regular square grid.

    Attributes
    ----------
    values
        Cell values, shape (rows, cols), row 0 to the south. NaN = no data.
    x0_m, y0_m
        Coordinates of the south-west corner of cell (0, 0) (m).
    cell_m
        Cell size (m).
    """

    values: np.ndarray
    x0_m: float
    y0_m: float
    cell_m: float

    @property
    def shape(self) -> tuple[int, int]:
        """Grid shape ``(rows, cols)``."""
        return self.values.shape

    @property
    def bounds_m(self) -> tuple[float, float, float, float]:
        """Extent ``(xmin, ymin, xmax, ymax)`` (m)."""
        rows, cols = self.shape
        return (self.x0_m, self.y0_m, self.x0_m + cols * self.cell_m,
                self.y0_m + rows * self.cell_m)

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the x and y coordinates of every cell centre, each shape (rows, cols)."""
        rows, cols = self.shape
        x = self.x0_m + (np.arange(cols) + 0.5) * self.cell_m
        y = self.y0_m + (np.arange(rows) + 0.5) * self.cell_m
        return np.meshgrid(x, y)

    def cell_of(
        self, x_m: np.ndarray, y_m: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return ``(row, col, inside)`` of the cells holding points (m)."""
        rows, cols = self.shape
        col = np.floor((np.asarray(x_m) - self.x0_m) / self.cell_m).astype(np.int64)
        row = np.floor((np.asarray(y_m) - self.y0_m) / self.cell_m).astype(np.int64)
        inside = (row >= 0) & (row < rows) & (col >= 0) & (col < cols)
        return np.clip(row, 0, rows - 1), np.clip(col, 0, cols - 1), inside

    def sample(self, x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
        """Value of the cell under each point; NaN outside the grid."""
        row, col, inside = self.cell_of(x_m, y_m)
        return np.where(inside, self.values[row, col], np.nan)


def read_asc(path: Path, *, yaml_path: str) -> Raster:
    """Read an ESRI ASCII grid whose coordinates are in the scenario frame (m).

    Parameters
    ----------
    path
        The ``.asc`` file.
    yaml_path
        Where the file was named in the scenario, for error messages.

    Returns
    -------
    Raster
        NODATA cells become NaN.

    Raises
    ------
    ScenarioError
        If the file is not a well-formed ESRI ASCII grid.
    """
    try:
        lines = Path(path).read_text().splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(f"cannot read ESRI ASCII grid {path}: {err}", path=yaml_path) from None
    header: dict[str, float] = {}
    n_header = 0
    for line in lines[:8]:
        parts = line.split()
        if len(parts) == 2 and parts[0].lower() in _HEADER_KEYS:
            try:
                header[parts[0].lower()] = float(parts[1])
            except ValueError:
                break
            n_header += 1
        else:
            break
    need = {"ncols", "nrows", "cellsize"}
    if not need <= header.keys() or not ({"xllcorner", "xllcenter"} & header.keys()) or not (
        {"yllcorner", "yllcenter"} & header.keys()
    ):
        raise ScenarioError(
            f"{path} is not an ESRI ASCII grid: expected a header with ncols, nrows, "
            "xllcorner|xllcenter, yllcorner|yllcenter, cellsize and optional NODATA_value",
            path=yaml_path,
        )
    rows, cols, cell = int(header["nrows"]), int(header["ncols"]), header["cellsize"]
    if rows <= 0 or cols <= 0 or cell <= 0:
        raise ScenarioError(f"{path}: ncols, nrows and cellsize must be positive", path=yaml_path)
    try:
        data = np.array(" ".join(lines[n_header:]).split(), dtype=np.float64)
    except ValueError:
        raise ScenarioError(f"{path}: grid values must be numbers", path=yaml_path) from None
    if data.size != rows * cols:
        raise ScenarioError(
            f"{path}: header says {rows} x {cols} = {rows * cols} values, file has {data.size}",
            path=yaml_path,
        )
    values = data.reshape(rows, cols)[::-1].copy()
    if "nodata_value" in header:
        values[values == header["nodata_value"]] = np.nan
    x0 = header.get("xllcorner", header.get("xllcenter", 0.0) - cell / 2)
    y0 = header.get("yllcorner", header.get("yllcenter", 0.0) - cell / 2)
    return Raster(values=values, x0_m=float(x0), y0_m=float(y0), cell_m=float(cell))


def write_asc(path: Path, raster: Raster, *, nodata: float = -9999.0) -> None:
    """Write a raster as an ESRI ASCII grid (north row first).

    Parameters
    ----------
    path
        Destination file.
    raster
        The grid to write; NaN cells are written as ``nodata``.
    nodata
        NODATA value.
    """
    rows, cols = raster.shape
    values = np.where(np.isnan(raster.values), nodata, raster.values)[::-1]
    head = (
        f"ncols {cols}\nnrows {rows}\nxllcorner {raster.x0_m!r}\nyllcorner {raster.y0_m!r}\n"
        f"cellsize {raster.cell_m!r}\nNODATA_value {nodata!r}\n"
    )
    body = "\n".join(" ".join(repr(float(v)) for v in row) for row in values)
    Path(path).write_text(head + body + "\n")
