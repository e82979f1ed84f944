"""Scenario model of the hydrogen chain, its loaders, its checks and the bundled scenarios."""

from h2lane.scenario.checks import (
    Finding,
    ValidationReport,
    check_on_roads,
    validate_scenario,
)
from h2lane.scenario.io import (
    BUNDLED,
    load_scenario,
    parse_latlon,
    read_stations_csv,
    record_dict,
    scenario_dict,
    to_geojson,
    write_csv_dir,
    write_yaml,
)
from h2lane.scenario.model import (
    PATHWAYS,
    SECTIONS,
    Order,
    Place,
    ProductionSite,
    Scenario,
    Station,
    Truck,
    TruckType,
    TubeTrailer,
)

__all__ = [
    "BUNDLED",
    "PATHWAYS",
    "SECTIONS",
    "Finding",
    "Order",
    "Place",
    "ProductionSite",
    "Scenario",
    "Station",
    "Truck",
    "TruckType",
    "TubeTrailer",
    "ValidationReport",
    "check_on_roads",
    "load_scenario",
    "parse_latlon",
    "read_stations_csv",
    "record_dict",
    "scenario_dict",
    "to_geojson",
    "validate_scenario",
    "write_csv_dir",
    "write_yaml",
]
