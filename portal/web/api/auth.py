"""Bearer-token authentication for the API: one guard for the whole router, the scope named on each route.

Only the `Authorization` header authenticates here. A browser's session cookie is ignored, which is also why
the API needs no CSRF protection: a cross-site page cannot make a browser send a bearer token.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from portal.i18n import gettext as _
from portal.services import api_tokens
from portal.services.api_tokens import Authenticated, Scope
from portal.services.throttle import Limit, Throttle
from portal.web.api.errors import REALM, ApiError

SCOPE_OPT = "api_scope"  # a route's `opt` names the scope it needs
TOKEN_STATE = "api_token"  # noqa: S105  (a key of request state)


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    scheme, _sep, token = connection.headers.get("authorization", "").strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def requires_token(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    plaintext = bearer_token(connection)
    if plaintext is None:
        raise ApiError(
            401,
            "invalid_token",
            _("Send an API token in the Authorization header."),
            headers={"WWW-Authenticate": REALM},
        )
    token = await api_tokens.authenticate(plaintext)
    if token is None:
        raise ApiError(
            401,
            "invalid_token",
            _("This API token is not valid."),
            headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
        )
    needed: Scope = handler.opt[SCOPE_OPT]
    if not token.allows(needed):
        raise ApiError(
            403,
            "insufficient_scope",
            _("This API token lacks the scope %(scope)s.") % {"scope": needed.value},
            headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{needed.value}"'},
        )
    settings = connection.app.state.settings
    limit = Limit("api-token", settings.security.api_rate_limit, 60)
    if not await Throttle(connection.app.stores.get("rate_limit")).hit(limit, str(token.token_id)):
        raise ApiError(
            429,
            "too_many_requests",
            _("Too many requests. Please wait a minute and try again."),
            headers={"Retry-After": "60"},
        )
    connection.state[TOKEN_STATE] = token


def current_token(connection: ASGIConnection[Any, Any, Any, Any]) -> Authenticated:
    """The token the guard accepted; handlers receive it as the `token` dependency."""
    return connection.state[TOKEN_STATE]  # type: ignore[no-any-return]
