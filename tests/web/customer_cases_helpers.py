"""Set-up for the customer's case pages: verified customers, cases opened through the real services."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
from litestar import Litestar

from portal.db.tables import Account, CaseType, Role, User
from portal.services import cases
from portal.services.attachments import CheckedFile
from portal.services.cases import CaseRef, NewCase
from portal.services.users import CurrentUser
from tests.factories import csrf_headers, make_account, make_user, sign_in


async def verified(role: Role = Role.contact, account: Account | None = None, **overrides: Any) -> CurrentUser:
    """A customer who confirmed their email address (opening a case needs that)."""
    user = await make_user(role, account_id=account.id if account else None, **overrides)
    await User.update({User.email_verified_at: datetime.now(UTC)}).where(User.id == user.id)
    return replace(user, email_verified=True)


async def customer_of(mode: str = "own", role: Role = Role.contact, **overrides: Any) -> CurrentUser:
    account = await make_account(sharing_mode=mode)
    return await verified(role, account, **overrides)


async def open_case(
    app: Litestar,
    user: CurrentUser,
    subject: str = "Printer offline",
    files: list[CheckedFile] | None = None,
    **kw: Any,
) -> CaseRef:
    values: dict[str, Any] = {"type": CaseType.question, "subject": subject, "description": "It stopped."} | kw
    return await cases.open_case(
        user, NewCase(**values), files or [], mailer=app.state.mailer, store=app.state.attachments
    )


async def signed_in(client: httpx.AsyncClient, user: CurrentUser) -> None:
    response = await sign_in(client, user.email)
    assert response.status_code == 303, response.text


async def post(client: httpx.AsyncClient, path: str, data: dict[str, str], files: Any = None) -> httpx.Response:
    """A form post as a browser sends it (multipart when `files` is given), without following the redirect."""
    if "portal_csrf" not in client.cookies:
        await client.get("/cases")
    return await client.post(path, data=data, files=files, headers=csrf_headers(client), follow_redirects=False)
