"""Reading the email outbox: what was queued, what was sent, what is failing and why."""

from __future__ import annotations

from typing import Any

from portal.db.tables import OutboundEmail

PAGE_SIZE = 50
LISTED_COLUMNS = (
    OutboundEmail.id,
    OutboundEmail.to_address,
    OutboundEmail.subject,
    OutboundEmail.status,
    OutboundEmail.attempts,
    OutboundEmail.last_error,
    OutboundEmail.created_at,
    OutboundEmail.sent_at,
)


async def recent(*, to: str | None = None, limit: int = PAGE_SIZE) -> list[dict[str, Any]]:
    """The newest emails first, optionally only those to one address."""
    query = OutboundEmail.select(*LISTED_COLUMNS).order_by(OutboundEmail.id, ascending=False).limit(limit)
    if to:
        query = query.where(OutboundEmail.to_address == to.strip().lower())
    rows: list[dict[str, Any]] = await query
    return rows


async def one(email_id: int) -> dict[str, Any] | None:
    row: dict[str, Any] | None = await OutboundEmail.select().where(OutboundEmail.id == email_id).first()
    return row
