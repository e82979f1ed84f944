"""Resources CRUD, paging, filters, partial updates, validation through the scenario model,
scenario YAML round trip: against SQLite and PostgreSQL."""

from __future__ import annotations

import yaml

from h2lane.scenario import io as scenario_io


def test_healthz_needs_no_token_and_openapi_is_served(api):
    r = api.get("/healthz", role=None)
    assert r.status_code == 200 and r.json()["status"] == "ok"
    spec = api.get("/api/v1/openapi.json", role=None).json()
    assert "/api/v1/stations/{item_key}" in spec["paths"]
    assert "/api/v1/plans" in spec["paths"]


def test_list_pages_filters_search_and_sorts(api):
    page = api.get("/api/v1/stations?limit=3&offset=0&sort=-price").json()
    assert page["total"] == 7 and len(page["items"]) == 3
    prices = [s["price"] for s in page["items"]]
    assert prices == sorted(prices, reverse=True)
    rest = api.get("/api/v1/stations?limit=3&offset=6").json()["items"]
    assert len(rest) == 1
    trucks = api.get("/api/v1/trucks?type=legacy-35mpa").json()
    assert trucks["total"] >= 1 and all(t["type"] == "legacy-35mpa" for t in trucks["items"])
    found = api.get("/api/v1/places?q=tianjin").json()["items"]
    assert any(p["name"] == "Tianjin Port" for p in found)
    bad = api.get("/api/v1/stations?colour=red")
    assert bad.status_code == 422 and bad.json()["field"] == ["query", "colour"]
    assert api.get("/api/v1/stations?price=abc").status_code == 422
    assert api.get("/api/v1/stations?limit=0").status_code == 422


def test_create_get_patch_delete_and_audit(api):
    body = {"id": "test-hrs", "name": "Test station", "lat": 38.0, "lon": 114.5, "price": 30}
    r = api.call("POST", "/api/v1/stations", json=body)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["dispensers"] == 2 and created["opening_hours"] == "00:00-24:00"  # defaults
    assert api.call("POST", "/api/v1/stations", json=body).status_code == 409
    r = api.call("PATCH", "/api/v1/stations/test-hrs", json={"price": 50})
    assert r.status_code == 200 and r.json()["price"] == 50 and r.json()["name"] == "Test station"
    assert api.get("/api/v1/stations/test-hrs").json()["price"] == 50
    assert api.call("DELETE", "/api/v1/stations/test-hrs").status_code == 204
    assert api.get("/api/v1/stations/test-hrs").status_code == 404
    log = api.get("/api/v1/audit?resource=stations").json()["items"]
    assert [e["action"] for e in log] == ["delete", "update", "create"]
    assert log[1]["changes"] == {"price": [30.0, 50.0]} and log[1]["user"] == "admin-user"


def test_validation_is_the_scenario_models_422_with_the_field(api):
    r = api.call("PATCH", "/api/v1/stations/xiaoyi-beiyao", json={"price": -1})
    assert r.status_code == 422
    assert r.json()["field"] == ["body", "price"] and "at least 0 yuan/kg" in r.json()["message"]
    r = api.call("PATCH", "/api/v1/stations/xiaoyi-beiyao", json={"opening_hours": "25:00-26:00"})
    assert r.status_code == 422 and r.json()["field"] == ["body", "opening_hours"]
    r = api.call("POST", "/api/v1/trucks", json={"id": "T99", "type": "no-such", "depot": "Xiaoyi"})
    assert r.status_code == 422 and r.json()["field"] == ["body", "type"]
    r = api.call("POST", "/api/v1/orders", json={"id": "X", "origin": "Xiaoyi"})
    assert r.status_code == 422 and r.json()["field"] == ["body", "destination"]
    r = api.call("POST", "/api/v1/orders", json=[1, 2])
    assert r.status_code == 422
    r = api.call("PATCH", "/api/v1/stations/xiaoyi-beiyao", json={"id": "other"})
    assert r.status_code == 422 and r.json()["field"] == ["body", "id"]
    # a truck type still used by trucks cannot go
    r = api.call("DELETE", "/api/v1/truck-types/pengfei-49t")
    assert r.status_code == 409 and "refers to unknown truck type" in r.json()["message"]


def test_scenario_yaml_round_trip(api):
    exported = api.get("/api/v1/scenario")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/yaml")
    doc = yaml.safe_load(exported.text)
    bundled = scenario_io.scenario_dict(scenario_io.load_scenario("shanxi-tianjin"))
    assert doc["stations"] == bundled["stations"] and doc["name"] == "shanxi-tianjin"
    doc["stations"][0]["price"] = 42.0
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    r = api.call("POST", "/api/v1/scenario", content=text,
                 headers={"Content-Type": "application/yaml"})  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["counts"]["stations"] == 7
    again = api.get("/api/v1/scenario").text
    assert again == text
    as_json = api.get("/api/v1/scenario", headers={"Accept": "application/json"}).json()
    assert as_json["stations"][0]["price"] == 42.0


def test_scenario_import_errors_name_the_row_and_field(api):
    bad = "name: x\nstations:\n  - {id: a, name: A, lat: 95, lon: 110}\n"
    r = api.call("POST", "/api/v1/scenario", content=bad, headers={"Content-Type": "application/yaml"})
    assert r.status_code == 422
    assert r.json()["field"] == ["body", "lat"] and "row 1" in r.json()["message"]
    r = api.call("POST", "/api/v1/scenario", content="a: [", headers={"Content-Type": "application/yaml"})
    assert r.status_code == 422
    r = api.call("POST", "/api/v1/scenario", content="name: x\nstations: s.csv\n",
                 headers={"Content-Type": "application/yaml"})  # fmt: skip
    assert r.status_code == 422
    r = api.call("POST", "/api/v1/scenario", content="name: x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    # the failed imports changed nothing
    assert api.get("/api/v1/stations").json()["total"] == 7
