"""h2lane's own VRP instance format: several depots, a mixed fleet, station queues, real roads.

The benchmark formats (:mod:`h2lane.routing.vrp.instances`) fix one depot, one vehicle and
refuelling to full. This format lets a dispatcher or planner pose the fleet problem as it is:
several depots, vehicle types with their own depot, tank, start level, payload and costs,
stations with a number of dispensers (vehicles queue when all are busy), partial refuelling,
and distances on the real road network.

One file, YAML (any suffix but ``.json``) or JSON (``.json``), holding one mapping::

    name: xiaoyi-fleet                 # optional; default: the file name without suffix
    description: ...                   # optional free text
    scenario: shanxi-tianjin           # optional: stations, places, truck types come from it
    units: {distance: km, time: h, energy: kg, load: t, cost: CNY}   # labels, see below
    distance: road                     # road | haversine | euclidean | matrix
    matrix: [[0, 12.5], [12.5, 0]]     # only with distance: matrix
    objective: cost                    # distance | vehicles-distance | time | cost
    refuel: {full: false, fixed_time: 0.1, rate: 0.00463, depot_refuels: false}
    nodes:
      - {id: XY, kind: depot, lat: 37.145, lon: 111.785, ready: 5, due: 23}
      - {id: C1, kind: customer, lat: 37.26, lon: 111.79, demand: 12, service: 0.5,
         ready: "08:00", due: "17:00"}
      - {id: S1, kind: station, lat: 37.687, lon: 112.753, dispensers: 2}
    vehicle_types:
      - {name: pengfei-58kg, depot: XY, count: 6, tank: 58, consumption: 0.09, payload: 31,
         speed: 60, max_duration: 13, start_energy: 40, fixed_cost: 450,
         cost_per_distance: 3.15, cost_per_time: 50}

Keys (anything else is an error; ``null`` counts as absent):

``scenario``
    A bundled scenario name or a scenario file (relative to this file, else to the working
    directory), loaded with :func:`h2lane.scenario.load_scenario`. Entries then refer to it
    instead of copying it: a station node's ``station: ID`` brings the station's ``lat``,
    ``lon``, ``name`` and ``dispensers`` (its ``id`` defaults to the station id); a depot's
    or customer's ``place: NAME`` brings the place's ``lat``, ``lon`` and ``name``; a vehicle
    type's ``truck_type: ID`` brings ``tank`` (``tank_kg``), ``consumption``
    (``kg_per_100km`` / 100, the loaded rate, used for the whole route), ``speed``
    (``speed_kmh``) and ``payload`` (``payload_t``). A key a reference brings may not also be
    given (``name`` excepted). Unless ``refuel`` gives them, ``rate`` is the slowest nozzle
    of the referenced stations (h/kg = 1 / (3.6 × ``nozzle_flow_g_s``)) and ``fixed_time``
    their longest ``connect_min`` / 60. Units must be km, h, kg and t (the scenario's).
``distance`` (required)
    ``road``: shortest paths on the bundled OpenStreetMap North China graph
    (:meth:`h2lane.roads.graph.RoadGraph.bundled`), in km, between the road nodes nearest to
    each ``lat``/``lon`` (the offset to the road, at most 30 km, is not added). ``haversine``:
    great-circle km (Earth radius 6371.0088 km). ``euclidean``: plane distance between ``x``/
    ``y``. ``matrix``: the ``matrix`` key, a square n × n list of lists in file node order,
    finite, non-negative, zero diagonal (it may be asymmetric).
``units``
    ``distance`` and ``time`` are stored in the instance (``distance_unit``, ``time_unit``)
    and shown in outputs; ``energy``, ``load`` and ``cost`` are labels for the reader of the
    file only. Defaults: ``km`` and ``h``. ``road`` and ``haversine`` distances are in km, so
    ``units.distance`` must be ``km`` with them. All other numbers are in these units: speed
    in distance per time unit, consumption in energy per distance unit, refuel ``rate`` in
    time per energy unit, costs per route / distance unit / time unit.
``objective``
    One of :data:`~h2lane.routing.vrp.model.OBJECTIVES`; default ``distance``. With ``cost``
    at least one vehicle type needs a non-zero cost.
``refuel``
    ``full`` (default true: every stop fills the tank; false: partial refuels),
    ``fixed_time`` (time per refuelling stop, default 0), ``rate`` (time per energy unit
    added, default 0), ``depot_refuels`` (default true: a mid-route depot visit refuels).
``nodes`` (required)
    In order; a node's index is its position in this list, and routes in outputs are these
    indices. The first node must be a depot. Each node has ``id`` (text or whole number,
    unique) and ``kind`` (``depot``, ``customer``, ``station``); coordinates ``lat``/``lon``
    (degrees, for ``road`` and ``haversine``) or ``x``/``y`` (for ``euclidean``), optional with
    ``matrix`` (either pair); ``ready``, ``due`` (time window; default 0 and none; with
    ``units.time: h`` also a clock time ``"HH:MM"``); ``service`` (time spent there, default
    0); customers ``demand`` (load, default 0); stations ``dispensers`` (whole number, 0 or
    absent = unlimited); ``name``, ``note`` (free text, not used). At least one customer.
``vehicle_types`` (required)
    Each with ``name`` (unique), ``speed`` (> 0) and ``consumption`` (≥ 0, required when
    ``tank`` is given); optional ``depot`` (a depot's id; default the first node), ``count``
    (≥ 1; absent = as many as needed), ``tank`` (> 0; absent = no range limit) or instead
    ``range`` (distance on a full tank; tank = range × consumption, or energy counted in
    distance units when no consumption is given), ``start_energy`` (0..tank; absent = full), ``payload`` (> 0; absent = none),
    ``max_duration`` (> 0; absent = none), ``fixed_cost``, ``cost_per_distance``,
    ``cost_per_time`` (≥ 0, default 0).

Numbers must be finite (leave a key out for "no limit"). YAML anchors and merge keys
(``<<: *truck``) may share settings between entries; a key given twice in one mapping is an
error. Unquoted ``6:30`` is read as text (a clock time), not as YAML 1.1's base-60 number 390,
and ``1e5`` as a number. Every malformed file raises
:class:`~h2lane.routing.vrp.instances.InstanceFormatError`, one sentence naming the file,
the line (YAML), the section, the node id or vehicle type with its list index, and the field.

The instance-wide fields of :class:`~h2lane.routing.vrp.model.VRPInstance` (tank,
consumption, speed, payload, duration, start level, fleet size, fixed cost) are those of the
first vehicle type, so single-type code keeps working; ``vehicle_types`` holds them all.
``inst.unservable`` lists customers that no vehicle type can serve alone (see
:func:`~h2lane.routing.vrp.instances.find_unservable`, applied per type).
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml
from numpy.typing import NDArray

from h2lane.errors import RoadNetworkError
from h2lane.routing.rest import RestRules
from h2lane.routing.vrp.instances import (
    InstanceFormatError,
    _euclidean,
    _read_lines,
    find_unservable,
    haversine_matrix,
)
from h2lane.routing.vrp.model import (
    CUSTOMER,
    DEPOT,
    OBJECTIVES,
    STATION,
    VehicleType,
    VRPInstance,
)

if TYPE_CHECKING:
    from h2lane.roads.graph import RoadGraph
    from h2lane.scenario.model import Scenario

__all__ = [
    "DISTANCE_MODES",
    "EARTH_RADIUS_KM",
    "EXAMPLES",
    "example_path",
    "fleet_unservable",
    "read_native",
    "to_native",
    "type_view",
    "write_native",
]

DISTANCE_MODES: tuple[str, ...] = ("road", "haversine", "euclidean", "matrix")
EARTH_RADIUS_KM = 6371.0088
"""Earth radius of ``distance: haversine`` (IUGG mean radius, as :mod:`h2lane.roads.geo`)."""
EXAMPLES: tuple[str, ...] = ("xiaoyi-fleet",)
"""Instances bundled in ``h2lane/routing/vrp/data``."""

_KIND_NAMES = {"depot": DEPOT, "customer": CUSTOMER, "station": STATION}
_KIND_WORD = {DEPOT: "depot", CUSTOMER: "customer", STATION: "station"}
_TOP_KEYS = (
    "name",
    "description",
    "scenario",
    "units",
    "distance",
    "matrix",
    "objective",
    "refuel",
    "rest",
    "nodes",
    "vehicle_types",
)
_UNIT_KEYS = ("distance", "time", "energy", "load", "cost")
_REFUEL_KEYS = ("full", "fixed_time", "rate", "depot_refuels")
_REST_KEYS = ("enabled", "max_drive_h", "break_min", "max_daily_drive_h", "daily_rest_h")
_CLOCK_UNITS = ("h", "min", "s")
_NODE_COMMON = ("id", "kind", "lat", "lon", "x", "y", "ready", "due", "service", "name", "note")
_NODE_KEYS = {
    DEPOT: (*_NODE_COMMON, "place"),
    CUSTOMER: (*_NODE_COMMON, "demand", "place"),
    # stations take their stop time from `refuel`; the planner does not model opening hours
    STATION: (
        *(k for k in _NODE_COMMON if k not in ("ready", "due", "service")),
        "dispensers",
        "station",
    ),
}
_TYPE_KEYS = (
    "name",
    "truck_type",
    "depot",
    "count",
    "tank",
    "range",
    "consumption",
    "payload",
    "speed",
    "max_duration",
    "start_energy",
    "fixed_cost",
    "cost_per_distance",
    "cost_per_time",
)
_CLOCK = re.compile(r"^\s*(\d{1,2}):([0-5]\d)\s*$")
_MISSING = object()


# --------------------------------------------------------------------------- YAML / JSON


class _Map(dict):
    """A mapping read from YAML that remembers the lines of itself and of its keys."""

    line: int | None = None
    key_lines: dict[str, int]

    def __init__(self) -> None:
        super().__init__()
        self.key_lines = {}


def _resolvers(cls: type[yaml.resolver.BaseResolver]) -> None:
    """YAML 1.1 scalars without the traps: ``6:30`` is text (not 390), ``1e5`` is a number."""
    int_tag, float_tag = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
    cls.yaml_implicit_resolvers = {
        ch: [(tag, rx) for tag, rx in lst if tag not in (int_tag, float_tag)]
        for ch, lst in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    cls.add_implicit_resolver(
        int_tag, re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789")
    )
    cls.add_implicit_resolver(
        float_tag,
        re.compile(
            r"""^(?:[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?
            |[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?
            |[-+]?\.(?:inf|Inf|INF)
            |\.(?:nan|NaN|NAN))$""",
            re.X,
        ),
        list("-+0123456789."),
    )


class _Loader(yaml.SafeLoader):
    pass


class _Dumper(yaml.SafeDumper):
    pass


_resolvers(_Loader)
_resolvers(_Dumper)


def _yaml_loader(path: str | Path) -> type:
    class Loader(_Loader):
        pass

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> _Map:
        own = {id(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}
        loader.flatten_mapping(node)  # ``<<: *anchor`` keys first; the mapping's own override
        out = _Map()
        out.line = node.start_mark.line + 1
        explicit: set[str] = set()
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            ln = key_node.start_mark.line + 1
            if not isinstance(key, str):
                raise InstanceFormatError(
                    path, f"the key {_show(key)} is not text (keys are names like 'nodes')", line=ln
                )
            if key in explicit and id(key_node) in own:
                raise InstanceFormatError(
                    path,
                    f"the key '{key}' appears twice in one mapping (first on line "
                    f"{out.key_lines[key]})",
                    line=ln,
                    field=key,
                )
            out[key] = loader.construct_object(value_node, deep=True)
            out.key_lines[key] = ln
            if id(key_node) in own:
                explicit.add(key)
        return out

    Loader.add_constructor("tag:yaml.org,2002:map", construct_mapping)
    return Loader


class _DuplicateKey(Exception):
    pass


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _load(path: str | Path) -> Any:
    text = "\n".join(_read_lines(path))
    if Path(path).suffix.lower() == ".json":
        try:
            return json.loads(text, object_pairs_hook=_json_pairs)
        except json.JSONDecodeError as exc:
            raise InstanceFormatError(
                path, f"is not valid JSON ({exc.msg})", line=exc.lineno
            ) from None
        except _DuplicateKey as exc:
            raise InstanceFormatError(
                path, f"the key '{exc.args[0]}' appears twice in one object", field=exc.args[0]
            ) from None
    try:
        return yaml.load(text, Loader=_yaml_loader(path))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InstanceFormatError(
            path,
            f"is not valid YAML ({problem})",
            line=mark.line + 1 if mark is not None else None,
        ) from None


# --------------------------------------------------------------------------- field readers


def _show(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, str):
        return f"'{v}'"
    if isinstance(v, int | float):
        return f"{v:g}"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a mapping"
    return f"'{v}'"


def _line(data: Any, key: str | None = None) -> int | None:
    if not isinstance(data, _Map):
        return None
    if key is not None and key in data.key_lines:
        return data.key_lines[key]
    return data.line


class _Entry:
    """Reads and validates the keys of one mapping (the file, a node, a vehicle type)."""

    def __init__(
        self,
        path: str | Path,
        data: Any,
        who: str,
        section: str | None,
        allowed: tuple[str, ...],
        *,
        check: bool = True,
    ) -> None:
        self.path, self.data, self.who, self.section = path, data, who, section
        if not isinstance(data, dict):
            raise self.err(
                f"{who} is {_show(data) if data is not None else 'empty'}, not a mapping of "
                f"keys ({', '.join(allowed[:4])}, …)"
            )
        if check:
            self.check_keys(allowed)

    def check_keys(self, allowed: tuple[str, ...]) -> None:
        for key in self.data:
            if key not in allowed:
                raise self.err(
                    f"{self.who} has the unknown key '{key}' (known keys: {', '.join(allowed)})",
                    key,
                )

    def err(self, problem: str, key: str | None = None) -> InstanceFormatError:
        return InstanceFormatError(
            self.path,
            problem,
            line=_line(self.data, key),
            field=key,
            section=self.section,
        )

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        v = self.data.get(key)
        if v is None:
            if default is _MISSING:
                raise self.err(f"{self.who} has no '{key}', which is required", key)
            return default
        return v

    def text(self, key: str, default: Any = _MISSING) -> str:
        v = self.raw(key, default)
        if not isinstance(v, str):
            raise self.err(f"{self.who} has {key} {_show(v)}, which is not text", key)
        return v

    def flag(self, key: str, default: bool) -> bool:
        v = self.raw(key, default)
        if not isinstance(v, bool):
            raise self.err(f"{self.who} has {key} {_show(v)}, which is not true or false", key)
        return v

    def number(
        self,
        key: str,
        default: Any = _MISSING,
        *,
        positive: bool = False,
        minimum: float | None = 0.0,
        maximum: float | None = None,
        clock: bool = False,
    ) -> float:
        v = self.raw(key, default)
        if clock and isinstance(v, str) and (m := _CLOCK.match(v)):
            hours, minutes = int(m.group(1)), int(m.group(2))
            if hours > 24 or (hours == 24 and minutes):
                raise self.err(f"{self.who} has {key} '{v}', which is not a clock time", key)
            v = hours + minutes / 60.0
        if isinstance(v, bool) or not isinstance(v, int | float):
            extra = " (use a number of hours or a clock time like '06:30')" if clock else ""
            raise self.err(f"{self.who} has {key} {_show(v)}, which is not a number{extra}", key)
        v = float(v)
        if not math.isfinite(v):
            omit = f" (leave '{key}' out for no limit)" if default is not _MISSING else ""
            raise self.err(f"{self.who} has {key} {v:g}, which is not a finite number{omit}", key)
        if positive and v <= 0:
            raise self.err(f"{self.who} has {key} {v:g}, which must be more than zero", key)
        if minimum is not None and v < minimum:
            rule = "must not be negative" if minimum == 0 else f"must be at least {minimum:g}"
            raise self.err(f"{self.who} has {key} {v:g}, which {rule}", key)
        if maximum is not None and v > maximum:
            raise self.err(f"{self.who} has {key} {v:g}, which must be at most {maximum:g}", key)
        return v

    def whole(self, key: str, default: Any = _MISSING, *, minimum: int = 0) -> int:
        v = self.raw(key, default)
        if isinstance(v, bool) or not isinstance(v, int):
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            else:
                raise self.err(f"{self.who} has {key} {_show(v)}, which is not a whole number", key)
        if v < minimum:
            raise self.err(f"{self.who} has {key} {v}, which must be at least {minimum}", key)
        return int(v)


# --------------------------------------------------------------------------- reader


@lru_cache(maxsize=1)
def _bundled_graph() -> RoadGraph:
    from h2lane.roads.graph import RoadGraph

    return RoadGraph.bundled()


def read_native(path: str | Path, *, graph: RoadGraph | None = None) -> VRPInstance:
    """Read an instance in h2lane's own format (YAML or JSON; see the module docstring).

    Parameters
    ----------
    path
        Instance file; ``.json`` is read as JSON, anything else as YAML.
    graph
        Road graph for ``distance: road``; default the bundled North China graph.

    Raises
    ------
    InstanceFormatError
        For any malformed file, in one sentence naming the file, node or vehicle type and
        field.
    """
    doc = _load(path)
    if doc is None:
        raise InstanceFormatError(
            path, "is empty; it needs a mapping with distance, nodes and vehicle_types"
        )
    top = _Entry(path, doc, "the file", None, _TOP_KEYS)
    name = top.text("name", Path(path).stem)
    if top.has("description"):
        top.text("description")

    mode = top.text("distance")
    if mode not in DISTANCE_MODES:
        raise top.err(
            f"distance '{mode}' is not known (use {', '.join(DISTANCE_MODES)})", "distance"
        )
    objective = top.text("objective", "distance")
    if objective not in OBJECTIVES:
        raise top.err(
            f"objective '{objective}' is not known (use {', '.join(OBJECTIVES)})", "objective"
        )

    units = _Entry(path, top.raw("units", {}), "units", "units", _UNIT_KEYS)
    distance_unit = units.text("distance", "km")
    time_unit = units.text("time", "h")
    for key in ("energy", "load", "cost"):
        if units.has(key):
            units.text(key)
    if mode in ("road", "haversine") and distance_unit != "km":
        raise units.err(
            f"units distance '{distance_unit}' does not match distance: {mode}, which gives km",
            "distance",
        )

    scen = _scenario_of(path, top, units) if top.has("scenario") else None

    refuel = _Entry(path, top.raw("refuel", {}), "refuel", "refuel", _REFUEL_KEYS)
    full = refuel.flag("full", True)
    depot_refuels = refuel.flag("depot_refuels", True)
    refuel_fixed = refuel.number("fixed_time", 0.0)
    refuel_rate = refuel.number("rate", 0.0)
    rest = _read_rest(path, top, time_unit)

    raw_nodes = top.raw("nodes")
    if not isinstance(raw_nodes, list) or not raw_nodes:
        raise top.err(
            "nodes must be a non-empty list of depots, customers and stations"
            + ("" if isinstance(raw_nodes, list) else f", not {_show(raw_nodes)}"),
            "nodes",
        )
    raw_nodes = [
        _from_scenario(path, item, f"nodes[{i}]", "nodes", scen) for i, item in enumerate(raw_nodes)
    ]
    nodes = _read_nodes(path, raw_nodes, mode, clock=time_unit == "h")
    if scen is not None:
        # stop times from the scenario's stations unless the file gives them: the slowest
        # nozzle and the longest connect time of the stations used (one rate per instance)
        used = [st for st in scen.stations if any(_ref(nd, "station") == st.id for nd in raw_nodes)]
        if used and not refuel.has("rate"):
            refuel_rate = max(1000.0 / (st.nozzle_flow_g_s * 3600.0) for st in used)
        if used and not refuel.has("fixed_time"):
            refuel_fixed = max(st.connect_min for st in used) / 60.0
    if not any(nd["kind"] == CUSTOMER for nd in nodes):
        raise top.err("nodes lists no customer, so there is nothing to route", "nodes")
    labels = [nd["id"] for nd in nodes]
    kinds = np.array([nd["kind"] for nd in nodes], dtype=np.int8)
    x = np.array([nd["x"] for nd in nodes], dtype=float)
    y = np.array([nd["y"] for nd in nodes], dtype=float)

    raw_types = top.raw("vehicle_types")
    if not isinstance(raw_types, list) or not raw_types:
        raise top.err(
            "vehicle_types must be a non-empty list of vehicle types"
            + ("" if isinstance(raw_types, list) else f", not {_show(raw_types)}"),
            "vehicle_types",
        )
    raw_types = [
        _from_scenario(path, item, f"vehicle_types[{k}]", "vehicle_types", scen)
        for k, item in enumerate(raw_types)
    ]
    fleet = _read_types(path, raw_types, labels, kinds)
    if objective == "cost" and not any(
        vt.fixed_cost or vt.cost_per_distance or vt.cost_per_time for vt in fleet
    ):
        raise top.err(
            "objective is cost but no vehicle type has a fixed_cost, cost_per_distance or "
            "cost_per_time",
            "objective",
        )

    # distances last: the road matrix is the costly step
    if mode == "matrix":
        dist = _read_matrix(path, top, len(nodes))
    else:
        if top.has("matrix"):
            raise top.err(f"a matrix is given but distance is '{mode}', not 'matrix'", "matrix")
        if mode == "euclidean":
            dist = _euclidean(x, y)
        elif mode == "haversine":
            dist = haversine_matrix(x, y, EARTH_RADIUS_KM)
        else:
            dist = _road_matrix(path, raw_nodes, labels, y, x, graph)

    capacity = np.array([nd["dispensers"] for nd in nodes], dtype=np.int64)
    first = fleet[0]
    inst = VRPInstance(
        rest=rest,
        name=name,
        kinds=kinds,
        labels=labels,
        x=x,
        y=y,
        dist=np.asarray(dist, dtype=float),
        speed=first.speed,
        demand=np.array([nd["demand"] for nd in nodes], dtype=float),
        service=np.array([nd["service"] for nd in nodes], dtype=float),
        ready=np.array([nd["ready"] for nd in nodes], dtype=float),
        due=np.array([nd["due"] for nd in nodes], dtype=float),
        tank=first.tank,
        consumption=first.consumption,
        load_capacity=first.load_capacity,
        max_duration=first.max_duration,
        refuel_fixed=refuel_fixed,
        refuel_rate=refuel_rate,
        full_refuel=full,
        depot_refuels=depot_refuels,
        start_energy=first.start_energy,
        fleet_size=first.count,
        objective=objective,  # type: ignore[arg-type]
        station_capacity=capacity,
        fixed_cost=first.fixed_cost,
        distance_unit=distance_unit,
        time_unit=time_unit,
        vehicle_types=fleet,
    )
    inst.unservable = fleet_unservable(inst)
    return inst


def _scenario_of(path: str | Path, top: _Entry, units: _Entry) -> Scenario:
    """The scenario named by the ``scenario`` key (bundled name, or a file beside the instance)."""
    from h2lane.errors import ScenarioError
    from h2lane.scenario.io import BUNDLED, load_scenario

    spec = top.text("scenario")
    target: str | Path = spec
    if spec not in BUNDLED:
        beside = Path(path).parent / spec
        target = beside if beside.exists() else Path(spec)
    try:
        scen = load_scenario(target)
    except ScenarioError as exc:
        raise top.err(
            f"the scenario '{spec}' cannot be used: {exc}".rstrip("."), "scenario"
        ) from None
    # the scenario's numbers are in km, h, kg and t
    for key, unit in (("distance", "km"), ("time", "h"), ("energy", "kg"), ("load", "t")):
        if units.has(key) and units.raw(key) != unit:
            raise units.err(
                f"units {key} '{units.raw(key)}' does not match the scenario, whose numbers are "
                f"in {unit}",
                key,
            )
    return scen


_REF_KEYS = ("station", "place", "truck_type")


def _ref(item: Any, key: str) -> str | None:
    """The text of a scenario reference key of a raw entry, if it has one."""
    if isinstance(item, dict) and isinstance(item.get(key), str):
        return str(item[key])
    return None


def _scenario_values(scen: Scenario, key: str, ref: str) -> dict[str, Any] | None:
    """What a reference brings in: a station's or place's point, a truck type's numbers."""
    if key == "station":
        st = scen.station(ref)
        if st is None:
            return None
        return {"name": st.name, "lat": st.lat, "lon": st.lon, "dispensers": st.dispensers}
    if key == "place":
        pl = scen.place(ref)
        return None if pl is None else {"name": pl.name, "lat": pl.lat, "lon": pl.lon}
    tt = scen.truck_type(ref)
    if tt is None:
        return None
    return {
        "tank": tt.tank_kg,
        "consumption": tt.kg_per_100km / 100.0,  # loaded rate for the whole route
        "speed": tt.speed_kmh,
        "payload": tt.payload_t,
    }


def _from_scenario(
    path: str | Path, item: Any, where: str, section: str, scen: Scenario | None
) -> Any:
    """An entry with its ``station``/``place``/``truck_type`` reference filled in from the scenario.

    The filled-in keys keep the line of the reference, so later errors point at it. A key
    the reference supplies may not also be given (``name`` excepted: it is free text).
    """
    if not isinstance(item, dict):
        return item
    refs = [k for k in _REF_KEYS if item.get(k) is not None]
    if not refs:
        return item
    key = refs[0]

    def err(problem: str, fld: str = key) -> InstanceFormatError:
        return InstanceFormatError(path, problem, line=_line(item, fld), field=fld, section=section)

    if scen is None:
        raise err(f"{where} has {key}, which needs a top-level 'scenario' to look it up in")
    if len(refs) > 1:
        raise err(f"{where} has both {refs[0]} and {refs[1]}; give one", refs[1])
    ref = item[key]
    if not isinstance(ref, str):
        raise err(f"{where} has {key} {_show(ref)}, which is not text")
    values = _scenario_values(scen, key, ref)
    what = {"station": "station", "place": "place", "truck_type": "truck type"}[key]
    if values is None:
        known = {
            "station": [s.id for s in scen.stations],
            "place": [p.name for p in scen.places],
            "truck_type": [t.id for t in scen.truck_types],
        }[key]
        raise err(
            f"{where} has {key} '{ref}', which is not a {what} of scenario '{scen.name}' "
            f"(known: {', '.join(known) or 'none'})"
        )
    for k in values:
        if k != "name" and item.get(k) is not None:
            raise err(
                f"{where} has {k} and {key} '{ref}'; {k} comes from the scenario's {what}, so "
                "leave it out",
                k,
            )
    if key == "truck_type" and item.get("range") is not None:
        raise err(f"{where} has range and {key} '{ref}'; the tank comes from the scenario", "range")
    out = _Map()
    out.line = _line(item)
    ref_line = _line(item, key)
    for k, v in item.items():
        out[k] = v
        if isinstance(item, _Map) and k in item.key_lines:
            out.key_lines[k] = item.key_lines[k]
    for k, v in values.items():
        if out.get(k) is None:
            out[k] = v
            if ref_line is not None:
                out.key_lines[k] = ref_line
    return out


def _read_nodes(path: str | Path, raw: list, mode: str, *, clock: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    first_index: dict[str, int] = {}
    every = tuple(dict.fromkeys(k for keys in _NODE_KEYS.values() for k in keys))
    for i, item in enumerate(raw):
        where = f"nodes[{i}]"
        e = _Entry(path, item, where, "nodes", every, check=False)
        nid = e.raw("id", _ref(item, "station") or _MISSING)
        if isinstance(nid, bool) or not isinstance(nid, str | int):
            raise e.err(
                f"{where} has id {_show(nid)}, which is neither text nor a whole number", "id"
            )
        nid = str(nid)
        if not nid.strip():
            raise e.err(f"{where} has an empty id", "id")
        who = f"node '{nid}' ({where})"
        e.who = who
        if nid in first_index:
            raise e.err(f"{who} has the same id as nodes[{first_index[nid]}]", "id")
        first_index[nid] = i
        e.check_keys(every)
        word = e.text("kind")
        if word not in _KIND_NAMES:
            raise e.err(f"{who} has kind '{word}' (use depot, customer or station)", "kind")
        kind = _KIND_NAMES[word]
        if i == 0 and kind != DEPOT:
            raise e.err(f"{who} is a {word}, but the first node must be a depot", "kind")
        for key in item:
            if key not in _NODE_KEYS[kind]:
                if kind == STATION and key in ("ready", "due", "service"):
                    raise e.err(
                        f"{who} is a station but has {key}: a station's stop time comes from "
                        "refuel.fixed_time and refuel.rate, and station opening hours are not "
                        "modelled",
                        key,
                    )
                owner = {"demand": "customers", "place": "depots and customers"}.get(
                    key, "stations"
                )
                raise e.err(f"{who} is a {word} but has {key}, which only {owner} take", key)
        for key in ("name", "note"):
            if e.has(key):
                e.text(key)
        xv, yv = _coordinates(e, who, mode)
        ready = e.number("ready", 0.0, clock=clock)
        due = e.number("due", math.inf, clock=clock) if e.has("due") else math.inf
        if ready > due:
            raise e.err(f"{who} has ready {ready:g} after due {due:g}", "ready")
        out.append(
            {
                "id": nid,
                "kind": kind,
                "x": xv,
                "y": yv,
                "ready": ready,
                "due": due,
                "service": e.number("service", 0.0),
                "demand": e.number("demand", 0.0) if kind == CUSTOMER else 0.0,
                "dispensers": e.whole("dispensers", 0) if kind == STATION else 0,
            }
        )
    return out


def _coordinates(e: _Entry, who: str, mode: str) -> tuple[float, float]:
    """``(x, y)`` of a node: ``(lon, lat)`` or ``(x, y)``; NaN when a matrix node has none."""
    geo = e.has("lat") or e.has("lon")
    plane = e.has("x") or e.has("y")
    if mode in ("road", "haversine"):
        if plane:
            key = "x" if e.has("x") else "y"
            raise e.err(f"{who} has {key}, but distance: {mode} needs lat and lon", key)
        return _lonlat(e)
    if mode == "euclidean":
        if geo:
            key = "lat" if e.has("lat") else "lon"
            raise e.err(f"{who} has {key}, but distance: euclidean needs x and y", key)
        return e.number("x", minimum=None), e.number("y", minimum=None)
    if geo and plane:
        raise e.err(f"{who} has both lat/lon and x/y; give one pair", "x")
    if geo:
        return _lonlat(e)
    if plane:
        return e.number("x", minimum=None), e.number("y", minimum=None)
    return math.nan, math.nan


def _lonlat(e: _Entry) -> tuple[float, float]:
    lat = e.number("lat", minimum=-90.0, maximum=90.0)
    lon = e.number("lon", minimum=-180.0, maximum=180.0)
    return lon, lat


def _read_matrix(path: str | Path, top: _Entry, n: int) -> NDArray[np.float64]:
    m = top.raw("matrix")
    line = _line(top.data, "matrix")

    def bad(problem: str) -> InstanceFormatError:
        return InstanceFormatError(path, problem, line=line, field="matrix")

    if not isinstance(m, list):
        raise bad(f"the matrix is {_show(m)}, not a list of rows")
    if len(m) != n:
        raise bad(f"the matrix has {len(m)} rows but there are {n} nodes (it must be {n} × {n})")
    out = np.empty((n, n))
    for i, row in enumerate(m):
        if not isinstance(row, list) or len(row) != n:
            got = f"{len(row)} entries" if isinstance(row, list) else _show(row)
            raise bad(f"row {i} of the matrix has {got} but there are {n} nodes")
        for j, v in enumerate(row):
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise bad(f"entry [{i}][{j}] of the matrix is {_show(v)}, not a number")
            if not math.isfinite(v) or v < 0:
                raise bad(
                    f"entry [{i}][{j}] of the matrix is {v:g}; distances must be finite and ≥ 0"
                )
            if i == j and v != 0:
                raise bad(f"entry [{i}][{i}] of the matrix is {v:g}; the diagonal must be 0")
            out[i, j] = v
    return out


def _road_matrix(
    path: str | Path,
    raw: list,
    labels: list[str],
    lat: NDArray[np.float64],
    lon: NDArray[np.float64],
    graph: RoadGraph | None,
) -> NDArray[np.float64]:
    from h2lane.roads.graph import MAX_SNAP_KM

    try:
        g = graph if graph is not None else _bundled_graph()
        snapped, snap_km = g.snap_many(lat, lon)
        far = np.flatnonzero(snap_km > MAX_SNAP_KM)
        if far.size:
            i = int(far[0])
            raise InstanceFormatError(
                path,
                f"node '{labels[i]}' (nodes[{i}]) at {lat[i]:.4f},{lon[i]:.4f} is "
                f"{snap_km[i]:.1f} km from the nearest road of the '{g.name}' graph (limit "
                f"{MAX_SNAP_KM:g} km), outside the graph's coverage",
                line=_line(raw[i], "lat"),
                field="lat",
                section="nodes",
            )
        dist = np.asarray(g.matrix_km(snapped, snapped), dtype=float)
    except RoadNetworkError as exc:
        raise InstanceFormatError(
            path, f"road distances cannot be computed ({exc})", field="distance"
        ) from None
    bad = np.argwhere(~np.isfinite(dist))
    if bad.size:
        i, j = (int(v) for v in bad[0])
        raise InstanceFormatError(
            path,
            f"no road of the '{g.name}' graph connects node '{labels[i]}' (nodes[{i}]) to node "
            f"'{labels[j]}' (nodes[{j}])",
            line=_line(raw[j]),
            section="nodes",
        )
    np.fill_diagonal(dist, 0.0)
    return dist


def _read_types(
    path: str | Path, raw: list, labels: list[str], kinds: NDArray[np.int8]
) -> list[VehicleType]:
    index = {label: i for i, label in enumerate(labels)}
    fleet: list[VehicleType] = []
    first_index: dict[str, int] = {}
    for k, item in enumerate(raw):
        where = f"vehicle_types[{k}]"
        e = _Entry(path, item, where, "vehicle_types", _TYPE_KEYS, check=False)
        name = e.raw("name")
        if isinstance(name, bool) or not isinstance(name, str | int) or not str(name).strip():
            raise e.err(f"{where} has name {_show(name)}, which is not a non-empty text", "name")
        name = str(name)
        who = f"vehicle type '{name}' ({where})"
        e.who = who
        if name in first_index:
            raise e.err(f"{who} has the same name as vehicle_types[{first_index[name]}]", "name")
        first_index[name] = k
        e.check_keys(_TYPE_KEYS)
        depot = 0
        if e.has("depot"):
            d = e.raw("depot")
            d = str(d) if isinstance(d, str | int) and not isinstance(d, bool) else None
            if d is None or d not in index:
                raise e.err(
                    f"{who} has depot {_show(e.raw('depot'))}, which is not a node id", "depot"
                )
            depot = index[d]
            if kinds[depot] != DEPOT:
                raise e.err(
                    f"{who} has depot '{d}', which is a {_KIND_WORD[int(kinds[depot])]}, not a depot",
                    "depot",
                )
        if e.has("tank") and e.has("range"):
            raise e.err(f"{who} gives both tank and range; give one of them", "range")
        tank = e.number("tank", math.inf, positive=True) if e.has("tank") else math.inf
        # consumption is required with a tank; without one it does not matter (default 1)
        consumption = e.number("consumption") if e.has("tank") or e.has("consumption") else 1.0
        if e.has("range"):
            # range on a full tank: tank = range x consumption (energy in distance units when
            # no consumption is given)
            tank = e.number("range", positive=True) * consumption
            if not tank > 0:
                raise e.err(f"{who} has a range but zero consumption", "consumption")
        start = None
        if e.has("start_energy"):
            if not math.isfinite(tank):
                raise e.err(f"{who} has start_energy but no tank", "start_energy")
            start = e.number("start_energy", maximum=tank)
        fleet.append(
            VehicleType(
                name=name,
                depot=depot,
                count=e.whole("count", minimum=1) if e.has("count") else None,
                tank=tank,
                consumption=consumption,
                load_capacity=(
                    e.number("payload", math.inf, positive=True) if e.has("payload") else math.inf
                ),
                speed=e.number("speed", positive=True),
                max_duration=(
                    e.number("max_duration", math.inf, positive=True)
                    if e.has("max_duration")
                    else math.inf
                ),
                start_energy=start,
                fixed_cost=e.number("fixed_cost", 0.0),
                cost_per_distance=e.number("cost_per_distance", 0.0),
                cost_per_time=e.number("cost_per_time", 0.0),
            )
        )
    return fleet


# --------------------------------------------------------------------------- per-type views


def type_view(inst: VRPInstance, k: int) -> tuple[VRPInstance, NDArray[np.int64]]:
    """Single-type instance of fleet type ``k`` with its depot moved to index 0.

    Returns the view and ``perm``: view node ``i`` is ``inst`` node ``perm[i]`` (the type's
    depot and node 0 swap places). Other depots become stations when ``depot_refuels`` (a
    mid-route depot visit refuels) and stay unused depots otherwise. Lets single-depot,
    single-type code (such as :func:`find_unservable`) work on one type of a fleet.
    """
    vt = inst.fleet[k]
    n = inst.n_nodes
    perm = np.arange(n, dtype=np.int64)
    perm[0], perm[vt.depot] = vt.depot, 0
    kinds = inst.kinds[perm].copy()
    if inst.depot_refuels:
        kinds[1:][kinds[1:] == DEPOT] = STATION
    cap = None if inst.station_capacity is None else inst.station_capacity[perm].copy()
    view = dataclasses.replace(
        inst,
        kinds=kinds,
        labels=[inst.labels[i] for i in perm],
        x=inst.x[perm],
        y=inst.y[perm],
        dist=inst.dist[np.ix_(perm, perm)],
        demand=inst.demand[perm],
        service=inst.service[perm],
        ready=inst.ready[perm],
        due=inst.due[perm],
        speed=vt.speed,
        tank=vt.tank,
        consumption=vt.consumption,
        load_capacity=vt.load_capacity,
        max_duration=vt.max_duration,
        start_energy=vt.start_energy,
        fleet_size=vt.count,
        fixed_cost=vt.fixed_cost,
        station_capacity=cap,
        vehicle_types=None,
        unservable=[],
    )
    return view, perm


def fleet_unservable(inst: VRPInstance) -> list[int]:
    """Customers that no vehicle type of the fleet can serve on a route of its own.

    :func:`find_unservable` applied to each type's :func:`type_view`; a customer is reported
    when every type fails. Same exactness caveats as :func:`find_unservable`.
    """
    bad: set[int] | None = None
    for k in range(len(inst.fleet)):
        view, perm = type_view(inst, k)
        here = {int(perm[c]) for c in find_unservable(view)}
        bad = here if bad is None else bad & here
    return sorted(bad or ())


# --------------------------------------------------------------------------- writer


def _plain(v: float) -> float | int:
    """A Python number for the file: whole numbers as int, others as float."""
    f = float(v)
    return int(f) if f.is_integer() and abs(f) < 2**53 else f


def to_native(inst: VRPInstance) -> dict[str, Any]:
    """The instance as the mapping :func:`write_native` writes.

    Distances are written as ``euclidean`` or ``haversine`` when recomputing them from the
    coordinates gives exactly ``inst.dist``, else as a ``matrix``. The fleet is
    ``inst.fleet`` (one type built from the instance-wide fields when there is none).

    Raises
    ------
    ValueError
        When the instance cannot be expressed in the format (non-finite distances, demand on
        a non-customer, no depot first).
    """
    n = inst.n_nodes
    x = np.asarray(inst.x, dtype=float)
    y = np.asarray(inst.y, dtype=float)
    dist = np.asarray(inst.dist, dtype=float)
    if n == 0 or inst.kinds[0] != DEPOT:
        raise ValueError("the first node of an instance must be a depot")
    if not np.all(np.isfinite(dist)):
        raise ValueError("the distance matrix has non-finite entries, which the format cannot hold")
    coords = bool(np.all(np.isfinite(x)) and np.all(np.isfinite(y)))
    mode = "matrix"
    if coords and np.array_equal(_euclidean(x, y), dist):
        mode = "euclidean"
    elif (
        coords
        and inst.distance_unit == "km"
        and np.all(np.abs(y) <= 90)
        and np.all(np.abs(x) <= 180)
        and np.array_equal(haversine_matrix(x, y, EARTH_RADIUS_KM), dist)
    ):
        mode = "haversine"
    nodes: list[dict[str, Any]] = []
    for i in range(n):
        kind = int(inst.kinds[i])
        nd: dict[str, Any] = {"id": str(inst.labels[i]), "kind": _KIND_WORD[kind]}
        if mode == "haversine":
            nd["lat"], nd["lon"] = float(y[i]), float(x[i])
        elif np.isfinite(x[i]) and np.isfinite(y[i]):
            nd["x"], nd["y"] = float(x[i]), float(y[i])
        # stations carry no time window or service in the format (see the reader)
        if inst.ready[i] != 0 and kind != STATION:
            nd["ready"] = _plain(inst.ready[i])
        if np.isfinite(inst.due[i]) and kind != STATION:
            nd["due"] = _plain(inst.due[i])
        if inst.service[i] != 0 and kind != STATION:
            nd["service"] = _plain(inst.service[i])
        if inst.demand[i] != 0:
            if kind != CUSTOMER:
                raise ValueError(f"node {inst.labels[i]} is not a customer but has a demand")
            nd["demand"] = _plain(inst.demand[i])
        if kind == STATION and inst.station_capacity is not None and inst.station_capacity[i]:
            nd["dispensers"] = int(inst.station_capacity[i])
        nodes.append(nd)
    types: list[dict[str, Any]] = []
    for vt in inst.fleet:
        t: dict[str, Any] = {"name": vt.name, "depot": str(inst.labels[vt.depot])}
        if vt.count is not None:
            t["count"] = int(vt.count)
        if math.isfinite(vt.tank):
            t["tank"] = _plain(vt.tank)
        t["consumption"] = _plain(vt.consumption)
        if math.isfinite(vt.load_capacity):
            t["payload"] = _plain(vt.load_capacity)
        t["speed"] = _plain(vt.speed)
        if math.isfinite(vt.max_duration):
            t["max_duration"] = _plain(vt.max_duration)
        if vt.start_energy is not None:
            t["start_energy"] = _plain(vt.start_energy)
        for key in ("fixed_cost", "cost_per_distance", "cost_per_time"):
            t[key] = _plain(getattr(vt, key))
        types.append(t)
    doc: dict[str, Any] = {
        "name": inst.name,
        "units": {"distance": inst.distance_unit, "time": inst.time_unit},
        "distance": mode,
    }
    if mode == "matrix":
        doc["matrix"] = [[_plain(v) for v in row] for row in dist]
    doc["objective"] = inst.objective
    doc["refuel"] = {
        "full": bool(inst.full_refuel),
        "fixed_time": _plain(inst.refuel_fixed),
        "rate": _plain(inst.refuel_rate),
        "depot_refuels": bool(inst.depot_refuels),
    }
    r = inst.rest
    doc["rest"] = {
        "enabled": bool(r.enabled),
        "max_drive_h": _plain(r.max_drive_h),
        "break_min": _plain(r.break_min),
        "max_daily_drive_h": _plain(r.max_daily_drive_h),
        "daily_rest_h": _plain(r.daily_rest_h),
    }
    doc["nodes"] = nodes
    doc["vehicle_types"] = types
    return doc


def _read_rest(path: str | Path, top: _Entry, time_unit: str) -> RestRules:
    """The ``rest`` section: driver rest rules, on by default where times are clock units."""
    entry = _Entry(path, top.raw("rest", {}), "rest", "rest", _REST_KEYS)
    enabled = entry.flag("enabled", time_unit in _CLOCK_UNITS)
    if not enabled:
        return RestRules.off()
    if time_unit not in _CLOCK_UNITS:
        raise entry.err(
            f"rest rules need units time h, min or s, not {time_unit!r} (or set rest: {{enabled: false}})",
            "enabled",
        )
    d = RestRules()
    return RestRules(
        max_drive_h=entry.number("max_drive_h", d.max_drive_h, positive=True, maximum=24.0),
        break_min=entry.number("break_min", d.break_min, maximum=600.0),
        max_daily_drive_h=entry.number(
            "max_daily_drive_h", d.max_daily_drive_h, positive=True, maximum=24.0
        ),
        daily_rest_h=entry.number("daily_rest_h", d.daily_rest_h, maximum=48.0),
    )


def write_native(inst: VRPInstance, path: str | Path) -> Path:
    """Write ``inst`` in h2lane's format (JSON for a ``.json`` path, else YAML).

    :func:`read_native` of the file gives back the same instance (node order, labels,
    coordinates, distances, windows, fleet, refuelling and objective); instances without
    ``vehicle_types`` come back with their :attr:`~VRPInstance.fleet` as the one type.
    Returns the path.
    """
    doc = to_native(inst)
    p = Path(path)
    if p.suffix.lower() == ".json":
        text = json.dumps(doc, indent=2, allow_nan=False, ensure_ascii=False) + "\n"
    else:
        text = yaml.dump(
            doc,
            Dumper=_Dumper,
            sort_keys=False,
            default_flow_style=None,
            allow_unicode=True,
            width=100,
        )
    p.write_text(text, encoding="utf-8")
    return p


def example_path(name: str = "xiaoyi-fleet") -> Path:
    """Path of a bundled example instance (see :data:`EXAMPLES`)."""
    if name not in EXAMPLES:
        raise ValueError(f"unknown example '{name}' (bundled: {', '.join(EXAMPLES)})")
    return Path(str(resources.files("h2lane.routing.vrp") / "data" / f"{name}.yaml"))
