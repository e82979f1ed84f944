"""Why a customer is left out of a plan: one sentence per unserved customer.

:func:`unserved_customers` explains the customers of ``inst.unservable`` (no route of its
own can serve them: payload, range, time window, duration or the driver rest rules) and those a solver could not
fit into the fleet. The CLI names them and exits with the infeasible-plan code unless told
to accept a partial plan.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

from h2lane.routing.vrp.model import DEPOT, STATION, UnservedCustomer, VRPInstance, VRPSolution

__all__ = ["explain_unservable", "unserved_customers"]

_EPS = 1e-6


def _num(x: float, unit: str) -> str:
    return f"{x:.4g} {unit}".strip() if unit else f"{x:.4g}"


def explain_unservable(inst: VRPInstance, c: int) -> UnservedCustomer:
    """The reason no route of its own can serve customer ``c`` (checked in that order)."""
    return _explain(inst, c, _Earliest(inst))


class _Earliest:
    """``_earliest_return(inst, windows=True)``, computed on first use (it covers every node)."""

    def __init__(self, inst: VRPInstance) -> None:
        self.inst = inst
        self.value: NDArray[np.float64] | None = None

    def __call__(self) -> NDArray[np.float64]:
        if self.value is None:
            from h2lane.routing.vrp.instances import _earliest_return

            self.value = _earliest_return(self.inst, windows=True)
        return self.value


def _explain(inst: VRPInstance, c: int, earliest: _Earliest) -> UnservedCustomer:
    """:func:`explain_unservable` with the earliest returns shared between customers."""
    who = f"customer {c} ({inst.labels[c]})"
    fleet = inst.fleet
    unit = inst.distance_unit
    payload = max(float(v.load_capacity) for v in fleet)
    if float(inst.demand[c]) > payload + _EPS:
        return UnservedCustomer(
            c,
            inst.labels[c],
            "payload",
            f"{who} has demand {inst.demand[c]:.4g}, above the largest payload "
            f"{payload:.4g} of the fleet.",
        )
    reach = max(
        float(v.tank) / float(v.consumption) if v.consumption > 0 else math.inf for v in fleet
    )
    charging = inst.kinds == STATION
    if inst.depot_refuels:
        charging = charging | (inst.kinds == DEPOT)
    src = np.flatnonzero(charging | (inst.kinds == DEPOT))
    dst = np.flatnonzero(charging | (inst.kinds == DEPOT))
    d_in = float(inst.dist[src, c].min()) if len(src) else math.inf
    d_out = float(inst.dist[c, dst].min()) if len(dst) else math.inf
    if math.isfinite(reach) and d_in > reach + _EPS:
        return UnservedCustomer(
            c,
            inst.labels[c],
            "range",
            f"{who} is {_num(d_in, unit)} from the nearest station or depot, beyond the "
            f"{_num(reach, unit)} range.",
        )
    if math.isfinite(reach) and d_in + d_out > reach + _EPS:
        return UnservedCustomer(
            c,
            inst.labels[c],
            "range",
            f"{who} is {_num(d_in, unit)} from the nearest station or depot and "
            f"{_num(d_out, unit)} back to one, more than the {_num(reach, unit)} range.",
        )
    if not math.isfinite(float(earliest()[c])):
        return UnservedCustomer(
            c,
            inst.labels[c],
            "time_window",
            f"{who} cannot be reached by its due time {inst.due[c]:.4g} and the vehicle back "
            f"at the depot by {inst.due[0]:.4g}, even with station stops.",
        )
    rest = inst.rest
    if rest.enabled:
        return UnservedCustomer(
            c,
            inst.labels[c],
            "rest",
            f"{who} fits in no route of its own within the driver rest rules (a "
            f"{rest.break_min:g} min break after {rest.max_drive_h:g} h of driving, at most "
            f"{rest.max_daily_drive_h:g} h of driving a day).",
        )
    return UnservedCustomer(
        c,
        inst.labels[c],
        "duration",
        f"{who} needs a route longer than the maximum duration {inst.max_duration:.4g}, "
        "even with station stops.",
    )


def unserved_customers(
    inst: VRPInstance,
    solution_or_unservable: VRPSolution | Iterable[int] | None = None,
    fleet_short: Iterable[int] = (),
) -> list[UnservedCustomer]:
    """Every customer a plan leaves out, with its reason, in node order.

    Pass a solution (its :attr:`~VRPSolution.unserved` is returned, or rebuilt from its
    ``unservable`` list), or the unservable customers (default ``inst.unservable``) and
    the customers the fleet could not take (``fleet_short``).
    """
    if isinstance(solution_or_unservable, VRPSolution):
        sol = solution_or_unservable
        if sol.unserved:
            return list(sol.unserved)
        unservable: Iterable[int] = sol.unservable
    elif solution_or_unservable is None:
        unservable = inst.unservable
    else:
        unservable = solution_or_unservable
    earliest = _Earliest(inst)
    out = {int(c): _explain(inst, int(c), earliest) for c in unservable}
    counts = [v.count for v in inst.fleet]
    avail = "the vehicles available" if None in counts else f"the {sum(counts)} vehicles available"  # type: ignore[arg-type]
    for c in fleet_short:
        c = int(c)
        out.setdefault(
            c,
            UnservedCustomer(
                c,
                inst.labels[c],
                "fleet",
                f"customer {c} ({inst.labels[c]}) could not be served: the fleet is too small "
                f"(every plan found needs more than {avail}).",
            ),
        )
    return [out[c] for c in sorted(out)]
