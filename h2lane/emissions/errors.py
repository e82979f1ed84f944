"""Errors of the emissions package (each ``str()`` is one sentence)."""

from __future__ import annotations

from h2lane.errors import H2laneError, InputFileError


class LedgerError(InputFileError):
    """An actuals ledger CSV (or a hubs CSV) has a missing column or a bad value.

    Rows count data rows from 1 after the header; the message also names the file line.
    """

    def __init__(self, file: str, problem: str, **kw: object) -> None:
        row = kw.get("row")
        if row is not None and kw.get("line") is None:
            kw["line"] = int(row) + 1  # type: ignore[call-overload]
        super().__init__(file, problem, **kw)  # type: ignore[arg-type]


class PlanError(InputFileError):
    """A trip or dispatch plan JSON cannot be read as transport legs."""


class EmissionsConfigError(H2laneError):
    """An option (pathway, grid, factor) is unknown or out of range."""


class ExportError(H2laneError):
    """A report or export cannot be written, or fails its schema."""
