"""What a use case runs against: the scenario, the road graph, the stations, a progress callback."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from h2lane.scenario import io as scenario_io
from h2lane.scenario.model import Scenario, Station

if TYPE_CHECKING:
    from h2lane.roads.graph import RoadGraph

DEFAULT_SCENARIO = "shanxi-tianjin"

ProgressFn = Callable[[str, float, float | None], None]
"""``progress(task, done, total)``: ``total`` None while unknown; the CLI draws a bar."""

_GRAPHS: dict[str, RoadGraph] = {}


def load_graph(spec: str) -> RoadGraph:
    """The road graph ``spec`` (bundled name or CSV directory), loaded once per process."""
    from h2lane.roads.graph import RoadGraph

    key = str(spec)
    if key not in _GRAPHS:
        graph = RoadGraph.load(key)
        graph.engine  # noqa: B018 - build the hierarchy now, not inside the first query
        _GRAPHS[key] = graph
    return _GRAPHS[key]


@dataclass
class Context:
    """Lazily loaded inputs shared by the use cases of one request."""

    scenario_spec: str | Path = DEFAULT_SCENARIO
    stations_file: str | Path | None = None
    roads_spec: str | None = None
    progress: ProgressFn | None = None
    _scenario: Scenario | None = field(default=None, repr=False)
    _stations: list[Station] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, scenario: Scenario, *, progress: ProgressFn | None = None) -> Context:
        """A context around a scenario already in memory (the service's database)."""
        return cls(scenario_spec=scenario.name, _scenario=scenario, progress=progress)

    @property
    def scenario(self) -> Scenario:
        if self._scenario is None:
            self._scenario = scenario_io.load_scenario(self.scenario_spec)
        return self._scenario

    @property
    def stations(self) -> list[Station]:
        """The ``--stations`` CSV if given, else the scenario's stations."""
        if self._stations is None:
            self._stations = (
                scenario_io.read_stations_csv(self.stations_file)
                if self.stations_file is not None
                else list(self.scenario.stations)
            )
        return self._stations

    @property
    def roads(self) -> str:
        return self.roads_spec or self.scenario.roads

    @property
    def graph(self) -> RoadGraph:
        self.report("loading road graph", 0.0, None)
        graph = load_graph(self.roads)
        self.report("loading road graph", 1.0, 1.0)
        return graph

    def report(self, task: str, done: float, total: float | None) -> None:
        if self.progress is not None:
            self.progress(task, done, total)
