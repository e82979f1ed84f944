"""Build :class:`~h2lane.plan.PlanDocument` from the planners' results."""

from __future__ import annotations

import itertools
import math
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from h2lane.plan import (
    PlanDocument,
    PlanEvent,
    PlanLeg,
    PlanOrder,
    PlanPlace,
    PlanRoute,
    PlanUnassigned,
    PlanUnits,
)
from h2lane.timeutil import parse_datetime


def _t(value: Any) -> datetime | None:
    return parse_datetime(value) if value else None


def _place(w: dict[str, Any]) -> PlanPlace:
    return PlanPlace(
        name=str(w["name"]), lat=w.get("lat"), lon=w.get("lon"), snap_km=w.get("snap_km")
    )


def route_from_trip(d: dict[str, Any], truck_id: str | None = None) -> PlanRoute:
    """One route from a trip plan's dict (``TripPlan.to_dict``), legs timed one after another."""
    waypoints = d["waypoints"]
    depart = _t(d.get("depart"))
    clock = depart
    legs: list[PlanLeg] = []
    for leg in d["legs"]:
        k = int(leg["index"])
        leg_depart = _t(leg.get("depart")) or clock
        leg_arrive = _t(leg.get("arrive")) or (
            leg_depart + timedelta(hours=float(leg["duration_h"])) if leg_depart else None
        )
        clock = leg_arrive
        legs.append(
            PlanLeg(
                index=k,
                origin=_place(waypoints[k]),
                destination=_place(waypoints[k + 1]),
                depart=leg_depart,
                arrive=leg_arrive,
                distance_km=leg["distance_km"],
                duration_h=leg["duration_h"],
                drive_h=leg.get("drive_h"),
                h2_kg=leg["h2_kg"],
                loaded=bool(leg["loaded"]),
                tonnes=float(leg["tonnes"]) if leg["loaded"] else 0.0,
                truck_id=truck_id,
                order_id=leg.get("order_id"),
                orders=[leg["order_id"]] if leg.get("order_id") else [],
                stops=list(leg.get("stops", [])),
            )
        )
    truck = dict(d["truck"])
    truck["truck_id"] = truck_id or truck.get("truck_id")
    stops = [{k: v for k, v in s.items() if k not in ("leg_depart",)} for s in d.get("stops", [])]
    for s in stops:
        if "depart" not in s and s.get("arrive"):
            minutes = (
                float(s.get("wait_min", 0))
                + float(s.get("refuel_min", 0))
                + float(s.get("rest_min", 0))
            )
            s["depart"] = parse_datetime(s["arrive"]) + timedelta(minutes=minutes)  # type: ignore[operator]
    return PlanRoute.model_validate(
        {
            "truck_id": truck["truck_id"],
            "truck": truck,
            "depart": depart,
            "arrive": _t(d.get("arrive")),
            "distance_km": d["distance_km"],
            "duration_h": d["duration_h"],
            "drive_h": d["drive_h"],
            "h2_kg": d["h2_kg"],
            "refuel_kg": d["refuel_kg"],
            "cost": d["cost"],
            "start_kg": d.get("start_kg"),
            "end_kg": d.get("end_kg"),
            "orders": [],
            "legs": legs,
            "stops": stops,
            "breaks": d.get("breaks", []),
            "geometry": d.get("geometry"),
        }
    )


def trip_document(d: dict[str, Any]) -> PlanDocument:
    """A ``trip`` plan document; each run of loaded legs is one consignment (``trip-1``, …)."""
    route = route_from_trip(d, d.get("truck", {}).get("truck_id"))
    prefix = route.truck_id or "trip"
    orders: list[PlanOrder] = []
    run: list[PlanLeg] = []

    def close() -> None:
        if not run:
            return
        order_id = run[0].order_id or f"{prefix}-{len(orders) + 1}"
        for leg in run:
            leg.order_id = order_id
            leg.orders = [order_id]
        orders.append(
            PlanOrder(
                order_id=order_id,
                origin=run[0].origin,
                destination=run[-1].destination,
                tonnes=run[0].tonnes,
                truck_id=route.truck_id,
                pickup=run[0].depart,
                delivery=run[-1].arrive,
            )
        )
        run.clear()

    for leg in route.legs:
        if leg.loaded and leg.tonnes > 0 and (not run or leg.tonnes == run[-1].tonnes):
            run.append(leg)
        else:
            close()
            if leg.loaded and leg.tonnes > 0:
                run.append(leg)
    close()
    route.orders = [o.order_id for o in orders]
    return _document(
        "trip",
        d,
        [route],
        orders,
        [],
        notices=list(d.get("notices", [])),
    )


def dispatch_document(d: dict[str, Any]) -> PlanDocument:
    """A ``dispatch`` plan document: routes per truck, consignments = the scenario's orders."""
    routes: list[PlanRoute] = []
    orders: list[PlanOrder] = []
    notices: list[str] = list(d.get("notices", []))
    for r in d["routes"]:
        route = route_from_trip(r, r.get("truck_id"))
        schedule = [PlanEvent.model_validate(e) for e in r.get("schedule", [])]
        pickup = {e.order_id: e for e in schedule if e.event == "pickup"}
        delivery = {e.order_id: e for e in schedule if e.event == "delivery"}
        # retime the legs: a loaded leg leaves at its order's pick-up (waiting for ready times)
        clock = route.depart
        for leg in route.legs:
            if leg.depart is not None and leg.arrive is not None:
                clock = leg.arrive
                continue  # timed by the planner (waits for ready times and rests included)
            start = clock
            ready = pickup[leg.order_id].time if leg.order_id in pickup else None
            if ready is not None:
                start = max(start, ready) if start is not None else ready
            leg.depart = start
            leg.arrive = start + timedelta(hours=leg.duration_h) if start else None
            clock = leg.arrive
        for leg in route.legs:
            if leg.order_id is None:
                continue
            p, q = pickup.get(leg.order_id), delivery.get(leg.order_id)
            orders.append(
                PlanOrder(
                    order_id=leg.order_id,
                    origin=leg.origin,
                    destination=leg.destination,
                    tonnes=leg.tonnes,
                    truck_id=route.truck_id,
                    pickup=p.time if p else leg.depart,
                    delivery=q.time if q else leg.arrive,
                    due=q.due if q else None,
                    on_time=q.on_time if q else None,
                )
            )
        route.orders = list(r.get("orders", []))
        route.schedule = schedule
        route.arrive = _t(r.get("finish")) or route.arrive
        route.duration_h = float(r["duration_h"])
        routes.append(route)
        notices.extend(f"{route.truck_id}: {n}" for n in r.get("notices", []))
    unassigned = [PlanUnassigned(**u) for u in d.get("unassigned", [])]
    first = routes[0] if routes else None
    return _document(
        "dispatch",
        {
            **d,
            "refuel_policy": "partial",
            "road_graph": (d["routes"][0].get("road_graph") if d["routes"] else None),
            "attribution": (d["routes"][0].get("attribution") if d["routes"] else None),
            "depart": min((r.depart for r in routes if r.depart), default=None),
            "arrive": max((r.arrive for r in routes if r.arrive), default=None),
            "rest_rules": (d["routes"][0].get("rest_rules") if d["routes"] else None),
        },
        routes,
        orders,
        unassigned,
        notices=notices,
        scenario=d.get("scenario"),
        truck=first,
    )


def _document(
    kind: str,
    d: dict[str, Any],
    routes: list[PlanRoute],
    orders: list[PlanOrder],
    unassigned: list[PlanUnassigned],
    *,
    notices: list[str],
    scenario: str | None = None,
    truck: PlanRoute | None = None,
    units: PlanUnits | None = None,
    solver: dict[str, Any] | None = None,
) -> PlanDocument:
    rest = d.get("rest_rules")
    if isinstance(rest, dict) and not rest.get("enabled", True):
        rest = None  # null: planned without rest rules

    def total(key: str) -> float:
        return round(sum(float(getattr(r, key)) for r in routes), 4)

    return PlanDocument.model_validate(
        {
            "kind": kind,
            "objective": d["objective"],
            "refuel_policy": d.get("refuel_policy", "partial"),
            "rest_rules": rest,
            "scenario": scenario if scenario is not None else d.get("scenario"),
            "road_graph": d.get("road_graph"),
            "attribution": d.get("attribution"),
            "units": units or PlanUnits(),
            "depart": d.get("depart"),
            "arrive": d.get("arrive"),
            "distance_km": total("distance_km"),
            "duration_h": total("duration_h"),
            "drive_h": total("drive_h"),
            "h2_kg": total("h2_kg"),
            "refuel_kg": total("refuel_kg"),
            "cost": round(sum(r.cost for r in routes), 2),
            "trucks_used": len(routes),
            "orders_served": len(orders),
            "orders_unassigned": len(unassigned),
            "routes": routes,
            "orders": orders,
            "unassigned": unassigned,
            "notices": notices,
            "solver": solver,
        }
    )


# --------------------------------------------------------------------------- VRP
def vrp_document(
    inst: Any, sol: Any, report: Any, solver: dict[str, Any], base_day: datetime | None = None
) -> PlanDocument:
    """A ``vrp`` plan document: a route per vehicle, each served customer a consignment.

    Legs run node to node in the instance's units (``units``); clock times are given when the
    time unit is hours (``base_day`` midnight + hours), else left out. A leg's ``tonnes`` is
    the load on board (deliveries from the depot); customers are the consignments.
    """
    from h2lane.routing.vrp.model import CUSTOMER, DEPOT, STATION

    fleet = inst.fleet
    hours = inst.time_unit == "h"
    geographic = _geographic(inst)
    units = PlanUnits(
        distance=inst.distance_unit or "unit",
        time=inst.time_unit or "unit",
        energy=getattr(inst, "energy_unit", "") or ("kg" if inst.distance_unit == "km" else "unit"),
        currency="CNY" if inst.distance_unit == "km" else "unit",
    )

    def clock(t: float) -> datetime | None:
        if not hours or base_day is None or not math.isfinite(t):
            return None
        return base_day + timedelta(hours=float(t))

    def place(v: int) -> PlanPlace:
        return PlanPlace(
            name=str(inst.labels[v]),
            lat=float(inst.y[v]) if geographic else None,
            lon=float(inst.x[v]) if geographic else None,
            node=int(v),
        )

    routes: list[PlanRoute] = []
    orders: list[PlanOrder] = []
    for r, nodes in enumerate(sol.routes):
        vt = fleet[sol.route_types[r]] if sol.route_types else fleet[0]
        on_board = float(sum(inst.demand[v] for v in nodes if inst.kinds[v] == CUSTOMER))
        served = [str(inst.labels[v]) for v in nodes if inst.kinds[v] == CUSTOMER]
        t = float(sol.departures[r]) if sol.departures else 0.0
        energy = float(vt.initial_energy)
        legs: list[PlanLeg] = []
        stops: list[dict[str, Any]] = []
        refuel_total = 0.0
        drive = 0.0
        for pos, (a, b) in enumerate(itertools.pairwise(nodes)):
            km = float(inst.dist[a, b])
            travel = km / vt.speed
            used = km * vt.consumption
            leg_depart = t
            t += travel
            drive += travel
            energy -= used
            arrive_b = t
            if inst.kinds[b] == STATION or (inst.kinds[b] == DEPOT and pos + 2 < len(nodes)):
                wait = float(sol.waits.get((r, pos + 1), 0.0))
                if (r, pos + 1) in sol.refuel_amounts:
                    amount = float(sol.refuel_amounts[(r, pos + 1)])
                elif inst.full_refuel and math.isfinite(vt.tank):
                    amount = max(0.0, vt.tank - energy)
                else:
                    amount = 0.0
                fill = inst.refuel_fixed + inst.refuel_rate * amount if amount > 0 else 0.0
                if amount > 0:
                    stops.append(
                        {
                            "station_id": str(inst.labels[b]),
                            "name": str(inst.labels[b]),
                            "lat": float(inst.y[b]) if geographic else None,
                            "lon": float(inst.x[b]) if geographic else None,
                            "leg": pos,
                            "km_from_start": round(
                                float(
                                    sum(
                                        inst.dist[x, y]
                                        for x, y in itertools.pairwise(nodes[: pos + 2])
                                    )
                                ),
                                3,
                            ),
                            "arrive": clock(arrive_b),
                            "depart": clock(arrive_b + wait + fill),
                            "arrive_kg": round(energy, 3),
                            "refuel_kg": round(amount, 3),
                            "depart_kg": round(energy + amount, 3),
                            "wait_min": round(wait * 60, 2) if hours else 0.0,
                            "refuel_min": round(fill * 60, 2) if hours else 0.0,
                        }
                    )
                refuel_total += amount
                energy += amount
                t += wait + fill
            elif inst.kinds[b] == CUSTOMER:
                t = max(t, float(inst.ready[b])) + float(inst.service[b])
            legs.append(
                PlanLeg(
                    index=pos,
                    origin=place(int(a)),
                    destination=place(int(b)),
                    depart=clock(leg_depart),
                    arrive=clock(arrive_b),
                    distance_km=round(km, 6),
                    duration_h=round(travel, 6),
                    h2_kg=round(used, 6),
                    loaded=on_board > 0,
                    tonnes=round(on_board, 6),
                    truck_id=f"{vt.name}-{r + 1}",
                    order_id=str(inst.labels[b]) if inst.kinds[b] == CUSTOMER else None,
                    orders=[s for s in served if on_board > 0],
                )
            )
            if inst.kinds[b] == CUSTOMER:
                orders.append(
                    PlanOrder(
                        order_id=str(inst.labels[b]),
                        origin=place(int(nodes[0])),
                        destination=place(int(b)),
                        tonnes=float(inst.demand[b]),
                        truck_id=f"{vt.name}-{r + 1}",
                        pickup=clock(float(sol.departures[r]) if sol.departures else 0.0),
                        delivery=clock(arrive_b),
                    )
                )
                on_board -= float(inst.demand[b])
                served.remove(str(inst.labels[b]))
        distance = float(report.route_distance[r]) if r < len(report.route_distance) else 0.0
        duration = float(report.duration[r]) if r < len(report.duration) else t
        routes.append(
            PlanRoute.model_validate(
                {
                    "truck_id": f"{vt.name}-{r + 1}",
                    "depart": clock(float(sol.departures[r]) if sol.departures else 0.0),
                    "arrive": clock(t),
                    "distance_km": round(distance, 6),
                    "duration_h": round(duration if math.isfinite(duration) else t, 6),
                    "drive_h": round(drive, 6),
                    "h2_kg": round(
                        float(sum(inst.dist[a, b] for a, b in itertools.pairwise(nodes)))
                        * vt.consumption,
                        6,
                    ),
                    "refuel_kg": round(refuel_total, 6),
                    "cost": round(float(report.route_cost[r]), 6)
                    if inst.objective == "cost" and r < len(report.route_cost)
                    else 0.0,
                    "start_kg": float(vt.initial_energy)
                    if math.isfinite(vt.initial_energy)
                    else None,
                    "end_kg": round(energy, 6) if math.isfinite(energy) else None,
                    "orders": [str(inst.labels[v]) for v in nodes if inst.kinds[v] == CUSTOMER],
                    "legs": legs,
                    "stops": stops,
                    "nodes": [int(v) for v in nodes],
                }
            )
        )
    unassigned = [
        PlanUnassigned(order_id=str(inst.labels[c]), reason=reason)
        for c, reason in solver.get("unserved_reasons", {}).items()
    ]
    return _document(
        "vrp",
        {
            "objective": inst.objective,
            "refuel_policy": "full" if inst.full_refuel else "partial",
            "rest_rules": solver.get("rest_rules"),
            "scenario": None,
            "road_graph": None,
            "attribution": None,
            "depart": min((r.depart for r in routes if r.depart), default=None),
            "arrive": max((r.arrive for r in routes if r.arrive), default=None),
        },
        routes,
        orders,
        unassigned,
        notices=list(solver.get("notices", [])),
        units=units,
        solver=solver,
    )


def _geographic(inst: Any) -> bool:
    """Whether the instance's x/y are longitude/latitude (G-VRP files, h2lane road/haversine)."""
    x, y = np.asarray(inst.x, dtype=float), np.asarray(inst.y, dtype=float)
    return (
        inst.distance_unit in ("km", "mi")
        and bool(np.all(np.isfinite(x)) and np.all(np.isfinite(y)))
        and bool(np.all(np.abs(x) <= 180) and np.all(np.abs(y) <= 90))
    )
