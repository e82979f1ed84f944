"""Station load from plan documents, counted by hand."""

from __future__ import annotations

from h2lane.app.dashboard import station_load


def _doc(*stops: dict) -> dict:
    return {"routes": [{"stops": list(stops)}]}


def test_fills_count_in_the_hour_they_start_china_time():
    a = _doc(
        {"station_id": "s1", "name": "One", "arrive": "2026-12-02T09:50+08:00", "wait_min": 15,
         "refuel_kg": 10.0},  # starts 10:05
        {"station_id": "s1", "name": "One", "arrive": "2026-12-02T02:10Z", "wait_min": 0,
         "refuel_kg": 5.5},  # 10:10 China time
        {"station_id": "s2", "name": "Two", "arrive": "2026-12-02T23:59+08:00", "wait_min": 2,
         "refuel_kg": 1.0},  # 00:01 the next day
        {"station_id": "s3", "arrive": None, "refuel_kg": 3.0},  # a benchmark stop: no clock
    )
    b = _doc({"station_id": "s1", "name": "One", "arrive": "2026-12-03T10:30+08:00",
              "wait_min": 0, "refuel_kg": 2.0})  # fmt: skip
    out = station_load([("a", a), ("b", b)])
    assert out["plans"] == ["a", "b"] and out["untimed"] == 1
    one, two = out["stations"]
    assert one["station_id"] == "s1" and one["fills"][10] == 3 and sum(one["fills"]) == 3
    assert one["kg"][10] == 17.5 and one["peak"] == 2 and one["plans"] == ["a", "b"]
    assert two["fills"][0] == 1 and two["fills"][23] == 0 and two["name"] == "Two"


def test_no_plans_no_rows():
    assert station_load([])["stations"] == []
