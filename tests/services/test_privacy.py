from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from portal.db.tables import AuditEvent, ExternalIdentity, OneTimeToken, OutboundEmail, RecoveryCode, Role, User
from portal.services import privacy, tokens, users
from portal.services.audit import AuditKind, Origin
from portal.services.privacy import ErasureRefused, ExportRegistry
from portal.services.tokens import Purpose
from tests.factories import make_account, make_audit_event, make_user

ORIGIN = Origin(ip="203.0.113.9", user_agent="pytest")


async def add_identity(user_id: int, email: str) -> None:
    await ExternalIdentity.insert(
        ExternalIdentity(
            user=user_id, provider="google", issuer="https://accounts.google.com", subject=f"sub-{user_id}", email=email
        )
    )


async def add_email(to: str, subject: str, status: str = "sent") -> None:
    await OutboundEmail.insert(
        OutboundEmail(
            to_address=to,
            subject=subject,
            text_body=f"Hello {to}",
            html_body=f"<p>Hello {to}</p>",
            message_id=f"<{subject}-{to}@test>",
            status=status,
        )
    )


def unzip(content: bytes) -> dict[str, Any]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: json.loads(archive.read(name)) for name in archive.namelist()}


async def full_user(**overrides: Any) -> users.CurrentUser:
    """A customer with something in every place personal data lives."""
    user = await make_user(Role.contact, **overrides)
    await User.update(
        {
            User.phone: "+30 210 000 0000",
            User.company_name: "Acme Ltd",
            User.totp_secret: "encrypted-secret",
            User.totp_enabled_at: datetime.now(UTC),
            User.terms_version: "2026-11",
            User.terms_accepted_at: datetime(2026, 11, 1, tzinfo=UTC),
        }
    ).where(User.id == user.id)
    await add_identity(user.id, user.email)
    await RecoveryCode.insert(
        RecoveryCode(user=user.id, code_hash="hash-1"), RecoveryCode(user=user.id, code_hash="h2")
    )
    await tokens.issue(Purpose.reset_password, user_id=user.id, ttl=timedelta(hours=1), payload={"email": user.email})
    await add_email(user.email, "Welcome")
    await add_email(user.email, "Still queued", status="pending")
    await make_audit_event(AuditKind.sign_in, subject_id=user.id, actor_id=user.id, origin=ORIGIN)
    return user


async def test_the_archive_holds_the_users_own_data_and_nobody_elses(migrated_database: str) -> None:
    user = await full_user(email="maria@example.com", name="Maria Papadopoulou")
    other = await full_user(email="nikos@example.com", name="Nikos Other")
    await make_audit_event(AuditKind.role_changed, actor_id=user.id, subject_id=other.id)  # about Nikos

    files = unzip(await privacy.export_archive(user, origin=ORIGIN))

    assert {"profile.json", "consents.json", "external_identities.json", "audit_log.json", "emails.json"} <= set(files)
    assert files["profile.json"]["email"] == "maria@example.com"
    assert files["profile.json"]["phone"] == "+30 210 000 0000"
    assert files["consents.json"] == [
        {"what": "terms", "version": "2026-11", "accepted_at": "2026-11-01T00:00:00+00:00"}
    ]
    assert [event["event"] for event in files["audit_log.json"]] == ["sign_in"]
    assert {email["subject"] for email in files["emails.json"]} == {"Welcome", "Still queued"}
    everything = json.dumps(files)
    assert "nikos" not in everything.lower()
    assert "role_changed" not in everything


async def test_identities_and_profile_are_exported_without_secrets(migrated_database: str) -> None:
    user = await full_user()
    files = unzip(await privacy.ExportRegistry(privacy.export_sections.sections.copy()).archive(user))

    [identity] = files["external_identities.json"]
    assert set(identity) == {"provider", "issuer", "subject", "email", "created_at", "last_used_at"}
    assert identity["issuer"] == "https://accounts.google.com"
    everything = json.dumps(files)
    assert "encrypted-secret" not in everything
    assert "argon2" not in everything
    assert "hash-1" not in everything
    assert files["profile.json"]["two_factor_enabled"] is True


async def test_exporting_is_audited(migrated_database: str) -> None:
    user = await make_user(Role.contact)
    await privacy.export_archive(user, origin=ORIGIN)
    event = await AuditEvent.select().where(AuditEvent.kind == AuditKind.data_exported.value).first()
    assert event is not None
    assert (event["subject"], event["ip"]) == (user.id, "203.0.113.9")


async def test_a_feature_adds_its_section_without_touching_the_exporter(migrated_database: str) -> None:
    user = await make_user(Role.contact)

    @privacy.export_sections.section("orders")
    async def orders(who: users.CurrentUser) -> list[dict[str, Any]]:
        return [{"title": f"Order of {who.id}", "opened": datetime(2026, 1, 2, tzinfo=UTC)}]

    try:
        files = unzip(await privacy.export_archive(user, origin=ORIGIN))
    finally:
        privacy.export_sections.remove("orders")
    assert files["orders.json"] == [{"title": f"Order of {user.id}", "opened": "2026-01-02T00:00:00+00:00"}]
    assert "orders" not in privacy.export_sections


def test_section_names_are_unique_file_names() -> None:
    registry = ExportRegistry()

    async def section(_: users.CurrentUser) -> None:
        return None

    registry.add("cases", section)
    with pytest.raises(ValueError, match="already"):
        registry.add("cases", section)
    with pytest.raises(ValueError, match="lower-case"):
        registry.add("../evil", section)


async def test_erasure_anonymises_the_person_and_keeps_everyone_else(migrated_database: str) -> None:
    account = await make_account()
    user = await full_user(email="maria@example.com", name="Maria Papadopoulou", account_id=account.id)
    other = await full_user()

    await privacy.erase_user(user.id, origin=ORIGIN)

    row = await User.select().where(User.id == user.id).first()
    assert row is not None
    assert row["name"] == "Deleted user"
    assert row["email"] == f"deleted-{user.id}@invalid"
    assert row["phone"] is row["company_name"] is row["password_hash"] is row["totp_secret"] is None
    assert row["is_active"] is False
    assert row["erased_at"] is not None
    assert row["session_epoch"] == user.session_epoch + 1
    assert row["account"] == account.id  # the company keeps its records, and their author
    for table in (ExternalIdentity, RecoveryCode, OneTimeToken):
        assert not await table.exists().where(table.user == user.id)  # type: ignore[attr-defined]
        assert await table.exists().where(table.user == other.id)  # type: ignore[attr-defined]
    emails = await OutboundEmail.select().where(OutboundEmail.to_address.is_in([user.email, row["email"]]))
    assert [(email["subject"], email["text_body"], email["to_address"]) for email in emails] == [
        ("Welcome", "", row["email"])
    ]
    assert await users.get_active(user.id) is None


async def test_the_erasure_record_says_what_happened_and_nothing_personal(migrated_database: str) -> None:
    user = await full_user(email="maria@example.com", name="Maria Papadopoulou")
    await privacy.erase_user(user.id, origin=ORIGIN)

    event = await AuditEvent.select().where(AuditEvent.kind == AuditKind.account_erased.value).first()
    assert event is not None
    assert (event["actor"], event["subject"]) == (user.id, user.id)
    text = json.dumps(event, default=str).lower()
    for personal in ("maria", "papadopoulou", "+30 210", "acme"):
        assert personal not in text


async def test_staff_cannot_erase_themselves(migrated_database: str) -> None:
    agent = await make_user(Role.agent)
    assert (await privacy.erasure_check(agent)).allowed is False
    with pytest.raises(ErasureRefused):
        await privacy.erase_user(agent.id, origin=ORIGIN)
    assert await users.get_active(agent.id) == agent


async def test_the_last_account_admin_may_leave_and_the_log_says_so(migrated_database: str) -> None:
    account = await make_account()
    admin = await make_user(Role.account_admin, account_id=account.id)
    contact = await make_user(Role.contact, account_id=account.id)
    assert (await privacy.erasure_check(admin)).last_account_admin is True
    assert (await privacy.erasure_check(contact)).last_account_admin is False

    await privacy.erase_user(admin.id, origin=ORIGIN)

    event = await AuditEvent.select().where(AuditEvent.kind == AuditKind.account_erased.value).first()
    assert event is not None
    details = json.loads(event["details"]) if isinstance(event["details"], str) else event["details"]
    assert details["account_left_without_admin"] is True
    assert event["account"] == account.id


async def test_a_user_without_a_password_confirms_differently(migrated_database: str) -> None:
    user = await make_user(Role.prospect, password=None)
    check = await privacy.erasure_check(user)
    assert check.has_password is False
    assert await privacy.password_matches(user.id, "") is False
