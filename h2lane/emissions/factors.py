"""Emission factors as data rows: hydrogen well-to-tank built from parts, diesel baseline.

Every default is an :class:`h2lane.params.Parameter` with unit, source, year and a status
mark from ``docs/hydrogen-parameters.md`` (**V** read in the source, **K** background
knowledge to verify, **D** derived here). Rows quote the parameter table (§9) where they
come from it.

Hydrogen well-to-tank (WTT) per kg delivered to the truck is the sum of four parts:

``production`` + ``purification_compression`` (at the plant) + ``delivery`` (tube trailer
hauled by a diesel tractor) + ``station`` (compression and precooling electricity).

Production and purification/compression are the cradle-to-gate boundary of
T/CAB 0078-2020, against which each pathway is classified. Tank-to-wheel of a fuel-cell
truck is zero (hydrogen is not a greenhouse gas).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any

from h2lane.emissions import allocation as _allocation
from h2lane.emissions.allocation import (
    ALLOCATION_LABELS,
    COG_BURDEN_FULL,
    DEFAULT_ALLOCATION,
    allocation_share,
    check_method,
    method_rows,
    share_formula,
)
from h2lane.emissions.errors import EmissionsConfigError
from h2lane.params import TUBE_TRAILER_PAYLOAD_20MPA, Parameter

# ---------------------------------------------------------------------------
# Licences of the sources (what may be done with the cited numbers)
# ---------------------------------------------------------------------------
LICENCE_CITED = "cited fact; the source's own terms apply"
LICENCE_OGL = "Open Government Licence v3.0"
LICENCE_H2LANE = "Apache-2.0 (h2lane derivation)"
LICENCE_USER = "user-supplied"

# ---------------------------------------------------------------------------
# Grid electricity (MEE & NBS official series, CO2 only, consumption-based), §4.3, rows 52–54
# ---------------------------------------------------------------------------
_MEE = "MEE & NBS grid emission factor announcement"
GRID_FACTORS: dict[str, Parameter] = {
    "national-2023": Parameter(0.5306, "kg CO2/kWh", _MEE, "2026 (2023 data)", "V", "row 52"),
    "national-2022": Parameter(0.5366, "kg CO2/kWh", _MEE, "2024 (2022 data)", "V", "row 52"),
    "national-residual-2023": Parameter(
        0.6096,
        "kg CO2/kWh",
        _MEE + ", excl. market-traded non-fossil power",
        "2026 (2023 data)",
        "V",
        "§4.3; for grid-supplied plants without green certificates",
    ),
    "north-china-2023": Parameter(0.6361, "kg CO2/kWh", _MEE, "2026 (2023 data)", "V", "row 53"),
    "north-china-2022": Parameter(0.6776, "kg CO2/kWh", _MEE, "2024 (2022 data)", "V", "row 53"),
    "shanxi-2022": Parameter(
        0.7096, "kg CO2/kWh", _MEE + " via 新京报", "2024 (2022 data)", "V", "row 54"
    ),
    "hebei-2022": Parameter(
        0.7252, "kg CO2/kWh", _MEE + " via 新京报", "2024 (2022 data)", "V", "row 54"
    ),
    "tianjin-2022": Parameter(
        0.7041, "kg CO2/kWh", _MEE + " via 新京报", "2024 (2022 data)", "V", "row 54"
    ),
}
DEFAULT_GRID = "north-china-2023"

WIND_PV_OPERATIONAL = Parameter(
    0.0,
    "kg CO2e/kWh",
    "dedicated wind/PV, operational emissions only",
    "2026",
    "K",
    "§4.3: life-cycle (construction) ≈0.011 wind – 0.048 PV kg CO2e/kWh (IPCC AR5, K) excluded",
)

# ---------------------------------------------------------------------------
# Production and plant-side electricity
# ---------------------------------------------------------------------------
ELECTROLYSIS_KWH = Parameter(
    55.0,
    "kWh/kg H2",
    "judgement on IRENA alkaline 50–78 kWh/kg via Chem Soc Rev 51:4583",
    "2022",
    "D",
    "row 51; AC incl. balance of plant",
)
ELECTROLYSIS_COMPRESSION_KWH = Parameter(
    2.0,
    "kWh/kg H2",
    "compression of electrolyser output to 20 MPa tube-trailer pressure (engineering estimate)",
    "2026",
    "K",
    "no source retrieved; replace with plant data",
)
COG_PURIFICATION_KWH = Parameter(
    3.0,
    "kWh/kg H2",
    "COG pre-treatment, PSA and compression to trailer pressure; midpoint of ≈2–4 kWh/kg",
    "2026",
    "K",
    "§4.1 engineering estimate (inputs K)",
)
# Coking-plant burden and its allocation to the hydrogen: h2lane.emissions.allocation.

# ---------------------------------------------------------------------------
# Delivery by tube trailer and station electricity (§5.4)
# ---------------------------------------------------------------------------
TRAILER_DIESEL = Parameter(
    30.0, "L/100 km", "diesel tractor hauling a tube trailer (§5.4 example)", "2026", "K"
)
TRAILER_ONE_WAY_KM = Parameter(
    100.0,
    "km",
    "production site → station, one way (§5.4 example; set per site with --delivery-km)",
    "2026",
    "K",
)
STATION_KWH = Parameter(
    3.0,
    "kWh/kg H2",
    "35 MPa station compression and precooling; midpoint of ≈2–4 kWh/kg",
    "2026",
    "K",
    "§5.4",
)

# ---------------------------------------------------------------------------
# T/CAB 0078-2020 thresholds (cradle-to-gate), rows 57–58
# ---------------------------------------------------------------------------
TCAB_LOW_CARBON = Parameter(
    14.51, "kg CO2e/kg H2", "T/CAB 0078-2020 (China Hydrogen Alliance)", "2020", "V", "row 57"
)
TCAB_CLEAN = Parameter(
    4.9, "kg CO2e/kg H2", "T/CAB 0078-2020 (China Hydrogen Alliance)", "2020", "V", "row 58"
)

# ---------------------------------------------------------------------------
# Diesel baseline (§1.4, §5.3)
# ---------------------------------------------------------------------------
DIESEL_LOADED = Parameter(
    38.0,
    "L/100 km",
    "49 t tractor, loaded (engineering judgement; Chinese claims imply 40–46)",
    "2024",
    "K",
    "row 24",
)
DIESEL_EMPTY = Parameter(
    26.0, "L/100 km", "49 t tractor, empty return (engineering judgement)", "2024", "K", "§1.4"
)
DIESEL_TTW = Parameter(
    2.60, "kg CO2/L", "ICCT, China Stage 4 harmonised tailpipe CO2", "2023", "V", "row 19"
)
DIESEL_WTW = Parameter(
    3.19747,
    "kg CO2e/L",
    "UK DEFRA 2025 GHG conversion factors, road diesel B7 (TTW 2.57082 + WTT 0.62665)",
    "2025",
    "V",
    "row 22; alternative EN 16258 B0 3.24 (K)",
)


@dataclass(frozen=True, slots=True)
class Input:
    """One sourced number that a factor is computed from."""

    name: str
    value: float
    unit: str
    source: str
    year: str
    status: str
    licence: str
    note: str = ""

    @classmethod
    def of(cls, name: str, param: Parameter, licence: str = LICENCE_CITED) -> Input:
        """Wrap a default :class:`Parameter`; D-status values are h2lane's own arithmetic."""
        if param.status == "D":
            licence = LICENCE_H2LANE
        return cls(
            name,
            param.value,
            param.unit,
            param.source,
            param.year,
            param.status,
            licence,
            param.note,
        )

    @classmethod
    def user(cls, name: str, value: float, unit: str, flag: str) -> Input:
        """A value the user gave on the command line (status ``user``)."""
        return cls(name, float(value), unit, f"user ({flag})", "", "user", LICENCE_USER)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "source": self.source,
            "year": self.year,
            "status": self.status,
            "licence": self.licence,
            "note": self.note,
        }


def _grid_input(name: str, grid: str) -> Input:
    licence = LICENCE_CITED + " (Chinese government publication)"
    return Input.of(name, GRID_FACTORS[grid], licence)


@dataclass(frozen=True, slots=True)
class WttPart:
    """One part of the hydrogen chain, in kg CO2e per kg H2 delivered to the truck."""

    part: str
    label: str
    value: float
    formula: str
    inputs: tuple[Input, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "part": self.part,
            "label": self.label,
            "kg_co2e_per_kg_h2": self.value,
            "formula": self.formula,
            "inputs": [i.as_dict() for i in self.inputs],
        }


PARTS = ("production", "purification_compression", "delivery", "station")
CRADLE_TO_GATE = ("production", "purification_compression")
PART_LABELS = {
    "production": "production",
    "purification_compression": "purification & compression at plant",
    "delivery": "tube-trailer delivery",
    "station": "station compression & precooling",
    "user": "user factor",
}


@dataclass(frozen=True, slots=True)
class HydrogenWtt:
    """Well-to-tank factor of one hydrogen supply, built from parts."""

    name: str
    pathway: str
    description: str
    parts: tuple[WttPart, ...]
    tcab_class: str
    feedstock: str | None
    included: str
    grid: str | None = None
    allocation: str | None = None
    allocation_share: float | None = None

    @property
    def total(self) -> float:
        """kg CO2e per kg H2 delivered (sum of the parts)."""
        return float(sum(p.value for p in self.parts))

    @property
    def cradle_to_gate(self) -> float | None:
        """Production + plant purification/compression (T/CAB boundary); None if unknown."""
        if self.pathway == "user":
            return None
        return float(sum(p.value for p in self.parts if p.part in CRADLE_TO_GATE))

    def part_value(self, part: str) -> float:
        return float(sum(p.value for p in self.parts if p.part == part))

    def as_dict(self) -> dict[str, Any]:
        c2g = self.cradle_to_gate
        return {
            "name": self.name,
            "pathway": self.pathway,
            "grid": self.grid,
            "description": self.description,
            "included": self.included,
            "wtt_kg_per_kg": self.total,
            "ttw_kg_per_kg": 0.0,
            "cradle_to_gate_kg_per_kg": c2g,
            "tcab_0078_2020_class": self.tcab_class,
            "tcab_thresholds_kg_per_kg": {
                "clean_or_renewable": TCAB_CLEAN.value,
                "low_carbon": TCAB_LOW_CARBON.value,
            },
            "parts": [p.as_dict() for p in self.parts],
            "allocation": (
                None
                if self.allocation is None
                else {
                    "method": self.allocation,
                    "label": ALLOCATION_LABELS[self.allocation],
                    "share": self.allocation_share,
                    "default": self.allocation == DEFAULT_ALLOCATION,
                }
            ),
        }


@dataclass(frozen=True, slots=True)
class WttConfig:
    """Choices that shape the hydrogen WTT factors (all optional)."""

    grid: str = DEFAULT_GRID
    cog_allocation: float | None = None
    allocation: str | None = None
    cog_burden_kg_per_kg: float | None = None
    delivery_one_way_km: float | None = None
    trailer_payload_kg: float | None = None
    diesel_wtw_kg_per_l: float | None = None
    station_kwh_per_kg: float | None = None


PATHWAYS: dict[str, str] = {
    "cog-psa": "coke-oven gas by-product hydrogen purified by PSA",
    "grid-electrolysis": "electrolysis on grid electricity",
    "wind-pv-electrolysis": "electrolysis on dedicated wind/PV electricity",
}


def tcab_class(cradle_to_gate: float | None, *, renewable: bool) -> str:
    """Classify a cradle-to-gate intensity against T/CAB 0078-2020.

    ``renewable``/``clean`` ≤ 4.9, ``low-carbon`` ≤ 14.51 kg CO2e/kg H2. Above 14.51 the
    standard grants no class; h2lane labels that ``conventional``.
    """
    if cradle_to_gate is None:
        return "unclassified"
    if cradle_to_gate <= TCAB_CLEAN.value:
        return "renewable" if renewable else "clean"
    if cradle_to_gate <= TCAB_LOW_CARBON.value:
        return "low-carbon"
    return "conventional"


def _check_grid(grid: str) -> None:
    if grid not in GRID_FACTORS:
        raise EmissionsConfigError(
            f"unknown grid factor '{grid}'; choose one of: {', '.join(GRID_FACTORS)}."
        )


def _diesel_wtw_input(config: WttConfig) -> Input:
    if config.diesel_wtw_kg_per_l is not None:
        return Input.user(
            "diesel_wtw", config.diesel_wtw_kg_per_l, "kg CO2e/L", "--diesel-wtw-kg-per-l"
        )
    return Input.of("diesel_wtw", DIESEL_WTW, LICENCE_OGL)


def _delivery_part(config: WttConfig) -> WttPart:
    l100 = Input.of("trailer_diesel", TRAILER_DIESEL)
    if config.delivery_one_way_km is not None:
        km = Input.user("one_way_km", config.delivery_one_way_km, "km", "--delivery-km")
    else:
        km = Input.of("one_way_km", TRAILER_ONE_WAY_KM)
    if config.trailer_payload_kg is not None:
        payload = Input.user("payload_kg", config.trailer_payload_kg, "kg", "trailer_payload_kg")
    else:
        payload = Input.of("payload_kg", TUBE_TRAILER_PAYLOAD_20MPA)
    wtw = _diesel_wtw_input(config)
    value = l100.value / 100.0 * 2.0 * km.value / payload.value * wtw.value
    formula = (
        f"{l100.value:g} L/100 km × 2 × {km.value:g} km ÷ {payload.value:g} kg"
        f" × {wtw.value:g} kg CO2e/L"
    )
    return WttPart("delivery", PART_LABELS["delivery"], value, formula, (l100, km, payload, wtw))


def _station_part(config: WttConfig, grid: str) -> WttPart:
    if config.station_kwh_per_kg is not None:
        kwh = Input.user("station_kwh", config.station_kwh_per_kg, "kWh/kg H2", "station_kwh")
    else:
        kwh = Input.of("station_kwh", STATION_KWH)
    ef = _grid_input("grid_factor", grid)
    formula = f"{kwh.value:g} kWh/kg × {ef.value:g} kg CO2/kWh ({grid})"
    return WttPart("station", PART_LABELS["station"], kwh.value * ef.value, formula, (kwh, ef))


def hydrogen_wtt(name: str, config: WttConfig | None = None) -> HydrogenWtt:
    """Build the WTT factor of pathway ``name`` (``NAME`` or ``NAME@GRID``).

    ``@GRID`` picks the grid factor for this pathway's grid electricity (plant and station);
    without it ``config.grid`` applies.
    """
    config = config or WttConfig()
    pathway, _, grid = name.partition("@")
    grid = grid or config.grid
    if pathway not in PATHWAYS:
        raise EmissionsConfigError(
            f"unknown hydrogen pathway '{name}'; choose one of: {', '.join(PATHWAYS)}"
            " (optionally NAME@GRID with GRID one of: " + ", ".join(GRID_FACTORS) + ")."
        )
    _check_grid(grid)
    ef = _grid_input("grid_factor", grid)
    parts: list[WttPart] = []
    if pathway == "cog-psa":
        if config.cog_allocation is not None and config.allocation is not None:
            raise EmissionsConfigError("give --allocation or --cog-allocation, not both.")
        method_inputs: list[Input] = []
        if config.cog_allocation is not None:
            method = "share"
            share = Input.user("allocation_share", config.cog_allocation, "-", "--cog-allocation")
        else:
            method = check_method(config.allocation or DEFAULT_ALLOCATION)
            value = allocation_share(method)
            share = Input(
                "allocation_share",
                value,
                "-",
                f"{ALLOCATION_LABELS[method]} of the coking plant's burden; "
                + share_formula(method),
                "2026",
                "D",
                LICENCE_H2LANE,
                "h2lane default" if method == DEFAULT_ALLOCATION else "chosen with --allocation",
            )
            method_inputs = [Input.of(name, row) for name, row in method_rows(method)]
        if not 0.0 <= share.value <= 1.0:
            raise EmissionsConfigError(
                f"--cog-allocation must be between 0 and 1, got {share.value:g}."
            )
        if config.cog_burden_kg_per_kg is not None:
            burden = Input.user(
                "coking_burden", config.cog_burden_kg_per_kg, "kg CO2e/kg H2", "--cog-burden"
            )
        else:
            burden = Input.of("coking_burden", COG_BURDEN_FULL)
        parts.append(
            WttPart(
                "production",
                "coking-plant burden allocated to H2",
                share.value * burden.value,
                f"{share.value:.5f} ({method}) × {burden.value:g} kg CO2e/kg H2",
                (share, burden, *method_inputs),
            )
        )
        kwh = Input.of("purification_kwh", COG_PURIFICATION_KWH)
        parts.append(
            WttPart(
                "purification_compression",
                PART_LABELS["purification_compression"],
                kwh.value * ef.value,
                f"{kwh.value:g} kWh/kg × {ef.value:g} kg CO2/kWh ({grid})",
                (kwh, ef),
            )
        )
        feedstock, renewable = "Fossil", False
        allocation: tuple[str | None, float | None] = (method, share.value)
        included = (
            "by-product H2 from coke-oven gas: the coking plant's burden allocated to the H2 "
            f"({ALLOCATION_LABELS[method]}, share {share.value:.4f}) + PSA purification and "
            "compression on grid electricity"
        )
    elif pathway == "grid-electrolysis":
        allocation = (None, None)
        kwh = Input.of("electrolysis_kwh", ELECTROLYSIS_KWH)
        parts.append(
            WttPart(
                "production",
                "electrolysis electricity",
                kwh.value * ef.value,
                f"{kwh.value:g} kWh/kg × {ef.value:g} kg CO2/kWh ({grid})",
                (kwh, ef),
            )
        )
        comp = Input.of("compression_kwh", ELECTROLYSIS_COMPRESSION_KWH)
        parts.append(
            WttPart(
                "purification_compression",
                PART_LABELS["purification_compression"],
                comp.value * ef.value,
                f"{comp.value:g} kWh/kg × {ef.value:g} kg CO2/kWh ({grid})",
                (comp, ef),
            )
        )
        feedstock, renewable = "Grid", False
        included = (
            "electrolyser and compressor electricity from the grid (CO2-only grid factor); "
            "electrolyser manufacture and water excluded"
        )
    else:  # wind-pv-electrolysis
        allocation = (None, None)
        kwh = Input.of("electrolysis_kwh", ELECTROLYSIS_KWH)
        re = Input.of("renewable_factor", WIND_PV_OPERATIONAL)
        parts.append(
            WttPart(
                "production",
                "electrolysis electricity (dedicated wind/PV)",
                kwh.value * re.value,
                f"{kwh.value:g} kWh/kg × {re.value:g} kg CO2e/kWh",
                (kwh, re),
            )
        )
        comp = Input.of("compression_kwh", ELECTROLYSIS_COMPRESSION_KWH)
        parts.append(
            WttPart(
                "purification_compression",
                PART_LABELS["purification_compression"],
                comp.value * re.value,
                f"{comp.value:g} kWh/kg × {re.value:g} kg CO2e/kWh (same wind/PV supply)",
                (comp, re),
            )
        )
        feedstock, renewable = "Renewable electricity", True
        included = (
            "operational emissions only: dedicated wind/PV electricity counted as 0 at the "
            "plant; wind/PV construction (≈0.011–0.048 kg CO2e/kWh life-cycle) excluded; "
            "delivery and station electricity still counted"
        )
    parts.append(_delivery_part(config))
    parts.append(_station_part(config, grid))
    c2g = float(sum(p.value for p in parts if p.part in CRADLE_TO_GATE))
    return HydrogenWtt(
        name=name if "@" in name else f"{pathway}@{grid}",
        pathway=pathway,
        description=PATHWAYS[pathway],
        parts=tuple(parts),
        tcab_class=tcab_class(c2g, renewable=renewable),
        feedstock=feedstock,
        included=included,
        grid=grid,
        allocation=allocation[0],
        allocation_share=allocation[1],
    )


def user_wtt(value: float) -> HydrogenWtt:
    """A single user-given WTT factor (``--h2-wtt-kg-per-kg``); not classified."""
    if not value >= 0.0 or value == float("inf"):
        raise EmissionsConfigError(
            f"--h2-wtt-kg-per-kg must be a finite number ≥ 0, got {value!r}."
        )
    inp = Input.user("wtt", value, "kg CO2e/kg H2", "--h2-wtt-kg-per-kg")
    part = WttPart("user", PART_LABELS["user"], float(value), f"{value:g} kg CO2e/kg H2", (inp,))
    return HydrogenWtt(
        name="user",
        pathway="user",
        description="user-supplied well-to-tank factor",
        parts=(part,),
        tcab_class="unclassified",
        feedstock=None,
        included="as supplied by the user; boundary unknown to h2lane",
    )


def list_pathways(config: WttConfig | None = None) -> list[HydrogenWtt]:
    """Every built-in pathway with the configured grid."""
    return [hydrogen_wtt(p, config) for p in PATHWAYS]


_DIESEL_LOADED_IN = Input.of("diesel_loaded", DIESEL_LOADED)
_DIESEL_EMPTY_IN = Input.of("diesel_empty", DIESEL_EMPTY)
_DIESEL_TTW_IN = Input.of("diesel_ttw", DIESEL_TTW)
_DIESEL_WTW_IN = Input.of("diesel_wtw", DIESEL_WTW, LICENCE_OGL)


@dataclass(frozen=True, slots=True)
class DieselFactors:
    """Diesel truck baseline: consumption loaded/empty and emission factors per litre."""

    loaded: Input = _DIESEL_LOADED_IN
    empty: Input = _DIESEL_EMPTY_IN
    ttw: Input = _DIESEL_TTW_IN
    wtw: Input = _DIESEL_WTW_IN

    @classmethod
    def build(
        cls,
        *,
        l_per_100km: float | None = None,
        empty_l_per_100km: float | None = None,
        wtw_kg_per_l: float | None = None,
        ttw_kg_per_l: float | None = None,
    ) -> DieselFactors:
        """Defaults, with any of them overridden by the user."""
        out = cls()
        for value, attr, flag, unit in (
            (l_per_100km, "loaded", "--diesel-l-per-100km", "L/100 km"),
            (empty_l_per_100km, "empty", "--diesel-empty-l-per-100km", "L/100 km"),
            (wtw_kg_per_l, "wtw", "--diesel-wtw-kg-per-l", "kg CO2e/L"),
            (ttw_kg_per_l, "ttw", "ttw_kg_per_l", "kg CO2/L"),
        ):
            if value is None:
                continue
            if not (0.0 <= value < float("inf")):
                raise EmissionsConfigError(f"{flag} must be a finite number ≥ 0, got {value!r}.")
            out = replace(out, **{attr: Input.user(f"diesel_{attr}", value, unit, flag)})
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "loaded_l_per_100km": self.loaded.as_dict(),
            "empty_l_per_100km": self.empty.as_dict(),
            "ttw_kg_per_l": self.ttw.as_dict(),
            "wtw_kg_per_l": self.wtw.as_dict(),
        }


# ---------------------------------------------------------------------------
# The factor table: every default row, versioned and checksummed
# ---------------------------------------------------------------------------
FACTOR_TABLE_VERSION = "2026.12-1"
"""Bumped whenever a default row changes (value, unit, source, year or status)."""


def factor_rows() -> dict[str, Parameter]:
    """Every default data row the accounting may read, by row id."""
    rows: dict[str, Parameter] = {f"grid.{k}": v for k, v in GRID_FACTORS.items()}
    rows.update(
        {
            "grid.wind-pv-operational": WIND_PV_OPERATIONAL,
            "electrolysis.kwh_per_kg": ELECTROLYSIS_KWH,
            "electrolysis.compression_kwh_per_kg": ELECTROLYSIS_COMPRESSION_KWH,
            "cog.purification_kwh_per_kg": COG_PURIFICATION_KWH,
            "delivery.trailer_diesel": TRAILER_DIESEL,
            "delivery.one_way_km": TRAILER_ONE_WAY_KM,
            "delivery.trailer_payload": TUBE_TRAILER_PAYLOAD_20MPA,
            "station.kwh_per_kg": STATION_KWH,
            "tcab.low_carbon": TCAB_LOW_CARBON,
            "tcab.clean": TCAB_CLEAN,
            "diesel.loaded": DIESEL_LOADED,
            "diesel.empty": DIESEL_EMPTY,
            "diesel.ttw": DIESEL_TTW,
            "diesel.wtw": DIESEL_WTW,
        }
    )
    rows.update({f"allocation.{k}": v for k, v in _allocation.all_rows().items()})
    return rows


def factor_table() -> dict[str, Any]:
    """The factor table as JSON: version, SHA-256 of its canonical text and every row."""
    rows = [{"id": k, **v.as_dict()} for k, v in sorted(factor_rows().items())]
    canonical = json.dumps(rows, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return {
        "version": FACTOR_TABLE_VERSION,
        "sha256": hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        "checksum_of": "SHA-256 of the rows as compact JSON, keys sorted, UTF-8",
        "rows": rows,
    }
