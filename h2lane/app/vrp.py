"""Use case: solve a refuelling VRP instance and verify the answer independently."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from h2lane.app.context import Context, load_graph
from h2lane.app.documents import geographic, vrp_document
from h2lane.app.requests import Request, RequestError
from h2lane.errors import InfeasiblePlanError, OptionError
from h2lane.plan import PlanDocument
from h2lane.timeutil import at, today

MAP_GRAPH = "north-china"
"""Road graph VRP maps are drawn on (nodes farther than 30 km from it get straight lines)."""

InstanceFormat = Literal["emh", "evrptw", "cec", "h2lane"]
VRPObjective = Literal["distance", "vehicles-distance", "time", "cost"]


class VRPOptions(Request):
    """What ``h2lane vrp solve`` (and ``POST /plans`` with kind ``vrp``) asks for."""

    instance: str = Field(min_length=1, description="instance file, or a bundled h2lane example")
    format: InstanceFormat
    time_limit: float = Field(default=10.0, gt=0, le=86_400, description="seconds of search")
    max_iterations: int | None = Field(default=None, gt=0, le=10**9)
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    max_duration_h: float | None = Field(default=None, gt=0, le=1000)
    objective: VRPObjective | None = None
    refuel: Literal["partial", "full"] | None = None
    start_level: float | None = Field(default=None, gt=0, le=1)
    dispensers: int | None = Field(default=None, ge=0, le=1000)
    allow_unserved: bool = False


@dataclass(slots=True)
class VRPResult:
    document: PlanDocument
    instance: Any
    solution: Any
    report: Any
    violations: list[str]
    graph: Any = None
    """The road graph for a map (set when ``map_wanted``)."""

    @property
    def verified(self) -> bool:
        return not self.violations


def load_instance(o: VRPOptions) -> Any:
    """Read the instance (a bundled example by name for the h2lane format) and apply overrides."""
    from h2lane.routing.vrp.instances import read_instance

    path = Path(o.instance)
    if o.format == "h2lane" and not path.exists():
        from h2lane.routing.vrp.native import EXAMPLES, example_path

        if o.instance in EXAMPLES:
            path = example_path(o.instance)
    inst = read_instance(path, o.format, max_duration_h=o.max_duration_h)
    apply_overrides(inst, o)
    return inst


def apply_overrides(inst: Any, o: VRPOptions) -> None:
    """``--objective``, ``--refuel``, ``--start-level``, ``--dispensers`` on an instance."""
    if o.objective is not None:
        inst.objective = o.objective
    if o.refuel is not None:
        inst.full_refuel = o.refuel == "full"
    if o.start_level is not None:
        fleet = inst.fleet
        for vt in fleet:
            vt.start_energy = o.start_level * vt.tank
        inst.vehicle_types = fleet
        inst.start_energy = o.start_level * inst.tank
    if o.dispensers == 0:
        inst.station_capacity = None  # unlimited: no queues
    elif o.dispensers is not None:
        cap = np.zeros(inst.n_nodes, dtype=np.int64)
        cap[inst.stations] = o.dispensers
        inst.station_capacity = cap
    if inst.objective == "cost" and not any(
        vt.fixed_cost or vt.cost_per_distance or vt.cost_per_time for vt in inst.fleet
    ):
        raise RequestError(
            f"--objective cost needs vehicle costs, and {inst.name} gives none "
            "(use an h2lane-format instance with fixed_cost / cost_per_distance / cost_per_time)",
            "objective",
        )
    if o.refuel is not None or o.start_level is not None:
        from h2lane.routing.vrp.native import fleet_unservable

        inst.unservable = fleet_unservable(inst)  # servability depends on both


def solve_instance(
    o: VRPOptions, ctx: Context | None = None, *, map_wanted: bool = False
) -> VRPResult:
    """Solve, check with the independent checker, and build the plan document.

    Customers left out raise :class:`InfeasiblePlanError` naming each with its reason,
    unless ``allow_unserved`` (benchmark runs that drop unreachable customers by convention).
    """
    from h2lane.routing.vrp.checker import check_result
    from h2lane.routing.vrp.solver import solve_vrp
    from h2lane.routing.vrp.stop import MaxIterations, MaxRuntime, SolveCallbacks
    from h2lane.routing.vrp.unserved import unserved_customers

    ctx = ctx or Context()
    inst = load_instance(o)
    if map_wanted and not geographic(inst):
        raise OptionError(
            f"--map needs longitude/latitude coordinates; {inst.name} has plane coordinates"
        )
    task = f"routing {inst.name}"

    def on_progress(fraction: float, best: float) -> None:
        ctx.report(f"{task} (best {best:.2f})", fraction, 1.0)

    stop: list[Any] = [MaxRuntime(o.time_limit)]
    if o.max_iterations is not None:
        stop.append(MaxIterations(o.max_iterations))
    ctx.report(task, 0.0, 1.0)
    sol = solve_vrp(
        inst,
        stop=stop,
        seed=o.seed,
        callbacks=SolveCallbacks(on_progress=on_progress),
        allow_unserved=o.allow_unserved,
    )
    report = check_result(inst, sol)
    violations = [v.message for v in report.violations]
    if abs(report.cost - sol.cost) > 1e-6 * max(1.0, abs(sol.cost)):
        violations.append(
            f"The checker's objective value {report.cost:.6f} differs from the solver's "
            f"{sol.cost:.6f}."
        )
    unserved = unserved_customers(inst, sol)
    reasons = {int(u.node): u.message for u in unserved}
    if reasons and not o.allow_unserved:
        named = "; ".join(reasons.values())
        raise InfeasiblePlanError(
            f"{len(reasons)} customer(s) of {inst.name} cannot be served: {named.rstrip('.')}; "
            "give --allow-unserved to accept a plan without them",
            {
                "unserved": [
                    {"customer": u.label, "reason": u.reason, "message": u.message}
                    for u in unserved
                ]
            },
        )
    fleet = inst.fleet
    solver = {
        "instance": inst.name,
        "format": o.format,
        "objective_value": round(sol.cost, 6),
        "vehicles": sol.vehicles,
        "route_types": [fleet[t].name for t in sol.route_types],
        "routes": [list(map(int, r)) for r in sol.routes],
        "unservable": [int(c) for c in sol.unservable],
        "unserved_reasons": {int(c): r for c, r in reasons.items()},
        "departures": [round(t, 6) for t in sol.departures],
        "refuels": [
            {"route": r, "position": p, "node": sol.routes[r][p], "amount": round(a, 6)}
            for (r, p), a in sorted(sol.refuel_amounts.items())
        ],
        "queue_waits": [
            {"route": r, "position": p, "node": sol.routes[r][p], "wait": round(w, 6)}
            for (r, p), w in sorted(sol.waits.items())
        ],
        "rest_stops": [{"route": r, "position": p} for r, p in sol.rest_stops],
        "checker": {
            "ok": not violations,
            "distance": round(report.distance, 6),
            "cost": round(report.cost, 6),
            "violations": violations,
        },
        "seconds": round(sol.seconds, 3),
        "iterations": sol.iterations,
        "seed": o.seed,
    }
    base = at(today(), 0) if inst.time_unit == "h" else None
    document = vrp_document(inst, sol, report, solver, base_day=base)
    graph = load_graph(MAP_GRAPH) if map_wanted else None
    return VRPResult(document, inst, sol, report, violations, graph)
