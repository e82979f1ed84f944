"""Use cases on scenarios: validate, show, list fields, export."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from h2lane.app.context import load_graph
from h2lane.app.outputs import check_output_dir, check_output_file, write_text
from h2lane.errors import OptionError
from h2lane.scenario import io as scenario_io
from h2lane.scenario.model import SECTIONS, Scenario


@dataclass(slots=True)
class Validation:
    """A valid scenario's counts, and what the road check found."""

    scenario: str
    counts: dict[str, int]
    findings: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": not self.findings,
            "scenario": self.scenario,
            "counts": self.counts,
            "findings": self.findings,
        }


def validate(spec: str, *, roads: bool = True) -> Validation:
    """Load ``spec`` (every value parsed and checked) and check its points against the roads."""
    scen = scenario_io.load_scenario(spec)
    counts = {s: len(getattr(scen, s)) for s in SECTIONS}
    findings: list[dict[str, Any]] = []
    if roads:
        import importlib

        try:
            checks: Any = importlib.import_module("h2lane.scenario.checks")
        except ImportError:  # pragma: no cover - until the road check lands
            checks = None
        if checks is not None and hasattr(checks, "check_on_roads"):
            graph = load_graph(scen.roads)
            for f in checks.check_on_roads(scen, graph):
                findings.append(f.to_dict() if hasattr(f, "to_dict") else dataclasses.asdict(f))
    return Validation(scen.name, counts, findings)


def show(spec: str) -> dict[str, Any]:
    scen = scenario_io.load_scenario(spec)
    return scenario_dict(scen)


def scenario_dict(scen: Scenario) -> dict[str, Any]:
    """The scenario as JSON-ready data (times as ISO text)."""
    from h2lane.output import jsonable

    return jsonable(
        {
            "name": scen.name,
            "description": scen.description,
            "roads": scen.roads,
            **{s: [dataclasses.asdict(r) for r in getattr(scen, s)] for s in SECTIONS},
        }
    )


def fields() -> list[dict[str, Any]]:
    """Every component field with unit, default and the default's source, year and status."""
    rows = []
    for section, cls in SECTIONS.items():
        for f in dataclasses.fields(cls):
            src = f.metadata.get("source")
            default = None if f.default is dataclasses.MISSING else f.default
            rows.append(
                {
                    "section": section,
                    "field": f.name,
                    "unit": f.metadata.get("unit", ""),
                    "required": f.default is dataclasses.MISSING
                    and f.default_factory is dataclasses.MISSING,
                    "default": default,
                    "source": src.source if src else "",
                    "year": src.year if src else "",
                    "status": src.status if src else "",
                    "doc": f.metadata.get("doc", ""),
                }
            )
    return rows


def export(
    spec: str,
    *,
    geojson: str | Path | None = None,
    yaml_file: str | Path | None = None,
    csv_dir: str | Path | None = None,
) -> list[str]:
    """Write the scenario as GeoJSON, one YAML file and/or a CSV directory; returns the paths."""
    if geojson is None and yaml_file is None and csv_dir is None:
        raise OptionError("nothing to export: give --geojson, --yaml or --csv-dir")
    scen = scenario_io.load_scenario(spec)
    out_dir = check_output_dir(csv_dir, "--csv-dir")  # created first: --geojson may be inside it
    gj = check_output_file(geojson, "--geojson")
    ym = check_output_file(yaml_file, "--yaml")
    written: list[str] = []
    if gj is not None:
        text = json.dumps(scenario_io.to_geojson(scen), indent=1, ensure_ascii=False, default=str)
        written.append(str(write_text(gj, text, "--geojson")))
    try:
        if ym is not None:
            written.append(str(scenario_io.write_yaml(scen, ym)))
        if out_dir is not None:
            written.append(str(scenario_io.write_csv_dir(scen, out_dir)))
    except OSError as exc:
        raise OptionError(f"cannot write the export: {exc.strerror or exc}") from None
    return written
