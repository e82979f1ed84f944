"""Shared request helpers: the engine, bodies read with a size cap, paging."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.engine import Engine

from h2lane.ops.api.errors import ApiError

MAX_PAGE = 1000


def engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def read_body(request: Request) -> bytes:
    """The raw body, refused with 413 beyond the configured limit (checked while reading)."""
    limit: int = request.app.state.settings.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "PayloadTooLarge", f"The body is larger than {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "PayloadTooLarge", f"The body is larger than {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def text_body(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(422, "InputError", f"The {what} is not UTF-8 text.", ["body"]) from None


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()
