"""Server-side sessions whose id changes whenever who is signed in changes.

Litestar keeps the incoming session id for the life of the cookie, so a session id planted before sign-in
would still be valid after it (session fixation). A handler that changes identity calls `rotate_session`;
the backend then discards the old id and issues a new one.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Any, cast

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.serialization import encode_json
from litestar.types import Empty, Message, Scope, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items

from portal.services.users import CurrentUser
from portal.settings import Settings

SESSION_COOKIE = "portal_session"
SESSION_USER_KEY = "user_id"
SESSION_EPOCH_KEY = "epoch"
SESSION_STARTED_KEY = "started"
SESSION_SEEN_KEY = "seen"  # last request, for the idle timeout
SESSION_REMEMBER_KEY = "remember"  # "keep me signed in": a persistent cookie and no idle timeout
LOADED_KEY = "session_as_loaded"
SEEN_RESOLUTION = 60  # seconds: "last seen" is rewritten at most this often, not on every request
SESSION_ROLE_KEY = "role"  # the role at sign-in: when it changes, the session id changes too


def rotate_session(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    connection.scope["state"]["rotate_session"] = True


def start_session(connection: ASGIConnection[Any, Any, Any, Any], user: CurrentUser, *, remember: bool = False) -> None:
    """Sign `user` in on this connection, under a new session id. Every sign-in method ends here.

    Without `remember` the cookie lasts while the browser is open and the session ends after the idle timeout;
    with it the cookie persists. The absolute timeout counts from here either way.
    """
    now = int(time.time())
    connection.set_session(
        {
            SESSION_USER_KEY: user.id,
            SESSION_EPOCH_KEY: user.session_epoch,
            SESSION_STARTED_KEY: now,
            SESSION_SEEN_KEY: now,
            SESSION_REMEMBER_KEY: remember,
            SESSION_ROLE_KEY: user.role.value,
        }
    )
    rotate_session(connection)


def renew_session(connection: ASGIConnection[Any, Any, Any, Any], user: CurrentUser) -> None:
    """Keep this browser signed in after the user's epoch moved on (their own password change): a new session
    id and epoch, the same sign-in time and "keep me signed in" choice."""
    session = connection.scope.get("session")
    previous = session if isinstance(session, dict) else {}
    started = previous.get(SESSION_STARTED_KEY, int(time.time()))
    start_session(connection, user, remember=bool(previous.get(SESSION_REMEMBER_KEY)))
    connection.scope["session"][SESSION_STARTED_KEY] = started  # type: ignore[index]


def end_session(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    connection.clear_session()
    rotate_session(connection)


class RotatingSessionBackend(ServerSideSessionBackend):
    async def load_from_connection(self, connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
        data = await super().load_from_connection(connection)
        connection.scope["state"][LOADED_KEY] = copy.deepcopy(data)
        return data

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> None:
        state = connection.scope["state"]
        rotated = state.pop("rotate_session", False)
        if rotated:
            old_id = connection.cookies.get(self.config.key)
            if old_id and old_id != "null":
                await self.delete(old_id, store=self.config.get_store_from_app(connection.scope["app"]))
            state["new_session_id"] = self.generate_session_id()
        elif scope_session and scope_session == state.get(LOADED_KEY):
            return  # unchanged: the stored copy and the cookie are still right, and writing is the costly part
        if isinstance(scope_session, dict) and not scope_session:
            # Nothing to keep: a visitor who never needed a session gets no stored file and no cookie (crawlers
            # would otherwise leave one per request); a session that was emptied is deleted.
            if connection.cookies.get(self.config.key, "null") != "null":
                await super().store_in_message(Empty, message, connection)
            return
        if not isinstance(scope_session, dict) or not scope_session.get(SESSION_USER_KEY):
            await super().store_in_message(scope_session, message, connection)
            return
        # A signed-in session: a browser-session cookie unless "keep me signed in" was ticked, and a stored
        # session that expires when the idle timeout would end it anyway.
        remember = bool(scope_session.get(SESSION_REMEMBER_KEY))
        settings: Settings = connection.scope["app"].state.settings
        store = self.config.get_store_from_app(connection.scope["app"])
        session_id = self.get_session_id(connection)
        expires_in = self.config.max_age if remember else settings.auth.idle_timeout_minutes * 60
        await store.set(session_id, self.serialize_data(scope_session, connection.scope), expires_in=expires_in)
        params = dict(extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys()))
        if not remember:
            params.pop("max_age", None)
        headers = MutableScopeHeaders.from_message(message)
        headers.add("Set-Cookie", Cookie(value=session_id, key=self.config.key, **params).to_header(header=""))

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
        exclude=["^/static/", "^/healthz$", "^/readyz$"],
    )
