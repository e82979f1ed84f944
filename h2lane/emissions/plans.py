"""Plan documents (``trip``, ``dispatch``, ``vrp``; version 2) as shipments and legs.

ISO 14083 accounts a *shipment* (a consignment) by its mass × its shortest feasible distance
(SFD) origin → destination, and a transport operation category (TOC) by all the fuel its
vehicles burn. A plan therefore becomes two kinds of ledger rows
(:class:`~h2lane.emissions.ledger.Ledger`):

* one row per **consignment**: its id (the order id), tonnes, origin and destination
  (``"lat,lon"``, so the road network gives the SFD), no distance and no hydrogen; the
  distance driven with it on board is the SFD when no road network is available;
* one row per **leg**: the route's truck, the leg's date, distance and hydrogen, loaded or
  empty — a movement inside the TOC, not a shipment (``shipment = -1``).

Which consignments a plan carries:

* the plan's ``orders`` (dispatch orders, VRP customers, trip orders) when it lists any:
  each is one shipment, carried by the legs whose ``order_id`` is it or whose ``orders``
  list it (else, on a route that lists it in ``orders``, by the legs from the start of the
  route to its destination). A via point therefore never splits a consignment;
* otherwise the loaded legs with an ``order_id``, grouped by it;
* otherwise (a trip without order ids) each run of consecutive loaded legs of a route,
  named ``trip-1``, ``trip-2``, … (origin: the run's first waypoint, destination: its last).

A ``vrp`` plan must list its served customers in ``orders`` (depot → customer, the demand as
tonnes). Distances must be km (miles are converted) and hydrogen kg; a benchmark answer in
abstract units is rejected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from h2lane.emissions.errors import PlanError
from h2lane.emissions.ledger import Ledger, factorize
from h2lane.plan import PlanDocument, PlanLeg, PlanPlace, PlanRoute, read_plan_file

KM_PER_MILE = 1.609344
DISTANCE_UNITS = {"km": 1.0, "mi": KM_PER_MILE}
_SAME_PLACE_DEG = 1e-4  # ≈ 11 m: a leg ends at an order's destination


@dataclass
class _Shipment:
    shipment_id: str
    origin: PlanPlace
    destination: PlanPlace
    tonnes: float
    legs: list[tuple[int, int]]
    date: str
    where: str
    notes: list[str] = field(default_factory=list)


def read_plan(path: str | Path) -> Ledger:
    """Read a plan document (any kind, version 2) as shipment and leg rows."""
    return plan_ledger(read_plan_file(path), str(path))


def place_key(place: PlanPlace) -> str:
    """The text the distance oracle receives for a plan place: ``"lat,lon"`` (6 decimals).

    Empty for a place without coordinates (a VRP node on a plane): no road distance then.
    """
    if place.lat is None or place.lon is None:
        return ""
    return f"{place.lat:.6f},{place.lon:.6f}"


def _day(*times: object) -> str:
    for t in times:
        if t is not None:
            return t.date().isoformat()  # type: ignore[attr-defined]
    return ""


def _truck(route: PlanRoute, k: int) -> str:
    if route.truck_id:
        return route.truck_id
    if route.truck is not None:
        return route.truck.truck_id or route.truck.type
    return f"route{k + 1}"


def _text(value: str, source: str, where: str) -> str:
    if not value.strip():
        raise PlanError(source, "must not be empty", field=where)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PlanError(source, "is not valid Unicode text", field=where) from None
    return value


def _same(a: PlanPlace, b: PlanPlace) -> bool:
    node_a, node_b = getattr(a, "node", None), getattr(b, "node", None)
    if node_a is not None and node_b is not None:
        return bool(node_a == node_b)
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        return a.name == b.name
    return abs(a.lat - b.lat) <= _SAME_PLACE_DEG and abs(a.lon - b.lon) <= _SAME_PLACE_DEG


def _units(doc: PlanDocument, source: str) -> float:
    dist, energy = doc.units.distance, doc.units.energy
    if dist not in DISTANCE_UNITS:
        raise PlanError(
            source,
            f"gives distances in '{dist}'; emissions need km (or mi, converted), so a plan "
            "of a benchmark instance in abstract units cannot be accounted",
            field="units.distance",
        )
    if energy != "kg":
        raise PlanError(
            source,
            f"gives energy in '{energy}'; emissions need kg of hydrogen, so a plan of a "
            "benchmark instance in other units cannot be accounted",
            field="units.energy",
        )
    return DISTANCE_UNITS[dist]


def _check_legs(doc: PlanDocument, source: str) -> None:
    for k, route in enumerate(doc.routes):
        for j, leg in enumerate(route.legs):
            if not leg.loaded and leg.tonnes > 0:
                raise PlanError(
                    source,
                    f"is {leg.tonnes:g} t on a leg marked loaded: false",
                    field=f"routes[{k}].legs[{j}].tonnes",
                )
            if leg.loaded and leg.tonnes <= 0:
                raise PlanError(
                    source,
                    "is 0 t on a leg marked loaded: true",
                    field=f"routes[{k}].legs[{j}].tonnes",
                )


def _carriers(doc: PlanDocument) -> dict[str, list[tuple[int, int]]]:
    """Order id → the (route, leg) positions of the loaded legs that carry it."""
    out: dict[str, list[tuple[int, int]]] = {}
    for k, route in enumerate(doc.routes):
        for j, leg in enumerate(route.legs):
            if not leg.loaded:
                continue
            ids = set(leg.orders)
            if leg.order_id:
                ids.add(leg.order_id)
            for oid in ids:
                out.setdefault(oid, []).append((k, j))
    return out


def _legs_to(route: PlanRoute, k: int, dest: PlanPlace) -> list[tuple[int, int]]:
    """Legs from the route's first loaded leg to the first leg ending at ``dest``."""
    first = next((j for j, leg in enumerate(route.legs) if leg.loaded), None)
    if first is None:
        return []
    for j in range(first, len(route.legs)):
        if _same(route.legs[j].destination, dest):
            return [(k, i) for i in range(first, j + 1)]
    return []


def _from_orders(doc: PlanDocument, source: str) -> list[_Shipment]:
    carriers = _carriers(doc)
    seen: dict[str, int] = {}
    out = []
    for i, order in enumerate(doc.orders):
        where = f"orders[{i}]"
        oid = _text(order.order_id, source, f"{where}.order_id")
        if oid in seen:
            raise PlanError(
                source,
                f"repeats order '{oid}' of orders[{seen[oid]}]",
                field=f"{where}.order_id",
            )
        seen[oid] = i
        if not order.tonnes > 0:
            raise PlanError(
                source,
                "must be more than 0 t: a consignment carries freight",
                field=f"{where}.tonnes",
            )
        legs = carriers.get(oid, [])
        if not legs:
            for k, route in enumerate(doc.routes):
                if oid in route.orders:
                    legs = _legs_to(route, k, order.destination)
                    break
        if not legs:
            raise PlanError(
                source,
                f"'{oid}' is carried by no leg (no leg names it in order_id or orders, and no "
                "route lists it with a leg ending at its destination)",
                field=f"{where}.order_id",
            )
        routes = sorted({k for k, _ in legs})
        if len(routes) > 1:
            raise PlanError(
                source,
                f"'{oid}' is carried on routes {routes[0]} and {routes[1]}; give one order per "
                "truck for a consignment that changes trucks",
                field=f"{where}.order_id",
            )
        k0, j0 = legs[0]
        route = doc.routes[k0]
        date = _day(order.pickup, route.legs[j0].depart, route.depart, doc.depart)
        out.append(_Shipment(oid, order.origin, order.destination, order.tonnes, legs, date, where))
    return out


def _same_tonnes(doc: PlanDocument, legs: list[tuple[int, int]], source: str, what: str) -> float:
    k0, j0 = legs[0]
    tonnes = doc.routes[k0].legs[j0].tonnes
    for k, j in legs[1:]:
        t = doc.routes[k].legs[j].tonnes
        if not math.isclose(t, tonnes, rel_tol=1e-9, abs_tol=1e-9):
            raise PlanError(
                source,
                f"is {t:g} t but {what} started with {tonnes:g} t; list the consignments in "
                "the plan's orders so that each one is explicit",
                field=f"routes[{k}].legs[{j}].tonnes",
            )
    return tonnes


def _from_legs(doc: PlanDocument, source: str) -> list[_Shipment]:
    groups: dict[str, list[tuple[int, int]]] = {}
    runs: list[list[tuple[int, int]]] = []
    for k, route in enumerate(doc.routes):
        run: list[tuple[int, int]] = []
        for j, leg in enumerate(route.legs):
            if leg.loaded and leg.order_id:
                oid = _text(leg.order_id, source, f"routes[{k}].legs[{j}].order_id")
                groups.setdefault(oid, []).append((k, j))
            if leg.loaded and not leg.order_id:
                run.append((k, j))
            elif run:
                runs.append(run)
                run = []
        if run:
            runs.append(run)
    out = []
    for oid, legs in groups.items():
        if len({k for k, _ in legs}) > 1:
            k, j = legs[-1]
            raise PlanError(
                source,
                f"carries order '{oid}' of another route; give one order per truck",
                field=f"routes[{k}].legs[{j}].order_id",
            )
        tonnes = _same_tonnes(doc, legs, source, f"order '{oid}'")
        out.append(_shipment_of(doc, oid, legs, tonnes))
    taken = set(groups)
    n = 0
    for legs in runs:
        n += 1
        while f"{doc.kind}-{n}" in taken:
            n += 1
        sid = f"{doc.kind}-{n}"
        tonnes = _same_tonnes(doc, legs, source, f"the loaded run '{sid}'")
        out.append(_shipment_of(doc, sid, legs, tonnes))
    return out


def _shipment_of(
    doc: PlanDocument, sid: str, legs: list[tuple[int, int]], tonnes: float
) -> _Shipment:
    (k0, j0), (k1, j1) = legs[0], legs[-1]
    first: PlanLeg = doc.routes[k0].legs[j0]
    last: PlanLeg = doc.routes[k1].legs[j1]
    date = _day(first.depart, doc.routes[k0].depart, doc.depart)
    where = f"routes[{k0}].legs[{j0}]"
    return _Shipment(sid, first.origin, last.destination, tonnes, legs, date, where)


def plan_ledger(doc: PlanDocument, source: str = "plan") -> Ledger:
    """Shipment rows and leg rows of a validated plan document (see the module docstring).

    Raises
    ------
    PlanError
        One sentence naming the field path (``orders[2].tonnes``, ``units.distance``, …).
    """
    km = _units(doc, source)
    _check_legs(doc, source)
    if doc.orders:
        shipments = _from_orders(doc, source)
    else:
        if doc.kind == "vrp" and any(leg.loaded for r in doc.routes for leg in r.legs):
            raise PlanError(
                source,
                "is empty: a vrp plan must list its served customers (depot → customer, the "
                "demand as tonnes)",
                field="orders",
            )
        shipments = _from_legs(doc, source)
    notes: list[str] = []
    if km != 1.0:
        notes.append(f"{source}: distances converted from miles to km (× {KM_PER_MILE})")
    carried_by = {pos for s in shipments for pos in s.legs}
    stray = [
        (k, j)
        for k, r in enumerate(doc.routes)
        for j, leg in enumerate(r.legs)
        if leg.loaded and (k, j) not in carried_by
    ]
    if stray:
        k, j = stray[0]
        notes.append(
            f"{source}: {len(stray)} loaded leg(s) carry no listed order (first routes[{k}]."
            f"legs[{j}]): their hydrogen is in the TOC, no shipment's t·km"
        )
    blind = [
        s.shipment_id for s in shipments if not (place_key(s.origin) and place_key(s.destination))
    ]
    if blind:
        notes.append(
            f"{source}: {len(blind)} shipment(s) (first '{blind[0]}') have no coordinates: "
            "their SFD is the distance driven with the freight on board"
        )
    if doc.unassigned:
        notes.append(
            f"{source}: {len(doc.unassigned)} order(s) the plan leaves unassigned are not shipments"
        )

    trucks = [
        _text(_truck(r, k), source, f"routes[{k}].truck_id") for k, r in enumerate(doc.routes)
    ]
    legs = [(k, j, leg) for k, r in enumerate(doc.routes) for j, leg in enumerate(r.legs)]
    ns, nl = len(shipments), len(legs)
    n = ns + nl
    route_of = [s.legs[0][0] for s in shipments]
    truck_col = np.array([trucks[k] for k in route_of] + [trucks[k] for k, _, _ in legs], dtype=str)
    date_col = np.array(
        [s.date for s in shipments]
        + [_day(leg.depart, doc.routes[k].depart, doc.depart) for k, _, leg in legs],
        dtype=str,
    )
    leg_km = np.array([leg.distance_km * km for _, _, leg in legs], dtype=np.float64)
    leg_pos = {(k, j): i for i, (k, j, _) in enumerate(legs)}
    carried = np.array(
        [sum(leg_km[leg_pos[p]] for p in s.legs) for s in shipments], dtype=np.float64
    )
    places = np.array(
        [place_key(s.origin) for s in shipments] + [place_key(s.destination) for s in shipments],
        dtype=str,
    )
    place_codes, place_names = factorize(places) if ns else (np.zeros(0, np.int64), [])
    if "" in place_names:  # places without coordinates: no road-network SFD
        empty = place_names.index("")
        place_codes = np.where(place_codes == empty, -1, place_codes - (place_codes > empty))
        place_names = place_names[:empty] + place_names[empty + 1 :]
    truck, truck_names = factorize(truck_col)
    kind_of: dict[str, tuple[str, float]] = {}
    for k, r in enumerate(doc.routes):
        if r.truck is not None:
            kind_of.setdefault(trucks[k], (r.truck.type, float(r.truck.payload_t)))
    truck_types = [kind_of.get(t, ("", math.nan))[0] for t in truck_names]
    payloads = np.array([kind_of.get(t, ("", math.nan))[1] for t in truck_names], dtype=float)
    date, date_names = factorize(date_col)
    none = np.full(nl, -1, dtype=np.int64)
    return Ledger(
        source=source,
        row_numbers=np.concatenate(
            [np.ones(ns, dtype=np.int64), np.array([j + 1 for _, j, _ in legs], dtype=np.int64)]
        ),
        shipment=np.concatenate([np.arange(ns, dtype=np.int64), none]),
        shipment_names=[s.shipment_id for s in shipments],
        truck=truck,
        truck_names=truck_names,
        date=date,
        date_names=date_names,
        tonnes=np.concatenate([np.array([s.tonnes for s in shipments]), np.zeros(nl)]),
        distance_km=np.concatenate([np.zeros(ns), leg_km]),
        h2_kg=np.concatenate([np.zeros(ns), np.array([leg.h2_kg for _, _, leg in legs])]),
        sfd_km=np.full(n, np.nan),
        origin=np.concatenate([place_codes[:ns], none]),
        destination=np.concatenate([place_codes[ns:], none]),
        place_names=place_names,
        pathway=np.full(n, -1, dtype=np.int64),
        pathway_names=[],
        hub=np.full(n, -1, dtype=np.int64),
        hub_names=[],
        warnings=notes,
        loaded=np.concatenate(
            [np.ones(ns, dtype=bool), np.array([leg.loaded for _, _, leg in legs], dtype=bool)]
        ),
        carried_km=np.concatenate([carried, leg_km]),
        carried_legs=np.concatenate(
            [np.array([len(s.legs) for s in shipments], dtype=np.int64), np.ones(nl, np.int64)]
        ),
        movement=np.concatenate([np.zeros(ns, dtype=bool), np.ones(nl, dtype=bool)]),
        kind=doc.kind,
        tce_label="tce",
        consignee_names=[s.destination.name for s in shipments],
        truck_types=truck_types,
        truck_payload_t=payloads,
    )
