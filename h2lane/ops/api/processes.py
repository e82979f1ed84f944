"""``h2lane serve --processes N``: several server processes on one listening socket.

One process, the **primary** (the one ``h2lane serve`` started), owns everything that lives
in memory: live operations (:class:`~h2lane.ops.live.LiveOps` — the alarm engine's memory,
the stream's subscribers, the alarm clock), the plan-job worker pool and the demo fleet. It
listens on the public socket and on a private Unix socket in a directory only its user may
enter.

The other N − 1 processes, **secondaries** (spawned, each with its own engine, caches and
event loop), accept on the same public socket — the kernel hands each new connection to
one of the processes waiting — and serve everything that reads and writes the database
only: the scenario resources, plans (a job is a database row the primary's workers take),
emissions, the audit log, the dashboard. A request for live operations — every path of
:mod:`h2lane.ops.api.routes.live`: telemetry, state, the stream, alarms, rules, incidents,
plan versus actual — is forwarded as it came (token and all; the primary checks it) to
the primary over the Unix socket, and its answer streamed back, so an SSE client connected
to a secondary sees every alarm and state change the primary publishes, and the alarm
engine sees every message once. If the primary cannot be reached the answer is 503.

The primary restarts a secondary that dies; a secondary stops when the primary is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import re
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from h2lane.ops.settings import Settings

HOP_BY_HOP = frozenset({b"connection", b"keep-alive", b"transfer-encoding", b"te", b"upgrade",
                        b"proxy-authenticate", b"proxy-authorization", b"trailer"})  # fmt: skip
WATCH_S = 0.5


def live_path_patterns() -> list[re.Pattern[str]]:
    """The path patterns of the live-operations routes (served by the primary only)."""
    from h2lane.ops.api.routes import live as live_routes

    return [route.path_regex for route in live_routes.router.routes if hasattr(route, "path_regex")]


class LiveForwarder:
    """ASGI middleware of a secondary: live-operations requests go to the primary over its
    Unix socket (request body read whole — the body limit runs first —, the answer
    streamed back chunk by chunk; a client that goes away closes the upstream request)."""

    def __init__(self, app: ASGIApp, uds: str) -> None:
        self.app, self.uds = app, uds
        self.patterns = live_path_patterns()
        self._client: Any = None

    def _is_live(self, path: str) -> bool:
        return any(p.match(path) for p in self.patterns)

    def client(self) -> Any:
        import httpx

        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=httpx.AsyncHTTPTransport(uds=self.uds),
                timeout=httpx.Timeout(30.0, read=None),
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=32),
            )
        return self._client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._is_live(scope["path"]):
            await self.app(scope, receive, send)
            return
        import httpx

        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        query = scope.get("query_string", b"").decode("latin-1")
        url = "http://h2lane-primary" + scope["path"] + (f"?{query}" if query else "")
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in HOP_BY_HOP]
        client = self.client()
        request = client.build_request(scope["method"], url, headers=headers,
                                       content=b"".join(chunks))  # fmt: skip
        try:
            upstream = await client.send(request, stream=True)
        except httpx.TransportError:
            await _unavailable(send)
            return
        try:
            await self._relay(upstream, receive, send)
        finally:
            await upstream.aclose()

    async def _relay(self, upstream: Any, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": upstream.status_code, "headers": [
            (k, v) for k, v in upstream.headers.raw if k.lower() not in HOP_BY_HOP]})  # fmt: skip

        async def pump() -> None:
            async for chunk in upstream.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})

        async def gone() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        tasks = [asyncio.ensure_future(pump()), asyncio.ensure_future(gone())]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(BaseException):
                    await task
        if tasks[0] in done and (exc := tasks[0].exception()) is not None:
            raise exc


async def _unavailable(send: Send) -> None:
    from h2lane.ops.api.errors import error_body

    body = json.dumps(error_body("Unavailable", "Live operations are not reachable (the primary "
                                 "server process is starting or has stopped).")).encode()  # fmt: skip
    start: Message = {"type": "http.response.start", "status": 503, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]}  # fmt: skip
    await send(start)
    await send({"type": "http.response.body", "body": body})


def uvicorn_server(app: Any, host: str = "127.0.0.1", port: int = 8000) -> Any:
    """A uvicorn server for ``app`` on sockets given to ``run`` (uvloop and httptools when
    installed; no access log: one line per request costs CPU and says nothing new)."""
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            lifespan="on", timeout_graceful_shutdown=5)  # fmt: skip
    return uvicorn.Server(config)


def secondary_main(settings: Settings, sock: socket.socket, uds: str, parent: int) -> None:
    """A secondary's life: its own app (live operations forwarded to ``uds``), served on
    ``sock`` until the primary (pid ``parent``) is gone or it is told to stop."""
    from h2lane.ops.api.app import create_app

    app = create_app(settings, migrate=False, live_owner=uds)
    app.state.freeze_heap = True
    server = uvicorn_server(app)

    def watch() -> None:
        while not server.should_exit:
            if os.getppid() != parent:
                server.should_exit = True
                return
            time.sleep(WATCH_S)

    threading.Thread(target=watch, name="h2lane-primary-watch", daemon=True).start()
    server.run(sockets=[sock])


class ServerGroup:
    """The primary's side of ``--processes``: the public socket, the private Unix socket and
    the secondaries (spawned, restarted when one dies)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.count = settings.processes - 1
        self.public = socket.socket(
            socket.AF_INET6 if ":" in settings.host else socket.AF_INET, socket.SOCK_STREAM
        )
        self.public.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.public.bind((settings.host, settings.port))
        self.public.listen(2048)
        self.public.set_inheritable(True)
        self.run_dir = Path(tempfile.mkdtemp(prefix="h2lane-serve-"))  # mode 0700
        self.uds = str(self.run_dir / "live.sock")
        self.private = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.private.bind(self.uds)
        self.private.listen(2048)
        self._ctx = mp.get_context("spawn")
        self._procs: list[Any] = []
        self._stop = threading.Event()
        self._watch: threading.Thread | None = None

    def _spawn(self) -> Any:
        proc = self._ctx.Process(
            target=secondary_main, args=(self.settings, self.public, self.uds, os.getpid()),
            name="h2lane-serve-secondary", daemon=True,
        )  # fmt: skip
        proc.start()
        return proc

    def start(self) -> ServerGroup:
        self._procs = [self._spawn() for _ in range(self.count)]
        self._watch = threading.Thread(target=self._restart_dead, name="h2lane-serve-watch",
                                       daemon=True)  # fmt: skip
        self._watch.start()
        return self

    def _restart_dead(self) -> None:
        while not self._stop.wait(WATCH_S):
            for i, proc in enumerate(self._procs):
                if proc.exitcode is not None and not self._stop.is_set():
                    self._procs[i] = self._spawn()

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._procs if p.pid is not None]

    def sockets(self) -> list[socket.socket]:
        return [self.public, self.private]

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for proc in self._procs:
            if proc.exitcode is None:
                proc.terminate()
        end = time.monotonic() + timeout
        for proc in self._procs:
            proc.join(max(0.0, end - time.monotonic()))
            if proc.exitcode is None:
                proc.kill()
                proc.join(1)
        for sock in (self.public, self.private):
            with contextlib.suppress(OSError):
                sock.close()
        shutil.rmtree(self.run_dir, ignore_errors=True)
