"""The plan document: one typed, versioned JSON shape for trips, dispatches and VRP answers.

``h2lane trip``, ``h2lane dispatch`` and ``h2lane vrp solve`` all write a :class:`PlanDocument`
(``--json``); ``h2lane emissions --plan`` reads any of them back; the operations service
stores and serves the same document. ``h2lane plan schema`` prints its JSON schema.

Shape, top down: totals of the whole plan (``distance_km``, ``duration_h``, ``h2_kg``,
``cost``, …), ``routes`` (one per truck: its legs, refuelling stops and breaks), ``orders``
(the consignments served: origin, destination, tonnes, truck, pick-up and delivery times) and
``unassigned`` (orders left out, each with its reason). Times are ISO 8601 with an offset
(:mod:`h2lane.timeutil`). Distances are km, hydrogen kg, money CNY — except for VRP
benchmark instances, whose own units ``units`` declares (then clock times are absent).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
)

from h2lane import __version__
from h2lane.errors import InputFileError
from h2lane.timeutil import iso, parse_datetime

PLAN_VERSION = 2
PlanKind = Literal["trip", "dispatch", "vrp"]
KINDS: tuple[str, ...] = ("trip", "dispatch", "vrp")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, populate_by_name=True)


class _Open(BaseModel):
    """A part of the document that may carry extra keys (kept on read, written back)."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False, populate_by_name=True)


def _iso_minute(value: datetime) -> str:
    """ISO 8601 in China time, rounded to the minute."""
    return iso(value + timedelta(seconds=30) if value.second or value.microsecond else value)


Time = Annotated[datetime, PlainSerializer(_iso_minute, return_type=str, when_used="json")]
"""A time: read as ISO 8601 (naive = China time), written to the minute with ``+08:00``."""


def _china(value: Any) -> Any:
    """Validator: ISO text or datetime → aware China time; naive means China time."""
    if value is None:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValueError(f"{value!r} is not an ISO 8601 date-time")
    return parsed


class PlanPlace(_Model):
    """A named point (WGS-84; VRP instances on a plane have no lat/lon)."""

    name: str
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    node: int | None = Field(default=None, description="VRP: node index in file order")
    snap_km: float | None = Field(default=None, ge=0, description="distance to the road graph, km")


class PlanTruck(_Model):
    """The truck (type) that drives a route."""

    type: str
    truck_id: str | None = None
    tank_kg: float = Field(gt=0)
    kg_per_100km: float = Field(ge=0)
    kg_per_100km_empty: float = Field(ge=0)
    payload_t: float = Field(ge=0)
    speed_kmh: float = Field(gt=0)


class PlanStop(_Open):
    """A refuelling stop."""

    station_id: str
    name: str
    lat: float | None = None
    lon: float | None = None
    leg: int = Field(ge=0)
    km_from_start: float = Field(ge=0)
    arrive: Time | None = None
    depart: Time | None = None
    arrive_kg: float
    refuel_kg: float = Field(ge=0)
    depart_kg: float
    wait_min: float = Field(default=0.0, ge=0, description="waiting for opening or a dispenser")
    queue_wait_min: float = Field(
        default=0.0, ge=0, description="of the wait, the expected station queue (--station-waits)"
    )
    refuel_min: float = Field(default=0.0, ge=0, description="connect + kg ÷ nozzle flow")
    rest_min: float = Field(default=0.0, ge=0, description="added so the stop is a driver break")
    price: float | None = Field(default=None, ge=0, description="CNY/kg")
    cost: float = Field(default=0.0, ge=0, description="CNY")

    _times = field_validator("arrive", "depart", mode="before")(_china)


class PlanBreak(_Open):
    """A driver break or daily rest that is not (only) a refuelling stop."""

    leg: int = Field(ge=0)
    km_from_start: float = Field(ge=0)
    start: Time | None = None
    minutes: float = Field(gt=0)
    kind: Literal["break", "daily-rest"]
    station_id: str | None = None

    _times = field_validator("start", mode="before")(_china)


class PlanLeg(_Open):
    """A movement between two consecutive waypoints (origin, pick-up, delivery, depot …)."""

    index: int = Field(ge=0)
    origin: PlanPlace
    destination: PlanPlace
    depart: Time | None = None
    arrive: Time | None = None
    distance_km: float = Field(ge=0)
    duration_h: float = Field(ge=0)
    drive_h: float | None = Field(default=None, ge=0)
    h2_kg: float = Field(ge=0)
    loaded: bool
    tonnes: float = Field(ge=0)
    truck_id: str | None = None
    order_id: str | None = None
    orders: list[str] = Field(default_factory=list, description="consignments on board")
    stops: list[str] = Field(default_factory=list, description="station ids refuelled at")

    _times = field_validator("depart", "arrive", mode="before")(_china)


class PlanEvent(_Open):
    """A pick-up, delivery, break or daily rest on a route's timeline."""

    order_id: str | None = None
    event: Literal["pickup", "delivery", "break", "daily-rest"]
    place: str | None = None
    time: Time | None = None
    due: Time | None = None
    on_time: bool | None = None

    _times = field_validator("time", "due", mode="before")(_china)


class PlanRoute(_Open):
    """One truck's route."""

    truck_id: str | None = None
    truck: PlanTruck | None = None
    depart: Time | None = None
    arrive: Time | None = None
    distance_km: float = Field(ge=0)
    duration_h: float = Field(ge=0)
    drive_h: float = Field(ge=0)
    h2_kg: float = Field(ge=0)
    refuel_kg: float = Field(ge=0)
    cost: float = Field(
        ge=0,
        description="money: hydrogen bought (trip, dispatch) or the instance's cost terms (vrp)",
    )
    start_kg: float | None = None
    end_kg: float | None = None
    orders: list[str] = Field(default_factory=list)
    legs: list[PlanLeg]
    stops: list[PlanStop] = Field(default_factory=list)
    breaks: list[PlanBreak] = Field(default_factory=list)
    schedule: list[PlanEvent] = Field(default_factory=list)
    nodes: list[int] | None = Field(default=None, description="VRP: node indices in file order")
    geometry: dict[str, Any] | None = Field(default=None, description="GeoJSON FeatureCollection")

    _times = field_validator("depart", "arrive", mode="before")(_china)


class PlanOrder(_Open):
    """A consignment served: one shipment in ISO 14083 terms."""

    order_id: str
    origin: PlanPlace
    destination: PlanPlace
    tonnes: float = Field(ge=0)
    truck_id: str | None = None
    pickup: Time | None = None
    delivery: Time | None = None
    due: Time | None = None
    on_time: bool | None = None

    _times = field_validator("pickup", "delivery", "due", mode="before")(_china)


class PlanUnassigned(_Model):
    """An order or customer the plan leaves out, with the reason."""

    order_id: str
    reason: str


class PlanUnits(_Model):
    """Units of the document's numbers (km, h, kg, CNY unless a VRP instance says otherwise)."""

    distance: str = "km"
    time: str = "h"
    energy: str = "kg"
    currency: str = "CNY"


class PlanDocument(_Model):
    """A plan: what ``trip``, ``dispatch`` and ``vrp solve`` write with ``--json``."""

    kind: PlanKind
    version: Literal[2] = 2
    generator: str = f"h2lane {__version__}"
    objective: str
    refuel_policy: Literal["partial", "full"] = "partial"
    rest_rules: dict[str, Any] | None = None
    scenario: str | None = None
    road_graph: str | None = None
    attribution: str | None = None
    units: PlanUnits = Field(default_factory=PlanUnits)
    depart: Time | None = None
    arrive: Time | None = None
    distance_km: float = Field(ge=0)
    duration_h: float = Field(ge=0)
    drive_h: float = Field(ge=0)
    h2_kg: float = Field(ge=0)
    refuel_kg: float = Field(ge=0)
    cost: float = Field(ge=0)
    currency: str = "CNY"
    trucks_used: int = Field(ge=0)
    orders_served: int = Field(ge=0)
    orders_unassigned: int = Field(ge=0)
    routes: list[PlanRoute]
    orders: list[PlanOrder] = Field(default_factory=list)
    unassigned: list[PlanUnassigned] = Field(default_factory=list)
    notices: list[str] = Field(default_factory=list, description="what a dispatcher must know")
    solver: dict[str, Any] | None = Field(
        default=None, description="VRP: instance, checker verdict, solver statistics"
    )
    map: str | None = None

    _times = field_validator("depart", "arrive", mode="before")(_china)

    def to_json_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (times as ISO 8601 with offset, to the minute)."""
        return self.model_dump(mode="json", exclude_none=False)


def schema() -> dict[str, Any]:
    """The JSON schema of a plan document."""
    doc = PlanDocument.model_json_schema()
    doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    doc["$id"] = f"https://h2lane.example/schemas/plan-v{PLAN_VERSION}.json"
    return doc


def parse_plan(data: Any, source: str = "plan") -> PlanDocument:
    """Validate a decoded JSON value as a plan document; errors name the field path."""
    if not isinstance(data, dict):
        raise InputFileError(source, "must be a JSON object (a plan written by h2lane --json)")
    kind, version = data.get("kind"), data.get("version")
    if kind in ("h2lane.trip-plan", "h2lane.dispatch-plan"):
        raise InputFileError(
            source,
            f"is a version 1 plan ({kind}); this h2lane reads plan version {PLAN_VERSION}: "
            "write it again with the current h2lane",
            field="kind",
        )
    if kind not in KINDS:
        raise InputFileError(
            source, f"has kind {kind!r}; expected one of {', '.join(KINDS)}", field="kind"
        )
    if version != PLAN_VERSION:
        raise InputFileError(
            source,
            f"has version {version!r}; this h2lane reads plan version {PLAN_VERSION}",
            field="version",
        )
    try:
        return PlanDocument.model_validate(data)
    except ValidationError as exc:
        raise validation_error(source, exc) from None


def validation_error(source: str, exc: ValidationError) -> InputFileError:
    """The first pydantic error as one sentence naming the field path."""
    first = exc.errors()[0]
    path = field_path(first.get("loc", ()))
    msg = str(first.get("msg", "is invalid"))
    if first.get("type") == "missing":
        msg = "is missing"
    elif first.get("type") == "extra_forbidden":
        msg = "is not a known field"
    got = first.get("input")
    if first.get("type") not in ("missing", "extra_forbidden") and not isinstance(got, dict | list):
        msg = f"{msg} (got {got!r})"
    return InputFileError(source, msg[0].lower() + msg[1:], field=path or None)


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """``('routes', 0, 'legs', 2, 'tonnes')`` → ``routes[0].legs[2].tonnes``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def read_plan_file(path: str | Path) -> PlanDocument:
    """Read and validate a plan document from a JSON file."""
    display = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(display, "file not found") from None
    except IsADirectoryError:
        raise InputFileError(display, "is a directory, not a plan file") from None
    except UnicodeDecodeError:
        raise InputFileError(display, "is not UTF-8 text") from None
    except OSError as exc:
        raise InputFileError(display, f"cannot be read ({exc.strerror or exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(display, f"is not valid JSON ({exc.msg})", line=exc.lineno) from None
    return parse_plan(data, display)
