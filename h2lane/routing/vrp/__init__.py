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
    VehicleType,
    VRPInstance,
    VRPSolution,
)
from h2lane.routing.vrp.native import example_path, read_native, write_native

__all__ = [
    "CUSTOMER",
    "DEPOT",
    "OBJECTIVES",
    "STATION",
    "CheckReport",
    "InstanceFormatError",
    "VRPInstance",
    "VRPSolution",
    "VehicleType",
    "Violation",
    "check_solution",
    "example_path",
    "find_unservable",
    "load_bks",
    "read_cec",
    "read_emh",
    "read_evrptw",
    "read_instance",
    "read_native",
    "write_native",
]
