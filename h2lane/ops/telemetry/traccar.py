"""Traccar's forwarded positions as h2lane truck messages, so existing GPS trackers feed h2lane.

Traccar (``forward.type = json``) posts ``{"position": {...}, "device": {...}}``. The mapping:

* ``id`` = ``traccar-<position.id>`` (Traccar's position ids are unique per server);
* ``device`` = the Traccar device attribute ``h2lane`` if set, else the device ``name``
  (name the Traccar device after the h2lane truck id, or set the attribute);
* ``time`` = ``position.fixTime``; ``lat``/``lon`` = ``latitude``/``longitude``;
* ``speed_kmh`` = ``speed`` × 1.852 (Traccar reports knots);
* ``h2_kg`` = position attribute ``h2_kg``, else ``fuel`` (configure the tracker to report kg);
* ``odometer_km`` = attribute ``odometer`` (metres), else ``totalDistance`` (metres), ÷ 1,000.
"""

from __future__ import annotations

from typing import Any

from h2lane.ops.telemetry.messages import MessageError

KNOT_KMH = 1.852
"""km/h per knot (exact, by definition of the international nautical mile)."""


def from_traccar(payload: Any) -> dict[str, Any]:
    """An h2lane truck message (a dict for :func:`parse_message`) from one Traccar forward."""
    if not isinstance(payload, dict) or not isinstance(payload.get("position"), dict):
        raise MessageError("a Traccar forward must be an object with a `position` object")
    pos = payload["position"]
    dev: dict[str, Any] = payload["device"] if isinstance(payload.get("device"), dict) else {}
    attrs: dict[str, Any] = pos["attributes"] if isinstance(pos.get("attributes"), dict) else {}
    dev_attrs: dict[str, Any] = dev["attributes"] if isinstance(dev.get("attributes"), dict) else {}
    device = dev_attrs.get("h2lane") or dev.get("name") or dev.get("uniqueId")
    if device is None:
        raise MessageError(
            "field `device.name` is missing (name the Traccar device after the truck id)"
        )
    if pos.get("id") is None:
        raise MessageError("field `position.id` is missing")
    h2 = attrs.get("h2_kg", attrs.get("fuel"))
    if h2 is None:
        raise MessageError("field `position.attributes.h2_kg` (or `fuel`) is missing")
    speed = pos.get("speed", 0.0)
    message: dict[str, Any] = {
        "id": f"traccar-{pos['id']}",
        "device": str(device),
        "time": pos.get("fixTime") or pos.get("deviceTime"),
        "lat": pos.get("latitude"),
        "lon": pos.get("longitude"),
        "h2_kg": h2,
        "speed_kmh": speed * KNOT_KMH if isinstance(speed, (int, float)) else speed,
    }
    odo = attrs.get("odometer", attrs.get("totalDistance"))
    if isinstance(odo, (int, float)) and not isinstance(odo, bool):
        message["odometer_km"] = odo / 1000.0
    return message
