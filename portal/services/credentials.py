"""Passwords after sign-up: signing in (with a temporary lockout), resetting, changing; changing the email
address; signing out everywhere.

Signing in answers the same for an unknown address, a wrong password and a locked account; the owner of a
locked account learns about it by email.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from portal.db import engine as db_engine
from portal.db.tables import User
from portal.services import audit, tokens
from portal.services.audit import AuditKind, Origin
from portal.services.mail import Mailer
from portal.services.passwords import hash_password, needs_rehash, verify_password
from portal.services.registration import transaction
from portal.services.tokens import Purpose
from portal.services.users import CurrentUser, get_active, normalise_email
from portal.settings import Settings

RESET_PATH = "/password/reset/"
CONFIRM_EMAIL_PATH = "/email/confirm/"


async def _locked_row(user_id: int) -> dict[str, Any] | None:
    engine = db_engine.current()
    assert engine is not None
    row: dict[str, Any] | None = await db_engine.for_update(User.select().where(User.id == user_id), engine).first()
    return row


async def sign_in(
    email: str, password: str, *, settings: Settings, mailer: Mailer, origin: Origin
) -> CurrentUser | None:
    """The user these credentials belong to, or None; failures in a row lock the account for a while."""
    email = normalise_email(email)
    row = await User.select().where((User.email == email) & User.is_active.eq(True)).first()
    # The hash is checked even for an unknown address or a locked account, so all failures take as long.
    correct = verify_password(row["password_hash"] if row else None, password)
    now = datetime.now(UTC)
    if row is None:
        await audit.record(AuditKind.sign_in_failed, origin=origin, email=email[:254], reason="unknown")
        return None
    if row["locked_until"] is not None and row["locked_until"] > now:
        await audit.record(AuditKind.sign_in_failed, origin=origin, subject_id=row["id"], reason="locked")
        return None
    if not correct:
        await _count_failure(row["id"], settings=settings, mailer=mailer, origin=origin)
        return None
    changes: dict[Any, Any] = {User.last_login_at: now, User.failed_sign_ins: 0, User.locked_until: None}
    if needs_rehash(row["password_hash"]):
        changes[User.password_hash] = hash_password(password)
    await User.update(changes).where(User.id == row["id"])
    await audit.record(AuditKind.sign_in, origin=origin, actor_id=row["id"], subject_id=row["id"], method="password")
    return CurrentUser.from_row(row)


async def _count_failure(user_id: int, *, settings: Settings, mailer: Mailer, origin: Origin) -> None:
    async with transaction(mailer):
        row = await _locked_row(user_id)
        assert row is not None
        failures = row["failed_sign_ins"] + 1
        await audit.record(
            AuditKind.sign_in_failed, origin=origin, subject_id=user_id, reason="password", in_a_row=failures
        )
        if failures < settings.auth.lockout_after:
            await User.update({User.failed_sign_ins: failures}).where(User.id == user_id)
            return
        minutes = settings.auth.lockout_minutes
        until = datetime.now(UTC) + timedelta(minutes=minutes)
        await User.update({User.failed_sign_ins: 0, User.locked_until: until}).where(User.id == user_id)
        await audit.record(AuditKind.locked_out, origin=origin, subject_id=user_id, failures=failures, minutes=minutes)
        await mailer.send(
            "account_locked",
            to=row["email"],
            locale=row["locale"],
            context={
                "name": row["name"],
                "minutes": minutes,
                "failures": failures,
                "reset_link": f"{mailer.public_url}/password/forgot",
            },
        )


async def request_password_reset(email: str, *, settings: Settings, mailer: Mailer) -> None:
    """Email a reset link if the address has an account (older links stop working); nothing otherwise."""
    email = normalise_email(email)
    async with transaction(mailer):
        row = (
            await User.select(User.id, User.name, User.locale)
            .where((User.email == email) & User.is_active.eq(True))
            .first()
        )
        if row is None:
            return
        await tokens.revoke(Purpose.reset_password, user_id=row["id"])
        minutes = settings.auth.reset_password_minutes
        token = await tokens.issue(
            Purpose.reset_password, user_id=row["id"], ttl=timedelta(minutes=minutes), payload={"email": email}
        )
        await mailer.send(
            "reset_password",
            to=email,
            locale=row["locale"],
            context={"name": row["name"], "link": f"{mailer.public_url}{RESET_PATH}{token}", "minutes": minutes},
        )


async def reset_link_is_valid(token: str) -> bool:
    return await tokens.peek(Purpose.reset_password, token) is not None


async def reset_password(token: str, new_password: str, *, origin: Origin) -> bool:
    """Set a new password by a reset link: every session ends, the lockout lifts, the address counts as verified."""
    password_hash = hash_password(new_password)
    async with transaction():
        used = await tokens.redeem(Purpose.reset_password, token)
        if used is None or used["user"] is None:
            return False
        user_id: int = used["user"]
        row = await _locked_row(user_id)
        if row is None or row["email"] != used["payload"].get("email"):
            return False  # the address changed after the link was sent
        await User.update(
            {
                User.password_hash: password_hash,
                User.session_epoch: row["session_epoch"] + 1,
                User.failed_sign_ins: 0,
                User.locked_until: None,
                User.email_verified_at: row["email_verified_at"] or datetime.now(UTC),
            }
        ).where(User.id == user_id)
        await audit.record(AuditKind.password_reset, origin=origin, actor_id=user_id, subject_id=user_id)
        return True


async def change_password(user_id: int, current: str, new: str, *, origin: Origin) -> CurrentUser | None:
    """Replace the password; every session's epoch is passed, so the caller starts a new session for this one.

    None when `current` is not the user's password.
    """
    row = await User.select(User.password_hash).where(User.id == user_id).first()
    if row is None or not verify_password(row["password_hash"], current):
        return None
    password_hash = hash_password(new)
    async with transaction():
        await User.update({User.password_hash: password_hash, User.session_epoch: User.session_epoch + 1}).where(
            User.id == user_id
        )
        await audit.record(AuditKind.password_changed, origin=origin, actor_id=user_id, subject_id=user_id)
    return await get_active(user_id)


async def check_password(user_id: int, password: str) -> bool:
    row = await User.select(User.password_hash).where(User.id == user_id).first()
    return verify_password(row["password_hash"] if row else None, password)


async def request_email_change(user: CurrentUser, new_email: str, *, settings: Settings, mailer: Mailer) -> None:
    """Email a confirmation link to the new address; the address changes only when that link is opened."""
    new_email = normalise_email(new_email)
    hours = settings.auth.verify_email_hours
    async with transaction(mailer):
        await tokens.revoke(Purpose.change_email, user_id=user.id)
        token = await tokens.issue(
            Purpose.change_email, user_id=user.id, ttl=timedelta(hours=hours), payload={"email": new_email}
        )
        await mailer.send(
            "confirm_new_email",
            to=new_email,
            locale=user.locale,
            context={
                "name": user.name,
                "new_email": new_email,
                "link": f"{mailer.public_url}{CONFIRM_EMAIL_PATH}{token}",
                "hours": hours,
            },
        )


class EmailChangeRefused(ValueError):
    """The link is used, expired or unknown, or the new address belongs to someone else now."""


async def confirm_email_change(token: str, *, mailer: Mailer, origin: Origin) -> int:
    """Switch to the new address (verified by this very link) and tell the old one; the user's id."""
    async with transaction(mailer):
        used = await tokens.redeem(Purpose.change_email, token)
        if used is None or used["user"] is None:
            raise EmailChangeRefused("link")
        user_id: int = used["user"]
        new_email: str = used["payload"]["email"]
        row = await _locked_row(user_id)
        if row is None or await User.exists().where((User.email == new_email) & (User.id != user_id)):
            raise EmailChangeRefused("taken")
        old_email = row["email"]
        await User.update({User.email: new_email, User.email_verified_at: datetime.now(UTC)}).where(User.id == user_id)
        # Links sent to the old address no longer fit the account.
        for purpose in (Purpose.reset_password, Purpose.verify_email):
            await tokens.revoke(purpose, user_id=user_id)
        await audit.record(
            AuditKind.email_changed, origin=origin, actor_id=user_id, subject_id=user_id, old=old_email, new=new_email
        )
        await mailer.send(
            "email_changed",
            to=old_email,
            locale=row["locale"],
            context={
                "name": row["name"],
                "new_email": new_email,
                "reset_link": f"{mailer.public_url}/password/forgot",
            },
        )
        return user_id


async def sign_out_everywhere(user_id: int, *, origin: Origin) -> None:
    async with transaction():
        await User.update({User.session_epoch: User.session_epoch + 1}).where(User.id == user_id)
        await audit.record(AuditKind.signed_out_everywhere, origin=origin, actor_id=user_id, subject_id=user_id)


async def record_sign_out(user_id: int, *, origin: Origin) -> None:
    await audit.record(AuditKind.sign_out, origin=origin, actor_id=user_id, subject_id=user_id)
