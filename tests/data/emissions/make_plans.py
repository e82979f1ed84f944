"""Write the version-2 plan fixtures of this directory (run from the repository root).

    python tests/data/emissions/make_plans.py

Illustrative numbers: hydrogen = km × 9.0 kg/100 km loaded or 5.5 kg/100 km empty (the
bundled pengfei-49t truck); distances are rounded road distances, not a routing result.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from h2lane.plan import (
    PlanDocument,
    PlanLeg,
    PlanOrder,
    PlanPlace,
    PlanRoute,
    PlanTruck,
    PlanUnits,
)
from h2lane.timeutil import parse_datetime

HERE = Path(__file__).resolve().parent
PLACES = {
    "Xiaoyi": (37.145, 111.785),
    "Lvliang": (37.519, 111.141),
    "Taiyuan": (37.870, 112.549),
    "Yangquan": (37.857, 113.581),
    "Tianjin Port": (38.97583, 117.7875),
}
TRUCK = PlanTruck(
    type="pengfei-49t",
    tank_kg=58.0,
    kg_per_100km=9.0,
    kg_per_100km_empty=5.5,
    payload_t=31.0,
    speed_kmh=60.0,
)


def place(name: str) -> PlanPlace:
    lat, lon = PLACES[name]
    return PlanPlace(name=name, lat=lat, lon=lon)


def leg(
    i: int,
    a: str,
    b: str,
    km: float,
    tonnes: float,
    *,
    depart: str | None = None,
    order_id: str | None = None,
    orders: list[str] | None = None,
    truck_id: str | None = None,
) -> PlanLeg:
    loaded = tonnes > 0
    kg = round(km * (9.0 if loaded else 5.5) / 100.0, 4)
    return PlanLeg(
        index=i,
        origin=place(a),
        destination=place(b),
        depart=parse_datetime(depart),
        distance_km=km,
        duration_h=round(km / 60.0, 3),
        h2_kg=kg,
        loaded=loaded,
        tonnes=tonnes,
        truck_id=truck_id,
        order_id=order_id,
        orders=orders or ([order_id] if order_id else []),
    )


def route(truck_id: str | None, legs: list[PlanLeg], depart: str | None = None) -> PlanRoute:
    km = sum(x.distance_km for x in legs)
    kg = sum(x.h2_kg for x in legs)
    return PlanRoute(
        truck_id=truck_id,
        truck=TRUCK.model_copy(update={"truck_id": truck_id}),
        depart=parse_datetime(depart),
        distance_km=km,
        duration_h=round(km / 60.0, 3),
        drive_h=round(km / 60.0, 3),
        h2_kg=kg,
        refuel_kg=kg,
        cost=round(kg * 30.0, 2),
        legs=legs,
        orders=sorted({o for x in legs for o in x.orders}),
    )


def document(
    kind: str, routes: list[PlanRoute], orders: list[PlanOrder], **kw: Any
) -> PlanDocument:
    return PlanDocument(
        kind=kind,  # type: ignore[arg-type]
        generator="tests/data/emissions/make_plans.py",
        objective="cost",
        distance_km=sum(r.distance_km for r in routes),
        duration_h=sum(r.duration_h for r in routes),
        drive_h=sum(r.drive_h for r in routes),
        h2_kg=sum(r.h2_kg for r in routes),
        refuel_kg=sum(r.refuel_kg for r in routes),
        cost=sum(r.cost for r in routes),
        trucks_used=len(routes),
        orders_served=len(orders),
        orders_unassigned=0,
        routes=routes,
        orders=orders,
        **kw,
    )


def trip() -> PlanDocument:
    """Xiaoyi → Tianjin Port with 31 t, back empty; no order ids."""
    legs = [
        leg(0, "Xiaoyi", "Tianjin Port", 632.4, 31.0, depart="2026-11-29T08:00"),
        leg(1, "Tianjin Port", "Xiaoyi", 632.4, 0.0, depart="2026-11-30T08:00"),
    ]
    return document("trip", [route(None, legs, "2026-11-29T08:00")], [])


def trip_via() -> PlanDocument:
    """Xiaoyi → Lvliang (via) → Tianjin Port with 31 t, back empty; no order ids."""
    legs = [
        leg(0, "Xiaoyi", "Lvliang", 70.0, 31.0, depart="2026-11-29T08:00"),
        leg(1, "Lvliang", "Tianjin Port", 682.0, 31.0, depart="2026-11-29T09:30"),
        leg(2, "Tianjin Port", "Xiaoyi", 632.4, 0.0, depart="2026-11-30T08:00"),
    ]
    return document("trip", [route("T01", legs, "2026-11-29T08:00")], [])


def dispatch() -> PlanDocument:
    """Two trucks, two orders (D01 31 t Xiaoyi → Tianjin Port, D02 25 t Taiyuan → Tianjin Port)."""
    r1 = route(
        "T1",
        [
            leg(
                0, "Xiaoyi", "Tianjin Port", 632.4, 31.0, depart="2026-12-01T06:00", order_id="D01"
            ),
            leg(1, "Tianjin Port", "Xiaoyi", 632.4, 0.0, depart="2026-12-02T04:00"),
        ],
        "2026-12-01T06:00",
    )
    r2 = route(
        "T2",
        [
            leg(0, "Xiaoyi", "Taiyuan", 110.0, 0.0, depart="2026-12-01T06:00"),
            leg(
                1, "Taiyuan", "Tianjin Port", 560.0, 25.0, depart="2026-12-01T08:30", order_id="D02"
            ),
        ],
        "2026-12-01T06:00",
    )
    orders = [
        PlanOrder(
            order_id="D01",
            origin=place("Xiaoyi"),
            destination=place("Tianjin Port"),
            tonnes=31.0,
            truck_id="T1",
            pickup=parse_datetime("2026-12-01T06:00"),
        ),
        PlanOrder(
            order_id="D02",
            origin=place("Taiyuan"),
            destination=place("Tianjin Port"),
            tonnes=25.0,
            truck_id="T2",
            pickup=parse_datetime("2026-12-01T08:30"),
        ),
    ]
    return document("dispatch", [r1, r2], orders)


def vrp() -> PlanDocument:
    """One delivery route from the Xiaoyi depot: C1 10 t at Taiyuan, C2 8 t at Yangquan."""
    legs = [
        leg(0, "Xiaoyi", "Taiyuan", 110.0, 18.0, orders=["C1", "C2"], truck_id="V1"),
        leg(1, "Taiyuan", "Yangquan", 100.0, 8.0, orders=["C2"], truck_id="V1"),
        leg(2, "Yangquan", "Xiaoyi", 200.0, 0.0, truck_id="V1"),
    ]
    orders = [
        PlanOrder(order_id=c, origin=place("Xiaoyi"), destination=place(p), tonnes=t, truck_id="V1")
        for c, p, t in (("C1", "Taiyuan", 10.0), ("C2", "Yangquan", 8.0))
    ]
    return document("vrp", [route("V1", legs)], orders, units=PlanUnits())


def main() -> None:
    for name, doc in {
        "trip_plan.json": trip(),
        "trip_via_plan.json": trip_via(),
        "dispatch_plan.json": dispatch(),
        "vrp_plan.json": vrp(),
    }.items():
        text = json.dumps(doc.to_json_dict(), indent=1, ensure_ascii=False) + "\n"
        (HERE / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
