"""Single-use secrets for emailed links: only a hash is stored, each expires, and each works once."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from portal.db.tables import OneTimeToken


class Purpose(StrEnum):
    verify_email = "verify_email"
    reset_password = "reset_password"  # noqa: S105  (a purpose, not a password)
    change_email = "change_email"
    invitation = "invitation"
    link_identity = "link_identity"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue(purpose: Purpose, *, user_id: int | None, ttl: timedelta, payload: dict[str, Any] | None = None) -> str:
    """A new secret for a link. 256 random bits: it cannot be guessed, and the database never sees it."""
    token = secrets.token_urlsafe(32)
    await OneTimeToken.insert(
        OneTimeToken(
            purpose=purpose.value,
            token_hash=_digest(token),
            user=user_id,
            payload=payload or {},
            expires_at=datetime.now(UTC) + ttl,
        )
    )
    return token


async def redeem(purpose: Purpose, token: str) -> dict[str, Any] | None:
    """Use a token: its row (with `payload` parsed) if it is valid, unexpired and unused; None otherwise.

    The check and the marking happen in one UPDATE, so two clicks racing each other cannot both succeed.
    """
    now = datetime.now(UTC)
    rows = await (
        OneTimeToken.update({OneTimeToken.used_at: now})
        .where(
            (OneTimeToken.token_hash == _digest(token))
            & (OneTimeToken.purpose == purpose.value)
            & OneTimeToken.used_at.is_null()
            & (OneTimeToken.expires_at > now)
        )
        .returning(OneTimeToken.id, OneTimeToken.user, OneTimeToken.payload)
    )
    if not rows:
        return None
    row = dict(rows[0])
    if isinstance(row["payload"], str):  # JSON comes back as text on some engines
        import json

        row["payload"] = json.loads(row["payload"])
    return row


async def revoke(purpose: Purpose, *, user_id: int) -> None:
    """Void a user's outstanding tokens of one purpose (a newer link replaces older ones)."""
    await OneTimeToken.update({OneTimeToken.used_at: datetime.now(UTC)}).where(
        (OneTimeToken.user == user_id) & (OneTimeToken.purpose == purpose.value) & OneTimeToken.used_at.is_null()
    )


async def peek(purpose: Purpose, token: str) -> dict[str, Any] | None:
    """The token's row if it would redeem now, without using it (to show a form before the link is used)."""
    now = datetime.now(UTC)
    row: dict[str, Any] | None = (
        await OneTimeToken.select(OneTimeToken.id, OneTimeToken.user, OneTimeToken.payload)
        .where(
            (OneTimeToken.token_hash == _digest(token))
            & (OneTimeToken.purpose == purpose.value)
            & OneTimeToken.used_at.is_null()
            & (OneTimeToken.expires_at > now)
        )
        .first()
    )
    return row
