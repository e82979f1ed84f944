"""Use case: ISO 14083 / GLEC emissions of an actuals ledger or a plan document.

:func:`account_emissions` takes an :class:`EmissionsRequest` (its fields are the long options
of ``h2lane emissions`` with ``-`` → ``_``), checks every option and output path before any
work, reads the ledger (or the plan: trip, dispatch or vrp), accounts it, writes the
requested files and returns an :class:`EmissionsResult`. It never prints; progress goes
through ``progress(task, done, total)``; every problem is an :mod:`h2lane.errors` exception
whose ``str()`` is one sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ConfigDict, Field

from h2lane.app.context import ProgressFn
from h2lane.app.outputs import check_output_dir, check_output_file
from h2lane.app.requests import Request
from h2lane.emissions.accounting import TOC_BY, Accounting, DistanceOracle, account, read_hubs
from h2lane.emissions.allocation import check_method
from h2lane.emissions.errors import EmissionsConfigError
from h2lane.emissions.factors import (
    DEFAULT_GRID,
    GRID_FACTORS,
    DieselFactors,
    HydrogenWtt,
    WttConfig,
    hydrogen_wtt,
    list_pathways,
    user_wtt,
)
from h2lane.emissions.ledger import Ledger, read_ledger
from h2lane.emissions.plans import read_plan
from h2lane.emissions.plausibility import PlausibilityLimits
from h2lane.emissions.quality import input_record, provenance
from h2lane.emissions.results import to_json, write_outputs
from h2lane.errors import OutputPathError

OracleProvider = Callable[[], DistanceOracle | None]


class EmissionsRequest(Request):
    """What to account and what to write (the options of ``h2lane emissions``)."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        populate_by_name=True,
        frozen=True,
        arbitrary_types_allowed=True,
    )

    ledger: Path | None = None
    plan: Path | None = None
    toc_by: str = "all"
    h2_pathway: str | None = None
    h2_wtt_kg_per_kg: float | None = Field(default=None, ge=0, le=100, description="kg CO2e/kg H2")
    grid: str = DEFAULT_GRID
    allocation: str | None = Field(
        default=None, description="cut-off, mass, energy (default) or economic"
    )
    cog_allocation: float | None = Field(default=None, ge=0, le=1, description="share")
    cog_burden: float | None = Field(default=None, ge=0, le=200, description="kg CO2e/kg H2")
    delivery_km: float | None = Field(default=None, ge=0, le=5000, description="km")
    diesel_l_per_100km: float | None = Field(default=None, gt=0, le=200, description="L/100 km")
    diesel_empty_l_per_100km: float | None = Field(
        default=None, gt=0, le=200, description="L/100 km"
    )
    diesel_wtw_kg_per_l: float | None = Field(default=None, gt=0, le=10, description="kg CO2e/L")
    hubs: Path | None = None
    h2_band: str | None = Field(default=None, description="LOW:HIGH[,TYPE=LOW:HIGH] kg/100 km")
    max_payload_t: float | None = Field(default=None, gt=0, le=1000, description="t")
    report: Path | None = None
    csv: Path | None = None
    ileap: Path | None = None


@dataclass
class EmissionsResult:
    """The accounting, the files written and the iLEAP manifest (None without ``--ileap``)."""

    request: EmissionsRequest
    accounting: Accounting
    outputs: dict[str, str]
    manifest: dict[str, Any] | None

    @property
    def warnings(self) -> list[str]:
        return list(self.accounting.warnings)

    def document(self, *, shipments_limit: int | None = None) -> dict[str, Any]:
        """The ``--json`` document (``shipments_limit`` None lists every shipment)."""
        doc = to_json(self.accounting, shipments_limit=shipments_limit)
        doc["outputs"] = dict(self.outputs)
        if self.manifest is not None:
            doc["ileap"] = {k: self.manifest[k] for k in ("counts", "validation", "left_out")}
        return doc


class LazyOracle:
    """A distance oracle whose road network is loaded at the first question, at most once.

    ``provider()`` returns the real oracle (or None when no road network is available);
    it is never called when every shipment has its SFD already.
    """

    def __init__(self, provider: OracleProvider, progress: ProgressFn | None = None) -> None:
        self._provider = provider
        self._progress = progress
        self._oracle: DistanceOracle | None = None
        self._loaded = False

    def resolve(self) -> DistanceOracle | None:
        """Load the road network now (once); None if there is none."""
        if not self._loaded:
            if self._progress is not None:
                self._progress("loading road network", 0.0, None)
            self._oracle = self._provider()
            self._loaded = True
            if self._progress is not None:
                self._progress("loading road network", 1.0, 1.0)
        return self._oracle

    def __call__(self, origin: str, destination: str) -> float | None:
        oracle = self.resolve()
        return None if oracle is None else oracle(origin, destination)


def needs_road_network(ledger: Ledger) -> bool:
    """True if a shipment row has origin and destination but no ``sfd_km``."""
    need = (
        np.isnan(ledger.sfd_km)
        & (ledger.origin >= 0)
        & (ledger.destination >= 0)
        & (ledger.tonnes > 0)
        & (ledger.shipment >= 0)
    )
    return bool(need.any())


def wtt_config(request: EmissionsRequest) -> WttConfig:
    """The hydrogen-factor options of ``request``, checked."""
    for option, value in (
        ("--delivery-km", request.delivery_km),
        ("--cog-burden", request.cog_burden),
    ):
        if value is not None and not 0.0 <= value < float("inf"):
            raise EmissionsConfigError(f"{option} must be ≥ 0, got {value:g}.")
    if request.allocation is not None:
        check_method(request.allocation)
        if request.cog_allocation is not None:
            raise EmissionsConfigError("give --allocation or --cog-allocation, not both.")
    return WttConfig(
        grid=request.grid,
        allocation=request.allocation,
        cog_allocation=request.cog_allocation,
        cog_burden_kg_per_kg=request.cog_burden,
        delivery_one_way_km=request.delivery_km,
    )


def pathways_document(request: EmissionsRequest) -> dict[str, Any]:
    """The built-in pathways and grid factors (``--list-pathways``)."""
    config = wtt_config(request)
    return {
        "kind": "h2lane.emissions-pathways",
        "grid": config.grid,
        "grids": {k: p.as_dict() for k, p in GRID_FACTORS.items()},
        "pathways": [p.as_dict() for p in list_pathways(config)],
    }


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def check_outputs(request: EmissionsRequest) -> None:
    """Every output path is writable and none is an input or another output."""
    check_output_file(request.report, "--report")
    check_output_file(request.csv, "--csv")
    check_output_dir(request.ileap, "--ileap", create=False)
    inputs = [(o, p) for o, p in (("--ledger", request.ledger), ("--plan", request.plan),
                                  ("--hubs", request.hubs)) if p is not None]  # fmt: skip
    outputs = [(o, p) for o, p in (("--report", request.report), ("--csv", request.csv))
               if p is not None]  # fmt: skip
    for out_opt, out in outputs:
        for in_opt, inp in inputs:
            if _same_file(out, inp):
                raise OutputPathError(
                    f"{out_opt} {out} is the {in_opt} file; writing it would destroy the input."
                )
    if len(outputs) == 2 and _same_file(outputs[0][1], outputs[1][1]):
        raise OutputPathError(f"--report and --csv are the same file {outputs[0][1]}.")


def _options(request: EmissionsRequest) -> dict[str, Any]:
    """The options that shape the numbers, as given (paths only by file name)."""
    skip = {"ledger", "plan", "hubs", "report", "csv", "ileap"}
    out: dict[str, Any] = {}
    for name in type(request).model_fields:
        if name in skip:
            continue
        value = getattr(request, name)
        if value is not None:
            out[name] = value
    return out


def account_emissions(
    request: EmissionsRequest,
    distance_oracle: DistanceOracle | None = None,
    progress: ProgressFn | None = None,
    generated_at: datetime | None = None,
) -> EmissionsResult:
    """Account ``request.ledger`` or ``request.plan`` and write the requested files.

    Parameters
    ----------
    request
        The options; exactly one of ``ledger`` and ``plan``.
    distance_oracle
        Road distance in km between two places (names or ``"lat,lon"``), None if unknown;
        asked only for shipments without an SFD (wrap an expensive one in
        :class:`LazyOracle`). Without it the SFD is the distance driven with the freight.
    progress
        ``progress(task, done, total)`` at each step.
    generated_at
        Time stamped in the provenance (default now).
    """

    def step(task: str, done: float) -> None:
        if progress is not None:
            progress(task, done, 5.0)

    config = wtt_config(request)
    if (request.ledger is None) == (request.plan is None):
        raise EmissionsConfigError("give exactly one of --ledger FILE.csv or --plan PLAN.json.")
    if request.toc_by not in TOC_BY:
        raise EmissionsConfigError(
            f"--toc-by must be one of {', '.join(TOC_BY)}, got '{request.toc_by}'."
        )
    if request.h2_pathway is not None and request.h2_wtt_kg_per_kg is not None:
        raise EmissionsConfigError("give --h2-pathway or --h2-wtt-kg-per-kg, not both.")
    default: HydrogenWtt = (
        user_wtt(request.h2_wtt_kg_per_kg)
        if request.h2_wtt_kg_per_kg is not None
        else hydrogen_wtt(request.h2_pathway or "cog-psa", config)
    )
    diesel = DieselFactors.build(
        l_per_100km=request.diesel_l_per_100km,
        empty_l_per_100km=request.diesel_empty_l_per_100km,
        wtw_kg_per_l=request.diesel_wtw_kg_per_l,
    )
    checks = PlausibilityLimits.parse(request.h2_band, request.max_payload_t)
    check_outputs(request)
    step("reading input", 0.0)
    if request.ledger is not None:
        legs = read_ledger(request.ledger)
    else:
        assert request.plan is not None  # exactly one of them, checked above
        legs = read_plan(request.plan)
    hub_ops = read_hubs(request.hubs) if request.hubs is not None else None
    step("accounting", 1.0)
    if isinstance(distance_oracle, LazyOracle):
        # load the road network only when a shipment needs it, and say "none" if there is none
        distance_oracle = distance_oracle.resolve() if needs_road_network(legs) else None
    acc = account(
        legs,
        toc_by=request.toc_by,
        h2=default,
        config=config,
        diesel=diesel,
        oracle=distance_oracle,
        hubs=hub_ops,
        checks=checks,
    )
    inputs = [
        input_record(option, path)
        for option, path in (
            ("--ledger", request.ledger),
            ("--plan", request.plan),
            ("--hubs", request.hubs),
        )
        if path is not None
    ]
    acc.provenance = provenance(acc, inputs, options=_options(request), generated_at=generated_at)
    step("writing outputs", 4.0)
    outputs, manifest = write_outputs(
        acc, csv=request.csv, ileap=request.ileap, report=request.report
    )
    step("done", 5.0)
    return EmissionsResult(request, acc, outputs, manifest)
