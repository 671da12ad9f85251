"""One case as a page shows it: the case, its conversation with attachments, and for staff its timeline.

Customers get only what is theirs to see: public messages, attachments of public messages, and staff by first
name. The same loader serves both sides so the rule lives in one place.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from portal.db.tables import (
    Attachment,
    Case,
    CaseChange,
    CaseLink,
    CaseMessage,
    CaseStatus,
    MessageKind,
    Priority,
    Role,
)
from portal.services import access
from portal.services.case_actions import tags_of
from portal.services.case_closing import may_reopen_in_place
from portal.services.cases import visible_case
from portal.services.users import CurrentUser
from portal.settings import CaseSettings


@dataclass(frozen=True)
class Entry:
    """A message of the conversation (the case's description is the first one)."""

    id: int | None
    author: str
    by_staff: bool
    internal: bool
    body: str
    created_at: datetime
    attachments: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class CaseDetails:
    case: dict[str, Any]
    status: CaseStatus
    priority: Priority
    product: dict[str, Any] | None
    category: dict[str, Any] | None
    requester: dict[str, Any]
    account: dict[str, Any] | None
    assignee_first_name: str | None
    assignee_id: int | None
    team: dict[str, Any] | None
    conversation: list[Entry]
    tags: list[str]
    links: list[dict[str, Any]]
    merged_into: dict[str, Any] | None
    follows: dict[str, Any] | None
    timeline: list[dict[str, Any]]  # staff only; empty for customers
    may_reply: bool
    may_close: bool
    may_reopen: bool
    reopens_in_place: bool  # False: reopening opens a follow-up case


def _first_name(name: str | None) -> str:
    return (name or "").split()[0] if (name or "").strip() else ""


async def _one(table: Any, row_id: int | None, *columns: Any) -> dict[str, Any] | None:
    if row_id is None:
        return None
    return await table.select(*columns).where(table.id == row_id).first()  # type: ignore[no-any-return]


_RELATED = {
    "requester": (Case.requester, ("id", "name", "email", "locale", "role")),
    "assignee": (Case.assignee, ("id", "name")),
    "product": (Case.product, ("id", "code", "name_en", "name_el")),
    "category": (Case.category, ("id", "code", "name_en", "name_el")),
    "account": (Case.account, ("id", "name")),
    "team": (Case.team, ("id", "name")),
}


async def _related(case_id: int) -> dict[str, dict[str, Any] | None]:
    """The rows a case points at, each as `_one` would give it (None where the case has none), in one joined
    query instead of one query each."""
    row = (
        await Case.select(*(getattr(key, column) for key, columns in _RELATED.values() for column in columns))
        .where(Case.id == case_id)
        .first()
    )
    assert row is not None
    return {
        name: {column: row[f"{name}.{column}"] for column in columns} if row[f"{name}.id"] is not None else None
        for name, (_key, columns) in _RELATED.items()
    }


async def load(user: CurrentUser, number: str, settings: CaseSettings, *, now: datetime) -> CaseDetails:
    """The case numbered `number` as `user` may see it; `CaseNotFound` otherwise."""
    case = await visible_case(user, number=number)
    staff = user.is_staff
    messages = CaseMessage.select(
        CaseMessage.id,
        CaseMessage.kind,
        CaseMessage.body,
        CaseMessage.created_at,
        CaseMessage.author.name,
        CaseMessage.author.role,
    ).where(CaseMessage.case == case["id"])
    if not staff:
        messages = messages.where(CaseMessage.kind == MessageKind.public)
    message_rows = await messages.order_by(CaseMessage.created_at).order_by(CaseMessage.id)
    files = (
        await Attachment.select(
            Attachment.id, Attachment.message, Attachment.filename, Attachment.content_type, Attachment.size
        )
        .where(Attachment.case == case["id"])
        .order_by(Attachment.id)
    )
    by_message: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    visible_messages = {row["id"] for row in message_rows}
    for file in files:
        if file["message"] is None or file["message"] in visible_messages:
            by_message[file["message"]].append(file)
    related = await _related(case["id"])
    requester = related["requester"]
    assert requester is not None
    conversation = [
        Entry(
            id=None,
            author=requester["name"],
            by_staff=Role(requester["role"]).is_staff,
            internal=False,
            body=case["description"],
            created_at=case["created_at"],
            attachments=by_message[None],
        )
    ]
    for row in message_rows:
        author_role = row["author.role"]
        by_staff = author_role is not None and Role(author_role).is_staff
        name = row["author.name"] or ""
        conversation.append(
            Entry(
                id=row["id"],
                author=_first_name(name) if by_staff and not staff else name,
                by_staff=by_staff,
                internal=row["kind"] == MessageKind.internal,
                body=row["body"],
                created_at=row["created_at"],
                attachments=by_message[row["id"]],
            )
        )
    assignee = related["assignee"]
    links = await CaseLink.select(
        CaseLink.other.id,
        CaseLink.other.number,
        CaseLink.other.subject,
        CaseLink.other.account,
        CaseLink.other.requester,
    ).where(CaseLink.case == case["id"])
    if links and not staff:  # staff may link cases of different customers; a customer sees only links they may open
        scope = await access.case_scope(user)
        links = [row for row in links if scope.allows(account_id=row["other.account"], user_id=row["other.requester"])]
    timeline: list[dict[str, Any]] = []
    if staff:
        timeline = (
            await CaseChange.select(
                CaseChange.field,
                CaseChange.old_value,
                CaseChange.new_value,
                CaseChange.occurred_at,
                CaseChange.actor.name,
            )
            .where(CaseChange.case == case["id"])
            .order_by(CaseChange.occurred_at)
            .order_by(CaseChange.id)
        )
    status = CaseStatus(case["status"])
    merged_into = await _one(Case, case["merged_into"], Case.id, Case.number, Case.account, Case.requester)
    return CaseDetails(
        case=case,
        status=status,
        priority=Priority(case["priority"]),
        product=related["product"],
        category=related["category"],
        requester=requester,
        account=related["account"],
        assignee_first_name=_first_name(assignee["name"]) if assignee else None,
        assignee_id=case["assignee"],
        team=related["team"],
        conversation=conversation,
        tags=await tags_of(case["id"]),
        links=[{"id": r["other.id"], "number": r["other.number"], "subject": r["other.subject"]} for r in links],
        merged_into=merged_into,
        follows=await _one(Case, case["follows"], Case.id, Case.number),
        timeline=timeline,
        may_reply=status != CaseStatus.closed,
        may_close=status != CaseStatus.closed,
        may_reopen=not status.is_open and case["merged_into"] is None,
        reopens_in_place=may_reopen_in_place(case, settings, now),
    )
