"""MQTT transport for telemetry (paho-mqtt): topics, a publisher, a broker URL parser.

Topics: ``h2lane/trucks/<id>/telemetry`` and ``h2lane/stations/<id>/telemetry``; each payload is
one message object (or a JSON array of them). Published and subscribed at QoS 1.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from h2lane.errors import OptionError

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
