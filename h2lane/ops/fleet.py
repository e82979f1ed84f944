"""What the live service asks about the fleet: station positions, whether a truck can still
reach a station (the range rule), the next planned stop (the range warning), and the trucks
heading to a station (an incident's ``affected``).

Each reads the database's scenario and stored plans; none writes.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, desc, select
from sqlalchemy.engine import Engine

from h2lane.errors import H2laneError
from h2lane.ops.alarms.engine import ReachVerdict
from h2lane.ops.db.live_tables import device_state, refuel_events
from h2lane.ops.telemetry.messages import Reading
from h2lane.params import FCET_H2_LOADED
from h2lane.roads.geo import haversine_km

log = logging.getLogger("h2lane.ops.fleet")


ROAD_FACTOR_APPROX = 1.3
"""Road km ÷ straight-line km used for alternatives when no road query is given (typical
detour factor for trunk roads, K)."""


def affected_trucks(conn: Connection, station: str, when: datetime) -> dict[str, Any]:
    """Trucks heading to ``station`` on stored plans, and the nearest alternatives for each.

    A truck is heading there if a finished plan job (newest first, one plan per truck) has a
    refuelling stop at the station and no refuel of that truck at the station has been
    detected since. Alternatives: the other scenario stations nearest to the truck's last
    reported position (straight line × 1.3, marked approximate), with whether its hydrogen
    reaches them keeping a 2 kg reserve.
    """
    from h2lane.ops.db.models import SECTION_TABLES, plan_jobs

    table = SECTION_TABLES["stations"]
    stations = {
        r.id: (r.lat, r.lon, r.name)
        for r in conn.execute(select(table.c.id, table.c.lat, table.c.lon, table.c.name))
    }
    refuelled = {
        r.device
        for r in conn.execute(
            select(refuel_events.c.device).where(refuel_events.c.station == station)
        )
    }
    heading: dict[str, dict[str, Any]] = {}
    jobs = conn.execute(
        select(plan_jobs.c.id, plan_jobs.c.result).where(plan_jobs.c.status == "done")
        .order_by(desc(plan_jobs.c.finished_at)).limit(100)
    ).all()  # fmt: skip
    for job in jobs:
        for i, route in enumerate((job.result or {}).get("routes", [])):
            truck = route.get("truck_id") or f"truck-{i + 1}"
            if truck in heading or truck in refuelled:
                continue
            stop = next((s for s in route.get("stops", []) if s.get("station_id") == station), None)
            if stop is None:
                continue
            rate = ((route.get("truck") or {}).get("kg_per_100km") or 9.0) / 100.0
            heading[truck] = {"truck": truck, "plan": job.id, "planned_arrive": stop.get("arrive"),
                              "planned_refuel_kg": stop.get("refuel_kg"), "rate": rate}  # fmt: skip
    states = {
        r.device: json.loads(r.state)
        for r in conn.execute(select(device_state).where(device_state.c.device.in_(list(heading))))
    } if heading else {}  # fmt: skip
    trucks = []
    for truck, info in heading.items():
        rate = info.pop("rate")
        state = states.get(truck)
        entry: dict[str, Any] = {**info, "position": None, "h2_kg": None, "alternatives": []}
        if state and state.get("lat") is not None:
            pos = (float(state["lat"]), float(state["lon"]))
            h2 = float(state.get("h2_kg") or 0.0)
            entry["position"], entry["h2_kg"] = [pos[0], pos[1]], h2
            options = sorted(
                (float(haversine_km(pos[0], pos[1], lat, lon)) * ROAD_FACTOR_APPROX, sid, name)
                for sid, (lat, lon, name) in stations.items()
                if sid != station and lat is not None and lon is not None
            )[:3]
            entry["alternatives"] = [
                {"station": sid, "name": name, "km": round(km, 1), "approximate": True,
                 "reachable": h2 - 2.0 >= km * rate}
                for km, sid, name in options
            ]  # fmt: skip
        trucks.append(entry)
    return {
        "station": station,
        "name": stations.get(station, (None, None, station))[2],
        "trucks": trucks,
    }


class ScenarioReach:
    """The range rule's query on the database's scenario: can this truck reach a station?

    A :class:`~h2lane.routing.reach.StationReach` table over the scenario's road graph and
    stations; consumption is the truck's type's (loaded) kg/100 km, else the Pengfei default. A
    station out of service — one with a critical or emergency alarm open (a leak, an ESD) —
    does not count; opening hours do (a truck may wait for a station to open: that is the trip
    planner's business, not an alarm). The ``k = 5`` nearest stations by road are looked at.

    What it knows of the scenario (station positions, truck rates, the reach table) is cached
    and re-read only when :func:`~h2lane.ops.db.store.scenario_version` changes — every write
    to a scenario record and every import is audited, by any process — which :meth:`sync`
    checks in the caller's transaction (one index lookup; ingest calls it once per
    transaction); the reach table is rebuilt only when the roads or a station's position
    changed.
    """

    K = 5

    def __init__(self, db: Engine) -> None:
        self.db = db
        self._version: int | None = None
        self._key: tuple[Any, ...] | None = None
        self._reach: Any = None
        self._rates: dict[str, float] = {}
        self._stations: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self.loads = 0
        """Times the scenario was read (a test counts them)."""
        self.out_of_service: Callable[[], set[str]] = set

    def sync(self, conn: Connection) -> None:
        """Re-read the scenario on ``conn`` if it changed since the last look."""
        from h2lane.ops.db import store

        version = store.scenario_version(conn)
        if version == self._version:
            return
        with self._lock:
            try:
                self._load(conn, version)
            finally:
                self._version = version  # a scenario that cannot be read is retried when it changes

    def stations_of(self, conn: Connection) -> dict[str, tuple[float, float]]:
        """Station positions of the scenario (for matching detected refuels), synced first."""
        try:
            self.sync(conn)
        except Exception as exc:  # no scenario tables: no stations to match, and say why
            log.warning("scenario stations: %s", exc)
        return self._stations

    def _load(self, conn: Connection, version: int) -> None:
        from h2lane.ops.db import store
        from h2lane.roads.graph import RoadGraph
        from h2lane.routing.reach import StationReach

        scenario = store.load_scenario(conn)
        self.loads += 1
        key = (scenario.roads, tuple((s.id, s.lat, s.lon) for s in scenario.stations))
        types = {t.id: t for t in scenario.truck_types}
        self._rates = {t.id: types[t.type].kg_per_100km for t in scenario.trucks if t.type in types}
        self._stations = {
            s.id: (float(s.lat), float(s.lon))
            for s in scenario.stations
            if s.lat is not None and s.lon is not None
        }
        if key != self._key:
            # the graph's own arrays only: no contraction hierarchy, whose queries are bound
            # to the thread that made them (ingest runs on any thread of the pool)
            self._reach = StationReach(RoadGraph.load(scenario.roads), scenario.stations, k=self.K)
            self._key = key

    def _ready(self) -> None:
        """Read the scenario once if nothing has synced yet (a caller without ingest)."""
        if self._version is None:
            with self.db.connect() as conn:
                self.sync(conn)

    def rate(self, device: str) -> float:
        """kg H2 per 100 km of the truck's type (loaded), else the Pengfei default."""
        return self._rates.get(device, FCET_H2_LOADED.value)

    def __call__(self, r: Reading, reserve_kg: float) -> ReachVerdict | None:
        if r.lat is None or r.lon is None or r.h2_kg is None:
            return None
        try:
            self._ready()
        except Exception as exc:  # no scenario or graph: the rule stays silent, and says why
            log.warning("range rule: %s", exc)
            return None
        with self._lock:
            if self._reach is None or not self._reach.ids:
                return None
            try:
                result = self._reach.query((r.lat, r.lon), r.h2_kg, self.rate(r.device), reserve_kg)
            except H2laneError:
                return None  # off the road graph
        usable = max(0.0, r.h2_kg - reserve_kg)
        down = self.out_of_service()
        candidates = [n for n in result.nearest if n[0] not in down]
        for sid, km, kg in candidates:
            if kg <= usable + 1e-9:
                return ReachVerdict(True, sid, km, kg)
        if candidates:
            sid, km, kg = candidates[0]
            return ReachVerdict(False, sid, km, kg)
        return ReachVerdict(False)


class PlannedStops:
    """The range warning's query: road km from a truck to its next planned refuelling stop.

    The truck's plan is the newest finished plan job with a route for it; the route's road
    polyline is drawn once per plan (on ``run_on_graph``, the thread that may use the road
    graph's hierarchy) and each position is projected onto it, never going back along it, as
    plan versus actual does. No plan, or past its last stop: no answer (the rule stays quiet).
    """

    def __init__(self, db: Engine, run_on_graph: Callable[[Callable[[], Any]], Any]) -> None:
        self.db, self.run_on_graph = db, run_on_graph
        self._plans: dict[str, tuple[str, Any, list[tuple[float, str]]]] = {}
        self._at: dict[str, tuple[str, int, float]] = {}  # truck → (job, segment, line km)
        self._checked = 0.0
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        from h2lane.ops.db.models import plan_jobs

        now = time.monotonic()
        if now - self._checked < 60.0:
            return
        self._checked = now
        with self.db.connect() as conn:
            jobs = conn.execute(
                select(plan_jobs.c.id, plan_jobs.c.result).where(plan_jobs.c.status == "done")
                .order_by(desc(plan_jobs.c.finished_at)).limit(20)
            ).all()  # fmt: skip
        known = {job for job, _, _ in self._plans.values()}
        for job in reversed(jobs):  # oldest first: the newest plan of a truck wins
            doc = job.result or {}
            if job.id in known or not doc.get("routes"):
                continue
            try:
                _, _, trucks = self.run_on_graph(functools.partial(_planned, doc))
            except Exception as exc:  # a plan without clock times or off the graph: skip it
                log.info("plan %s has no replayable routes: %s", job.id, exc)
                continue
            for t in trucks:
                stops = sorted(
                    (float(s["km_from_start"]), s["station_id"])
                    for s in doc["routes"][t.route]["stops"]
                )
                self._plans[t.device] = (job.id, t, stops)

    def __call__(self, r: Reading) -> tuple[str, float] | None:
        if r.lat is None or r.lon is None:
            return None
        with self._lock:
            try:
                self._refresh()
            except Exception as exc:
                log.warning("next-stop rule: %s", exc)
                return None
            plan = self._plans.get(r.device)
            if plan is None:
                return None
            job, truck, stops = plan
            prev = self._at.get(r.device)
            seg, at = (prev[1], prev[2]) if prev and prev[0] == job else (0, 0.0)
            seg, at = truck.advance(seg, at, r.lat, r.lon, 50.0)
            self._at[r.device] = (job, seg, at)
        km_now = at / truck.scale if truck.scale > 0 else 0.0
        for km, station in stops:
            if km > km_now + 0.5:
                return station, km - km_now
        return None


def _planned(doc: dict[str, Any]) -> Any:
    """The plan's trucks on the road graph (call on the road-graph thread)."""
    from h2lane.ops.api.deps import graph_for
    from h2lane.ops.replay import plan_trucks

    return plan_trucks(doc, graph_for(doc.get("road_graph") or "north-china"))
