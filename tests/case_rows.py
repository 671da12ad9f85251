"""Cases and messages written straight to the tables, for tests of what reads them (emails, unread marks)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from portal.db.tables import Case, CaseMessage, MessageKind
from portal.services.users import CurrentUser

_numbers = itertools.count(1)


async def make_case(requester: CurrentUser, **overrides: Any) -> Case:
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "number": f"C-2026-{next(_numbers):06d}",
        "subject": "Printer offline",
        "description": "It stopped printing this morning.",
        "requester": requester.id,
        "account": requester.account_id,
        "created_at": now,
        "updated_at": now,
        "last_public_at": now,
    } | overrides
    case = Case(**values)
    await case.save()
    return case


async def add_message(
    case: Case, author: CurrentUser | None, body: str, kind: MessageKind = MessageKind.public, **overrides: Any
) -> int:
    message = CaseMessage(case=case.id, author=author.id if author else None, kind=kind.value, body=body, **overrides)
    await message.save()
    return int(message.id)
