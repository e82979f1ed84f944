"""The operations platform behind ``h2lane serve``: settings, database, HTTP API, plan jobs, dashboard.

* :mod:`h2lane.ops.settings` — flags and ``H2LANE_*`` environment variables;
* :mod:`h2lane.ops.db` — SQLAlchemy 2 models and the Alembic migrations shipped in the package;
* :mod:`h2lane.ops.api` — the FastAPI application (``/api/v1``, ``/healthz``, the dashboard);
* :mod:`h2lane.ops.worker` — the plan-job worker process;
* :mod:`h2lane.ops.web` — the dashboard's static files (Leaflet installed from npm).
"""
