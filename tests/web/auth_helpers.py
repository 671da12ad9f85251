"""Following emailed links and poking at stored sessions, for the sign-up, password and session tests."""

from __future__ import annotations

import asyncio
import json
import re
import time
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx
from litestar import Litestar

from tests.factories import csrf_headers
from tests.harness import BASE_URL
from tests.mail import SmtpServer, body


async def emails_to(app: Litestar, smtp: SmtpServer, address: str, count: int = 1) -> list[EmailMessage]:
    """The emails to `address` once `count` have arrived. Polls without blocking the event loop, which the app's
    own delivery task shares; delivers due emails itself too, so a test need not wait for that task's wake-up."""
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        await app.state.mailer.deliver_due()
        if len(received := smtp.to(address)) >= count:
            return received
        await asyncio.sleep(0.02)  # polling the condition "count emails received", with a deadline
    raise AssertionError(f"expected {count} email(s) to {address}; got {len(smtp.to(address))}")


def link_in(message: EmailMessage, path_prefix: str) -> str:
    """The path of the first link to `path_prefix` in the plain-text body, checked against the HTML body."""
    text = body(message, "plain")
    found = re.search(rf"{re.escape(BASE_URL)}{re.escape(path_prefix)}\S*", text)
    assert found, f"no {path_prefix} link in:\n{text}"
    assert f'href="{found.group(0)}"' in body(message, "html")
    return urlsplit(found.group(0)).path


async def post_form(client: httpx.AsyncClient, path: str, data: dict[str, str], page: str = "/login") -> httpx.Response:
    """Post a form as a browser would: with the CSRF cookie from an earlier page, without following the redirect."""
    if "portal_csrf" not in client.cookies:
        await client.get(page)
    return await client.post(path, data=data, headers=csrf_headers(client), follow_redirects=False)


async def sign_in(client: httpx.AsyncClient, email: str, password: str, *, remember: bool = False) -> httpx.Response:
    data = {"email": email, "password": password} | ({"remember": "on"} if remember else {})
    return await post_form(client, "/login", data)


async def is_signed_in(client: httpx.AsyncClient) -> bool:
    return (await client.get("/profile", follow_redirects=False)).status_code == 200


def second_browser(app: Litestar) -> httpx.AsyncClient:
    """Another browser on the same running app (its lifespan is started by the `client` fixture)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)


async def stored_session(app: Litestar, client: httpx.AsyncClient) -> dict[str, Any]:
    raw = await app.stores.get("sessions").get(client.cookies["portal_session"])
    assert raw is not None
    return json.loads(raw)  # type: ignore[no-any-return]


async def edit_session(app: Litestar, client: httpx.AsyncClient, **changes: Any) -> None:
    """Rewrite what the server remembers about this browser's session (to move its clock, say)."""
    data = await stored_session(app, client) | changes
    await app.stores.get("sessions").set(client.cookies["portal_session"], json.dumps(data), expires_in=3600)
