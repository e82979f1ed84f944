"""Scenario model of the hydrogen chain, its loaders and the bundled scenarios."""

from h2lane.scenario.io import (
    BUNDLED,
    load_scenario,
    parse_latlon,
    read_stations_csv,
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
    "Order",
    "Place",
    "ProductionSite",
    "Scenario",
    "Station",
    "Truck",
    "TruckType",
    "TubeTrailer",
    "load_scenario",
    "parse_latlon",
    "read_stations_csv",
    "to_geojson",
    "write_csv_dir",
    "write_yaml",
]
