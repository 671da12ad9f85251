"""Emails about support cases, to the customer who asked and to the agents who answer.

The cases service calls these inside the transaction of the action that caused them, after writing its rows;
each reads what it needs by id and queues the email with `Mailer.send`, so the action commits whatever SMTP
does and delivery is retried later. A recipient who is inactive, erased or opted out of that kind gets nothing.

Every email of a case refers to one stable id, `<case-{number}@{domain}>`, which the first one ("we received
your case") carries as its own Message-ID: mail clients show the case as one conversation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from portal.db.tables import Case, CaseMessage, MessageKind, OutboundEmail, Role, SupportTeam, TeamMembership, User
from portal.services import access, users
from portal.services.mail import Mailer
from portal.services.notification_preferences import NotificationKind, wants

SUBJECT_LENGTH = 120  # of the case subject quoted in an email's subject, which must fit OutboundEmail.subject
NAME_LENGTH = 60


@dataclass(frozen=True, slots=True)
class Recipient:
    id: int
    email: str
    name: str
    locale: str
    is_staff: bool


def thread_id(mailer: Mailer, number: str) -> str:
    """The Message-ID every email about case `number` refers to."""
    return f"<case-{number}@{mailer.domain}>"


def customer_link(mailer: Mailer, number: str) -> str:
    return f"{mailer.public_url}/cases/{number}"


def staff_link(mailer: Mailer, number: str) -> str:
    return f"{mailer.public_url}/backoffice/cases/{number}"


def one_line(text: str, limit: int = SUBJECT_LENGTH) -> str:
    """Text typed by a user, safe to quote in a subject: no line breaks (they would end the header), bounded."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- To the customer -----------------------------------------------------------------------------------------


async def case_received(mailer: Mailer, case_id: int) -> None:
    """To the requester: we have their case, its number, and where to follow it. Starts the case's thread."""
    case = await _case(case_id)
    if case is None or (to := await _recipient(case["requester"], NotificationKind.case_received)) is None:
        return
    context = _case_context(case) | {"link": customer_link(mailer, case["number"])}
    await _send(mailer, "case_received", to, case, context, starts_thread=True)


async def staff_replied(mailer: Mailer, case_id: int, message_id: int) -> None:
    """To the requester: the text of a public reply. An internal note is never emailed, whoever asks."""
    case = await _case(case_id)
    message = await _message(case_id, message_id)
    if case is None or message is None or message["author"] == case["requester"]:
        return
    if (to := await _recipient(case["requester"], NotificationKind.staff_replied)) is None:
        return
    context = _case_context(case) | {"body": message["body"], "link": customer_link(mailer, case["number"])}
    await _send(mailer, "case_replied", to, case, context)


async def case_resolved(mailer: Mailer, case_id: int) -> None:
    """To the requester: resolved, and how to reopen it if it is not."""
    case = await _case(case_id)
    if case is None or (to := await _recipient(case["requester"], NotificationKind.case_resolved)) is None:
        return
    context = _case_context(case) | {
        "link": customer_link(mailer, case["number"]),
        "reopen_days": mailer.cases.reopen_days,
    }
    await _send(mailer, "case_resolved", to, case, context)


async def case_merged(mailer: Mailer, case_id: int, into_case_id: int) -> None:
    """To the merged case's requester: where it continues, if they may see that case; otherwise only that it
    was closed as a duplicate, because another customer's case number and subject are not theirs to know."""
    case, target = await _case(case_id), await _case(into_case_id)
    if case is None or target is None:
        return
    if (to := await _recipient(case["requester"], NotificationKind.case_merged)) is None:
        return
    requester = await users.get_active(to.id)
    scope = await access.case_scope(requester) if requester else None
    visible = scope is not None and scope.allows(account_id=target["account"], user_id=target["requester"])
    context = _case_context(case) | {
        "link": customer_link(mailer, case["number"]),
        "other_number": target["number"] if visible else None,
        "other_link": customer_link(mailer, target["number"]) if visible else None,
    }
    await _send(mailer, "case_merged", to, case, context)


# --- To agents -----------------------------------------------------------------------------------------------


async def assigned_to_you(mailer: Mailer, case_id: int, agent_id: int, actor_id: int | None) -> None:
    """To the agent a case was assigned to, unless they took it themselves."""
    if actor_id == agent_id:
        return
    case = await _case(case_id)
    to = await _recipient(agent_id, NotificationKind.assigned_to_you)
    if case is None or to is None or not to.is_staff:
        return
    context = _case_context(case) | {
        "actor": await _name_of(actor_id),
        "requester": await _name_of(case["requester"]),
        "link": staff_link(mailer, case["number"]),
    }
    await _send(mailer, "case_assigned", to, case, context)


async def customer_replied(mailer: Mailer, case_id: int, message_id: int) -> None:
    """To the assignee; when nobody is assigned, to every member of the case's team (none: nobody)."""
    case = await _case(case_id)
    message = await _message(case_id, message_id)
    if case is None or message is None:
        return
    team_name = None
    if case["assignee"] is not None:
        candidates: Iterable[int] = [case["assignee"]]
    elif case["team"] is not None:
        candidates = await _team_members(case["team"])
        team_name = await _team_name(case["team"])
    else:
        return
    context = _case_context(case) | {
        "author": one_line(message["author_name"], NAME_LENGTH) if message["author_name"] else None,
        "body": message["body"],
        "team": team_name,
        "link": staff_link(mailer, case["number"]),
    }
    for user_id in candidates:
        if user_id == message["author"]:
            continue
        to = await _recipient(user_id, NotificationKind.customer_replied)
        if to is not None and to.is_staff:
            await _send(mailer, "case_customer_replied", to, case, context)


# --- Reading and sending -------------------------------------------------------------------------------------


async def _case(case_id: int) -> dict[str, Any] | None:
    return await (
        Case.select(Case.id, Case.number, Case.subject, Case.requester, Case.assignee, Case.team, Case.account)
        .where(Case.id == case_id)
        .first()
    )


async def _message(case_id: int, message_id: int) -> dict[str, Any] | None:
    """A public message of this case; an internal note, or another case's message, is None."""
    return await (
        CaseMessage.select(
            CaseMessage.id, CaseMessage.body, CaseMessage.author, CaseMessage.author.name.as_alias("author_name")
        )
        .where(
            (CaseMessage.id == message_id)
            & (CaseMessage.case == case_id)
            & (CaseMessage.kind == MessageKind.public.value)
        )
        .first()
    )


async def _recipient(user_id: int | None, kind: NotificationKind) -> Recipient | None:
    if user_id is None:
        return None
    row = await (
        User.select(User.id, User.email, User.name, User.locale, User.role)
        .where((User.id == user_id) & User.is_active.eq(True) & User.erased_at.is_null())
        .first()
    )
    if row is None or not await wants(user_id, kind):
        return None
    return Recipient(
        id=row["id"],
        email=row["email"],
        name=one_line(row["name"], NAME_LENGTH),
        locale=row["locale"],
        is_staff=Role(row["role"]).is_staff,
    )


async def _name_of(user_id: int | None) -> str | None:
    if user_id is None:
        return None
    row = await User.select(User.name).where(User.id == user_id).first()
    return one_line(row["name"], NAME_LENGTH) if row else None


async def _team_members(team_id: int) -> list[int]:
    rows = await TeamMembership.select(TeamMembership.user).where(TeamMembership.team == team_id)
    return sorted(row["user"] for row in rows)


async def _team_name(team_id: int) -> str | None:
    row = await SupportTeam.select(SupportTeam.name).where(SupportTeam.id == team_id).first()
    return row["name"] if row else None


def _case_context(case: dict[str, Any]) -> dict[str, Any]:
    return {"number": case["number"], "case_subject": one_line(case["subject"])}  # `subject` is the email's own


async def _send(
    mailer: Mailer,
    template: str,
    to: Recipient,
    case: dict[str, Any],
    context: dict[str, Any],
    *,
    starts_thread: bool = False,
) -> None:
    root = thread_id(mailer, case["number"])
    context = context | {"name": to.name}
    # The thread's id is unique in the outbox: should the first email be sent twice (a retried action), the
    # second refers to it instead of failing the action that sent it.
    if starts_thread and not await OutboundEmail.exists().where(OutboundEmail.message_id == root):
        await mailer.send(template, to=to.email, locale=to.locale, context=context, message_id=root)
    else:
        await mailer.send(template, to=to.email, locale=to.locale, context=context, references=[root])
