"""Who is making the request: the signed-in user from the session, loaded fresh so deactivation is immediate.

A session also ends here when it has been idle longer than the idle timeout (unless "keep me signed in" was
ticked at sign-in), or when the absolute timeout since sign-in has passed.
"""

from __future__ import annotations

import time
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from portal.services import users
from portal.settings import Settings
from portal.web.auth.sessions import (
    SEEN_RESOLUTION,
    SESSION_EPOCH_KEY,
    SESSION_REMEMBER_KEY,
    SESSION_ROLE_KEY,
    SESSION_SEEN_KEY,
    SESSION_STARTED_KEY,
    SESSION_USER_KEY,
    rotate_session,
)


def session_expired(session: dict[str, Any], settings: Settings, now: float) -> bool:
    started = session.get(SESSION_STARTED_KEY) or 0
    if now - started > settings.auth.absolute_timeout_hours * 3600:
        return True
    seen = session.get(SESSION_SEEN_KEY) or started
    return not session.get(SESSION_REMEMBER_KEY) and now - seen > settings.auth.idle_timeout_minutes * 60


class IdentityMiddleware(ASGIMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        scope["user"] = None
        session = scope.get("session")
        if isinstance(session, dict) and (user_id := session.get(SESSION_USER_KEY)):
            settings: Settings = scope["app"].state.settings
            now = time.time()
            user = None if session_expired(session, settings, now) else await users.get_active(user_id)
            # Timed out, deactivated since sign-in, or signed out everywhere (the epoch moved on): it is over.
            if user is None or session.get(SESSION_EPOCH_KEY) != user.session_epoch:
                ASGIConnection(scope).clear_session()
            else:
                if now - (session.get(SESSION_SEEN_KEY) or 0) >= SEEN_RESOLUTION:
                    session[SESSION_SEEN_KEY] = int(now)
                if session.get(SESSION_ROLE_KEY) != user.role.value:
                    # Privileges changed since this session began (an admin changed the role): a new session id,
                    # so an id captured before the change never carries the new privileges.
                    session[SESSION_ROLE_KEY] = user.role.value
                    rotate_session(ASGIConnection(scope))
                scope["user"] = user
        await next_app(scope, receive, send)
