"""Typed requests: field names are the CLI's long options with ``-`` → ``_``.

The service takes the same keys in JSON (``{"kind": "trip", "request": {"from": "Xiaoyi",
"to": "Tianjin Port"}}``); validation errors become one :class:`~h2lane.errors.OptionError`
naming the option (``--tank-kg``) and, in ``field``, the request key (``tank_kg``).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from h2lane.errors import OptionError

R = TypeVar("R", bound="Request")


class RequestError(OptionError):
    """A request field (CLI option) has a value that cannot be used."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message, {"field": field} if field else None)
        self.field = field


class Request(BaseModel):
    """Base of every use-case request: strict, finite numbers, no unknown keys."""

    model_config = ConfigDict(
        extra="forbid", allow_inf_nan=False, populate_by_name=True, frozen=True
    )

    @classmethod
    def build(cls: type[R], **values: Any) -> R:
        """Validate; the first problem becomes one sentence naming the option."""
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise request_error(cls, exc) from None


def option_name(model: type[BaseModel], key: str) -> str:
    """``tank_kg`` → ``--tank-kg`` (aliases such as ``from`` respected)."""
    info = model.model_fields.get(key)
    name = (info.alias if info is not None and info.alias else key).replace("_", "-")
    return f"--{name}"


def request_error(model: type[BaseModel], exc: ValidationError) -> RequestError:
    errors = exc.errors()
    # an unknown key first: a misspelt option also shows up as a required one missing
    first = next((e for e in errors if e.get("type") == "extra_forbidden"), errors[0])
    loc = [str(p) for p in first.get("loc", ()) if not isinstance(p, int)]
    key = loc[0] if loc else ""
    if key and key not in model.model_fields:
        key = next((k for k, f in model.model_fields.items() if f.alias == key), key)
    kind = first.get("type", "")
    if kind == "extra_forbidden":
        return RequestError(f"unknown option {option_name(model, key)}", key)
    if kind == "missing":
        return RequestError(f"{option_name(model, key)} is required", key)
    msg = str(first.get("msg", "is invalid"))
    msg = msg[0].lower() + msg[1:]
    got = first.get("input")
    return RequestError(f"{option_name(model, key)}: {msg} (got {got!r})", key)
