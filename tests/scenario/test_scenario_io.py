import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from h2lane.cli import app
from h2lane.errors import ScenarioError
from h2lane.scenario import load_scenario, to_geojson, write_csv_dir, write_yaml
from h2lane.scenario.model import parse_opening_hours


def test_bundled_scenario_has_the_corridor():
    s = load_scenario("shanxi-tianjin")
    assert s.place("xiaoyi") is not None and s.place("Tianjin Port") is not None
    assert {"xiaoyi-beiyao", "tianjin-rongcheng"} <= {st.id for st in s.stations}
    assert all(st.location == "approximate" for st in s.stations)
    pengfei = s.truck_type("pengfei-49t")
    assert pengfei is not None and 640 < pengfei.range_km < 660
    assert s.truck_type("legacy-35mpa").tank_kg == 40
    assert all(o.origin == "Xiaoyi" and o.destination == "Tianjin Port" for o in s.orders)


def test_yaml_and_csv_round_trip(tmp_path):
    s = load_scenario("shanxi-tianjin")
    again = load_scenario(write_yaml(s, tmp_path / "s.yaml"))
    from_csv = load_scenario(write_csv_dir(s, tmp_path / "csv"))
    for section in ("places", "stations", "truck_types", "trucks", "orders", "trailers"):
        assert getattr(again, section) == getattr(s, section)
        assert getattr(from_csv, section) == getattr(s, section)


def test_geojson_export():
    gj = to_geojson(load_scenario("shanxi-tianjin"))
    kinds = {f["properties"]["kind"] for f in gj["features"]}
    assert kinds == {"place", "production_site", "station"}
    lon, lat = gj["features"][0]["geometry"]["coordinates"]
    assert 100 < lon < 130 and 30 < lat < 45


def test_opening_hours():
    assert parse_opening_hours("07:00-19:00") == (7.0, 19.0)
    assert parse_opening_hours("22:00-06:00") == (22.0, 30.0)
    assert parse_opening_hours("24h") == (0.0, 24.0)
    with pytest.raises(ValueError):
        parse_opening_hours("7-19")


def _mutate(data_dir: Path, tmp_path: Path, edit) -> Path:
    doc = yaml.safe_load((data_dir / "mini-scenario.yaml").read_text())
    edit(doc)
    out = tmp_path / "bad.yaml"
    out.write_text(yaml.safe_dump(doc))
    return out


def _one_sentence(msg: str) -> None:
    assert "\n" not in msg and msg.endswith(".") and "Traceback" not in msg


@pytest.mark.parametrize(
    ("edit", "expect"),
    [
        (
            lambda d: d["stations"][1].pop("lat"),
            r"section 'stations', row 2( \(line \d+\))?, field 'lat': is required but missing",
        ),
        (
            lambda d: d["stations"][0].update(capacity_kg_per_day=-5),
            r"row 1( \(line \d+\))?, field 'capacity_kg_per_day': must be at least 0 kg/day, got -5",
        ),
        (
            lambda d: d["stations"][1].update(supplied_by="nowhere"),
            r"row 2( \(line \d+\))?, field 'supplied_by': refers to unknown production site 'nowhere'",
        ),
        (
            lambda d: d["places"][1].update(lat=95),
            r"section 'places', row 2( \(line \d+\))?, field 'lat': must be at most 90",
        ),
        (
            lambda d: d["places"][0].update(lon=-200),
            r"row 1( \(line \d+\))?, field 'lon': must be at least -180",
        ),
        (
            lambda d: d["trucks"][0].update(type="huge"),
            r"field 'type': refers to unknown truck type 'huge'",
        ),
        (
            lambda d: d["stations"][0].update(capcity=5),
            r"row 1( \(line \d+\))?, field 'capcity': unknown field",
        ),
        (
            lambda d: d["stations"][0].update(price="cheap"),
            r"field 'price': must be a number yuan/kg, got 'cheap'",
        ),
        (
            lambda d: d["stations"][1].update(id="s1"),
            r"row 2( \(line \d+\))?, field 'id': duplicate id 's1'",
        ),
        (
            lambda d: d["stations"][0].update(opening_hours="9-5"),
            r"field 'opening_hours': '9-5' is not of the form",
        ),
        (
            lambda d: d["orders"][0].update(destination="Mars"),
            r"field 'destination': 'Mars' is neither a place",
        ),
        (
            lambda d: d["truck_types"][0].update(tank_kg=0),
            r"field 'tank_kg': must be greater than 0 kg",
        ),
        (lambda d: d.pop("name"), r"missing required key 'name'"),
    ],
)
def test_malformed_scenario_gives_one_sentence(data_dir, tmp_path, edit, expect):
    path = _mutate(data_dir, tmp_path, edit)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    msg = str(info.value)
    assert msg.startswith(str(path))
    assert re.search(expect, msg), msg
    _one_sentence(msg)


def test_bad_csv_rows_name_the_row(data_dir, tmp_path):
    s = load_scenario(data_dir / "mini-scenario.yaml")
    yml = write_csv_dir(s, tmp_path / "csvscen")
    stations = tmp_path / "csvscen" / "stations.csv"
    lines = stations.read_text().splitlines()
    # row 3 (header is row 1) gets a missing value
    lines[2] = ",".join(lines[2].split(",")[:-1])
    stations.write_text("\n".join(lines) + "\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(yml)
    assert "stations.csv, row 2 (line 3): has" in str(info.value)
    _one_sentence(str(info.value))
    # a non-numeric latitude in row 2
    lines = stations.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("lat")] = "north"
    lines[1] = ",".join(cells)
    lines[2] = lines[1].replace("s1", "s9", 1)
    stations.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        ScenarioError,
        match=r"stations.csv, row 1 \(line 2\), field 'lat': must be a number deg, got 'north'",
    ):
        load_scenario(yml)


def test_cli_validate_reports_without_traceback(data_dir, tmp_path):
    runner = CliRunner()
    ok = runner.invoke(app, ["scenario", "validate", str(data_dir / "mini-scenario.yaml")])
    assert ok.exit_code == 0 and "valid" in ok.output
    bad = _mutate(data_dir, tmp_path, lambda d: d["stations"][0].update(capacity_kg_per_day=-1))
    res = runner.invoke(app, ["scenario", "validate", str(bad)])
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    assert "field 'capacity_kg_per_day'" in res.output
    res_json = runner.invoke(app, ["scenario", "validate", str(bad), "--json"])
    assert res_json.exit_code == 2 and '"error": "ScenarioError"' in res_json.output


def test_cli_fields_lists_units_and_sources():
    res = CliRunner().invoke(app, ["scenario", "fields", "--json"])
    assert res.exit_code == 0
    assert '"field": "nozzle_flow_g_s"' in res.output and "ISO 17268" in res.output
