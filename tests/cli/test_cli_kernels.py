"""``h2lane kernels``: the state of the ahead-of-time kernels, and build errors in one sentence."""

import json

from typer.testing import CliRunner

from h2lane import aot
from h2lane.cli import app

runner = CliRunner()


def test_status_of_an_empty_cache_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("H2LANE_CACHE_DIR", str(tmp_path))
    aot._forget()
    res = runner.invoke(app, ["kernels", "status", "--json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.output)
    assert info["built"] is False and info["in_use"] is False and info["enabled"] is True
    assert info["path"].startswith(str(tmp_path / "aot" / "h2lane_kernels_"))
    assert info["kernels"] == sorted(aot.KERNELS)
    table = runner.invoke(app, ["kernels", "status"])
    assert "not built for these sources: run 'h2lane kernels build'" in table.output
    monkeypatch.setenv("H2LANE_AOT", "0")
    aot._forget()
    assert "(H2LANE_AOT=0)" in runner.invoke(app, ["kernels", "status"]).output
    aot._forget()


def test_build_without_a_cache_directory_is_one_sentence(monkeypatch):
    monkeypatch.setenv("H2LANE_NO_CACHE", "1")
    res = runner.invoke(app, ["kernels", "build", "--json"])
    assert res.exit_code == 2
    out = json.loads(res.output)
    assert out["error"] == "KernelBuildError" and "H2LANE_NO_CACHE" in out["message"]
