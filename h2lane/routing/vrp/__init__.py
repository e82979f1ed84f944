"""Vehicle routing with refuelling stops: model, readers, solver, queues, feasibility checker."""

from h2lane.routing.vrp.checker import CheckReport, Violation, check_solution
from h2lane.routing.vrp.instances import (
    InstanceFormatError,
    find_unservable,
    load_bks,
    read_cec,
    read_emh,
    read_evrptw,
    read_instance,
)
from h2lane.routing.vrp.model import (
    CUSTOMER,
    DEPOT,
    OBJECTIVES,
    STATION,
    UnservedCustomer,
    VehicleType,
    VRPInstance,
    VRPSolution,
)
from h2lane.routing.vrp.native import example_path, read_native, write_native
from h2lane.routing.vrp.solver import SearchParams, solve_vrp
from h2lane.routing.vrp.stop import (
    Improvement,
    MaxIterations,
    MaxRuntime,
    MultipleCriteria,
    SolveCallbacks,
    StoppingCriterion,
)
from h2lane.routing.vrp.unserved import explain_unservable, unserved_customers

__all__ = [
    "CUSTOMER",
    "DEPOT",
    "OBJECTIVES",
    "STATION",
    "CheckReport",
    "Improvement",
    "InstanceFormatError",
    "MaxIterations",
    "MaxRuntime",
    "MultipleCriteria",
    "SearchParams",
    "SolveCallbacks",
    "StoppingCriterion",
    "UnservedCustomer",
    "VRPInstance",
    "VRPSolution",
    "VehicleType",
    "Violation",
    "check_solution",
    "example_path",
    "explain_unservable",
    "find_unservable",
    "load_bks",
    "read_cec",
    "read_emh",
    "read_evrptw",
    "read_instance",
    "read_native",
    "solve_vrp",
    "unserved_customers",
    "write_native",
]
