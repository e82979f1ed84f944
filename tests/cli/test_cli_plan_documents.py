"""Every planning command writes one plan document that validates against ``h2lane plan schema``."""

import json

import jsonschema
import pytest
from paths import DATA
from typer.testing import CliRunner

from h2lane.cli import app
from h2lane.plan import parse_plan

runner = CliRunner()


@pytest.fixture(scope="module")
def plan_schema():
    res = runner.invoke(app, ["plan", "schema"])
    assert res.exit_code == 0, res.output
    schema = json.loads(res.output)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def _json(args):
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def _valid(doc, schema, kind):
    jsonschema.validate(doc, schema, format_checker=jsonschema.FormatChecker())
    assert doc["kind"] == kind and doc["version"] == 2
    back = parse_plan(doc, "test")
    assert back.to_json_dict() == doc  # reading and writing loses nothing


def test_trip_via_is_one_consignment(plan_schema):
    doc = _json(["trip", "--from", "Xiaoyi", "--via", "Lvliang", "--to", "Tianjin Port"])
    _valid(doc, plan_schema, "trip")
    route = doc["routes"][0]
    assert len(route["legs"]) == 2 and all(leg["loaded"] for leg in route["legs"])
    assert [o["order_id"] for o in doc["orders"]] == ["trip-1"]
    order = doc["orders"][0]
    assert order["origin"]["name"] == "Xiaoyi" and order["destination"]["name"] == "Tianjin Port"
    assert {leg["order_id"] for leg in route["legs"]} == {"trip-1"}
    # legs follow each other in time, with explicit China-time offsets
    assert route["legs"][0]["arrive"] == route["legs"][1]["depart"]
    assert all(leg["depart"].endswith("+08:00") for leg in route["legs"])


def test_round_trip_return_leg_is_empty_running(plan_schema):
    doc = _json(["trip", "--from", "Xiaoyi", "--to", "Tianjin Port", "--round-trip"])
    _valid(doc, plan_schema, "trip")
    legs = doc["routes"][0]["legs"]
    assert [leg["loaded"] for leg in legs] == [True, False]
    assert legs[1]["order_id"] is None and legs[1]["tonnes"] == 0
    assert len(doc["orders"]) == 1
    assert doc["distance_km"] == pytest.approx(sum(leg["distance_km"] for leg in legs), abs=0.01)


def test_dispatch_orders_are_the_scenarios(plan_schema):
    res = runner.invoke(app, ["dispatch", "--json", "--depart", "2026-12-02T06:00"])
    assert res.exit_code in (0, 3), res.output
    doc = json.loads(res.output)
    _valid(doc, plan_schema, "dispatch")
    served = {o["order_id"] for o in doc["orders"]}
    assert served and served == {o for r in doc["routes"] for o in r["orders"]}
    for r in doc["routes"]:
        loaded = [leg for leg in r["legs"] if leg["loaded"]]
        assert {leg["order_id"] for leg in loaded} == set(r["orders"])
        assert all(leg["truck_id"] == r["truck_id"] for leg in r["legs"])


def test_vrp_answer_is_a_plan_document(plan_schema):
    doc = _json(["vrp", "solve", "xiaoyi-fleet", "--format", "h2lane", "--max-iterations", "30"])
    _valid(doc, plan_schema, "vrp")
    assert doc["solver"]["checker"]["ok"]
    for r in doc["routes"]:
        assert r["nodes"][0] == r["nodes"][-1]
        assert all(a != b for a, b in zip(r["nodes"], r["nodes"][1:], strict=False))


def test_plan_validate_names_unknown_kind_and_version(tmp_path):
    doc = _json(["trip", "--from", "Xiaoyi", "--to", "Lvliang"])
    for key, value, word in (("kind", "truck", "kind"), ("version", 7, "version")):
        bad = tmp_path / f"{key}.json"
        bad.write_text(json.dumps({**doc, key: value}))
        res = runner.invoke(app, ["plan", "validate", str(bad)])
        assert res.exit_code == 2 and f"field '{word}'" in res.output, res.output
        assert len(res.output.strip().splitlines()) <= 2
    nan = tmp_path / "nan.json"
    nan.write_text(json.dumps(doc).replace('"h2_kg": ', '"h2_kg": NaN, "x": ', 1))
    res = runner.invoke(app, ["plan", "validate", str(nan)])
    assert res.exit_code == 2 and "nan.json" in res.output and "Traceback" not in res.output
    good = tmp_path / "good.json"
    good.write_text(json.dumps(doc))
    assert runner.invoke(app, ["plan", "validate", str(good)]).exit_code == 0


# ----------------------------------------------------------------- known escapes (issue 8)
@pytest.mark.parametrize(
    "args",
    [
        ["trip", "--from", "Xiaoyi", "--to", "Tianjin Port"],
        ["dispatch"],
        ["vrp", "solve", "xiaoyi-fleet", "--format", "h2lane"],
    ],
)
def test_unwritable_map_is_refused_before_the_work(args):
    res = runner.invoke(app, [*args, "--map", "/nonexistent/x.html"])
    assert res.exit_code == 2 and "--map" in res.output and "/nonexistent" in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)


def test_version():
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.startswith("h2lane ")


def test_start_above_tank_is_an_input_error():
    res = runner.invoke(app, ["trip", "--from", "Xiaoyi", "--to", "Lvliang", "--start-kg", "100"])
    assert res.exit_code == 2 and "--start-kg" in res.output and "58" in res.output


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0"])
def test_time_limit_must_be_finite_and_positive(value):
    res = runner.invoke(
        app, ["vrp", "solve", str(DATA / "vrp" / "c101C5.txt"), "--format", "evrptw",
              "--time-limit", value],
    )  # fmt: skip
    assert res.exit_code == 2 and "--time-limit" in res.output


@pytest.mark.parametrize("option", ["--tank-kg", "--reserve-kg", "--speed-kmh", "--tonnes"])
def test_nan_options_are_input_errors(option):
    args = ["trip", "--from", "Xiaoyi", "--to", "Lvliang", option, "nan"]
    if option == "--tank-kg":
        args += ["--kg-per-100km", "9"]
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 2, res.output
    err = json.loads(res.output)
    assert option in err["message"]


def test_readme_export_command_on_a_fresh_directory(tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(
        app,
        ["scenario", "export", "--csv-dir", str(out), "--geojson", str(out / "scenario.geojson")],
    )
    assert res.exit_code == 0, res.output
    assert (out / "scenario.yaml").exists() and (out / "scenario.geojson").exists()


def test_unserved_customers_are_named_and_exit_3():
    inst = str(DATA / "cli" / "unreachable.yaml")
    args = ["vrp", "solve", inst, "--format", "h2lane", "--max-iterations", "20"]
    res = runner.invoke(app, args)
    assert res.exit_code == 3, res.output
    assert "cannot be served" in res.output and "--allow-unserved" in res.output
    res = runner.invoke(app, [*args, "--allow-unserved", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert [u["order_id"] for u in doc["unassigned"]] == ["C2"]
    assert doc["unassigned"][0]["reason"] and doc["orders_served"] == 1


# ----------------------------------------------------------------- review findings
def test_loaded_return_is_a_second_consignment(plan_schema):
    doc = _json(
        ["trip", "--from", "Xiaoyi", "--to", "Tianjin Port", "--round-trip", "--return-loaded"]
    )
    _valid(doc, plan_schema, "trip")
    pairs = [(o["origin"]["name"], o["destination"]["name"]) for o in doc["orders"]]
    assert pairs == [("Xiaoyi", "Tianjin Port"), ("Tianjin Port", "Xiaoyi")]


def test_vrp_document_timeline_includes_the_breaks(plan_schema):
    from datetime import datetime

    doc = _json(["vrp", "solve", "xiaoyi-fleet", "--format", "h2lane", "--objective", "time",
                 "--max-iterations", "200", "--seed", "2"])  # fmt: skip
    _valid(doc, plan_schema, "vrp")
    assert doc["rest_rules"]["enabled"] and doc["rest_rules"]["max_drive_h"] == 4
    for r in doc["routes"]:
        span = datetime.fromisoformat(r["arrive"]) - datetime.fromisoformat(r["depart"])
        assert abs(span.total_seconds() / 3600 - r["duration_h"]) < 1 / 60 + 1e-9, r["truck_id"]
        driven = 0.0
        for leg in r["legs"]:  # never more than 4 h of driving without a break
            driven += leg["drive_h"]
            starts = [b for b in r["breaks"] if b["leg"] == leg["index"]]
            if starts:
                driven = 0.0 if starts[-1]["station_id"] else driven % 4
            assert driven <= 4 + 1e-6
        assert r["truck"]["tank_kg"] in (58, 40) and r["cost"] > 0
    assert len({r["truck_id"] for r in doc["routes"]}) == len(doc["routes"])


def test_unlimited_dispensers_are_verified():
    res = runner.invoke(app, ["vrp", "solve", "xiaoyi-fleet", "--format", "h2lane",
                              "--max-iterations", "50", "--dispensers", "0", "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["solver"]["checker"]["ok"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--from", "Xiaoyi", "--to", "Baoding", "--tonnes", "0"], "--tonnes"),
        (["--from", "Xiaoyi", "--to", "Xiaoyi"], "no trip to plan"),
        (["--from", "Xiaoyi", "--to", "Baoding", "--depart", "1960-01-01T00:00"], "1970"),
        (["--from", "Xiaoyi", "--to", "Baoding", "--map", "/proc/x.html"], "--map"),
    ],
)
def test_trip_refuses_in_one_sentence(args, words):
    res = runner.invoke(app, ["trip", *args])
    assert res.exit_code == 2 and words in res.output, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)


def test_export_checks_every_output_before_writing(tmp_path):
    out = tmp_path / "new"
    res = runner.invoke(app, ["scenario", "export", "--csv-dir", str(out),
                              "--geojson", str(tmp_path / "no" / "x.geojson")])  # fmt: skip
    assert res.exit_code == 2 and "--geojson" in res.output and not out.exists()
    res = runner.invoke(app, ["scenario", "export", "--csv-dir", str(tmp_path / "a" / "b")])
    assert res.exit_code == 2 and "--csv-dir" in res.output


def test_far_waypoint_gets_a_notice():
    doc = _json(["trip", "--from", "Xiaoyi", "--to", "38.0,121.0"])
    assert any("km from the nearest road" in n for n in doc["notices"])
