"""Use case: what the dashboard shows besides raw records — the scenario placed on the map,
station load from plan documents, and the emissions KPIs of a plan (by the emissions use case).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

from h2lane import OSM_ATTRIBUTION
from h2lane.app.emissions import EmissionsRequest, LazyOracle, OracleProvider, account_emissions
from h2lane.app.records import record_dict
from h2lane.scenario.model import Scenario
from h2lane.scenario.places import locate
from h2lane.timeutil import hours_of_day, parse_datetime

KPI_KEYS = ("tkm", "h2_kg", "wtw_kg", "diesel_baseline_wtw_kg", "avoided_kg", "avoided_share",
            "intensity_g_per_tkm", "distance_km")  # fmt: skip


def _at(text: str, scenario: Scenario) -> dict[str, Any] | None:
    where = locate(text, scenario)
    return None if where is None else {"name": text, "lat": where[0], "lon": where[1]}


def scenario_map(scenario: Scenario) -> dict[str, Any]:
    """Places, production sites, stations (all fields), trucks at their depots and orders with
    both ends placed; ``unplaced`` counts what names no known place."""
    trucks, orders, unplaced = [], [], 0
    for t in scenario.trucks:
        depot = _at(t.depot, scenario)
        unplaced += depot is None
        trucks.append({"id": t.id, "type": t.type, "depot": depot})
    for o in scenario.orders:
        a, b = _at(o.origin, scenario), _at(o.destination, scenario)
        unplaced += a is None or b is None
        orders.append({**record_dict(o), "origin": a, "destination": b})
    return {
        "scenario": scenario.name,
        "roads": scenario.roads,
        "attribution": OSM_ATTRIBUTION,
        "places": [record_dict(p) for p in scenario.places],
        "production_sites": [record_dict(p) for p in scenario.production_sites],
        "stations": [record_dict(s) for s in scenario.stations],
        "truck_types": [record_dict(t) for t in scenario.truck_types],
        "trucks": trucks,
        "orders": orders,
        "unplaced": unplaced,
    }


def station_load(plans: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Fills per station and clock hour (China time, 0–23) over plan documents ``(id, doc)``.

    A fill counts in the hour it starts (arrival + wait); ``kg`` sums what is dispensed, and
    ``peak`` is the most fills of one plan at one station in one hour. Stops without a clock
    time (VRP benchmark instances) are counted in ``untimed``.
    """
    stations: dict[str, dict[str, Any]] = {}
    used: list[str] = []
    untimed = 0
    for plan_id, doc in plans:
        used.append(plan_id)
        per_plan: dict[tuple[str, int], int] = {}
        for route in doc.get("routes") or []:
            for stop in route.get("stops") or []:
                sid = stop.get("station_id") or stop.get("name") or "?"
                arrive = parse_datetime(stop.get("arrive"))
                if arrive is None:
                    untimed += 1
                    continue
                start = arrive + timedelta(minutes=float(stop.get("wait_min") or 0))
                hour = int(hours_of_day(start)) % 24
                row = stations.setdefault(sid, {
                    "station_id": sid, "name": stop.get("name") or sid,
                    "fills": [0] * 24, "kg": [0.0] * 24, "peak": 0, "plans": []})  # fmt: skip
                row["fills"][hour] += 1
                row["kg"][hour] = round(row["kg"][hour] + float(stop.get("refuel_kg") or 0), 3)
                per_plan[(sid, hour)] = per_plan.get((sid, hour), 0) + 1
                row["peak"] = max(row["peak"], per_plan[(sid, hour)])
                if plan_id not in row["plans"]:
                    row["plans"].append(plan_id)
    rows = sorted(stations.values(), key=lambda r: (-sum(r["fills"]), r["station_id"]))
    return {"plans": used, "hours": "China time (UTC+08:00), hour a fill starts", "untimed": untimed,
            "stations": rows}  # fmt: skip


def emissions_kpis(document: dict[str, Any], oracle: OracleProvider) -> dict[str, Any]:
    """t·km, kg H2, CO2e well-to-wheel and what a diesel truck would emit, by
    :func:`h2lane.app.emissions.account_emissions` on the plan document (default options)."""
    with tempfile.TemporaryDirectory(prefix="h2lane-kpi-") as tmp:
        path = Path(tmp) / "plan.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        result = account_emissions(EmissionsRequest.build(plan=path), LazyOracle(oracle))
    doc = result.document(shipments_limit=0)
    totals = doc["totals"]
    return {
        **{k: totals.get(k) for k in KPI_KEYS},
        "method": doc["method"]["standard"],
        "allocation": doc["allocation"]["label"],
        "hydrogen": doc["method"].get("default_hydrogen"),
        "warnings": doc.get("warnings", []),
    }
