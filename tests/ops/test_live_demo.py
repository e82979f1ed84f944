"""``h2lane serve --demo`` in a real process: the demo fleet reports live within minutes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.ops.conftest import free_port


def test_serve_demo_replays_a_live_fleet(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "h2lane", "serve", "--demo", "--port", str(port),
         "--db", f"sqlite:///{tmp_path / 'demo.db'}"],
        stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=tmp_path, env=env,
    )  # fmt: skip
    try:
        token, states = None, {"total": 0}
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and states["total"] < 3:
            time.sleep(1.0)
            assert proc.poll() is None, log.read_text()
            if token is None:
                found = re.search(r"h2l_[A-Za-z0-9_-]{20,}", log.read_text())
                token = found.group(0) if found else None
                continue
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/v1/live/states",
                              headers={"Authorization": f"Bearer {token}"}, timeout=5)  # fmt: skip
            except httpx.HTTPError:
                continue
            if r.status_code == 200:
                states = r.json()
        assert states["total"] >= 3, log.read_text()
        assert "Demo fleet" in log.read_text()
        kinds = {s["kind"] for s in states["items"]}
        assert "truck" in kinds
    finally:
        proc.terminate()
        proc.wait(30)
