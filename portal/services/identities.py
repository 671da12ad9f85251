"""Sign-ins through OAuth / OpenID Connect providers: who they belong to, creating and linking, unlinking.

An identity is the provider's (issuer, subject), never its email: emails change hands, and a provider that
lets anyone claim any address must not open someone else's account. So a first sign-in creates a user only
for an email the provider has verified and nobody here uses yet; an email that already has a user is linked
only after its owner proves it, by being signed in or by opening a link sent to that address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.querystring import QueryString

from portal.db import engine as db_engine
from portal.db.tables import ExternalIdentity, Role, User
from portal.services import tokens, users
from portal.services.audit import AuditKind, Origin, record
from portal.services.mail import Mailer
from portal.services.tokens import Purpose
from portal.services.users import CurrentUser

LINK_TTL = timedelta(hours=1)


@dataclass(frozen=True)
class ProviderIdentity:
    """What a provider vouched for, after its token was checked."""

    provider: str
    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name: str

    def payload(self) -> dict[str, Any]:
        return {"provider": self.provider, "issuer": self.issuer, "subject": self.subject, "email": self.email}


@dataclass(frozen=True)
class SignedIn:
    user: CurrentUser
    created: bool = False


@dataclass(frozen=True)
class ConfirmationSent:
    """The email belongs to a user who has not linked this provider: they were sent a link to prove it."""

    email: str


@dataclass(frozen=True)
class Refused:
    reason: str  # email_not_verified | inactive


class AlreadyLinkedElsewhere(Exception):
    """This provider identity signs in another user."""


class LastSignInMethod(Exception):
    """Unlinking would leave the user no way to sign in."""


class NotFound(Exception):
    """No such identity for this user."""


@dataclass(frozen=True)
class LinkedIdentity:
    id: int
    provider: str
    email: str | None
    created_at: datetime
    last_used_at: datetime | None


def _engine() -> db_engine.Engine:
    return ExternalIdentity._meta.db


async def _lock_identity(identity: ProviderIdentity) -> None:
    """Serialise work on one (issuer, subject) on PostgreSQL, so two racing first sign-ins make one row.

    SQLite needs nothing: `write_transaction` already holds its single write lock.
    """
    engine = _engine()
    if not db_engine.is_sqlite(engine):
        key = f"{identity.issuer}\n{identity.subject}"
        await engine.run_querystring(QueryString("SELECT pg_advisory_xact_lock(hashtextextended({}, 0))", key))


async def _owner_of(identity: ProviderIdentity) -> int | None:
    row = (
        await ExternalIdentity.select(ExternalIdentity.user)
        .where((ExternalIdentity.issuer == identity.issuer) & (ExternalIdentity.subject == identity.subject))
        .first()
    )
    return None if row is None else int(row["user"])


async def _insert(user_id: int, identity: ProviderIdentity, now: datetime) -> None:
    await ExternalIdentity.insert(
        ExternalIdentity(
            user=user_id,
            provider=identity.provider,
            issuer=identity.issuer,
            subject=identity.subject,
            email=identity.email,
            last_used_at=now,
        )
    )


async def _signed_in(user: CurrentUser, identity: ProviderIdentity, origin: Origin, now: datetime) -> None:
    await ExternalIdentity.update({ExternalIdentity.last_used_at: now}).where(
        (ExternalIdentity.issuer == identity.issuer) & (ExternalIdentity.subject == identity.subject)
    )
    await User.update({User.last_login_at: now}).where(User.id == user.id)
    await record(AuditKind.sign_in, origin=origin, actor_id=user.id, subject_id=user.id, method=identity.provider)


async def sign_in(
    identity: ProviderIdentity, *, label: str, origin: Origin, mailer: Mailer, locale: str
) -> SignedIn | ConfirmationSent | Refused:
    """Sign in with a checked provider identity: the linked user, a new user, or a link emailed to confirm."""
    now = datetime.now(UTC)
    async with db_engine.write_transaction(_engine()):
        await _lock_identity(identity)
        if (owner := await _owner_of(identity)) is not None:
            user = await users.get_active(owner)
            if user is None:
                return Refused("inactive")
            await _signed_in(user, identity, origin, now)
            return SignedIn(user)
        if not identity.email or not identity.email_verified:
            return Refused("email_not_verified")
        email = users.normalise_email(identity.email)
        existing = await User.select(User.id, User.name, User.locale).where(User.email == email).first()
        if existing is None:
            user = await _register(identity, email, locale, origin, now)
            await _signed_in(user, identity, origin, now)
            return SignedIn(user, created=True)
        await _send_link_confirmation(existing, email, identity, label, mailer)
        return ConfirmationSent(email)


async def _register(identity: ProviderIdentity, email: str, locale: str, origin: Origin, now: datetime) -> CurrentUser:
    name = identity.name.strip() or email.split("@")[0]
    created = await users.create_user(email=email, name=name, password=None, role=Role.prospect, locale=locale)
    await User.update({User.email_verified_at: now}).where(User.id == created.id)
    await _insert(created.id, identity, now)
    await record(
        AuditKind.registered, origin=origin, actor_id=created.id, subject_id=created.id, method=identity.provider
    )
    await record(
        AuditKind.provider_linked, origin=origin, actor_id=created.id, subject_id=created.id, method=identity.provider
    )
    user = await users.get_active(created.id)
    assert user is not None
    return user


async def _send_link_confirmation(
    user: dict[str, Any], email: str, identity: ProviderIdentity, label: str, mailer: Mailer
) -> None:
    await tokens.revoke(Purpose.link_identity, user_id=user["id"])  # only the newest link works
    token = await tokens.issue(Purpose.link_identity, user_id=user["id"], ttl=LINK_TTL, payload=identity.payload())
    await mailer.send(
        "link_identity",
        to=email,
        locale=user["locale"],
        context={
            "name": user["name"],
            "provider": label,
            "link": f"{mailer.public_url}/link-identity/{token}",
            "minutes": int(LINK_TTL.total_seconds() // 60),
        },
    )


async def confirm_link(token: str, *, origin: Origin) -> tuple[CurrentUser, str] | None:
    """Redeem an emailed link: link the identity to the address's owner; (them, provider), or None if not valid."""
    now = datetime.now(UTC)
    async with db_engine.write_transaction(_engine()):
        row = await tokens.redeem(Purpose.link_identity, token)
        if row is None or row["user"] is None:
            return None
        user = await users.get_active(row["user"])
        if user is None:
            return None
        payload = row["payload"]
        identity = ProviderIdentity(
            provider=payload["provider"],
            issuer=payload["issuer"],
            subject=payload["subject"],
            email=payload.get("email"),
            email_verified=True,
            name="",
        )
        try:
            await _link(user, identity, origin, now)
        except AlreadyLinkedElsewhere:  # someone linked it since the email went out
            return None
        await _signed_in(user, identity, origin, now)
        return user, identity.provider


async def link(user: CurrentUser, identity: ProviderIdentity, *, origin: Origin) -> bool:
    """Link a provider to a signed-in user. False if it was already theirs; AlreadyLinkedElsewhere if not."""
    async with db_engine.write_transaction(_engine()):
        return await _link(user, identity, origin, datetime.now(UTC))


async def _link(user: CurrentUser, identity: ProviderIdentity, origin: Origin, now: datetime) -> bool:
    await _lock_identity(identity)
    owner = await _owner_of(identity)
    if owner is not None:
        if owner != user.id:
            raise AlreadyLinkedElsewhere(identity.provider)
        return False
    await _insert(user.id, identity, now)
    await record(
        AuditKind.provider_linked, origin=origin, actor_id=user.id, subject_id=user.id, method=identity.provider
    )
    return True


async def linked_to(user_id: int) -> list[LinkedIdentity]:
    rows = (
        await ExternalIdentity.select(
            ExternalIdentity.id,
            ExternalIdentity.provider,
            ExternalIdentity.email,
            ExternalIdentity.created_at,
            ExternalIdentity.last_used_at,
        )
        .where(ExternalIdentity.user == user_id)
        .order_by(ExternalIdentity.created_at)
    )
    return [LinkedIdentity(**row) for row in rows]


async def has_password(user_id: int) -> bool:
    row = await User.select(User.password_hash).where(User.id == user_id).first()
    return bool(row and row["password_hash"])


async def unlink(user_id: int, identity_id: int, *, origin: Origin) -> str:
    """Remove one of the user's identities; returns its provider name. Never the last way to sign in."""
    engine = _engine()
    async with db_engine.write_transaction(engine):
        # Lock the user's row: two unlinks racing each other must not both see "one more is left".
        user = await db_engine.for_update(User.select(User.password_hash).where(User.id == user_id), engine).first()
        identities = await ExternalIdentity.select(ExternalIdentity.id, ExternalIdentity.provider).where(
            ExternalIdentity.user == user_id
        )
        target = next((row for row in identities if row["id"] == identity_id), None)
        if user is None or target is None:
            raise NotFound(identity_id)
        if not user["password_hash"] and len(identities) <= 1:
            raise LastSignInMethod(target["provider"])
        await ExternalIdentity.delete().where(ExternalIdentity.id == identity_id)
        await record(
            AuditKind.provider_unlinked, origin=origin, actor_id=user_id, subject_id=user_id, method=target["provider"]
        )
        return str(target["provider"])
