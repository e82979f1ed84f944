"""The seeded FTL instance generator: valid scenarios of the asked size, reproducible by seed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

from h2lane.scenario import io as scenario_io

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location(
    "ftl_instances", ROOT / "benchmarks" / "ftl_instances.py"
)
assert spec and spec.loader
ftl = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ftl)


def test_generated_instance_is_a_valid_scenario_of_the_asked_size(tmp_path: Path) -> None:
    out = tmp_path / "ftl.yaml"
    assert ftl.main(["--orders", "30", "--trucks", "7", "--seed", "3", "--out", str(out)]) == 0
    scenario = scenario_io.load_scenario(str(out))
    assert len(scenario.orders) == 30 and len(scenario.trucks) == 7
    assert all(o.tonnes == 31.0 for o in scenario.orders)
    assert {o.destination for o in scenario.orders} <= {
        "Tianjin Port",
        "Huanghua Port",
        "Caofeidian Port",
        "Qingdao Port",
    }
    assert all(o.due > o.ready for o in scenario.orders)
    station_sites = {(round(s.lat, 2), round(s.lon, 2)) for s in scenario.stations}
    assert len(station_sites) >= 15  # every origin and port has a station within 15 km


def test_same_seed_same_instance_other_seed_other_orders(tmp_path: Path) -> None:
    a = ftl.generate(40, 8, seed=5)
    b = ftl.generate(40, 8, seed=5)
    c = ftl.generate(40, 8, seed=6)
    assert yaml.safe_dump(a) == yaml.safe_dump(b)
    assert a["orders"] != c["orders"]
    assert ftl._spread(10, [1.0, 1.0, 2.0]) == [3, 2, 5]  # largest remainder, ties to the first
