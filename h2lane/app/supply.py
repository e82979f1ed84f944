"""Use case: the tube-trailer supply plan (``h2lane supply``) and the demand it serves."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from h2lane import OSM_ATTRIBUTION, params
from h2lane.app.context import DEFAULT_SCENARIO, Context
from h2lane.app.requests import Request, RequestError
from h2lane.errors import InputFileError
from h2lane.plan import read_plan_file
from h2lane.scenario.model import Station
from h2lane.supply.arrivals import midnight, plan_stops, span_days
from h2lane.supply.milp import SupplyPlan, SupplySettings, SupplySite, solve_supply
from h2lane.supply.network import SupplyGeometry, road_km, supply_sites, supply_stations

TrailerModeOpt = Literal["swap", "unload"]


class SupplyOptions(Request):
    """What ``h2lane supply`` asks for (keys are the CLI's long options)."""

    scenario: str = DEFAULT_SCENARIO
    stations: str | None = None
    plan: str | None = Field(default=None, description="plan document whose stops are the demand")
    demand: str | None = Field(default=None, description="CSV station_id,kg_per_day")
    kg_per_day: float | None = Field(default=None, gt=0, le=100000)
    period_days: int = Field(default=7, ge=1, le=31)
    split: bool = False
    keep_assignments: bool = False
    trailer_mode: TrailerModeOpt = "swap"
    max_km: float = Field(default=600.0, gt=0, le=3000)
    cost_per_km: float = Field(default=params.TRAILER_COST_PER_KM.value, ge=0, le=1000)
    cost_per_trailer_day: float = Field(default=params.TRAILER_COST_PER_DAY.value, ge=0, le=1e6)
    time_limit: float = Field(default=30.0, gt=0, le=3600)


@dataclass(slots=True)
class SupplyResult:
    """The plan with what it was built from."""

    plan: SupplyPlan
    sites: list[SupplySite]
    stations: list[Station]
    demand: dict[str, float]
    demand_source: str
    geometry: SupplyGeometry
    settings: SupplySettings
    scenario: str

    @property
    def complete(self) -> bool:
        return not self.plan.unserved

    def to_dict(self) -> dict[str, Any]:
        return supply_dict(self)


def demand_from_plan(path: str, station_ids: set[str]) -> tuple[dict[str, float], float]:
    """kg/day per station from a plan document's refuelling stops, and the days it spans."""
    doc = read_plan_file(path)
    rows = plan_stops(doc, station_ids, path)
    start = midnight(min(when for _, when, _, _ in rows))
    days = span_days(rows, start)
    out: dict[str, float] = {}
    for sid, _, kg, _ in rows:
        out[sid] = out.get(sid, 0.0) + kg / days
    return out, days


def read_demand_csv(path: str, station_ids: set[str]) -> dict[str, float]:
    """``station_id,kg_per_day`` rows; every row checked."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputFileError(path, "file not found") from None
    except UnicodeDecodeError:
        raise InputFileError(path, "is not UTF-8 text") from None
    except IsADirectoryError:
        raise InputFileError(path, "is a directory, not a CSV file") from None
    reader = csv.DictReader(io.StringIO(text))
    cols = [c.strip() for c in reader.fieldnames or []]
    for need in ("station_id", "kg_per_day"):
        if need not in cols:
            raise InputFileError(
                path, f"has no '{need}' column (expected station_id,kg_per_day)", line=1
            )
    out: dict[str, float] = {}
    for k, raw in enumerate(reader, start=1):
        row = {(a or "").strip(): (b or "").strip() for a, b in raw.items()}
        sid = row["station_id"]
        if sid not in station_ids:
            raise InputFileError(
                path,
                f"station '{sid}' is not a station of the scenario",
                row=k,
                line=k + 1,
                field="station_id",
            )
        if sid in out:
            raise InputFileError(
                path, f"station '{sid}' is listed twice", row=k, line=k + 1, field="station_id"
            )
        try:
            kg = float(row["kg_per_day"])
        except ValueError:
            kg = math.nan
        if not math.isfinite(kg) or kg < 0 or kg > 100000:
            raise InputFileError(
                path,
                f"kg_per_day must be a number from 0 to 100000 (got '{row['kg_per_day']}')",
                row=k,
                line=k + 1,
                field="kg_per_day",
            )
        out[sid] = kg
    return out


def resolve_demand(o: SupplyOptions, stations: list[Station]) -> tuple[dict[str, float], str]:
    """Demand per station and where it came from (one source; the options say which)."""
    ids = {s.id for s in stations}
    given = [
        n
        for n, v in (("--plan", o.plan), ("--demand", o.demand), ("--kg-per-day", o.kg_per_day))
        if v is not None
    ]
    if len(given) > 1:
        raise RequestError(f"give one demand source, not {' and '.join(given)}", "plan")
    if o.plan is not None:
        demand, days = demand_from_plan(o.plan, ids)
        return demand, f"plan {o.plan} (refuelling stops over {days:g} day(s))"
    if o.demand is not None:
        return read_demand_csv(o.demand, ids), f"demand file {o.demand}"
    if o.kg_per_day is not None:
        return {s.id: o.kg_per_day for s in stations}, f"{o.kg_per_day:g} kg/day at every station"
    return (
        {s.id: s.capacity_kg_per_day for s in stations},
        "station capacity_kg_per_day (design demand)",
    )


def settings_of(o: SupplyOptions, unload_h: float | None = None) -> SupplySettings:
    swap = o.trailer_mode == "swap"
    return SupplySettings(
        unload_h=params.TRAILER_SWAP_H.value
        if swap
        else (unload_h or params.TRAILER_UNLOAD_CONNECT_H.value),
        cost_per_km=o.cost_per_km,
        cost_per_trailer_day=o.cost_per_trailer_day,
        period_days=o.period_days,
        single_source=not o.split,
        max_one_way_km=o.max_km,
        time_limit_s=o.time_limit,
        parked_per_station=1 if swap else 0,
    )


def plan_supply(
    o: SupplyOptions,
    ctx: Context | None = None,
    demand: dict[str, float] | None = None,
    demand_source: str | None = None,
) -> SupplyResult:
    """Solve the supply plan for the scenario's sites and stations."""
    ctx = ctx or Context(scenario_spec=o.scenario, stations_file=o.stations)
    scen, stations = ctx.scenario, ctx.stations
    if not scen.production_sites:
        raise RequestError(
            "the scenario has no production sites to supply the stations from", "scenario"
        )
    if demand is None:
        demand, demand_source = resolve_demand(o, stations)
    sites = supply_sites(scen)
    graph = ctx.graph
    ctx.report("road distances site → station", 0.0, 1.0)
    geometry = road_km(graph, scen.production_sites, stations)
    ctx.report("road distances site → station", 1.0, 1.0)
    payload = sites[0].payload_kg if sites else params.TUBE_TRAILER_PAYLOAD_20MPA.value
    unload_h = params.TRAILER_UNLOAD_CONNECT_H.value + payload / max(
        1e-9,
        min(
            (s.capacity_kg_per_day / params.COMPRESSOR_RUN_H_PER_DAY.value for s in stations),
            default=50.0,
        ),
    )
    settings = settings_of(o, unload_h)
    ctx.report("solving the supply MILP", 0.0, None)
    plan = solve_supply(
        sites, supply_stations(stations, demand, o.keep_assignments), geometry.km, settings
    )
    ctx.report("solving the supply MILP", 1.0, 1.0)
    return SupplyResult(
        plan, sites, stations, demand, demand_source or "", geometry, settings, scen.name
    )


def emissions_feed(km_per_kg: float, payload_kg: float | None) -> dict[str, Any]:
    """How the trailer km reach ``h2lane emissions``: km per kg, and the equivalent --delivery-km."""
    eq = km_per_kg * payload_kg / 2.0 if payload_kg else None
    return {
        "trailer_km_per_kg": km_per_kg,
        "delivery_km_equivalent": eq,
        "how": "the emissions delivery part is L/100 km × 2 × one-way km ÷ payload × diesel WTW; "
        "with one-way km = trailer_km_per_kg × payload ÷ 2 it equals L/100 km × trailer_km_per_kg"
        " × diesel WTW: pass `h2lane emissions --delivery-km <delivery_km_equivalent>`",
    }


def supply_dict(r: SupplyResult) -> dict[str, Any]:
    """The JSON answer of ``h2lane supply``."""
    p = r.plan
    used = p.site_use_kg_per_day
    payloads = {s.payload_kg for s in r.sites}
    payload = payloads.pop() if len(payloads) == 1 else None
    names = {s.id: s.name for s in r.stations}
    return {
        "kind": "supply",
        "scenario": r.scenario,
        "demand_source": r.demand_source,
        "period_days": p.period_days,
        "trailer_mode": "swap" if r.settings.parked_per_station else "unload",
        "single_source": r.settings.single_source,
        "totals": {
            "demand_kg_per_day": math.fsum(r.demand.get(s.id, 0.0) for s in r.stations),
            "delivered_kg_per_day": p.delivered_kg_per_day,
            "unserved_kg_per_day": math.fsum(u.kg_per_day for u in p.unserved),
            "trailer_trips_per_day": math.fsum(a.trips_per_day for a in p.assignments),
            "trailer_km_per_day": p.trailer_km_per_day,
            "trailers_in_circulation": sum(p.fleet.values()),
            "trailers_on_station_bays": sum(p.parked.values()),
            "cost_per_day": p.cost_per_day,
            "cost_per_kg": p.cost_per_day / p.delivered_kg_per_day
            if p.delivered_kg_per_day
            else None,
            "currency": "CNY",
        },
        "emissions_feed": emissions_feed(p.trailer_km_per_kg, payload),
        "sites": [
            {
                "site_id": s.id,
                "name": s.name,
                "capacity_kg_per_day": s.capacity_kg_per_day,
                "used_kg_per_day": used.get(s.id, 0.0),
                "utilisation": used.get(s.id, 0.0) / s.capacity_kg_per_day
                if s.capacity_kg_per_day
                else 0.0,
                "payload_kg": s.payload_kg,
                "trailers_available": s.trailers_available,
                "trailers_in_circulation": p.fleet.get(s.id, 0),
                "trailers_on_station_bays": p.parked.get(s.id, 0),
            }
            for s in r.sites
        ],
        "assignments": [
            {
                "site_id": a.site_id,
                "station_id": a.station_id,
                "station": names.get(a.station_id, ""),
                "kg_per_day": a.kg_per_day,
                "one_way_km": a.one_way_km,
                "trips_per_period": a.trips_per_period,
                "trips_per_day": a.trips_per_day,
                "trailer_h_per_trip": a.trailer_h_per_trip,
                "km_per_day": a.km_per_day,
                "cost_per_day": a.cost_per_day,
            }
            for a in p.assignments
        ],
        "unserved": [
            {"station_id": u.station_id, "kg_per_day": u.kg_per_day, "reason": u.reason}
            for u in p.unserved
        ],
        "solver": {
            "status": p.status,
            "mip_gap": p.mip_gap,
            "seconds": p.seconds,
            "objective": p.objective,
        },
        "parameters": {
            name: getattr(params, name).as_dict()
            for name in (
                "TRAILER_SPEED",
                "TRAILER_LOAD_H",
                "TRAILER_SWAP_H",
                "TRAILER_UNLOAD_CONNECT_H",
                "TRAILER_HOURS_PER_DAY",
                "TRAILER_COST_PER_KM",
                "TRAILER_COST_PER_DAY",
            )
        },
        "road_data": OSM_ATTRIBUTION,
    }


def unserved_message(r: SupplyResult) -> str:
    """One sentence naming each unserved station and why."""
    parts = [f"{u.station_id} ({u.kg_per_day:,.0f} kg/day): {u.reason}" for u in r.plan.unserved]
    return "the supply plan cannot serve " + "; ".join(parts)
