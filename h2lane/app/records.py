"""Use cases on scenario records one at a time: the service's resources and scenario import.

Every record is checked with the scenario model's own rules (:func:`h2lane.scenario.io.
parse_record`: the field metadata's units, bounds and choices) and the whole scenario after a
write with :func:`h2lane.scenario.io.check_references` (unique keys, references), so the API
accepts exactly what a scenario YAML accepts and a scenario round-trips.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any

import yaml

from h2lane.errors import ScenarioError
from h2lane.scenario import io as scenario_io
from h2lane.scenario.model import KEY_FIELD, SECTIONS, Scenario

RESOURCES: dict[str, str] = {
    "places": "places",
    "production-sites": "production_sites",
    "stations": "stations",
    "trailers": "trailers",
    "truck-types": "truck_types",
    "trucks": "trucks",
    "orders": "orders",
}
"""URL name of each resource → its scenario section."""

BODY = "request body"


def key_field(section: str) -> str:
    """The field that names a record of ``section`` (``name`` for places, else ``id``)."""
    return KEY_FIELD[SECTIONS[section]]


def field_names(section: str) -> list[str]:
    return [f.name for f in dataclasses.fields(SECTIONS[section])]


def parse_item(section: str, data: Any, *, file: str = BODY) -> Any:
    """One record of ``section`` from JSON-like ``data``, validated like a YAML row."""
    return scenario_io.parse_record(data, SECTIONS[section], file=file, row=1, section=section)


def record_dict(record: Any) -> dict[str, Any]:
    """A record as JSON-ready data (times as ISO text with the offset)."""
    return scenario_io.record_dict(record)


def merge_patch(current: dict[str, Any], patch: Any, section: str) -> dict[str, Any]:
    """``current`` updated by the fields of ``patch`` (a partial update); unknown keys refused."""
    if not isinstance(patch, dict):
        raise ScenarioError(BODY, "must be an object of field: value", section=section)
    merged = dict(current)
    merged.update(patch)
    return {k: v for k, v in merged.items() if v is not None or k in patch}


def check_scenario(scenario: Scenario) -> None:
    """Unique keys and references of the whole scenario (a ScenarioError naming the row)."""
    scenario.locations.clear()
    scenario_io.check_references(scenario)


def scenario_from_yaml(text: str, *, file: str = BODY) -> Scenario:
    """Read a scenario from YAML text exactly as ``h2lane scenario validate`` reads a file.

    Sections must be inline lists (a CSV file name would be looked up on the server), and
    ``roads`` must be a bundled road graph.
    """
    from h2lane.roads.graph import BUNDLED_GRAPHS

    raw = scenario_io.load_yaml_text(text, file)
    if isinstance(raw, dict):
        for section in SECTIONS:
            if isinstance(raw.get(section), str):
                raise ScenarioError(
                    file, "must list its records inline (no CSV files on upload)", section=section
                )
        roads = raw.get("roads")
        if roads is not None and str(roads) not in BUNDLED_GRAPHS:
            raise ScenarioError(
                file,
                f"must name a bundled road graph ({', '.join(BUNDLED_GRAPHS)}), got '{roads}'",
                field="roads",
            )
    with tempfile.TemporaryDirectory(prefix="h2lane-upload-") as tmp:
        path = Path(tmp) / "scenario.yaml"
        path.write_text(text, encoding="utf-8")
        scenario = scenario_io.read_yaml(path, display=file)
    scenario.source = ""
    return scenario


def scenario_to_yaml(scenario: Scenario) -> str:
    """The scenario as one YAML document (what ``scenario export --yaml`` writes)."""
    doc: dict[str, Any] = {k: getattr(scenario, k) for k in scenario_io.TOP_LEVEL}
    for section in SECTIONS:
        doc[section] = [
            {k: v for k, v in record_dict(r).items() if v is not None}
            for r in getattr(scenario, section)
        ]
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
