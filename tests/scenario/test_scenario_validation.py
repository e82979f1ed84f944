"""Issue 8: values parsed once on load, physical numbers, duplicate keys, roads, road coverage."""

from __future__ import annotations

import csv
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from paths import DATA

from h2lane.errors import ScenarioError
from h2lane.roads.graph import RoadGraph
from h2lane.scenario import load_scenario, write_csv_dir, write_yaml
from h2lane.scenario.checks import Finding, check_on_roads, validate_scenario
from h2lane.scenario.io import record_dict, scenario_dict
from h2lane.timeutil import CHINA

SCEN = DATA / "scenario"
MINI = DATA / "mini-scenario.yaml"


def error_of(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    msg = str(info.value)
    assert "\n" not in msg and msg.endswith(".") and "Traceback" not in msg, msg
    return info.value


def mutate(tmp_path: Path, edit: Any, name: str = "bad.yaml") -> Path:
    doc = yaml.safe_load(MINI.read_text())
    edit(doc)
    out = tmp_path / name
    out.write_text(yaml.safe_dump(doc, sort_keys=False))
    return out


# --------------------------------------------------------------------------- times


def test_ready_and_due_are_aware_china_datetimes() -> None:
    s = load_scenario("shanxi-tianjin")
    o = s.orders[0]
    assert o.ready == datetime(2026, 12, 1, 6, 0, tzinfo=CHINA)
    assert o.ready is not None and o.ready.utcoffset() == timedelta(hours=8)
    assert o.due == datetime(2026, 12, 2, 6, 0, tzinfo=CHINA)
    assert load_scenario(MINI).orders[0].ready is None


def test_ready_next_monday_names_file_section_row_field() -> None:
    err = error_of(SCEN / "ready-next-monday.yaml")
    assert (err.section, err.row, err.field) == ("orders", 2, "ready")
    assert err.line == 10
    assert "must be an ISO 8601 date-time" in str(err) and "'next monday'" in str(err)
    assert str(err).startswith(str(SCEN / "ready-next-monday.yaml"))


def test_due_before_ready_is_an_error() -> None:
    err = error_of(SCEN / "due-before-ready.yaml")
    assert (err.section, err.row, err.field) == ("orders", 1, "due")
    # 00:00+01:00 is 07:00 China time, an hour before the ready time
    assert "due 2026-12-01T07:00+08:00 is not after ready 2026-12-01T08:00+08:00" in str(err)


def test_due_equal_to_ready_is_an_error(tmp_path: Path) -> None:
    path = mutate(
        tmp_path, lambda d: d["orders"][0].update(ready="2026-12-01T08:00", due="2026-12-01T08:00")
    )
    assert error_of(path).field == "due"


@pytest.mark.parametrize(
    ("value", "expect"),
    [
        ("2026-12-01T00:00+00:00", datetime(2026, 12, 1, 8, 0, tzinfo=CHINA)),
        ("2026-12-01", datetime(2026, 12, 1, 0, 0, tzinfo=CHINA)),
        (datetime(2026, 12, 1, 6, 30), datetime(2026, 12, 1, 6, 30, tzinfo=CHINA)),
        ("", None),
    ],
)
def test_ready_forms(tmp_path: Path, value: Any, expect: datetime | None) -> None:
    path = mutate(tmp_path, lambda d: d["orders"][0].update(ready=value))
    got = load_scenario(path).orders[0].ready
    assert got == expect
    if got is not None:
        assert got.tzinfo is not None and got.utcoffset() == timedelta(hours=8)


def test_round_trip_writes_iso_with_offset(tmp_path: Path) -> None:
    s = load_scenario("shanxi-tianjin")
    yml = write_yaml(s, tmp_path / "s.yaml")
    assert yaml.safe_load(yml.read_text())["orders"][0]["ready"] == "2026-12-01T06:00+08:00"
    directory = write_csv_dir(s, tmp_path / "csv")
    rows = list(csv.DictReader((directory.parent / "orders.csv").open()))
    assert rows[0]["ready"] == "2026-12-01T06:00+08:00" and rows[0]["due"].endswith("+08:00")
    for again in (load_scenario(yml), load_scenario(directory)):
        assert again.orders == s.orders and again.stations == s.stations
    # absent times stay absent through both writers
    m = load_scenario(MINI)
    assert load_scenario(write_yaml(m, tmp_path / "m.yaml")).orders == m.orders
    assert load_scenario(write_csv_dir(m, tmp_path / "mcsv")).orders == m.orders
    assert "ready" not in yaml.safe_load((tmp_path / "m.yaml").read_text())["orders"][0]


def test_record_and_scenario_dicts_are_json_ready() -> None:
    s = load_scenario("shanxi-tianjin")
    assert record_dict(s.orders[0])["ready"] == "2026-12-01T06:00+08:00"
    doc = json.loads(json.dumps(scenario_dict(s)))
    assert doc["orders"][0]["due"] == "2026-12-02T06:00+08:00" and doc["roads"] == "north-china"


def test_opening_hours_normalised_on_load(tmp_path: Path) -> None:
    path = mutate(tmp_path, lambda d: d["stations"][0].update(opening_hours="7:30-19:00"))
    st = load_scenario(path).stations[0]
    assert st.opening_hours == "07:30-19:00" and st.open_window_h() == (7.5, 19.0)
    path = mutate(tmp_path, lambda d: d["stations"][1].update(opening_hours="24:30-06:00"))
    err = error_of(path)
    assert (err.section, err.row, err.field) == ("stations", 2, "opening_hours")


# --------------------------------------------------------------------------- numbers


def test_nan_speed_in_csv_names_the_row() -> None:
    err = error_of(SCEN / "nan-speed-csv" / "scenario.yaml")
    assert (err.row, err.line, err.field) == (2, 3, "speed_kmh")
    assert str(err).startswith(str(SCEN / "nan-speed-csv" / "truck_types.csv"))
    assert "must be a finite number, got 'nan'" in str(err)


NUMBER_CASES = [
    ("nan speed", "truck_types", 0, {"speed_kmh": float("nan")}, "speed_kmh", "finite"),
    ("inf tank", "truck_types", 0, {"tank_kg": float("inf")}, "tank_kg", "finite"),
    ("-inf price", "stations", 0, {"price": float("-inf")}, "price", "finite"),
    ("negative consumption", "truck_types", 0, {"kg_per_100km": -9}, "kg_per_100km", "greater than 0"),
    ("negative empty consumption", "truck_types", 0, {"kg_per_100km_empty": -1}, "kg_per_100km_empty", "greater than 0"),
    ("negative tank", "truck_types", 0, {"tank_kg": -20}, "tank_kg", "greater than 0"),
    ("absurd speed", "truck_types", 0, {"speed_kmh": 200}, "speed_kmh", "at most 150 km/h, got 200"),
    ("zero speed", "truck_types", 0, {"speed_kmh": 0}, "speed_kmh", "greater than 0 km/h"),
    ("zero payload", "truck_types", 0, {"payload_t": 0}, "payload_t", "greater than 0 t"),
    ("zero tonnes", "orders", 0, {"tonnes": 0}, "tonnes", "greater than 0 t"),
    ("nan tonnes", "orders", 0, {"tonnes": float("nan")}, "tonnes", "finite"),
    ("tonnes above payload", "orders", 0, {"tonnes": 40}, "tonnes", "40 t is more than the largest payload of the scenario's truck types (31 t, truck type 'small')"),
    ("zero nozzle flow", "stations", 0, {"nozzle_flow_g_s": 0}, "nozzle_flow_g_s", "greater than 0 g/s"),
    ("no dispensers", "stations", 0, {"dispensers": 0}, "dispensers", "at least 1"),
    ("half a dispenser", "stations", 0, {"dispensers": 1.5}, "dispensers", "whole number"),
    ("odd pressure", "stations", 0, {"pressure_mpa": 50}, "pressure_mpa", "must be one of 35, 70"),
    ("truck pressure", "truck_types", 0, {"pressure_mpa": 20}, "pressure_mpa", "must be one of 35, 70"),
    ("unknown pathway", "production_sites", 0, {"pathway": "magic"}, "pathway", "must be one of cog-psa"),
    ("location quality", "places", 0, {"location": "rough"}, "location", "must be one of exact, approximate"),
    ("zero trailer pressure", "trailers", 0, {"pressure_mpa": 0}, "pressure_mpa", "greater than 0 MPa"),
    ("boolean number", "stations", 0, {"price": True}, "price", "must be a number"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "section", "index", "change", "fld", "words"),
    NUMBER_CASES,
    ids=[c[0] for c in NUMBER_CASES],
)
def test_numbers_must_be_finite_and_physical(
    tmp_path: Path, case: str, section: str, index: int, change: dict, fld: str, words: str
) -> None:
    path = mutate(tmp_path, lambda d: d[section][index].update(change))
    err = error_of(path)
    assert (err.section, err.row, err.field) == (section, index + 1, fld), str(err)
    assert words in str(err), str(err)


def test_numbers_in_csv_are_checked_like_yaml(tmp_path: Path) -> None:
    directory = write_csv_dir(load_scenario(MINI), tmp_path / "csv").parent
    table = directory / "truck_types.csv"
    rows = list(csv.DictReader(table.open()))
    for bad in ("-5", "inf", "1e400"):
        rows[0]["tank_kg"] = bad
        with table.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        err = error_of(directory / "scenario.yaml")
        assert (err.row, err.line, err.field) == (1, 2, "tank_kg"), str(err)


def test_tonnes_without_truck_types_are_not_capped(tmp_path: Path) -> None:
    def edit(d: dict) -> None:
        d.pop("truck_types")
        d.pop("trucks")
        d["orders"][0]["tonnes"] = 45

    assert load_scenario(mutate(tmp_path, edit)).orders[0].tonnes == 45


# --------------------------------------------------------------------------- YAML keys, roads


def test_duplicate_key_names_key_and_line() -> None:
    err = error_of(SCEN / "duplicate-key.yaml")
    assert (err.field, err.line) == ("price", 10)
    assert "the key 'price' appears twice in one mapping (first on line 9)" in str(err)


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        ("name: a\nname: b\n", "name", 2),
        ("name: a\nplaces:\n  - {name: A, lat: 1, lat: 2, lon: 3}\n", "lat", 3),
        ("name: a\nplaces: []\nplaces: []\n", "places", 3),
    ],
)
def test_duplicate_keys_at_any_level(tmp_path: Path, text: str, key: str, line: int) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text(text)
    err = error_of(path)
    assert (err.field, err.line) == (key, line)
    assert f"'{key}' appears twice" in str(err)


def test_merge_keys_still_work(tmp_path: Path) -> None:
    path = tmp_path / "merge.yaml"
    path.write_text(
        "name: merge\n"
        "places:\n"
        "  - &a {name: A, lat: 37.145, lon: 111.785}\n"
        "  - <<: *a\n"
        "    name: B\n"
    )
    s = load_scenario(path)
    assert [(p.name, p.lat) for p in s.places] == [("A", 37.145), ("B", 37.145)]


def test_unknown_roads_name() -> None:
    err = error_of(SCEN / "unknown-roads.yaml")
    assert err.field == "roads"
    assert "'south-china' is neither a bundled road graph (north-china) nor a directory" in str(err)


def test_roads_directory(tmp_path: Path) -> None:
    # relative to the scenario file, stored as a path that loads from anywhere
    path = mutate(tmp_path, lambda d: d.update(roads=str(DATA / "mini-graph")))
    assert load_scenario(path).roads == str((DATA / "mini-graph").resolve())
    (tmp_path / "graph").mkdir()
    (tmp_path / "graph" / "nodes.csv").write_text("node_id,lat,lon\n")
    path = mutate(tmp_path, lambda d: d.update(roads="graph"))
    err = error_of(path)
    assert err.field == "roads" and "'graph' has no edges.csv" in str(err)
    (tmp_path / "graph" / "edges.csv").write_text("u,v,length_km\n")
    assert load_scenario(path).roads == str((tmp_path / "graph").resolve())


# --------------------------------------------------------------------------- road coverage


def test_off_road_points_are_reported(north_china: RoadGraph) -> None:
    s = load_scenario(SCEN / "off-roads.yaml")
    found = check_on_roads(s, north_china)
    got = [(f.section, f.row, f.name, f.field) for f in found]
    assert got == [
        ("places", 2, "Bohai Sea", "lat"),
        ("places", 3, "Paris", "lat"),
        ("stations", 2, "paris-hrs", "lat"),
        ("orders", 1, "O1", "destination"),
    ]
    assert all(f.severity == "error" for f in found)
    bohai, paris = found[0], found[1]
    assert bohai.snap_km is not None and 40 < bohai.snap_km < 80
    assert paris.snap_km is not None and paris.snap_km > 6000
    msg = bohai.message
    assert msg.startswith(str(SCEN / "off-roads.yaml") + ", section 'places', row 2 (line 7)")
    assert re.search(r"'Bohai Sea' at 38\.9000,119\.5000 is \d+\.\d km from the nearest road", msg)
    assert "(limit 30 km)" in msg and msg.endswith(".") and "\n" not in msg
    assert json.loads(json.dumps(paris.to_dict()))["name"] == "Paris"
    # a larger limit lets the Bohai point through but not Paris
    assert [f.name for f in check_on_roads(s, north_china, max_snap_km=100)] == [
        "Paris",
        "paris-hrs",
    ]


def test_validate_scenario_report(north_china: RoadGraph) -> None:
    rep = validate_scenario("shanxi-tianjin", graph=north_china)
    assert rep.ok and rep.findings == [] and rep.road_graph == "north-china"
    assert rep.counts["stations"] == 7 and rep.counts["orders"] == 6
    bad = validate_scenario(SCEN / "off-roads.yaml", graph=north_china)
    assert not bad.ok and len(bad.findings) == 4
    with pytest.raises(ScenarioError, match=r"section 'places', row 2 \(line 7\), field 'lat'"):
        bad.raise_for_findings()
    doc = bad.to_dict()
    assert doc["valid"] is False and doc["counts"]["places"] == 3
    assert [f["name"] for f in doc["findings"]][:2] == ["Bohai Sea", "Paris"]
    # hard errors in the file are raised, not reported
    with pytest.raises(ScenarioError, match="field 'ready'"):
        validate_scenario(SCEN / "ready-next-monday.yaml", check_roads=False)


def test_validate_loads_the_scenario_graph_by_default(tmp_path: Path) -> None:
    # the mini graph covers Shijiazhuang (B) but not Xiaoyi (A): A is 210 km from its nodes
    path = mutate(tmp_path, lambda d: d.update(roads=str(DATA / "mini-graph")))
    rep = validate_scenario(path)
    assert rep.road_graph == "mini-graph"
    assert ("places", "A") in {(f.section, f.name) for f in rep.findings}
    assert ("places", "B") not in {(f.section, f.name) for f in rep.findings}


def test_warnings_for_near_misses_and_odd_values(tmp_path: Path) -> None:
    class Flat:
        name = "flat"

        def snap_many(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return np.zeros(len(lat), dtype=np.int64), np.full(len(lat), 12.0)

    def edit(d: dict) -> None:
        d["truck_types"][0]["kg_per_100km_empty"] = 12
        d["truck_types"].append(dict(d["truck_types"][0], id="spare"))

    rep = validate_scenario(mutate(tmp_path, edit), graph=Flat())
    assert rep.ok
    fields = [(w.section, w.name, w.field) for w in rep.warnings]
    assert ("truck_types", "small", "kg_per_100km_empty") in fields
    assert ("truck_types", "spare", "id") in fields
    assert all(isinstance(w, Finding) and w.severity == "warning" for w in rep.warnings)
    snapped = [w for w in rep.warnings if w.snap_km == 12.0]
    assert len(snapped) == len(load_scenario(MINI).places) + 3  # + 1 site + 2 stations


def test_bundled_and_mini_scenarios_still_load() -> None:
    assert load_scenario("shanxi-tianjin").name == "shanxi-tianjin"
    assert load_scenario(MINI).name == "mini"


@pytest.mark.parametrize(
    ("header", "words", "fld"),
    [
        (
            "id,name,lat,lon,lat",
            "the column 'lat' appears twice in the header (columns 3 and 5)",
            "lat",
        ),
        ("id,name,,lon", "column 3 of the header has no name", None),
    ],
)
def test_csv_header_problems(tmp_path: Path, header: str, words: str, fld: str | None) -> None:
    (tmp_path / "places.csv").write_text(header + "\nA,A,37.1,111.7,37.2\n")
    (tmp_path / "scenario.yaml").write_text("name: h\nplaces: places.csv\n")
    err = error_of(tmp_path / "scenario.yaml")
    assert words in str(err) and err.line == 1 and err.field == fld


def test_reference_errors_name_the_csv_file_row_and_line(tmp_path: Path) -> None:
    directory = write_csv_dir(load_scenario(MINI), tmp_path / "csv").parent
    trucks = directory / "trucks.csv"
    lines = trucks.read_text().splitlines()
    # a blank line before the data row: rows count every line after the header, blank or not
    trucks.write_text(lines[0] + "\n\n" + lines[1].replace(",small,", ",huge,") + "\n")
    err = error_of(directory / "scenario.yaml")
    assert str(err).startswith(str(directory / "trucks.csv") + ", row 2 (line 3), field 'type'")
    assert "refers to unknown truck type 'huge' (known: small)" in str(err)


def test_reference_errors_in_yaml_give_the_line(tmp_path: Path) -> None:
    path = mutate(tmp_path, lambda d: d["trucks"][0].update(depot="Nowhere"))
    err = error_of(path)
    assert (err.section, err.row, err.field) == ("trucks", 1, "depot") and err.line is not None
    assert "unknown place 'Nowhere' (known: A, B)" in str(err)
    path = mutate(tmp_path, lambda d: d["places"].append(dict(d["places"][0], name="a")))
    err = error_of(path)
    assert (err.row, err.field) == (3, "name") and "duplicate name 'a' (first in row 1)" in str(err)


def test_off_road_finding_in_a_csv_section(tmp_path: Path, north_china: RoadGraph) -> None:
    s = load_scenario(SCEN / "off-roads.yaml")
    directory = write_csv_dir(s, tmp_path / "csv").parent
    found = check_on_roads(load_scenario(directory / "scenario.yaml"), north_china)
    assert found[0].message.startswith(str(directory / "places.csv") + ", row 2 (line 3)")
    assert found[0].section == "places" and found[0].to_dict()["line"] == 3


def test_field_table_lists_the_bounds_the_loader_uses() -> None:
    from h2lane.scenario.model import field_table

    rows = {(r["section"], r["field"]): r for r in field_table()}
    speed = rows[("truck_types", "speed_kmh")]
    assert (speed["minimum"], speed["exclusive_minimum"], speed["maximum"]) == (0.0, True, 150.0)
    assert rows[("stations", "pressure_mpa")]["choices"] == [35.0, 70.0]
    assert (
        rows[("orders", "ready")]["default"] is None and not rows[("orders", "ready")]["required"]
    )
    assert rows[("stations", "nozzle_flow_g_s")]["source"].startswith("ISO 17268")
    json.dumps(list(rows.values()))


def test_times_round_trip_through_yaml_and_csv_for_any_offset(tmp_path_factory: Any) -> None:
    from datetime import timezone

    from hypothesis import given, settings
    from hypothesis import strategies as st

    base = load_scenario(MINI)

    @settings(max_examples=25, deadline=None)
    @given(
        start=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)),
        offset_min=st.integers(min_value=-12 * 60, max_value=14 * 60),
        hours=st.integers(min_value=1, max_value=96),
    )
    def check(start: datetime, offset_min: int, hours: int) -> None:
        tz = timezone(timedelta(minutes=offset_min))
        ready = start.replace(second=0, microsecond=0, tzinfo=tz)
        doc = yaml.safe_load(MINI.read_text())
        doc["orders"][0].update(
            ready=ready.isoformat(), due=(ready + timedelta(hours=hours)).isoformat()
        )
        d = tmp_path_factory.mktemp("rt")
        (d / "s.yaml").write_text(yaml.safe_dump(doc))
        s = load_scenario(d / "s.yaml")
        o = s.orders[0]
        assert (
            o.ready == ready and o.ready is not None and o.ready.utcoffset() == timedelta(hours=8)
        )
        for again in (
            load_scenario(write_yaml(s, d / "y.yaml")),
            load_scenario(write_csv_dir(s, d / "c")),
        ):
            assert again.orders == s.orders and again.orders != base.orders

    check()
