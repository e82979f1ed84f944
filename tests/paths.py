"""Paths the tests share: fixtures, the repository and ``../shared`` beside it."""

import os
from pathlib import Path

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data"
REPO = TESTS.parent
SHARED = Path(os.environ.get("H2LANE_SHARED", REPO.parent / "shared"))
