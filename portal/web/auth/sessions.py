"""Server-side sessions whose id changes whenever who is signed in changes.

Litestar keeps the incoming session id for the life of the cookie, so a session id planted before sign-in
would still be valid after it (session fixation). A handler that changes identity calls `rotate_session`;
the backend then discards the old id and issues a new one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, cast

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.serialization import encode_json
from litestar.types import Message, Scope, ScopeSession

from portal.services.users import CurrentUser
from portal.settings import Settings

SESSION_COOKIE = "portal_session"
SESSION_USER_KEY = "user_id"
SESSION_EPOCH_KEY = "epoch"
SESSION_STARTED_KEY = "started"


def rotate_session(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    connection.scope["state"]["rotate_session"] = True


def start_session(connection: ASGIConnection[Any, Any, Any, Any], user: CurrentUser) -> None:
    """Sign `user` in on this connection, under a new session id. Every sign-in method ends here."""
    connection.set_session(
        {
            SESSION_USER_KEY: user.id,
            SESSION_EPOCH_KEY: user.session_epoch,
            SESSION_STARTED_KEY: int(time.time()),
        }
    )
    rotate_session(connection)


def end_session(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    connection.clear_session()
    rotate_session(connection)


class RotatingSessionBackend(ServerSideSessionBackend):
    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> None:
        state = connection.scope["state"]
        if state.pop("rotate_session", False):
            old_id = connection.cookies.get(self.config.key)
            if old_id and old_id != "null":
                await self.delete(old_id, store=self.config.get_store_from_app(connection.scope["app"]))
            state["new_session_id"] = self.generate_session_id()
        await super().store_in_message(scope_session, message, connection)

    @staticmethod
    def serialize_data(data: ScopeSession, scope: Scope | None = None) -> bytes:
        # Error pages for unknown paths have no route handler to take a serializer from.
        if scope is not None and "route_handler" not in cast(dict[str, Any], scope):
            return encode_json(data)
        return ServerSideSessionBackend.serialize_data(data, scope)

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        return connection.scope["state"].get("new_session_id") or super().get_session_id(connection)


@dataclass
class RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend


def session_config(settings: Settings) -> RotatingSessionConfig:
    return RotatingSessionConfig(
        key=SESSION_COOKIE,
        max_age=settings.security.session_max_age,
        secure=settings.cookie_secure,
        httponly=True,
        samesite="lax",
        renew_on_access=True,  # an active user is never signed out mid-task
        exclude=["^/static/", "^/healthz$", "^/readyz$"],
    )
