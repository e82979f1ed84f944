"""The Live view in headless Chromium: a replayed truck with an injected station leak raises the
alarm ladder in order, opens an incident, shows on the live map and list as the stream delivers
it, and is acknowledged on the page and resolved through the API."""

from __future__ import annotations

import json
from pathlib import Path

from h2lane.ops.replay import Fault, replay_messages
from h2lane.roads.graph import RoadGraph
from tests.ops import test_dashboard_browser as dash
from tests.ops.test_dashboard_browser import Page, Server

pytestmark = dash.pytestmark
browser = dash.browser  # the fixtures: a Chromium and a real h2lane serve with an admin token
server = dash.server

STATION = "dingzhou-xuyang"


def test_live_view_follows_a_replayed_leak(browser, server: Server, data_dir: Path, north_china: RoadGraph,
                                           tmp_path: Path) -> None:  # fmt: skip
    doc = json.loads((data_dir / "ops" / "trip-xiaoyi-tianjin-round.json").read_text())
    msgs = [m for _, m in replay_messages(doc, north_china, interval_s=600, station_interval_s=120,
                                          faults=[Fault("leak", STATION, 60)])]  # fmt: skip
    p = Page(browser, server, viewport={"width": 1280, "height": 860})
    page = p.sign_in()
    page.wait_for_selector("body[data-ready=true]", timeout=30000)
    page.goto(f"{server.base}/#live")
    page.wait_for_selector("#live-conn:text('live')", timeout=30000)
    for i in range(0, len(msgs), 200):
        reply = server.call("POST", "/api/v1/telemetry", msgs[i : i + 200])
        assert not reply["rejected"]
    page.wait_for_selector("#alarms tr.lv-emergency", timeout=30000)
    # the leak's alarms (the replay runs in the past, so silence alarms may join them)
    levels = page.locator("#alarms tr[data-rule='h2-leak'] td:first-child b").all_inner_texts()
    assert levels == ["emergency", "critical", "warning"]  # newest first: raised in ladder order
    assert int(page.inner_text("#live-trucks")) == 1
    page.wait_for_selector("#incidents li", timeout=30000)
    assert STATION in page.inner_text("#incidents")
    alarms = [
        a
        for a in server.call("GET", f"/api/v1/alarms?device={STATION}")["items"]
        if a["rule"] == "h2-leak"
    ]
    assert [a["level"] for a in reversed(alarms)] == ["warning", "critical", "emergency"]
    first = alarms[0]["id"]
    page.click(f"#alarms tr[data-alarm='{first}'] button[data-ack]")
    page.wait_for_selector(f"#alarms tr[data-alarm='{first}'] button[data-resolve]", timeout=15000)
    assert server.call("GET", f"/api/v1/alarms/{first}")["state"] == "acknowledged"
    server.call("POST", f"/api/v1/alarms/{first}/resolve", {"note": "ESD reset, leak repaired"})
    page.wait_for_selector(f"#alarms tr[data-alarm='{first}']", state="detached", timeout=15000)
    page.screenshot(path=str(tmp_path / "live.png"))
    p.close()
