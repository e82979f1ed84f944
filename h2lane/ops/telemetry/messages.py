"""Telemetry messages from trucks and stations: parsing and validation, one sentence per fault.

A message is a JSON object ``{"id", "device", "time", ...}``; ``id`` is unique per device (a
resent message is a duplicate, not a new reading). Which kind of device sent it follows from
its fields: ``lat``/``lon`` make a truck reading, ``detectors`` a station reading. A batch is a
JSON array or NDJSON (one object per line); a bad message is rejected with its index and the
reason while the others are kept.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

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


@dataclass(frozen=True, slots=True)
class Fill:
    """A fill in progress at a dispenser nozzle."""

    nozzle: str
    gas_temp_c: float
    pressure_mpa: float
    nwp_mpa: float


@dataclass(frozen=True, slots=True)
class Reading:
    """One validated telemetry message."""

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
    detectors: dict[str, float | None] = field(default_factory=dict)
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
