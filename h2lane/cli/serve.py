"""``h2lane serve``, ``h2lane db upgrade`` and ``h2lane admin create-user``."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated

import typer
from sqlalchemy.engine import Engine

from h2lane.cli.common import JsonOpt, emit, guarded
from h2lane.output import console, err_console

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL: sqlite:///FILE (default h2lane.db in the working directory, or "
        "H2LANE_DB) or postgresql+psycopg://USER@HOST/DB.",
    ),
]

db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
admin_app = typer.Typer(help="Users and tokens.", no_args_is_help=True)


LOOPBACK = ("127.0.0.1", "localhost", "::1")
DEMO_SCENARIO = "shanxi-tianjin"


@dataclass
class Prepared:
    """What :func:`prepare` did to the database before the server starts."""

    engine: Engine
    revision: str
    recovered: int
    loaded: str | None = None
    user: str | None = None
    token: str | None = None


def display_url(url: str) -> str:
    """The database URL without user and password."""
    head, _, rest = url.partition("://")
    return f"{head}://{rest.split('@')[-1]}" if "@" in rest else url


def prepare(db_url: str, *, demo: bool = False) -> Prepared:
    """Migrate, fail the jobs a stopped server left running (queued ones stay queued), and for
    ``demo`` load the bundled scenario into an empty database and create a development admin."""
    from h2lane.ops.db import store
    from h2lane.ops.db.engine import make_engine, upgrade

    engine = make_engine(db_url)
    revision = upgrade(engine)
    with engine.begin() as conn:
        ready = Prepared(engine, revision, store.recover_jobs(conn))
        if demo:
            from h2lane.scenario import io as scenario_io

            if store.scenario_header(conn)["name"] == store.EMPTY_SCENARIO:
                store.replace_scenario(conn, scenario_io.load_scenario(DEMO_SCENARIO))
                ready.loaded = DEMO_SCENARIO
            name = f"dev-admin-{secrets.token_hex(3)}"
            _, ready.token = store.create_user(conn, name, "admin")
            ready.user = name
            store.audit(conn, {"name": "serve --demo", "role": "admin"}, "create", "users", name,
                        {"role": [None, "admin"]})  # fmt: skip
    return ready


def serve(
    db: DbOpt = None,
    host: Annotated[
        str | None,
        typer.Option("--host", help="Bind address (default 127.0.0.1, or H2LANE_HOST)."),
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="Port (default 8000, or H2LANE_PORT).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", help="Plan-job worker processes (default 1, or H2LANE_WORKERS)."),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Load the bundled shanxi-tianjin scenario if the database holds none and "
            "create a development admin whose token is printed (never in production).",
        ),
    ] = False,
    fleet: Annotated[
        bool,
        typer.Option(
            "--fleet/--no-fleet",
            help="With --demo: replay the scenario's dispatch as a live fleet (60× real time, "
            "a leak at its first station after 3 simulated hours) for the Live view.",
        ),
    ] = True,
) -> None:
    """Run the operations platform: API, plan-job workers and the dashboard."""
    import uvicorn

    from h2lane.ops.api.app import create_app
    from h2lane.ops.settings import Settings
    from h2lane.ops.worker import WorkerPool

    def load() -> tuple[Settings, Prepared]:
        settings = Settings.load(db=db, host=host, port=port, workers=workers)
        return settings, prepare(settings.db_url, demo=demo)

    settings, ready = guarded(load, False)
    err_console.print(f"h2lane serve: database {display_url(settings.db_url)} "
                      f"(migration {ready.revision})")  # fmt: skip
    if ready.recovered:
        err_console.print(
            f"{ready.recovered} plan job(s) left running by the last server were marked failed; "
            "queued jobs run now."
        )
    if ready.loaded:
        err_console.print(f"Loaded the bundled scenario {ready.loaded} into the empty database.")
    if ready.token is not None:
        err_console.rule("[bold red]DEMO MODE — development admin (never use --demo in production)")
        err_console.print(
            f"Signed-in user [bold]{ready.user}[/] (role admin). Its API token, shown only now:",
            highlight=False,
        )
        err_console.print(f"[bold yellow]{ready.token}[/]", highlight=False, soft_wrap=True)
        err_console.rule("[bold red]anyone with this token is admin")
    if settings.host not in LOOPBACK:
        err_console.print(f"[bold yellow]warning:[/] listening on {settings.host}, not only loopback")
    err_console.print(f"Dashboard and API on http://{settings.host}:{settings.port}/ "
                      f"(OpenAPI at /api/v1/openapi.json)")  # fmt: skip
    app = create_app(settings, ready.engine, migrate=False)
    pool = WorkerPool(settings.db_url, settings.workers).start()
    fleet_stop = None
    if demo and fleet:
        from h2lane.ops.demo import start_demo_fleet

        if settings.workers < 1:
            err_console.print("Demo fleet: off (it needs a plan worker; --workers is 0).")
        else:
            _, fleet_stop = start_demo_fleet(app.state.live, ready.engine)
            err_console.print("Demo fleet: the scenario's dispatch is being planned; its trucks and "
                              "stations then report live at 60× (a leak follows after 3 simulated "
                              "hours): open the Live view.")  # fmt: skip
    try:
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
    finally:
        if fleet_stop is not None:
            fleet_stop.set()
        pool.stop()
        ready.engine.dispose()


@db_app.command("upgrade")
def db_upgrade(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Apply the database migrations (the server also applies them when it starts)."""
    from h2lane.ops.db.engine import make_engine, upgrade
    from h2lane.ops.settings import Settings

    def run() -> dict:
        settings = Settings.load(db=db)
        revision = upgrade(make_engine(settings.db_url))
        return {"database": display_url(settings.db_url), "revision": revision}

    out = guarded(run, as_json)
    if as_json:
        emit(out)
    else:
        console.print(
            f"Database {out['database']} is at migration {out['revision']}.",
            highlight=False,
            soft_wrap=True,
        )


@admin_app.command("create-user")
def create_user(
    name: Annotated[str, typer.Argument(help="User name (unique).")],
    role: Annotated[
        str,
        typer.Option(
            "--role", help="admin, dispatcher, station-operator, auditor or device."
        ),
    ],
    station: Annotated[
        list[str] | None,
        typer.Option("--station", help="Station id the user operates (repeatable)."),
    ] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a user and print its API token once (the last word of the output)."""
    from h2lane.ops.db import store
    from h2lane.ops.db.engine import make_engine, upgrade
    from h2lane.ops.settings import Settings

    def run() -> dict:
        settings = Settings.load(db=db)
        engine = make_engine(settings.db_url)
        upgrade(engine)
        with engine.begin() as conn:
            user, token = store.create_user(conn, name, role, station or [])
            store.audit(conn, {"name": "cli", "role": "admin"}, "create", "users", user["name"],
                        {"role": [None, role], "stations": [None, user["stations"]]})  # fmt: skip
        return {"name": user["name"], "role": role, "stations": user["stations"], "token": token}

    out = guarded(run, as_json)
    if as_json:
        emit(out)
    else:
        console.print(
            f"Created {out['role']} '{out['name']}'. Its token is shown only now:\n{out['token']}",
            highlight=False,
            soft_wrap=True,
        )
