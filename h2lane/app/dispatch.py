"""Use case: assign a scenario's freight orders to its trucks, with exact refuelling per truck."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from h2lane import params
from h2lane.app.context import DEFAULT_SCENARIO, Context
from h2lane.app.documents import dispatch_document
from h2lane.app.requests import Request
from h2lane.app.trip import (
    STATION_WAITS_FIELD,
    StationWaitsValue,
    parse_depart,
    station_queues,
)
from h2lane.plan import PlanDocument
from h2lane.roads.graph import RoadGraph
from h2lane.routing import dispatch as dispatcher
from h2lane.routing.rest import RestRules
from h2lane.scenario.model import Station


class DispatchOptions(Request):
    """What ``h2lane dispatch`` (and ``POST /plans`` with kind ``dispatch``) asks for."""

    scenario: str = DEFAULT_SCENARIO
    optimize: Literal["time", "cost"] = "time"
    reserve_kg: float = Field(default=params.DEFAULT_RESERVE_KG.value, ge=0, le=2000)
    stations: str | None = None
    depart: str | None = Field(
        default=None, description="departure for orders without a ready time"
    )
    rest: bool = Field(default=True, description="apply the driver rest rules")
    station_waits: StationWaitsValue = STATION_WAITS_FIELD
    engine: Literal["vrp", "greedy"] = Field(
        default="vrp", description="vrp: the full-truckload search; greedy: the insertion baseline"
    )
    time_limit: float = Field(default=5.0, gt=0, le=3600, description="search seconds (vrp)")
    seed: int = Field(default=0, ge=0, description="random seed of the search (vrp)")
    return_to_depot: bool = Field(
        default=True, description="end every chain at the truck's depot (else at the last delivery)"
    )


@dataclass(slots=True)
class DispatchResult:
    document: PlanDocument
    graph: RoadGraph
    stations: list[Station]

    @property
    def complete(self) -> bool:
        """Whether every order is served."""
        return not self.document.unassigned


def dispatch_orders(o: DispatchOptions, ctx: Context | None = None) -> DispatchResult:
    """Dispatch the scenario's orders; orders that cannot be served are listed with reasons."""
    ctx = ctx or Context(scenario_spec=o.scenario, stations_file=o.stations)
    scen, stations = ctx.scenario, ctx.stations
    depart = parse_depart(o.depart)
    queues = station_queues(o.station_waits)
    graph = ctx.graph

    def tick(done: int, total: int) -> None:
        ctx.report("dispatching orders", float(done), float(total))

    plan = dispatcher.plan_dispatch(
        scen,
        graph,
        stations=stations,
        objective=o.optimize,
        reserve_kg=o.reserve_kg,
        default_depart=depart,
        progress=tick,
        rest=RestRules() if o.rest else RestRules.off(),
        queue_wait_min=queues.by_station if queues is not None else None,
        engine=o.engine,
        time_limit=o.time_limit,
        seed=o.seed,
        return_to_depot=o.return_to_depot,
    )
    document = dispatch_document(plan.to_dict())
    if queues is not None:
        document.notices.append(queues.notice)
    return DispatchResult(document, graph, stations)
