"""Shared output for commands: JSON for machines, Rich for people, one-line errors."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

from rich.console import Console

from h2lane.errors import H2laneError

console = Console()
err_console = Console(stderr=True)


def _default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "item"):
        return obj.item()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def dumps(obj: Any) -> str:
    """Serialise ``obj`` as pretty JSON, converting numpy values."""
    return json.dumps(obj, indent=2, ensure_ascii=False, default=_default)


def print_json(obj: Any) -> None:
    sys.stdout.write(dumps(obj) + "\n")


def fail(error: H2laneError, *, as_json: bool = False) -> NoReturn:
    """Report ``error`` as one sentence (or a JSON object) and exit non-zero."""
    if as_json:
        payload: dict[str, Any] = {"error": type(error).__name__, "message": str(error)}
        details = getattr(error, "details", None)
        if details:
            payload["details"] = details
        print_json(payload)
    else:
        err_console.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
    raise SystemExit(error.exit_code)
