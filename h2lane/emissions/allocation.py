"""Allocation of the coking plant's burden to coke-oven-gas (COG) hydrogen.

A coking plant turns coal into coke and, with it, coke-oven gas, tar and crude benzol. The
hydrogen recovered from the gas by PSA is one of those co-products, so its production burden
is a *share* of the plant's: the allocation method decides how large. Every number below is a
data row (:class:`h2lane.params.Parameter`: value, unit, source, year, status) per tonne of
coke, the plant's reference output.

Methods (``--allocation``):

``cut-off``
    The hydrogen is treated as a residue: share 0, only purification and compression count.
``mass``
    Share = hydrogen mass ÷ mass of all co-products.
``energy`` (h2lane's default)
    Share = hydrogen energy (lower heating value) ÷ energy of all co-products.
``economic``
    Share = hydrogen market value ÷ market value of all co-products.

Why ``energy`` is the default: ISO 14044 §4.3.4.2 (the hierarchy ISO 14083 and GLEC v3 refer
to for fuel production) asks to allocate by a physical relationship before an economic one;
every product of a coking plant is sold as a fuel or a reductant, so energy content is the
physical quantity that reflects what the plant delivers (the EU renewable-energy directive
allocates fuel co-products by LHV for the same reason). Mass under-weights hydrogen (light,
energy-dense); economic allocation moves with coke and hydrogen prices; cut-off is only
defensible for a true waste, and coke-oven gas is a marketable fuel. The choice dominates the
result and every report shows all four (and the full-allocation bound) side by side.
"""

from __future__ import annotations

from dataclasses import dataclass

from h2lane.emissions.errors import EmissionsConfigError
from h2lane.params import Parameter

ALLOCATION_METHODS: tuple[str, ...] = ("cut-off", "mass", "energy", "economic")
DEFAULT_ALLOCATION = "energy"
ALLOCATION_LABELS = {
    "cut-off": "cut-off (by-product carries no coking burden)",
    "mass": "mass",
    "energy": "energy (lower heating value)",
    "economic": "economic (market value)",
    "share": "share given with --cog-allocation",
    "full": "full allocation (upper bound)",
}
DEFAULT_JUSTIFICATION = (
    "energy (LHV) allocation: ISO 14044 §4.3.4.2 puts a physical relationship before an "
    "economic one, and every co-product of a coking plant is a fuel or reductant, so its energy "
    "content is the physical quantity of what the plant delivers (EU RED allocates fuel "
    "co-products by LHV); mass under-weights light, energy-dense hydrogen, prices move, and a "
    "cut-off suits a waste, which coke-oven gas (a sold fuel) is not"
)

# ---------------------------------------------------------------------------
# The plant per tonne of coke (reference output)
# ---------------------------------------------------------------------------
COKE_PLANT_EMISSIONS = Parameter(
    0.5,
    "t CO2e/t coke",
    "coking plant GHG per t coke (background estimate, no source retrieved)",
    "2026",
    "K",
    "§10 gap 2: replace with the plant's LCA or certificate",
)
COG_YIELD = Parameter(430.0, "Nm3/t coke", "typical coke-oven gas yield", "2026", "K")
COG_H2_SHARE = Parameter(0.61, "-", "midpoint of COG H2 55–67 % vol", "2022", "D", "row 45")
COG_PSA_RECOVERY = Parameter(
    0.75, "-", "midpoint of PSA recovery on COG 60–90 %", "2020", "D", "row 46"
)
H2_KG_PER_NM3 = Parameter(0.08988, "kg/Nm3", "aenert.com", "2024", "V", "row 49")
H2_PER_T_COKE = Parameter(
    round(COG_YIELD.value * COG_H2_SHARE.value * COG_PSA_RECOVERY.value * H2_KG_PER_NM3.value, 4),
    "kg/t coke",
    "hydrogen recovered: 430 Nm3 COG × 0.61 H2 × 0.75 PSA recovery × 0.08988 kg/Nm3",
    "2026",
    "D",
    "inputs K/D/V as their rows",
)
COG_BURDEN_FULL = Parameter(
    round(COKE_PLANT_EMISSIONS.value * 1000.0 / H2_PER_T_COKE.value, 4),
    "kg CO2e/kg H2",
    "coking burden per kg H2 recovered at 100 % allocation: 0.5 t/t coke ÷ "
    "(430 Nm3 × 0.61 × 0.75 × 0.08988 kg/Nm3)",
    "2026",
    "D",
    "inputs mostly K; scaled by the allocation share",
)
COG_DENSITY = Parameter(
    0.45, "kg/Nm3", "typical coke-oven gas density (≈0.4–0.5 kg/Nm3)", "2026", "K",
    "engineering handbook value; replace with the plant's gas analysis",
)  # fmt: skip
COG_LHV = Parameter(
    17.5, "MJ/Nm3", "typical coke-oven gas lower heating value (≈16–19 MJ/Nm3)", "2026", "K",
    "engineering handbook value; replace with the plant's gas analysis",
)  # fmt: skip
COG_FUEL_PRICE = Parameter(
    0.6, "CNY/Nm3", "coke-oven gas sold as fuel, Shanxi (background estimate)", "2026", "K",
    "values the PSA tail gas by its energy; replace with the plant's contract price",
)  # fmt: skip
COKE_LHV = Parameter(28.5, "MJ/kg", "metallurgical coke lower heating value", "2026", "K")
COKE_PRICE = Parameter(
    2.0, "CNY/kg", "metallurgical coke, Shanxi ex-works ≈1,800–2,400 CNY/t", "2024", "K",
    "background estimate; replace with the plant's sales price",
)  # fmt: skip
H2_LHV = Parameter(119.96, "MJ/kg", "hydrogen lower heating value (physical property)", "2026", "K")
H2_PRICE_PRODUCTION = Parameter(
    35.0, "CNY/kg", "China Hydrogen Price Index, production side", "2023", "V", "row 40"
)
TAR_YIELD = Parameter(45.0, "kg/t coke", "coal tar, ≈3–4 % of coal charged", "2026", "K")
TAR_LHV = Parameter(37.0, "MJ/kg", "coal tar lower heating value", "2026", "K")
TAR_PRICE = Parameter(3.5, "CNY/kg", "coal tar ≈3,000–4,000 CNY/t (background)", "2024", "K")
BENZOL_YIELD = Parameter(13.0, "kg/t coke", "crude benzol, ≈1 % of coal charged", "2026", "K")
BENZOL_LHV = Parameter(40.0, "MJ/kg", "crude benzol lower heating value", "2026", "K")
BENZOL_PRICE = Parameter(5.5, "CNY/kg", "crude benzol ≈5,000–6,000 CNY/t (background)", "2024", "K")
COKE_REFERENCE = Parameter(1000.0, "kg/t coke", "reference output: one tonne of coke", "2026", "D")

_COG_MASS = COG_YIELD.value * COG_DENSITY.value
_TAIL_MASS = _COG_MASS - H2_PER_T_COKE.value
_TAIL_ENERGY = COG_YIELD.value * COG_LHV.value - H2_PER_T_COKE.value * H2_LHV.value
TAIL_GAS_MASS = Parameter(
    round(_TAIL_MASS, 4),
    "kg/t coke",
    "PSA tail gas and unrecovered COG: 430 Nm3 × 0.45 kg/Nm3 − hydrogen recovered",
    "2026",
    "D",
)
TAIL_GAS_LHV = Parameter(
    round(_TAIL_ENERGY / _TAIL_MASS, 4),
    "MJ/kg",
    "(430 Nm3 × 17.5 MJ/Nm3 − hydrogen recovered × 119.96 MJ/kg) ÷ tail-gas mass",
    "2026",
    "D",
)
TAIL_GAS_PRICE = Parameter(
    round(COG_FUEL_PRICE.value / COG_LHV.value * _TAIL_ENERGY / _TAIL_MASS, 4),
    "CNY/kg",
    "tail gas valued as COG fuel by energy: 0.6 CNY/Nm3 ÷ 17.5 MJ/Nm3 × tail-gas LHV",
    "2026",
    "D",
)


@dataclass(frozen=True, slots=True)
class CoProduct:
    """One product of the coking plant per tonne of coke: amount, energy and value per kg."""

    name: str
    amount: Parameter
    lhv: Parameter
    price: Parameter

    def basis(self, method: str) -> float:
        """The allocation quantity of this product per tonne of coke (kg, MJ or CNY)."""
        if method == "mass":
            return self.amount.value
        if method == "energy":
            return self.amount.value * self.lhv.value
        if method == "economic":
            return self.amount.value * self.price.value
        raise EmissionsConfigError(f"no allocation basis for method '{method}'.")


CO_PRODUCTS: tuple[CoProduct, ...] = (
    CoProduct("coke", COKE_REFERENCE, COKE_LHV, COKE_PRICE),
    CoProduct("hydrogen", H2_PER_T_COKE, H2_LHV, H2_PRICE_PRODUCTION),
    CoProduct("tail_gas", TAIL_GAS_MASS, TAIL_GAS_LHV, TAIL_GAS_PRICE),
    CoProduct("tar", TAR_YIELD, TAR_LHV, TAR_PRICE),
    CoProduct("crude_benzol", BENZOL_YIELD, BENZOL_LHV, BENZOL_PRICE),
)
BASIS_UNITS = {"mass": "kg", "energy": "MJ", "economic": "CNY"}


def check_method(method: str) -> str:
    """``method`` if it is one of :data:`ALLOCATION_METHODS`, else one sentence."""
    if method not in ALLOCATION_METHODS:
        raise EmissionsConfigError(
            f"--allocation must be one of {', '.join(ALLOCATION_METHODS)}, got '{method}'."
        )
    return method


def allocation_share(method: str) -> float:
    """Share (0–1) of the coking plant's burden that ``method`` gives the hydrogen."""
    check_method(method)
    if method == "cut-off":
        return 0.0
    total = sum(p.basis(method) for p in CO_PRODUCTS)
    hydrogen = next(p for p in CO_PRODUCTS if p.name == "hydrogen")
    return hydrogen.basis(method) / total


def share_formula(method: str) -> str:
    """The arithmetic of :func:`allocation_share` with the numbers, for reports."""
    if method == "cut-off":
        return "cut-off: share 0"
    unit = BASIS_UNITS[method]
    parts = " + ".join(f"{p.basis(method):,.2f}" for p in CO_PRODUCTS)
    h2 = next(p for p in CO_PRODUCTS if p.name == "hydrogen").basis(method)
    return (
        f"{method}: hydrogen {h2:,.2f} {unit} ÷ ({parts}) {unit} per t coke "
        f"= {allocation_share(method):.5f}"
    )


def method_rows(method: str) -> list[tuple[str, Parameter]]:
    """The data rows ``method`` reads (named ``product.quantity``)."""
    if method == "cut-off":
        return []
    rows: list[tuple[str, Parameter]] = []
    for p in CO_PRODUCTS:
        rows.append((f"{p.name}_per_t_coke", p.amount))
        if method == "energy":
            rows.append((f"{p.name}_lhv", p.lhv))
        elif method == "economic":
            rows.append((f"{p.name}_price", p.price))
    return rows


def all_rows() -> dict[str, Parameter]:
    """Every data row of this module by name (for the factor table)."""
    return {
        "coke_plant_emissions": COKE_PLANT_EMISSIONS,
        "cog_yield": COG_YIELD,
        "cog_h2_share": COG_H2_SHARE,
        "cog_psa_recovery": COG_PSA_RECOVERY,
        "h2_kg_per_nm3": H2_KG_PER_NM3,
        "h2_per_t_coke": H2_PER_T_COKE,
        "cog_burden_full": COG_BURDEN_FULL,
        "cog_density": COG_DENSITY,
        "cog_lhv": COG_LHV,
        "cog_fuel_price": COG_FUEL_PRICE,
        "coke_per_t_coke": COKE_REFERENCE,
        "coke_lhv": COKE_LHV,
        "coke_price": COKE_PRICE,
        "h2_lhv": H2_LHV,
        "h2_price_production": H2_PRICE_PRODUCTION,
        "tail_gas_per_t_coke": TAIL_GAS_MASS,
        "tail_gas_lhv": TAIL_GAS_LHV,
        "tail_gas_price": TAIL_GAS_PRICE,
        "tar_per_t_coke": TAR_YIELD,
        "tar_lhv": TAR_LHV,
        "tar_price": TAR_PRICE,
        "crude_benzol_per_t_coke": BENZOL_YIELD,
        "crude_benzol_lhv": BENZOL_LHV,
        "crude_benzol_price": BENZOL_PRICE,
    }
