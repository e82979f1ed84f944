"""Error answers: every problem is JSON ``{"error", "message", "field"?}``; never a traceback.

An :class:`~h2lane.errors.InputError` is 422 with the field path (``["body", "price"]``),
an :class:`~h2lane.errors.InfeasibleError` 409 with the reason; FastAPI's own validation
errors become the same shape. Anything unexpected is logged and answered as 500 in one
sentence (a bug).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from h2lane.app.requests import RequestError
from h2lane.errors import H2laneError, InputFileError

log = logging.getLogger("h2lane.ops")


class ApiError(Exception):
    """An HTTP answer with a status, an error name and one sentence."""

    def __init__(
        self, status: int, error: str, message: str, field: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.field = status, error, message, field


class ErrorBody(BaseModel):
    """Every error answer: a name, one sentence, where in the request, and details."""

    error: str
    message: str
    field: list[str] | None = None
    details: dict[str, Any] | None = None


_MEANINGS = {
    400: "The body cannot be parsed.",
    401: "No token, or a token that is not valid.",
    403: "The token's role may not do this.",
    404: "No such record, job or run.",
    409: "A conflict: the record exists or is referenced, the plan is infeasible, the job "
    "has finished or was cancelled.",
    413: "The body is larger than H2LANE_MAX_UPLOAD_MB.",
    415: "The body's media type is not accepted here.",
    422: "The request is invalid: `field` is the path to the problem.",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text} for code, text in _MEANINGS.items()
}
"""The error answers every ``/api/v1`` operation may give, documented in the OpenAPI."""


def field_path(exc: H2laneError, prefix: tuple[str, ...] = ("body",)) -> list[str] | None:
    """Where in the request the problem is, as a path of keys."""
    given = exc.details.get("field") if exc.details else None
    if isinstance(given, list):
        return [str(p) for p in given]
    if isinstance(exc, RequestError) and exc.field:
        return [*prefix, "request", exc.field]
    if isinstance(exc, InputFileError) and exc.field:
        return [*prefix, exc.field]
    return None


def error_body(error: str, message: str, field: list[str] | None = None, **extra: Any) -> dict:
    body: dict[str, Any] = {"error": error, "message": message}
    if field is not None:
        body["field"] = field
    body.update(extra)
    return body


def h2lane_error_response(exc: H2laneError) -> JSONResponse:
    extra: dict[str, Any] = {}
    details = {k: v for k, v in exc.details.items() if k != "field"}
    if details:
        extra["details"] = details
    return JSONResponse(
        error_body(type(exc).__name__, str(exc), field_path(exc), **extra),
        status_code=exc.http_status,
    )


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.error, exc.message, exc.field), status_code=exc.status)

    @app.exception_handler(H2laneError)
    async def _h2lane(_: Request, exc: H2laneError) -> JSONResponse:
        return h2lane_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", ())]
        msg = str(first.get("msg", "is invalid"))
        where = ".".join(loc[1:]) or (loc[0] if loc else "request")
        message = f"{where}: {msg[0].lower() + msg[1:]}." if msg else f"{where} is invalid."
        return JSONResponse(error_body("ValidationError", message, loc), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        names = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
                 413: "PayloadTooLarge", 415: "UnsupportedMediaType"}  # fmt: skip
        message = str(exc.detail)
        if message and message[-1] not in ".!?":
            message += "."
        headers = getattr(exc, "headers", None)
        return JSONResponse(
            error_body(names.get(exc.status_code, "HTTPError"), message),
            status_code=exc.status_code,
            headers=headers,
        )

    @app.exception_handler(Exception)
    async def _bug(_: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error")
        return JSONResponse(
            error_body(
                "InternalError",
                f"Internal error {type(exc).__name__} (a bug in h2lane; the server log has it).",
            ),
            status_code=500,
        )
