"""Read, validate and write scenarios (YAML, CSV) and export GeoJSON.

Validation happens on load, once: numbers are checked against the bounds in the field
metadata (finite, physical), enumerations against their choices, ``ready``/``due`` become
aware China-time datetimes (:func:`h2lane.timeutil.parse_datetime`), opening hours are
parsed and normalised, references between sections are resolved, ``roads`` must name a
bundled graph or a directory with ``nodes.csv`` and ``edges.csv``, and a YAML key given twice
is an error. Any problem raises :class:`~h2lane.errors.ScenarioError` whose message names the
file, section, row and field: one sentence, no traceback. Rows count from 1 (CSV: data rows
after the header); messages also give the file line.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import math
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

import yaml

from h2lane.errors import ScenarioError
from h2lane.scenario.model import (
    KEY_FIELD,
    SECTIONS,
    Order,
    Place,
    RowLocation,
    Scenario,
    Station,
    format_opening_hours,
    parse_opening_hours,
)
from h2lane.timeutil import iso, parse_datetime

BUNDLED = ("shanxi-tianjin",)
"""Scenarios shipped inside the package, loadable by name."""

TOP_LEVEL = ("name", "description", "roads")

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Record(dict):
    """A mapping read from YAML that remembers the line it starts on."""

    line: int | None = None


class _DuplicateKey(Exception):
    """A key given twice in one YAML mapping (converted to a ScenarioError by the reader)."""

    def __init__(self, key: str, line: int, first: int) -> None:
        super().__init__(key)
        self.key, self.line, self.first = key, line, first


class ScenarioLoader(yaml.SafeLoader):
    """PyYAML's safe loader, but a key given twice in one mapping is an error.

    Merge keys (``<<: *anchor``) still work: a mapping's own keys override merged ones.
    Mappings come back as dicts that remember their first line (for row messages).
    """


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> _Record:
    own = {id(k) for k, _ in node.value if k.tag != _MERGE_TAG}
    loader.flatten_mapping(node)
    out = _Record()
    out.line = node.start_mark.line + 1
    first_line: dict[Any, int] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "found an unhashable key", key_node.start_mark
            ) from None
        if id(key_node) in own:
            if key in first_line:
                raise _DuplicateKey(str(key), line, first_line[key])
            first_line[key] = line
        out[key] = loader.construct_object(value_node, deep=True)
    return out


ScenarioLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def load_yaml_text(text: str, file: str) -> Any:
    """Parse YAML with :class:`ScenarioLoader`; errors are ScenarioErrors naming the line."""
    try:
        return yaml.load(text, Loader=ScenarioLoader)  # a SafeLoader subclass
    except _DuplicateKey as dup:
        raise ScenarioError(
            file,
            f"the key '{dup.key}' appears twice in one mapping (first on line {dup.first})",
            line=dup.line,
            field=dup.key,
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None)
        detail = f" ({problem})" if problem else ""
        raise ScenarioError(
            file,
            f"is not valid YAML{detail}",
            line=mark.line + 1 if mark is not None else None,
        ) from None


def bundled_path(name: str) -> Path:
    """Path of a bundled scenario file."""
    return Path(str(resources.files("h2lane.scenario") / "data" / f"{name}.yaml"))


def load_scenario(spec: str | Path) -> Scenario:
    """Load a scenario by bundled name, YAML file, or directory holding ``scenario.yaml``."""
    text = str(spec)
    if text in BUNDLED:
        return read_yaml(bundled_path(text), display=text)
    path = Path(text)
    if path.is_dir():
        path = path / "scenario.yaml"
    if not path.exists():
        known = ", ".join(BUNDLED)
        raise ScenarioError(str(spec), f"no such file or bundled scenario (bundled: {known})")
    return read_yaml(path)


def read_yaml(path: Path, display: str | None = None) -> Scenario:
    """Read and validate a scenario YAML file; sections may point at CSV files."""
    shown = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise ScenarioError(shown, f"cannot be read ({reason})") from None
    raw = load_yaml_text(text, shown)
    if not isinstance(raw, Mapping):
        raise ScenarioError(shown, "must be a mapping with 'name' and component sections")
    unknown = [k for k in raw if k not in TOP_LEVEL and k not in SECTIONS]
    if unknown:
        known = ", ".join((*TOP_LEVEL, *SECTIONS))
        raise ScenarioError(shown, f"unknown key '{unknown[0]}' (known keys: {known})")
    if not raw.get("name"):
        raise ScenarioError(shown, "missing required key 'name'")
    for key in TOP_LEVEL:
        if raw.get(key) is not None and not isinstance(raw[key], str | int | float):
            raise ScenarioError(shown, "must be text", field=key)
    scenario = Scenario(
        name=str(raw["name"]),
        description=str(raw.get("description") or ""),
        roads=resolve_roads(raw.get("roads"), path.parent, shown),
        source=shown,
    )
    for section, cls in SECTIONS.items():
        value = raw.get(section)
        if value is None:
            continue
        where: list[RowLocation] = []
        if isinstance(value, str):
            csv_path = (path.parent / value).resolve()
            records = read_csv_section(
                csv_path, cls, display=str(path.parent / value), locations=where
            )
        elif isinstance(value, list):
            records = []
            for i, item in enumerate(value, start=1):
                line = getattr(item, "line", None)
                records.append(
                    parse_record(item, cls, file=shown, section=section, row=i, line=line)
                )
                where.append(RowLocation(shown, i, line, section))
        else:
            raise ScenarioError(
                shown, "must be a list of records or a CSV file name", section=section
            )
        setattr(scenario, section, records)
        scenario.locations[section] = where
    check_references(scenario)
    return scenario


def resolve_roads(value: Any, base: Path, file: str) -> str:
    """The ``roads`` value checked: a bundled graph name, or a graph directory as a path.

    A relative directory is looked up beside the scenario file first, then from the working
    directory; the returned text is the directory's absolute path so that
    :meth:`h2lane.roads.graph.RoadGraph.load` finds it from anywhere.
    """
    from h2lane.roads.graph import BUNDLED_GRAPHS

    text = "north-china" if value is None or str(value).strip() == "" else str(value).strip()
    if text in BUNDLED_GRAPHS:
        return text
    given = Path(text).expanduser()
    candidates = [given] if given.is_absolute() else [base / given, given]
    for cand in candidates:
        if cand.is_dir():
            missing = [n for n in ("nodes.csv", "edges.csv") if not (cand / n).is_file()]
            if missing:
                raise ScenarioError(
                    file,
                    f"the road graph directory '{text}' has no {' and no '.join(missing)}",
                    field="roads",
                )
            return str(cand.resolve())
        if cand.suffix == ".npz" and cand.is_file():
            return str(cand.resolve())
    raise ScenarioError(
        file,
        f"'{text}' is neither a bundled road graph ({', '.join(BUNDLED_GRAPHS)}) nor a "
        "directory with nodes.csv and edges.csv",
        field="roads",
    )


def read_csv_section(
    path: Path,
    cls: type,
    display: str | None = None,
    locations: list[RowLocation] | None = None,
) -> list[Any]:
    """Read one component table from CSV, validating every row.

    ``locations``, if given, receives each record's file, row and line.
    """
    shown = display or str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ScenarioError(shown, "cannot be read (it is not UTF-8 text)") from None
    except OSError as exc:
        raise ScenarioError(shown, f"cannot be read ({exc.strerror})") from None
    with io.StringIO(text, newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise ScenarioError(shown, "is empty (expected a header row)")
        header = [h.strip() for h in header]
        seen: dict[str, int] = {}
        for col, name in enumerate(header, start=1):
            if not name:
                raise ScenarioError(shown, f"column {col} of the header has no name", line=1)
            if name in seen:
                raise ScenarioError(
                    shown,
                    f"the column '{name}' appears twice in the header (columns {seen[name]} "
                    f"and {col})",
                    line=1,
                    field=name,
                )
            seen[name] = col
        records = []
        where: list[RowLocation] = []
        for row_no, values in enumerate(reader, start=1):
            if not values or all(not v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise ScenarioError(
                    shown,
                    f"has {len(values)} values but the header has {len(header)} columns",
                    row=row_no,
                    line=reader.line_num,
                )
            item = {k: v for k, v in zip(header, values, strict=True) if v.strip() != ""}
            records.append(parse_record(item, cls, file=shown, row=row_no, line=reader.line_num))
            where.append(RowLocation(shown, row_no, reader.line_num))
    _check_unique(records, cls, where.__getitem__)
    if locations is not None:
        locations.extend(where)
    return records


def read_stations_csv(path: str | Path) -> list[Station]:
    """Read a station table ``id,name,lat,lon[,price,...]`` (other fields default)."""
    p = Path(path)
    if not p.exists():
        raise ScenarioError(str(path), "no such file")
    return read_csv_section(p, Station, display=str(path))


@functools.cache
def _field_specs(cls: type) -> dict[str, tuple[dataclasses.Field[Any], type]]:
    """Each field of the record class ``cls`` with its resolved type (computed once per class)."""
    hints = get_type_hints(cls)
    return {f.name: (f, hints[f.name]) for f in dataclasses.fields(cls)}


@functools.cache
def _aliases(cls: type) -> dict[str, str]:
    """Each alias of a field of ``cls`` with the field's name (computed once per class)."""
    return {a: n for n, (f, _) in _field_specs(cls).items() for a in f.metadata.get("aliases", ())}


def parse_record(
    item: Any,
    cls: type,
    *,
    file: str,
    row: int,
    section: str | None = None,
    line: int | None = None,
) -> Any:
    """Convert one raw mapping into a validated component instance."""
    if not isinstance(item, Mapping):
        raise ScenarioError(
            file, "must be a mapping of field: value", section=section, row=row, line=line
        )
    specs = _field_specs(cls)
    alias_to_name = _aliases(cls)
    values: dict[str, Any] = {}
    for key, raw_value in item.items():
        name = alias_to_name.get(str(key), str(key))
        if name not in specs:
            known = ", ".join(specs)
            raise ScenarioError(
                file,
                f"unknown field (known fields: {known})",
                section=section,
                row=row,
                line=line,
                field=str(key),
            )
        f, kind = specs[name]
        values[name] = _convert(raw_value, f, kind, file=file, section=section, row=row, line=line)
    for name, (f, _) in specs.items():
        if name not in values and f.default is dataclasses.MISSING:
            raise ScenarioError(
                file, "is required but missing", section=section, row=row, line=line, field=name
            )
    record = cls(**values)
    if isinstance(record, Order) and record.ready and record.due and record.due <= record.ready:
        raise ScenarioError(
            file,
            f"due {iso(record.due)} is not after ready {iso(record.ready)}",
            section=section,
            row=row,
            line=line,
            field="due",
        )
    return record


@functools.cache
def _optional_datetime(kind: Any) -> bool:
    """Whether a field's type is ``datetime | None``."""
    if get_origin(kind) in (Union, types.UnionType):
        return datetime in get_args(kind)
    return kind is datetime


def _convert(
    value: Any,
    f: dataclasses.Field[Any],
    kind: type,
    *,
    file: str,
    section: str | None,
    row: int,
    line: int | None = None,
) -> Any:
    def bad(problem: str) -> ScenarioError:
        return ScenarioError(file, problem, section=section, row=row, line=line, field=f.name)

    meta = f.metadata
    unit = f" {meta['unit']}" if meta.get("unit") and meta["unit"] != "-" else ""
    if _optional_datetime(kind):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        when = parse_datetime(value)
        if when is None:
            raise bad(
                f"must be an ISO 8601 date-time such as 2026-12-01T06:00 (China time unless an "
                f"offset is given), got '{value}'"
            )
        return when
    if kind is str:
        if value is None:
            raise bad("is empty")
        out: Any = str(value).strip()
        if f.name in ("id", "name") and not out:
            raise bad("is empty")
        if f.name == "opening_hours":
            try:
                out = format_opening_hours(parse_opening_hours(out))
            except ValueError as exc:
                raise bad(str(exc)) from None
    elif kind in (float, int):
        if isinstance(value, bool):
            raise bad(f"must be a number, not {value}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise bad(f"must be a number{unit}, got '{value}'") from None
        if not math.isfinite(number):
            raise bad(f"must be a finite number, got '{value}'")
        if kind is int:
            if number != int(number):
                raise bad(f"must be a whole number, got '{value}'")
            out = int(number)
        else:
            out = number
        lo, hi = meta.get("minimum"), meta.get("maximum")
        if lo is not None:
            if meta.get("exclusive_minimum") and number <= lo:
                raise bad(f"must be greater than {lo:g}{unit}, got {number:g}")
            if number < lo:
                raise bad(f"must be at least {lo:g}{unit}, got {number:g}")
        if hi is not None and number > hi:
            raise bad(f"must be at most {hi:g}{unit}, got {number:g}")
    else:  # pragma: no cover - the model only uses str/float/int
        out = value
    choices = meta.get("choices")
    if choices is not None and out not in choices:
        listed = ", ".join(f"{c:g}" if isinstance(c, float) else str(c) for c in choices)
        raise bad(f"must be one of {listed}, got '{value}'")
    return out


def _error_at(where: RowLocation, problem: str, field: str) -> ScenarioError:
    return ScenarioError(
        where.file, problem, section=where.section, row=where.row, line=where.line, field=field
    )


def _check_unique(records: Iterable[Any], cls: type, locate: Callable[[int], RowLocation]) -> None:
    key = KEY_FIELD[cls]
    seen: dict[str, int] = {}
    for i, rec in enumerate(records):
        k = getattr(rec, key)
        folded = k.casefold()
        if folded in seen:
            first = locate(seen[folded])
            raise _error_at(locate(i), f"duplicate {key} '{k}' (first in row {first.row})", key)
        seen[folded] = i


def check_references(scenario: Scenario) -> None:
    """Check uniqueness and cross-references between sections.

    Messages name the file, row and line each record was read from
    (:attr:`Scenario.locations`), the scenario file's section or the section's CSV file.
    """
    for section, cls in SECTIONS.items():
        _check_unique(getattr(scenario, section), cls, functools.partial(scenario.locate, section))
    sites = {s.id for s in scenario.production_sites}
    types = {t.id for t in scenario.truck_types}

    def ref(section: str, i: int, field: str, value: str, known: set[str], what: str) -> None:
        if value and value not in known:
            listed = ", ".join(sorted(known)) or "none defined"
            raise _error_at(
                scenario.locate(section, i),
                f"refers to unknown {what} '{value}' (known: {listed})",
                field,
            )

    for i, st in enumerate(scenario.stations):
        ref("stations", i, "supplied_by", st.supplied_by, sites, "production site")
    for i, tr in enumerate(scenario.trailers):
        ref("trailers", i, "home_site", tr.home_site, sites, "production site")
    for i, tk in enumerate(scenario.trucks):
        ref("trucks", i, "type", tk.type, types, "truck type")
        if scenario.place(tk.depot) is None:
            listed = ", ".join(p.name for p in scenario.places) or "none defined"
            raise _error_at(
                scenario.locate("trucks", i),
                f"refers to unknown place '{tk.depot}' (known: {listed})",
                "depot",
            )
    largest = max((t.payload_t for t in scenario.truck_types), default=math.inf)
    for i, od in enumerate(scenario.orders):
        if od.tonnes > largest:
            biggest = max(scenario.truck_types, key=lambda t: t.payload_t)
            raise _error_at(
                scenario.locate("orders", i),
                f"{od.tonnes:g} t is more than the largest payload of the scenario's truck types "
                f"({largest:g} t, truck type '{biggest.id}'); split the order",
                "tonnes",
            )
        for fld in ("origin", "destination"):
            value = getattr(od, fld)
            if scenario.place(value) is None and parse_latlon(value) is None:
                raise _error_at(
                    scenario.locate("orders", i),
                    f"'{value}' is neither a place of the scenario nor 'lat,lon'",
                    fld,
                )


def parse_latlon(text: str) -> tuple[float, float] | None:
    """Parse ``"lat,lon"``; ``None`` if the text is not two numbers in range."""
    parts = text.replace(" ", "").split(",")
    if len(parts) != 2:
        return None
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        return None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    return lat, lon


def _plain(value: Any) -> Any:
    """A value as the files and JSON hold it: datetimes as ISO 8601 text with the offset."""
    return iso(value) if isinstance(value, datetime) else value


def record_dict(rec: Any) -> dict[str, Any]:
    """One component as a JSON-ready mapping (datetimes as ISO text, absent times as None)."""
    return {f.name: _plain(getattr(rec, f.name)) for f in dataclasses.fields(rec)}


_record_dict = record_dict


def scenario_dict(scenario: Scenario) -> dict[str, Any]:
    """The whole scenario as a JSON-ready mapping (what ``scenario show --json`` prints)."""
    doc: dict[str, Any] = {k: getattr(scenario, k) for k in TOP_LEVEL}
    for section in SECTIONS:
        doc[section] = [record_dict(r) for r in getattr(scenario, section)]
    return doc


def write_yaml(scenario: Scenario, path: str | Path) -> Path:
    """Write the scenario as one YAML file (absent times left out; read back unchanged)."""
    out = Path(path)
    doc: dict[str, Any] = {k: getattr(scenario, k) for k in TOP_LEVEL}
    for section in SECTIONS:
        doc[section] = [
            {k: v for k, v in record_dict(r).items() if v is not None}
            for r in getattr(scenario, section)
        ]
    out.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return out


def write_csv_section(path: str | Path, cls: type, records: Sequence[Any]) -> Path:
    """Write ``records`` of dataclass ``cls`` as a CSV table with every field as a column
    (empty cells for ``None``); :func:`read_csv_section` reads it back."""
    names = [f.name for f in dataclasses.fields(cls)]
    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(names)
        for rec in records:
            row = record_dict(rec)
            writer.writerow(["" if row[n] is None else row[n] for n in names])
    return Path(path)


def write_csv_dir(scenario: Scenario, directory: str | Path) -> Path:
    """Write ``scenario.yaml`` plus one CSV per section into ``directory``."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = {k: getattr(scenario, k) for k in TOP_LEVEL}
    for section, cls in SECTIONS.items():
        write_csv_section(d / f"{section}.csv", cls, getattr(scenario, section))
        doc[section] = f"{section}.csv"
    (d / "scenario.yaml").write_text(
        yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    return d / "scenario.yaml"


def to_geojson(scenario: Scenario) -> dict[str, Any]:
    """GeoJSON FeatureCollection of places, production sites and stations."""
    features = []
    for kind, items in (
        ("place", scenario.places),
        ("production_site", scenario.production_sites),
        ("station", scenario.stations),
    ):
        for rec in items:
            props = {k: v for k, v in _record_dict(rec).items() if k not in ("lat", "lon")}
            props["kind"] = kind
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [rec.lon, rec.lat]},
                    "properties": props,
                }
            )
    return {"type": "FeatureCollection", "name": scenario.name, "features": features}


def place_names(scenario: Scenario) -> list[str]:
    return [p.name for p in scenario.places]


__all__ = [
    "BUNDLED",
    "Place",
    "ScenarioLoader",
    "check_references",
    "load_scenario",
    "load_yaml_text",
    "parse_latlon",
    "read_csv_section",
    "read_stations_csv",
    "read_yaml",
    "record_dict",
    "resolve_roads",
    "scenario_dict",
    "to_geojson",
    "write_csv_dir",
    "write_yaml",
]
