"""Set-up for the desk tests: agents, teams and cases written straight to the tables (the queue only reads them;
the case services' own tests cover how cases come to be)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from portal.db.tables import Case, CaseTag, Priority, Role, SupportTeam, TeamMembership
from portal.services.cases import PRIORITY_RANK
from portal.services.users import CurrentUser
from tests.factories import csrf_headers, make_account, make_user, sign_in

_numbers = itertools.count(1)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def make_customer(**overrides: Any) -> CurrentUser:
    account = await make_account()
    return await make_user(Role.contact, account_id=account.id, **overrides)


async def make_team(*members: CurrentUser, name: str | None = None) -> int:
    rows = await SupportTeam.insert(SupportTeam(name=name or f"Team {next(_numbers)}")).returning(SupportTeam.id)
    team_id = int(rows[0]["id"])
    for member in members:
        await TeamMembership.insert(TeamMembership(team=team_id, user=member.id, key=f"{team_id}:{member.id}"))
    return team_id


async def make_case(requester: CurrentUser, *, tags: tuple[str, ...] = (), **fields: Any) -> dict[str, Any]:
    """A case row as the queue sees it; `fields` are Case columns (priority sets its rank too)."""
    number = next(_numbers)
    priority = Priority(fields.pop("priority", Priority.normal))
    values: dict[str, Any] = {
        "number": f"C-2026-{number:06d}",
        "subject": f"Case {number}",
        "description": "Something is wrong.",
        "priority": priority,
        "priority_rank": PRIORITY_RANK[priority],
        "requester": requester.id,
        "account": requester.account_id,
        "created_at": NOW,
        "updated_at": NOW + timedelta(minutes=number),
        "last_public_at": NOW,
    } | fields
    rows = await Case.insert(Case(**values)).returning(*Case.all_columns())
    row: dict[str, Any] = rows[0]
    for tag in tags:
        await CaseTag.insert(CaseTag(case=row["id"], tag=tag, key=f"{row['id']}:{tag}"))
    return row


async def signed_in_agent(client: httpx.AsyncClient, role: Role = Role.agent, **overrides: Any) -> CurrentUser:
    user = await make_user(role, **overrides)
    response = await sign_in(client, user.email)
    assert response.status_code == 303, response.text
    await client.get("/backoffice")  # for the CSRF cookie
    return user


async def post(
    client: httpx.AsyncClient,
    path: str,
    data: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """A form post as a browser sends it, with the CSRF header, without following the redirect."""
    headers = csrf_headers(client) | (headers or {})
    return await client.post(path, data=data or {}, headers=headers, follow_redirects=False, **kwargs)
