"""``/api/v1/dashboard``: the scenario placed for the map, station load from finished plan jobs,
a plan's emissions KPIs; and the server's one sentence when the map library is missing."""

from __future__ import annotations

import json
import os
import shutil

from fastapi.testclient import TestClient
from paths import DATA

from h2lane.app.emissions import EmissionsRequest, LazyOracle, account_emissions
from h2lane.app.oracles import scenario_distance_oracle
from h2lane.ops.api import app as app_module
from h2lane.ops.db import store
from h2lane.ops.settings import Settings
from h2lane.scenario import io as scenario_io

TRIP = DATA / "dashboard" / "trip-xiaoyi-tianjin-port.json"


def _done_job(api, document) -> str:
    with api.client.app.state.engine.begin() as conn:
        job_id = store.create_job(conn, document["kind"], {"from": "Xiaoyi"}, "test")
        claimed = store.claim_next_job(conn, os.getpid())
        assert claimed is not None and claimed["id"] == job_id
        store.finish_job(conn, job_id, document)
    return job_id


def test_scenario_places_trucks_at_depots_and_orders(sqlite_api):
    body = sqlite_api.get("/api/v1/dashboard/scenario").json()
    assert body["scenario"] == "shanxi-tianjin" and body["unplaced"] == 0
    assert body["attribution"] == "© OpenStreetMap contributors"
    places = {p["name"]: p for p in body["places"]}
    for truck in body["trucks"]:
        depot = places[truck["depot"]["name"]]
        assert (truck["depot"]["lat"], truck["depot"]["lon"]) == (depot["lat"], depot["lon"])
    order = body["orders"][0]
    assert {"lat", "lon", "name"} <= set(order["origin"]) and order["tonnes"] > 0
    station = body["stations"][0]
    assert {"capacity_kg_per_day", "dispensers", "price", "opening_hours"} <= set(station)


def test_station_load_counts_fills_per_hour_of_finished_jobs(sqlite_api):
    doc = json.loads(TRIP.read_text(encoding="utf-8"))
    job_id = _done_job(sqlite_api, doc)
    with sqlite_api.client.app.state.engine.begin() as conn:  # a queued job does not count
        store.create_job(conn, "trip", {"from": "Xiaoyi"}, "test")
    load = sqlite_api.get("/api/v1/dashboard/station-load").json()
    assert load["plans"] == [job_id]
    rows = {r["station_id"]: r for r in load["stations"]}
    # Dingzhou Xuyang: arrive 14:23, no wait, 32.725 kg; Yangquan: arrive 22:34, 6.938 kg
    assert rows["dingzhou-xuyang"]["fills"][14] == 1 and sum(rows["dingzhou-xuyang"]["fills"]) == 1
    assert rows["dingzhou-xuyang"]["kg"][14] == 32.725
    assert rows["yangquan"]["fills"][22] == 1 and rows["yangquan"]["kg"][22] == 6.938
    twice = sqlite_api.get(f"/api/v1/dashboard/station-load?plan={job_id}&plan={job_id}").json()
    assert twice["stations"][0]["peak"] == 1 and sum(twice["stations"][0]["fills"]) == 2
    missing = sqlite_api.get("/api/v1/dashboard/station-load?plan=nope")
    assert missing.status_code == 404 and missing.json()["field"] == ["query", "plan"]


def test_kpis_are_the_emissions_use_case_of_the_plan(sqlite_api, north_china):
    doc = json.loads(TRIP.read_text(encoding="utf-8"))
    job_id = _done_job(sqlite_api, doc)
    k = sqlite_api.get(f"/api/v1/dashboard/plans/{job_id}/kpis", role="auditor").json()
    scenario = scenario_io.load_scenario("shanxi-tianjin")
    oracle = LazyOracle(lambda: scenario_distance_oracle(scenario, north_china))
    totals = account_emissions(EmissionsRequest.build(plan=TRIP), oracle).document()["totals"]
    assert k["tkm"] == totals["tkm"] and k["wtw_kg"] == totals["wtw_kg"]
    assert abs(k["h2_kg"] - doc["h2_kg"]) < 1e-6
    assert abs(k["avoided_kg"] - (k["diesel_baseline_wtw_kg"] - k["wtw_kg"])) < 1e-6
    assert k["method"].startswith("ISO 14083")
    with sqlite_api.client.app.state.engine.begin() as conn:
        queued = store.create_job(conn, "trip", {"from": "Xiaoyi"}, "test")
    assert sqlite_api.get(f"/api/v1/dashboard/plans/{queued}/kpis").status_code == 409
    assert sqlite_api.get("/api/v1/dashboard/plans/nope/kpis").status_code == 404


def test_roles(sqlite_api):
    for path in ("/api/v1/dashboard/scenario", "/api/v1/dashboard/station-load"):
        assert sqlite_api.get(path, role=None).status_code == 401
        assert sqlite_api.get(path, role="device").status_code == 403
        for role in ("admin", "dispatcher", "station-operator", "auditor"):
            assert sqlite_api.get(path, role=role).status_code == 200


def test_without_node_modules_the_server_says_so_and_serves_the_page(tmp_path, monkeypatch, capsys):
    web = tmp_path / "web"
    shutil.copytree(app_module.web_dir() / "static", web / "static")
    monkeypatch.setattr(app_module, "web_dir", lambda: web)
    app = app_module.create_app(Settings(db_url=f"sqlite:///{tmp_path / 'h.db'}"))
    said = capsys.readouterr().err
    assert "map library is not installed" in said and "npm ci" in said
    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/").status_code == 200
    assert client.get("/vendor/leaflet/dist/leaflet.js").status_code == 404
    app.state.engine.dispose()
