"""Build :class:`~h2lane.plan.PlanDocument` from the planners' results."""

from __future__ import annotations

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

FAR_FROM_ROAD_KM = 5.0
"""A waypoint farther than this from the road graph gets a notice."""


def _t(value: Any) -> datetime | None:
    return parse_datetime(value) if value else None


def _place(w: dict[str, Any]) -> PlanPlace:
    return PlanPlace(
        name=str(w["name"]), lat=w.get("lat"), lon=w.get("lon"), snap_km=w.get("snap_km")
    )


def route_from_trip(d: dict[str, Any], truck_id: str | None = None) -> PlanRoute:
    """One route from a trip plan's dict (``TripPlan.to_dict``; the planner times every leg)."""
    waypoints = d["waypoints"]
    legs: list[PlanLeg] = []
    for leg in d["legs"]:
        k = int(leg["index"])
        legs.append(
            PlanLeg(
                index=k,
                origin=_place(waypoints[k]),
                destination=_place(waypoints[k + 1]),
                depart=_t(leg["depart"]),
                arrive=_t(leg["arrive"]),
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
    return PlanRoute.model_validate(
        {
            "truck_id": truck["truck_id"],
            "truck": truck,
            "depart": _t(d.get("depart")),
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
            "stops": d.get("stops", []),
            "breaks": d.get("breaks", []),
            "geometry": d.get("geometry"),
        }
    )


def trip_document(d: dict[str, Any], ends_after: set[int] | None = None) -> PlanDocument:
    """A ``trip`` plan document; each run of loaded legs is one consignment (``trip-1``, …).

    A via point does not split a consignment; one ends after the legs in ``ends_after`` (the
    destination of a round trip, whose loaded return is another consignment) or at an empty leg.
    """
    ends_after = ends_after or set()
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
        if leg.index in ends_after:
            close()
    close()
    route.orders = [o.order_id for o in orders]
    notices = list(d.get("notices", []))
    for w in d.get("waypoints", []):
        if (w.get("snap_km") or 0.0) > FAR_FROM_ROAD_KM:
            notices.append(
                f"{w['name']} is {w['snap_km']:.1f} km from the nearest road of the graph; "
                "that access is counted as a straight line"
            )
    return _document("trip", d, [route], orders, [], notices=list(dict.fromkeys(notices)))


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

    The timeline is the checker's replay of the solver's answer (departures, queue waits,
    refuel amounts, driver breaks on the road as late as the rules allow and at the stops the
    solver stretched): legs run node to node in the instance's units (``units``), with clock
    times when the time unit is hours (``base_day`` midnight + hours). A leg's ``tonnes`` is
    the load on board (deliveries from the depot).
    """
    fleet = inst.fleet
    hours = inst.time_unit in ("h", "") and base_day is not None
    rules = inst.rest
    units = PlanUnits(
        distance=inst.distance_unit or "unit",
        time=inst.time_unit or "unit",
        energy=getattr(inst, "energy_unit", "") or ("kg" if inst.distance_unit == "km" else "unit"),
        currency="CNY" if inst.distance_unit == "km" else "unit",
    )
    routes: list[PlanRoute] = []
    orders: list[PlanOrder] = []
    per_type: dict[str, int] = {}
    for r, nodes in enumerate(sol.routes):
        vt = fleet[sol.route_types[r]] if sol.route_types else fleet[0]
        per_type[vt.name] = per_type.get(vt.name, 0) + 1
        truck_id = f"{vt.name}-{per_type[vt.name]}"
        departure = float(sol.departures[r]) if sol.departures else float(inst.ready[nodes[0]])
        visits = report.timeline[r] if r < len(report.timeline) else []
        route = _VRPReplay(inst, vt, nodes, visits, departure, base_day if hours else None)
        route.run(truck_id, orders)
        money = (
            vt.fixed_cost + vt.cost_per_distance * route.km + vt.cost_per_time * route.duration
            if (vt.fixed_cost or vt.cost_per_distance or vt.cost_per_time)
            else 0.0
        )
        truck = None
        if units.distance == "km" and units.energy == "kg" and math.isfinite(vt.tank):
            truck = {
                "type": vt.name,
                "truck_id": truck_id,
                "tank_kg": vt.tank,
                "kg_per_100km": round(vt.consumption * 100, 6),
                "kg_per_100km_empty": round(vt.consumption * 100, 6),
                "payload_t": vt.load_capacity if math.isfinite(vt.load_capacity) else 0.0,
                "speed_kmh": vt.speed,
            }
        routes.append(
            PlanRoute.model_validate(
                {
                    "truck_id": truck_id,
                    "truck": truck,
                    "depart": route.clock(departure),
                    "arrive": route.clock(route.t),
                    "distance_km": round(route.km, 6),
                    "duration_h": round(route.duration, 6),
                    "drive_h": round(route.drive, 6),
                    "h2_kg": round(route.used, 6),
                    "refuel_kg": round(route.refuelled, 6),
                    "cost": round(money, 2),
                    "start_kg": float(vt.initial_energy)
                    if math.isfinite(vt.initial_energy)
                    else None,
                    "end_kg": round(route.energy, 3) if math.isfinite(route.energy) else None,
                    "orders": [str(inst.labels[v]) for v in nodes if inst.kinds[v] == 1],
                    "legs": route.legs,
                    "stops": route.stops,
                    "breaks": route.breaks,
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
            "rest_rules": rules.to_dict() if rules.enabled else None,
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


class _VRPReplay:
    """One VRP route as legs, stops and breaks, read from the checker's timeline of it."""

    def __init__(
        self,
        inst: Any,
        vt: Any,
        nodes: list[int],
        visits: list[Any],
        departure: float,
        base_day: datetime | None,
    ) -> None:
        self.inst, self.vt, self.nodes, self.visits = inst, vt, nodes, visits
        self.base_day = base_day
        self.start = departure
        self.t = visits[-1].arrive if visits else departure
        self.energy = visits[-1].energy if visits else float(vt.initial_energy)
        self.km = self.drive = self.used = self.refuelled = 0.0
        self.legs: list[PlanLeg] = []
        self.stops: list[dict[str, Any]] = []
        self.breaks: list[dict[str, Any]] = []
        self.per_hour = inst.hours if inst.rest.enabled else 1.0

    @property
    def duration(self) -> float:
        return self.t - self.start

    def clock(self, t: float) -> datetime | None:
        if self.base_day is None or not math.isfinite(t):
            return None
        return self.base_day + timedelta(hours=float(t) / self.per_hour)

    def minutes(self, dt: float) -> float:
        return round(dt / self.per_hour * 60.0, 2) if self.base_day is not None else 0.0

    def place(self, v: int) -> PlanPlace:
        inst = self.inst
        geo = geographic(inst)
        return PlanPlace(
            name=str(inst.labels[v]),
            lat=float(inst.y[v]) if geo else None,
            lon=float(inst.x[v]) if geo else None,
            node=int(v),
        )

    def run(self, truck_id: str, orders: list[PlanOrder]) -> None:
        from h2lane.routing.vrp.model import CUSTOMER

        inst, vt, nodes = self.inst, self.vt, self.nodes
        rules = inst.rest
        on_board = float(sum(inst.demand[v] for v in nodes if inst.kinds[v] == CUSTOMER))
        served = [str(inst.labels[v]) for v in nodes if inst.kinds[v] == CUSTOMER]
        for visit in self.visits:
            a, b = nodes[visit.position - 1], nodes[visit.position]
            d = float(inst.dist[a, b])
            leg = visit.position - 1
            for k, start in enumerate(visit.road_breaks):
                driven = start - visit.leave - k * rules.break_h * self.per_hour
                self.breaks.append(
                    {
                        "leg": leg,
                        "km_from_start": round(self.km + driven * vt.speed, 3),
                        "start": self.clock(start),
                        "minutes": rules.break_min,
                        "kind": "break",
                        "station_id": None,
                    }
                )
            self.km += d
            self.drive += d / vt.speed
            self.used += vt.consumption * d
            station_ids: list[str] = []
            if visit.stop_break:
                self.breaks.append(
                    {
                        "leg": leg,
                        "km_from_start": round(self.km, 3),
                        "start": self.clock(visit.begin),
                        "minutes": round((visit.depart - visit.begin) / self.per_hour * 60, 2),
                        "kind": "break",
                        "station_id": str(inst.labels[b]),
                    }
                )
            if visit.amount > 1e-9:
                station_ids.append(str(inst.labels[b]))
                geo = geographic(inst)
                self.stops.append(
                    {
                        "station_id": str(inst.labels[b]),
                        "name": str(inst.labels[b]),
                        "lat": float(inst.y[b]) if geo else None,
                        "lon": float(inst.x[b]) if geo else None,
                        "leg": leg,
                        "km_from_start": round(self.km, 3),
                        "arrive": self.clock(visit.arrive),
                        "depart": self.clock(visit.depart),
                        "arrive_kg": round(visit.energy, 3),
                        "refuel_kg": round(visit.amount, 3),
                        "depart_kg": round(max(visit.energy, 0.0) + visit.amount, 3),
                        "wait_min": self.minutes(visit.queue + visit.begin - visit.arrive),
                        "refuel_min": self.minutes(visit.fill),
                        "rest_min": self.minutes(visit.rest),
                    }
                )
                self.refuelled += visit.amount
            self.legs.append(
                PlanLeg(
                    index=leg,
                    origin=self.place(int(a)),
                    destination=self.place(int(b)),
                    depart=self.clock(visit.leave),
                    arrive=self.clock(visit.arrive),
                    distance_km=round(d, 6),
                    duration_h=round(visit.arrive - visit.leave, 6),
                    drive_h=round(d / vt.speed, 6),
                    h2_kg=round(vt.consumption * d, 6),
                    loaded=on_board > 0,
                    tonnes=round(on_board, 6),
                    truck_id=truck_id,
                    order_id=served[0] if len(served) == 1 and on_board > 0 else None,
                    orders=list(served) if on_board > 0 else [],
                    stops=station_ids,
                )
            )
            if inst.kinds[b] == CUSTOMER:
                due = float(inst.due[b])
                orders.append(
                    PlanOrder(
                        order_id=str(inst.labels[b]),
                        origin=self.place(int(nodes[0])),
                        destination=self.place(int(b)),
                        tonnes=float(inst.demand[b]),
                        truck_id=truck_id,
                        pickup=self.clock(self.start),
                        delivery=self.clock(visit.begin),
                        due=self.clock(due),
                        on_time=bool(visit.arrive <= due + 1e-9) if math.isfinite(due) else None,
                    )
                )
                on_board -= float(inst.demand[b])
                served.remove(str(inst.labels[b]))


def geographic(inst: Any) -> bool:
    """Whether the instance's x/y are longitude/latitude (G-VRP files, h2lane road/haversine)."""
    x, y = np.asarray(inst.x, dtype=float), np.asarray(inst.y, dtype=float)
    return (
        inst.distance_unit in ("km", "mi")
        and bool(np.all(np.isfinite(x)) and np.all(np.isfinite(y)))
        and bool(np.all(np.abs(x) <= 180) and np.all(np.abs(y) <= 90))
    )
