"""Telemetry message parsing: JSON arrays, NDJSON, field errors by index, Traccar forwards."""

from __future__ import annotations

import json

import pytest

from h2lane.ops.telemetry import (
    MessageError,
    decode_batch,
    from_traccar,
    parse_batch,
    parse_message,
)

TRUCK = {
    "id": "m1",
    "device": "truck-1",
    "time": "2026-12-02T08:00:00Z",
    "lat": 37.1,
    "lon": 111.8,
    "h2_kg": 40.5,
    "speed_kmh": 62,
}
STATION = {
    "id": "s1",
    "device": "jinzhong",
    "time": "2026-12-02T16:00:00",
    "detectors": {"D1": 0.0, "D2": 0.05},
    "fill": {"nozzle": "N1", "gas_temp_c": 40, "pressure_mpa": 30, "nwp_mpa": 35},
    "esd": False,
}


def test_truck_and_station_messages_parse_with_china_time() -> None:
    t = parse_message(TRUCK)
    assert t.kind == "truck" and t.h2_kg == 40.5
    assert t.as_dict()["time"] == "2026-12-02T16:00:00+08:00"
    s = parse_message(STATION)
    assert s.kind == "station" and s.detectors["D2"] == 0.05 and s.fill is not None
    assert s.as_dict()["fill"]["nwp_mpa"] == 35.0


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"lat": 95}, "`lat` = 95 is outside"),
        ({"h2_kg": "full"}, '`h2_kg` must be a number (kg), got "full"'),
        ({"time": "yesterday"}, "`time` must be an ISO 8601"),
        ({"id": ""}, "`id` is missing or empty"),
        ({"speed_kmh": None}, "`speed_kmh` is missing"),
        ({"detectors": {"D1": 0}}, "both station"),
    ],
)
def test_bad_fields_are_named(change: dict, needle: str) -> None:
    with pytest.raises(MessageError) as err:
        parse_message({**TRUCK, **change})
    assert needle in str(err.value)


def test_station_field_errors() -> None:
    with pytest.raises(MessageError, match=r"`detectors.D1` = 120"):
        parse_message({**STATION, "detectors": {"D1": 120}})
    with pytest.raises(MessageError, match=r"`fill.nwp_mpa` is missing"):
        parse_message({**STATION, "fill": {"nozzle": "N1", "gas_temp_c": 1, "pressure_mpa": 1}})
    assert parse_message({**STATION, "detectors": {"D1": None}}).detectors == {"D1": None}


def test_ndjson_batch_rejects_by_index_and_keeps_the_rest() -> None:
    body = "\n".join(
        [
            json.dumps(TRUCK),
            "{not json",
            json.dumps({**TRUCK, "id": "m2", "lat": "x"}),
            json.dumps(STATION),
        ]
    )
    batch = parse_batch(decode_batch(body.encode(), "application/x-ndjson"))
    assert [i for i, _ in batch.readings] == [0, 3]
    assert [r["index"] for r in batch.rejected] == [1, 2]
    assert "`lat`" in batch.rejected[1]["error"]


def test_json_array_and_whole_body_errors() -> None:
    assert len(decode_batch(json.dumps([TRUCK, STATION]))) == 2
    assert len(decode_batch(json.dumps(TRUCK))) == 1
    with pytest.raises(MessageError, match="empty"):
        decode_batch(b"  ")
    with pytest.raises(MessageError, match="not valid JSON"):
        decode_batch(b"[1, 2")


def test_traccar_forward_maps_to_a_truck_message() -> None:
    forward = {
        "position": {
            "id": 9001,
            "fixTime": "2026-12-02T00:00:00.000+00:00",
            "latitude": 37.5,
            "longitude": 112.7,
            "speed": 10.0,
            "attributes": {"fuel": 33.0, "totalDistance": 123456.0},
        },
        "device": {"id": 3, "name": "truck-7", "uniqueId": "860000000000001"},
    }
    r = parse_message(from_traccar(forward))
    assert (r.id, r.device, r.kind) == ("traccar-9001", "truck-7", "truck")
    assert r.speed_kmh == pytest.approx(18.52)
    assert r.odometer_km == pytest.approx(123.456)
    with pytest.raises(MessageError, match="h2_kg"):
        from_traccar({"position": {"id": 1}, "device": {"name": "x"}})
