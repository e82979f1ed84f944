"""Readers of the three refuelling-VRP benchmark families, and the unservable-customer test.

Formats (see ``benchmarks/<family>/PROVENANCE.md`` of the shared data for the sources):

``emh``
    G-VRP of Erdogan & Miller-Hooks (2012): ``ID Type Longitude Latitude`` rows, then
    ``Q``, ``r``, ``TL``, ``v``, ``m`` parameter lines (value between slashes).
``evrptw``
    E-VRPTW of Schneider, Stenger & Goeke (2014): ``StringID Type x y demand ReadyTime
    DueDate ServiceTime`` rows, then ``Q``, ``C``, ``r``, ``g``, ``v`` parameter lines.
``cec``
    CEC-2020 E-CVRP (Mavrovouniotis et al. 2020): TSPLIB-like header and sections.

Node indices: index 0 is always the depot; for ``emh`` and ``evrptw`` the other nodes keep
the file's row order (the depot is the file's first row); for ``cec`` see :func:`read_cec`.

Every malformed file raises :class:`InstanceFormatError`, whose message is one sentence
naming the file, the line and what is wrong.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from h2lane.errors import InputFileError, OptionError
from h2lane.routing.vrp.model import CUSTOMER, DEPOT, STATION, VRPInstance

__all__ = [
    "EMH_EARTH_RADIUS_MI",
    "EMH_MAX_DURATION_H",
    "InstanceFormatError",
    "find_unservable",
    "haversine_matrix",
    "load_bks",
    "read_cec",
    "read_emh",
    "read_evrptw",
    "read_instance",
]

Format = Literal["emh", "evrptw", "cec", "h2lane"]

EMH_EARTH_RADIUS_MI = 4182.44949
"""Earth radius of the EMH instances' great-circle distances (reproduces the published costs)."""
EMH_MAX_DURATION_H = 10.75
"""Route-duration limit under which the published G-VRP best-known values were computed."""
EMH_SERVICE_H = 0.5
EMH_REFUEL_H = 0.25

_EPS = 1e-6
_KINDS = {"d": DEPOT, "c": CUSTOMER, "f": STATION}
_PARAM = re.compile(r"^\s*(\S+)\s.*/\s*([^/]*?)\s*/\s*$")


class InstanceFormatError(InputFileError):
    """An instance (or best-known-value) file is missing, unreadable or malformed.

    Parameters
    ----------
    file
        Path of the file.
    problem
        What is wrong, phrased to follow the location.
    line
        1-based line of the file the problem is on, if any.
    field
        Column or parameter the problem is in, if any.
    section
        Section of a sectioned file (``cec``), if any.
    """

    def __init__(
        self,
        file: str | Path,
        problem: str,
        *,
        line: int | None = None,
        field: str | None = None,
        section: str | None = None,
    ) -> None:
        super().__init__(str(file), problem, row=line, field=field, section=section)
        self.line = line
        where = [self.file]
        if section:
            where.append(f"section '{section}'")
        if line is not None:
            where.append(f"line {line}")
        if field:
            where.append(f"field '{field}'")
        self.args = (f"{', '.join(where)}: {problem}.",)


# --------------------------------------------------------------------------- helpers


def _read_lines(path: str | Path) -> list[str]:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InstanceFormatError(path, "the file does not exist") from None
    except IsADirectoryError:
        raise InstanceFormatError(path, "is a directory, not an instance file") from None
    except UnicodeDecodeError:
        raise InstanceFormatError(path, "is not a UTF-8 text file") from None
    except OSError as exc:
        raise InstanceFormatError(path, f"cannot be read ({exc.strerror})") from None
    return text.splitlines()


def _number(path: str | Path, text: str, line: int, field: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InstanceFormatError(
            path, f"'{text}' is not a number", line=line, field=field
        ) from None
    if not math.isfinite(value):
        raise InstanceFormatError(path, f"'{text}' is not a finite number", line=line, field=field)
    return value


def _integer(path: str | Path, text: str, line: int, field: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InstanceFormatError(
            path, f"'{text}' is not an integer", line=line, field=field
        ) from None


def _parse_table(
    path: str | Path,
    lines: list[str],
    columns: tuple[str, ...],
    header_first: str,
    param_help: dict[str, str],
) -> tuple[list[tuple[int, list[str]]], dict[str, tuple[float, int]]]:
    """Split a row file into node rows ``(line, tokens)`` and parameters ``key -> (value, line)``."""
    rows: list[tuple[int, list[str]]] = []
    params: dict[str, tuple[float, int]] = {}
    seen_header = False
    for ln, raw in enumerate(lines, start=1):
        tokens = raw.split()
        if not tokens:
            continue
        if not seen_header and not rows and tokens[0].lower() == header_first.lower():
            seen_header = True
            continue
        m = _PARAM.match(raw)
        if m:
            key = m.group(1)
            if key in param_help:
                if key in params:
                    raise InstanceFormatError(
                        path,
                        f"parameter '{key}' is given twice (first on line {params[key][1]})",
                        line=ln,
                    )
                params[key] = (_number(path, m.group(2), ln, key), ln)
            else:  # other parameters are ignored by the convention, but must still be numbers
                _number(path, m.group(2), ln, key)
            continue
        if "/" in raw:
            raise InstanceFormatError(
                path,
                f"cannot read the parameter line '{raw.strip()}' (expected 'KEY text /value/')",
                line=ln,
            )
        if params:
            raise InstanceFormatError(
                path, "a node row follows the parameter lines (node rows must come first)", line=ln
            )
        if len(tokens) != len(columns):
            raise InstanceFormatError(
                path,
                f"a node row needs {len(columns)} columns ({' '.join(columns)}) but has {len(tokens)}",
                line=ln,
            )
        rows.append((ln, tokens))
    if not rows:
        raise InstanceFormatError(path, "contains no node rows", line=len(lines) or None)
    for key, what in param_help.items():
        if key not in params:
            raise InstanceFormatError(
                path,
                f"the file ends without the '{key}' parameter line ({what})",
                line=len(lines),
            )
    return rows, params


def _kinds_labels(
    path: str | Path, rows: list[tuple[int, list[str]]]
) -> tuple[NDArray[np.int8], list[str]]:
    kinds = np.empty(len(rows), dtype=np.int8)
    labels: list[str] = []
    first_line: dict[str, int] = {}
    for i, (ln, tok) in enumerate(rows):
        letter = tok[1].lower()
        if letter not in _KINDS:
            raise InstanceFormatError(
                path,
                f"unknown node type '{tok[1]}' (use d for the depot, c for a customer, f for a station)",
                line=ln,
                field="Type",
            )
        kind = _KINDS[letter]
        if i == 0 and kind != DEPOT:
            raise InstanceFormatError(
                path, f"the first node '{tok[0]}' must be the depot (type d)", line=ln
            )
        if i > 0 and kind == DEPOT:
            raise InstanceFormatError(
                path,
                f"node '{tok[0]}' is a second depot (only the first row may have type d)",
                line=ln,
            )
        if tok[0] in first_line:
            raise InstanceFormatError(
                path,
                f"node '{tok[0]}' is listed twice (first on line {first_line[tok[0]]})",
                line=ln,
            )
        first_line[tok[0]] = ln
        kinds[i] = kind
        labels.append(tok[0])
    return kinds, labels


def _positive(
    path: str | Path, params: dict[str, tuple[float, int]], key: str, *, zero: bool = False
) -> float:
    value, ln = params[key]
    if value < 0 or (value == 0 and not zero):
        need = "non-negative" if zero else "positive"
        raise InstanceFormatError(path, f"parameter '{key}' must be {need}, not {value:g}", line=ln)
    return value


def _euclidean(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])


def haversine_matrix(
    lon: NDArray[np.float64], lat: NDArray[np.float64], radius: float
) -> NDArray[np.float64]:
    """Great-circle distances between all pairs of ``(lon, lat)`` points in degrees."""
    lam, phi = np.radians(lon), np.radians(lat)
    h = (
        np.sin((phi[:, None] - phi[None, :]) / 2) ** 2
        + np.cos(phi[:, None])
        * np.cos(phi[None, :])
        * np.sin((lam[:, None] - lam[None, :]) / 2) ** 2
    )
    return 2.0 * radius * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


# --------------------------------------------------------------------------- readers


def read_emh(path: str | Path, *, max_duration_h: float | None = None) -> VRPInstance:
    """Read an Erdogan & Miller-Hooks G-VRP instance.

    Conventions (from the benchmark's provenance notes): node order = file order (depot 0,
    then stations and customers as listed); haversine distances on (lon, lat) with an Earth
    radius of 4182.44949 miles; distance in miles, time in hours; speed ``v``, tank ``Q``
    (gallons) and consumption ``r`` (gallons per mile) from the file; 0.5 h service at each
    customer, 0.25 h per station visit, refuelling always to full, the depot refuels; free
    fleet size (the file's ``m`` is not binding); objective total distance.

    Parameters
    ----------
    path
        Instance file.
    max_duration_h
        Route-duration limit in hours. ``None`` uses 10.75 h, the limit under which the
        published best-known values hold (the file's ``TL`` of 11 h is a looser problem).
    """
    lines = _read_lines(path)
    rows, params = _parse_table(
        path,
        lines,
        ("ID", "Type", "Longitude", "Latitude"),
        "ID",
        {
            "Q": "fuel tank capacity, like 'Q Vehicle fuel tank capacity /60/'",
            "r": "fuel consumption rate, like 'r fuel consumption rate /0.2/'",
            "v": "average speed, like 'v average Velocity /40/'",
        },
    )
    kinds, labels = _kinds_labels(path, rows)
    lon = np.array([_number(path, t[2], ln, "Longitude") for ln, t in rows])
    lat = np.array([_number(path, t[3], ln, "Latitude") for ln, t in rows])
    for (ln, t), a, b in zip(rows, lon, lat, strict=True):
        if not (-180.0 <= a <= 180.0 and -90.0 <= b <= 90.0):
            raise InstanceFormatError(
                path,
                f"node '{t[0]}' has longitude {a:g}, latitude {b:g} outside the valid range",
                line=ln,
            )
    if max_duration_h is None:
        max_duration_h = EMH_MAX_DURATION_H
    elif not max_duration_h > 0:
        raise OptionError(f"The route-duration limit must be positive, not {max_duration_h:g} h.")
    n = len(rows)
    service = np.where(kinds == CUSTOMER, EMH_SERVICE_H, 0.0)
    inst = VRPInstance(
        name=Path(path).stem,
        kinds=kinds,
        labels=labels,
        x=lon,
        y=lat,
        dist=haversine_matrix(lon, lat, EMH_EARTH_RADIUS_MI),
        speed=_positive(path, params, "v"),
        demand=np.zeros(n),
        service=service,
        ready=np.zeros(n),
        due=np.full(n, np.inf),
        tank=_positive(path, params, "Q"),
        consumption=_positive(path, params, "r", zero=True),
        load_capacity=float("inf"),
        max_duration=float(max_duration_h),
        refuel_fixed=EMH_REFUEL_H,
        refuel_rate=0.0,
        full_refuel=True,
        depot_refuels=True,
        fleet_size=None,
        objective="distance",
        distance_unit="mi",
        time_unit="h",
    )
    find_unservable(inst)
    return inst


def read_evrptw(path: str | Path) -> VRPInstance:
    """Read a Schneider, Stenger & Goeke E-VRPTW instance.

    Conventions: node order = file order (``D0`` is index 0, ``S0`` — the station on the
    depot — stays its own node, normally index 1); Euclidean distances, not rounded; travel
    time = distance / ``v``; energy = ``r`` × distance; tank ``Q``; load capacity ``C``;
    recharging always to full at ``g`` time units per energy unit (``refuel_rate = g``,
    ``refuel_fixed = 0``); demands, time windows and service times from the file (stations
    keep their windows too); free fleet size; objective vehicles then distance.

    The depot's time window bounds the routes: vehicles leave at the earliest at the
    depot's ``ReadyTime`` (``ready[0]``) and must be back by its ``DueDate`` (``due[0]``);
    ``max_duration`` is left at ``inf`` because ``due[0]`` already expresses the limit.
    """
    lines = _read_lines(path)
    cols = ("StringID", "Type", "x", "y", "demand", "ReadyTime", "DueDate", "ServiceTime")
    rows, params = _parse_table(
        path,
        lines,
        cols,
        "StringID",
        {
            "Q": "battery capacity, like 'Q Vehicle fuel tank capacity /77.75/'",
            "C": "load capacity, like 'C Vehicle load capacity /200.0/'",
            "r": "energy consumption rate, like 'r fuel consumption rate /1.0/'",
            "g": "inverse recharging rate, like 'g inverse refueling rate /3.47/'",
            "v": "average speed, like 'v average Velocity /1.0/'",
        },
    )
    kinds, labels = _kinds_labels(path, rows)
    table = np.array(
        [[_number(path, t[j], ln, cols[j]) for j in range(2, 8)] for ln, t in rows], dtype=float
    )
    x, y, demand, ready, due, service = table.T
    for i, (ln, t) in enumerate(rows):
        if demand[i] < 0 or service[i] < 0:
            raise InstanceFormatError(
                path, f"node '{t[0]}' has a negative demand or service time", line=ln
            )
        if due[i] < ready[i]:
            raise InstanceFormatError(
                path,
                f"node '{t[0]}' has DueDate {due[i]:g} before ReadyTime {ready[i]:g}",
                line=ln,
            )
        if kinds[i] != CUSTOMER and demand[i] != 0:
            raise InstanceFormatError(
                path, f"node '{t[0]}' is not a customer but has demand {demand[i]:g}", line=ln
            )
    inst = VRPInstance(
        name=Path(path).stem,
        kinds=kinds,
        labels=labels,
        x=x.copy(),
        y=y.copy(),
        dist=_euclidean(x, y),
        speed=_positive(path, params, "v"),
        demand=demand.copy(),
        service=service.copy(),
        ready=ready.copy(),
        due=due.copy(),
        tank=_positive(path, params, "Q"),
        consumption=_positive(path, params, "r", zero=True),
        load_capacity=_positive(path, params, "C"),
        max_duration=float("inf"),
        refuel_fixed=0.0,
        refuel_rate=_positive(path, params, "g", zero=True),
        full_refuel=True,
        depot_refuels=True,
        fleet_size=None,
        objective="vehicles-distance",
    )
    find_unservable(inst)
    return inst


_CEC_SECTIONS = ("NODE_COORD_SECTION", "DEMAND_SECTION", "STATIONS_COORD_SECTION", "DEPOT_SECTION")
_CEC_REQUIRED = {
    "DIMENSION": "number of customers plus the depot",
    "STATIONS": "number of charging stations",
    "CAPACITY": "vehicle load capacity",
    "ENERGY_CAPACITY": "battery capacity",
    "ENERGY_CONSUMPTION": "energy per distance unit",
}


def read_cec(path: str | Path) -> VRPInstance:
    """Read a CEC-2020 E-CVRP (``.evrp``) instance.

    Index mapping: index 0 is the depot (the id in ``DEPOT_SECTION``, normally 1); indices
    1, 2, … are the other nodes in the order ``NODE_COORD_SECTION`` lists them (customers,
    then the stations, which the files list last). With the usual depot id 1 this is simply
    ``index = id - 1``. ``labels`` keeps the file ids as strings.

    Conventions (the competition's rules): Euclidean distances as doubles; energy =
    ``ENERGY_CONSUMPTION`` × distance; tank ``ENERGY_CAPACITY``; load capacity ``CAPACITY``;
    the depot is also a charging station; charging is to full and takes no time; no time
    dimension (speed 1, no service, no windows, no duration limit); ``VEHICLES`` is a lower
    bound, not a fleet size; objective total distance.
    """
    lines = _read_lines(path)
    header: dict[str, tuple[str, int]] = {}
    sections: dict[str, tuple[int, list[tuple[int, list[str]]]]] = {}
    current: str | None = None
    for ln, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text:
            continue
        word = text.split()[0].rstrip(":").upper()
        if word == "EOF":
            break
        if word in _CEC_SECTIONS:
            if word in sections:
                raise InstanceFormatError(
                    path, f"{word} appears twice (first on line {sections[word][0]})", line=ln
                )
            current = word
            sections[word] = (ln, [])
            continue
        if current is None:
            if ":" not in text:
                raise InstanceFormatError(
                    path, f"cannot read the header line '{text}' (expected 'KEY: value')", line=ln
                )
            key, value = text.split(":", 1)
            header[key.strip().upper()] = (value.strip(), ln)
            continue
        if re.fullmatch(r"[A-Za-z_]+:?", text.split()[0]):
            raise InstanceFormatError(
                path,
                f"'{text.split()[0]}' is not a known section "
                f"(expected {', '.join(_CEC_SECTIONS)} or EOF)",
                line=ln,
            )
        sections[current][1].append((ln, text.split()))
    first_section = min((s[0] for s in sections.values()), default=len(lines))
    for key, what in _CEC_REQUIRED.items():
        if key not in header:
            raise InstanceFormatError(
                path, f"the header has no '{key}: <value>' line ({what})", line=first_section
            )
    for key, expected in (
        ("TYPE", "EVRP"),
        ("EDGE_WEIGHT_FORMAT", "EUC_2D"),
        ("EDGE_WEIGHT_TYPE", "EUC_2D"),
    ):
        if key in header and header[key][0].upper() != expected:
            raise InstanceFormatError(
                path,
                f"{key} '{header[key][0]}' is not supported (only {expected})",
                line=header[key][1],
            )

    def hnum(key: str, conv: Callable[..., float | int]) -> float | int:
        value, ln = header[key]
        return conv(path, value, ln, key)

    dimension = int(hnum("DIMENSION", _integer))
    n_stations = int(hnum("STATIONS", _integer))
    for key in ("VEHICLES", "OPTIMAL_VALUE"):  # informative only, but must be numbers
        if key in header:
            hnum(key, _number)
    capacity = float(hnum("CAPACITY", _number))
    tank = float(hnum("ENERGY_CAPACITY", _number))
    consumption = float(hnum("ENERGY_CONSUMPTION", _number))
    checks: tuple[tuple[str, float, bool], ...] = (
        ("DIMENSION", dimension, False),
        ("STATIONS", n_stations, True),
        ("CAPACITY", capacity, False),
        ("ENERGY_CAPACITY", tank, False),
        ("ENERGY_CONSUMPTION", consumption, True),
    )
    for key, amount, zero in checks:
        if amount < 0 or (amount == 0 and not zero):
            raise InstanceFormatError(
                path,
                f"{key} must be {'non-negative' if zero else 'positive'}, not {amount:g}",
                line=header[key][1],
            )
    for sec in _CEC_SECTIONS:
        if sec not in sections:
            raise InstanceFormatError(path, f"the file has no {sec}", line=len(lines))

    # nodes
    sec_ln, rows = sections["NODE_COORD_SECTION"]
    ids: list[int] = []
    coords: list[tuple[float, float]] = []
    where: dict[int, int] = {}
    for ln, tok in rows:
        if len(tok) != 3:
            raise InstanceFormatError(
                path,
                f"a node line needs 3 values (id x y) but has {len(tok)}",
                line=ln,
                section="NODE_COORD_SECTION",
            )
        nid = _integer(path, tok[0], ln, "id")
        if nid in where:
            raise InstanceFormatError(
                path,
                f"node {nid} is listed twice (first on line {where[nid]})",
                line=ln,
                section="NODE_COORD_SECTION",
            )
        where[nid] = ln
        ids.append(nid)
        coords.append((_number(path, tok[1], ln, "x"), _number(path, tok[2], ln, "y")))
    if len(ids) != dimension + n_stations:
        raise InstanceFormatError(
            path,
            f"lists {len(ids)} nodes but DIMENSION + STATIONS = {dimension + n_stations}",
            line=sec_ln,
            section="NODE_COORD_SECTION",
        )

    def known(tok: str, ln: int, sec: str) -> int:
        nid = _integer(path, tok, ln, "id")
        if nid not in where:
            raise InstanceFormatError(
                path, f"node {nid} is not in NODE_COORD_SECTION", line=ln, section=sec
            )
        return nid

    # depot
    sec_ln, rows = sections["DEPOT_SECTION"]
    depots = []
    for ln, tok in rows:
        if tok[0] == "-1":
            break
        depots.append((known(tok[0], ln, "DEPOT_SECTION"), ln))
    if len(depots) != 1:
        raise InstanceFormatError(
            path,
            f"needs exactly one depot id before -1 but has {len(depots)}",
            line=sec_ln,
            section="DEPOT_SECTION",
        )
    depot = depots[0][0]

    # stations
    sec_ln, rows = sections["STATIONS_COORD_SECTION"]
    station_ids: set[int] = set()
    for ln, tok in rows:
        if tok[0] == "-1":
            break
        sid = known(tok[0], ln, "STATIONS_COORD_SECTION")
        if sid == depot:
            raise InstanceFormatError(
                path,
                f"node {sid} is the depot and cannot also be listed as a station",
                line=ln,
                section="STATIONS_COORD_SECTION",
            )
        station_ids.add(sid)
    if len(station_ids) != n_stations:
        raise InstanceFormatError(
            path,
            f"lists {len(station_ids)} distinct stations but STATIONS is {n_stations}",
            line=sec_ln,
            section="STATIONS_COORD_SECTION",
        )

    # demands
    sec_ln, rows = sections["DEMAND_SECTION"]
    demand_of: dict[int, float] = {}
    for ln, tok in rows:
        if len(tok) != 2:
            raise InstanceFormatError(
                path,
                f"a demand line needs 2 values (id demand) but has {len(tok)}",
                line=ln,
                section="DEMAND_SECTION",
            )
        nid = known(tok[0], ln, "DEMAND_SECTION")
        d = _number(path, tok[1], ln, "demand")
        if d < 0 or (d != 0 and (nid == depot or nid in station_ids)):
            raise InstanceFormatError(
                path, f"node {nid} cannot have demand {d:g}", line=ln, section="DEMAND_SECTION"
            )
        demand_of[nid] = d
    missing = [i for i in ids if i != depot and i not in station_ids and i not in demand_of]
    if missing:
        raise InstanceFormatError(
            path,
            f"customer {missing[0]} has no demand line",
            line=sec_ln,
            section="DEMAND_SECTION",
        )

    order = [depot] + [i for i in ids if i != depot]
    pos = {nid: k for k, nid in enumerate(ids)}
    xy = np.array([coords[pos[i]] for i in order], dtype=float)
    kinds = np.array(
        [DEPOT] + [STATION if i in station_ids else CUSTOMER for i in order[1:]], dtype=np.int8
    )
    inst = VRPInstance(
        name=Path(path).stem,
        kinds=kinds,
        labels=[str(i) for i in order],
        x=xy[:, 0].copy(),
        y=xy[:, 1].copy(),
        dist=_euclidean(xy[:, 0], xy[:, 1]),
        speed=1.0,
        demand=np.array([demand_of.get(i, 0.0) for i in order]),
        tank=tank,
        consumption=consumption,
        load_capacity=capacity,
        max_duration=float("inf"),
        refuel_fixed=0.0,
        refuel_rate=0.0,
        full_refuel=True,
        depot_refuels=True,
        fleet_size=None,
        objective="distance",
    )
    find_unservable(inst)
    return inst


def read_instance(
    path: str | Path, fmt: Format, *, max_duration_h: float | None = None
) -> VRPInstance:
    """Read an instance of format ``emh``, ``evrptw``, ``cec`` or ``h2lane`` (YAML/JSON).

    ``max_duration_h`` applies to ``emh`` only (see :func:`read_emh`).
    """
    if fmt == "emh":
        return read_emh(path, max_duration_h=max_duration_h)
    if max_duration_h is not None:
        raise OptionError(
            f"A route-duration limit can only be set for 'emh' instances, not '{fmt}'."
        )
    if fmt == "evrptw":
        return read_evrptw(path)
    if fmt == "cec":
        return read_cec(path)
    if fmt == "h2lane":
        from h2lane.routing.vrp.native import read_native

        return read_native(path)
    raise OptionError(f"Unknown instance format '{fmt}'; use emh, evrptw, cec or h2lane.")


def load_bks(family_dir: str | Path) -> dict[str, dict]:
    """Best-known values of a benchmark family from ``<family_dir>/bks.csv``.

    Returns ``{instance: row}`` where ``row`` holds the CSV's columns, with ``bks`` as a
    float and ``optimal`` as a bool (``yes`` → ``True``).
    """
    path = Path(family_dir) / "bks.csv"
    lines = _read_lines(path)
    reader = csv.DictReader(lines)
    fields = reader.fieldnames or []
    for col in ("instance", "bks"):
        if col not in fields:
            raise InstanceFormatError(path, f"has no '{col}' column", line=1)
    out: dict[str, dict] = {}
    for row in reader:
        ln = reader.line_num
        name = (row.get("instance") or "").strip()
        if not name:
            raise InstanceFormatError(path, "the instance name is empty", line=ln, field="instance")
        if name in out:
            raise InstanceFormatError(path, f"instance '{name}' is listed twice", line=ln)
        rec: dict = {k: (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k}
        rec["bks"] = _number(path, rec["bks"] or "", ln, "bks")
        if "optimal" in rec:
            rec["optimal"] = str(rec["optimal"]).lower() in ("yes", "true", "1")
        out[name] = rec
    return out


# --------------------------------------------------------------------------- unservable customers


def _station_dijkstra(
    inst: VRPInstance,
    nodes: NDArray[np.int64],
    dep: NDArray[np.float64],
    ready: NDArray[np.float64],
    due: NDArray[np.float64],
    stop_time: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Earliest full-tank departure from each charging node, given initial departures ``dep``.

    A hop between charging nodes needs at most a full tank; on arrival the vehicle waits for
    ``ready``, must arrive by ``due``, and spends ``stop_time`` plus the time to refill what
    the hop used.
    """
    k = len(nodes)
    dep = dep.copy()
    done = np.zeros(k, dtype=bool)
    en = inst.energy[np.ix_(nodes, nodes)]
    tt = inst.travel_time[np.ix_(nodes, nodes)]
    reach = en <= inst.tank + _EPS
    refill = stop_time + inst.refuel_rate * en if inst.full_refuel else stop_time + 0.0 * en
    for _ in range(k):
        cand = np.where(done, np.inf, dep)
        u = int(np.argmin(cand))
        if not np.isfinite(cand[u]):
            break
        done[u] = True
        arr = dep[u] + tt[u]
        ok = reach[u] & (arr <= due[nodes] + _EPS) & ~done
        new = np.maximum(arr, ready[nodes]) + refill[u]
        dep = np.where(ok & (new < dep), new, dep)
    return dep


def _earliest_return(inst: VRPInstance, windows: bool) -> NDArray[np.float64]:
    """Earliest return to the depot of the route depot→(F)*→c→(F)*→depot for each node c.

    ``windows=False`` ignores ready and due times (gives the shortest duration).
    Charging nodes F are the stations, plus the depot when ``depot_refuels``.
    """
    n = inst.n_nodes
    if windows:
        ready, due, t0 = inst.ready, inst.due, float(inst.ready[0])
    else:
        ready, due, t0 = np.full(n, -np.inf), np.full(n, np.inf), 0.0
    charge = inst.stations
    if inst.depot_refuels:
        charge = np.concatenate(([0], charge)).astype(np.int64)
    e0 = inst.initial_energy
    stop = inst.service[charge] + inst.refuel_fixed
    en, tt = inst.energy, inst.travel_time
    # forward: start at the depot with e0, reach charging nodes and leave them full
    arr = t0 + tt[0, charge]
    ok = (en[0, charge] <= e0 + _EPS) & (arr <= due[charge] + _EPS)
    used = (inst.tank - e0 + en[0, charge]) if inst.full_refuel else 0.0 * arr
    dep0 = np.where(ok, np.maximum(arr, ready[charge]) + stop + inst.refuel_rate * used, np.inf)
    fwd = _station_dijkstra(inst, charge, dep0, ready, due, stop)
    # every customer, from the start or from a charging node
    src = np.concatenate(([0], charge))
    src_dep = np.concatenate(([t0], fwd))
    src_e = np.concatenate(([e0], np.full(len(charge), inst.tank)))
    out = np.full(n, np.inf)
    for c in inst.customers:
        a = src_dep + tt[src, c]
        e = src_e - en[src, c]
        good = (e >= -_EPS) & (a <= due[c] + _EPS) & np.isfinite(a)
        if not good.any():
            continue
        leave = np.maximum(a[good], ready[c]) + inst.service[c]
        e = e[good]
        # straight home
        home = leave + tt[c, 0]
        home_ok = (e >= en[c, 0] - _EPS) & (home <= due[0] + _EPS)
        best = float(home[home_ok].min()) if home_ok.any() else np.inf
        # or via charging nodes (the depot ends the route, so only stations here)
        st = inst.stations
        if len(st):
            arr_s = leave[:, None] + tt[c, st][None, :]
            rem = e[:, None] - en[c, st][None, :]
            ok_s = (rem >= -_EPS) & (arr_s <= due[st][None, :] + _EPS)
            fill = (inst.tank - rem) if inst.full_refuel else 0.0 * rem
            dep_s = np.where(
                ok_s,
                np.maximum(arr_s, ready[st][None, :])
                + inst.service[st][None, :]
                + inst.refuel_fixed
                + inst.refuel_rate * fill,
                np.inf,
            ).min(axis=0)
            if np.isfinite(dep_s).any():
                stop_s = inst.service[st] + inst.refuel_fixed
                dep_s = _station_dijkstra(inst, st, dep_s, ready, due, stop_s)
                back = dep_s + tt[st, 0]
                back_ok = (en[st, 0] <= inst.tank + _EPS) & (back <= due[0] + _EPS)
                if back_ok.any():
                    best = min(best, float(back[back_ok].min()))
        out[c] = best
    return out


def find_unservable(inst: VRPInstance) -> list[int]:
    """Customers that no feasible route can serve; also stored in ``inst.unservable``.

    A customer is servable iff some single-customer route depot → stations* → c →
    stations* → depot is feasible: every hop within the energy available (full after each
    charging stop, ``initial_energy`` when leaving the depot), arrivals by their due times,
    return by ``due[0]``, duration within ``max_duration`` and demand within the load
    capacity. A label-setting search over the station graph (earliest full-tank departure
    per station, waiting allowed) decides this exactly when refuelling is to full and the
    ready times cannot bind together with a finite ``max_duration`` — true for all three
    benchmark families. Otherwise (ready times and a duration limit together, or partial
    refuelling, whose charging time is then counted as its fixed part only) the test is a
    relaxation: it only reports customers that are certainly unservable.
    """
    cust = inst.customers
    if len(cust) == 0:
        inst.unservable = []
        return []
    t0 = float(inst.ready[0])
    others = np.flatnonzero(np.arange(inst.n_nodes) != 0)
    waits = bool(np.any(inst.ready[others] > t0 + _EPS))
    ret = _earliest_return(inst, windows=True)
    feasible = np.isfinite(ret)
    if math.isfinite(inst.max_duration):
        dur = _earliest_return(inst, windows=False) if waits else ret - t0
        feasible &= dur <= inst.max_duration + _EPS
    feasible &= inst.demand <= inst.load_capacity + _EPS
    bad = [int(c) for c in cust if not feasible[c]]
    inst.unservable = bad
    return bad
