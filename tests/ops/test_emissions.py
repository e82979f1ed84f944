"""``/api/v1/emissions`` on SQLite and PostgreSQL: a ledger upload or a plan job → the same
ISO 14083 document as ``h2lane emissions --json``, its iLEAP export and its HTML report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from h2lane import output
from h2lane.cli import app as cli_app
from h2lane.ops.db import store

CSV = {"Content-Type": "text/csv"}
VOLATILE = ("id", "source", "outputs")
"""Left out of the comparison: the run ``id`` (service only), ``source`` (the CLI's is the path
on its command line, the service's names the upload or the plan job) and the CLI's ``outputs``
(its file paths). The inputs are named ``ledger.csv`` and ``plan.json`` on both sides, the
names the service gives an upload (the provenance block lists the file name and SHA-256)."""


def cli_emissions(tmp: Path, *args: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """``h2lane emissions ARGS --ileap --report --json``: document, iLEAP files, report."""
    res = CliRunner().invoke(cli_app, ["emissions", *args, "--ileap", str(tmp / "ileap"),
                                       "--report", str(tmp / "r.html"), "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = {k: v for k, v in json.loads(res.output).items() if k not in VOLATILE}
    ileap = {p.stem.replace("-", "_"): json.loads(p.read_text(encoding="utf-8"))
             for p in sorted((tmp / "ileap").glob("*.json"))}  # fmt: skip
    return doc, ileap, (tmp / "r.html").read_text(encoding="utf-8")


def api_doc(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in VOLATILE}


def _check_exports(api, run_id: str, ileap: dict[str, Any], html: str) -> None:
    got = api.get(f"/api/v1/emissions/{run_id}/ileap", "auditor")
    assert got.status_code == 200 and got.json() == ileap
    assert {"manifest"} <= set(ileap)
    report = api.get(f"/api/v1/emissions/{run_id}/report", "auditor")
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert report.text.startswith("<!DOCTYPE html>") and "ISO 14083" in report.text
    assert "h2lane-emissions-" not in report.text  # no scratch path leaks


def test_ledger_upload_equals_the_cli(api, data_dir, tmp_path):
    ledger = tmp_path / "ledger.csv"
    ledger.write_bytes((data_dir / "emissions" / "ledger_small.csv").read_bytes())
    doc, ileap, html = cli_emissions(tmp_path, "--ledger", str(ledger), "--toc-by", "truck")
    r = api.call("POST", "/api/v1/emissions?toc_by=truck", "auditor",
                 content=ledger.read_bytes(), headers=CSV)  # fmt: skip
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["source"] == "ledger upload" and api_doc(body) == doc
    assert [t["toc_id"] for t in body["tocs"]] == [t["toc_id"] for t in doc["tocs"]]
    again = api.get(f"/api/v1/emissions/{body['id']}", "station-operator").json()
    assert again == body
    _check_exports(api, body["id"], ileap, html)
    assert html.count("<section") == api.get(f"/api/v1/emissions/{body['id']}/report").text.count(
        "<section"
    )


def test_plan_job_equals_the_cli_on_the_plan_file(api, data_dir, tmp_path):
    plan = json.loads((data_dir / "emissions" / "trip_plan.json").read_text(encoding="utf-8"))
    plan_file = tmp_path / "plan.json"  # as `h2lane trip --json > plan.json` writes it
    plan_file.write_text(output.dumps(plan) + "\n", encoding="utf-8")
    engine = api.client.app.state.engine
    with engine.begin() as conn:  # a finished job holding that plan document
        job_id = store.create_job(conn, "trip", {}, "dispatcher-user")
        store.claim_next_job(conn, 1)
        store.finish_job(conn, job_id, plan)
    doc, ileap, html = cli_emissions(tmp_path, "--plan", str(plan_file), "--grid", "shanxi-2022")
    r = api.call("POST", "/api/v1/emissions", "dispatcher",
                 json={"plan_id": job_id, "grid": "shanxi-2022"})  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["source"] == f"plan {job_id}" and api_doc(r.json()) == doc
    _check_exports(api, r.json()["id"], ileap, html)
    log = api.get("/api/v1/audit?resource=emissions").json()["items"]
    assert log[0]["user"] == "dispatcher-user" and log[0]["key"] == r.json()["id"]


BAD = [
    ("?colour=red", "ledger", CSV, 422, ["query", "colour"], "unknown option --colour"),
    ("?max_payload_t=abc", "ledger", CSV, 422, ["query", "max_payload_t"], "--max-payload-t"),
    ("?ledger=/etc/passwd", "ledger", CSV, 422, ["query", "ledger"], "not accepted"),
    ("", b"a,b\n1,2\n", CSV, 422, None, "the uploaded ledger: missing required column"),
    ("", b"\xff\xfe\x00", CSV, 422, None, "not UTF-8"),
    ("", b'{"plan_id": "nope"}', {"Content-Type": "application/json"}, 404, None, "nope"),
    ("", b'{"plan_id": 7}', {"Content-Type": "application/json"}, 422, ["body", "plan_id"],
     "plan_id"),
    ("", b"{", {"Content-Type": "application/json"}, 422, ["body"], "not valid JSON"),
    ("", b"x", {"Content-Type": "text/plain"}, 415, None, "text/csv"),
]  # fmt: skip


def test_bad_uploads_are_4xx_in_one_sentence(sqlite_api, data_dir):
    for query, body, headers, status, field, words in BAD:
        if body == "ledger":
            body = (data_dir / "emissions" / "ledger_small.csv").read_bytes()
        r = sqlite_api.call("POST", f"/api/v1/emissions{query}", content=body, headers=headers)
        assert r.status_code == status, r.text
        assert words in r.json()["message"] and "/tmp" not in r.json()["message"]
        assert r.json().get("field") == field


def test_unfinished_plan_is_409_and_unknown_runs_404(sqlite_api):
    engine = sqlite_api.client.app.state.engine
    with engine.begin() as conn:
        job_id = store.create_job(conn, "trip", {}, "dispatcher-user")
    r = sqlite_api.call("POST", "/api/v1/emissions", json={"plan_id": job_id})
    assert r.status_code == 409 and "queued, not done" in r.json()["message"]
    for tail in ("", "/ileap", "/report"):
        assert sqlite_api.get(f"/api/v1/emissions/nope{tail}").status_code == 404
