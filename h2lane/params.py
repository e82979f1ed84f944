"""Default parameters as data: every number carries unit, source, year and status.

Status marks follow ``docs/hydrogen-parameters.md``: **V** read in the cited
source, **K** background knowledge still to be verified, **D** derived here by
arithmetic from V/K inputs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Status = Literal["V", "K", "D"]


@dataclass(frozen=True, slots=True)
class Parameter:
    """A sourced default value."""

    value: float
    unit: str
    source: str
    year: str
    status: Status
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


# Fuel-cell heavy trucks (parameter table rows in docs/hydrogen-parameters.md §9)
FCET_H2_LOADED = Parameter(
    9.0, "kg/100 km", "cnfin/Xinhua Finance, Pengfei gen-2 49 t FCET", "2024", "V", "row 1"
)
FCET_RANGE = Parameter(650.0, "km", "cnfin/Xinhua Finance, Pengfei gen-2", "2024", "V", "row 6")
FCET_USABLE_H2 = Parameter(58.0, "kg", "9 kg/100 km × 650 km (rows 1 and 6)", "2024", "D", "row 7")
FCET_EMPTY_RATIO = Parameter(
    0.6, "-", "engineering ratio empty/loaded consumption", "2024", "K", "row 4"
)
FCET_H2_EMPTY = Parameter(5.5, "kg/100 km", "0.6 × 9 kg/100 km (row 4)", "2024", "K", "row 4")
FCET35_USABLE_H2 = Parameter(
    40.0, "kg", "industry practice, 8 × 210 L type-III at 35 MPa", "2024", "K", "row 8"
)
FCET_PAYLOAD = Parameter(
    31.0, "t", "49 t GCW tractor-trailer less ≈18 t tare (engineering estimate)", "2024", "K"
)
FCET_SPEED = Parameter(
    60.0, "km/h", "average loaded heavy-truck speed on mixed expressway/trunk roads", "2024", "K"
)

# Refuelling stations
NOZZLE_FLOW_NORMAL = Parameter(
    60.0, "g/s", "ISO 17268 normal flow via HyTruck", "2024", "V", "row 33"
)
NOZZLE_FLOW_MID = Parameter(90.0, "g/s", "ISO 17268 mid flow via HyTruck", "2024", "V", "row 33")
CONNECT_TIME = Parameter(
    5.0, "min", "connect/pay time, sizing rule of thumb §2.1", "2024", "K", "§2.1"
)
STATION_CAPACITY_STANDARD = Parameter(
    1000.0, "kg/day", "China HD station class (standard)", "2024", "K", "row 28"
)
STATION_STORAGE_SMALL = Parameter(500.0, "kg", "Rongcheng HRS (CNR)", "2021", "V", "row 29")
H2_PRICE_CLUSTER = Parameter(
    55.0, "yuan/kg", "China Hydrogen Price Index, FCV city clusters", "2023", "V", "row 39"
)
H2_PRICE_NATIONAL = Parameter(
    60.0, "yuan/kg", "China Hydrogen Price Index, consumption side", "2023", "V", "row 39"
)
H2_PRICE_INTEGRATED = Parameter(
    35.0, "yuan/kg", "HydrogenInsight, integrated green site (Sany Changsha)", "2024", "V", "row 41"
)

# Tube trailers
TUBE_TRAILER_PAYLOAD_20MPA = Parameter(
    300.0, "kg", "CORDIS DELIVERHY (350 kg); 300 kg Chinese 20 MPa steel", "2013", "K", "row 42"
)

# Trip planning
DEFAULT_RESERVE_KG = Parameter(
    5.0, "kg", "planning reserve ≈ 55 km at 9 kg/100 km (h2lane choice)", "2026", "D"
)

# Driver rest rules (commercial drivers, China). Applied by trip, dispatch and the VRP time model.
REST_MAX_CONTINUOUS_DRIVE_H = Parameter(
    4.0,
    "h",
    "Regulations for the Implementation of the Road Traffic Safety Law of the PRC, art. 62(7): "
    "no more than 4 h of continuous driving without a stop of at least 20 min",
    "2017",
    "K",
)
REST_MIN_BREAK_MIN = Parameter(
    20.0,
    "min",
    "Regulations for the Implementation of the Road Traffic Safety Law of the PRC, art. 62(7)",
    "2017",
    "K",
)
REST_MAX_DAILY_DRIVE_H = Parameter(
    8.0,
    "h",
    "Measures for the Dynamic Supervision of Road Transport Vehicles (MOT order): "
    "no more than 8 h of cumulative driving in 24 h",
    "2022",
    "K",
    "modelled per driving day: the limit resets after a daily rest",
)
REST_DAILY_REST_H = Parameter(
    10.0,
    "h",
    "h2lane planning assumption: rest after a driving day (no statutory minimum found)",
    "2026",
    "D",
)

# Hydrogen supply by tube trailer and station operations (issue 13: h2lane supply / simulate).
# HDSAM-style inputs (docs/hydrogen-parameters.md §3 and §10 gap 9: model delivery from trailer
# payload, loading/unloading time, driver and diesel instead of one yuan/kg number).
TRAILER_SPEED = Parameter(
    50.0,
    "km/h",
    "average speed of a tube-trailer tractor (dangerous-goods vehicle) on mixed roads",
    "2026",
    "K",
    "h2lane engineering assumption; below the 60 km/h truck default",
)
TRAILER_LOAD_H = Parameter(
    1.5,
    "h",
    "filling a 20 MPa tube trailer at the plant's loading bay, connect to disconnect",
    "2026",
    "K",
    "HDSAM-style input (§10 gap 9); replace with the plant's bay time",
)
TRAILER_SWAP_H = Parameter(
    0.5,
    "h",
    "drop a full trailer and hook the empty one at a station (swap model)",
    "2026",
    "K",
    "HDSAM-style input (§10 gap 9)",
)
TRAILER_UNLOAD_CONNECT_H = Parameter(
    0.5,
    "h",
    "connect and disconnect a trailer that stays while the station compressor empties it",
    "2026",
    "K",
    "HDSAM-style input (§10 gap 9); the emptying time itself follows the compressor",
)
TRAILER_HOURS_PER_DAY = Parameter(
    20.0,
    "h/day",
    "hours a tube trailer (and its tractor crews) can be on duty per day",
    "2026",
    "K",
    "two driver shifts less inspection and rest",
)
DIESEL_PRICE = Parameter(
    7.5, "yuan/L", "China retail 0# diesel, 2024 average (NDRC-regulated price band)", "2024", "K"
)
TRAILER_COST_PER_KM = Parameter(
    5.0,
    "yuan/km",
    "tube-trailer tractor running cost: 30 L/100 km × 7.5 yuan/L ≈ 2.25 (§5.4 diesel use) "
    "+ ≈2.75 driver, tolls and wear",
    "2026",
    "D",
    "diesel part D from K inputs; the rest K (engineering estimate)",
)
TRAILER_COST_PER_DAY = Parameter(
    800.0,
    "yuan/day",
    "tube trailer and tractor capital and insurance per day in service (≈1.5 M yuan over 8 yr "
    "at 6 %) — engineering estimate",
    "2026",
    "K",
)
COMPRESSOR_RUN_H_PER_DAY = Parameter(
    20.0,
    "h/day",
    "station compressor sized to move the daily capacity from trailer to storage in 20 h",
    "2026",
    "D",
    "compressor kg/h default = capacity kg/day ÷ 20 h (HDRSAM sizes it explicitly, §2.1)",
)
STORAGE_MIN_LEVEL_FRACTION = Parameter(
    0.10,
    "-",
    "share of station storage below which the cascade cannot fill a 35 MPa tank (heel)",
    "2026",
    "K",
    "cascade pressure bands, §2.1 back-to-back fills",
)
TRUCK_FILL_KG = Parameter(
    40.0,
    "kg",
    "typical heavy-truck fill at 35 MPa used by the station sizing rule of thumb",
    "2024",
    "D",
    "§2.1 (fills/day = capacity ÷ 40 kg)",
)

# Station siting (flow-refuelling location model, h2lane/siting)
SITING_GRAVITY_BETA = Parameter(
    1.5,
    "-",
    "gravity exponent of W_i·W_j / d_ij^β as in the FRLM literature's 25-node demand "
    "(Hodgson 1990; Kuby & Lim 2005; FRLMwCT generator), shared/benchmarks/frlm/PROVENANCE.md",
    "2005",
    "K",
    "exponent not confirmed against the original text",
)
SITING_EXAMPLE_TRUCKS_PER_DAY = Parameter(
    2000.0,
    "trucks/day",
    "h2lane assumption: the bundled Shanxi coal → ports example's gravity flows are scaled to "
    "this many loaded trucks a day in total",
    "2026",
    "D",
)
