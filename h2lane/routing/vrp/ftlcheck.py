"""Independent replay of full-truckload route plans (:mod:`h2lane.routing.vrp.ftl`).

The checker shares no code with the search's evaluation: from the instance's km matrix and
each plan's visits and road breaks alone it recomputes every leg's km, driving time and
hydrogen (loaded between a pick-up and its delivery, empty otherwise), the hydrogen on board
at every arrival (never below the reserve, never above the tank after a fill), fill times and
opening hours, ready, pick-up and due times, payloads, that every order is served at most
once, the horizon, the driver rest rules over the whole timeline, and the plan's totals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from h2lane.errors import VerificationError
from h2lane.routing.vrp.ftl import FTLInstance, RoutePlan

TOL = 1e-6


@dataclass(slots=True)
class FTLCheck:
    """Violations found (empty = valid) and the recomputed totals."""

    violations: list[str] = field(default_factory=list)
    truck_hours: float = 0.0
    km: float = 0.0
    h2_cost: float = 0.0
    served: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def raise_if_invalid(self) -> None:
        if self.violations:
            raise VerificationError(
                f"a dispatch plan failed the independent check: {self.violations[0]}"
            )


def _window_ok(open_h: float, close_h: float, start: float, end: float) -> bool:
    if close_h - open_h >= 24.0 - 1e-9:
        return True
    day = math.floor(start / 24.0)
    return any(
        start >= 24.0 * k + open_h - TOL and end <= 24.0 * k + close_h + TOL
        for k in (day - 1, day, day + 1)
    )


def check_ftl(inst: FTLInstance, plans: list[RoutePlan]) -> FTLCheck:
    """Replay every plan; a valid set of plans has no violations."""
    rep = FTLCheck()
    seen: dict[int, int] = {}
    for p in plans:
        _check_route(inst, p, rep, seen)
    rep.served = sorted(seen)
    return rep


def _check_route(inst: FTLInstance, p: RoutePlan, rep: FTLCheck, seen: dict[int, int]) -> None:
    tr = inst.trucks[p.truck]
    tt = inst.types[tr.type]
    L = inst.n_locations
    name = f"truck {tr.id}"
    bad = rep.violations.append
    v = p.visits
    if not v or v[0].kind != "depot" or v[0].node != tr.depot:
        bad(f"{name} does not start at its depot")
        return
    if v[0].depart < tr.available_h - TOL:
        bad(f"{name} leaves before it is available")
    if inst.return_to_depot and (v[-1].kind != "return" or v[-1].node != tr.depot):
        bad(f"{name} does not return to its depot")
    # the order sequence: pickup k, delivery k, pickup k', …
    tasks = [(x.kind, x.order) for x in v if x.kind in ("pickup", "delivery")]
    expect = [(kind, k) for k in p.orders for kind in ("pickup", "delivery")]
    if tasks != expect:
        bad(f"{name}'s pick-ups and deliveries do not follow its orders {p.orders}")
        return
    for k in p.orders:
        if k in seen:
            bad(f"order {inst.orders[k].id} is served by two trucks")
        seen[k] = p.truck
        if inst.orders[k].tonnes > tt.payload_t + TOL:
            bad(f"order {inst.orders[k].id} exceeds the payload of {name}")
    fuel = tt.tank_kg if v[0].fuel_arrive is None else v[0].fuel_arrive
    if abs(fuel - tt.tank_kg) > TOL:
        bad(f"{name} does not leave full")
    km_total = money = 0.0
    loaded = False
    rest = inst.rest
    drive_c = drive_d = 0.0  # driving since break, driving today
    breaks = sorted(p.breaks, key=lambda b: b.start)
    bi = 0
    for i in range(1, len(v)):
        a, b = v[i - 1], v[i]
        # leaving a: the fuel after its fill
        fuel_out = a.fuel_arrive + a.kg if i > 1 else tt.tank_kg
        km = float(inst.km[a.node, b.node])
        km_total += km
        rate = tt.kg_per_km_loaded if loaded else tt.kg_per_km_empty
        if abs(b.fuel_arrive - (fuel_out - rate * km)) > 1e-5:
            bad(
                f"{name} arrives at visit {i} with {b.fuel_arrive:.3f} kg, not "
                f"{fuel_out - rate * km:.3f}"
            )
        if b.fuel_arrive < inst.reserve_kg - 1e-5:
            bad(f"{name} arrives at visit {i} below the reserve ({b.fuel_arrive:.2f} kg)")
        # driving from a.depart to b.arrive, interrupted by the road breaks in between
        t = a.depart
        left = km / tt.speed_kmh
        while bi < len(breaks) and breaks[bi].start < b.arrive - TOL:
            br = breaks[bi]
            if br.start < t - TOL:
                bad(f"{name} has a break at hour {br.start:.3f} outside any drive")
                bi += 1
                continue
            piece = br.start - t
            left -= piece
            drive_c += piece
            drive_d += piece
            if rest.enabled and (
                drive_c > rest.max_drive_h + TOL or drive_d > rest.max_daily_drive_h + TOL
            ):
                bad(f"{name} drives beyond the rest rules before hour {br.start:.2f}")
            need = rest.daily_rest_h if br.kind == "daily-rest" else rest.break_h
            if br.hours < need - TOL:
                bad(f"{name}'s {br.kind} at hour {br.start:.2f} is too short")
            drive_c = 0.0
            if br.hours >= rest.daily_rest_h - TOL:
                drive_d = 0.0
            t = br.start + br.hours
            bi += 1
        if left < -TOL or abs(t + left - b.arrive) > 1e-5:
            bad(f"{name} arrives at visit {i} at hour {b.arrive:.4f}, not {t + max(left, 0):.4f}")
        drive_c += max(left, 0.0)
        drive_d += max(left, 0.0)
        if rest.enabled and (
            drive_c > rest.max_drive_h + TOL or drive_d > rest.max_daily_drive_h + TOL
        ):
            bad(f"{name} drives beyond the rest rules on the way to visit {i}")
        # at b
        if b.start < b.arrive - TOL or b.depart < b.start - TOL:
            bad(f"{name}'s times at visit {i} run backwards")
        if b.kind == "station":
            st = inst.stations[b.node - L] if b.node >= L else None
            if st is None:
                bad(f"{name}'s visit {i} is no station")
                continue
            if b.kg < -TOL or b.fuel_arrive + b.kg > tt.tank_kg + 1e-5:
                bad(f"{name} buys {b.kg:.3f} kg at {st.id}, more than the tank holds")
            fill = st.connect_h + b.kg * st.h_per_kg
            if b.depart < b.start + fill - 1e-5:
                bad(f"{name}'s fill at {st.id} is shorter than {fill:.3f} h")
            if not _window_ok(st.open_h, st.close_h, b.start, b.start + fill):
                bad(f"{name} fills at {st.id} outside its opening hours")
            money += b.kg * st.price
            stand = b.depart - b.arrive
        elif b.kind in ("pickup", "delivery"):
            o = inst.orders[b.order]
            node = o.origin if b.kind == "pickup" else o.destination
            if b.node != node:
                bad(f"{name}'s {b.kind} of order {o.id} is not at its place")
            if b.kg:
                bad(f"{name} refuels at a {b.kind}")
            if b.kind == "pickup":
                if b.start < o.ready_h - TOL:
                    bad(f"{name} loads order {o.id} before its ready time")
                if b.start > o.pickup_due_h + TOL:
                    bad(f"{name} loads order {o.id} after its latest pick-up")
                if b.depart < b.start + o.load_h - TOL:
                    bad(f"{name} loads order {o.id} too fast")
                loaded = True
            else:
                if b.arrive > o.due_h + TOL:
                    bad(f"{name} delivers order {o.id} late (hour {b.arrive:.2f} > {o.due_h:.2f})")
                if b.depart < b.start + o.unload_h - TOL:
                    bad(f"{name} unloads order {o.id} too fast")
                loaded = False
            stand = b.start - b.arrive  # waiting counts as rest, loading does not
        else:
            stand = b.depart - b.arrive
        if stand >= rest.daily_rest_h - TOL:
            drive_c = drive_d = 0.0
        elif stand >= rest.break_h - TOL:
            drive_c = 0.0
    if bi < len(breaks):
        bad(f"{name} has breaks after its last drive")
    finish = v[-1].depart
    if finish > inst.horizon_h + TOL:
        bad(f"{name} finishes after the horizon")
    hours = finish - v[0].depart
    for label, mine, theirs in (
        ("hours", hours, p.hours),
        ("km", km_total, p.km),
        ("hydrogen cost", money, p.h2_cost),
    ):
        if abs(mine - theirs) > 1e-4 * max(1.0, abs(mine)):
            bad(f"{name}'s {label} are {theirs:.4f} in the plan but {mine:.4f} replayed")
    rep.truck_hours += hours
    rep.km += km_total
    rep.h2_cost += money
