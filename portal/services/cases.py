"""Support cases: opening one, the conversation, and the rules every case action shares.

Each action is one write transaction holding the change, its timeline rows (`CaseChange`), its domain event
and its notification emails, so either all of it happens or none. Emails only queue here: the mailer sends
them after the commit and retries when SMTP is down, so a case action never fails because of email.

Closing and reopening live in `case_closing`; staff-only actions (field changes, merge, link, auto-close) in
`case_actions`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from portal.db.tables import (
    Case,
    CaseChange,
    CaseLink,
    CaseMessage,
    CaseStatus,
    CaseType,
    Category,
    MessageKind,
    Priority,
    Product,
)
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.plugins import outbox
from portal.plugins.events import CaseCreated, CaseReplied, CaseResolved, CaseStatusChanged
from portal.services import access, attachments, case_notifications, case_reads, sla
from portal.services.accounts import locking, typed_text, valid_id
from portal.services.attachments import AttachmentStore, CheckedFile
from portal.services.mail import Mailer
from portal.services.privacy import export_sections
from portal.services.registration import transaction  # commits, then wakes the mailer
from portal.services.users import CurrentUser

PRIORITY_RANK = {Priority.low: 0, Priority.normal: 1, Priority.high: 2, Priority.urgent: 3}
CUSTOMER_PRIORITIES = (Priority.low, Priority.normal, Priority.high)  # urgent comes with a contract
SUBJECT_MAX = 200
BODY_MAX = 20_000
NUMBER_PATTERN = re.compile(r"^[A-Z0-9-]{1,20}$")
REOPENED_BY_REPLY = (CaseStatus.waiting_on_customer, CaseStatus.resolved)


class CaseInputError(Exception):
    """What is wrong with a request, field by field, in the user's language: shown next to each field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


class CaseNotFound(LookupError):
    """No case by that id or number that this user may see: callers answer 404 either way."""


@dataclass(frozen=True)
class NewCase:
    type: CaseType
    subject: str
    description: str
    priority: Priority | None = None  # None: the default for this customer
    product_id: int | None = None
    category_id: int | None = None
    channel: str = "portal"


@dataclass(frozen=True)
class CaseRef:
    id: int
    number: str


def allowed_priorities(user: CurrentUser) -> tuple[Priority, ...]:
    """The priorities `user` may choose when opening a case. Staff choose any."""
    return tuple(Priority) if user.is_staff else CUSTOMER_PRIORITIES


def number_for(case_id: int, year: int) -> str:
    """`C-2026-000123`: taken from the row's id, so it needs no counter that concurrent writers fight over."""
    return f"C-{year}-{case_id:06d}"


async def visible_case(user: CurrentUser, *, case_id: int | None = None, number: str | None = None) -> dict[str, Any]:
    """The case row if `user` may see it, else `CaseNotFound`. Merged cases are still visible: they say where to."""
    query = Case.select()
    if case_id is not None:
        if not valid_id(case_id):
            raise CaseNotFound()
        query = query.where(Case.id == case_id)
    else:
        number = (number or "").strip().upper()
        if not NUMBER_PATTERN.match(number):
            raise CaseNotFound()  # also keeps NUL bytes, which PostgreSQL rejects outright, out of the query
        query = query.where(Case.number == number)
    row = await query.first()
    if row is None:
        raise CaseNotFound()
    scope = await access.case_scope(user)
    if not scope.allows(account_id=row["account"], user_id=row["requester"]):
        raise CaseNotFound()
    return row


async def locked_case(case_id: int) -> dict[str, Any]:
    row: dict[str, Any] | None = await locking(Case.select().where(Case.id == case_id)).first()
    if row is None:
        raise CaseNotFound()
    return row


async def record_change(case_id: int, actor_id: int | None, field: str, old: Any, new: Any) -> None:
    await CaseChange.insert(
        CaseChange(
            case=case_id,
            actor=actor_id,
            field=field,
            old_value=None if old is None else str(old)[:300],
            new_value=None if new is None else str(new)[:300],
        )
    )


async def set_status(case: dict[str, Any], new: CaseStatus, actor_id: int | None, now: datetime) -> dict[Any, Any]:
    """The columns a status change writes, with its timeline row and event; the caller runs the update."""
    old = CaseStatus(case["status"])
    values: dict[Any, Any] = {Case.status: new}
    if new == CaseStatus.resolved:
        values[Case.resolved_at] = now
    elif new == CaseStatus.closed:
        values[Case.closed_at] = now
        if case["resolved_at"] is None:
            values[Case.resolved_at] = now
    else:
        values[Case.resolved_at] = None
        values[Case.closed_at] = None
    await record_change(case["id"], actor_id, "status", old, new)
    await outbox.record(CaseStatusChanged(case_id=case["id"], old_status=old, new_status=new, actor_id=actor_id))
    if new == CaseStatus.resolved:
        await outbox.record(CaseResolved(case_id=case["id"], actor_id=actor_id))
    values |= await sla.status_changed(case, new, now)
    return values


# --- Opening -----------------------------------------------------------------------------------------------------


async def check_new_case(user: CurrentUser, new: NewCase) -> dict[str, str]:
    """Field errors of a new case the form or the API could not see by itself (choices that live in the database)."""
    errors: dict[str, str] = {}
    if not new.subject.strip():
        errors["subject"] = _("This field is required.")
    elif len(new.subject.strip()) > SUBJECT_MAX:
        errors["subject"] = _("Use at most %(count)d characters.") % {"count": SUBJECT_MAX}
    if not new.description.strip():
        errors["description"] = _("This field is required.")
    elif len(new.description) > BODY_MAX:
        errors["description"] = _("Use at most %(count)d characters.") % {"count": BODY_MAX}
    if new.priority is not None and new.priority not in allowed_priorities(user):
        errors["priority"] = _("Choose one of the priorities offered.")
    if new.product_id is not None:
        product = (
            await Product.select(Product.id)
            .where(
                (Product.id == new.product_id) & (Product.is_active == True)  # noqa: E712
            )
            .first()
            if valid_id(new.product_id)
            else None
        )
        if product is None:
            errors["product"] = _("Choose one of the products offered.")
    if new.category_id is not None:
        category = (
            await Category.select(Category.product)
            .where(
                (Category.id == new.category_id) & (Category.is_active == True)  # noqa: E712
            )
            .first()
            if valid_id(new.category_id)
            else None
        )
        if category is None or category["product"] not in (None, new.product_id):
            errors["category"] = _("Choose one of the categories offered.")
    return errors


async def open_case(
    user: CurrentUser,
    new: NewCase,
    files: Sequence[CheckedFile] = (),
    *,
    mailer: Mailer,
    store: AttachmentStore,
    follows: int | None = None,
) -> CaseRef:
    """Open a case for `user` (a customer, or staff opening one for themselves). `CaseInputError` if invalid."""
    errors = await check_new_case(user, new)
    if errors:
        raise CaseInputError(errors)
    priority = new.priority or Priority.normal
    now = datetime.now(UTC)
    async with transaction(mailer):
        inserted = await Case.insert(
            Case(
                number=f"pending-{uuid.uuid4().hex[:12]}",
                type=new.type,
                priority=priority,
                priority_rank=PRIORITY_RANK[priority],
                subject=typed_text(new.subject),
                description=typed_text(new.description),
                channel=new.channel,
                product=new.product_id,
                category=new.category_id,
                account=user.account_id,
                requester=user.id,
                follows=follows,
                created_at=now,
                updated_at=now,
                last_public_at=now,
            )
        ).returning(Case.id)
        case_id = inserted[0]["id"]
        number = number_for(case_id, now.year)
        clock = await sla.start_clock(
            case_id,
            account_id=user.account_id,
            requester_id=user.id,
            product_id=new.product_id,
            priority=priority,
            now=now,
        )
        await Case.update({Case.number: number} | clock).where(Case.id == case_id)
        if files:
            await attachments.attach(store, files, case_id=case_id, message_id=None, uploaded_by=user.id)
        await outbox.record(
            CaseCreated(
                case_id=case_id,
                number=number,
                requester_id=user.id,
                account_id=user.account_id,
                type=new.type,
                priority=priority,
                channel=new.channel,
            )
        )
        await case_reads.mark_seen(user.id, case_id)
        await case_notifications.case_received(mailer, case_id)
    return CaseRef(id=case_id, number=number)


# --- The conversation ----------------------------------------------------------------------------------------------


async def reply(
    user: CurrentUser,
    case_id: int,
    body: str,
    files: Sequence[CheckedFile] = (),
    *,
    mailer: Mailer,
    store: AttachmentStore,
    internal: bool = False,
    status: CaseStatus | None = None,
    via: str = "portal",
) -> int:
    """Add a message; returns its id. Staff may make it an internal note and set a status in the same step.

    A customer's reply reopens a case that waits on them or was resolved; a closed case takes no more replies
    (the customer reopens it, or, too late for that, opens a follow-up). Staff's first public reply is the
    first response the SLA clock measures.
    """
    text = typed_text(body)
    if not text and not files:
        raise CaseInputError({"body": _("Write a message or attach a file.")})
    if len(text) > BODY_MAX:
        raise CaseInputError({"body": _("Use at most %(count)d characters.") % {"count": BODY_MAX}})
    if (internal or status is not None) and not user.is_staff:
        raise CaseNotFound()  # customers never reach these controls; pretend nothing is there
    await visible_case(user, case_id=case_id)
    now = datetime.now(UTC)
    async with transaction(mailer):
        case = await locked_case(case_id)
        current = CaseStatus(case["status"])
        if current == CaseStatus.closed and not internal:
            raise CaseInputError({"body": _("This case is closed. Reopen it to reply.")})
        message_id: int = (
            await CaseMessage.insert(
                CaseMessage(
                    case=case_id,
                    author=user.id,
                    kind=MessageKind.internal if internal else MessageKind.public,
                    body=text,
                    via=via,
                    created_at=now,
                )
            ).returning(CaseMessage.id)
        )[0]["id"]
        if files:
            await attachments.attach(store, files, case_id=case_id, message_id=message_id, uploaded_by=user.id)
        values: dict[Any, Any] = {Case.updated_at: now}
        if not internal:
            values[Case.last_public_at] = now
            if user.is_staff and case["first_response_at"] is None:
                values[Case.first_response_at] = now
        new_status = status
        # A customer's answer puts the case back in the agent's court; an agent's first reply takes it on.
        reopens = current in REOPENED_BY_REPLY if not user.is_staff else current == CaseStatus.new
        if new_status is None and not internal and reopens:
            new_status = CaseStatus.open
        if new_status is not None and new_status != current:
            values |= await set_status(case, new_status, user.id, now)
        if not internal and user.is_staff and case["first_response_at"] is None:
            values |= await sla.first_responded(case, now)
        await Case.update(values).where(Case.id == case_id)
        await outbox.record(
            CaseReplied(
                case_id=case_id, message_id=message_id, author_id=user.id, by_staff=user.is_staff, internal=internal
            )
        )
        await case_reads.mark_seen(user.id, case_id)
        if not internal:
            if user.is_staff:
                await case_notifications.staff_replied(mailer, case_id, message_id)
            else:
                await case_notifications.customer_replied(mailer, case_id, message_id)
        if new_status == CaseStatus.resolved and new_status != current:
            await case_notifications.case_resolved(mailer, case_id)
    return message_id


async def link_cases(case_id: int, other_id: int, actor_id: int | None) -> bool:
    """Link two cases both ways (in the caller's transaction); False if they were linked already."""
    if case_id == other_id:
        return False
    existing = await CaseLink.exists().where(CaseLink.key == f"{case_id}:{other_id}")
    if existing:
        return False
    for one, other in ((case_id, other_id), (other_id, case_id)):
        await CaseLink.insert(CaseLink(case=one, other=other, created_by=actor_id, key=f"{one}:{other}"))
    return True


@export_sections.section("cases", _l("Your support cases"))
async def _export(user: CurrentUser) -> list[dict[str, Any]]:
    """The cases they opened, with the public conversation; internal notes are staff's, not their data."""
    rows = (
        await Case.select(
            Case.id, Case.number, Case.type, Case.status, Case.priority, Case.subject, Case.description, Case.created_at
        )
        .where(Case.requester == user.id)
        .order_by(Case.id)
    )
    for row in rows:
        row["messages"] = (
            await CaseMessage.select(CaseMessage.body, CaseMessage.created_at, CaseMessage.author.name)
            .where((CaseMessage.case == row.pop("id")) & (CaseMessage.kind == MessageKind.public))
            .order_by(CaseMessage.id)
        )
    return rows
