"""``h2lane ingest mqtt``: telemetry from an MQTT broker into the operations database."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from h2lane.cli.common import JsonOpt, emit, guarded
from h2lane.output import console, err_console

app = typer.Typer(help="Telemetry ingest from brokers.", no_args_is_help=True)


@app.command("mqtt")
def mqtt(
    broker: Annotated[
        str, typer.Option("--broker", help="mqtt://HOST[:PORT]")
    ] = "mqtt://127.0.0.1:1883",
    db: Annotated[
        str | None,
        typer.Option(
            "--db", help="Database URL (default h2lane.db in the working directory, or H2LANE_DB)."
        ),
    ] = None,
    client_id: Annotated[
        str, typer.Option("--client-id", help="MQTT client id of the persistent session.")
    ] = "h2lane-ingest",
    as_json: JsonOpt = False,
) -> None:
    """Subscribe to h2lane/trucks/+/telemetry and h2lane/stations/+/telemetry (QoS 1) and ingest,
    acknowledging each message after it is committed; stops on Ctrl-C or SIGTERM."""
    from h2lane.ops.api.app import make_live
    from h2lane.ops.db.engine import make_engine, upgrade
    from h2lane.ops.settings import Settings
    from h2lane.ops.telemetry.mqtt import TOPICS, MqttIngest

    stop = threading.Event()

    def work() -> dict[str, int]:
        settings = Settings.load(db=db)
        engine = make_engine(settings.db_url)
        upgrade(engine)
        ingest = MqttIngest(broker, make_live(engine), client_id=client_id)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        if not as_json:
            err_console.print(f"ingesting {', '.join(TOPICS)} from {broker} into {settings.db_url}")
        return ingest.run(stop)

    counts = guarded(work, as_json)
    if as_json:
        emit({"kind": "h2lane.ingest", "broker": broker, **counts})
    else:
        console.print(
            f"Stopped: {counts['accepted']:,} accepted, {counts['duplicates']:,} duplicates, "
            f"{counts['rejected']:,} rejected."
        )
