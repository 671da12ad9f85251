"""The audit log of security events: append-only, readable by admins, and by each user for their own sign-ins."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from portal.db.tables import AuditEvent


class AuditKind(StrEnum):
    sign_in = "sign_in"
    sign_in_failed = "sign_in_failed"
    sign_out = "sign_out"
    signed_out_everywhere = "signed_out_everywhere"
    locked_out = "locked_out"
    registered = "registered"
    email_verified = "email_verified"
    password_changed = "password_changed"  # noqa: S105  (an event name, not a password)
    password_reset = "password_reset"  # noqa: S105
    email_changed = "email_changed"
    two_factor_enabled = "two_factor_enabled"
    two_factor_disabled = "two_factor_disabled"
    provider_linked = "provider_linked"
    provider_unlinked = "provider_unlinked"
    role_changed = "role_changed"
    sharing_mode_changed = "sharing_mode_changed"
    invitation_sent = "invitation_sent"
    invitation_accepted = "invitation_accepted"
    contact_deactivated = "contact_deactivated"
    account_linked = "account_linked"
    data_exported = "data_exported"
    account_erased = "account_erased"
    api_token_created = "api_token_created"  # noqa: S105  (an event name, not a secret)
    api_token_revoked = "api_token_revoked"  # noqa: S105


@dataclass(frozen=True)
class Origin:
    """Where a request came from, as the audit log records it."""

    ip: str | None = None
    user_agent: str | None = None


async def record(
    kind: AuditKind,
    *,
    origin: Origin = Origin(),
    actor_id: int | None = None,
    subject_id: int | None = None,
    account_id: int | None = None,
    **details: Any,
) -> None:
    await AuditEvent.insert(
        AuditEvent(
            kind=kind.value,
            actor=actor_id,
            subject=subject_id,
            account=account_id,
            ip=origin.ip,
            user_agent=(origin.user_agent or "")[:300] or None,
            details=details,
        )
    )


@dataclass(frozen=True)
class AuditEntry:
    """One recorded event, as pages and exports show it."""

    id: int
    occurred_at: datetime
    kind: str
    ip: str | None
    user_agent: str | None
    details: dict[str, Any] = field(default_factory=dict)


def parse_details(value: Any) -> dict[str, Any]:
    """JSON columns come back as text on some engines."""
    if isinstance(value, str):
        value = json.loads(value) if value else {}
    return value if isinstance(value, dict) else {}


async def recent_sign_ins(user_id: int, limit: int = 10) -> list[AuditEntry]:
    """The user's latest sign-ins and failed attempts on their account, newest first."""
    rows = await (
        AuditEvent.select(
            AuditEvent.id,
            AuditEvent.occurred_at,
            AuditEvent.kind,
            AuditEvent.ip,
            AuditEvent.user_agent,
            AuditEvent.details,
        )
        .where(
            (AuditEvent.subject == user_id)
            & AuditEvent.kind.is_in([AuditKind.sign_in.value, AuditKind.sign_in_failed.value])
        )
        .order_by(AuditEvent.occurred_at, ascending=False)
        .order_by(AuditEvent.id, ascending=False)
        .limit(limit)
    )
    return [
        AuditEntry(
            id=row["id"],
            occurred_at=row["occurred_at"],
            kind=row["kind"],
            ip=row["ip"],
            user_agent=row["user_agent"],
            details=parse_details(row["details"]),
        )
        for row in rows
    ]
