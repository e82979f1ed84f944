"""Vehicle routing with refuelling stops: model, benchmark readers, feasibility checker."""

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
from h2lane.routing.vrp.model import CUSTOMER, DEPOT, STATION, VRPInstance, VRPSolution

__all__ = [
    "CUSTOMER",
    "DEPOT",
    "STATION",
    "CheckReport",
    "InstanceFormatError",
    "VRPInstance",
    "VRPSolution",
    "Violation",
    "check_solution",
    "find_unservable",
    "load_bks",
    "read_cec",
    "read_emh",
    "read_evrptw",
    "read_instance",
]
