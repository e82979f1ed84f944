"""Trip planning for one truck on the road network: where to refuel, how much, how long, what cost.

Times: every datetime is aware and in China time (:mod:`h2lane.timeutil`); ``depart`` may
carry any offset and is converted. Driver rests follow :class:`~h2lane.routing.rest.RestRules`
(on by default); the plan lists every break and daily rest and explains long waits in
``notices``.

Off-road access: a waypoint or station given by latitude and longitude is joined to its
nearest road node (``snap_km``, straight-line distance, refused beyond the graph's snap
limit). That access is driven on arriving and on leaving the point, so it is added to the
km of every hop that starts or ends there, and the leg's hydrogen and driving time follow
from those km at the leg's consumption and the truck's speed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import itertools
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from h2lane import OSM_ATTRIBUTION, timeutil
from h2lane.cache import cache_dir
from h2lane.errors import InfeasibleTripError, OptionError, RoadNetworkError
from h2lane.roads.engines import PathEngine
from h2lane.roads.graph import MAX_SNAP_KM, RoadGraph
from h2lane.routing.refuel import (
    Objective,
    Optimum,
    RefuelProblem,
    RefuelSolution,
    RestEvent,
    StopGraph,
    optimum,
    solve,
)
from h2lane.routing.rest import RestRules
from h2lane.routing.stationgraph import (
    StationGraph,
    StopPlan,
    TripDistances,
    TripSpec,
    candidate_stations,
    full_refuel_path,
    road_digest,
)
from h2lane.scenario.model import Station, TruckType

LONG_WAIT_H = 0.5
"""Waits at least this long get a notice."""


@dataclass(slots=True)
class Waypoint:
    """A point the truck must pass, snapped to the road graph.

    ``ready`` is the earliest time the truck may leave it (a pick-up's ready time: the truck
    waits), ``due`` the latest time it may arrive (plans arriving later are not allowed).
    """

    name: str
    lat: float
    lon: float
    node: int = -1
    snap_km: float = 0.0
    ready: datetime | None = None
    due: datetime | None = None


def _finite(option: str, value: float, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise OptionError(f"{option} must be a finite number of {unit}, not {value!r}")
    if value < 0:
        raise OptionError(f"{option} must be at least 0 {unit}, not {value:g}")
    return float(value)


def _aware(value: datetime, what: str) -> datetime:
    parsed = timeutil.parse_datetime(value)
    if parsed is None:
        raise OptionError(f"{what} must be a date-time, not {value!r}")
    return parsed


@dataclass(slots=True)
class TripRequest:
    """What the dispatcher asks for; checked on creation (bad values raise OptionError).

    Option names in messages are the CLI's (``--start-kg``, ``--reserve-kg``, ``--tonnes``).
    """

    waypoints: list[Waypoint]
    truck: TruckType
    loaded: list[bool]
    start_kg: float
    reserve_kg: float
    objective: Objective = "time"
    depart: datetime = field(
        default_factory=lambda: datetime(2026, 1, 1, 8, 0, tzinfo=timeutil.CHINA)
    )
    full_refuel: bool = False
    tonnes: float | None = None
    truck_id: str | None = None
    rest: RestRules = field(default_factory=RestRules)
    queue_wait_min: dict[str, list[float]] | None = None
    """Expected queue wait per station id and clock hour of joining (24 values, minutes,
    China time), e.g. :meth:`h2lane.supply.feedback.StationWaits.by_station`; a stop waits
    by the FIFO rule of :mod:`h2lane.routing.refuel`. Stations not named have no queue."""

    def __post_init__(self) -> None:
        t = self.truck
        self.start_kg = _finite("--start-kg", self.start_kg, "kg")
        self.reserve_kg = _finite("--reserve-kg", self.reserve_kg, "kg")
        if self.start_kg > t.tank_kg + 1e-9:
            raise OptionError(
                f"--start-kg {self.start_kg:g} exceeds the usable tank of {t.tank_kg:g} kg "
                f"of truck type {t.id}"
            )
        if self.reserve_kg >= t.tank_kg:
            raise OptionError(
                f"--reserve-kg {self.reserve_kg:g} leaves nothing of the {t.tank_kg:g} kg tank "
                f"of truck type {t.id} to drive on: it must be below the tank"
            )
        if self.tonnes is not None:
            self.tonnes = _finite("--tonnes", self.tonnes, "t")
            if self.tonnes > t.payload_t + 1e-9:
                raise OptionError(
                    f"--tonnes {self.tonnes:g} exceeds the payload of {t.payload_t:g} t "
                    f"of truck type {t.id}"
                )
        if self.objective not in ("time", "cost"):
            raise OptionError(f"--optimize must be 'time' or 'cost', not {self.objective!r}")
        if len(self.loaded) != max(len(self.waypoints) - 1, 0):
            raise OptionError(
                f"a trip through {len(self.waypoints)} waypoints has {len(self.waypoints) - 1} "
                f"legs, but {len(self.loaded)} loaded/empty flags were given"
            )
        self.depart = _aware(self.depart, "--depart")
        for w in self.waypoints:
            if not (math.isfinite(w.lat) and math.isfinite(w.lon)):
                raise OptionError(f"waypoint '{w.name}' has no finite latitude and longitude")
            if w.ready is not None:
                w.ready = _aware(w.ready, f"the ready time of '{w.name}'")
            if w.due is not None:
                w.due = _aware(w.due, f"the due time of '{w.name}'")
        if self.queue_wait_min is not None:
            for sid, row in self.queue_wait_min.items():
                ok = len(row) == 24 and all(
                    isinstance(v, int | float) and math.isfinite(v) and v >= 0 for v in row
                )
                if not ok:
                    raise OptionError(
                        f"--station-waits: station '{sid}' needs 24 hourly waits of finite "
                        "minutes ≥ 0"
                    )

    def queue_hours(self, stations: list[Station]) -> np.ndarray | None:
        """``(n, 24)`` queue waits in hours for ``stations`` (None when none of them queues)."""
        if not self.queue_wait_min or not stations:
            return None
        zero = [0.0] * 24
        q = np.array([self.queue_wait_min.get(s.id, zero) for s in stations], dtype=float) / 60.0
        return q if np.any(q > 0) else None


@dataclass(slots=True)
class TripPlan:
    """A solved trip, ready to print, serialise or map."""

    request: TripRequest
    stations: list[Station]
    station_snap_km: list[float]
    solution: RefuelSolution
    segments: list[dict[str, Any]]
    legs: list[dict[str, Any]]
    graph_name: str
    attribution: str
    notices: list[str] = field(default_factory=list)

    @property
    def breaks(self) -> list[RestEvent]:
        """Every break and daily rest of the plan, in order."""
        return self.solution.breaks

    @property
    def day0(self) -> datetime:
        """Midnight (China time) of the departure day: the origin of the solution's hours."""
        return _midnight(self.request.depart)

    def at(self, hours: float) -> datetime:
        """Aware datetime of a time given in hours after the departure day's midnight."""
        return self.day0 + timedelta(hours=hours)

    @property
    def arrive(self) -> datetime:
        return self.request.depart + timedelta(hours=self.solution.duration_h)

    def break_rows(self) -> list[dict[str, Any]]:
        """The ``breaks`` list of the JSON document."""
        rows = []
        for b in self.solution.breaks:
            st = self.stations[b.station] if b.station is not None else None
            rows.append(
                {
                    "leg": b.leg,
                    "km_from_start": round(b.km_from_start, 3),
                    "start": timeutil.iso(self.at(b.start_h)),
                    "minutes": round(b.minutes, 2),
                    "kind": b.kind,
                    "station": b.station,
                    "station_id": st.id if st else None,
                    "waypoint": b.waypoint,
                    "driven_today_h": round(b.driven_h, 3),
                }
            )
        return rows

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of ``h2lane trip --json``."""
        req, sol = self.request, self.solution
        stops = []
        kinds = {(b.station, round(b.start_h, 9)): b.kind for b in sol.breaks}
        for s in sol.stops:
            st = self.stations[s.station]
            stops.append(
                {
                    "station_id": st.id,
                    "name": st.name,
                    "lat": st.lat,
                    "lon": st.lon,
                    "km_from_start": round(s.km_from_start, 3),
                    "arrive_kg": round(s.arrive_kg, 3),
                    "refuel_kg": round(s.refuel_kg, 3),
                    "depart_kg": round(s.arrive_kg + s.refuel_kg, 3),
                    "arrive": timeutil.iso(self.at(s.arrive_h)),
                    "depart": timeutil.iso(self.at(s.depart_h)),
                    "wait_min": round(s.wait_h * 60, 2),
                    "queue_wait_min": round(s.queue_h * 60, 2),
                    "refuel_min": round(s.refuel_h * 60, 2),
                    "rest_min": round(s.rest_h * 60, 2),
                    "rest": kinds.get((s.station, round(s.arrive_h, 9))),
                    "price": st.price,
                    "cost": round(s.cost, 2),
                    "leg": s.leg,
                    "location": st.location,
                    "snap_km": round(self.station_snap_km[s.station], 3),
                }
            )
        t = req.truck
        return {
            "kind": "h2lane.trip-plan",
            "version": 1,
            "objective": sol.objective,
            "refuel_policy": "full" if req.full_refuel else "partial",
            "depart": timeutil.iso(req.depart),
            "arrive": timeutil.iso(self.arrive),
            "truck": {
                "type": t.id,
                "truck_id": req.truck_id,
                "tank_kg": t.tank_kg,
                "kg_per_100km": t.kg_per_100km,
                "kg_per_100km_empty": t.kg_per_100km_empty,
                "payload_t": t.payload_t,
                "speed_kmh": t.speed_kmh,
            },
            "start_kg": req.start_kg,
            "reserve_kg": req.reserve_kg,
            "end_kg": round(sol.end_kg, 3),
            "distance_km": round(sol.distance_km, 3),
            "duration_h": round(sol.duration_h, 4),
            "drive_h": round(sol.drive_h, 4),
            "rest_h": round(
                sum(b.minutes for b in sol.breaks if b.station is None and b.waypoint is None)
                / 60.0
                + sum(s.rest_h for s in sol.stops),
                4,
            ),
            "h2_kg": round(sol.h2_used_kg, 3),
            "refuel_kg": round(sum(s.refuel_kg for s in sol.stops), 3),
            "cost": round(sol.cost, 2),
            "currency": "CNY",
            "rest_rules": req.rest.to_dict(),
            "stops": stops,
            "breaks": self.break_rows(),
            "notices": list(self.notices),
            "legs": self.legs,
            "waypoints": [
                {"name": w.name, "lat": w.lat, "lon": w.lon, "snap_km": round(w.snap_km, 3)}
                for w in req.waypoints
            ],
            "road_graph": self.graph_name,
            "attribution": self.attribution,
            "geometry": self.geojson(),
        }

    def geojson(self) -> dict[str, Any]:
        """Route line, waypoints and stops as a GeoJSON FeatureCollection."""
        coords: list[list[float]] = []
        for seg in self.segments:
            pts = seg["coordinates"]
            coords.extend(pts if not coords else pts[1:])
        feats: list[dict[str, Any]] = [
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": coords},
                "properties": {
                    "kind": "route",
                    "distance_km": round(self.solution.distance_km, 3),
                    "attribution": self.attribution,
                },
            }
        ]
        for i, w in enumerate(self.request.waypoints):
            feats.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [w.lon, w.lat]},
                    "properties": {"kind": "waypoint", "name": w.name, "index": i},
                }
            )
        for s in self.solution.stops:
            st = self.stations[s.station]
            feats.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [st.lon, st.lat]},
                    "properties": {
                        "kind": "stop",
                        "station_id": st.id,
                        "name": st.name,
                        "refuel_kg": round(s.refuel_kg, 3),
                        "km_from_start": round(s.km_from_start, 3),
                    },
                }
            )
        return {"type": "FeatureCollection", "features": feats}


def _midnight(value: datetime) -> datetime:
    return value.replace(hour=0, minute=0, second=0, microsecond=0)


def _hours(value: datetime | None, day0: datetime, default: float) -> float:
    return default if value is None else (value - day0).total_seconds() / 3600.0


def _clock(value: datetime) -> str:
    return value.strftime("%H:%M")


SCALE_MIN_STATIONS = 12
"""Above this many stations :func:`plan_trip` solves over the exactly filtered stations."""

QUICK_STATIONS = 48
"""Stations per leg (least detour) over which the scaled planner first seeks its bound."""

BOUND_STATIONS = 12
"""Stations per leg and kind that the scaled planner adds to the bound's solve."""

_GRAPH_CACHE: list[tuple[RoadGraph, bytes, StationGraph]] = []
_GRAPH_CACHE_SIZE = 4


def _station_arrays(stations: list[Station]) -> dict[str, np.ndarray]:
    windows = np.array([s.open_window_h() for s in stations], dtype=float).reshape(-1, 2)
    return {
        "price": np.array([s.price for s in stations], dtype=float),
        "fill_h_per_kg": np.array([1000.0 / s.nozzle_flow_g_s / 3600.0 for s in stations]),
        "connect_h": np.array([s.connect_min / 60.0 for s in stations], dtype=float),
        "open_h": windows[:, 0].copy(),
        "close_h": windows[:, 1].copy(),
    }


def truck_range_km(truck: TruckType) -> float:
    """The longest hop a full tank of ``truck`` drives (thriftiest consumption, no reserve)."""
    rate = min(truck.kg_per_100km, truck.kg_per_100km_empty) / 100.0
    return truck.tank_kg / rate if rate > 0 else math.inf


def station_graph_for(graph: RoadGraph, stations: list[Station], range_km: float) -> StationGraph:
    """The station graph of ``stations`` with at least ``range_km``, built once and cached.

    The cache holds the last few graphs, keyed by the road graph, the stations' road nodes
    and attributes; any cached graph with a range at least ``range_km`` is reused.
    """
    nodes = _snap_stations(graph, stations)[0]
    return _cached_graph(graph, nodes, _station_arrays(stations), range_km)


def _graph_key(nodes: np.ndarray, attrs: dict[str, np.ndarray]) -> bytes:
    parts = [np.asarray(nodes, dtype=np.int64).tobytes()]
    parts += [np.asarray(attrs[k], dtype=float).tobytes() for k in sorted(attrs)]
    return b"|".join(parts)


DISK_CACHE_MIN_STATIONS = 200
"""From this many stations a built station graph is also kept on disk (:func:`cache_dir`) for
the next process; smaller ones build in a few tens of milliseconds."""
DISK_CACHE_FILES = 8
"""Station graph files kept in the cache directory (the least recently used go first)."""
DISK_CACHE_BYTES = 1 << 30
"""Beyond this total size the least recently used files go too (the newest always stays)."""


def _disk_path(directory: Path, graph: RoadGraph, nodes: np.ndarray, range_km: float) -> Path:
    """The file of the station graph of ``nodes`` on ``graph`` with ``range_km``."""
    h = hashlib.blake2b(digest_size=16)
    h.update(road_digest(graph))
    h.update(np.float64(range_km).tobytes())
    h.update(np.ascontiguousarray(nodes, dtype=np.int64).tobytes())
    return directory / f"stationgraph-{h.hexdigest()}.npz"


def _prune(directory: Path, keep: int, max_bytes: int) -> None:
    """Keep the ``keep`` most recently used station graph files, fewer if they add up to more
    than ``max_bytes``; remove temporary files an interrupted write left an hour ago."""
    try:
        stats = [(f, f.stat()) for f in directory.glob("stationgraph-*.npz")]
        stats.sort(key=lambda fs: fs[1].st_mtime, reverse=True)
        total = 0
        for rank, (f, st) in enumerate(stats):
            total += st.st_size
            if rank >= keep or (rank > 0 and total > max_bytes):
                f.unlink()
        now = time.time()
        for f in directory.glob(".stationgraph-*.tmp"):
            if now - f.stat().st_mtime > 3600.0:
                f.unlink()
    except OSError:
        pass


def _cached_graph(
    graph: RoadGraph, nodes: np.ndarray, attrs: dict[str, np.ndarray], range_km: float
) -> StationGraph:
    """The station graph from the in-memory cache, else the disk cache, else built.

    The disk file holds only what the build computes from the road graph, the station
    nodes and the range (the arcs), so the station attributes come from ``attrs``; a
    missing, corrupt or mismatched file is rebuilt and written again.
    """
    key = _graph_key(nodes, attrs)
    for i, (g, k, sg) in enumerate(_GRAPH_CACHE):
        if g is graph and k == key and sg.range_km >= range_km:
            _GRAPH_CACHE.insert(0, _GRAPH_CACHE.pop(i))
            return sg
    directory = cache_dir() if len(nodes) >= DISK_CACHE_MIN_STATIONS else None
    path = _disk_path(directory, graph, nodes, range_km) if directory is not None else None
    loaded = StationGraph.load(path, graph, nodes, range_km, **attrs) if path else None
    if loaded is not None:
        sg = loaded
        assert path is not None
        with contextlib.suppress(OSError):
            os.utime(path)  # most recently used: pruned last
    else:
        sg = StationGraph(graph, nodes, range_km, **attrs)  # type: ignore[arg-type]
        if path is not None:
            try:
                sg.save(path)
            except OSError:
                pass  # a read-only or full disk: the next process builds again
            else:
                _prune(path.parent, DISK_CACHE_FILES, DISK_CACHE_BYTES)
    _GRAPH_CACHE.insert(0, (graph, key, sg))
    del _GRAPH_CACHE[_GRAPH_CACHE_SIZE:]
    return sg


def _snap_stations(graph: RoadGraph, stations: list[Station]) -> tuple[np.ndarray, np.ndarray]:
    if not stations:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    st_nodes, st_snap = graph.snap_many(
        np.array([s.lat for s in stations]), np.array([s.lon for s in stations])
    )
    far = np.flatnonzero(st_snap > MAX_SNAP_KM)
    if far.size:
        s = stations[int(far[0])]
        raise RoadNetworkError(
            f"station '{s.id}' ({s.lat:.4f},{s.lon:.4f}) is {st_snap[far[0]]:.1f} km from the "
            f"nearest road of the '{graph.name}' graph: it is outside the graph's coverage"
        )
    return np.asarray(st_nodes, dtype=np.int64), np.asarray(st_snap, dtype=float)


def plan_trip(
    graph: RoadGraph,
    stations: list[Station],
    req: TripRequest,
    engine: PathEngine | None = None,
    *,
    station_graph: StationGraph | None = None,
    scaled: bool | None = None,
) -> TripPlan:
    """Plan refuelling stops and driver rests for one truck along ``req.waypoints``.

    Raises
    ------
    InfeasibleTripError
        When no plan reaches the destination (the message names the stretch that is out of
        range and the nearest stations) or none meets a waypoint's due time.
    RoadNetworkError
        When a waypoint or station lies outside the graph's coverage.

    ``engine`` overrides the graph's fast engine (the benchmark passes scipy's).

    With more than :data:`SCALE_MIN_STATIONS` stations (or ``scaled=True``) the planner
    does not build the all-pairs matrix: it takes the distances from a range-bounded
    :class:`~h2lane.routing.stationgraph.StationGraph` (``station_graph``, or one built
    once per station list and truck range and cached), bounds the optimum by solving the
    real problem — every rule of the request — on the stations of the full-refuel paths,
    keeps only the stations whose lower bound does not exceed that bound
    (:func:`~h2lane.routing.stationgraph.candidate_stations`) and solves again on those.
    Both solves are the exact search of :func:`~h2lane.routing.refuel.solve`, so the plan
    is the same as over all stations. ``scaled=False`` forces the all-pairs path; the
    scaled path needs the graph's own engine (``engine=None``).
    """
    if len(req.waypoints) < 2:
        raise InfeasibleTripError("a trip needs an origin and a destination")
    for w in req.waypoints:
        snap = graph.snap(w.lat, w.lon)
        w.node, w.snap_km = snap.node, snap.snap_km
    st_nodes, st_snap = _snap_stations(graph, stations)
    use_scaled = (len(stations) > SCALE_MIN_STATIONS) if scaled is None else scaled
    if station_graph is not None and scaled is None:
        use_scaled = True
    if engine is not None:
        if scaled:
            raise OptionError("the scaled trip planner uses the road graph's own engine")
        use_scaled = False
    _check_earliest(graph, stations, req, engine, station_graph)
    if use_scaled and stations:
        return _plan_scaled(graph, stations, req, st_nodes, st_snap, station_graph)
    wp_nodes = np.array([w.node for w in req.waypoints], dtype=np.int64)
    wp_snap = np.array([w.snap_km for w in req.waypoints])
    all_nodes = np.concatenate([wp_nodes, st_nodes])
    access = np.concatenate([wp_snap, np.asarray(st_snap, dtype=float)])
    # road km between the nodes plus the off-road access at both ends
    dist = graph.matrix_km(all_nodes, all_nodes, engine=engine) + access[:, None] + access[None, :]
    n_wp = len(wp_nodes)
    legs = range(n_wp - 1)
    leg_km = np.array([dist[k, k + 1] for k in legs])
    _check_legs(graph, req, leg_km)
    problem = _problem(
        req,
        stations,
        leg_km,
        dist[: n_wp - 1, n_wp:],
        dist[n_wp:, 1:n_wp].T.copy(),
        dist[n_wp:, n_wp:],
        _station_arrays(stations),
    )
    sol, late = _solve_or_late(req, lambda obj, due: _solve_dense(problem, req, obj, due))
    if sol is None:
        if late is not None:
            raise _late_error(req, late, _due(req), _midnight(req.depart))
        message, details = diagnose(problem, req, stations)
        raise InfeasibleTripError(message, details)
    return _finish(graph, req, stations, st_nodes, st_snap, sol, problem, engine)


def _check_earliest(
    graph: RoadGraph,
    stations: list[Station],
    req: TripRequest,
    engine: PathEngine | None,
    station_graph: StationGraph | None,
) -> None:
    """Raise the late error when a due time is earlier than the earliest possible arrival.

    The earliest arrival at waypoint ``w`` is the quickest plan of the trip cut at ``w``
    (same truck, levels, ready times, rests and queues; no due times): every plan of the
    whole trip starts with such a plan, so arriving later than that due time is certain.
    This answers in a few fast searches what the search with due times would otherwise
    prove by exhausting every label that is not yet late.
    """
    if len(req.waypoints) < 3 or all(w.due is None for w in req.waypoints[1:]):
        return
    for w in range(1, len(req.waypoints)):
        due = req.waypoints[w].due
        if due is None:
            continue
        arrive = _earliest_arrival(graph, stations, req, w, engine, station_graph)
        if arrive is None:
            return  # out of range: the full search says where
        if arrive > due + timedelta(seconds=0.5):
            name = req.waypoints[w].name
            raise InfeasibleTripError(
                f"no plan reaches {name} by its due time {due:%Y-%m-%d %H:%M%z}: the earliest "
                f"arrival is {arrive:%Y-%m-%d %H:%M%z}",
                {
                    "late": {
                        "waypoint": w,
                        "name": name,
                        "arrive": timeutil.iso(arrive),
                        "due": timeutil.iso(due),
                    }
                },
            )


_EARLIEST: dict[tuple[Any, ...], datetime | None] = {}
_EARLIEST_SIZE = 4096


def _earliest_arrival(
    graph: RoadGraph,
    stations: list[Station],
    req: TripRequest,
    w: int,
    engine: PathEngine | None,
    station_graph: StationGraph | None,
) -> datetime | None:
    """Earliest arrival at waypoint ``w`` (None: out of range), cached per process.

    Dispatch evaluates many chains that start alike; the key is everything the cut trip
    depends on (graph, stations, waypoints with ready times, legs, truck, levels, departure,
    refuel policy, rests, queues).
    """
    q = req.queue_wait_min
    key = (
        id(graph),
        tuple(map(repr, stations)),
        tuple((p.lat, p.lon, p.ready) for p in req.waypoints[: w + 1]),
        tuple(req.loaded[:w]),
        repr(req.truck),
        req.start_kg,
        req.reserve_kg,
        req.depart,
        req.full_refuel,
        repr(req.rest),
        None if q is None else tuple((k, tuple(v)) for k, v in sorted(q.items())),
        id(engine),
    )
    if key in _EARLIEST:
        return _EARLIEST[key]
    prefix = dataclasses.replace(
        req,
        waypoints=[dataclasses.replace(p, due=None) for p in req.waypoints[: w + 1]],
        loaded=list(req.loaded[:w]),
        objective="time",
    )
    try:
        early = plan_trip(graph, stations, prefix, engine, station_graph=station_graph)
        arrive: datetime | None = early.at(early.solution.visits[-1].arrive_h)
    except InfeasibleTripError:
        arrive = None
    if len(_EARLIEST) >= _EARLIEST_SIZE:
        _EARLIEST.clear()
    _EARLIEST[key] = arrive
    return arrive


def _check_legs(graph: RoadGraph, req: TripRequest, leg_km: np.ndarray) -> None:
    unreachable = [k for k in range(len(leg_km)) if not np.isfinite(leg_km[k])]
    if unreachable:
        k = unreachable[0]
        raise InfeasibleTripError(
            f"no road connects {req.waypoints[k].name} to {req.waypoints[k + 1].name} "
            f"in the '{graph.name}' graph"
        )
    if req.start_kg < req.reserve_kg:
        raise InfeasibleTripError(
            f"the start level {req.start_kg:g} kg is below the reserve of {req.reserve_kg:g} kg"
        )


def _due(req: TripRequest) -> np.ndarray:
    day0 = _midnight(req.depart)
    return np.array([_hours(w.due, day0, math.inf) for w in req.waypoints])


def _problem(
    req: TripRequest,
    stations: list[Station],
    leg_km: np.ndarray,
    wp_to_st: np.ndarray,
    st_to_wp: np.ndarray,
    st_st: np.ndarray,
    attrs: dict[str, np.ndarray],
) -> RefuelProblem:
    """The refuelling problem of ``req`` over the stations of the given distances."""
    truck = req.truck
    rate = np.array(
        [
            (truck.kg_per_100km if req.loaded[k] else truck.kg_per_100km_empty) / 100.0
            for k in range(len(leg_km))
        ]
    )
    day0 = _midnight(req.depart)
    ready = np.array([_hours(w.ready, day0, -math.inf) for w in req.waypoints])
    due = _due(req)
    return RefuelProblem(
        leg_km=leg_km,
        wp_to_st=wp_to_st,
        st_to_wp=st_to_wp,
        st_st=st_st,
        kg_per_km=rate,
        tank_kg=truck.tank_kg,
        start_kg=req.start_kg,
        reserve_kg=req.reserve_kg,
        price=attrs["price"],
        fill_h_per_kg=attrs["fill_h_per_kg"],
        connect_h=attrs["connect_h"],
        open_h=attrs["open_h"],
        close_h=attrs["close_h"],
        speed_kmh=truck.speed_kmh,
        depart_h=timeutil.hours_of_day(req.depart),
        rest=req.rest,
        wp_ready_h=ready if np.isfinite(ready).any() else None,
        wp_due_h=due if np.isfinite(due).any() else None,
        queue_h=req.queue_hours(stations),
    )


def _solve_dense(
    problem: RefuelProblem,
    req: TripRequest,
    objective: Objective,
    with_due: bool,
    upper: float = math.inf,
    upper_time: float = math.inf,
    compiled: bool | None = None,
) -> RefuelSolution | None:
    with _due_times(problem, with_due):
        return solve(
            problem,
            objective,
            full_refuel=req.full_refuel,
            upper=upper,
            upper_time=upper_time,
            compiled=compiled,
        )


def _optimum_dense(
    problem: RefuelProblem,
    req: TripRequest,
    objective: Objective,
    with_due: bool,
    upper: float = math.inf,
) -> Optimum | None:
    """:func:`_solve_dense`'s optimum (compiled), its value and stops only: for bounds."""
    with _due_times(problem, with_due):
        return optimum(problem, objective, full_refuel=req.full_refuel, upper=upper)


@contextlib.contextmanager
def _due_times(problem: RefuelProblem, with_due: bool) -> Iterator[None]:
    """The problem's due times while the block runs, or none if ``with_due`` is false."""
    saved = problem.wp_due_h
    if not with_due:
        problem.wp_due_h = None
    try:
        yield
    finally:
        problem.wp_due_h = saved


def _solve_or_late(
    req: TripRequest, run: Any
) -> tuple[RefuelSolution | None, RefuelSolution | None]:
    """The optimum, or (None, the best plan without due times) when only due times fail."""
    sol = run(req.objective, True)
    if sol is None and any(w.due is not None for w in req.waypoints):
        return None, run("time", False)
    return sol, None


def _finish(
    graph: RoadGraph,
    req: TripRequest,
    stations: list[Station],
    st_nodes: np.ndarray,
    st_snap: np.ndarray,
    sol: RefuelSolution,
    problem: RefuelProblem,
    engine: PathEngine | None,
) -> TripPlan:
    segments, leg_rows = _build_route(
        graph, req, stations, st_nodes, np.asarray(st_snap, dtype=float), sol, problem, engine
    )
    plan = TripPlan(
        request=req,
        stations=stations,
        station_snap_km=[float(x) for x in st_snap],
        solution=sol,
        segments=segments,
        legs=leg_rows,
        graph_name=graph.name,
        attribution=graph.attribution or OSM_ATTRIBUTION,
    )
    plan.notices = notices(plan)
    return plan


class _Scaled:
    """Distances of one trip over a station graph, and exact solves on station subsets."""

    def __init__(
        self,
        graph: RoadGraph,
        stations: list[Station],
        req: TripRequest,
        st_nodes: np.ndarray,
        st_snap: np.ndarray,
        station_graph: StationGraph | None,
    ) -> None:
        self.req, self.stations = req, stations
        self.attrs = _station_arrays(stations)
        truck = req.truck
        need_km = truck_range_km(truck)
        if station_graph is None:
            sg = _cached_graph(graph, st_nodes, self.attrs, need_km)
        else:
            sg = station_graph
            if (
                sg.graph is not graph
                or sg.n != len(stations)
                or not np.array_equal(sg.nodes, st_nodes)
            ):
                raise OptionError(
                    "station_graph was built for other stations or another road graph than "
                    "the ones given to plan_trip"
                )
            if (
                sg.range_km
                < (truck.tank_kg - req.reserve_kg)
                / (min(truck.kg_per_100km, truck.kg_per_100km_empty) / 100.0)
                - 1e-9
            ):
                raise OptionError(
                    f"station_graph has a range of {sg.range_km:g} km, shorter than what truck "
                    f"type {truck.id} drives on one tank"
                )
        self.sg = sg
        self.a_wp = np.array([w.snap_km for w in req.waypoints], dtype=float)
        self.a_st = np.asarray(st_snap, dtype=float)
        rate = [
            (truck.kg_per_100km if ld else truck.kg_per_100km_empty) / 100.0 for ld in req.loaded
        ]
        self.spec = TripSpec(
            np.array([w.node for w in req.waypoints], dtype=np.int64),
            np.asarray(rate, dtype=float),
            float(truck.tank_kg),
            max(float(req.start_kg), float(req.reserve_kg)),  # below: refused before solving
            float(req.reserve_kg),
            float(truck.speed_kmh),
        )
        self.dist = sg.trip_distances(self.spec)
        road = self.dist.wp_km  # (L + 1, n), inf unreachable
        self.road = road
        L = self.spec.n_legs
        a = self.a_wp
        # the same sums, in the same order, as the all-pairs path
        self.leg_km = np.array(
            [(self.dist.leg_m[k] / 1000.0 + a[k]) + a[k + 1] for k in range(L)], dtype=float
        )
        self.leg_km[self.dist.leg_m < 0] = np.inf
        self.wp_to_st = (road[:L] + a[:L, None]) + self.a_st[None, :]
        self.st_to_wp = (road[1:] + self.a_st[None, :]) + a[1:, None]
        # the same distances with the off-road access, rounded down to whole metres: still
        # lower bounds of every hop, so the candidate filter stays exact and gets sharper
        with np.errstate(invalid="ignore"):
            acc_m = np.floor((road + a[:, None] + self.a_st[None, :]) * 1000.0)
        acc_m[~np.isfinite(acc_m)] = -1
        leg_acc = np.floor(np.where(np.isfinite(self.leg_km), self.leg_km, -0.001) * 1000.0)
        self.dist_access = TripDistances(acc_m.astype(np.int64), leg_acc.astype(np.int64))

    def problem(self, sub: np.ndarray, leg_mask: np.ndarray | None = None) -> RefuelProblem:
        """The request's problem over the stations ``sub`` (hops beyond the range: ``inf``)."""
        a = self.a_st[sub]
        st_st = (self.sg.dense_km(sub) + a[:, None]) + a[None, :]
        wp_to_st = self.wp_to_st[:, sub].copy()
        st_to_wp = self.st_to_wp[:, sub].copy()
        if leg_mask is not None:
            wp_to_st[~leg_mask] = np.inf
            st_to_wp[~leg_mask] = np.inf
        attrs = {k: v[sub] for k, v in self.attrs.items()}
        return _problem(
            self.req,
            [self.stations[int(j)] for j in sub],
            self.leg_km,
            wp_to_st,
            st_to_wp,
            st_st,
            attrs,
        )

    def solve(self, objective: Objective, with_due: bool) -> RefuelSolution | None:
        """The exact optimum over all stations, solved on the stations that can matter."""
        req, sg, spec = self.req, self.sg, self.spec
        paths = self._quick_paths()
        if all(p is None for p in paths):
            return None  # not even full tanks on road km alone reach the destination
        sub = np.unique([j for p in paths if p is not None for _, j in p.stops]).astype(np.int64)
        if sg.n > 2 * QUICK_STATIONS:
            sub = np.union1d(sub, self._best_near_route(objective)).astype(np.int64)
        no_due = not with_due or all(w.due is None for w in req.waypoints)
        cost_rests = objective == "cost" and req.rest.enabled and no_due
        bound_p = self.problem(sub)
        if cost_rests:  # without due times rests change neither which plans exist nor
            bound_p.rest = RestRules.off()  # what they cost: the same money, sooner
            bound_p.wp_due_h = None
        bound = _optimum_dense(bound_p, req, objective, with_due)
        upper = math.inf
        if bound is not None:
            value = bound.duration_h if objective == "time" else bound.cost
            upper = value + 1e-6 * max(1.0, abs(value))  # covers the search's key rounding
        cand = candidate_stations(
            sg,
            spec,
            objective,
            upper,
            self.dist_access,
            rest=req.rest if objective == "time" else None,
        )
        mask = cand.leg_mask
        upper_time = math.inf
        if cost_rests:
            sharper, money, upper_time = self._cost_tie_mask(mask, upper)
            if sharper is None:
                return None
            mask, upper = sharper, min(upper, money)
        keep = np.flatnonzero(mask.any(axis=0)).astype(np.int64)
        sol = _solve_dense(
            self.problem(keep, mask[:, keep]), req, objective, with_due, upper, upper_time
        )
        if sol is not None:
            for s in sol.stops:
                s.station = int(keep[s.station])
            for b in sol.breaks:
                if b.station is not None:
                    b.station = int(keep[b.station])
        return sol

    def _best_near_route(self, objective: Objective) -> np.ndarray:
        """Per leg the :data:`BOUND_STATIONS` stations of least detour among the cheapest
        (``cost``) or fastest-filling (``time``) ones, and as many of least detour overall:
        with the full-refuel paths' stops they make the few stations the bound is solved on
        (the lower that bound, the fewer stations the exact filter keeps)."""
        detour = self.road[:-1] + self.road[1:]  # (L, n), inf where unreachable
        attr = self.attrs["price"] if objective == "cost" else self.attrs["fill_h_per_kg"]
        best = attr <= float(attr.min()) + 1e-12
        picks = []
        for row in detour:
            for pool in (np.where(best, row, np.inf), row):
                first = np.argsort(pool, kind="stable")[:BOUND_STATIONS]
                picks.append(first[np.isfinite(pool[first])])
        return np.unique(np.concatenate(picks)).astype(np.int64)

    def _quick_paths(self) -> list[StopPlan | None]:
        """Full-refuel paths (time, cost) whose stops seed the bound of :meth:`solve`.

        Any feasible plan gives a valid bound, so with many stations the paths are first
        searched over the :data:`QUICK_STATIONS` stations of least detour per leg, then
        four times as many, and so on; only when neither exists there are all stations
        searched (which also decides that no plan exists).
        """
        sg, spec, dist = self.sg, self.spec, self.dist
        objectives: tuple[Objective, Objective] = ("time", "cost")
        road = self.road
        detour = road[:-1] + road[1:]  # (L, n), inf where unreachable
        order = np.argsort(detour, axis=1, kind="stable")
        reachable = np.isfinite(detour).any(axis=0)
        k = QUICK_STATIONS
        while 2 * k < sg.n:
            keep = np.zeros(sg.n, dtype=bool)
            keep[order[:, :k].ravel()] = True
            keep &= reachable
            quick = [full_refuel_path(sg, spec, obj, dist, keep=keep) for obj in objectives]
            if any(p is not None for p in quick):
                return quick
            k *= 4
        return [full_refuel_path(sg, spec, obj, dist) for obj in objectives]

    def _cost_tie_mask(
        self, mask: np.ndarray, upper: float = math.inf
    ) -> tuple[np.ndarray | None, float, float]:
        """Sharpen the cost filter with a time bound, for rest rules without due times.

        Without due times, rests change neither which plans exist nor what they cost, so
        the cheapest money ``M`` is that of the plan without rests. Solving with rests on
        that plan's stops gives a plan costing ``M`` that takes ``T`` hours; the optimum
        (cheapest, then quickest) costs ``M`` and takes at most ``T``, so its stops also
        pass the time filter with bound ``T``. ``None`` when no plan exists. ``upper``
        bounds the money of the optimum with rests, hence ``M`` too, and prunes that solve.
        Also returns ``M`` and ``T`` (with slack; ``inf`` when not found), which bound the
        optimum's money and hours: the final search drops labels whose bounds exceed them.
        """
        req, sg, spec = self.req, self.sg, self.spec
        keep = np.flatnonzero(mask.any(axis=0)).astype(np.int64)
        relaxed = self.problem(keep, mask[:, keep])
        relaxed.rest = RestRules.off()
        relaxed.wp_due_h = None
        cheap = optimum(relaxed, "cost", full_refuel=req.full_refuel, upper=upper)
        if cheap is None:
            return None, math.inf, math.inf
        sub = np.unique([int(keep[j]) for _, j in cheap.stops]).astype(np.int64)
        timed = _optimum_dense(self.problem(sub), req, "cost", False)
        money = cheap.cost + 1e-6 * max(1.0, abs(cheap.cost))
        if timed is None or timed.cost > money:
            return mask, math.inf, math.inf  # not expected; the cost filter alone stays exact
        hours = timed.duration_h + 1e-6 * max(1.0, timed.duration_h)
        by_cost = candidate_stations(sg, spec, "cost", money, self.dist_access)
        by_time = candidate_stations(sg, spec, "time", hours, self.dist_access, rest=req.rest)
        return mask & by_cost.leg_mask & by_time.leg_mask, money, hours

    def full_problem(self) -> RefuelProblem:
        """The problem over every station (hops beyond the graph's range: ``inf``)."""
        return self.problem(np.arange(self.sg.n, dtype=np.int64))

    def station_row(self, i: int) -> np.ndarray:
        """Exact km from station ``i`` to every station, as the all-pairs path has them."""
        m = self.sg.distances_from(int(self.sg.nodes[i])).astype(float)
        km = m / 1000.0
        km[m < 0] = np.inf
        return (km + self.a_st[i]) + self.a_st


def _plan_scaled(
    graph: RoadGraph,
    stations: list[Station],
    req: TripRequest,
    st_nodes: np.ndarray,
    st_snap: np.ndarray,
    station_graph: StationGraph | None,
) -> TripPlan:
    ctx = _Scaled(graph, stations, req, st_nodes, st_snap, station_graph)
    _check_legs(graph, req, ctx.leg_km)
    sol, late = _solve_or_late(req, ctx.solve)
    if sol is None:
        if late is not None:
            raise _late_error(req, late, _due(req), _midnight(req.depart))
        problem = ctx.full_problem()
        message, details = diagnose(problem, req, stations, station_row=ctx.station_row)
        raise InfeasibleTripError(message, details)
    return _finish(
        graph, req, stations, st_nodes, st_snap, sol, ctx.problem(np.zeros(0, dtype=np.int64)), None
    )


def _late_error(
    req: TripRequest, late: RefuelSolution, due: np.ndarray, day0: datetime
) -> InfeasibleTripError:
    """The due time no plan meets, from the best plan without due times."""
    for v in late.visits:
        if v.arrive_h > due[v.index] + 1e-9:
            w = req.waypoints[v.index]
            arrive = day0 + timedelta(hours=v.arrive_h)
            assert w.due is not None
            return InfeasibleTripError(
                f"no plan reaches {w.name} by its due time {w.due:%Y-%m-%d %H:%M%z}: the earliest "
                f"arrival is {arrive:%Y-%m-%d %H:%M%z}",
                {
                    "late": {
                        "waypoint": v.index,
                        "name": w.name,
                        "arrive": timeutil.iso(arrive),
                        "due": timeutil.iso(w.due),
                    }
                },
            )
    return InfeasibleTripError("no plan meets the waypoints' due times")


def notices(plan: TripPlan) -> list[str]:
    """Human sentences about long waits, daily rests and breaks, in trip order."""
    sol, req = plan.solution, plan.request
    out: list[tuple[float, str]] = []
    for s in sol.stops:
        if s.wait_h >= LONG_WAIT_H - 1e-9:
            st = plan.stations[s.station]
            start = _clock(plan.at(s.arrive_h + s.wait_h))
            if s.queue_h <= 1e-9:
                why = f"for it to open at {start}"
            elif s.wait_h - s.queue_h <= 1e-9:
                why = f"in the expected queue, filling from {start}"
            else:
                why = (
                    f"for it to open and {s.queue_h:.1f} h of it in the expected queue, "
                    f"filling from {start}"
                )
            out.append((s.arrive_h, f"waits {s.wait_h:.1f} h at {st.name} {why}"))
    for v in sol.visits:
        wait = v.depart_h - v.arrive_h
        if wait >= LONG_WAIT_H - 1e-9:
            w = req.waypoints[v.index]
            out.append(
                (
                    v.arrive_h,
                    f"waits {wait:.1f} h at {w.name} until its ready time "
                    f"{_clock(plan.at(v.depart_h))}",
                )
            )
    for b in sol.breaks:
        if b.kind != "daily-rest":
            continue
        if b.station is not None:
            where = f"at {plan.stations[b.station].name}"
        elif b.waypoint is not None:
            where = f"at {req.waypoints[b.waypoint].name}"
        else:
            where = "on the road"
        out.append(
            (
                b.start_h,
                f"daily rest of {b.minutes / 60:.1f} h after {b.driven_h:.1f} h of driving at "
                f"km {b.km_from_start:.0f} {where}, from {_clock(plan.at(b.start_h))}",
            )
        )
    brk = [b for b in sol.breaks if b.kind == "break"]
    if brk:
        at_stops = sum(b.station is not None for b in brk)
        out.append(
            (
                math.inf,
                f"{len(brk)} break(s) of at least {req.rest.break_min:g} min, {at_stops} of them "
                f"at refuelling stops",
            )
        )
    out.sort(key=lambda x: x[0])
    return [text for _, text in out]


def _build_route(
    graph: RoadGraph,
    req: TripRequest,
    stations: list[Station],
    st_nodes: np.ndarray,
    st_snap: np.ndarray,
    sol: RefuelSolution,
    p: RefuelProblem,
    engine: PathEngine | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Road geometry of every segment (with the off-road access) and the per-leg summary."""
    segments: list[dict[str, Any]] = []
    leg_rows: list[dict[str, Any]] = []
    day0 = _midnight(req.depart)
    visit = {v.index: v for v in sol.visits}
    for k in range(len(req.waypoints) - 1):
        stops_k = [s for s in sol.stops if s.leg == k]
        a_w, b_w = req.waypoints[k], req.waypoints[k + 1]
        points: list[tuple[int, float, list[float]]] = [(a_w.node, a_w.snap_km, [a_w.lon, a_w.lat])]
        for s in stops_k:
            st = stations[s.station]
            points.append((int(st_nodes[s.station]), float(st_snap[s.station]), [st.lon, st.lat]))
        points.append((b_w.node, b_w.snap_km, [b_w.lon, b_w.lat]))
        km_total = 0.0
        for (a, snap_a, pa), (b, snap_b, pb) in itertools.pairwise(points):
            km, nodes = graph.path(a, b, engine=engine)
            km += snap_a + snap_b
            km_total += km
            coords = graph.geometry(nodes or [a])
            if snap_a > 0:
                coords.insert(0, pa)
            if snap_b > 0:
                coords.append(pb)
            segments.append({"leg": k, "km": km, "coordinates": coords})
        leave, reach = visit[k].depart_h, visit[k + 1].arrive_h
        loaded = req.loaded[k]
        tonnes = (req.tonnes if req.tonnes is not None else req.truck.payload_t) if loaded else 0.0
        leg_rows.append(
            {
                "index": k,
                "from": a_w.name,
                "to": b_w.name,
                "distance_km": round(km_total, 3),
                "depart": timeutil.iso(day0 + timedelta(hours=leave)),
                "arrive": timeutil.iso(day0 + timedelta(hours=reach)),
                "duration_h": round(reach - leave, 4),
                "drive_h": round(km_total / p.speed_kmh, 4),
                "h2_kg": round(km_total * float(p.kg_per_km[k]), 3),
                "loaded": loaded,
                "tonnes": tonnes,
                "stops": [stations[s.station].id for s in stops_k],
                "breaks": sum(b.leg == k for b in sol.breaks),
            }
        )
    return segments, leg_rows


def diagnose(
    p: RefuelProblem,
    req: TripRequest,
    stations: list[Station],
    station_row: Callable[[int], np.ndarray] | None = None,
) -> tuple[str, dict[str, Any]]:
    """Explain why no plan exists: the first stretch beyond range and nearby stations.

    ``station_row(i)`` gives the exact km from station ``i`` to every station when
    ``p.st_st`` only holds the hops within range (the scaled planner's problem): the
    reachability needs only those, the message's stretch and nearest stations the row of
    the last station reached.
    """
    hops = StopGraph(p)
    n = hops.n
    dest_name = req.waypoints[-1].name

    def name(node: int) -> str:
        if node == 0:
            return req.waypoints[0].name
        if node == hops.dest:
            return dest_name
        return stations[hops.leg_station(node)[1]].name

    def remaining_km(node: int) -> float:
        if node == 0:
            return float(hops.wp_rest_km[0])
        if node == hops.dest:
            return 0.0
        k, i = hops.leg_station(node)
        return float(p.st_to_wp[k, i] + hops.wp_rest_km[k + 1])

    # reachability with the most fuel possible at each stop
    reached = {0}
    frontier = [0]
    while frontier:
        node = frontier.pop()
        succ, _, kg = hops.out_arcs(node)
        avail = (p.start_kg if node == 0 else p.tank_kg) - p.reserve_kg
        for b in succ[kg <= avail + 1e-9]:
            if int(b) not in reached:
                reached.add(int(b))
                frontier.append(int(b))
    best = min(reached, key=remaining_km)
    if station_row is not None and best not in (0, hops.dest):
        i_best = hops.leg_station(best)[1]
        p.st_st = p.st_st.copy()
        p.st_st[i_best] = station_row(i_best)
    succ, km, kg = hops.out_arcs(best)
    progress = np.array([remaining_km(int(b)) < remaining_km(best) - 1e-9 for b in succ])
    cand = np.flatnonzero(progress)
    nxt = int(cand[np.argmin(km[cand])]) if cand.size else int(np.argmax(succ == hops.dest))
    avail = (p.start_kg if best == 0 else p.tank_kg) - p.reserve_kg
    k_leg = 0 if best == 0 else hops.leg_station(best)[0]
    rate = float(p.kg_per_km[k_leg])
    range_km = avail / rate if rate > 0 else float("inf")
    # nearest stations to the last reachable point
    if best == 0:
        near_km = p.wp_to_st[0] if n else np.zeros(0)
    else:
        near_km = p.st_st[hops.leg_station(best)[1]]
    order = [
        int(j) for j in np.argsort(near_km) if best == 0 or int(j) != hops.leg_station(best)[1]
    ]
    nearest = [
        {"station_id": stations[j].id, "name": stations[j].name, "km": round(float(near_km[j]), 1)}
        for j in order[:3]
    ]
    fuel_word = f"{avail:.1f} kg above the {p.reserve_kg:g} kg reserve"
    if best == 0:
        fuel_word = f"starting with {p.start_kg:g} kg it has {fuel_word}"
    else:
        fuel_word = f"a full {p.tank_kg:g} kg tank gives {fuel_word}"
    near_text = (
        ", ".join(f"{s['name']} {s['km']:.0f} km" for s in nearest) or "none in the scenario"
    )
    message = (
        f"No refuelling plan reaches {dest_name}: the stretch from {name(best)} to "
        f"{name(int(succ[nxt]))} is {km[nxt]:.0f} km and needs {kg[nxt]:.1f} kg, but "
        f"{fuel_word} ({range_km:.0f} km of range). Nearest stations to {name(best)}: {near_text}."
    )
    details = {
        "stretch": {
            "from": name(best),
            "to": name(int(succ[nxt])),
            "km": round(float(km[nxt]), 1),
            "kg_needed": round(float(kg[nxt]), 2),
            "kg_available": round(avail, 2),
            "range_km": round(range_km, 1),
        },
        "nearest_stations": nearest,
        "reachable_stations": sorted({name(b) for b in reached if b not in (0, hops.dest)}),
    }
    return message, details
