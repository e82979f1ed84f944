"""Checks of a loaded scenario against the world: road coverage, plus the full validation.

Loading (:func:`h2lane.scenario.io.load_scenario`) already rejects every malformed value
with a :class:`~h2lane.errors.ScenarioError`. What loading cannot know is whether the points
lie on the scenario's road graph: a place in the Bohai Sea or in Paris is a valid
``lat,lon`` but no truck can reach it on the North China graph. :func:`check_on_roads`
reports such points as :class:`Finding` objects (section, row, name, snap distance), and
:func:`validate_scenario` runs everything the CLI's ``scenario validate`` and the service
need, returning a :class:`ValidationReport`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from h2lane.errors import ScenarioError
from h2lane.scenario.io import load_scenario, parse_latlon
from h2lane.scenario.model import SECTIONS, Scenario

Severity = Literal["error", "warning"]

DEFAULT_MAX_SNAP_KM = 30.0
"""Same limit as :data:`h2lane.roads.graph.MAX_SNAP_KM`: farther points cannot be routed."""

DEFAULT_WARN_SNAP_KM = 5.0
"""Points farther than this from a road node get a warning: their road distances are rough."""


class SnapGraph(Protocol):
    """What the coverage check needs of a road graph (:class:`~h2lane.roads.graph.RoadGraph`)."""

    name: str

    def snap_many(self, lat: NDArray, lon: NDArray) -> tuple[NDArray, NDArray]: ...


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in a valid scenario, located like a :class:`ScenarioError`."""

    severity: Severity
    section: str
    row: int
    name: str
    field: str
    problem: str
    file: str = ""
    lat: float | None = None
    lon: float | None = None
    snap_km: float | None = None
    line: int | None = None
    in_csv: bool = False
    """The record came from the section's own CSV file (``file``), so messages omit the section."""

    def error(self) -> ScenarioError:
        """The finding as the ScenarioError a strict caller raises."""
        return ScenarioError(
            self.file,
            self.problem,
            section=None if self.in_csv else self.section,
            row=self.row,
            line=self.line,
            field=self.field,
        )

    @property
    def message(self) -> str:
        """One sentence naming the file, section, row and field."""
        return str(self.error())

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "severity": self.severity,
            "section": self.section,
            "row": self.row,
            "name": self.name,
            "field": self.field,
            "file": self.file,
            "line": self.line,
            "lat": self.lat,
            "lon": self.lon,
            "snap_km": None if self.snap_km is None else round(self.snap_km, 3),
            "message": self.message,
        }


@dataclass(slots=True)
class ValidationReport:
    """Result of :func:`validate_scenario` for a scenario that loaded.

    ``findings`` are hard problems found after loading (points off the road graph): the
    scenario cannot be planned as it stands. ``warnings`` are worth a look but do not stop a
    plan. ``ok`` is true when there are no findings.
    """

    scenario: str
    source: str
    roads: str
    counts: dict[str, int]
    findings: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    road_graph: str | None = None

    @property
    def ok(self) -> bool:
        return not self.findings

    def raise_for_findings(self) -> None:
        """Raise the first finding as a ScenarioError (for callers that want a hard stop)."""
        if self.findings:
            raise self.findings[0].error()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what ``scenario validate --json`` prints)."""
        return {
            "valid": self.ok,
            "scenario": self.scenario,
            "source": self.source,
            "roads": self.roads,
            "road_graph": self.road_graph,
            "counts": dict(self.counts),
            "findings": [f.to_dict() for f in self.findings],
            "warnings": [w.to_dict() for w in self.warnings],
        }


@dataclass(frozen=True, slots=True)
class _Point:
    section: str
    index: int
    name: str
    field: str
    lat: float
    lon: float


def scenario_points(scenario: Scenario) -> list[_Point]:
    """Every located point: places, production sites, stations and ``lat,lon`` order ends."""
    out: list[_Point] = []
    for i, p in enumerate(scenario.places):
        out.append(_Point("places", i, p.name, "lat", p.lat, p.lon))
    for i, s in enumerate(scenario.production_sites):
        out.append(_Point("production_sites", i, s.id, "lat", s.lat, s.lon))
    for i, st in enumerate(scenario.stations):
        out.append(_Point("stations", i, st.id, "lat", st.lat, st.lon))
    for i, od in enumerate(scenario.orders):
        for fld in ("origin", "destination"):
            value = getattr(od, fld)
            if scenario.place(value) is None and (ll := parse_latlon(value)) is not None:
                out.append(_Point("orders", i, od.id, fld, ll[0], ll[1]))
    return out


def check_on_roads(
    scenario: Scenario,
    graph: SnapGraph,
    max_snap_km: float = DEFAULT_MAX_SNAP_KM,
    *,
    warn_snap_km: float | None = None,
) -> list[Finding]:
    """Points of the scenario that are far from the road graph.

    Every place, production site, station and ``lat,lon`` order origin or destination is
    snapped to its nearest graph node. A point farther than ``max_snap_km`` is an ``error``
    finding (routing it would fail); with ``warn_snap_km``, one farther than that (but within
    the limit) is a ``warning``. Findings are in file order.
    """
    if not (max_snap_km > 0 and np.isfinite(max_snap_km)):
        raise ValueError(f"max_snap_km must be a positive finite number, got {max_snap_km}")
    points = scenario_points(scenario)
    if not points:
        return []
    lat = np.array([p.lat for p in points], dtype=float)
    lon = np.array([p.lon for p in points], dtype=float)
    _, km = graph.snap_many(lat, lon)
    km = np.asarray(km, dtype=float)
    found: list[Finding] = []
    for p, d in zip(points, km, strict=True):
        said = f"'{p.name}' at {p.lat:.4f},{p.lon:.4f} is {d:.1f} km from the nearest road of the '{graph.name}' graph"
        if d > max_snap_km:
            severity: Severity = "error"
            problem = f"{said} (limit {max_snap_km:g} km): it is outside the graph's coverage"
        elif warn_snap_km is not None and d > warn_snap_km:
            severity = "warning"
            problem = f"{said}: its road distances start {d:.1f} km off"
        else:
            continue
        where = scenario.locate(p.section, p.index)
        found.append(
            Finding(
                severity,
                p.section,
                where.row,
                p.name,
                p.field,
                problem,
                where.file,
                p.lat,
                p.lon,
                float(d),
                where.line,
                where.section is None,
            )
        )
    return found


def soft_warnings(scenario: Scenario) -> list[Finding]:
    """Values that load but look wrong (a truck burning more empty than loaded, …)."""
    out: list[Finding] = []

    def warn(section: str, i: int, name: str, fld: str, problem: str) -> None:
        where = scenario.locate(section, i)
        out.append(
            Finding(
                "warning",
                section,
                where.row,
                name,
                fld,
                problem,
                where.file,
                line=where.line,
                in_csv=where.section is None,
            )
        )

    for i, t in enumerate(scenario.truck_types):
        if t.kg_per_100km_empty > t.kg_per_100km:
            warn(
                "truck_types",
                i,
                t.id,
                "kg_per_100km_empty",
                f"the empty consumption {t.kg_per_100km_empty:g} kg/100 km is above the "
                f"loaded {t.kg_per_100km:g} kg/100 km",
            )
    used = {tk.type for tk in scenario.trucks}
    if scenario.trucks:
        for i, t in enumerate(scenario.truck_types):
            if t.id not in used:
                warn("truck_types", i, t.id, "id", f"no truck of the fleet is of type '{t.id}'")
    return out


def validate_scenario(
    spec: str | Path | Scenario,
    graph: SnapGraph | None = None,
    *,
    check_roads: bool = True,
    max_snap_km: float = DEFAULT_MAX_SNAP_KM,
    warn_snap_km: float | None = DEFAULT_WARN_SNAP_KM,
) -> ValidationReport:
    """Validate a scenario fully: load it, check its points against its road graph.

    Parameters
    ----------
    spec
        Bundled scenario name, YAML file, directory, or an already loaded scenario.
    graph
        Road graph to check coverage on; default the scenario's own ``roads`` graph.
    check_roads
        False skips the road check (no graph is loaded).

    Raises
    ------
    ScenarioError
        On the first hard error in the file (see :mod:`h2lane.scenario.io`).
    RoadNetworkError, InputFileError
        When the scenario's road graph cannot be loaded.
    """
    scen = spec if isinstance(spec, Scenario) else load_scenario(spec)
    report = ValidationReport(
        scenario=scen.name,
        source=scen.source,
        roads=scen.roads,
        counts={s: len(getattr(scen, s)) for s in SECTIONS},
        warnings=soft_warnings(scen),
    )
    if check_roads:
        if graph is None:
            from h2lane.roads.graph import RoadGraph

            graph = RoadGraph.load(scen.roads)
        report.road_graph = graph.name
        for f in check_on_roads(scen, graph, max_snap_km, warn_snap_km=warn_snap_km):
            (report.findings if f.severity == "error" else report.warnings).append(f)
    return report


__all__ = [
    "Finding",
    "SnapGraph",
    "ValidationReport",
    "check_on_roads",
    "scenario_points",
    "soft_warnings",
    "validate_scenario",
]
