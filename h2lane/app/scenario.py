"""Use cases on scenarios: validate, show, list fields, export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from h2lane.app.context import load_graph
from h2lane.app.outputs import check_output_dir, check_output_file, write_text, writing
from h2lane.errors import OptionError
from h2lane.scenario import io as scenario_io
from h2lane.scenario.checks import ValidationReport, validate_scenario
from h2lane.scenario.model import Scenario, field_table


def validate(spec: str, *, roads: bool = True) -> ValidationReport:
    """Load ``spec`` (every value parsed and checked) and check its points against the roads."""
    scen = scenario_io.load_scenario(spec)
    graph = load_graph(scen.roads) if roads else None
    return validate_scenario(scen, graph, check_roads=roads)


def show(spec: str) -> dict[str, Any]:
    scen = scenario_io.load_scenario(spec)
    return scenario_dict(scen)


def scenario_dict(scen: Scenario) -> dict[str, Any]:
    """The scenario as JSON-ready data (times as ISO text with offset)."""
    return scenario_io.scenario_dict(scen)


def fields() -> list[dict[str, Any]]:
    """Every component field with unit, bounds, choices, default and the default's source."""
    return field_table()


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
    out_dir = check_output_dir(csv_dir, "--csv-dir", create=False)  # created after every check

    def check_file(path: str | Path | None, option: str) -> Path | None:
        if path is None:
            return None
        inside = out_dir is not None and Path(path).parent.resolve() == out_dir.resolve()
        if inside and not out_dir.exists():  # type: ignore[union-attr]
            return Path(path)  # its directory is the --csv-dir about to be created
        return check_output_file(path, option)

    gj = check_file(geojson, "--geojson")
    ym = check_file(yaml_file, "--yaml")
    written: list[str] = []
    if out_dir is not None:
        with writing(out_dir, "--csv-dir"):
            written.append(str(scenario_io.write_csv_dir(scen, out_dir)))
    if gj is not None:
        text = json.dumps(scenario_io.to_geojson(scen), indent=1, ensure_ascii=False, default=str)
        written.insert(0, str(write_text(gj, text, "--geojson")))
    if ym is not None:
        with writing(ym, "--yaml"):
            written.append(str(scenario_io.write_yaml(scen, ym)))
    return written
