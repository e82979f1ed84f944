"""Telemetry from trucks and stations: message model, batch decoding, Traccar adapter."""

from h2lane.ops.telemetry.messages import (
    Batch,
    Fill,
    MessageError,
    Reading,
    decode_batch,
    parse_batch,
    parse_message,
)
from h2lane.ops.telemetry.traccar import from_traccar

__all__ = [
    "Batch",
    "Fill",
    "MessageError",
    "Reading",
    "decode_batch",
    "from_traccar",
    "parse_batch",
    "parse_message",
]
