"""ISO 14083 / GLEC zero-carbon accounting for hydrogen truck logistics.

Typical use::

    from h2lane.emissions import account, read_ledger, read_plan, to_json

    acc = account(read_ledger("ledger.csv"), toc_by="truck")
    doc = to_json(acc)

    acc = account(read_plan("dispatch.json"))  # a plan document: one shipment per order

See ``docs/emissions.md`` for the method, the factors and the command line.
"""

from h2lane.emissions.accounting import (
    Accounting,
    DistanceOracle,
    GroupTable,
    HubOperation,
    account,
    read_hubs,
)
from h2lane.emissions.errors import (
    EmissionsConfigError,
    ExportError,
    ExportSchemaError,
    LedgerError,
    PlanError,
)
from h2lane.emissions.factors import (
    GRID_FACTORS,
    PATHWAYS,
    DieselFactors,
    HydrogenWtt,
    Input,
    WttConfig,
    WttPart,
    hydrogen_wtt,
    list_pathways,
    tcab_class,
    user_wtt,
)
from h2lane.emissions.ileap import write_ileap
from h2lane.emissions.ledger import Ledger, ledger_from_records, read_ledger
from h2lane.emissions.plans import plan_ledger, read_plan
from h2lane.emissions.report import render_html, write_html
from h2lane.emissions.results import to_json, write_outputs, write_shipments_csv

__all__ = [
    "GRID_FACTORS",
    "PATHWAYS",
    "Accounting",
    "DieselFactors",
    "DistanceOracle",
    "EmissionsConfigError",
    "ExportError",
    "ExportSchemaError",
    "GroupTable",
    "HubOperation",
    "HydrogenWtt",
    "Input",
    "Ledger",
    "LedgerError",
    "PlanError",
    "WttConfig",
    "WttPart",
    "account",
    "hydrogen_wtt",
    "ledger_from_records",
    "list_pathways",
    "plan_ledger",
    "read_hubs",
    "read_ledger",
    "read_plan",
    "render_html",
    "tcab_class",
    "to_json",
    "user_wtt",
    "write_html",
    "write_ileap",
    "write_outputs",
    "write_shipments_csv",
]
