"""The FastAPI application: ``/api/v1`` (OpenAPI at ``/api/v1/openapi.json``), ``/healthz``, ``/``."""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine

from h2lane import OSM_ATTRIBUTION, __version__
from h2lane.errors import OptionError
from h2lane.ops.api import errors
from h2lane.ops.api.cache import AnswerCache, TokenCache, VersionGate
from h2lane.ops.api.deps import BodyLimit
from h2lane.ops.api.fastpath import FastReads
from h2lane.ops.api.routes import admin, dashboard, emissions, map_data, plans
from h2lane.ops.api.routes import live as live_routes
from h2lane.ops.api.routes import resources as res_routes
from h2lane.ops.api.routes import scenario as scenario_routes
from h2lane.ops.db.engine import make_engine, upgrade
from h2lane.ops.settings import Settings
from h2lane.output import err_console

VENDOR_MISSING = (
    "The dashboard's map library is not installed (no h2lane/ops/web/node_modules): run "
    "`npm ci` in h2lane/ops/web (scripts/test.sh and scripts/demo.sh do); the API works without it."
)


def web_dir() -> Path:
    return Path(str(resources.files("h2lane.ops") / "web"))


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """While the server runs, the alarm clock ticks (silence rules), every
    ``H2LANE_ALARM_TICK_S`` seconds (default 5; 0 turns it off) — in the process that owns
    live operations. With ``app.state.freeze_heap`` (``h2lane serve``) everything made until
    now goes to the collector's permanent generation: a full collection then walks only what
    requests make, not the thousands of objects of the app, the models and the scenario
    (those walks were pauses of tens of milliseconds under load)."""
    live = app.state.live
    if live is not None:
        raw = os.environ.get("H2LANE_ALARM_TICK_S", "5") or "0"
        try:
            every = float(raw)
        except ValueError:
            raise OptionError(f"H2LANE_ALARM_TICK_S={raw!r} is not a number of seconds") from None
        live.start_ticker(every)
    if getattr(app.state, "freeze_heap", False):
        gc.collect()
        gc.freeze()
    try:
        yield
    finally:
        if live is not None:
            live.stop()
        app.state.versions.close()


def make_live(engine: Engine) -> Any:
    """Live operations on ``engine`` (stations for refuel matching read from the scenario)."""
    from h2lane.ops.api.deps import run_on_graph_thread
    from h2lane.ops.fleet import PlannedStops, ScenarioReach, affected_trucks
    from h2lane.ops.live import LiveOps

    reach = ScenarioReach(engine)
    live = LiveOps(engine, stations=reach.stations_of, affected=affected_trucks, reach=reach,
                   kg_per_100km=reach.rate,
                   next_stop=PlannedStops(engine, run_on_graph_thread))  # fmt: skip
    reach.out_of_service = live.out_of_service
    return live


def create_app(
    settings: Settings,
    engine: Engine | None = None,
    *,
    migrate: bool = True,
    live_owner: str | None = None,
) -> FastAPI:
    """The application on ``settings.db_url`` (migrations applied unless ``migrate`` is False).
    With ``live_owner`` (a Unix socket path) this is a secondary server process: live
    operations are not run here but forwarded there (see :mod:`h2lane.ops.api.processes`)."""
    engine = engine or make_engine(settings.db_url)
    if migrate:
        upgrade(engine)
    app = FastAPI(
        title="h2lane operations platform",
        version=__version__,
        description=f"Zero-carbon hydrogen truck logistics. Road data {OSM_ATTRIBUTION}.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.engine = engine
    app.state.settings = settings
    process = {"pid": os.getpid(), "role": "primary" if live_owner is None else "secondary"}
    app.state.tokens = TokenCache()
    app.state.answers = AnswerCache()
    app.state.job_answers = AnswerCache(max_entries=256)
    app.state.versions = VersionGate(engine)
    errors.install(app)
    if live_owner is not None:
        from h2lane.ops.api.processes import LiveForwarder

        app.add_middleware(LiveForwarder, uds=live_owner)
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes)
    app.add_middleware(FastReads, state=app.state)  # outermost: before routing

    @app.get(
        "/healthz",
        tags=["health"],
        summary="Liveness and database check (no auth)",
        responses={503: {"model": errors.ErrorBody, "description": "The database is down."}},
    )
    async def healthz(request: Request) -> Any:
        """The database answered a read that began after this request came (the version
        gate's, shared with the requests that arrived meanwhile; no thread-pool hop)."""
        try:
            await request.app.state.versions.current()
        except Exception as exc:  # the database is down: say so, 503
            return JSONResponse(
                errors.error_body(
                    "DatabaseUnreachable", f"The database is unreachable ({type(exc).__name__})."
                ),
                status_code=503,
            )
        return {"status": "ok", "version": __version__, "database": engine.dialect.name,
                "process": process}  # fmt: skip

    routers = [*res_routes.routers(), scenario_routes.router, plans.router, emissions.router,
               admin.router, map_data.router, dashboard.router, live_routes.router]  # fmt: skip
    for router in routers:
        app.include_router(router, responses=errors.ERROR_RESPONSES)
    app.state.live = make_live(engine) if live_owner is None else None

    web = web_dir()
    vendor = web / "node_modules"
    if vendor.is_dir():
        app.mount("/vendor", StaticFiles(directory=vendor), name="vendor")
    else:
        err_console.print(VENDOR_MISSING, highlight=False)
    app.mount("/static", StaticFiles(directory=web / "static"), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(web / "static" / "index.html")

    return app
