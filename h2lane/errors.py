"""One small exception class per failure.

Every exception's ``str()`` is one sentence a user can act on; the CLI prints it
and exits non-zero, never a traceback.
"""

from __future__ import annotations

from typing import Any


class H2laneError(Exception):
    """Base class of every error h2lane reports to a user."""

    exit_code = 2


class InputFileError(H2laneError):
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
        super().__init__(f"{', '.join(where)}: {problem}.")


class ScenarioError(InputFileError):
    """A scenario file (YAML or CSV) fails validation."""


class RoadNetworkError(H2laneError):
    """A road graph cannot be loaded or a point cannot be placed on it."""


class PlaceNotFoundError(H2laneError):
    """A place name is neither in the scenario nor a ``lat,lon`` pair."""


class InfeasibleTripError(H2laneError):
    """No refuelling plan reaches the destination.

    ``details`` carries the machine-readable reason (the stretch that is out of
    range, nearest stations and their distances) for ``--json`` output.
    """

    exit_code = 3

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.details = details or {}


class OptionError(H2laneError):
    """A command-line option has a value that cannot be used."""


class InfeasiblePlanError(H2laneError):
    """A fleet plan cannot serve every order or customer; the message says which and why."""

    exit_code = 3

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.details = details or {}
