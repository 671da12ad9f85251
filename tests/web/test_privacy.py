from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import httpx
from litestar import Litestar

from portal.db.tables import AuditEvent, ExternalIdentity, OneTimeToken, RecoveryCode, Role, User
from portal.services import tokens
from portal.services.audit import AuditKind
from portal.services.tokens import Purpose
from tests.factories import PASSWORD, csrf_headers, make_account, make_user, sign_in
from tests.harness import BASE_URL

Client = httpx.AsyncClient


async def delete_account(client: Client, **fields: str) -> httpx.Response:
    return await client.post("/profile/data/delete", data=fields, headers=csrf_headers(client), follow_redirects=False)


async def is_signed_in(client: Client) -> bool:
    return (await client.get("/profile/data", follow_redirects=False)).status_code == 200


async def test_the_page_offers_both_rights(client: Client) -> None:
    user = await make_user(Role.contact)
    await sign_in(client, user.email)
    page = (await client.get("/profile/data")).text
    assert "Download my data" in page
    assert "Delete my account" in page
    assert 'type="password"' in page
    assert "Emails we sent you" in page


async def test_download_is_a_zip_of_my_data_and_is_audited(client: Client) -> None:
    user = await make_user(Role.contact, email="maria@example.com", name="Maria P")
    other = await make_user(Role.contact, email="nikos@example.com")
    await sign_in(client, user.email)

    response = await client.post("/profile/data/export", headers=csrf_headers(client))

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith('attachment; filename="my-data-')
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        files = {name: json.loads(archive.read(name)) for name in archive.namelist()}
    assert files["profile.json"]["email"] == "maria@example.com"
    assert any(event["event"] == "sign_in" for event in files["audit_log.json"])  # their own sign-in just now
    assert other.email not in json.dumps(files)
    assert await AuditEvent.exists().where(
        (AuditEvent.kind == AuditKind.data_exported.value) & (AuditEvent.subject == user.id)
    )


async def test_download_needs_the_csrf_token_and_a_sign_in(client: Client) -> None:
    user = await make_user(Role.contact)
    assert (await client.post("/profile/data/export", follow_redirects=False)).status_code in (303, 403)
    await sign_in(client, user.email)
    assert (await client.post("/profile/data/export")).status_code == 403


async def test_a_wrong_password_changes_nothing(client: Client) -> None:
    user = await make_user(Role.contact)
    await sign_in(client, user.email)
    before = await User.select().where(User.id == user.id).first()

    response = await delete_account(client, password="not my password")

    assert response.status_code == 422
    assert "That is not your password." in response.text
    assert 'aria-invalid="true"' in response.text
    assert await User.select().where(User.id == user.id).first() == before
    assert await is_signed_in(client)
    assert not await AuditEvent.exists().where(AuditEvent.kind == AuditKind.account_erased.value)


async def test_deleting_anonymises_me_and_signs_out_every_browser(client: Client, app: Litestar) -> None:
    account = await make_account()
    user = await make_user(Role.contact, email="maria@example.com", name="Maria Papadopoulou", account_id=account.id)
    await ExternalIdentity.insert(
        ExternalIdentity(user=user.id, provider="google", issuer="https://accounts.google.com", subject="s1")
    )
    await RecoveryCode.insert(RecoveryCode(user=user.id, code_hash="x"))
    await tokens.issue(Purpose.verify_email, user_id=user.id, ttl=timedelta(hours=1))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as other_browser:
        await sign_in(other_browser, user.email)
        await sign_in(client, user.email)
        assert await is_signed_in(other_browser)

        response = await delete_account(client, password=PASSWORD)

        assert response.status_code == 303
        assert response.headers["location"] == "/profile/data/deleted"
        confirmation = await client.get("/profile/data/deleted")
        assert "Your account has been deleted" in confirmation.text
        assert not await is_signed_in(client)
        assert not await is_signed_in(other_browser)

    row = await User.select().where(User.id == user.id).first()
    assert row is not None
    assert (row["name"], row["email"], row["is_active"]) == ("Deleted user", f"deleted-{user.id}@invalid", False)
    assert row["password_hash"] is None
    assert row["account"] == account.id
    for table in (ExternalIdentity, RecoveryCode, OneTimeToken):
        assert not await table.exists().where(table.user == user.id)  # type: ignore[attr-defined]
    event = await AuditEvent.select().where(AuditEvent.kind == AuditKind.account_erased.value).first()
    assert event is not None
    assert event["subject"] == user.id
    recorded = json.dumps(event, default=str).lower()
    assert "maria" not in recorded
    assert "papadopoulou" not in recorded


async def test_a_deleted_user_cannot_sign_in(client: Client) -> None:
    user = await make_user(Role.contact)
    await sign_in(client, user.email)
    await delete_account(client, password=PASSWORD)

    response = await sign_in(client, user.email)

    assert response.status_code == 422
    assert not await is_signed_in(client)


async def test_without_a_password_the_confirmation_word_is_asked(client: Client) -> None:
    user = await make_user(Role.prospect)
    await sign_in(client, user.email)
    await User.update({User.password_hash: None}).where(User.id == user.id)  # as if signed up with a provider
    assert 'name="confirm"' in (await client.get("/profile/data")).text

    refused = await delete_account(client, confirm="yes")
    assert refused.status_code == 422
    assert "Type DELETE to confirm." in refused.text
    assert await is_signed_in(client)

    assert (await delete_account(client, confirm="delete")).status_code == 303
    assert not await is_signed_in(client)


async def test_staff_cannot_delete_themselves_here(client: Client) -> None:
    agent = await make_user(Role.agent)
    await sign_in(client, agent.email)
    page = (await client.get("/profile/data")).text
    assert "Ask an administrator to remove your account." in page
    assert 'action="/profile/data/delete"' not in page

    response = await delete_account(client, password=PASSWORD)

    assert response.status_code == 403
    assert "Ask an administrator to remove your account." in response.text
    row = await User.select(User.email, User.is_active).where(User.id == agent.id).first()
    assert row == {"email": agent.email, "is_active": True}
    assert await is_signed_in(client)


async def test_the_last_account_admin_is_warned_and_may_still_leave(client: Client) -> None:
    account = await make_account(name="Acme Hellas")
    admin = await make_user(Role.account_admin, account_id=account.id)
    await sign_in(client, admin.email)
    assert "You are the last administrator of Acme Hellas." in (await client.get("/profile/data")).text
    assert (await delete_account(client, password=PASSWORD)).status_code == 303
