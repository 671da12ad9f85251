"""Closing and reopening, the customer's side of a case's end: close with a comment, reopen within
`reopen_days` of resolution, or, later, open a follow-up case linked to the old one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from portal.db.tables import Case, CaseMessage, CaseStatus, CaseType, MessageKind, User
from portal.i18n import gettext as _
from portal.plugins import outbox
from portal.plugins.events import CaseReplied
from portal.services import case_reads
from portal.services.attachment_store import AttachmentStore
from portal.services.cases import (
    BODY_MAX,
    CaseInputError,
    CaseRef,
    NewCase,
    link_cases,
    locked_case,
    open_case,
    set_status,
    visible_case,
)
from portal.services.mail import Mailer
from portal.services.registration import transaction
from portal.services.users import CurrentUser
from portal.settings import CaseSettings


def may_reopen_in_place(case: dict[str, Any], settings: CaseSettings, now: datetime) -> bool:
    """Within `reopen_days` of resolution the same case reopens; later a follow-up case opens instead."""
    resolved_at = case["resolved_at"] or case["closed_at"]
    return resolved_at is not None and now - resolved_at <= timedelta(days=settings.reopen_days)


async def close(user: CurrentUser, case_id: int, comment: str = "", *, mailer: Mailer) -> None:
    """The requester (or anyone who may see the case) closes it, optionally saying why."""
    if len(comment) > BODY_MAX:
        raise CaseInputError({"comment": _("Use at most %(count)d characters.") % {"count": BODY_MAX}})
    await visible_case(user, case_id=case_id)
    now = datetime.now(UTC)
    async with transaction(mailer):
        case = await locked_case(case_id)
        if case["status"] == CaseStatus.closed:
            return  # closing twice (a double click) is no error
        values: dict[Any, Any] = {Case.updated_at: now}
        if comment.strip():
            message_id = (
                await CaseMessage.insert(
                    CaseMessage(case=case_id, author=user.id, kind=MessageKind.public, body=comment.strip())
                ).returning(CaseMessage.id)
            )[0]["id"]
            values[Case.last_public_at] = now
            await outbox.record(
                CaseReplied(
                    case_id=case_id, message_id=message_id, author_id=user.id, by_staff=user.is_staff, internal=False
                )
            )
        values |= await set_status(case, CaseStatus.closed, user.id, now)
        await Case.update(values).where(Case.id == case_id)
        await case_reads.mark_seen(user.id, case_id)


async def reopen(
    user: CurrentUser, case_id: int, *, settings: CaseSettings, mailer: Mailer, store: AttachmentStore
) -> CaseRef:
    """Reopen a resolved or closed case; returns the case that is open now.

    Within `reopen_days` of resolution that is the same case. Later, a new case follows the old one and the two
    are linked, so the agent sees the history without the old case's SLA figures changing.
    """
    case = await visible_case(user, case_id=case_id)
    if case["merged_into"] is not None:
        raise CaseInputError({"__form__": _("This case was merged into another one; continue there.")})
    if CaseStatus(case["status"]).is_open:
        return CaseRef(id=case["id"], number=case["number"])
    now = datetime.now(UTC)
    if may_reopen_in_place(case, settings, now):
        async with transaction(mailer):
            locked = await locked_case(case_id)
            values = await set_status(locked, CaseStatus.open, user.id, now)
            await Case.update(values | {Case.updated_at: now}).where(Case.id == case_id)
        return CaseRef(id=case["id"], number=case["number"])
    follow_up = NewCase(
        type=CaseType(case["type"]),
        subject=_("Follow-up to %(number)s: %(subject)s") % {"number": case["number"], "subject": case["subject"]},
        description=_("Reopened after %(number)s was closed.") % {"number": case["number"]},
        priority=None,
        product_id=case["product"],
        category_id=case["category"],
    )
    requester = await _requester_as_current_user(case) if user.is_staff else user
    ref = await open_case(requester, follow_up, mailer=mailer, store=store, follows=case["id"])
    async with transaction():
        await link_cases(case["id"], ref.id, user.id)
    return ref


async def _requester_as_current_user(case: dict[str, Any]) -> CurrentUser:
    row = await User.select().where(User.id == case["requester"]).first()
    assert row is not None, "requester is a restricting foreign key"
    return CurrentUser.from_row(row)
