"""Signing in with a password: lockout, per-account limits, audit; resetting, changing; changing the email address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from litestar import Litestar

from portal.app import create_app
from portal.db.tables import AuditEvent, OneTimeToken, OutboundEmail, Role, User
from portal.settings import AuthSettings, Settings
from tests.factories import PASSWORD, make_user
from tests.harness import running
from tests.mail import SmtpServer
from tests.web.auth_helpers import emails_to, is_signed_in, link_in, post_form, second_browser, sign_in

Client = httpx.AsyncClient
NEW_PASSWORD = "purple tractor sings loudly"
GENERIC = "The email or password is not right."


async def audit_kinds(user_id: int) -> list[str]:
    rows = await AuditEvent.select(AuditEvent.kind).where(AuditEvent.subject == user_id).order_by(AuditEvent.id)
    return [row["kind"] for row in rows]


async def test_sign_in_and_failures_are_audited_with_address_and_browser(client: Client) -> None:
    user = await make_user(Role.contact)
    await client.get("/login")
    headers = {"user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"}
    client.headers.update(headers)
    await sign_in(client, user.email, "wrong password here")
    assert (await sign_in(client, user.email, PASSWORD)).status_code == 303
    events = await AuditEvent.select().where(AuditEvent.subject == user.id).order_by(AuditEvent.id)
    assert [event["kind"] for event in events] == ["sign_in_failed", "sign_in"]
    assert all(event["ip"] == "127.0.0.1" for event in events)
    assert all("Firefox" in event["user_agent"] for event in events)
    await post_form(client, "/logout", {})
    assert (await audit_kinds(user.id))[-1] == "sign_out"


async def test_lockout_after_failures_emails_once_and_refuses_even_the_right_password(
    settings_factory, migrated_database: str, smtp: SmtpServer
) -> None:  # type: ignore[no-untyped-def]
    settings: Settings = settings_factory(auth=AuthSettings(lockout_after=3, lockout_minutes=15))
    user = await make_user(Role.contact, locale="el")
    app = create_app(settings)
    async with running(app) as client:
        for _ in range(3):
            assert (await sign_in(client, user.email, "not my password")).status_code == 422
        locked = await sign_in(client, user.email, PASSWORD)
        assert locked.status_code == 422
        assert GENERIC in locked.text  # the same answer as a wrong password: nothing to learn
        await sign_in(client, user.email, "still guessing")
        [message] = await emails_to(app, smtp, user.email)
        assert message["Subject"] == "Ο λογαριασμός σας κλειδώθηκε προσωρινά"
        assert link_in(message, "/password/forgot")
        row = await User.select(User.locked_until).where(User.id == user.id).first()
        assert row is not None
        assert row["locked_until"] > datetime.now(UTC) + timedelta(minutes=14)
        assert "locked_out" in await audit_kinds(user.id)

        # The lock expires (moved into the past rather than waited for): the right password works again.
        past = datetime.now(UTC) - timedelta(seconds=1)
        await User.update({User.locked_until: past}).where(User.id == user.id)
        assert (await sign_in(client, user.email, PASSWORD)).status_code == 303
        assert await OutboundEmail.count().where(OutboundEmail.to_address == user.email) == 1
        row = await User.select(User.failed_sign_ins).where(User.id == user.id).first()
        assert row == {"failed_sign_ins": 0}


async def test_locked_account_and_unknown_email_answer_like_a_wrong_password(client: Client) -> None:
    user = await make_user(Role.contact)
    await User.update({User.locked_until: datetime.now(UTC) + timedelta(minutes=5)}).where(User.id == user.id)
    locked = await sign_in(client, user.email, PASSWORD)
    unknown = await sign_in(client, "nobody@example.com", PASSWORD)
    wrong = await sign_in(client, (await make_user(Role.contact)).email, "wrong one")
    assert locked.status_code == unknown.status_code == wrong.status_code == 422
    for response in (locked, unknown, wrong):
        assert GENERIC in response.text


async def test_sign_in_is_rate_limited_per_account_from_any_address(
    settings_factory, migrated_database: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    settings: Settings = settings_factory(data_dir=tmp_path, auth=AuthSettings(account_rate_limit=3, lockout_after=50))
    user = await make_user(Role.contact)
    async with running(create_app(settings)) as client:
        statuses = [(await sign_in(client, user.email, "guess")).status_code for _ in range(3)]
        assert statuses == [422, 422, 422]
        assert (await sign_in(client, user.email, PASSWORD)).status_code == 429
        assert (await sign_in(client, "someone-else@example.com", "guess")).status_code == 422  # others unaffected


async def test_password_reset_link_is_single_use_and_signs_out_every_session(
    client: Client, app: Litestar, smtp: SmtpServer
) -> None:
    user = await make_user(Role.contact, locale="el")
    other = second_browser(app)
    await sign_in(other, user.email, PASSWORD)
    assert await is_signed_in(other)

    response = await post_form(client, "/password/forgot", {"email": user.email.upper()})
    assert response.headers["location"] == "/password/forgot/sent"
    [message] = await emails_to(app, smtp, user.email)
    assert message["Subject"] == "Επαναφορά κωδικού"
    link = link_in(message, "/password/reset/")

    form = await client.get(link)
    assert form.status_code == 200
    assert "Choose a new password" in form.text or "Επιλέξτε νέο κωδικό" in form.text
    weak = await post_form(client, link, {"password": "short", "confirm": "short"})
    assert weak.status_code == 422
    mismatch = await post_form(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"})
    assert mismatch.status_code == 422
    assert 'id="error-confirm"' in mismatch.text

    done = await post_form(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert (done.status_code, done.headers["location"]) == (303, "/login")
    assert not await is_signed_in(other)  # every session ended
    assert (await post_form(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})).status_code == 400
    assert (await client.get(link)).status_code == 400
    assert (await sign_in(client, user.email, PASSWORD)).status_code == 422
    assert (await sign_in(client, user.email, NEW_PASSWORD)).status_code == 303
    assert "password_reset" in await audit_kinds(user.id)
    await other.aclose()


async def test_reset_answers_the_same_for_unknown_addresses_and_a_new_link_revokes_older_ones(
    client: Client, app: Litestar, smtp: SmtpServer
) -> None:
    unknown = await post_form(client, "/password/forgot", {"email": "ghost@example.com"})
    user = await make_user(Role.contact)
    known = await post_form(client, "/password/forgot", {"email": user.email})
    assert unknown.status_code == known.status_code == 303
    assert unknown.headers["location"] == known.headers["location"]
    await post_form(client, "/password/forgot", {"email": user.email})
    first, second = await emails_to(app, smtp, user.email, count=2)
    assert (await client.get(link_in(first, "/password/reset/"))).status_code == 400
    assert (await client.get(link_in(second, "/password/reset/"))).status_code == 200
    assert smtp.to("ghost@example.com") == []


async def test_an_expired_reset_link_is_refused(client: Client, app: Litestar, smtp: SmtpServer) -> None:
    user = await make_user(Role.contact)
    await post_form(client, "/password/forgot", {"email": user.email})
    link = link_in((await emails_to(app, smtp, user.email))[0], "/password/reset/")
    await OneTimeToken.update({OneTimeToken.expires_at: datetime.now(UTC) - timedelta(seconds=1)}).where(
        OneTimeToken.user == user.id
    )
    assert (await client.get(link)).status_code == 400
    response = await post_form(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400


async def test_reset_requests_are_limited_per_address_without_telling(
    settings_factory, migrated_database: str, smtp: SmtpServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    settings: Settings = settings_factory(data_dir=tmp_path, auth=AuthSettings(email_rate_limit=1))
    user = await make_user(Role.contact)
    app = create_app(settings)
    async with running(app) as client:
        answers = [(await post_form(client, "/password/forgot", {"email": user.email})).status_code for _ in range(3)]
        assert answers == [303, 303, 303]
        await emails_to(app, smtp, user.email)
    assert await OutboundEmail.count().where(OutboundEmail.to_address == user.email) == 1


async def test_changing_the_password_signs_out_other_sessions_but_not_this_one(client: Client, app: Litestar) -> None:
    user = await make_user(Role.contact)
    other = second_browser(app)
    await sign_in(other, user.email, PASSWORD)
    await sign_in(client, user.email, PASSWORD)
    before = client.cookies.get("portal_session")

    wrong = await post_form(
        client, "/profile/password", {"current": "nope", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert wrong.status_code == 422
    assert "This is not your current password." in wrong.text
    weak = await post_form(client, "/profile/password", {"current": PASSWORD, "password": "abc", "confirm": "abc"})
    assert weak.status_code == 422
    assert await is_signed_in(other)

    changed = await post_form(
        client, "/profile/password", {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert changed.status_code == 303
    assert client.cookies.get("portal_session") != before  # a new session id for the new epoch
    assert await is_signed_in(client)
    assert not await is_signed_in(other)
    assert "password_changed" in await audit_kinds(user.id)
    assert (await sign_in(other, user.email, NEW_PASSWORD)).status_code == 303
    await other.aclose()


async def test_email_changes_only_when_the_new_address_confirms_and_the_old_one_is_told(
    client: Client, app: Litestar, smtp: SmtpServer
) -> None:
    user = await make_user(Role.contact, email="old@example.com", locale="el")
    await sign_in(client, user.email, PASSWORD)
    wrong = await post_form(client, "/profile/email", {"new_email": "new@example.com", "current": "nope"})
    assert wrong.status_code == 422
    response = await post_form(client, "/profile/email", {"new_email": "New@Example.com", "current": PASSWORD})
    assert response.status_code == 303

    [confirmation] = await emails_to(app, smtp, "new@example.com")
    assert confirmation["Subject"] == "Επιβεβαιώστε τη νέα διεύθυνση email σας"
    row = await User.select(User.email).where(User.id == user.id).first()
    assert row == {"email": "old@example.com"}  # nothing changes before the link is opened
    assert smtp.to("old@example.com") == []

    link = link_in(confirmation, "/email/confirm/")
    assert (await client.get(link, follow_redirects=False)).headers["location"] == "/profile"
    row = await User.select(User.email, User.email_verified_at).where(User.id == user.id).first()
    assert row is not None
    assert row["email"] == "new@example.com"
    assert row["email_verified_at"] is not None
    [notice] = await emails_to(app, smtp, "old@example.com")
    assert notice["Subject"] == "Η διεύθυνση email σας άλλαξε"
    assert (await client.get(link)).status_code == 400  # used once
    assert "email_changed" in await audit_kinds(user.id)

    await post_form(client, "/logout", {})
    assert (await sign_in(client, "old@example.com", PASSWORD)).status_code == 422
    assert (await sign_in(client, "new@example.com", PASSWORD)).status_code == 303


async def test_sign_out_everywhere_ends_every_session(client: Client, app: Litestar) -> None:
    user = await make_user(Role.contact)
    other = second_browser(app)
    await sign_in(other, user.email, PASSWORD)
    await sign_in(client, user.email, PASSWORD)
    response = await post_form(client, "/profile/sign-out-everywhere", {})
    assert (response.status_code, response.headers["location"]) == (303, "/login")
    assert "You are signed out on every device" in (await client.get("/login")).text
    assert not await is_signed_in(client)
    assert not await is_signed_in(other)
    assert "signed_out_everywhere" in await audit_kinds(user.id)
    await other.aclose()
