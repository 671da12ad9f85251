from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pyotp

from portal.app import create_app
from portal.db.tables import AuditEvent, Role, User
from portal.settings import AuthSettings, Settings
from tests.factories import csrf_headers, make_user, sign_in
from tests.harness import running

Client = httpx.AsyncClient


async def enrol_through_the_pages(client: Client) -> tuple[str, list[str]]:
    """Set up two-factor as a user does: open the setup page, read the key, type a code."""
    page = await client.get("/profile/two-factor/setup")
    assert page.status_code == 200
    assert "<svg" in page.text
    secret = re.search(r'<code class="secret-key">([A-Z2-7]+)</code>', page.text)
    assert secret is not None
    # A code from the previous time step, so the sign-in test below can use the current one.
    code = pyotp.TOTP(secret.group(1)).at(datetime.now(UTC) - timedelta(seconds=30))
    done = await client.post("/profile/two-factor/setup", data={"code": code}, headers=csrf_headers(client))
    assert done.status_code == 200
    assert "Two-factor authentication is on." in done.text
    codes = re.findall(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", done.text)
    assert len(codes) == 10
    return secret.group(1), codes


async def test_enrol_then_sign_in_needs_the_code(client: Client) -> None:
    user = await make_user(Role.contact)
    await sign_in(client, user.email)
    secret, _ = await enrol_through_the_pages(client)
    await client.post("/logout", headers=csrf_headers(client))

    first_step = await sign_in(client, user.email)
    assert first_step.headers["location"] == "/login/two-factor"
    assert (await client.get("/account", follow_redirects=False)).status_code == 303  # not signed in yet

    wrong = await client.post("/login/two-factor", data={"code": "000000"}, headers=csrf_headers(client))
    assert wrong.status_code == 422
    assert "That code is not right." in wrong.text

    code = pyotp.TOTP(secret).now()
    right = await client.post(
        "/login/two-factor", data={"code": code}, headers=csrf_headers(client), follow_redirects=False
    )
    assert right.status_code == 303
    assert (await client.get("/account")).status_code == 200


async def test_a_recovery_code_signs_in_once(client: Client) -> None:
    user = await make_user(Role.contact)
    await sign_in(client, user.email)
    _, codes = await enrol_through_the_pages(client)
    for expected in (303, 422):
        await client.post("/logout", headers=csrf_headers(client))
        await sign_in(client, user.email)
        answer = await client.post(
            "/login/two-factor", data={"code": codes[3]}, headers=csrf_headers(client), follow_redirects=False
        )
        assert answer.status_code == expected


async def test_the_challenge_gives_up_after_five_wrong_codes(client: Client) -> None:
    user = await make_user(Role.contact)
    await sign_in(client, user.email)
    secret, _ = await enrol_through_the_pages(client)
    await client.post("/logout", headers=csrf_headers(client))
    await sign_in(client, user.email)
    for _ in range(5):
        await client.post("/login/two-factor", data={"code": "123456"}, headers=csrf_headers(client))
    late = await client.post(
        "/login/two-factor",
        data={"code": pyotp.TOTP(secret).now()},
        headers=csrf_headers(client),
        follow_redirects=False,
    )
    assert late.headers["location"] == "/login"  # start again: guessing cannot go on forever
    failures = await AuditEvent.count().where((AuditEvent.kind == "sign_in_failed") & (AuditEvent.subject == user.id))
    assert failures == 5


async def test_turning_off_needs_a_code_and_is_audited(client: Client, settings: Settings) -> None:
    user = await make_user(Role.contact)
    await sign_in(client, user.email)
    secret, _ = await enrol_through_the_pages(client)
    refused = await client.post("/profile/two-factor/disable", data={"code": "nope"}, headers=csrf_headers(client))
    assert refused.status_code == 422
    done = await client.post(
        "/profile/two-factor/disable",
        data={"code": pyotp.TOTP(secret).now()},
        headers=csrf_headers(client),
        follow_redirects=True,
    )
    assert "Two-factor authentication is off." in done.text
    row = await User.select(User.totp_enabled_at).where(User.id == user.id).first()
    assert row == {"totp_enabled_at": None}
    kinds = [event["kind"] for event in await AuditEvent.select(AuditEvent.kind).where(AuditEvent.subject == user.id)]
    assert "two_factor_enabled" in kinds
    assert "two_factor_disabled" in kinds


async def test_two_factor_pages_need_a_signed_in_user(client: Client) -> None:
    assert (await client.get("/profile/two-factor", follow_redirects=False)).status_code == 303
    assert (await client.get("/login/two-factor", follow_redirects=False)).headers["location"] == "/login"


async def test_staff_must_enrol_when_the_setting_requires_it(settings_factory, migrated_database: str) -> None:  # type: ignore[no-untyped-def]
    strict = settings_factory(auth=AuthSettings(require_staff_2fa=True))
    agent = await make_user(Role.agent)
    customer = await make_user(Role.contact)
    async with running(create_app(strict)) as client:
        await sign_in(client, agent.email)
        blocked = await client.get("/backoffice", follow_redirects=False)
        assert blocked.headers["location"] == "/profile/two-factor/setup"
        setup = await client.get("/profile/two-factor/setup")
        assert "it is required for staff" in setup.text
        await enrol_through_the_pages(client)
        assert (await client.get("/backoffice")).status_code == 200
        await client.post("/logout", headers=csrf_headers(client))
        await sign_in(client, customer.email)
        assert (await client.get("/account")).status_code == 200  # customers are not forced
