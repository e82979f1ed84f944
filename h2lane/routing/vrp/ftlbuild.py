"""A scenario's freight orders and fleet as an :class:`~h2lane.routing.vrp.ftl.FTLInstance`.

Locations are the distinct places of the depots, origins and destinations; they and the
stations are snapped to the road graph once and one many-to-many shortest-path matrix gives
every km (off-road access added at both ends, as the trip planner counts it). Times become
hours after midnight (China time) of the first day that matters (the earliest ready time or
the default departure).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from h2lane import timeutil
from h2lane.errors import InfeasibleTripError, RoadNetworkError
from h2lane.roads.graph import MAX_SNAP_KM, RoadGraph
from h2lane.routing.rest import RestRules
from h2lane.routing.vrp.ftl import (
    FTLInstance,
    FTLObjective,
    FTLOrder,
    FTLStation,
    FTLTruck,
    FTLTruckType,
)
from h2lane.scenario.io import parse_latlon
from h2lane.scenario.model import Scenario, Station


@dataclass(slots=True)
class Built:
    """The instance and how to map its hours back to clock times."""

    instance: FTLInstance
    day0: datetime

    def at(self, hours: float) -> datetime:
        return self.day0 + timedelta(hours=hours)


def _latlon(scen: Scenario, text: str) -> tuple[float, float]:
    place = scen.place(text)
    if place is not None:
        return place.lat, place.lon
    latlon = parse_latlon(text)
    if latlon is None:
        raise InfeasibleTripError(f"'{text}' is neither a place of the scenario nor 'lat,lon'")
    return latlon


def build_instance(
    scen: Scenario,
    graph: RoadGraph,
    *,
    stations: list[Station] | None = None,
    objective: FTLObjective = "time",
    reserve_kg: float = 5.0,
    default_depart: datetime | None = None,
    rest: RestRules | None = None,
    return_to_depot: bool = True,
    load_h: float = 0.0,
    unload_h: float = 0.0,
) -> Built:
    """The FTL instance of a scenario (orders without a ready time are ready at ``default_depart``)."""
    stations = scen.stations if stations is None else stations
    rest = RestRules() if rest is None else rest
    depart = timeutil.parse_datetime(default_depart) if default_depart else None
    if depart is None:
        depart = timeutil.at(timeutil.today(), 8)
    readies = [timeutil.parse_datetime(o.ready) for o in scen.orders if o.ready]
    first = min([depart, *[r for r in readies if r is not None]])
    day0 = first.astimezone(timeutil.CHINA).replace(hour=0, minute=0, second=0, microsecond=0)

    def hours(value: object, default: float) -> float:
        dt = timeutil.parse_datetime(value) if value else None
        return default if dt is None else (dt - day0).total_seconds() / 3600.0

    names: list[str] = []
    index: dict[str, int] = {}
    points: list[tuple[float, float]] = []

    def loc(text: str) -> int:
        key = text.strip()
        place = scen.place(key)
        label = place.name if place is not None else key
        if label not in index:
            index[label] = len(names)
            names.append(label)
            points.append(_latlon(scen, key))
        return index[label]

    for tr in scen.trucks:
        loc(tr.depot)
    for o in scen.orders:
        loc(o.origin)
        loc(o.destination)
    lat = np.array([p[0] for p in points] + [s.lat for s in stations], dtype=float)
    lon = np.array([p[1] for p in points] + [s.lon for s in stations], dtype=float)
    nodes, snap = graph.snap_many(lat, lon)
    far = np.flatnonzero(snap > MAX_SNAP_KM)
    if len(far):
        i = int(far[0])
        what = names[i] if i < len(names) else f"station '{stations[i - len(names)].id}'"
        raise RoadNetworkError(
            f"{what} is {snap[i]:.1f} km from the nearest road of the '{graph.name}' graph "
            f"(limit {MAX_SNAP_KM:g} km)"
        )
    km = graph.matrix_km(nodes, nodes) + snap[:, None] + snap[None, :]
    np.fill_diagonal(km, 0.0)
    if not np.all(np.isfinite(km)):
        i, j = (int(x) for x in np.argwhere(~np.isfinite(km))[0])
        raise InfeasibleTripError(f"no road joins point {i} and point {j} of the dispatch")
    ftl_stations = []
    for s in stations:
        open_h, close_h = s.open_window_h()
        ftl_stations.append(
            FTLStation(
                s.id,
                float(s.price),
                s.connect_min / 60.0,
                1000.0 / s.nozzle_flow_g_s / 3600.0,
                float(open_h),
                float(close_h),
            )
        )
    type_index = {t.id: i for i, t in enumerate(scen.truck_types)}
    types = [
        FTLTruckType(
            t.id,
            t.tank_kg,
            t.kg_per_100km / 100.0,
            t.kg_per_100km_empty / 100.0,
            t.payload_t,
            t.speed_kmh,
        )
        for t in scen.truck_types
    ]
    trucks = [
        FTLTruck(tr.id, type_index[tr.type], index[_label(scen, tr.depot)]) for tr in scen.trucks
    ]
    start_h = (depart - day0).total_seconds() / 3600.0
    orders = [
        FTLOrder(
            o.id,
            index[_label(scen, o.origin)],
            index[_label(scen, o.destination)],
            float(o.tonnes),
            ready_h=hours(o.ready, start_h),
            due_h=hours(o.due, math.inf),
            load_h=load_h,
            unload_h=unload_h,
        )
        for o in scen.orders
    ]
    inst = FTLInstance(
        scen.name,
        names,
        ftl_stations,
        km,
        types,
        trucks,
        orders,
        reserve_kg=reserve_kg,
        rest=rest,
        objective=objective,
        return_to_depot=return_to_depot,
    )
    return Built(inst, day0)


def _label(scen: Scenario, text: str) -> str:
    place = scen.place(text.strip())
    return place.name if place is not None else text.strip()
