"""The plan document model: times, validation sentences, schema."""

import pytest

from h2lane.errors import InputFileError
from h2lane.plan import PlanDocument, field_path, parse_plan, read_plan_file, schema


def _doc(**extra):
    base = {
        "kind": "trip", "version": 2, "objective": "time", "distance_km": 10, "duration_h": 1,
        "drive_h": 1, "h2_kg": 1, "refuel_kg": 0, "cost": 0, "trucks_used": 0,
        "orders_served": 0, "orders_unassigned": 0, "routes": [],
    }  # fmt: skip
    return {**base, **extra}


def test_naive_times_are_china_time_and_offsets_converted():
    doc = parse_plan(_doc(depart="2026-12-02T08:00", arrive="2026-12-02T01:00:40Z"))
    out = doc.to_json_dict()
    assert out["depart"] == "2026-12-02T08:00+08:00"
    assert out["arrive"] == "2026-12-02T09:01+08:00"  # 01:00:40 UTC rounds to 09:01 China time


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"kind": "h2lane.trip-plan"}, "version 1 plan"),
        ({"kind": "route"}, "field 'kind'"),
        ({"version": 3}, "field 'version'"),
        ({"distance_km": -1}, "field 'distance_km'"),
        ({"depart": "next monday"}, "field 'depart'"),
        ({"routes": [{"legs": []}]}, "field 'routes[0].distance_km'"),
        ({"surprise": 1}, "field 'surprise': is not a known field"),
    ],
)
def test_bad_documents_give_one_sentence(change, words):
    with pytest.raises(InputFileError) as err:
        parse_plan(_doc(**change), "plan.json")
    assert words in str(err.value) and str(err.value).startswith("plan.json")


def test_files_and_schema(tmp_path):
    with pytest.raises(InputFileError, match="file not found"):
        read_plan_file(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"line 1.*not valid JSON"):
        read_plan_file(bad)
    bad.write_bytes(b"\xff\xfe")
    with pytest.raises(InputFileError, match="not UTF-8"):
        read_plan_file(bad)
    s = schema()
    assert s["properties"]["kind"]["enum"] == ["trip", "dispatch", "vrp"]
    assert field_path(("routes", 0, "legs", 2, "tonnes")) == "routes[0].legs[2].tonnes"
    assert PlanDocument.model_validate(_doc()).generator.startswith("h2lane ")
