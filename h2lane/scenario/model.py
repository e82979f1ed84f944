"""The scenario model of the hydrogen chain: gas → station → transport → truck.

Each component is a dataclass whose fields carry their unit, bounds and the
source of their default in ``metadata`` (PyPSA-style attributes as data). The
same definitions drive validation (:mod:`h2lane.scenario.io`), the CSV columns
and the documentation printed by ``h2lane scenario fields``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict

from h2lane import params
from h2lane.params import Parameter

PATHWAYS = ("cog-psa", "grid-electrolysis", "wind-pv-electrolysis")
"""Production pathways known to the model."""

LOCATION_QUALITY = ("exact", "approximate")
"""``approximate`` marks a town-centre stand-in for an unknown exact site."""

PRESSURES_MPA = (35.0, 70.0)
"""Dispensing and on-board tank pressures of road hydrogen (35 and 70 MPa)."""

MAX_TRUCK_SPEED_KMH = 150.0
"""Sanity bound on a truck's average road speed (no truck averages more)."""


def attr(
    default: Any = dataclasses.MISSING,
    *,
    unit: str = "",
    doc: str = "",
    minimum: float | None = None,
    maximum: float | None = None,
    exclusive_minimum: bool = False,
    choices: tuple[Any, ...] | None = None,
    source: Parameter | None = None,
    aliases: tuple[str, ...] = (),
) -> Any:
    """Declare a component attribute with its unit, bounds and default source."""
    if source is not None and default is dataclasses.MISSING:
        default = source.value
    meta = {
        "unit": unit,
        "doc": doc,
        "minimum": minimum,
        "maximum": maximum,
        "exclusive_minimum": exclusive_minimum,
        "choices": choices,
        "source": source,
        "aliases": aliases,
    }
    return field(default=default, metadata=meta)


class Bounds(TypedDict):
    """Unit and bounds shared by several fields (``**LAT`` in :func:`attr`)."""

    unit: str
    minimum: float
    maximum: float


LAT: Bounds = {"unit": "deg", "minimum": -90.0, "maximum": 90.0}
LON: Bounds = {"unit": "deg", "minimum": -180.0, "maximum": 180.0}


@dataclass(slots=True)
class Place:
    """A named location users can refer to (towns, ports, depots)."""

    name: str = attr(doc="unique name used on the command line")
    lat: float = attr(doc="latitude, WGS-84", **LAT)
    lon: float = attr(doc="longitude, WGS-84", **LON)
    location: str = attr("approximate", choices=LOCATION_QUALITY, doc="how exact lat/lon are")
    note: str = attr("", doc="free text, e.g. where the coordinates come from")


@dataclass(slots=True)
class ProductionSite:
    """A hydrogen production site."""

    id: str = attr(doc="unique identifier")
    name: str = attr(doc="display name")
    pathway: str = attr(choices=PATHWAYS, doc="production pathway")
    capacity_t_per_yr: float = attr(unit="t/yr", minimum=0.0, doc="hydrogen output capacity")
    lat: float = attr(doc="latitude, WGS-84", **LAT)
    lon: float = attr(doc="longitude, WGS-84", **LON)
    location: str = attr("approximate", choices=LOCATION_QUALITY, doc="how exact lat/lon are")
    note: str = attr("", doc="free text")


@dataclass(slots=True)
class Station:
    """A hydrogen refuelling station (an "energy island")."""

    id: str = attr(doc="unique identifier")
    name: str = attr(doc="display name")
    lat: float = attr(doc="latitude, WGS-84", **LAT)
    lon: float = attr(doc="longitude, WGS-84", **LON)
    capacity_kg_per_day: float = attr(
        unit="kg/day",
        minimum=0.0,
        source=params.STATION_CAPACITY_STANDARD,
        doc="dispensing capacity",
    )
    dispensers: int = attr(
        2, unit="-", minimum=1, maximum=100, doc="number of dispensers (parallel fills)"
    )
    nozzle_flow_g_s: float = attr(
        unit="g/s",
        minimum=0.0,
        exclusive_minimum=True,
        maximum=500.0,
        source=params.NOZZLE_FLOW_NORMAL,
        doc="average fill rate per nozzle",
    )
    connect_min: float = attr(
        unit="min",
        minimum=0.0,
        maximum=240.0,
        source=params.CONNECT_TIME,
        doc="fixed time per stop",
    )
    pressure_mpa: float = attr(35.0, unit="MPa", choices=PRESSURES_MPA, doc="dispensing pressure")
    storage_kg: float = attr(
        unit="kg", minimum=0.0, source=params.STATION_STORAGE_SMALL, doc="on-site storage"
    )
    price: float = attr(
        unit="yuan/kg",
        minimum=0.0,
        source=params.H2_PRICE_CLUSTER,
        doc="pump price",
        aliases=("price_yuan_per_kg",),
    )
    opening_hours: str = attr(
        "00:00-24:00",
        doc="daily opening window HH:MM-HH:MM (China time); checked and normalised on load",
    )
    supplied_by: str = attr("", doc="id of the production site that supplies it (optional)")
    location: str = attr("approximate", choices=LOCATION_QUALITY, doc="how exact lat/lon are")
    note: str = attr("", doc="free text")

    def open_window_h(self) -> tuple[float, float]:
        """Opening window as hours after midnight ``(open, close)``; close may exceed 24."""
        return parse_opening_hours(self.opening_hours)

    def refuel_hours(self, kg: float) -> float:
        """Time for one stop buying ``kg``: connect time + kg / nozzle flow."""
        return self.connect_min / 60.0 + kg * 1000.0 / self.nozzle_flow_g_s / 3600.0


@dataclass(slots=True)
class TubeTrailer:
    """A tube trailer delivering compressed hydrogen to stations."""

    id: str = attr(doc="unique identifier")
    payload_kg: float = attr(
        unit="kg",
        minimum=0.0,
        exclusive_minimum=True,
        maximum=5000.0,
        source=params.TUBE_TRAILER_PAYLOAD_20MPA,
        doc="deliverable hydrogen per trip",
    )
    pressure_mpa: float = attr(
        20.0, unit="MPa", minimum=0.0, exclusive_minimum=True, maximum=100.0, doc="working pressure"
    )
    home_site: str = attr("", doc="id of the production site it loads at")
    count: int = attr(1, unit="-", minimum=1, doc="number of identical trailers")


@dataclass(slots=True)
class TruckType:
    """A fuel-cell truck model."""

    id: str = attr(doc="unique identifier, used by --truck")
    name: str = attr(doc="display name")
    tank_kg: float = attr(
        unit="kg",
        minimum=0.0,
        exclusive_minimum=True,
        maximum=500.0,
        source=params.FCET_USABLE_H2,
        doc="usable hydrogen on board",
    )
    kg_per_100km: float = attr(
        unit="kg/100 km",
        minimum=0.0,
        exclusive_minimum=True,
        maximum=100.0,
        source=params.FCET_H2_LOADED,
        doc="consumption loaded",
    )
    kg_per_100km_empty: float = attr(
        unit="kg/100 km",
        minimum=0.0,
        exclusive_minimum=True,
        maximum=100.0,
        source=params.FCET_H2_EMPTY,
        doc="consumption empty",
    )
    payload_t: float = attr(
        unit="t",
        minimum=0.0,
        exclusive_minimum=True,
        maximum=100.0,
        source=params.FCET_PAYLOAD,
        doc="payload",
    )
    speed_kmh: float = attr(
        unit="km/h",
        minimum=0.0,
        exclusive_minimum=True,
        maximum=MAX_TRUCK_SPEED_KMH,
        source=params.FCET_SPEED,
        doc="average road speed",
    )
    pressure_mpa: float = attr(35.0, unit="MPa", choices=PRESSURES_MPA, doc="tank pressure")
    note: str = attr("", doc="free text")

    @property
    def range_km(self) -> float:
        """Loaded range on a full tank."""
        return self.tank_kg / self.kg_per_100km * 100.0


@dataclass(slots=True)
class Truck:
    """One truck of the fleet."""

    id: str = attr(doc="unique identifier")
    type: str = attr(doc="id of its truck type")
    depot: str = attr(doc="name of its home place")


@dataclass(slots=True)
class Order:
    """A freight order."""

    id: str = attr(doc="unique identifier")
    origin: str = attr(doc="place name or 'lat,lon'")
    destination: str = attr(doc="place name or 'lat,lon'")
    tonnes: float = attr(
        unit="t",
        minimum=0.0,
        exclusive_minimum=True,
        doc="freight mass; at most the largest payload of the scenario's truck types",
    )
    ready: datetime | None = attr(  # noqa: RUF009 - attr() returns a field
        None, doc="earliest pick-up, ISO 8601; no offset = China time (optional)"
    )
    due: datetime | None = attr(  # noqa: RUF009 - attr() returns a field
        None, doc="latest delivery, ISO 8601, after ready; no offset = China time (optional)"
    )
    cargo: str = attr("coal", doc="cargo description")


SECTIONS: dict[str, type] = {
    "places": Place,
    "production_sites": ProductionSite,
    "stations": Station,
    "trailers": TubeTrailer,
    "truck_types": TruckType,
    "trucks": Truck,
    "orders": Order,
}
"""Scenario sections and the component each holds, in file order."""

KEY_FIELD = {cls: ("name" if cls is Place else "id") for cls in SECTIONS.values()}


@dataclass(frozen=True, slots=True)
class RowLocation:
    """Where a record came from: the file (the YAML, or a section's CSV), row and line."""

    file: str
    row: int
    line: int | None = None
    section: str | None = None
    """The section as error messages name it (None for a CSV file, which holds one)."""


@dataclass(slots=True)
class Scenario:
    """A whole hydrogen-logistics scenario."""

    name: str
    description: str = ""
    roads: str = "north-china"
    places: list[Place] = field(default_factory=list)
    production_sites: list[ProductionSite] = field(default_factory=list)
    stations: list[Station] = field(default_factory=list)
    trailers: list[TubeTrailer] = field(default_factory=list)
    truck_types: list[TruckType] = field(default_factory=list)
    trucks: list[Truck] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    source: str = ""
    locations: dict[str, list[RowLocation]] = field(default_factory=dict, repr=False, compare=False)
    """Where each record was read (file, row, line), per section, in list order."""

    def locate(self, section: str, index: int) -> RowLocation:
        """File, row and line of record ``index`` (0-based) of ``section``."""
        rows = self.locations.get(section)
        if rows is not None and index < len(rows):
            return rows[index]
        return RowLocation(self.source or self.name, index + 1, None, section)

    def place(self, name: str) -> Place | None:
        """Find a place by name, case-insensitively."""
        key = name.strip().casefold()
        for p in self.places:
            if p.name.casefold() == key:
                return p
        return None

    def truck_type(self, type_id: str) -> TruckType | None:
        for t in self.truck_types:
            if t.id == type_id:
                return t
        return None

    def station(self, station_id: str) -> Station | None:
        for s in self.stations:
            if s.id == station_id:
                return s
        return None


def parse_opening_hours(text: str) -> tuple[float, float]:
    """Parse ``HH:MM-HH:MM`` into hours after midnight; ``24h`` means always open.

    Raises
    ------
    ValueError
        With a short reason when the text is not a valid window.
    """
    t = text.strip().lower()
    if t in ("24h", "24/7", "00:00-24:00", ""):
        return 0.0, 24.0
    try:
        a, b = t.split("-")
        ha, ma = (int(x) for x in a.split(":"))
        hb, mb = (int(x) for x in b.split(":"))
    except ValueError:
        raise ValueError(f"'{text}' is not of the form HH:MM-HH:MM") from None
    if not (0 <= ha <= 24 and 0 <= hb <= 24 and 0 <= ma < 60 and 0 <= mb < 60):
        raise ValueError(f"'{text}' has an hour outside 0-24 or a minute outside 0-59")
    if (ha == 24 and ma) or (hb == 24 and mb):
        raise ValueError(f"'{text}' has a time after 24:00")
    open_h, close_h = ha + ma / 60.0, hb + mb / 60.0
    if close_h <= open_h:  # overnight window, e.g. 22:00-06:00
        close_h += 24.0
    return open_h, close_h


def format_opening_hours(window: tuple[float, float]) -> str:
    """``HH:MM-HH:MM`` text of an ``(open, close)`` window in hours (inverse of the parser)."""

    def clock(hours: float) -> str:
        minutes = round(hours * 60.0)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    open_h, close_h = window
    if close_h > 24.0:
        close_h -= 24.0
    return f"{clock(open_h)}-{clock(close_h)}"


def field_table() -> list[dict[str, Any]]:
    """Every component field with its unit, bounds, choices, default and the default's source.

    JSON-ready rows for ``h2lane scenario fields`` and the service: the same metadata the
    loader validates against, so the listing cannot drift from the checks.
    """
    rows: list[dict[str, Any]] = []
    for section, cls in SECTIONS.items():
        for f in dataclasses.fields(cls):
            meta = f.metadata
            src: Parameter | None = meta.get("source")
            required = f.default is dataclasses.MISSING
            choices = meta.get("choices")
            rows.append(
                {
                    "section": section,
                    "field": f.name,
                    "unit": meta.get("unit", ""),
                    "required": required,
                    "default": None if required else f.default,
                    "minimum": meta.get("minimum"),
                    "exclusive_minimum": bool(meta.get("exclusive_minimum")),
                    "maximum": meta.get("maximum"),
                    "choices": list(choices) if choices is not None else None,
                    "source": src.source if src else "",
                    "year": src.year if src else "",
                    "status": src.status if src else "",
                    "doc": meta.get("doc", ""),
                }
            )
    return rows
