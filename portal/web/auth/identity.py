"""Who is making the request: the signed-in user from the session, loaded fresh so deactivation is immediate."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from portal.services import users

SESSION_USER_KEY = "user_id"


class IdentityMiddleware(ASGIMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        scope["user"] = None
        session = scope.get("session")
        if isinstance(session, dict) and (user_id := session.get(SESSION_USER_KEY)):
            scope["user"] = await users.get_active(user_id)
            if scope["user"] is None:  # deactivated or deleted since sign-in
                ASGIConnection(scope).clear_session()
        await next_app(scope, receive, send)
