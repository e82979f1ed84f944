"""Shared fixtures, and the CI rule that no test may skip silently."""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from h2lane.roads.graph import RoadGraph

DATA = Path(__file__).parent / "data"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def north_china() -> RoadGraph:
    return RoadGraph.bundled("north-china")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """In CI (``CI=true``) a skipped test fails, with the reason it gave for skipping.

    CI has ``../shared`` beside the clone and every test dependency installed, so a skip there
    means a test that silently did not run. Expected failures (``xfail``) are left alone.
    """
    outcome = yield
    rep = outcome.get_result()
    if IN_CI and rep.skipped and not hasattr(rep, "wasxfail"):
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        rep.outcome = "failed"
        rep.longrepr = f"skipped in CI (CI=true), which must run every test: {reason}"
