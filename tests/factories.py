"""Test data with sensible defaults: a test names only what it cares about."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

import httpx

from portal.db.tables import Account, AuditEvent, Role
from portal.services import audit, users

PASSWORD = "correct horse battery staple"
_sequence = itertools.count(1)


async def make_account(**overrides: Any) -> Account:
    number = next(_sequence)
    values = {"name": f"Company {number}", "domain": f"company{number}.example"} | overrides
    account = Account(**values)
    await account.save()
    return account


async def make_user(role: Role = Role.contact, **overrides: Any) -> users.CurrentUser:
    number = next(_sequence)
    values: dict[str, Any] = {
        "email": f"user{number}@example.com",
        "name": f"Test User{number}",
        "password": PASSWORD,
        "role": role,
        "locale": "en",
    } | overrides
    return await users.create_user(**values)


async def make_audit_event(kind: audit.AuditKind, *, at: datetime | None = None, **kwargs: Any) -> int:
    """An audit event recorded through the service; `at` back-dates it. Returns its id."""
    await audit.record(kind, **kwargs)
    row = await AuditEvent.select(AuditEvent.id).order_by(AuditEvent.id, ascending=False).first()
    assert row is not None
    if at is not None:
        await AuditEvent.update({AuditEvent.occurred_at: at}).where(AuditEvent.id == row["id"])
    return int(row["id"])


def csrf_headers(client: httpx.AsyncClient) -> dict[str, str]:
    return {"x-csrftoken": client.cookies.get("portal_csrf", "")}


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> Any:
    """Sign in through the real form, as a browser would: fetch it (for the CSRF cookie), then post it."""
    await client.get("/login")
    return await client.post(
        "/login",
        data={"email": email, "password": password},
        headers=csrf_headers(client),
        follow_redirects=False,
    )
