"""Write the dashboard screenshots in docs/ (plan, dispatch, stations, phone).

Starts ``h2lane serve`` with a plan worker on a free port and a temporary SQLite database with
the bundled scenario, plans the Xiaoyi ⇄ Tianjin Port round trip and the scenario's dispatch
through the API, and photographs the views in headless Chromium (/usr/bin/chromium).

Run: ``.venv/bin/python scripts/dashboard_screenshots.py [--out docs]``
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_dashboard import start_server  # noqa: E402

from h2lane.scenario import io as scenario_io  # noqa: E402


def _call(base: str, token: str, method: str, path: str, body: object = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(req, timeout=60) as r:
        return dict(json.loads(r.read()))


def _plan(base: str, token: str, kind: str, request: dict) -> str:
    job = _call(base, token, "POST", "/api/v1/plans", {"kind": kind, "request": request})
    for _ in range(600):
        got = _call(base, token, "GET", f"/api/v1/plans/{job['id']}")
        if got["status"] == "done":
            return str(job["id"])
        if got["status"] == "failed":
            raise SystemExit(f"plan failed: {got['error']}")
        time.sleep(0.5)
    raise SystemExit("plan did not finish")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="h2lane-shots-") as tmp:
        proc, base, token = start_server(Path(tmp), scenario_io.load_scenario("shanxi-tianjin"),
                                         workers=1)  # fmt: skip
        try:
            trip = _plan(base, token, "trip", {"from": "Xiaoyi", "to": "Tianjin Port",
                                               "round_trip": True})  # fmt: skip
            fleet = _plan(base, token, "dispatch", {})
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                            args=["--no-sandbox"])  # fmt: skip
                shots = [
                    ("dashboard-plan.png", f"#plan/{trip}", "#kpis .card", None, (1280, 800)),
                    ("dashboard-dispatch.png", f"#dispatch/{fleet}", "#gantt .g-row",
                     None, (1280, 800)),
                    ("dashboard-stations.png", "#stations", ".h2-badge",
                     ".h2-station .h2-badge", (1280, 800)),
                    ("dashboard-phone.png", f"#plan/{trip}", "#timeline", None, (390, 844)),
                ]  # fmt: skip
                for name, hash_, ready, action, (w, h) in shots:
                    ctx = browser.new_context(viewport={"width": w, "height": h})
                    ctx.add_init_script(f"sessionStorage.setItem('h2lane.token', {token!r});")
                    page = ctx.new_page()
                    page.goto(f"{base}/{hash_}")
                    page.wait_for_selector(ready, timeout=120000)
                    if action and "badge" in action:
                        page.locator(action).first.click()
                    elif action:
                        page.hover(action)
                    page.wait_for_timeout(800)
                    page.screenshot(path=str(args.out / name))
                    ctx.close()
                    print(f"wrote {args.out / name}")
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=15)


if __name__ == "__main__":
    main()
