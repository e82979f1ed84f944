"""Use case: plan one truck's trip with refuelling stops."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from h2lane import params
from h2lane.app.context import DEFAULT_SCENARIO, Context
from h2lane.app.documents import trip_document
from h2lane.app.places import resolve_place
from h2lane.app.requests import Request, RequestError
from h2lane.errors import OptionError
from h2lane.plan import PlanDocument
from h2lane.roads.graph import RoadGraph
from h2lane.routing import trip as trip_planner
from h2lane.routing.rest import RestRules
from h2lane.scenario.model import Scenario, Station, TruckType
from h2lane.timeutil import YEARS, at, parse_clock, today

StationWaitsValue = str | dict[str, Any] | None
STATION_WAITS_FIELD: Any = Field(
    default=None,
    description="station-waits file of 'h2lane simulate --waits' (a service request gives "
    "the document itself)",
)


class TripOptions(Request):
    """What ``h2lane trip`` (and ``POST /plans`` with kind ``trip``) asks for."""

    origin: str = Field(alias="from", min_length=1, description="place name or 'lat,lon'")
    to: str = Field(min_length=1, description="place name or 'lat,lon'")
    via: list[str] = Field(default_factory=list, description="intermediate places, in order")
    round_trip: bool = False
    return_loaded: bool = False
    truck: str | None = None
    tank_kg: float | None = Field(default=None, gt=0, le=2000, description="kg")
    kg_per_100km: float | None = Field(default=None, gt=0, le=100, description="kg/100 km")
    kg_per_100km_empty: float | None = Field(default=None, gt=0, le=100, description="kg/100 km")
    speed_kmh: float | None = Field(default=None, gt=0, le=150, description="km/h")
    start_kg: float | None = Field(default=None, ge=0, le=2000, description="kg")
    reserve_kg: float = Field(default=params.DEFAULT_RESERVE_KG.value, ge=0, le=2000)
    optimize: Literal["time", "cost"] = "time"
    refuel: Literal["partial", "full"] = "partial"
    depart: str | None = Field(default=None, description="HH:MM today or ISO date-time")
    tonnes: float | None = Field(default=None, gt=0, le=200, description="t on loaded legs")
    rest: bool = Field(default=True, description="apply the driver rest rules")
    scenario: str = DEFAULT_SCENARIO
    stations: str | None = None
    roads: str | None = None
    station_waits: StationWaitsValue = STATION_WAITS_FIELD


@dataclass(slots=True)
class StationQueues:
    """Expected queue waits read for a planner: per station id 24 hourly minutes."""

    by_station: dict[str, list[float]]
    source: str

    @property
    def notice(self) -> str:
        return (
            f"station queues: each stop waits the expected queue of {self.source} for its "
            "clock hour, joining when that starts the fill earliest (docs/station-waits.md)"
        )


def station_queues(value: str | dict[str, Any] | None) -> StationQueues | None:
    """Read ``--station-waits`` (a file, or the document itself); None when not given."""
    if value is None:
        return None
    from h2lane.supply.feedback import StationWaits

    if isinstance(value, dict):
        waits = StationWaits(value, "station_waits")
        return StationQueues(waits.by_station(), "the request's station_waits")
    waits = StationWaits.read(value)
    return StationQueues(waits.by_station(), value)


@dataclass(slots=True)
class TripResult:
    """The plan document plus what a renderer needs (graph, stations, the planner's object)."""

    document: PlanDocument
    plan: trip_planner.TripPlan
    graph: RoadGraph
    stations: list[Station]


def parse_depart(text: str | None, option: str = "--depart") -> datetime:
    """``HH:MM`` today, an ISO date-time (naive = China time), or 08:00 today."""
    if text is None:
        return at(today(), 8)
    value = parse_clock(text)
    if value is None:
        raise OptionError(
            f"{option} '{text}' is not a time HH:MM or an ISO date-time like 2026-12-01T06:00 "
            f"in the years {YEARS[0]}–{YEARS[1]}"
        )
    return value


def truck_from_options(scenario: Scenario, o: TripOptions) -> TruckType:
    """The scenario's truck type, or a custom one from ``--tank-kg``/``--kg-per-100km``."""
    if o.truck is not None and (o.tank_kg is not None or o.kg_per_100km is not None):
        raise OptionError("give either --truck TYPE or --tank-kg/--kg-per-100km, not both")
    if o.tank_kg is not None or o.kg_per_100km is not None:
        if o.tank_kg is None or o.kg_per_100km is None:
            raise OptionError("--tank-kg and --kg-per-100km must be given together")
        base = TruckType(
            id="custom",
            name=f"custom {o.tank_kg:g} kg / {o.kg_per_100km:g} kg per 100 km",
            tank_kg=o.tank_kg,
            kg_per_100km=o.kg_per_100km,
            kg_per_100km_empty=o.kg_per_100km_empty
            if o.kg_per_100km_empty is not None
            else round(o.kg_per_100km * params.FCET_EMPTY_RATIO.value, 6),
        )
    else:
        if not scenario.truck_types and o.truck is None:
            raise OptionError(
                f"scenario '{scenario.name}' has no truck types; give --tank-kg and --kg-per-100km"
            )
        type_id = o.truck or scenario.truck_types[0].id
        found = scenario.truck_type(type_id)
        if found is None:
            known = ", ".join(t.id for t in scenario.truck_types) or "none"
            raise OptionError(f"--truck: unknown truck type '{type_id}' (known: {known})")
        base = dataclasses.replace(found)
        if o.kg_per_100km_empty is not None:
            base.kg_per_100km_empty = o.kg_per_100km_empty
    if o.speed_kmh is not None:
        base.speed_kmh = o.speed_kmh
    return base


def build_request(
    ctx: Context, o: TripOptions, queues: StationQueues | None = None
) -> trip_planner.TripRequest:
    """The planner's request: places resolved, truck chosen, levels checked, queues given."""
    scen = ctx.scenario
    truck = truck_from_options(scen, o)
    names = [o.origin, *o.via, o.to]
    options = ["--from", *(["--via"] * len(o.via)), "--to"]
    waypoints = [resolve_place(n, scen, option=opt) for n, opt in zip(names, options, strict=True)]
    if all((w.lat, w.lon) == (waypoints[0].lat, waypoints[0].lon) for w in waypoints):
        raise RequestError(
            f"--from and --to are both {waypoints[0].name}: there is no trip to plan", "to"
        )
    loaded = [True] * (len(waypoints) - 1)
    if o.round_trip:
        waypoints.append(resolve_place(o.origin, scen, option="--from"))
        loaded.append(o.return_loaded)
    start = truck.tank_kg if o.start_kg is None else o.start_kg
    if start > truck.tank_kg + 1e-9:
        raise RequestError(
            f"--start-kg {start:g} exceeds the usable tank of {truck.tank_kg:g} kg "
            f"of truck type '{truck.id}'",
            "start_kg",
        )
    if o.reserve_kg >= truck.tank_kg:
        raise RequestError(
            f"--reserve-kg {o.reserve_kg:g} leaves nothing of the {truck.tank_kg:g} kg tank "
            "to drive on",
            "reserve_kg",
        )
    if o.tonnes is not None and o.tonnes > truck.payload_t + 1e-9:
        raise RequestError(
            f"--tonnes {o.tonnes:g} exceeds the {truck.payload_t:g} t payload of truck type "
            f"'{truck.id}'",
            "tonnes",
        )
    return trip_planner.TripRequest(
        waypoints=waypoints,
        truck=truck,
        loaded=loaded,
        start_kg=start,
        reserve_kg=o.reserve_kg,
        objective=o.optimize,
        depart=parse_depart(o.depart),
        full_refuel=o.refuel == "full",
        tonnes=o.tonnes,
        rest=RestRules() if o.rest else RestRules.off(),
        queue_wait_min=queues.by_station if queues is not None else None,
    )


def plan_trip(o: TripOptions, ctx: Context | None = None) -> TripResult:
    """Plan the trip ``o`` asks for; raises an InputError or InfeasibleTripError."""
    ctx = ctx or Context(scenario_spec=o.scenario, stations_file=o.stations, roads_spec=o.roads)
    queues = station_queues(o.station_waits)
    request = build_request(ctx, o, queues)
    stations = ctx.stations
    graph = ctx.graph
    ctx.report("planning the trip", 0.0, None)
    plan = trip_planner.plan_trip(graph, stations, request)
    ctx.report("planning the trip", 1.0, 1.0)
    if queues is not None:
        plan.notices.append(queues.notice)
    document = trip_document(plan.to_dict(), ends_after={len(o.via)})
    document.scenario = ctx.scenario.name
    return TripResult(document, plan, graph, stations)
