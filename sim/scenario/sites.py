"""Shelters, stations and hydrants (existing and candidate sites), from YAML lists or CSV files.

A site list is written as a YAML list of mappings or as ``{csv: path}``. A
CSV file is read when the scenario is loaded, into the same models, so code
never sees the difference; a problem in a row is reported at
``<section>.csv[row N].<column>`` (row N is the N-th data row, 1-based) with
the file name and its line. Blank cells are absent values (defaults apply).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    WrapValidator,
    model_serializer,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from citysim.scenario.base import (
    SCENARIO_ERROR,
    ConfigModel,
    Id,
    InputPath,
    Latitude,
    Longitude,
    NonNegFloat,
    NonNegInt,
    PosFloat,
    Text,
    closest,
    describe_value,
    error,
    line_error,
    raise_errors,
    rebuild_error,
    resolve_input_path,
)
from citysim.scenario.durations import Duration
from citysim.scenario.locations import Location
from citysim.scenario.problems import error_message

__all__ = [
    "UNIT_KINDS",
    "BBox",
    "OsmShelters",
    "OsmStations",
    "check_unique_ids",
    "CandidateShelter",
    "CandidateShelterList",
    "CandidateStation",
    "CandidateStationList",
    "Candidates",
    "HYDRANT_FLOW_L_S",
    "Hydrant",
    "HydrantList",
    "HydrantSpacing",
    "HydrantsSpec",
    "OsmHydrants",
    "STATION_CLASSES",
    "SyntheticHydrants",
    "Shelter",
    "ShelterList",
    "Site",
    "Station",
    "StationList",
    "Units",
]

#: Kinds of response unit a station can hold.
UNIT_KINDS = ("engine", "ladder", "rescue", "hazmat", "ambulance")
_LOCATION_COLUMNS = ("x", "y", "lon", "lat", "node")
_LOCATION_FORMS = (("x", "y"), ("lon", "lat"), ("node",))


class Site(ConfigModel):
    """Common part of shelters and stations: an id, an optional name, a location."""

    id: Id
    name: Text | None = None
    location: Location

    _row: tuple[Path, int, int] | None = PrivateAttr(default=None)
    _osm_file: Path | None = PrivateAttr(default=None)

    @property
    def csv_row(self) -> tuple[Path, int, int] | None:
        """(file, row, line) when the site was read from a CSV file, else ``None``."""
        return self._row

    @property
    def source_file(self) -> Path | None:
        """The CSV or OSM file the site was read from, if any."""
        return self._row[0] if self._row is not None else self._osm_file


SHELTER_M2_PER_PERSON = 1.5
"""Default usable area per sheltered person (m²): GB 21734-2008 asks for more
than 1.5 m² per person (GB 50413-2007: at least 1 m² in emergency shelters,
2 m² in fixed ones; MODELS.md)."""


class Shelter(Site):
    """A shelter: where evacuees go.

    Attributes
    ----------
    capacity
        Persons it holds; when absent, ``area_m2 / m2_per_person`` (rounded down).
    kind
        Free text such as ``park``, ``square``, ``school``, ``building``.
    area_m2
        Usable area (m²), used when ``capacity`` is not given.
    m2_per_person
        Usable area per person (m²); default :data:`SHELTER_M2_PER_PERSON`.
    opens
        When it opens (s); default open from the start. Until then nobody is
        routed to it or admitted (an extra shelter opened as a drill inject).
    """

    csv_one_of: ClassVar[tuple[str, ...]] = ("capacity", "area_m2")

    capacity: NonNegInt | None = None
    kind: Text | None = None
    area_m2: PosFloat | None = None
    m2_per_person: PosFloat = SHELTER_M2_PER_PERSON
    opens: Duration | None = None

    @model_serializer(mode="wrap")
    def _own_keys(self, handler: Any) -> Any:
        out = handler(self)
        if isinstance(out, dict) and self.opens is None:  # scenarios without it resolve as before
            out.pop("opens", None)
        return out

    @model_validator(mode="after")
    def _capacity_or_area(self) -> Shelter:
        if self.capacity is None and self.area_m2 is None:
            raise_errors("Shelter", [line_error(
                ("capacity",), "required: give capacity (persons), or area_m2 (usable area, "
                f"m²) to size it at m2_per_person ({self.m2_per_person:g} m² per person)")])
        return self

    @property
    def places(self) -> int:
        """Persons it holds: ``capacity``, else usable area over area per person."""
        places = _places(self.capacity, self.area_m2, self.m2_per_person)
        assert places is not None, "a shelter has a capacity or an area (checked at load)"
        return places


def _places(capacity: int | None, area_m2: float | None, m2_per_person: float) -> int | None:
    """Persons a site holds: ``capacity``, else ``area_m2 / m2_per_person`` rounded down."""
    if capacity is not None:
        return capacity
    if area_m2 is None:
        return None
    return math.floor(area_m2 / m2_per_person + 1e-9)  # 0.3 / 0.1 is 3


class CandidateShelter(Site):
    """A site ``citysim optimize`` may open as a shelter.

    Attributes
    ----------
    capacity
        Persons it would hold; ``None`` when unknown (to be derived, e.g. from area).
    kind
        Free text such as ``park``, ``square``, ``school``.
    area_m2
        Usable area (m²), when known.
    m2_per_person
        Usable area per person (m²), to derive the capacity from the area.
    """

    capacity: NonNegInt | None = None
    kind: Text | None = None
    area_m2: PosFloat | None = None
    m2_per_person: PosFloat = SHELTER_M2_PER_PERSON

    @property
    def places(self) -> int | None:
        """Persons it would hold: ``capacity``, else usable area over area per person.

        ``None`` when neither is given (``citysim optimize`` then asks for one).
        """
        return _places(self.capacity, self.area_m2, self.m2_per_person)


class Units(ConfigModel):
    """Response units at a station, by kind (all default 0)."""

    engine: NonNegInt = 0
    ladder: NonNegInt = 0
    rescue: NonNegInt = 0
    hazmat: NonNegInt = 0
    ambulance: NonNegInt = 0

    @property
    def total(self) -> int:
        """All units of all kinds."""
        return self.engine + self.ladder + self.rescue + self.hazmat + self.ambulance


STATION_CLASSES = ("class_1", "class_2", "small")
"""Station classes of China 建标152-2017 (一级, 二级 and 小型 普通消防站)."""


class Station(Site):
    """A fire-and-rescue station.

    Attributes
    ----------
    units
        Its units by kind.
    turnout
        Time from dispatch to leaving the station (s); NFPA 1710: 80 s for fire.
    station_class
        Its class under 建标152-2017 (YAML key ``class``): ``class_1``,
        ``class_2`` or ``small``; ``None``: inferred from its engines
        (:mod:`citysim.analysis.hydrants`).
    """

    model_config = ConfigDict(serialize_by_alias=True)

    units: Units
    turnout: Duration = 80.0
    station_class: Literal["class_1", "class_2", "small"] | None = Field(None, alias="class")

    @model_serializer(mode="wrap")
    def _omit_undeclared_class(self, handler: Any) -> Any:
        out = handler(self)  # stations without a class resolve as before
        if isinstance(out, dict) and out.get("class", 0) is None:
            out.pop("class")
        return out


class CandidateStation(Site):
    """A site ``citysim optimize`` may open as a station; one engine unless said otherwise."""

    units: Units = Units(engine=1)
    turnout: Duration = 80.0


HYDRANT_FLOW_L_S = 15.0
"""Default flow of a municipal hydrant (L/s): GB 50974-2014 §7.2 (clause 7.2.8 as we
recall its number) asks that in a fire the hydraulically least favourable municipal hydrant
deliver at least 15 L/s at 0.10 MPa (wording confirmed from reproductions); the older
GB 50016 rule sized each outdoor hydrant at 10-15 L/s.  The default is that minimum."""


class Hydrant(Site):
    """A municipal fire hydrant, snapped onto the nearest street.

    Attributes
    ----------
    flow_l_s
        Flow it delivers (L/s).
    in_service
        ``false`` for a hydrant known to be broken or shut off: it is listed
        but never used.
    """

    flow_l_s: PosFloat = HYDRANT_FLOW_L_S
    in_service: bool = True


class HydrantSpacing(ConfigModel):
    """Hydrants placed along every street at a fixed spacing.

    Attributes
    ----------
    spacing_m
        Distance between consecutive hydrants along a street (m); GB 50974-2014
        §7.2 asks for at most 120 m.
    flow_l_s
        Flow of each (L/s).
    """

    spacing_m: PosFloat = 120.0
    flow_l_s: PosFloat = HYDRANT_FLOW_L_S


class SyntheticHydrants(ConfigModel):
    """``hydrants: {synthetic: {spacing_m: 120}}``: hydrants along every street."""

    yaml_form: ClassVar[str] = "{synthetic: {spacing_m: 120}}"

    synthetic: HydrantSpacing = HydrantSpacing()


# --- lists: YAML or CSV --------------------------------------------------------


def check_unique_ids(sites: tuple[Any, ...]) -> tuple[Any, ...]:
    """Raise a problem at ``[i].id`` for each item whose ``id`` an earlier item has."""
    first: dict[str, int] = {}
    problems = []
    for i, site in enumerate(sites):
        if site.id in first:
            # ctx "first" lets a CSV reader say which row instead of which item
            kind = PydanticCustomError(
                SCENARIO_ERROR,
                f"duplicate id {site.id!r} (already used by item {{first}})",
                {"first": first[site.id]},
            )
            problems.append(InitErrorDetails(type=kind, loc=(i, "id"), input=site.id))
        else:
            first[site.id] = i
    if problems:
        raise_errors("sites", problems)
    return sites


def _column_types(model: type[Site]) -> dict[str, Callable[[str], Any]]:
    """Columns a CSV file of ``model`` may have, with the cell parser of each."""
    cols: dict[str, Callable[[str], Any]] = {"id": str, "name": str}
    cols.update({"x": _float, "y": _float, "lon": _float, "lat": _float, "node": _int})
    fields = model.model_fields
    if "capacity" in fields:
        cols["capacity"] = _int
    if "kind" in fields:
        cols["kind"] = str
    if "area_m2" in fields:
        cols["area_m2"] = _float
    if "m2_per_person" in fields:
        cols["m2_per_person"] = _float
    if "units" in fields:
        cols.update({k: _int for k in UNIT_KINDS})
    if "turnout" in fields:
        cols["turnout"] = str
    if "station_class" in fields:
        cols["class"] = str
    if "flow_l_s" in fields:
        cols["flow_l_s"] = _float
    if "in_service" in fields:
        cols["in_service"] = _bool
    return cols


_TRUE = ("true", "yes", "1")
_FALSE = ("false", "no", "0")


def _bool(cell: str) -> Any:
    """``true/yes/1`` and ``false/no/0`` (any case) as booleans; anything else as given."""
    text = cell.strip().lower()
    return True if text in _TRUE else False if text in _FALSE else cell


def _int(cell: str) -> Any:
    try:
        return int(cell)
    except ValueError:
        pass
    try:
        number = float(cell)
    except ValueError:
        return cell
    return int(number) if number.is_integer() else cell


def _float(cell: str) -> Any:
    try:
        return float(cell)
    except ValueError:
        return cell


def _read_csv(path: Path, model: type[Site]) -> tuple[list[dict[str, Any]], list[tuple[int, int]]]:
    """Read a site CSV into YAML-like mappings; problems are raised at ``("csv",)``."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise_errors("csv", [line_error(("csv",), f"cannot read {path}: {exc.strerror or exc}")])
    except UnicodeDecodeError as exc:
        raise_errors("csv", [line_error(("csv",), f"{path} is not UTF-8 text (byte {exc.start})")])
    columns = _column_types(model)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader, [])]
        records = []
        for cells in reader:
            if any(c.strip() for c in cells):
                records.append((reader.line_num, cells))
    except csv.Error as exc:
        raise_errors("csv", [line_error(("csv",), f"{path.name}: bad CSV: {exc}")])
    problems = _check_header(header, columns, model, path)
    if problems:
        raise_errors("csv", problems)
    rows: list[dict[str, Any]] = []
    where: list[tuple[int, int]] = []
    for number, (line, cells) in enumerate(records, start=1):
        if len(cells) != len(header):
            problems.append(
                line_error(
                    ("csv", f"[row {number}]"),
                    f"expected {len(header)} cells as in the header, got {len(cells)} "
                    f"({path.name}, line {line})",
                )
            )
            continue
        rows.append(_row_mapping(header, cells, columns, model))
        where.append((number, line))
    if problems:
        raise_errors("csv", problems)
    return rows, where


def _check_header(
    header: list[str], columns: Mapping[str, Any], model: type[Site], path: Path
) -> list[InitErrorDetails]:
    problems = []
    if not any(header):
        return [line_error(("csv",), f"{path.name} is empty: expected a header row")]
    seen = set()
    for name in header:
        if name in seen:
            problems.append(line_error(("csv",), f"{path.name}: column {name!r} appears twice"))
        seen.add(name)
        if name not in columns:
            message = (
                f"{path.name}: unknown column {name!r} (expected some of: {', '.join(columns)})"
            )
            guess = closest(name, columns)
            if guess is not None:
                message += f"; did you mean {guess!r}?"
            problems.append(line_error(("csv",), message))
    if "id" not in seen:
        problems.append(line_error(("csv",), f"{path.name}: missing column 'id'"))
    if not any(all(c in seen for c in form) for form in _LOCATION_FORMS):
        problems.append(
            line_error(
                ("csv",), f"{path.name}: missing location columns: x and y, lon and lat, or node"
            )
        )
    for name, field in model.model_fields.items():
        if field.is_required() and name in columns and name not in seen:
            problems.append(line_error(("csv",), f"{path.name}: missing column {name!r}"))
    one_of = getattr(model, "csv_one_of", ())
    if one_of and not any(c in seen for c in one_of):
        names = " or ".join(repr(c) for c in one_of)
        problems.append(line_error(("csv",), f"{path.name}: missing column {names}"))
    if "units" in model.model_fields and model.model_fields["units"].is_required():
        if not any(k in seen for k in UNIT_KINDS):
            problems.append(
                line_error(
                    ("csv",),
                    f"{path.name}: missing unit columns (some of: {', '.join(UNIT_KINDS)})",
                )
            )
    return problems


def _row_mapping(
    header: list[str], cells: list[str], columns: Mapping[str, Any], model: type[Site]
) -> dict[str, Any]:
    row: dict[str, Any] = {}
    location: dict[str, Any] = {}
    units: dict[str, Any] = {}
    for name, cell in zip(header, cells, strict=True):
        cell = cell.strip()
        if not cell:
            continue
        value = columns[name](cell)
        if name in _LOCATION_COLUMNS:
            location[name] = value
        elif name in UNIT_KINDS:
            units[name] = value
        else:
            row[name] = value
    if location:
        row["location"] = location
    if units or ("units" in model.model_fields and model.model_fields["units"].is_required()):
        row["units"] = units
    return row


def _csv_location(loc: tuple[Any, ...], number: int) -> tuple[Any, ...]:
    """Map an error location in row mappings to CSV terms: (i, "location", "x") -> column x."""
    rest = loc[1:]
    if len(rest) > 1 and rest[0] in ("location", "units"):
        rest = rest[1:]
    return ("csv", f"[row {number}]", *rest)


def _site_list(model: type[Site], what: str) -> Callable[[Any, Any, ValidationInfo], Any]:
    def validate(value: Any, handler: Any, info: ValidationInfo) -> Any:
        if isinstance(value, Mapping) and "osm" in value:
            return _from_osm(model, value, handler, info)
        if isinstance(value, Mapping):
            return _from_csv(value, handler, info)
        if not isinstance(value, (list, tuple)):
            raise error(f"expected a list of {what} or {{csv: path}}, got {describe_value(value)}")
        if any(isinstance(v, Mapping) and ("csv" in v or "osm" in v) for v in value):
            return _mixed(value, handler, info)
        return handler(value)

    def _mixed(value: Any, handler: Any, info: ValidationInfo) -> Any:
        """A list mixing sites and ``{csv}`` / ``{osm}`` items: each expanded in place."""
        sites: list[Any] = []
        problems = []
        for i, item in enumerate(value):
            source = isinstance(item, Mapping) and ("csv" in item or "osm" in item)
            try:
                sites.extend(validate(item, handler, info) if source else handler([item]))
            except ValidationError as exc:
                for e in exc.errors():
                    loc = tuple(e["loc"])
                    problems.append(rebuild_error(e, (i, *(loc if source else loc[1:]))))
        if problems:
            raise_errors("sites", problems)
        return handler(sites)

    def _from_csv(value: Mapping[Any, Any], handler: Any, info: ValidationInfo) -> Any:
        extra = [k for k in value if k != "csv"]
        if extra or "csv" not in value:
            problems = [
                line_error((str(k),), f"unknown key {describe_value(k)} (expected: csv)")
                for k in extra
            ]
            if "csv" not in value:
                problems.append(
                    line_error(("csv",), f"missing: give a list of {what}, or {{csv: path}}")
                )
            raise_errors("sites", problems)
        try:
            path = resolve_input_path(value["csv"], info)
        except PydanticCustomError as exc:
            raise_errors("sites", [line_error(("csv",), exc.message(), value["csv"])])
        rows, where = _read_csv(path, model)
        try:
            sites = handler(rows)
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                loc = tuple(err["loc"])
                if loc and isinstance(loc[0], int) and loc[0] < len(where):
                    number, line = where[loc[0]]
                    message = error_message(err)
                    first = (err.get("ctx") or {}).get("first")
                    if isinstance(first, int) and 0 <= first < len(where):
                        message = message.rsplit(" (already", 1)[0]
                        message += f" (already used by row {where[first][0]})"
                    message = f"{message} ({path.name}, line {line})"
                    problems.append(
                        line_error(_csv_location(loc, number), message, err.get("input"))
                    )
                else:
                    problems.append(rebuild_error(err, ("csv", *loc)))
            raise_errors("sites", problems)
        for site, (number, line) in zip(sites, where, strict=True):
            site._row = (path, number, line)
        return sites

    return validate


# --- sites from OpenStreetMap tags ---------------------------------------------------


class BBox(ConfigModel):
    """A WGS84 box ``{west, south, east, north}`` (degrees), west < east, south < north."""

    west: Longitude
    south: Latitude
    east: Longitude
    north: Latitude

    @model_validator(mode="after")
    def _ordered(self) -> BBox:
        problems = [line_error((a,), f"expected {a} < {b}, got {getattr(self, a):g} >= "
                               f"{getattr(self, b):g}")
                    for a, b in (("west", "east"), ("south", "north"))
                    if getattr(self, a) >= getattr(self, b)]
        if problems:
            raise_errors("BBox", problems)
        return self

    def as_tuple(self) -> tuple[float, float, float, float]:
        """``(west, south, east, north)``."""
        return (self.west, self.south, self.east, self.north)


def _kinds(value: Any) -> tuple[str, ...]:
    items = (value,) if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not items or not all(
            isinstance(k, str) and k.strip() for k in items):
        raise error("expected a facility kind (fire_station, hospital, school, park, square, "
                    f"assembly_point, or key=value) or a list of them, got {describe_value(value)}")
    from citysim.scenario.facilities import parse_kinds

    try:
        parse_kinds(items)
    except ValueError as exc:
        raise error(str(exc)) from None
    return tuple(k.strip() for k in items)


class OsmSites(ConfigModel):
    """Sites read from the tags of an OSM file (:mod:`citysim.scenario.facilities`).

    Attributes
    ----------
    osm
        Facility kinds, or ``key=value`` tags.
    file
        The OSM file; default the city's ``network.osm``.
    bbox
        Keep only facilities inside; default ``city.bbox``.
    exclude
        OSM ids (``w123``) to leave out.
    """

    osm: Annotated[tuple[str, ...], PlainValidator(_kinds)]
    file: InputPath
    bbox: BBox | None = None
    exclude: tuple[Text, ...] = ()

    def read(self) -> list[Any]:
        """The facilities selected, as :class:`citysim.scenario.facilities.Facility`."""
        from citysim.errors import ScenarioError
        from citysim.scenario.facilities import read_facilities

        try:
            found = read_facilities(self.file, self.osm,
                                    bbox=None if self.bbox is None else self.bbox.as_tuple())
        except ScenarioError as exc:
            raise_errors("sites", [line_error(("file",), p.message) for p in exc.problems])
        return [f for f in found if f.id not in self.exclude]


class OsmShelters(OsmSites):
    """Shelters from OSM: each polygon's area over ``m2_per_person`` is its capacity.

    Attributes
    ----------
    m2_per_person
        Usable area per person (m²).
    min_area_m2
        Leave out smaller facilities (m²).
    point_area_m2
        Area given to a facility mapped as a point (no outline); default:
        such facilities are left out.
    """

    m2_per_person: PosFloat = SHELTER_M2_PER_PERSON
    min_area_m2: NonNegFloat = 0.0
    point_area_m2: PosFloat | None = None

    def rows(self) -> list[dict[str, Any]]:
        """Shelter mappings, as a YAML list would give them."""
        rows = []
        for f in self.read():
            area = f.area_m2 if f.area_m2 is not None else self.point_area_m2
            if area is None or area < self.min_area_m2:
                continue
            rows.append({"id": f.id, "name": f.name or f"{f.kind} {f.id}", "kind": f.kind,
                         "location": {"lon": f.lon, "lat": f.lat}, "area_m2": area,
                         "m2_per_person": self.m2_per_person})
        return rows


class OsmStations(OsmSites):
    """Stations from OSM, each with the same units and turnout.

    Attributes
    ----------
    units
        Units at each; default two engines (one for candidate stations).
    turnout
        Time from dispatch to leaving (s).
    """

    units: Units | None = None
    turnout: Duration = 80.0

    def rows(self) -> list[dict[str, Any]]:
        """Station mappings, as a YAML list would give them."""
        rows = []
        for f in self.read():
            row = {"id": f.id, "name": f.name or f"{f.kind} {f.id}",
                   "location": {"lon": f.lon, "lat": f.lat}, "turnout": self.turnout}
            if self.units is not None:
                row["units"] = self.units
            rows.append(row)
        return rows


class OsmHydrants(OsmSites):
    """Hydrants from OSM (``emergency=fire_hydrant``), each with the same flow.

    Attributes
    ----------
    flow_l_s
        Flow of each (L/s).
    """

    flow_l_s: PosFloat = HYDRANT_FLOW_L_S

    def rows(self) -> list[dict[str, Any]]:
        """Hydrant mappings, as a YAML list would give them."""
        return [{"id": f.id, "name": f.name or f"{f.kind} {f.id}",
                 "location": {"lon": f.lon, "lat": f.lat}, "flow_l_s": self.flow_l_s}
                for f in self.read()]


OSM_STATION_UNITS = {"engine": 2}
"""Units of a station read from OSM when ``units`` is not given."""


def osm_selection(model: type[Site]) -> type[OsmShelters | OsmStations | OsmHydrants]:
    """The ``{osm: ...}`` selection model of a kind of site."""
    if model is Hydrant:
        return OsmHydrants
    return OsmShelters if "area_m2" in model.model_fields else OsmStations


def _from_osm(model: type[Site], value: Mapping[Any, Any], handler: Any,
              info: ValidationInfo) -> Any:
    """Validate an ``{osm: ...}`` site selection and read its sites."""
    selection = osm_selection(model)
    try:
        chosen = selection.model_validate(dict(value), context=info.context)
    except ValidationError as exc:
        raise_errors("sites", [rebuild_error(e) for e in exc.errors()])
    rows = chosen.rows()
    if model is Station:
        for row in rows:
            row.setdefault("units", OSM_STATION_UNITS)
    if not rows:
        raise_errors("sites", [line_error(("osm",), (
            f"no {', '.join(chosen.osm)} found in {chosen.file.name}"
            + ("" if chosen.bbox is None else " inside the bbox")
            + ("; facilities mapped as points have no area: give point_area_m2 to keep them"
               if selection is OsmShelters else "")))])
    try:
        sites = handler(rows)
    except ValidationError as exc:
        raise_errors("sites", [rebuild_error(e, ("osm", *e["loc"])) for e in exc.errors()])
    for site in sites:
        site._osm_file = chosen.file
    return sites


#: Shelters: a list, or ``{csv: path}`` (columns id, name, capacity, kind, x/y | lon/lat | node).
ShelterList = Annotated[tuple[Shelter, ...], AfterValidator(check_unique_ids),
                        WrapValidator(_site_list(Shelter, "shelters"))]
#: Stations: a list, or ``{csv: path}`` (columns id, name, x/y | lon/lat | node,
#: engine, ladder, rescue, hazmat, ambulance, turnout).
StationList = Annotated[tuple[Station, ...], AfterValidator(check_unique_ids),
                        WrapValidator(_site_list(Station, "stations"))]
#: Hydrants: a list, or ``{csv: path}`` (columns id, name, x/y | lon/lat | node,
#: flow_l_s, in_service), or ``{osm: fire_hydrant}``.
HydrantList = Annotated[tuple[Hydrant, ...], AfterValidator(check_unique_ids),
                        WrapValidator(_site_list(Hydrant, "hydrants"))]


def _hydrants(value: Any, handler: Any, info: ValidationInfo) -> Any:
    """``hydrants:``: ``{synthetic: ...}``, or a hydrant list in any of its forms."""
    if isinstance(value, Mapping) and "synthetic" in value:
        try:
            return SyntheticHydrants.model_validate(dict(value), context=info.context)
        except ValidationError as exc:
            raise_errors("hydrants", [rebuild_error(e) for e in exc.errors()])
    from pydantic import TypeAdapter

    try:
        return TypeAdapter(HydrantList).validate_python(value, context=info.context)
    except ValidationError as exc:
        raise_errors("hydrants", [rebuild_error(e) for e in exc.errors()])


#: ``hydrants:``: a list of hydrants (YAML, ``{csv}``, ``{osm: fire_hydrant}``) or
#: ``{synthetic: {spacing_m}}`` (placed along the streets when the world is built).
HydrantsSpec = Annotated[tuple[Hydrant, ...] | SyntheticHydrants, WrapValidator(_hydrants)]
#: Candidate shelters: like shelters; capacity optional; an ``area_m2`` column allowed.
CandidateShelterList = Annotated[tuple[CandidateShelter, ...], AfterValidator(check_unique_ids),
                                 WrapValidator(_site_list(CandidateShelter, "candidate shelters"))]
#: Candidate stations: like stations; units default to one engine.
CandidateStationList = Annotated[tuple[CandidateStation, ...], AfterValidator(check_unique_ids),
                                 WrapValidator(_site_list(CandidateStation, "candidate stations"))]


class Candidates(ConfigModel):
    """Sites ``citysim optimize`` may choose from."""

    yaml_form: ClassVar[str] = "{shelters: list or {csv: path}, stations: list or {csv: path}}"

    shelters: CandidateShelterList = ()
    stations: CandidateStationList = ()
