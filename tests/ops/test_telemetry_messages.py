"""Telemetry message parsing: JSON arrays, NDJSON, field errors by index, Traccar forwards."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from h2lane.ops.telemetry import (
    MessageError,
    decode_batch,
    from_traccar,
    parse_batch,
    parse_message,
)
from h2lane.ops.telemetry.messages import _compiled, parse_body, stored_reading

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


# --- the compiled way (parse_body) against the reference way --------------------------------

_NUMBERISH = st.one_of(
    st.floats(allow_nan=True, allow_infinity=False, width=64),
    st.floats(min_value=-100, max_value=300),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
)
_TEXTISH = st.one_of(
    st.text(min_size=0, max_size=8),
    st.sampled_from(["", " ", " x ", "T01", "a" * 201, " " + "b" * 199 + " ", "\u2028"]),
    st.integers(min_value=-5, max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
_TIMES = st.one_of(
    st.sampled_from(
        [
            "2026-12-02T08:00:00Z",
            "2026-12-02T08:00:00.250+00:00",
            "2026-12-02 16:00",
            "2026-12-02",
            "1969-12-31T23:00:00",
            "yesterday",
            " 2026-12-02T08:00:00+08:00 ",
        ]
    ),
    st.integers(),
    st.none(),
)


@st.composite
def _message(draw: st.DrawFn, faults: int = 0) -> object:
    """A well-formed message, or with ``faults`` fields changed, dropped or added (or not an
    object at all)."""
    if faults and draw(st.integers(0, 10)) == 0:
        return draw(
            st.one_of(st.integers(), st.text(max_size=3), st.lists(st.integers(), max_size=2))
        )
    out: dict[str, object] = {
        "id": draw(st.one_of(st.text("abc123", min_size=1, max_size=6), st.integers(0, 99))),
        "device": draw(st.sampled_from(["T01", "T02", " S1 ", 7])),
        "time": draw(
            st.sampled_from(["2026-12-02T08:00:00Z", "2026-12-02T16:00:01", "2026-12-02"])
        ),
    }
    if draw(st.booleans()):
        out["lat"], out["lon"] = draw(st.floats(-90, 90)), draw(st.floats(-180, 180))
        out["h2_kg"] = draw(st.floats(0, 1000))
        out["speed_kmh"] = draw(st.one_of(st.floats(0, 250), st.integers(0, 250)))
        for name, value in (
            ("tank_pressure_mpa", st.floats(0, 150)),
            ("tank_temp_c", st.floats(-60, 200)),
            ("odometer_km", st.floats(0, 1e8)),
        ):
            if draw(st.booleans()):
                out[name] = draw(st.one_of(value, st.none()))
    else:
        out["detectors"] = draw(
            st.dictionaries(
                st.sampled_from(["D1", "D2", "3"]),
                st.one_of(st.floats(0, 100), st.none()),
                min_size=1,
                max_size=3,
            )
        )
        for name, value in (
            ("storage_kg", st.floats(0, 1e6)),
            ("esd", st.booleans()),
            (
                "fill",
                st.fixed_dictionaries(
                    {
                        "nozzle": st.sampled_from(["N1", 2, " N3 "]),
                        "gas_temp_c": st.floats(-60, 300),
                        "pressure_mpa": st.floats(0, 150),
                        "nwp_mpa": st.floats(1, 150),
                    }
                ),
            ),
        ):
            if draw(st.booleans()):
                out[name] = draw(st.one_of(value, st.none()))
    for _ in range(faults):
        fault = draw(st.sampled_from(["change", "drop", "add"]))
        names = sorted(out)
        if fault == "drop":
            out.pop(draw(st.sampled_from(names)))
            continue
        name = draw(st.sampled_from(names)) if fault == "change" else draw(st.sampled_from(
            ["lat", "lon", "h2_kg", "speed_kmh", "detectors", "fill", "esd", "storage_kg", "extra"]
        ))  # fmt: skip
        if name in ("id", "device"):
            out[name] = draw(_TEXTISH)
        elif name == "time":
            out[name] = draw(_TIMES)
        elif name == "detectors":
            out[name] = draw(st.one_of(
                st.dictionaries(st.sampled_from(["D1", "", " "]), st.floats(0, 100), max_size=2),
                st.dictionaries(st.sampled_from(["D1", "D2"]), _NUMBERISH, max_size=2),
                _NUMBERISH,
            ))  # fmt: skip
        elif name == "fill" and isinstance(out.get("fill"), dict) and draw(st.booleans()):
            fill = dict(out["fill"])  # type: ignore[call-overload]
            key = draw(st.sampled_from(sorted(fill)))
            if draw(st.booleans()):
                fill.pop(key)
            else:
                fill[key] = draw(st.one_of(_NUMBERISH, _TEXTISH))
            out["fill"] = fill
        else:
            out[name] = draw(st.one_of(_NUMBERISH, st.floats(-90, 90)))
    return out


def _reference(body: bytes, content_type: str) -> object:
    try:
        batch = parse_batch(decode_batch(body, content_type))
    except (MessageError, UnicodeDecodeError) as exc:
        return type(exc), str(exc)
    return batch.readings, batch.rejected


def _compiled_way(body: bytes, content_type: str) -> object:
    try:
        batch = parse_body(body, content_type)
    except (MessageError, UnicodeDecodeError) as exc:
        return type(exc), str(exc)
    return batch.readings, batch.rejected


_EDGES = [  # faults a single field makes, each alone in a batch of good messages
    {**STATION, "lon": 111.0},
    {**STATION, "h2_kg": None},
    {**STATION, "detectors": {" ": 0.1}},
    {**STATION, "detectors": {}},
    {**STATION, "fill": {**STATION["fill"], "nozzle": " "}},  # type: ignore[dict-item]
    {**TRUCK, "id": "x" * 201},
    {**TRUCK, "device": " " + "y" * 199 + " "},
    {**TRUCK, "speed_kmh": None},
    {k: v for k, v in TRUCK.items() if k != "lat"},
    {**TRUCK, "lat": None},
    {**TRUCK, "time": "2260-01-01T00:00:00"},
    {**TRUCK, "id": True},
]


@settings(max_examples=500, deadline=None)
@example(good=[TRUCK], bad=None, at=0, form="array")
@example(good=[STATION, TRUCK], bad=None, at=0, form="ndjson")
@given(
    good=st.lists(_message(), min_size=0, max_size=3),
    bad=st.one_of(st.none(), _message(faults=1), _message(faults=2)),
    at=st.integers(0, 3),
    form=st.sampled_from(["array", "ndjson", "one"]),
)
def test_the_compiled_way_reads_every_body_as_the_reference_way(
    good: list, bad: object, at: int, form: str
) -> None:
    # well-formed messages and at most one with faults (a batch with any fault at all leaves
    # the compiled way, so a second faulty message would hide what the first does there)
    messages = [*good[:at], bad, *good[at:]] if bad is not None else good
    _same_both_ways(messages, form)


@pytest.mark.parametrize("bad", _EDGES)
def test_the_compiled_way_leaves_no_fault_unnamed(bad: dict) -> None:
    for form in ("array", "ndjson"):
        _same_both_ways([TRUCK, bad, STATION], form)
    assert _compiled_way(json.dumps([bad]).encode(), "application/json")[1]  # rejected


def _same_both_ways(messages: list, form: str) -> None:
    if form == "array":
        body, content_type = json.dumps(messages).encode(), "application/json"
    elif form == "ndjson":
        body = "\n".join(json.dumps(m) for m in messages).encode()
        content_type = "application/x-ndjson"
    else:
        body, content_type = (
            json.dumps(messages[0] if messages else {}).encode(),
            "application/json",
        )
    assert _compiled_way(body, content_type) == _reference(body, content_type)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.fixed_dictionaries({
                "id": st.text("abc123", min_size=1, max_size=6), "device": st.sampled_from(["T01", 5]),
                "time": st.just("2026-12-02T08:00:00Z"), "lat": st.floats(-90, 90), "lon": st.floats(-180, 180),
                "h2_kg": st.floats(0, 1000), "speed_kmh": st.integers(0, 250),
            }),
            st.fixed_dictionaries({
                "id": st.text("abc123", min_size=1, max_size=6), "device": st.just("S1"),
                "time": st.just("2026-12-02T08:00:00"),
                "detectors": st.dictionaries(st.sampled_from(["D1", "D2"]), st.one_of(st.none(), st.floats(0, 100)), min_size=1),
            }),
        ),
        min_size=1,
        max_size=20,
    )
)  # fmt: skip
def test_well_formed_batches_take_the_compiled_way_and_store_as_as_dict(messages: list) -> None:
    body = json.dumps(messages).encode()
    batch = _compiled(body, "application/json")  # raises if it left the compiled way
    assert batch.readings == parse_batch(messages).readings and not batch.rejected
    for _, reading in batch.readings:
        assert json.loads(reading.payload()) == reading.as_dict()
        assert stored_reading(reading.payload()) == parse_message(reading.as_dict())


def test_a_fraction_of_a_second_is_stored_to_the_second() -> None:
    r = parse_message({**TRUCK, "time": "2026-12-02T08:00:00.750Z"})
    assert json.loads(r.payload()) == r.as_dict()
    assert r.as_dict()["time"] == "2026-12-02T16:00:00+08:00"
