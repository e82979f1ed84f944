from pathlib import Path

import pytest

from h2lane.roads.graph import RoadGraph

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def north_china() -> RoadGraph:
    return RoadGraph.bundled("north-china")
