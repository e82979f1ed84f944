"""One error model for the library, the CLI and the service.

Every exception's ``str()`` is one sentence a user can act on. Three families:

* :class:`InputError` — the input is wrong (a file, a row, a field, an option): exit 2, HTTP 422;
* :class:`InfeasibleError` — the input is valid but no plan satisfies it; the message says
  why: exit 3, HTTP 409;
* :class:`VerificationError` — an answer failed the independent check (a bug, not the
  user's fault): exit 4, HTTP 500.

The CLI prints the sentence and exits with ``exit_code``; the service answers with
``http_status``. Nothing else reaches a user as a traceback.
"""

from __future__ import annotations

from typing import Any


class H2laneError(Exception):
    """Base class of every error h2lane reports to a user."""

    exit_code = 2
    http_status = 422

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        message = message.strip()
        if message and message[-1] not in ".!?":
            message += "."  # every message is one whole sentence
        super().__init__(message)
        self.details: dict[str, Any] = details or {}


class InputError(H2laneError):
    """Input that cannot be used: a file, row, field or option is wrong."""


class InfeasibleError(H2laneError):
    """Valid input for which no plan exists; ``details`` carries the machine-readable reason."""

    exit_code = 3
    http_status = 409


class VerificationError(H2laneError):
    """An answer was rejected by the independent checker."""

    exit_code = 4
    http_status = 500


class InternalError(VerificationError):
    """A bug in h2lane caught at the edge: reported in one sentence, exit 4, HTTP 500."""


class InputFileError(InputError):
    """A file the user gave is missing, unreadable or malformed.

    Parameters
    ----------
    file
        Path of the file as the user named it.
    problem
        What is wrong, phrased to follow the location.
    row
        1-based data row (CSV, the header not counted) or list position (YAML).
    line
        1-based line of the file, shown beside the row (for CSV: row + 1).
    field
        Field (column or key) the problem is in, if any.
    section
        Section of a multi-part file (e.g. ``stations`` in a scenario YAML).
    """

    def __init__(
        self,
        file: str,
        problem: str,
        *,
        row: int | None = None,
        field: str | None = None,
        section: str | None = None,
        line: int | None = None,
    ) -> None:
        self.file, self.problem, self.row, self.field, self.section = (
            str(file),
            problem,
            row,
            field,
            section,
        )
        self.line = line
        where = [self.file]
        if section:
            where.append(f"section '{section}'")
        if row is not None and line is not None:
            where.append(f"row {row} (line {line})")
        elif row is not None:
            where.append(f"row {row}")
        elif line is not None:
            where.append(f"line {line}")
        if field:
            where.append(f"field '{field}'")
        super().__init__(f"{', '.join(where)}: {problem.rstrip('.')}.")


class ScenarioError(InputFileError):
    """A scenario file (YAML or CSV) fails validation."""


class OptionError(InputError):
    """A command-line option (or request field) has a value that cannot be used."""


class OutputPathError(InputError):
    """An output path (``--map``, ``--report``, …) cannot be written."""


class RoadNetworkError(InputError):
    """A road graph cannot be loaded or a point cannot be placed on it."""


class PlaceNotFoundError(InputError):
    """A place name is neither in the scenario nor a ``lat,lon`` pair."""


class InfeasibleTripError(InfeasibleError):
    """No refuelling plan reaches the destination; ``details`` names the stretch and stations."""


class InfeasiblePlanError(InfeasibleError):
    """A fleet plan cannot serve every order or customer; the message says which and why."""


class ResourceLimitError(InfeasibleError):
    """A computation would exceed a stated limit (memory, labels); the message names it."""


class KernelBuildError(H2laneError):
    """The kernels could not be compiled ahead of time (no C compiler or Python headers, or
    no cache directory to keep them in); h2lane still works on its JIT kernels."""
