"""Bearer tokens and the role matrix.

======================  ==========================================================
role                    may
======================  ==========================================================
admin                   everything, users and the audit log
dispatcher              write orders, trucks and plans; read the rest
station-operator        read everything; update only its own stations
auditor                 read everything; run emissions; export the scenario
device                  post telemetry for its own ids (live operations); nothing here
======================  ==========================================================

No token → 401; a token of a role that may not → 403.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends, Request

from h2lane.ops.api.cache import TokenCache
from h2lane.ops.api.errors import ApiError
from h2lane.ops.db import store

READERS = ("admin", "dispatcher", "station-operator", "auditor")
WRITERS: dict[str, tuple[str, ...]] = {
    "places": ("admin",),
    "production_sites": ("admin",),
    "stations": ("admin",),
    "trailers": ("admin",),
    "truck_types": ("admin",),
    "trucks": ("admin", "dispatcher"),
    "orders": ("admin", "dispatcher"),
}
PLANNERS = ("admin", "dispatcher")
ACCOUNTANTS = ("admin", "dispatcher", "auditor")
ADMINS = ("admin",)

User = dict[str, Any]


async def current_user(request: Request) -> User:
    """The user of the request's ``Authorization: Bearer TOKEN`` (401 without a valid one).

    A user found is reused for :data:`h2lane.ops.api.cache.TOKEN_TTL_S` seconds (a user
    disabled meanwhile is refused at most that long after); an unknown token always asks the
    database. Async on purpose: the lookup is one indexed query (well under a millisecond),
    cheaper on the event loop than a hop to the thread pool for every request."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "Unauthorized", "Give an API token as 'Authorization: Bearer TOKEN'.")
    token_hash = store.hash_token(token.strip())
    tokens: TokenCache = request.app.state.tokens
    user = tokens.get(token_hash)
    if user is not None:
        return user
    with request.app.state.engine.connect() as conn:
        user = store.user_by_token_hash(conn, token_hash)
    if user is None:
        raise ApiError(401, "Unauthorized", "The API token is not valid.")
    tokens.put(token_hash, user)
    return user


def require(*roles: str) -> Callable[..., Awaitable[User]]:
    """A dependency that lets only ``roles`` through (403 for the others)."""

    async def check(user: User = Depends(current_user)) -> User:
        if user["role"] not in roles:
            raise ApiError(
                403, "Forbidden", f"The role {user['role']} may not do this ({', '.join(roles)} may)."
            )
        return user

    return check


def forbid(user: User, what: str) -> ApiError:
    return ApiError(403, "Forbidden", f"The role {user['role']} may not {what}.")
