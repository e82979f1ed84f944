"""Telemetry messages from trucks and stations: parsing and validation, one sentence per fault.

A message is a JSON object ``{"id", "device", "time", ...}``; ``id`` is unique per device (a
resent message is a duplicate, not a new reading). Which kind of device sent it follows from
its fields: ``lat``/``lon`` make a truck reading, ``detectors`` a station reading. A batch is a
JSON array or NDJSON (one object per line); a bad message is rejected with its index and the
reason while the others are kept.

:func:`parse_body` is what ingest calls: a compiled decoder (msgspec) reads a whole batch into
typed records, checking every type and bound in C, and only the few checks a type cannot say
(non-empty ids, which kind of device) run per message in Python. A batch with any fault goes
the reference way instead, :func:`decode_batch` then :func:`parse_batch`, which names each bad
message's index and reason: both ways give the same readings for the same body (a property
test holds them to it).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal, TypeAlias

import msgspec
from msgspec import UNSET, Meta, UnsetType

from h2lane.timeutil import parse_datetime

DeviceKind = Literal["truck", "station"]

MAX_BATCH = 100_000
"""Messages in one batch; a larger batch is refused as a whole (send it in parts)."""

_TRUCK_REQUIRED = ("lat", "lon", "h2_kg", "speed_kmh")
_TRUCK_OPTIONAL = ("tank_pressure_mpa", "tank_temp_c", "odometer_km")
_STATION_OPTIONAL = ("storage_kg",)
_BOUNDS: dict[str, tuple[float, float, str]] = {
    "lat": (-90.0, 90.0, "°"),
    "lon": (-180.0, 180.0, "°"),
    "h2_kg": (0.0, 1_000.0, "kg"),
    "speed_kmh": (0.0, 250.0, "km/h"),
    "tank_pressure_mpa": (0.0, 150.0, "MPa"),
    "tank_temp_c": (-60.0, 200.0, "°C"),
    "odometer_km": (0.0, 1e8, "km"),
    "storage_kg": (0.0, 1e6, "kg"),
    "gas_temp_c": (-60.0, 300.0, "°C"),
    "pressure_mpa": (0.0, 150.0, "MPa"),
    "nwp_mpa": (1.0, 150.0, "MPa"),
    "detector": (0.0, 100.0, "% vol"),
}


_TRUCK_FIELDS = tuple(
    (name, _BOUNDS[name][0], _BOUNDS[name][1], name in _TRUCK_REQUIRED)
    for name in _TRUCK_REQUIRED + _TRUCK_OPTIONAL
)


class MessageError(ValueError):
    """One message cannot be used; ``str()`` names the field and what is wrong."""


class Fill(msgspec.Struct, frozen=True, gc=False):
    """A fill in progress at a dispenser nozzle."""

    nozzle: str
    gas_temp_c: float
    pressure_mpa: float
    nwp_mpa: float


class Reading(msgspec.Struct, frozen=True, gc=False, omit_defaults=True):
    """One validated telemetry message (a compiled record: cheap to make, immutable)."""

    id: str
    device: str
    kind: DeviceKind
    time: datetime
    lat: float | None = None
    lon: float | None = None
    h2_kg: float | None = None
    speed_kmh: float | None = None
    tank_pressure_mpa: float | None = None
    tank_temp_c: float | None = None
    odometer_km: float | None = None
    detectors: dict[str, float | None] = {}
    storage_kg: float | None = None
    fill: Fill | None = None
    esd: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        """The message as stored and listed (times ISO 8601 with the offset, to the second)."""
        out: dict[str, Any] = {
            "id": self.id,
            "device": self.device,
            "kind": self.kind,
            "time": self.time.isoformat(timespec="seconds"),
        }
        names = _TRUCK_REQUIRED + _TRUCK_OPTIONAL if self.kind == "truck" else _STATION_OPTIONAL
        for name in names:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.kind == "station":
            out["detectors"] = dict(self.detectors)
            if self.fill is not None:
                out["fill"] = {
                    "nozzle": self.fill.nozzle,
                    "gas_temp_c": self.fill.gas_temp_c,
                    "pressure_mpa": self.fill.pressure_mpa,
                    "nwp_mpa": self.fill.nwp_mpa,
                }
            if self.esd is not None:
                out["esd"] = self.esd
        return out

    def payload(self) -> str:
        """:meth:`as_dict` as JSON text (how a message and a state are stored)."""
        if self.time.microsecond:  # the compiled encoder would keep the fraction of a second
            return _encode(self.as_dict()).decode()
        # the fields that are not None are the kind's (a parsed reading has no others), in
        # the same order as as_dict's but for a station's storage_kg
        return _encode(self).decode()


def _text(obj: dict[str, Any], name: str) -> str:
    value = obj.get(name)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise MessageError(f"field `{name}` is missing or empty (a non-empty string is needed)")
    if len(value) > 200:
        raise MessageError(f"field `{name}` is longer than 200 characters")
    return value.strip()


def _number(value: Any, path: str, bound: str, *, required: bool) -> float | None:
    if value is None:
        if required:
            raise MessageError(f"field `{path}` is missing")
        return None
    lo, hi, unit = _BOUNDS[bound]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MessageError(f"field `{path}` must be a number ({unit}), got {json.dumps(value)}")
    number = float(value)
    if not math.isfinite(number) or not lo <= number <= hi:
        raise MessageError(f"field `{path}` = {value} is outside {lo:g}–{hi:g} {unit}")
    return number


def _fill(value: Any) -> Fill | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise MessageError(
            "field `fill` must be an object with nozzle, gas_temp_c, pressure_mpa, nwp_mpa"
        )
    nozzle = _text(value, "nozzle") if "nozzle" in value else None
    if nozzle is None:
        raise MessageError("field `fill.nozzle` is missing")
    numbers = {
        k: _number(value.get(k), f"fill.{k}", k, required=True)
        for k in ("gas_temp_c", "pressure_mpa", "nwp_mpa")
    }
    return Fill(
        nozzle, *(float(numbers[k] or 0.0) for k in ("gas_temp_c", "pressure_mpa", "nwp_mpa"))
    )


def parse_message(obj: Any) -> Reading:
    """A validated reading from one decoded JSON message; :class:`MessageError` if unusable."""
    if not isinstance(obj, dict):
        raise MessageError(f"a message must be a JSON object, got {type(obj).__name__}")
    mid = _text(obj, "id")
    device = _text(obj, "device")
    raw_time = obj.get("time")
    when = parse_datetime(raw_time) if isinstance(raw_time, str) else None
    if when is None:
        raise MessageError(
            f"field `time` must be an ISO 8601 date-time (e.g. 2026-12-02T08:00:00+08:00), "
            f"got {json.dumps(raw_time)}"
        )
    if "detectors" in obj:
        if any(k in obj for k in ("lat", "lon", "h2_kg")):
            raise MessageError(
                "a message has both station (`detectors`) and truck (`lat`/`lon`) fields"
            )
        detectors = obj["detectors"]
        if not isinstance(detectors, dict) or not detectors:
            raise MessageError(
                "field `detectors` must be an object {tag: H2 % vol} with one tag or more"
            )
        levels: dict[str, float | None] = {}
        for tag, value in detectors.items():
            if not str(tag).strip():
                raise MessageError("field `detectors` has an empty tag")
            # null = the detector reports a fault: kept, and treated as an alarm by the rules
            levels[str(tag)] = _number(value, f"detectors.{tag}", "detector", required=False)
        esd = obj.get("esd")
        if esd is not None and not isinstance(esd, bool):
            raise MessageError(f"field `esd` must be true or false, got {json.dumps(esd)}")
        return Reading(
            mid,
            device,
            "station",
            when,
            detectors=levels,
            storage_kg=_number(obj.get("storage_kg"), "storage_kg", "storage_kg", required=False),
            fill=_fill(obj.get("fill")),
            esd=esd,
        )
    if "lat" in obj or "lon" in obj:
        values: dict[str, float | None] = {}
        for name, lo, hi, required in _TRUCK_FIELDS:
            given: Any = obj.get(name)
            kind = type(given)
            if (kind is float or kind is int) and lo <= given <= hi:  # the common case, fast
                values[name] = float(given)
            else:  # missing, wrong type, out of range, NaN: the checked path says which
                values[name] = _number(given, name, name, required=required)
        return Reading(mid, device, "truck", when, **values)  # type: ignore[arg-type]
    raise MessageError(
        "a message needs truck fields (lat, lon, h2_kg, speed_kmh) or station fields (detectors)"
    )


@dataclass(slots=True)
class Batch:
    """The readings of one batch and the messages rejected (index in the batch and reason)."""

    readings: list[tuple[int, Reading]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)


def decode_batch(body: bytes | str, content_type: str = "application/json") -> list[Any]:
    """The decoded messages of a body: a JSON array, one JSON object, or NDJSON.

    Raises :class:`MessageError` when the body as a whole cannot be read (then nothing is
    accepted); a bad line of NDJSON is kept as ``None`` so that it is rejected by index.
    """
    text = body.decode("utf-8", errors="strict") if isinstance(body, bytes) else body
    stripped = text.strip()
    if not stripped:
        raise MessageError("the body is empty (send a JSON array or NDJSON of messages)")
    ndjson = "ndjson" in content_type or "jsonlines" in content_type
    if not ndjson and stripped[0] in "[{":
        try:
            value = json.loads(stripped)
        except json.JSONDecodeError as exc:
            if stripped[0] == "{" and "\n" in stripped:
                ndjson = True  # several objects, one per line
            else:
                raise MessageError(
                    f"the body is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
                ) from None
        else:
            items = value if isinstance(value, list) else [value]
            if len(items) > MAX_BATCH:
                raise MessageError(
                    f"a batch holds at most {MAX_BATCH:,} messages, got {len(items):,}"
                )
            return items
    lines: list[Any] = []
    for line in stripped.splitlines():
        if not line.strip():
            continue
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:
            lines.append(_BadLine(line))
        if len(lines) > MAX_BATCH:
            raise MessageError(f"a batch holds at most {MAX_BATCH:,} messages")
    return lines


@dataclass(frozen=True, slots=True)
class _BadLine:
    text: str


def parse_batch(items: list[Any]) -> Batch:
    """Validate each decoded message; bad ones go to ``rejected`` with their index."""
    batch = Batch()
    for index, obj in enumerate(items):
        if isinstance(obj, _BadLine):
            batch.rejected.append({"index": index, "error": "the line is not valid JSON"})
            continue
        try:
            batch.readings.append((index, parse_message(obj)))
        except MessageError as exc:
            batch.rejected.append({"index": index, "error": str(exc)})
    return batch


# --- the compiled way: one decoder for a whole batch of well-formed messages ---------------


# each number with its bounds from _BOUNDS, checked by the decoder
_Lat: TypeAlias = Annotated[float, Meta(ge=_BOUNDS["lat"][0], le=_BOUNDS["lat"][1])]
_Lon: TypeAlias = Annotated[float, Meta(ge=_BOUNDS["lon"][0], le=_BOUNDS["lon"][1])]
_H2: TypeAlias = Annotated[float, Meta(ge=_BOUNDS["h2_kg"][0], le=_BOUNDS["h2_kg"][1])]
_Speed: TypeAlias = Annotated[float, Meta(ge=_BOUNDS["speed_kmh"][0], le=_BOUNDS["speed_kmh"][1])]
_Pressure: TypeAlias = Annotated[
    float, Meta(ge=_BOUNDS["tank_pressure_mpa"][0], le=_BOUNDS["tank_pressure_mpa"][1])
]
_TankTemp: TypeAlias = Annotated[
    float, Meta(ge=_BOUNDS["tank_temp_c"][0], le=_BOUNDS["tank_temp_c"][1])
]
_Odometer: TypeAlias = Annotated[
    float, Meta(ge=_BOUNDS["odometer_km"][0], le=_BOUNDS["odometer_km"][1])
]
_Storage: TypeAlias = Annotated[
    float, Meta(ge=_BOUNDS["storage_kg"][0], le=_BOUNDS["storage_kg"][1])
]
_Detector: TypeAlias = Annotated[float, Meta(ge=_BOUNDS["detector"][0], le=_BOUNDS["detector"][1])]
_GasTemp: TypeAlias = Annotated[
    float, Meta(ge=_BOUNDS["gas_temp_c"][0], le=_BOUNDS["gas_temp_c"][1])
]
_FillPressure: TypeAlias = Annotated[
    float, Meta(ge=_BOUNDS["pressure_mpa"][0], le=_BOUNDS["pressure_mpa"][1])
]
_Nwp: TypeAlias = Annotated[float, Meta(ge=_BOUNDS["nwp_mpa"][0], le=_BOUNDS["nwp_mpa"][1])]
_Text: TypeAlias = str | int | float
"""An id, device or nozzle: a string, or a number taken as its text (as :func:`_text`)."""


class _WireFill(msgspec.Struct, gc=False):
    nozzle: _Text
    gas_temp_c: _GasTemp
    pressure_mpa: _FillPressure
    nwp_mpa: _Nwp


class _Wire(msgspec.Struct, gc=False):
    """A message as the compiled decoder reads it: every type and bound checked. Fields whose
    mere presence decides the kind of device are UNSET when absent (null is not absent)."""

    id: _Text
    device: _Text
    time: str
    lat: _Lat | UnsetType | None = UNSET
    lon: _Lon | UnsetType | None = UNSET
    h2_kg: _H2 | UnsetType | None = UNSET
    speed_kmh: _Speed | None = None
    tank_pressure_mpa: _Pressure | None = None
    tank_temp_c: _TankTemp | None = None
    odometer_km: _Odometer | None = None
    detectors: dict[str, _Detector | None] | UnsetType = UNSET
    storage_kg: _Storage | None = None
    fill: _WireFill | None = None
    esd: bool | None = None


_ARRAY = msgspec.json.Decoder(list[_Wire])
_encode = msgspec.json.Encoder().encode
_OTHER_LINE_BREAKS = ("\x85".encode(), "\u2028".encode(), "\u2029".encode())
"""Line breaks to :meth:`str.splitlines` (which the reference way splits NDJSON by) that may
stand inside a JSON string: a body holding one goes the reference way."""
_ONE = msgspec.json.Decoder(_Wire)


class _Slow(Exception):
    """The batch leaves the compiled way (the reference way names what is wrong)."""


def _wire_text(value: str | int | float) -> str:
    text = value if type(value) is str else str(value)
    if len(text) > 200:
        raise _Slow
    text = text.strip()
    if not text:
        raise _Slow
    return text


def _reading(w: _Wire, times: dict[str, datetime | None]) -> Reading:
    """The reading of one decoded message, exactly as :func:`parse_message` makes it, or
    :class:`_Slow` where that would refuse it."""
    raw = w.time
    when = times.get(raw, UNSET)
    if when is UNSET:
        when = times[raw] = parse_datetime(raw)
    if when is None:
        raise _Slow
    assert isinstance(when, datetime)
    mid, device = _wire_text(w.id), _wire_text(w.device)
    detectors = w.detectors
    if detectors is not UNSET:
        if w.lat is not UNSET or w.lon is not UNSET or w.h2_kg is not UNSET or not detectors:
            raise _Slow
        for tag in detectors:
            if not tag.strip():
                raise _Slow
        fill = None
        if w.fill is not None:
            f = w.fill
            fill = Fill(_wire_text(f.nozzle), f.gas_temp_c, f.pressure_mpa, f.nwp_mpa)
        return Reading(
            mid,
            device,
            "station",
            when,
            detectors=detectors,
            storage_kg=w.storage_kg,
            fill=fill,
            esd=w.esd,
        )
    lat, lon, h2 = w.lat, w.lon, w.h2_kg
    if lat is UNSET and lon is UNSET:
        raise _Slow  # neither kind: the reference way says what is missing
    if lat is None or lon is None or h2 is None or w.speed_kmh is None:
        raise _Slow
    if lat is UNSET or lon is UNSET or h2 is UNSET:
        raise _Slow
    return Reading(
        mid,
        device,
        "truck",
        when,
        lat,
        lon,
        h2,
        w.speed_kmh,
        w.tank_pressure_mpa,
        w.tank_temp_c,
        w.odometer_km,
    )


def _compiled(body: bytes, content_type: str) -> Batch:
    """The batch by the compiled way; :class:`_Slow` when any message (or the body) is not
    plainly well formed."""
    ndjson = "ndjson" in content_type or "jsonlines" in content_type
    head = body.lstrip(b" \t\r\n")[:1]
    try:
        if not ndjson and head == b"[":
            wires = _ARRAY.decode(body)
        elif not ndjson and head == b"{":
            wires = [_ONE.decode(body)]
        elif ndjson and not any(b in body for b in _OTHER_LINE_BREAKS):
            wires = [_ONE.decode(line) for line in body.splitlines() if line.strip()]
        else:
            raise _Slow
    except msgspec.DecodeError:  # malformed, or a type or bound not met
        raise _Slow from None
    if not wires or len(wires) > MAX_BATCH:
        raise _Slow
    times: dict[str, datetime | None] = {}
    return Batch(readings=[(i, _reading(w, times)) for i, w in enumerate(wires)])


def parse_body(body: bytes, content_type: str = "application/json") -> Batch:
    """The readings of one request body and its rejected messages (index and reason).

    Raises :class:`MessageError` when the body as a whole cannot be read, and
    :class:`UnicodeDecodeError` when it is not UTF-8 (as :func:`decode_batch`)."""
    try:
        return _compiled(body, content_type)
    except _Slow:
        return parse_batch(decode_batch(body, content_type))


def stored_reading(payload: str | bytes) -> Reading:
    """The reading of a stored message (:meth:`Reading.payload`)."""
    try:
        return _reading(_ONE.decode(payload), {})
    except (msgspec.DecodeError, _Slow):
        return parse_message(json.loads(payload))
