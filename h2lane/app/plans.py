"""Use case: run one plan request of a kind (trip, dispatch, vrp) to its plan document.

The service's plan jobs call :func:`run_plan`; the CLI commands call the same use cases
(:func:`h2lane.app.trip.plan_trip`, :func:`h2lane.app.dispatch.dispatch_orders`,
:func:`h2lane.app.vrp.solve_instance`), so a job's result equals the command's ``--json``.
"""

from __future__ import annotations

from typing import Any, Literal

from h2lane.app.context import Context
from h2lane.app.requests import RequestError

PlanKind = Literal["trip", "dispatch", "vrp"]
PLAN_KINDS: tuple[str, ...] = ("trip", "dispatch", "vrp")

SERVER_SIDE_KEYS = ("scenario", "stations", "roads")
"""Request keys naming server files: the service plans on its database's scenario instead."""


def check_request(kind: str, request: dict[str, Any], *, from_service: bool = True) -> Any:
    """The typed request of ``kind`` (an :class:`~h2lane.errors.InputError` if it is wrong)."""
    if kind not in PLAN_KINDS:
        raise RequestError(f"kind must be one of {', '.join(PLAN_KINDS)}, got {kind!r}", "kind")
    if not isinstance(request, dict):
        raise RequestError("request must be an object of option: value", "request")
    if from_service:
        for key in SERVER_SIDE_KEYS:
            if key in request:
                raise RequestError(
                    f"--{key} is not accepted by the service: it plans on its own scenario", key
                )
        if isinstance(request.get("station_waits"), str):
            raise RequestError(
                "station_waits: the service takes the station-waits document itself (an "
                "object), not a file name",
                "station_waits",
            )
    if kind == "trip":
        from h2lane.app.trip import TripOptions

        return TripOptions.build(**request)
    if kind == "dispatch":
        from h2lane.app.dispatch import DispatchOptions

        return DispatchOptions.build(**request)
    from h2lane.app.vrp import VRPOptions

    options = VRPOptions.build(**request)
    if from_service:
        from h2lane.routing.vrp.native import EXAMPLES

        if options.instance not in EXAMPLES or options.format != "h2lane":
            known = ", ".join(EXAMPLES)
            raise RequestError(
                f"the service solves the bundled h2lane-format examples only ({known}), "
                f"got {options.instance!r}",
                "instance",
            )
    return options


def run_plan(kind: str, request: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Plan ``request`` of ``kind`` in ``ctx``; the plan document as ``--json`` prints it."""
    options = check_request(kind, request)
    if kind == "trip":
        from h2lane.app.trip import plan_trip

        return plan_trip(options, ctx).document.to_json_dict()
    if kind == "dispatch":
        from h2lane.app.dispatch import dispatch_orders

        return dispatch_orders(options, ctx).document.to_json_dict()
    from h2lane.app.vrp import solve_instance

    return solve_instance(options, ctx).document.to_json_dict()
