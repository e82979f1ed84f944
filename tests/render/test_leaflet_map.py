"""The CLI's ``--map`` files: the dashboard's map component inlined (Leaflet from node_modules),
opened offline in headless Chromium; without node_modules the SVG map with a notice line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from paths import DATA

from h2lane.plan import PlanDocument
from h2lane.render import leaflet_map
from h2lane.render.plan_maps import trip_map
from h2lane.scenario import io as scenario_io

TRIP = DATA / "dashboard" / "trip-xiaoyi-tianjin-port.json"
CHROMIUM = Path("/usr/bin/chromium")


def _trip_map(path: Path, graph) -> str:
    doc = PlanDocument.model_validate(json.loads(TRIP.read_text(encoding="utf-8")))
    stations = scenario_io.load_scenario("shanxi-tianjin").stations
    trip_map(path, doc, graph, stations)
    return path.read_text(encoding="utf-8")


def _inlined_data(html: str) -> dict:
    found = re.search(r"var d=(\{.*?\});var m=H2Map\.create", html, re.S)
    assert found is not None
    return dict(json.loads(found.group(1).replace("<\\/", "</")))


def test_inlined_component_data_and_nothing_loaded_from_outside(tmp_path, north_china):
    if leaflet_map.assets() is None:
        pytest.skip("Leaflet is not installed: bash scripts/web-deps.sh (npm ci in h2lane/ops/web)")
    html = _trip_map(tmp_path / "trip.html", north_china)
    assert re.search(r"<(script|link|img)\b[^>]*\b(src|href)\s*=", html) is None
    assert "url(images/" not in html and leaflet_map.FALLBACK_NOTICE not in html
    data = _inlined_data(html)
    (route,) = data["routes"]
    assert [s["label"].split(" +")[0] for s in route["stops"]] == [
        "1. Dingzhou Xuyang integrated energy station", "2. Yangquan station"]  # fmt: skip
    assert len(route["coords"]) > 100 and route["coords"][0] == [37.145, 111.785]
    assert data["basemap"]["attribution"] == "© OpenStreetMap contributors"
    assert {s["id"] for s in data["stations"]} >= {"dingzhou-xuyang", "yangquan"}
    assert all("opening_hours" in s for s in data["stations"])


def test_without_leaflet_the_svg_map_with_a_notice(tmp_path, north_china, monkeypatch):
    monkeypatch.setattr(leaflet_map, "assets", lambda: None)
    html = _trip_map(tmp_path / "trip.html", north_china)
    assert "<svg" in html and "<polyline" in html and "H2Map" not in html
    assert leaflet_map.FALLBACK_NOTICE in html
    assert "© OpenStreetMap contributors" in html


@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium (/usr/bin/chromium) is not "
                    "installed: apt-get install chromium")  # fmt: skip
def test_the_file_works_alone_in_chromium(tmp_path, north_china):
    if leaflet_map.assets() is None:
        pytest.skip("Leaflet is not installed: bash scripts/web-deps.sh (npm ci in h2lane/ops/web)")
    from playwright.sync_api import sync_playwright

    path = tmp_path / "trip.html"
    _trip_map(path, north_china)
    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri())
        page.wait_for_selector("path.h2-stop", timeout=15000)
        stops = page.locator("path.h2-stop").count()
        routes = page.locator("path.h2-route").count()
        attribution = page.inner_text(".leaflet-control-attribution")
        labels = page.locator(".h2-stop-label:not(.h2-hidden)").count()
        # out along a road and back on it: with a reference side both halves keep to one side
        # (two trucks on a round trip never swap); without, the return lies on the other side
        there_back = "[L.point(0, 0), L.point(100, 0), L.point(200, 0), L.point(100, 0), L.point(0, 0)]"
        kept = page.evaluate(f"H2Map.offsetPoints({there_back}, 4, [0, 1]).map(p => p.y)")
        swapped = page.evaluate(f"H2Map.offsetPoints({there_back}, 4).map(p => p.y)")
        browser.close()
    assert kept == [4, 4, 4, 4, 4]
    assert swapped[:2] == [4, 4] and swapped[-2:] == [-4, -4]
    assert errors == [] and requests == [path.as_uri()]
    assert stops == 2 and routes == 1 and labels == 2
    assert "© OpenStreetMap contributors" in attribution
