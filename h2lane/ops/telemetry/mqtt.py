"""MQTT transport for telemetry (paho-mqtt): topics, a publisher, a broker URL parser.

Topics: ``h2lane/trucks/<id>/telemetry`` and ``h2lane/stations/<id>/telemetry``; each payload is
one message object (or a JSON array of them). Published and subscribed at QoS 1.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from h2lane.errors import OptionError

log = logging.getLogger("h2lane.ops.mqtt")

TOPICS = ("h2lane/trucks/+/telemetry", "h2lane/stations/+/telemetry")
QOS = 1


def broker_address(url: str) -> tuple[str, int]:
    """``(host, port)`` of ``mqtt://HOST[:PORT]`` (port 1883 by default)."""
    parsed = urlparse(url)
    if parsed.scheme != "mqtt" or not parsed.hostname:
        raise OptionError(f"broker {url!r}: use mqtt://HOST[:PORT]")
    return parsed.hostname, parsed.port or 1883


def topic_for(message: dict[str, Any]) -> str:
    kind = "stations" if "detectors" in message else "trucks"
    return f"h2lane/{kind}/{message.get('device')}/telemetry"


def mqtt_sender(url: str, timeout_s: float = 30.0) -> Callable[[list[dict[str, Any]]], None]:
    """A sender that publishes each message at QoS 1 and waits until the broker has it."""
    import paho.mqtt.client as mqtt

    host, port = broker_address(url)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="", clean_session=True)
    try:
        client.connect(host, port, keepalive=30)
    except OSError as exc:
        raise OptionError(f"cannot reach the MQTT broker {url}: {exc}") from None
    client.loop_start()

    def send(batch: list[dict[str, Any]]) -> None:
        infos = [
            client.publish(topic_for(m), json.dumps(m, separators=(",", ":")), qos=QOS)
            for m in batch
        ]
        for info in infos:
            info.wait_for_publish(timeout=timeout_s)
            if not info.is_published():
                raise OptionError(
                    f"the MQTT broker {url} did not acknowledge a message in {timeout_s:g} s"
                )

    return send


class MqttIngest:
    """Subscribe to the telemetry topics and ingest through ``live``; a message is acknowledged
    to the broker (PUBACK) only after the batch holding it is committed.

    The session is persistent (fixed client id, ``clean_session = False``): messages that were
    delivered but not acknowledged when the process died are delivered again on reconnect,
    and the per-device message ids make the second delivery a duplicate, not a second row.
    A payload is one message or a JSON array; its ``device`` must match the topic's id.
    """

    def __init__(self, url: str, live: Any, *, client_id: str = "h2lane-ingest",
                 batch: int = 500, flush_s: float = 0.02) -> None:  # fmt: skip
        import paho.mqtt.client as mqtt

        self.url, self.live, self.batch, self.flush_s = url, live, batch, flush_s
        self.host, self.port = broker_address(url)
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=False,
            manual_ack=True,
        )
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.pending: list[tuple[Any, list[Any]]] = []
        self.lock = threading.Lock()
        self.counts = {"accepted": 0, "duplicates": 0, "rejected": 0}
        self.connected = threading.Event()

    def _on_connect(self, client: Any, _u: Any, _f: Any, reason: Any, _p: Any = None) -> None:
        client.subscribe([(t, QOS) for t in TOPICS])
        self.connected.set()

    def _on_message(self, _c: Any, _u: Any, msg: Any) -> None:
        from h2lane.ops.telemetry.messages import MessageError, parse_message

        parts = msg.topic.split("/")
        readings: list[Any] = []
        try:
            payload = json.loads(msg.payload)
            for obj in payload if isinstance(payload, list) else [payload]:
                reading = parse_message(obj)
                if len(parts) != 4 or reading.device != parts[2]:
                    raise MessageError(
                        f"device {reading.device!r} does not match the topic {msg.topic}"
                    )
                readings.append(reading)
        except (ValueError, MessageError) as exc:
            log.warning("MQTT %s: message rejected: %s", msg.topic, exc)
            with self.lock:
                self.counts["rejected"] += 1
                self.pending.append((msg, []))
            return
        with self.lock:
            self.pending.append((msg, readings))

    def flush(self) -> int:
        """Commit what has arrived, then acknowledge it; returns the messages handled."""
        with self.lock:
            taken, self.pending = self.pending, []
        if not taken:
            return 0
        readings = [r for _, rs in taken for r in rs]
        reply = self.live.ingest_readings(readings)
        self.counts["accepted"] += reply.accepted
        self.counts["duplicates"] += reply.duplicates
        for msg, _ in taken:
            self.client.ack(msg.mid, msg.qos)
        return len(taken)

    def run(self, stop: threading.Event) -> dict[str, int]:
        """Ingest until ``stop`` is set."""
        try:
            self.client.connect(self.host, self.port, keepalive=30)
        except OSError as exc:
            raise OptionError(f"cannot reach the MQTT broker {self.url}: {exc}") from None
        self.client.loop_start()
        try:
            while not stop.wait(self.flush_s):
                self.flush()
            self.flush()
        finally:
            self.client.loop_stop()
            self.client.disconnect()
        return dict(self.counts)
