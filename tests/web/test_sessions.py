"""Session lifetime: idle and absolute timeouts, "keep me signed in", and the cookie each gets."""

from __future__ import annotations

import time

import httpx
from litestar import Litestar

from portal.db.tables import Role
from portal.settings import Settings
from tests.factories import PASSWORD, make_user
from tests.web.auth_helpers import edit_session, is_signed_in, post_form, sign_in, stored_session

Client = httpx.AsyncClient


def session_cookie(response: httpx.Response) -> str:
    return next(c for c in response.headers.get_list("set-cookie") if c.startswith("portal_session="))


async def test_without_keep_me_signed_in_the_cookie_ends_with_the_browser(client: Client) -> None:
    user = await make_user(Role.contact)
    cookie = session_cookie(await sign_in(client, user.email, PASSWORD))
    assert "max-age" not in cookie.lower()
    assert "expires" not in cookie.lower()


async def test_keep_me_signed_in_sets_a_persistent_cookie(client: Client, app: Litestar) -> None:
    user = await make_user(Role.contact)
    cookie = session_cookie(await sign_in(client, user.email, PASSWORD, remember=True))
    assert "max-age=" in cookie.lower()
    assert (await stored_session(app, client))["remember"] is True


async def test_an_idle_session_ends_after_the_idle_timeout(client: Client, app: Litestar, settings: Settings) -> None:
    user = await make_user(Role.contact)
    await sign_in(client, user.email, PASSWORD)
    idle = settings.auth.idle_timeout_minutes * 60
    await edit_session(app, client, seen=int(time.time()) - idle + 60)
    assert await is_signed_in(client)  # a minute to spare, and activity renews it
    assert (await stored_session(app, client))["seen"] >= int(time.time()) - 5
    await edit_session(app, client, seen=int(time.time()) - idle - 1)
    assert not await is_signed_in(client)


async def test_keep_me_signed_in_survives_idleness(client: Client, app: Litestar, settings: Settings) -> None:
    user = await make_user(Role.contact)
    await sign_in(client, user.email, PASSWORD, remember=True)
    await edit_session(app, client, seen=int(time.time()) - settings.auth.idle_timeout_minutes * 60 - 3600)
    assert await is_signed_in(client)


async def test_every_session_ends_after_the_absolute_timeout(client: Client, app: Litestar, settings: Settings) -> None:
    user = await make_user(Role.contact)
    await sign_in(client, user.email, PASSWORD, remember=True)
    absolute = settings.auth.absolute_timeout_hours * 3600
    await edit_session(app, client, started=int(time.time()) - absolute + 60)
    assert await is_signed_in(client)
    await edit_session(app, client, started=int(time.time()) - absolute - 1)
    assert not await is_signed_in(client)


async def test_changing_the_password_keeps_the_sign_in_time(client: Client, app: Litestar) -> None:
    """A password change must not stretch the absolute timeout."""
    user = await make_user(Role.contact)
    await sign_in(client, user.email, PASSWORD, remember=True)
    started = int(time.time()) - 3600
    await edit_session(app, client, started=started)
    data = {"current": PASSWORD, "password": "a much longer secret phrase", "confirm": "a much longer secret phrase"}
    assert (await post_form(client, "/profile/password", data)).status_code == 303
    session = await stored_session(app, client)
    assert (session["started"], session["remember"]) == (started, True)
