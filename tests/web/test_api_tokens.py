"""API tokens in the back office: only admins create and revoke them, the secret is shown once, and the API
accepts a token only while it is valid."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import httpx
from litestar import Litestar

from portal.db.tables import ApiToken, AuditEvent, Role, User
from portal.services import api_tokens
from portal.services.api_tokens import NewToken, Scope
from portal.services.users import CurrentUser
from tests.factories import csrf_headers, make_user, sign_in

Client = httpx.AsyncClient
PAGE = "/backoffice/api-tokens"
TOKEN = re.compile(r"ptl_[0-9a-f]{8}_[A-Za-z0-9_-]{40,}")


async def signed_in(client: Client, role: Role) -> CurrentUser:
    user = await make_user(role, name=f"Sam {role.value.title()}")
    assert (await sign_in(client, user.email)).status_code == 303
    return user


async def create_on_page(client: Client, **fields: str) -> httpx.Response:
    await client.get(PAGE)
    return await client.post(PAGE, data=fields, headers=csrf_headers(client), follow_redirects=False)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_an_admin_creates_a_token_that_is_shown_once_and_works(client: Client) -> None:
    admin = await signed_in(client, Role.admin)
    agent = await make_user(Role.agent, name="Agnes Agent")

    response = await create_on_page(
        client, name="ERP sync", cases_read="on", cases_write="on", acts_as=str(agent.id), expires_on=""
    )

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    found = TOKEN.search(response.text)
    assert found, response.text
    plaintext = found.group(0)
    assert "This is the only time the token is shown" in response.text
    row = await ApiToken.select().first()
    assert row is not None
    assert row["token_hash"] != plaintext
    assert plaintext not in str(row)
    scopes = row["scopes"] if isinstance(row["scopes"], list) else json.loads(row["scopes"])
    assert scopes == ["cases:read", "cases:write"]

    listing = await client.get(PAGE)
    assert plaintext not in listing.text
    assert f"ptl_{row['prefix']}_" in listing.text
    assert "ERP sync" in listing.text
    assert "Agnes Agent" in listing.text
    assert await AuditEvent.exists().where((AuditEvent.kind == "api_token_created") & (AuditEvent.actor == admin.id))

    api = await client.get("/api/v1/cases", headers=bearer(plaintext))
    assert api.status_code == 200
    assert api.json() == {"items": [], "next_cursor": None}


async def test_the_form_says_what_is_wrong_next_to_each_field(client: Client) -> None:
    await signed_in(client, Role.admin)
    customer = await make_user(Role.contact)

    response = await create_on_page(client, name="", acts_as=str(customer.id), expires_on="2001-01-01")

    assert response.status_code == 422
    assert 'id="error-name"' in response.text
    assert 'id="error-expires_on"' in response.text
    assert not await ApiToken.exists()

    response = await create_on_page(client, name="No scopes", acts_as=str(customer.id))
    assert response.status_code == 422
    assert 'id="error-scopes"' in response.text
    assert 'id="error-acts_as"' in response.text
    assert 'value="No scopes"' in response.text
    assert not await ApiToken.exists()


async def test_agents_and_managers_may_not_manage_tokens(client: Client) -> None:
    for role in (Role.agent, Role.manager):
        await client.post("/logout", headers=csrf_headers(client))
        await signed_in(client, role)
        assert (await client.get(PAGE)).status_code == 403
        response = await client.post(PAGE, data={"name": "x"}, headers=csrf_headers(client))
        assert response.status_code == 403
    assert not await ApiToken.exists()


async def test_creating_a_token_needs_the_csrf_token(client: Client) -> None:
    agent = await make_user(Role.agent)
    await signed_in(client, Role.admin)
    await client.get(PAGE)
    response = await client.post(PAGE, data={"name": "x", "cases_read": "on", "acts_as": str(agent.id)})
    assert response.status_code == 403
    assert not await ApiToken.exists()


async def test_a_revoked_token_stops_working_at_once(client: Client) -> None:
    admin = await signed_in(client, Role.admin)
    agent = await make_user(Role.agent)
    token_id, plaintext = await api_tokens.create(admin, NewToken("CRM", [Scope.cases_read], agent.id))
    assert (await client.get("/api/v1/cases", headers=bearer(plaintext))).status_code == 200

    response = await client.post(f"{PAGE}/{token_id}/revoke", headers=csrf_headers(client), follow_redirects=False)

    assert response.status_code == 303
    refused = await client.get("/api/v1/cases", headers=bearer(plaintext))
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_token"
    assert "Revoked" in (await client.get(PAGE)).text
    assert await AuditEvent.exists().where(AuditEvent.kind == "api_token_revoked")


async def test_expired_tokens_and_tokens_of_deactivated_agents_are_refused(client: Client) -> None:
    admin = await make_user(Role.admin)
    agent = await make_user(Role.agent)
    _id, plaintext = await api_tokens.create(
        admin, NewToken("Short", [Scope.cases_read], agent.id, expires_at=datetime.now(UTC) + timedelta(hours=1))
    )
    assert (await client.get("/api/v1/cases", headers=bearer(plaintext))).status_code == 200
    await ApiToken.update({ApiToken.expires_at: datetime.now(UTC) - timedelta(seconds=1)}).where(ApiToken.id == _id)
    expired = await client.get("/api/v1/cases", headers=bearer(plaintext))
    assert expired.status_code == 401
    assert expired.headers["www-authenticate"].startswith("Bearer")

    _id, other = await api_tokens.create(admin, NewToken("Other", [Scope.cases_read], agent.id))
    await User.update({User.is_active: False}).where(User.id == agent.id)
    assert (await client.get("/api/v1/cases", headers=bearer(other))).status_code == 401


async def test_last_used_is_recorded_at_most_once_a_minute(app: Litestar) -> None:
    admin = await make_user(Role.admin)
    agent = await make_user(Role.agent)
    token_id, plaintext = await api_tokens.create(admin, NewToken("Poller", [Scope.cases_read], agent.id))
    start = datetime.now(UTC)

    async def last_used() -> datetime | None:
        row = await ApiToken.select(ApiToken.last_used_at).where(ApiToken.id == token_id).first()
        assert row is not None
        return row["last_used_at"]  # type: ignore[no-any-return]

    assert await api_tokens.authenticate(plaintext, now=start) is not None
    assert await last_used() == start
    assert await api_tokens.authenticate(plaintext, now=start + timedelta(seconds=30)) is not None
    assert await last_used() == start
    assert await api_tokens.authenticate(plaintext, now=start + timedelta(seconds=61)) is not None
    assert await last_used() == start + timedelta(seconds=61)
    assert await api_tokens.authenticate(plaintext + "x") is None
    assert await api_tokens.authenticate("not-a-token") is None
