"""Plan versus actual: where a truck on a stored plan is, how late, how much hydrogen it used.

For each route of a plan whose truck has sent telemetry:

* **progress** — each position is projected on the route's road polyline (nearest vertex,
  never going back along the route), giving km along the route;
* **delay** — the time of the newest position minus the planned time at that km (the
  plan's keyframes: driving, breaks, waits and refuels); positive is late;
* **ETA** — for every stop not yet reached and for the destination, the planned time plus
  the current delay (the delay is carried forward; the plan's own slack is not re-planned);
* **hydrogen** — planned consumption to the km reached versus the measured one (the sum of
  level drops between consecutive readings; rises of more than 0.5 kg are refuels);
* **ledger rows** — one per leg the truck has completed, in the actuals ledger format that
  ``h2lane emissions --ledger`` reads (``shipment_id, date, truck_id, tonnes, distance_km,
  h2_kg``), distance by odometer where reported, else by km along the route.
"""

from __future__ import annotations

import bisect
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from h2lane.ops.replay import PlannedTruck, plan_trucks
from h2lane.roads.graph import RoadGraph
from h2lane.timeutil import iso, parse_datetime

REFUEL_RISE_KG = 0.5


def consumed(levels: list[float]) -> tuple[float, float]:
    """(kg used, kg refuelled) from a truck's level readings: the level lost between refuels
    (so sensor noise does not add up), a refuel being consecutive rises of > 0.5 kg."""
    used = refuelled = 0.0
    if not levels:
        return used, refuelled
    seg_start, i, n = levels[0], 1, len(levels)
    while i < n:
        if levels[i] - levels[i - 1] > REFUEL_RISE_KG:
            used += seg_start - levels[i - 1]
            j = i
            while j + 1 < n and levels[j + 1] - levels[j] > REFUEL_RISE_KG:
                j += 1
            refuelled += levels[j] - levels[i - 1]
            seg_start, i = levels[j], j + 1
        else:
            i += 1
    used += seg_start - levels[-1]
    return max(0.0, used), refuelled


def _planned_window(truck: PlannedTruck, km: float) -> tuple[float, float]:
    """Seconds after the plan's start at which the plan reaches ``km`` and leaves it again
    (equal while driving; apart where the plan stops there: a break, a wait, a refuel)."""
    kms, times = truck.km, truck.times
    i = bisect.bisect_left(kms, km - 1e-6)
    j = bisect.bisect_right(kms, km + 1e-6)
    if i >= len(kms):
        return times[-1], times[-1]
    if j - i >= 1 and abs(kms[i] - km) <= 1e-6:
        return times[i], times[j - 1]
    if i == 0:
        return times[0], times[0]
    k0, k1 = kms[i - 1], kms[i]
    f = 0.0 if k1 <= k0 else (km - k0) / (k1 - k0)
    t = times[i - 1] + f * (times[i] - times[i - 1])
    return t, t


def _planned_h2_used(truck: PlannedTruck, km: float) -> float:
    """Planned kg consumed (drops only) from the start to ``km``."""
    used = 0.0
    for i in range(1, len(truck.km)):
        if truck.km[i - 1] >= km:
            break
        drop = truck.h2[i - 1] - truck.h2[i]
        if drop > 0:
            span = truck.km[i] - truck.km[i - 1]
            part = 1.0 if span <= 0 or truck.km[i] <= km else (km - truck.km[i - 1]) / span
            used += drop * part
    return used


MAX_SPEED_KMH = 120.0
"""Fastest a truck can have moved between two positions; bounds the projection window so a
route that comes back along the same road is not matched to its return leg too early."""


def _project(
    truck: PlannedTruck, lats: np.ndarray, lons: np.ndarray, secs: np.ndarray
) -> np.ndarray:
    """km along the route of each position (onto the nearest segment ahead), non-decreasing."""
    out = np.empty(len(lats))
    seg, at = 0, 0.0  # current segment and line km
    for j, (lat, lon) in enumerate(zip(lats, lons, strict=True)):
        dt_h = 0.0 if j == 0 else max(0.0, float(secs[j] - secs[j - 1])) / 3600.0
        seg, at = truck.advance(seg, at, float(lat), float(lon), MAX_SPEED_KMH * dt_h + 5.0)
        out[j] = at / truck.scale if truck.scale > 0 else 0.0
    return out


def plan_vs_actual(
    document: dict[str, Any], graph: RoadGraph, telemetry: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """The comparison for every route; ``telemetry`` maps truck id → its messages."""
    start, _end, trucks = plan_trucks(document, graph)
    routes = document.get("routes", [])
    out = []
    for truck in trucks:
        route = routes[truck.route]
        msgs = sorted(
            (m for m in telemetry.get(truck.device, []) if m.get("lat") is not None),
            key=lambda m: m["time"],
        )
        entry: dict[str, Any] = {"truck": truck.device, "route": truck.route, "messages": len(msgs)}
        if not msgs:
            entry["status"] = "no telemetry"
            out.append(entry)
            continue
        times = [parse_datetime(m["time"]) for m in msgs]
        secs = np.array([(t - times[0]).total_seconds() if t and times[0] else 0.0 for t in times])
        lats, lons = np.array([m["lat"] for m in msgs]), np.array([m["lon"] for m in msgs])
        kms = _project(truck, lats, lons, secs)
        now_km = float(kms[-1])
        arrive_s, leave_s = _planned_window(truck, now_km)
        actual = times[-1]
        assert actual is not None
        actual_s = (actual - start).total_seconds()
        planned_s = min(max(actual_s, arrive_s), leave_s)  # inside a planned stop: on time
        delay_min = (actual_s - planned_s) / 60.0
        levels = [float(m["h2_kg"]) for m in msgs]
        used, refuelled = consumed(levels)
        shift = timedelta(minutes=delay_min)
        etas = []
        for stop in route.get("stops", []):
            km = float(stop["km_from_start"])
            if km > now_km + 0.5 and stop.get("arrive"):
                planned = parse_datetime(stop["arrive"])
                if planned is not None:
                    etas.append({"stop": stop["station_id"], "km_left": round(km - now_km, 1),
                                 "planned": iso(planned), "eta": iso(planned + shift)})  # fmt: skip
        dest = route.get("arrive")
        planned_dest = parse_datetime(dest) if dest else None
        entry.update(
            status="arrived" if now_km >= float(route["distance_km"]) - 1.0 else "en route",
            time=iso(actual),
            position=[msgs[-1]["lat"], msgs[-1]["lon"]],
            km=round(now_km, 1),
            planned_time_at_km=iso(start + timedelta(seconds=planned_s)),
            delay_min=round(delay_min, 1),
            eta_stops=etas,
            eta_destination=iso(planned_dest + shift) if planned_dest else None,
            planned_arrival=iso(planned_dest) if planned_dest else None,
            h2_planned_kg=round(_planned_h2_used(truck, now_km), 2),
            h2_actual_kg=round(used, 2),
            refuelled_actual_kg=round(refuelled, 2),
            ledger=_ledger(route, truck.device, msgs, times, kms),
        )
        out.append(entry)
    return {"kind": "h2lane.plan-vs-actual", "routes": out}


def _ledger(
    route: dict[str, Any], device: str, msgs: list[dict[str, Any]], times: list[datetime | None],
    kms: np.ndarray,
) -> list[dict[str, Any]]:  # fmt: skip
    rows = []
    leg_start = 0.0
    for leg in route.get("legs", []):
        leg_end = leg_start + float(leg["distance_km"])
        idx = [i for i, k in enumerate(kms) if leg_start - 0.5 <= k <= leg_end + 0.5]
        done = len(kms) and float(kms[-1]) >= leg_end - 1.0
        if idx and done:
            a, b = idx[0], idx[-1]
            odo_a, odo_b = msgs[a].get("odometer_km"), msgs[b].get("odometer_km")
            dist = (
                (odo_b - odo_a)
                if odo_a is not None and odo_b is not None
                else float(kms[b] - kms[a])
            )
            levels = [float(msgs[i]["h2_kg"]) for i in range(a, b + 1)]
            h2 = consumed(levels)[0]
            when = times[a]
            rows.append({
                "shipment_id": leg.get("order_id") or f"{device}-leg{leg['index']}",
                "date": when.date().isoformat() if when else None,
                "truck_id": device,
                "tonnes": float(leg.get("tonnes") or 0.0),
                "distance_km": round(dist, 3),
                "h2_kg": round(h2, 3),
            })  # fmt: skip
        leg_start = leg_end
    return rows
