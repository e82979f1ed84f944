"""``h2lane emissions`` through Typer's test runner on a local app.

The command is ``h2lane/cli/emissions.py``; the real ``h2lane`` app is exercised by
``tests/cli/test_cli_plan_documents.py``.
"""

from __future__ import annotations

import json

import pytest
import typer
from paths import DATA
from typer.testing import CliRunner

from h2lane.cli import emissions as ecli

DATA_DIR = DATA / "emissions"
runner = CliRunner()


@pytest.fixture
def app():
    # no road network unless a test installs one (offline, deterministic)
    ecli.register_distance_oracle(lambda: None)
    app = typer.Typer()
    app.command("emissions")(ecli.emissions)

    @app.command("noop")
    def noop() -> None:  # a second command so that Typer keeps subcommand names
        """Nothing."""

    yield app
    ecli.register_distance_oracle(None)


def _run(app, *args):
    return runner.invoke(app, ["emissions", *map(str, args)])


def test_json_contract(app):
    res = _run(app, "--ledger", DATA_DIR / "ledger_small.csv", "--toc-by", "truck", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["kind"] == "h2lane.emissions"
    for toc in doc["tocs"]:
        assert {"wtw_kg", "ttw_kg", "wtt_kg", "tkm", "intensity_g_per_tkm"} <= set(toc)
        assert toc["wtw_kg"] == pytest.approx(toc["wtt_kg"] + toc["ttw_kg"])
    for s in doc["shipments"]:
        assert {
            "shipment_id",
            "wtw_kg",
            "ttw_kg",
            "wtt_kg",
            "tkm",
            "diesel_baseline_wtw_kg",
            "avoided_kg",
            "sfd_source",
        } <= set(s)
    parts = doc["factors"]["hydrogen"][0]["parts"]
    assert [p["part"] for p in parts] == [
        "production",
        "purification_compression",
        "delivery",
        "station",
    ]
    assert all(i["status"] in {"V", "K", "D"} for p in parts for i in p["inputs"])


def test_plan_input_and_all_outputs(app, tmp_path):
    res = _run(
        app,
        "--plan",
        DATA_DIR / "dispatch_plan.json",
        "--h2-pathway",
        "grid-electrolysis@hebei-2022",
        "--diesel-l-per-100km",
        "40",
        "--report",
        tmp_path / "r.html",
        "--csv",
        tmp_path / "s.csv",
        "--ileap",
        tmp_path / "ileap",
    )
    assert res.exit_code == 0, res.output
    assert "Transport operation categories" in res.stdout
    for f in ("r.html", "s.csv", "ileap/tocs.json", "ileap/shipment-footprints.json"):
        assert (tmp_path / f).exists(), f


def test_list_pathways(app):
    res = _run(app, "--list-pathways", "--json")
    assert res.exit_code == 0
    doc = json.loads(res.stdout)
    names = [p["pathway"] for p in doc["pathways"]]
    assert names == ["cog-psa", "grid-electrolysis", "wind-pv-electrolysis"]
    assert doc["grids"]["north-china-2023"]["value"] == 0.6361
    res = _run(app, "--list-pathways", "--grid", "shanxi-2022")
    assert res.exit_code == 0 and "cog-psa@shanxi-2022" in res.stdout


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        ((), "give exactly one of --ledger"),
        (
            ("--ledger", DATA_DIR / "ledger_small.csv", "--toc-by", "week"),
            "--toc-by must be one of",
        ),
        (
            ("--ledger", DATA_DIR / "ledger_small.csv", "--h2-pathway", "smr"),
            "unknown hydrogen pathway",
        ),
        (("--ledger", DATA_DIR / "missing.csv"), "file not found"),
        (("--plan", DATA_DIR / "ledger_small.csv"), "not valid JSON"),
        (("--plan", DATA_DIR / "vrp_plan.json", "--toc-by", "month"), "needs a date"),
        (
            ("--ledger", DATA_DIR / "ledger_small.csv", "--report", DATA_DIR / "no" / "r.html"),
            "--report",
        ),
        (
            ("--ledger", DATA_DIR / "ledger_small.csv", "--delivery-km", "nan"),
            "--delivery-km",
        ),
        (("--ledger", DATA_DIR / "ledger_hubs_pathways.csv"), "unknown hub 'tianjin-port'"),
    ],
)
def test_errors_are_one_sentence(app, args, expect):
    res = _run(app, *args)
    assert res.exit_code == 2
    assert expect in res.output
    assert "Traceback" not in res.output
    res = _run(app, *args, "--json")
    doc = json.loads(res.stdout)
    assert expect in doc["message"] and doc["error"]


def test_bad_row_via_cli(app, tmp_path):
    p = tmp_path / "l.csv"
    p.write_text(
        "shipment_id,date,truck_id,tonnes,distance_km,h2_kg\n"
        "S1,2026-01-01,T1,10,100,9\nS2,2026-01-01,T1,10,100,nine\n",
        encoding="utf-8",
    )
    res = _run(app, "--ledger", p, "--json")
    assert res.exit_code == 2
    msg = json.loads(res.stdout)["message"]
    assert msg == f"{p}, row 2 (line 3), field 'h2_kg': must be a number (got 'nine')."


def test_distance_oracle_hook(app):
    asked = []

    def provider():
        def oracle(o: str, d: str) -> float | None:
            asked.append((o, d))
            return 640.0

        return oracle

    ecli.register_distance_oracle(provider)
    res = _run(app, "--plan", DATA_DIR / "trip_plan.json", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    (ship,) = doc["shipments"]  # the empty return leg is not a shipment
    assert ship["shipment_id"] == "trip-1"
    assert ship["sfd_source"] == "road_network" and ship["sfd_km"] == 640.0
    assert asked == [("37.145000,111.785000", "38.975830,117.787500")]


def test_missing_output_directory_exits_2_naming_the_option(app, tmp_path):
    out = tmp_path / "nowhere" / "s.csv"
    res = _run(app, "--plan", DATA_DIR / "dispatch_plan.json", "--csv", out, "--json")
    assert res.exit_code == 2
    doc = json.loads(res.stdout)
    assert doc["error"] == "OutputPathError"
    assert doc["message"] == f"--csv {out}: the directory {out.parent} does not exist."


def test_vrp_plan_tables(app):
    res = _run(app, "--plan", DATA_DIR / "vrp_plan.json", "--toc-by", "truck")
    assert res.exit_code == 0, res.output
    assert "Shipments: 2 (3 legs" in res.stdout
    assert "C1" in res.stdout and "C2" in res.stdout and "truck:V1" in res.stdout


@pytest.mark.parametrize(
    ("method", "tcab"),
    [("cut-off", "clean"), ("mass", "clean"), ("energy", "clean"), ("economic", "low-carbon")],
)
def test_allocation_option(app, method, tcab):
    res = _run(app, "--ledger", DATA_DIR / "ledger_small.csv", "--allocation", method, "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["allocation"]["method"] == method and doc["allocation"]["default"] == "energy"
    (h2,) = doc["factors"]["hydrogen"]
    assert h2["allocation"]["method"] == method and h2["tcab_0078_2020_class"] == tcab
    rows = {r["method"]: r for r in doc["sensitivity"]["allocation"]}
    assert rows[method]["chosen"] and rows[method]["wtw_kg"] == pytest.approx(
        doc["totals"]["wtw_kg"]
    )
    # per shipment, the WTW under every method; the chosen one is the shipment's WTW
    for s in doc["shipments"]:
        assert s["wtw_kg_by_allocation"][method] == pytest.approx(s["wtw_kg"])
    # the old shape is still there (the service reads it)
    for key in ("kind", "version", "method", "factors", "totals", "tocs", "shipments", "warnings"):
        assert key in doc


def test_allocation_errors_are_one_sentence(app):
    ledger = DATA_DIR / "ledger_small.csv"
    res = _run(app, "--ledger", ledger, "--allocation", "volume", "--json")
    assert res.exit_code == 2
    assert "--allocation must be one of cut-off, mass, energy, economic" in res.stdout
    res = _run(app, "--ledger", ledger, "--allocation", "mass", "--cog-allocation", "0.5", "--json")
    assert res.exit_code == 2 and "not both" in res.stdout
    res = _run(app, "--ledger", ledger, "--h2-band", "9:3", "--json")
    assert res.exit_code == 2 and "--h2-band" in res.stdout


def test_report_first_screen_from_the_command(app, tmp_path):
    out = tmp_path / "r.html"
    res = _run(app, "--ledger", DATA_DIR / "ledger_small.csv", "--allocation", "economic",
               "--report", out)  # fmt: skip
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert "economic (value) ◀ chosen" in text and "ledger_small.csv" in text
    assert str(tmp_path) not in text
