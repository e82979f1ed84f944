"""Errors of the emissions package (each ``str()`` is one sentence).

They fit the project's error model (:mod:`h2lane.errors`): a bad ledger, hubs file or plan
is an :class:`~h2lane.errors.InputFileError`, a bad option an
:class:`~h2lane.errors.OptionError`, an output that cannot be written an
:class:`~h2lane.errors.OutputPathError` (all exit 2), and an export that fails its own
schema a :class:`~h2lane.errors.VerificationError` (exit 4: a bug, not the user's fault).
"""

from __future__ import annotations

from h2lane.errors import InputFileError, OptionError, OutputPathError, VerificationError


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
    """A plan document cannot be read as shipments and legs."""


class EmissionsConfigError(OptionError):
    """An option (pathway, grid, factor, output path combination) is unknown or out of range."""


class ExportError(OutputPathError):
    """A report or export cannot be written (a missing directory, a file-system error)."""


class ExportSchemaError(VerificationError):
    """An export h2lane built fails its bundled schema (a bug in h2lane)."""
