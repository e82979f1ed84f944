"""Random small VRP instances the solver tests share: a depot, customers, two stations."""

from __future__ import annotations

import numpy as np

from h2lane.routing.vrp.instances import find_unservable
from h2lane.routing.vrp.model import Objective, VRPInstance


def random_instance(
    seed: int,
    n_cust: int,
    *,
    name: str,
    windows: tuple[float, float, float, float] | None,
    tank: float | tuple[float, float],
    load_capacity: float,
    refuel_rate: float,
    objective: Objective,
    full_refuel: bool = True,
) -> VRPInstance:
    """Node 0 the depot, then ``n_cust`` customers, then two stations, on a 100 × 100 plane.

    ``windows`` ``(latest ready, shortest, longest width, depot due)`` gives the customers
    random time windows (``None``: none); the tank is ``tank`` times the farthest customer
    from the depot, or a random factor between the two of a pair. Demands are 1 to 3, service
    5; the unservable customers are found.
    """
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 100, size=(1 + n_cust + 2, 2))
    kinds = np.array([0] + [1] * n_cust + [2, 2], dtype=np.int8)
    dist = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
    far = dist[0, 1 : 1 + n_cust].max()
    ready = np.zeros(len(kinds))
    due = np.full(len(kinds), np.inf)
    if windows is not None:
        latest, shortest, longest, depot_due = windows
        ready[1 : 1 + n_cust] = rng.uniform(0, latest, n_cust)
        due[1 : 1 + n_cust] = ready[1 : 1 + n_cust] + rng.uniform(shortest, longest, n_cust)
        due[0] = depot_due
    demand = np.r_[0, rng.integers(1, 4, n_cust), 0, 0].astype(float)
    factor = rng.uniform(*tank) if isinstance(tank, tuple) else tank
    inst = VRPInstance(
        name=name,
        kinds=kinds,
        labels=[str(i) for i in range(len(kinds))],
        x=pts[:, 0],
        y=pts[:, 1],
        dist=dist,
        speed=1.0,
        demand=demand,
        service=np.r_[0, np.full(n_cust, 5.0), 0, 0],
        ready=ready,
        due=due,
        tank=float(far * factor),
        consumption=1.0,
        load_capacity=load_capacity,
        refuel_fixed=2.0,
        refuel_rate=refuel_rate,
        full_refuel=full_refuel,
        objective=objective,
    )
    find_unservable(inst)
    return inst
