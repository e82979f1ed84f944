"""Shared request helpers: the engine, bodies read with a size cap, paging."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from fastapi import Request
from sqlalchemy.engine import Engine

from h2lane.ops.api.errors import ApiError

MAX_PAGE = 1000
T = TypeVar("T")


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


_GRAPH_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="h2lane-graph")


async def in_graph_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn`` on the one thread that uses the road graph (its CCH queries are bound to
    the thread that made them), without blocking the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_GRAPH_THREAD, functools.partial(fn, *args))


_THREAD_GRAPHS: dict[str, Any] = {}


def graph_for(spec: str) -> Any:
    """The road graph ``spec``, loaded on (and only for) the graph thread; call it there."""
    from h2lane.roads.graph import RoadGraph

    if spec not in _THREAD_GRAPHS:
        graph = RoadGraph.load(spec)
        graph.engine  # noqa: B018 - build the hierarchy on this thread
        _THREAD_GRAPHS[spec] = graph
    return _THREAD_GRAPHS[spec]
