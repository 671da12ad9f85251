"""Who is making the request: the signed-in user from the session, loaded fresh so deactivation is immediate."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from portal.services import users
from portal.web.auth.sessions import SESSION_EPOCH_KEY, SESSION_USER_KEY


class IdentityMiddleware(ASGIMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        scope["user"] = None
        session = scope.get("session")
        if isinstance(session, dict) and (user_id := session.get(SESSION_USER_KEY)):
            user = await users.get_active(user_id)
            # Deactivated since sign-in, or signed out everywhere (the epoch moved on): this session is over.
            if user is None or session.get(SESSION_EPOCH_KEY) != user.session_epoch:
                ASGIConnection(scope).clear_session()
            else:
                scope["user"] = user
        await next_app(scope, receive, send)
