"""``h2lane site`` end to end: JSON fields, tables, map, errors; the bundled example."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from siting_data import SMALL
from typer.testing import CliRunner

from h2lane.cli import app
from h2lane.render import leaflet_map

runner = CliRunner()
GRID = ["site", "--network", str(SMALL), "--flows", str(SMALL / "flows.csv"), "--range-km", "300"]


def test_json_fields_and_unserved_reasons() -> None:
    res = runner.invoke(app, [*GRID, "--stations", "2", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    for key in ("stations", "covered_flow", "total_flow", "covered_share", "mip_gap", "flows"):
        assert key in doc
    assert len(doc["stations"]) == 2 and all(isinstance(s, str) for s in doc["stations"])
    assert doc["method"] == "milp" and doc["mip_gap"] <= 1e-4
    assert doc["total_flow"] == pytest.approx(199.0)
    served = sum(f["flow"] for f in doc["flows"] if f["covered"])
    assert served == pytest.approx(doc["covered_flow"])
    for f in doc["flows"]:
        assert {"origin", "destination", "flow", "covered", "stations"} <= set(f)
        if f["covered"]:
            assert set(f["stations"]) <= set(doc["stations"])
        else:
            assert f["reason"].endswith("km)") or "km" in f["reason"]
    assert doc["greedy_covered_flow"] <= doc["covered_flow"] + 1e-9


def test_table_and_map(tmp_path: Path) -> None:
    out = tmp_path / "site.html"
    res = runner.invoke(app, [*GRID, "--stations", "3", "--map", str(out)])
    assert res.exit_code == 0, res.output
    assert "Station siting" in res.output and "served flow" in res.output
    html = out.read_text()
    assert "<svg" in html and "new station" in html


def test_capacitated_and_deviation() -> None:
    res = runner.invoke(
        app,
        [
            *GRID,
            "--stations",
            "3",
            "--capacity",
            str(SMALL / "sizes.csv"),
            "--kg-per-refuel",
            "30",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["model"] == "max-flow+capacitated"
    assert doc["greedy_covered_flow"] is None  # the heuristic knows no capacities
    for s in doc["sites"]:
        assert s["kg_per_day"] <= s["capacity_kg_per_day"] + 1e-6 and s["size"] in {
            "small",
            "standard",
        }
    dev = runner.invoke(app, [*GRID, "--stations", "2", "--max-deviation-km", "150", "--json"])
    assert dev.exit_code == 0, dev.output
    plain = json.loads(runner.invoke(app, [*GRID, "--stations", "2", "--json"]).output)
    assert json.loads(dev.output)["covered_flow"] >= plain["covered_flow"] - 1e-9


def test_min_stations_and_existing() -> None:
    res = runner.invoke(app, [*GRID, "--target-share", "0.5", "--existing", "15", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["covered_share"] >= 0.5 and doc["existing"] == ["15"] and "15" not in doc["stations"]
    assert doc["greedy_stations"] >= len(doc["stations"])  # the heuristic never needs fewer


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--stations", "40"], "--stations 40"),
        (["--stations", "-1"], "--stations"),
        (["--stations", "2", "--existing", "nowhere"], "--existing nowhere"),
        (["--stations", "2", "--range-km", "-3"], "--range-km"),
        ([], "--stations"),
    ],
)
def test_bad_options_one_sentence(args: list[str], needle: str) -> None:
    res = runner.invoke(app, [*GRID, *args, "--json"])
    assert res.exit_code == 2, res.output
    doc = json.loads(res.output)
    assert needle in doc["message"] and doc["message"].endswith(".")


def test_bad_flow_file(tmp_path: Path) -> None:
    f = tmp_path / "flows.csv"
    f.write_text("origin,destination,flow\n10,25,-1\n")
    res = runner.invoke(
        app,
        [
            "site",
            "--network",
            str(SMALL),
            "--flows",
            str(f),
            "--range-km",
            "300",
            "--stations",
            "1",
        ],
    )
    assert res.exit_code == 2
    assert "flows.csv, row 1 (line 2), field 'flow'" in res.output


@pytest.mark.slow
def test_bundled_example(tmp_path: Path) -> None:
    res = runner.invoke(
        app,
        [
            "site",
            "--example",
            "shanxi-ports",
            "--stations",
            "3",
            "--json",
            "--map",
            str(tmp_path / "m.html"),
        ],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["range_km"] == 650 and doc["network"] == "north-china"
    assert "tianjin-rongcheng" in doc["existing"] and len(doc["stations"]) == 3
    ports = {f["destination"] for f in doc["flows"]}
    assert ports == {"Tianjin Port", "Huanghua Port", "Caofeidian Port", "Qingdao Port"}
    assert 0 < doc["covered_share"] < 1 and doc["total_flow"] == pytest.approx(2000.0)
    html = (tmp_path / "m.html").read_text()
    assert "© OpenStreetMap contributors" in html
    # on the road graph: the dashboard's map component when Leaflet is installed, else the SVG
    # map saying why; the chosen sites are drawn as new stations either way
    if leaflet_map.assets() is not None:
        assert "H2Map.create" in html and html.count('"kind":"new"') == 3
    else:
        assert leaflet_map.FALLBACK_NOTICE in html and html.count('class="new"') == 3


def test_idle_new_stations_are_named(tmp_path: Path) -> None:
    """More stations than the flows need: the ones serving nothing are listed in a notice."""
    f = tmp_path / "flows.csv"
    f.write_text("origin,destination,flow\n10,11,5\n")  # one edge: stations at 10 or 11 serve it
    args = ["site", "--network", str(SMALL), "--flows", str(f), "--range-km", "300"]
    doc = json.loads(runner.invoke(app, [*args, "--stations", "4", "--json"]).output)
    assert doc["covered_share"] == 1.0 and len(doc["stations"]) == 4
    idle = [s["id"] for s in doc["sites"] if s["flow_through"] == 0]
    assert len(idle) >= 2 and not {"10", "11"} & set(idle)
    assert any(f"{len(idle)} of the 4 new stations serve no flow" in n for n in doc["notices"])
