"""The last step of every sign-in: straight in, or first the second factor.

Password and provider sign-ins both end in `finish_sign_in`. A user with two-factor on gets a short-lived
challenge instead of a session; the session starts only after a valid code, under a new id.
"""

from __future__ import annotations

import time
from typing import Any

from litestar.connection import ASGIConnection
from litestar.plugins.flash import flash
from litestar.response import Redirect

from portal.i18n import gettext as _
from portal.services.users import CurrentUser
from portal.web.auth.sessions import rotate_session, start_session

PENDING_KEY = "two_factor_pending"
CHALLENGE_SECONDS = 300
CHALLENGE_ATTEMPTS = 5


async def finish_sign_in(
    connection: ASGIConnection[Any, Any, Any, Any], user: CurrentUser, target: str, *, remember: bool = False
) -> Redirect:
    if user.two_factor_enabled:
        pending = {"user_id": user.id, "next": target, "remember": remember, "until": time.time() + CHALLENGE_SECONDS}
        connection.set_session({PENDING_KEY: pending | {"tries": 0}})
        rotate_session(connection)
        return Redirect("/login/two-factor", status_code=303)
    start_session(connection, user, remember=remember)
    welcome(connection, user)
    return Redirect(target, status_code=303)


def welcome(connection: ASGIConnection[Any, Any, Any, Any], user: CurrentUser) -> None:
    flash(connection, _("Welcome, %(name)s.") % {"name": user.first_name}, "success")


def pending_challenge(connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any] | None:
    """The sign-in waiting for its second factor, if it is still fresh and has tries left."""
    pending = connection.session.get(PENDING_KEY) if connection.scope.get("session") is not None else None
    if not isinstance(pending, dict):
        return None
    if pending["until"] < time.time() or pending["tries"] >= CHALLENGE_ATTEMPTS:
        connection.session.pop(PENDING_KEY, None)
        return None
    return pending
