"""REST API tokens: created by admins, shown once, stored as a hash, scoped, revocable, optionally expiring.

A token acts as a staff user (`acts_as`): what it writes is authored by that user and it sees what that user
sees. Deactivating the user, or taking away their staff role, stops the token at once.

The plaintext is `ptl_<prefix>_<secret>`. The prefix is stored in clear so that admins can recognise a token
in the list; the whole string is hashed (SHA-256 of 256 random bits needs no slow hash) and looked up by
that hash, so nothing secret is ever compared byte by byte.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from portal.db.tables import STAFF_ROLES, ApiToken, User
from portal.i18n import gettext as _
from portal.services import audit, users
from portal.services.accounts import valid_id
from portal.services.audit import AuditKind, Origin
from portal.services.users import CurrentUser

TOKEN_PREFIX = "ptl"  # noqa: S105  (how every token starts, not a secret)
NO_ORIGIN = Origin()
NAME_MAX = 100
# Writing `last_used_at` on every request would turn each read into a write; a minute is precise enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class Scope(StrEnum):
    cases_read = "cases:read"
    cases_write = "cases:write"


class TokenInputError(Exception):
    """What is wrong with a new token, field by field, in the admin's language."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class NewToken:
    name: str
    scopes: Sequence[Scope]
    acts_as_id: int
    expires_at: datetime | None = None


@dataclass(frozen=True)
class TokenRow:
    """A token as the admin list shows it (never its secret)."""

    id: int
    name: str
    prefix: str
    scopes: list[str]
    acts_as_name: str | None
    created_by_name: str | None
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def display_prefix(self) -> str:
        return f"{TOKEN_PREFIX}_{self.prefix}_…"

    def is_active(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True)
class Authenticated:
    """A valid token and the staff user it acts as."""

    token_id: int
    name: str
    scopes: frozenset[str]
    user: CurrentUser

    def allows(self, scope: Scope) -> bool:
        return scope.value in self.scopes


def digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _scopes(value: Any) -> list[str]:
    """JSON columns come back as text on some engines."""
    if isinstance(value, str):
        value = json.loads(value) if value else []
    return [str(scope) for scope in value] if isinstance(value, list) else []


async def agents() -> list[dict[str, Any]]:
    """The active staff a token may act as, by name."""
    return await (
        User.select(User.id, User.name, User.email)
        .where(User.role.is_in(list(STAFF_ROLES)) & (User.is_active == True))  # noqa: E712
        .order_by(User.name)
    )


async def _check(new: NewToken, now: datetime) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not new.name.strip():
        errors["name"] = _("This field is required.")
    elif len(new.name.strip()) > NAME_MAX:
        errors["name"] = _("Use at most %(count)d characters.") % {"count": NAME_MAX}
    if not new.scopes:
        errors["scopes"] = _("Choose at least one permission.")
    agent = await users.get_active(new.acts_as_id) if valid_id(new.acts_as_id) else None
    if agent is None or not agent.is_staff:
        errors["acts_as"] = _("Choose one of the agents offered.")
    if new.expires_at is not None and new.expires_at <= now:
        errors["expires_at"] = _("Choose a date in the future.")
    return errors


async def create(admin: CurrentUser, new: NewToken, *, origin: Origin = NO_ORIGIN) -> tuple[int, str]:
    """A new token for `new`; returns its id and the plaintext, which is never available again."""
    now = datetime.now(UTC)
    errors = await _check(new, now)
    if errors:
        raise TokenInputError(errors)
    prefix = secrets.token_hex(4)
    plaintext = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    scopes = sorted({scope.value for scope in new.scopes})
    rows = await ApiToken.insert(
        ApiToken(
            name=new.name.strip(),
            prefix=prefix,
            token_hash=digest(plaintext),
            scopes=scopes,
            created_by=admin.id,
            acts_as=new.acts_as_id,
            created_at=now,
            expires_at=new.expires_at,
        )
    ).returning(ApiToken.id)
    token_id = int(rows[0]["id"])
    await audit.record(
        AuditKind.api_token_created,
        origin=origin,
        actor_id=admin.id,
        subject_id=new.acts_as_id,
        token=new.name.strip(),
        prefix=prefix,
        scopes=scopes,
    )
    return token_id, plaintext


async def list_all() -> list[TokenRow]:
    """Every token, newest first, revoked ones included (they explain what stopped working)."""
    rows = await ApiToken.select(
        ApiToken.id,
        ApiToken.name,
        ApiToken.prefix,
        ApiToken.scopes,
        ApiToken.acts_as.name.as_alias("acts_as_name"),
        ApiToken.created_by.name.as_alias("created_by_name"),
        ApiToken.created_at,
        ApiToken.expires_at,
        ApiToken.last_used_at,
        ApiToken.revoked_at,
    ).order_by(ApiToken.id, ascending=False)
    return [
        TokenRow(
            id=row["id"],
            name=row["name"],
            prefix=row["prefix"],
            scopes=_scopes(row["scopes"]),
            acts_as_name=row["acts_as_name"],
            created_by_name=row["created_by_name"],
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            last_used_at=row["last_used_at"],
            revoked_at=row["revoked_at"],
        )
        for row in rows
    ]


async def revoke(admin: CurrentUser, token_id: int, *, origin: Origin = NO_ORIGIN) -> bool:
    """Revoke a token at once; False if there is no such token or it was revoked already."""
    if not valid_id(token_id):
        return False
    rows = await (
        ApiToken.update({ApiToken.revoked_at: datetime.now(UTC)})
        .where((ApiToken.id == token_id) & ApiToken.revoked_at.is_null())
        .returning(ApiToken.name, ApiToken.prefix, ApiToken.acts_as)
    )
    if not rows:
        return False
    await audit.record(
        AuditKind.api_token_revoked,
        origin=origin,
        actor_id=admin.id,
        subject_id=rows[0]["acts_as"],
        token=rows[0]["name"],
        prefix=rows[0]["prefix"],
    )
    return True


async def authenticate(plaintext: str, *, now: datetime | None = None) -> Authenticated | None:
    """The token and its user if `plaintext` is a valid, unrevoked, unexpired token of an active staff user."""
    if not plaintext.startswith(f"{TOKEN_PREFIX}_") or len(plaintext) > 200:
        return None
    now = now or datetime.now(UTC)
    row = await (
        ApiToken.select(
            ApiToken.id, ApiToken.name, ApiToken.scopes, ApiToken.acts_as, ApiToken.expires_at, ApiToken.last_used_at
        )
        .where((ApiToken.token_hash == digest(plaintext)) & ApiToken.revoked_at.is_null())
        .first()
    )
    if row is None or (row["expires_at"] is not None and row["expires_at"] <= now) or row["acts_as"] is None:
        return None
    user = await users.get_active(row["acts_as"])
    if user is None or not user.is_staff:
        return None
    if row["last_used_at"] is None or now - row["last_used_at"] >= LAST_USED_RESOLUTION:
        await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == row["id"])
    return Authenticated(token_id=row["id"], name=row["name"], scopes=frozenset(_scopes(row["scopes"])), user=user)
