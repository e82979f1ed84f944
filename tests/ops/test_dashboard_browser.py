"""The dashboard in a real headless Chromium against a real ``h2lane serve`` (uvicorn and a plan
worker) on a free 127.0.0.1 port with a temporary SQLite database.

Plans are created through the API and the tests wait for their jobs; every request the page
makes is recorded and any that would leave 127.0.0.1 is aborted and fails the test.
Skipped with a message when ``/usr/bin/chromium`` is absent (``scripts/test.sh`` installs it as
root) or Leaflet is not installed (``scripts/web-deps.sh``); under ``CI=true`` a skip fails.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from h2lane.ops.api.app import web_dir
from h2lane.ops.db import store
from h2lane.ops.db.engine import make_engine, upgrade
from h2lane.scenario import io as scenario_io
from tests.ops.conftest import free_port

CHROMIUM = Path("/usr/bin/chromium")
NO_CHROMIUM = "headless Chromium (/usr/bin/chromium) is not installed: apt-get install chromium"
NO_LEAFLET = "Leaflet is not installed: bash scripts/web-deps.sh (npm ci in h2lane/ops/web)"
pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM),
    pytest.mark.skipif(not (web_dir() / "node_modules" / "leaflet").is_dir(), reason=NO_LEAFLET),
]
TRIP = {"from": "Xiaoyi", "to": "Tianjin Port", "round_trip": True}



class Server:
    """``h2lane serve`` in a subprocess, with an admin token."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})  # fmt: skip
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def plan(self, kind: str, request: dict[str, Any]) -> dict[str, Any]:
        """Queue a plan job and wait until it is done; the job with its document."""
        job_id = self.call("POST", "/api/v1/plans", {"kind": kind, "request": request})["id"]
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            job = self.call("GET", f"/api/v1/plans/{job_id}")
            if job["status"] in ("done", "failed"):
                assert job["status"] == "done", job["error"]
                return dict(job)
            time.sleep(0.3)
        raise AssertionError(f"plan job {job_id} did not finish in 180 s")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("serve")
    url = f"sqlite:///{root / 'h2lane.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        store.replace_scenario(conn, scenario_io.load_scenario("shanxi-tianjin"))
        _, token = store.create_user(conn, "browser-admin", "admin")
    engine.dispose()
    port = free_port()
    log = (root / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "h2lane", "serve", "--db", url, "--port", str(port)],
        cwd=root, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "H2LANE_WORKERS": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("h2lane serve did not start: "
                                         + (root / "serve.log").read_text()) from None  # fmt: skip
                time.sleep(0.2)
        yield Server(base, token)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def plans(server: Server) -> dict[str, dict[str, Any]]:
    return {"trip": server.plan("trip", TRIP), "dispatch": server.plan("dispatch", {})}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield b
        b.close()


class Page:
    """A page that records every request and aborts those leaving 127.0.0.1."""

    def __init__(self, browser: Any, server: Server, **context: Any) -> None:
        self.ctx = browser.new_context(**context)
        self.page = self.ctx.new_page()
        self.requests: list[str] = []
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route("**/*", self._route)
        self.server = server

    def _route(self, route: Any) -> None:
        url = urlparse(route.request.url)
        if url.scheme in ("data", "blob") or url.hostname == "127.0.0.1":
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def sign_in(self, token: str | None = None) -> Any:
        page = self.page
        page.goto(self.server.base + "/")
        page.fill("#token", token or self.server.token)
        page.click("#signin-form button")
        return page

    def close(self) -> None:
        self.ctx.close()
        assert self.errors == [], self.errors
        assert self.outside == [], f"requests left 127.0.0.1: {self.outside}"
        assert all(urlparse(u).hostname == "127.0.0.1" for u in self.requests
                   if not u.startswith("data:"))  # fmt: skip


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_sign_in_plan_timeline_and_map_stops(browser, server, plans, tmp_path):
    trip = plans["trip"]
    stops = trip["result"]["routes"][0]["stops"]
    assert stops, "the round trip refuels on the way"
    p = Page(browser, server, viewport={"width": 1280, "height": 860})
    page = p.sign_in()
    page.wait_for_selector("body[data-ready=true]", timeout=30000)
    assert server.token in (page.evaluate("sessionStorage.getItem('h2lane.token')") or "")
    page.goto(f"{server.base}/#plan/{trip['id']}")
    page.wait_for_selector("#timeline .ev-stop", timeout=30000)
    # every refuelling stop is in the timeline with its kg and on the map as a marker
    items = page.locator("#timeline .ev-stop").all_inner_texts()
    assert len(items) == len(stops)
    for text, stop in zip(items, stops, strict=True):
        assert stop["name"] in text and f"+{stop['refuel_kg']:.1f} kg" in text
    assert page.locator("path.h2-stop").count() == len(stops)
    assert page.locator(".ev-depart").count() == 1 and page.locator(".ev-arrive").count() == 1
    # breaks on the road are rows of their own; a break taken at a stop is shown with the stop
    route = trip["result"]["routes"][0]
    road_breaks = [b for b in route["breaks"] if not b["station_id"]]
    assert road_breaks and page.locator(".ev-break, .ev-rest").count() == len(road_breaks)
    assert any("rest" in t for t in items)
    assert page.locator("#tank-chart path.level").count() == 1
    # the attribution is on screen and the KPIs arrive from the emissions use case
    assert "© OpenStreetMap contributors" in page.inner_text(".leaflet-control-attribution")
    page.wait_for_selector("#kpis .card", timeout=60000)
    assert "t·km" in page.inner_text("#kpis")
    shot = page.screenshot(path=str(tmp_path / "plan.png"))
    assert _png_size(shot) == (1280, 860)
    p.close()


def test_dispatch_toggle_a_truck(browser, server, plans, tmp_path):
    doc = plans["dispatch"]["result"]
    trucks = [r["truck_id"] for r in doc["routes"]]
    p = Page(browser, server, viewport={"width": 1280, "height": 860})
    page = p.sign_in()
    page.wait_for_selector("body[data-ready=true]", timeout=30000)
    page.goto(f"{server.base}/#dispatch/{plans['dispatch']['id']}")
    page.wait_for_selector("#gantt .g-row", timeout=30000)
    assert page.locator("#gantt .g-row").count() == len(trucks)
    assert page.locator("path.h2-route").count() == len(trucks)
    # shared roads: the routes are drawn apart (their offsets differ)
    offsets = page.evaluate("window.h2lane.state.map.routes.map(r => r.line.options.offset)")
    assert len(set(offsets)) == len(trucks)
    page.uncheck(f"input[data-truck='{trucks[0]}']")
    assert page.locator("path.h2-route").count() == len(trucks) - 1
    assert page.locator(f".g-row[data-route='{trucks[0]}']").get_attribute("class").endswith("off")
    page.check(f"input[data-truck='{trucks[0]}']")
    assert page.locator("path.h2-route").count() == len(trucks)
    page.hover(f".g-row[data-route='{trucks[1]}']")
    weights = page.evaluate("window.h2lane.state.map.routes.map(r => r.line.options.weight)")
    assert weights[1] > max(w for i, w in enumerate(weights) if i != 1)
    shot = page.screenshot(path=str(tmp_path / "dispatch.png"))
    assert _png_size(shot) == (1280, 860)
    p.close()


def test_station_load_from_current_plans(browser, server, plans):
    p = Page(browser, server, viewport={"width": 1280, "height": 860})
    page = p.sign_in()
    page.wait_for_selector("body[data-ready=true]", timeout=30000)
    page.goto(f"{server.base}/#stations")
    page.wait_for_selector("#load-table", timeout=30000)
    fills = sum(len(r["stops"]) for k in ("trip", "dispatch") for r in plans[k]["result"]["routes"])
    totals = page.locator("#load-table td.tot").all_inner_texts()
    assert sum(int(t) for t in totals) == fills
    page.click("#station-list a[data-fly]")
    page.wait_for_selector(".leaflet-popup .h2-popup", timeout=5000)
    assert "Opening hours" in page.inner_text(".leaflet-popup") and "Dispensers" in page.inner_text(
        ".leaflet-popup")
    p.close()


def test_phone_width(browser, server, plans):
    p = Page(browser, server, viewport={"width": 390, "height": 844}, is_mobile=True,
             has_touch=True)  # fmt: skip
    page = p.sign_in()
    page.wait_for_selector("body[data-ready=true]", timeout=30000)
    page.goto(f"{server.base}/#plan/{plans['trip']['id']}")
    page.wait_for_selector("#timeline .ev-stop", timeout=30000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = page.locator(".leaflet-control-attribution").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.locator("#map").bounding_box()["height"] > 300
    for link in page.locator("#nav a").all():
        b = link.bounding_box()
        assert b is not None and b["x"] + b["width"] <= 390
    p.close()


def test_bad_token_and_missing_map_library(browser, server):
    p = Page(browser, server, viewport={"width": 1000, "height": 700})
    page = p.sign_in("h2l_not-a-token")
    page.wait_for_selector("#signin-error:not(:empty)", timeout=10000)
    assert "not valid" in page.inner_text("#signin-error")
    p.close()
    # without Leaflet the page says so in one sentence and the views still work
    q = Page(browser, server, viewport={"width": 1000, "height": 700})
    q.page.route("**/vendor/**", lambda r: r.fulfill(status=404, body="not found"))
    page = q.sign_in()
    page.wait_for_selector("body[data-ready=true]", timeout=30000)
    assert "npm ci" in page.inner_text("#notice")
    assert "Plans" in page.inner_text("#panel")
    q.errors = [e for e in q.errors if "Leaflet" not in e]
    q.close()
