"""Data model of the vehicle routing problem with refuelling (G-VRP, E-VRPTW, E-CVRP).

Nodes keep the order of the instance file: index 0 is the (first) depot, the others follow as
the file lists them (customers, stations and further depots interleaved as in the file). A
route is a list of node indices that starts and ends with its vehicle type's depot (0 on the
benchmark families) and includes its station visits.

A fleet is a list of :class:`VehicleType`; instances without one have a single type built from
the instance-wide fields (tank, consumption, speed, payload, duration, start level).

Units are those of the instance (the readers document them): distance in the file's unit,
time in the file's unit, energy (fuel, hydrogen, battery) in the file's unit.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from h2lane.errors import OptionError
from h2lane.routing.rest import RestRules

DEPOT, CUSTOMER, STATION = 0, 1, 2
_PER_HOUR = {"": 1.0, "h": 1.0, "hour": 1.0, "hours": 1.0, "min": 60.0, "s": 3600.0}
Objective = Literal["distance", "vehicles-distance", "time", "cost"]
OBJECTIVES: tuple[str, ...] = ("distance", "vehicles-distance", "time", "cost")
"""``distance``: total length. ``vehicles-distance``: fewest routes, then length.
``time``: total route duration (departure to return, queue waits included). ``cost``: per route
``fixed_cost + cost_per_distance * length + cost_per_time * duration`` of its vehicle type."""


@dataclass(slots=True)
class VehicleType:
    """One kind of vehicle in the fleet.

    Attributes
    ----------
    name
        Label used in outputs.
    depot
        Node index (a node of kind ``DEPOT``) where this type's routes start and end.
    count
        Vehicles available; ``None`` = as many as needed.
    tank
        Usable energy capacity (``inf`` = no range limit).
    consumption
        Energy per distance unit.
    load_capacity
        Payload (``inf`` when unconstrained).
    speed
        Distance per time unit.
    max_duration
        Longest route, departure to return (``inf`` when none).
    start_energy
        Energy on leaving the depot; ``None`` = full.
    fixed_cost, cost_per_distance, cost_per_time
        Cost terms for the ``cost`` objective (per route used, per distance unit, per time unit).
    """

    name: str = "vehicle"
    depot: int = 0
    count: int | None = None
    tank: float = float("inf")
    consumption: float = 1.0
    load_capacity: float = float("inf")
    speed: float = 1.0
    max_duration: float = float("inf")
    start_energy: float | None = None
    fixed_cost: float = 0.0
    cost_per_distance: float = 0.0
    cost_per_time: float = 0.0

    @property
    def initial_energy(self) -> float:
        return self.tank if self.start_energy is None else self.start_energy


@dataclass(slots=True)
class VRPInstance:
    """One routing instance with refuelling stations.

    Attributes
    ----------
    name
        Instance name.
    kinds
        ``(n,)`` int8: 0 depot (index 0 and any further depots), 1 customer, 2 station.
    labels
        Node identifiers from the file.
    x, y
        Coordinates (longitude/latitude for G-VRP, plane coordinates otherwise).
    dist
        ``(n, n)`` travel distances.
    speed
        Distance per time unit; travel time = dist / speed.
    demand, service, ready, due
        ``(n,)`` load, service time, time window (``due = inf`` when none).
    tank
        Usable energy capacity of a vehicle.
    consumption
        Energy per distance unit.
    load_capacity
        Vehicle payload (``inf`` when unconstrained).
    max_duration
        Maximum route duration from leaving to returning to the depot (``inf`` when none).
    refuel_fixed
        Time per station visit (e.g. 15 min in G-VRP).
    refuel_rate
        Time per unit of energy refuelled (E-VRPTW ``g``).
    full_refuel
        Stations always fill the tank (benchmark convention); else partial refuels allowed.
    depot_refuels
        Vehicles leave the depot full and may refuel there between trips.
    start_energy
        Energy at departure; ``None`` means full.
    fleet_size
        Available vehicles; ``None`` = free fleet size.
    objective
        One of :data:`OBJECTIVES`.
    station_capacity
        ``(n,)`` number of dispensers per station (0 = unlimited) or ``None``. Vehicles that
        find every dispenser busy queue first-come first-served.
    fixed_cost
        Cost per vehicle used (for ``cost`` objectives).
    vehicle_types
        The fleet; ``None`` = one type from the instance-wide fields (see :attr:`fleet`).
    unservable
        Customers that no feasible route can serve (filled by :func:`find_unservable`).
    rest
        Driver rest rules of the time model (:class:`~h2lane.routing.rest.RestRules`, limits
        in hours, converted with :attr:`time_unit`). Off by default: the benchmark families
        keep their published conventions; the h2lane format turns them on.
    """

    name: str
    kinds: NDArray[np.int8]
    labels: list[str]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    dist: NDArray[np.float64]
    speed: float = 1.0
    demand: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    service: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    ready: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    due: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    tank: float = float("inf")
    consumption: float = 1.0
    load_capacity: float = float("inf")
    max_duration: float = float("inf")
    refuel_fixed: float = 0.0
    refuel_rate: float = 0.0
    full_refuel: bool = True
    depot_refuels: bool = True
    start_energy: float | None = None
    fleet_size: int | None = None
    objective: Objective = "distance"
    station_capacity: NDArray[np.int64] | None = None
    fixed_cost: float = 0.0
    distance_unit: str = ""
    time_unit: str = ""
    unservable: list[int] = field(default_factory=list)
    vehicle_types: list[VehicleType] | None = None
    rest: RestRules = field(default_factory=RestRules.off)

    def __post_init__(self) -> None:
        n = len(self.kinds)
        for name in ("demand", "service", "ready"):
            if len(getattr(self, name)) == 0:
                setattr(self, name, np.zeros(n))
        if len(self.due) == 0:
            self.due = np.full(n, np.inf)

    @property
    def n_nodes(self) -> int:
        return len(self.kinds)

    @property
    def customers(self) -> NDArray[np.int64]:
        return np.flatnonzero(self.kinds == CUSTOMER)

    @property
    def stations(self) -> NDArray[np.int64]:
        return np.flatnonzero(self.kinds == STATION)

    @property
    def travel_time(self) -> NDArray[np.float64]:
        return self.dist / self.speed

    @property
    def energy(self) -> NDArray[np.float64]:
        return self.dist * self.consumption

    @property
    def initial_energy(self) -> float:
        return self.tank if self.start_energy is None else self.start_energy

    @property
    def hours(self) -> float:
        """Instance time units per hour (``time_unit`` "h", "min" or "s"; empty = hours)."""
        per_hour = _PER_HOUR.get(self.time_unit.strip().lower())
        if per_hour is None:
            raise OptionError(
                f"instance {self.name} has time unit {self.time_unit!r}, which the rest rules "
                f"cannot convert; use one of {', '.join(sorted(k for k in _PER_HOUR if k))}"
            )
        return per_hour

    @property
    def depots(self) -> NDArray[np.int64]:
        return np.flatnonzero(self.kinds == DEPOT)

    @property
    def fleet(self) -> list[VehicleType]:
        """The vehicle types; one built from the instance-wide fields when none are given."""
        if self.vehicle_types:
            return list(self.vehicle_types)
        return [
            VehicleType(
                name="vehicle",
                depot=0,
                count=self.fleet_size,
                tank=self.tank,
                consumption=self.consumption,
                load_capacity=self.load_capacity,
                speed=self.speed,
                max_duration=self.max_duration,
                start_energy=self.start_energy,
                fixed_cost=self.fixed_cost,
                cost_per_distance=1.0 if self.objective != "time" else 0.0,
                cost_per_time=1.0 if self.objective == "time" else 0.0,
            )
        ]


@dataclass(frozen=True, slots=True)
class UnservedCustomer:
    """A customer a plan leaves out, and why (see :func:`h2lane.routing.vrp.unserved_customers`).

    ``reason`` is one of ``payload``, ``range``, ``time_window``, ``duration``, ``rest`` (no
    route of its own can serve it) or ``fleet`` (the fleet is too small for everyone); ``message``
    is one sentence naming the customer.
    """

    node: int
    label: str
    reason: Literal["payload", "range", "time_window", "duration", "rest", "fleet"]
    message: str


@dataclass(slots=True)
class VRPSolution:
    """Routes (node indices in file order, depot at both ends) and their totals.

    ``route_types[r]`` is the index in ``inst.fleet`` of route ``r``'s vehicle type;
    ``departures[r]`` its departure time; ``waits`` maps (route, position) of a station visit
    to the time spent queueing for a dispenser there; ``refuel_amounts`` maps (route, position)
    of a charging stop to the energy added (partial-refuelling instances only);
    ``rest_stops`` the station stops extended to a driver's break (rest rules on).
    ``cost`` is the objective value (total distance for ``distance``; see
    :data:`OBJECTIVES`).
    """

    routes: list[list[int]]
    distance: float
    vehicles: int
    unservable: list[int] = field(default_factory=list)
    cost: float = 0.0
    duration: float = 0.0
    route_types: list[int] = field(default_factory=list)
    departures: list[float] = field(default_factory=list)
    waits: dict[tuple[int, int], float] = field(default_factory=dict)
    refuel_amounts: dict[tuple[int, int], float] = field(default_factory=dict)
    rest_stops: list[tuple[int, int]] = field(default_factory=list)
    """(route, position) of the station stops where the driver takes the rest-rule break
    (the stop lasts at least ``inst.rest.break_min``); other breaks are taken on the road
    when the driving limit is reached. Empty without rest rules."""
    seconds: float = 0.0
    iterations: int = 0
    history: list[tuple[float, float]] = field(default_factory=list)
    """(seconds, best distance) at each improvement: the anytime profile."""
    unserved: list[UnservedCustomer] = field(default_factory=list)
    """Customers left out (``unservable`` ones and, with ``allow_unserved``, those the fleet
    could not take), each with its reason."""


def route_distance(inst: VRPInstance, route: list[int]) -> float:
    """Length of one route."""
    return float(sum(inst.dist[a, b] for a, b in itertools.pairwise(route)))


def solution_distance(inst: VRPInstance, routes: list[list[int]]) -> float:
    return sum(route_distance(inst, r) for r in routes)
