"""``h2lane supply`` and ``h2lane simulate`` end to end, and bad inputs in one sentence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from h2lane.cli import app
from h2lane.supply.feedback import StationWaits

runner = CliRunner()
DATA = Path(__file__).parent.parent / "data" / "supply"


def run_json(*args: str) -> tuple[int, dict]:
    res = runner.invoke(app, [*args, "--json"])
    return res.exit_code, json.loads(res.output)


def test_supply_explains_the_unserved_station() -> None:
    code, doc = run_json("supply")
    assert code == 3  # design demand: Tianjin's site has no trailer left
    (u,) = doc["unserved"]
    assert u["station_id"] == "tianjin-rongcheng" and "trailers in use" in u["reason"]
    assert doc["totals"]["delivered_kg_per_day"] == pytest.approx(7000)
    feed = doc["emissions_feed"]
    assert feed["delivery_km_equivalent"] == pytest.approx(feed["trailer_km_per_kg"] * 150)


def test_supply_from_a_kg_per_day_and_split() -> None:
    code, doc = run_json("supply", "--kg-per-day", "300", "--period-days", "1")
    assert code == 0, doc
    assert {a["station_id"] for a in doc["assignments"]} >= {"tianjin-rongcheng"}
    for a in doc["assignments"]:
        assert a["trips_per_period"] * 300 >= a["kg_per_day"] - 1e-6


def test_simulate_dispatch_plan_week_with_report_and_waits(tmp_path: Path) -> None:
    res = runner.invoke(app, ["dispatch", "--json", "--depart", "2026-12-01T06:00"])
    plan = tmp_path / "dispatch.json"
    plan.write_text(res.output)
    report, waits = tmp_path / "sim.html", tmp_path / "waits.json"
    code, doc = run_json(
        "simulate",
        "--plan",
        str(plan),
        "--days",
        "7",
        "--report",
        str(report),
        "--waits",
        str(waits),
    )
    assert code == 0, doc
    assert doc["balance"]["exact"] and doc["balance"]["residual_g"] == 0
    stops = sum(len(r["stops"]) for r in json.loads(plan.read_text())["routes"])
    assert doc["network"]["fills"] + doc["network"]["refused"] >= stops * 3  # 2-day plan, 7 days
    html = report.read_text()
    assert (
        "<svg" in html
        and "OpenStreetMap contributors" in html
        and "http" not in html.split("<body>")[1].split("OpenStreetMap")[0]
    )
    w = StationWaits.read(waits)
    assert (
        w.expected_wait_min("no-such-station", __import__("datetime").datetime(2026, 12, 1, 8))
        == 0.0
    )


def test_simulate_arrivals_csv_hand_checked() -> None:
    """Three trucks two minutes apart at Jinzhong (2 dispensers, 60 g/s, 5 min connect)."""
    code, doc = run_json("simulate", "--arrivals", str(DATA / "arrivals.csv"), "--days", "1")
    assert code == 0, doc
    st = {s["station_id"]: s for s in doc["stations"]}
    fill_min = 5 + 40_000 / 60 / 60  # 16.11 min
    assert st["jinzhong"]["fills"] == 3
    assert st["jinzhong"]["wait_max_min"] == pytest.approx(fill_min - 4, abs=1e-6)
    assert st["yangquan"]["fills"] == 1 and st["yangquan"]["wait_max_min"] == 0
    hourly = doc["hourly_waits"]["jinzhong"]
    assert hourly["fills"][8] == 3


def test_simulate_outage_and_poisson_seeded() -> None:
    code, a = run_json(
        "simulate",
        "--arrivals",
        str(DATA / "arrivals.csv"),
        "--days",
        "1",
        "--outages",
        str(DATA / "outages.csv"),
    )
    assert code == 0, a
    jz = next(s for s in a["stations"] if s["station_id"] == "jinzhong")
    assert jz["wait_p50_min"] == pytest.approx(60)  # closed 07:00–09:00: first fill at 09:00
    c1, p1 = run_json("simulate", "--days", "2", "--seed", "4", "--target-p95-min", "5")
    c2, p2 = run_json("simulate", "--days", "2", "--seed", "4", "--target-p95-min", "5")
    assert c1 == c2 == 0 and p1["network"] == p2["network"]
    assert "capacity_proposals" in p1 and p1["balance"]["exact"]


def test_simulate_station_contract() -> None:
    code, doc = run_json(
        "simulate",
        "station",
        "--dispensers",
        "2",
        "--arrivals-per-hour",
        "4",
        "--fill-kg",
        "40",
        "--fill-dist",
        "exponential",
        "--nozzle-g-s",
        "60",
        "--hours",
        "300",
        "--seed",
        "2",
    )
    assert code == 0, doc
    for key in ("fills", "mean_wait_min", "p95_wait_min", "p_wait", "utilisation"):
        assert key in doc
    assert doc["theory"]["model"] == "M/M/c (Erlang C)"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ["simulate", "--arrivals", str(DATA / "bad-station.csv")],
            "row 2 (line 3), field 'station_id': station 'nowhere'",
        ),
        (
            ["simulate", "--arrivals", str(DATA / "bad-kg.csv")],
            "field 'kg': 'lots' is not a number",
        ),
        (
            ["simulate", "--arrivals", str(DATA / "arrivals.csv"), "--plan", "x.json"],
            "give one arrivals source",
        ),
        (["simulate", "--arrivals", "missing.csv"], "missing.csv: file not found"),
        (
            ["simulate", "--arrivals", str(DATA / "arrivals.csv"), "--days", "0.1"],
            "outside the simulated period",
        ),
        (["simulate", "--days", "-1"], "--days"),
        (["simulate", "--trailer-mode", "teleport"], "--trailer-mode"),
        (
            ["supply", "--demand", str(DATA / "bad-demand.csv")],
            "row 2 (line 3), field 'kg_per_day'",
        ),
        (["supply", "--kg-per-day", "0"], "--kg-per-day"),
        (
            [
                "simulate",
                "station",
                "--dispensers",
                "1",
                "--arrivals-per-hour",
                "-2",
                "--fill-kg",
                "40",
                "--nozzle-g-s",
                "60",
            ],
            "--arrivals-per-hour must be above 0",
        ),
        (
            [
                "simulate",
                "station",
                "--dispensers",
                "1",
                "--arrivals-per-hour",
                "2",
                "--fill-kg",
                "40",
                "--nozzle-g-s",
                "60",
                "--fill-dist",
                "weird",
            ],
            "--fill-dist must be fixed or exponential",
        ),
    ],
)
def test_bad_inputs_one_sentence(args: list[str], needle: str) -> None:
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 2, res.output
    doc = json.loads(res.output)
    assert needle in doc["message"], doc["message"]
    assert "Traceback" not in res.output and doc["message"].count(". ") == 0
