"""The audit log of security events: append-only, readable by admins, and by each user for their own sign-ins."""

from __future__ import annotations

from dataclasses import dataclass
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
