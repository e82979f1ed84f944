"""Shared output for commands: JSON for machines, Rich for people, one-line errors."""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any, NoReturn

from rich.console import Console

from h2lane.errors import H2laneError
from h2lane.timeutil import iso

console = Console()
err_console = Console(stderr=True)


def jsonable(obj: Any) -> Any:
    """Plain JSON values: numpy → Python, datetimes → ISO with offset, NaN/±inf → null."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str | int):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, datetime):
        return iso(obj)
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, Enum):
        return jsonable(obj.value)
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "model_dump"):
        return jsonable(obj.model_dump(mode="json"))
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return jsonable(dataclasses.asdict(obj))
    if hasattr(obj, "tolist"):
        return jsonable(obj.tolist())
    if hasattr(obj, "item"):
        return jsonable(obj.item())
    return str(obj)


def dumps(obj: Any) -> str:
    """Serialise ``obj`` as pretty, strictly valid JSON."""
    return json.dumps(jsonable(obj), indent=2, ensure_ascii=False, allow_nan=False)


def print_json(obj: Any) -> None:
    sys.stdout.write(dumps(obj) + "\n")


def error_payload(error: H2laneError) -> dict[str, Any]:
    payload: dict[str, Any] = {"error": type(error).__name__, "message": str(error)}
    if error.details:
        payload["details"] = error.details
    return payload


def fail(error: H2laneError, *, as_json: bool = False) -> NoReturn:
    """Report ``error`` as one sentence (or a JSON object) and exit with its code."""
    if as_json:
        print_json(error_payload(error))
    else:
        err_console.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
    raise SystemExit(error.exit_code)
