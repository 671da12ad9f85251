"""Signing up with a password, and proving an email address by an emailed link.

Sign-up answers the same whether or not the address is taken: a new address gets a verification link, a taken
one gets an email telling its owner that someone tried to register with it. Nobody learns from the portal's
answer which addresses have accounts.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from portal.db import engine as db_engine
from portal.db.tables import Role, User
from portal.plugins import outbox
from portal.plugins.events import CustomerRegistered
from portal.services import audit, tokens
from portal.services.audit import AuditKind, Origin
from portal.services.email_domains import likely_account_id
from portal.services.mail import Mailer
from portal.services.passwords import hash_password
from portal.services.tokens import Purpose
from portal.services.users import normalise_email
from portal.settings import Settings

VERIFY_PATH = "/verify-email/"


@dataclass(frozen=True)
class SignUp:
    """What a person typed into the sign-up form, already validated."""

    name: str
    email: str
    password: str
    locale: str
    company: str | None = None
    phone: str | None = None


@contextlib.asynccontextmanager
async def transaction(mailer: Mailer | None = None) -> AsyncIterator[None]:
    """A write transaction on the bound database (see `db.engine.write_transaction`); with `mailer`, emails
    queued inside are delivered right after the commit (a delivery round woken before it would find none)."""
    engine = db_engine.current()
    assert engine is not None, "the database is bound by create_app"
    async with db_engine.write_transaction(engine):
        yield
    if mailer is not None:
        mailer.wakeup.set()


async def register(sign_up: SignUp, *, settings: Settings, mailer: Mailer, origin: Origin) -> None:
    """Create a prospect and email a verification link; for a taken address, email its owner instead."""
    email = normalise_email(sign_up.email)
    password_hash = hash_password(sign_up.password)  # before the check, so both answers take as long
    async with transaction(mailer):
        existing = await User.select(User.id, User.name, User.locale).where(User.email == email).first()
        if existing is not None:
            await mailer.send(
                "registration_attempt",
                to=email,
                locale=existing["locale"],
                context={
                    "name": existing["name"],
                    "login_link": f"{mailer.public_url}/login",
                    "reset_link": f"{mailer.public_url}/password/forgot",
                },
            )
            return
        now = datetime.now(UTC)
        likely = await likely_account_id(email)
        user = User(
            email=email,
            name=sign_up.name.strip(),
            password_hash=password_hash,
            role=Role.prospect.value,
            locale=sign_up.locale,
            company_name=(sign_up.company or "").strip() or None,
            phone=(sign_up.phone or "").strip() or None,
            likely_account=likely,
            terms_version=settings.auth.terms_version,
            terms_accepted_at=now,
        )
        await user.save()
        await audit.record(
            AuditKind.registered,
            origin=origin,
            actor_id=user.id,
            subject_id=user.id,
            likely_account=likely,
            terms_version=settings.auth.terms_version,
        )
        await outbox.record(CustomerRegistered(user_id=user.id, locale=user.locale, likely_account_id=likely))
        await send_verification(user.id, settings=settings, mailer=mailer)


async def send_verification(user_id: int, *, settings: Settings, mailer: Mailer) -> bool:
    """A new verification link (older ones stop working); False if the address is verified already."""
    async with transaction(mailer):
        query = User.select(User.email, User.name, User.locale, User.email_verified_at).where(User.id == user_id)
        row = await query.first()
        if row is None or row["email_verified_at"] is not None:
            return False
        await tokens.revoke(Purpose.verify_email, user_id=user_id)
        hours = settings.auth.verify_email_hours
        token = await tokens.issue(
            Purpose.verify_email, user_id=user_id, ttl=timedelta(hours=hours), payload={"email": row["email"]}
        )
        await mailer.send(
            "verify_email",
            to=row["email"],
            locale=row["locale"],
            context={"name": row["name"], "link": f"{mailer.public_url}{VERIFY_PATH}{token}", "hours": hours},
        )
        return True


async def verify_email(token: str, *, origin: Origin) -> int | None:
    """Mark the address verified; the user's id, or None for a used, expired, unknown or outdated link."""
    async with transaction():
        used = await tokens.redeem(Purpose.verify_email, token)
        if used is None or used["user"] is None:
            return None
        user_id: int = used["user"]
        email = used["payload"].get("email")
        changed = await (
            User.update({User.email_verified_at: datetime.now(UTC)})
            .where((User.id == user_id) & (User.email == email) & User.email_verified_at.is_null())
            .returning(User.id)
        )
        if not changed:
            return None  # the address changed since the link was sent, or it was verified another way
        await audit.record(AuditKind.email_verified, origin=origin, actor_id=user_id, subject_id=user_id, email=email)
        return user_id
