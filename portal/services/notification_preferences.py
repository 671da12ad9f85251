"""Which case emails a user receives. Everything is on by default; a `NotificationOptOut` row switches one off.

Customers are offered the emails about their own cases; staff also those about the cases they work. A kind a
user is not offered is never touched, so someone who becomes staff starts with every agent email on.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from portal.db import engine as db_engine
from portal.db.tables import NotificationOptOut, Role, User
from portal.i18n import lazy_gettext as _l
from portal.services.privacy import export_sections
from portal.services.users import CurrentUser


class NotificationKind(StrEnum):
    case_received = "case_received"
    staff_replied = "staff_replied"
    case_resolved = "case_resolved"
    case_merged = "case_merged"
    assigned_to_you = "assigned_to_you"
    customer_replied = "customer_replied"


CUSTOMER_KINDS = (
    NotificationKind.case_received,
    NotificationKind.staff_replied,
    NotificationKind.case_resolved,
    NotificationKind.case_merged,
)
AGENT_KINDS = (NotificationKind.assigned_to_you, NotificationKind.customer_replied)

LABELS: dict[NotificationKind, Any] = {
    NotificationKind.case_received: _l("We received a case you opened"),
    NotificationKind.staff_replied: _l("Support replied to your case"),
    NotificationKind.case_resolved: _l("Your case was resolved"),
    NotificationKind.case_merged: _l("Your case was merged into another"),
    NotificationKind.assigned_to_you: _l("A case was assigned to you"),
    NotificationKind.customer_replied: _l("A customer replied to a case you work on"),
}


def kinds_for(role: Role) -> tuple[NotificationKind, ...]:
    return CUSTOMER_KINDS + AGENT_KINDS if role.is_staff else CUSTOMER_KINDS


def opt_out_key(user_id: int, kind: str) -> str:
    return f"{user_id}:{kind}"


async def opted_out(user_id: int) -> set[str]:
    rows = await NotificationOptOut.select(NotificationOptOut.kind).where(NotificationOptOut.user == user_id)
    return {row["kind"] for row in rows}


async def wants(user_id: int, kind: NotificationKind) -> bool:
    return not await NotificationOptOut.exists().where(NotificationOptOut.key == opt_out_key(user_id, kind))


async def set_preferences(user_id: int, receive: set[str]) -> None:
    """Receive exactly the kinds in `receive` of those the user is offered; unknown names are ignored."""
    row = await User.select(User.role).where(User.id == user_id).first()
    if row is None:
        return
    offered = kinds_for(Role(row["role"]))
    declined = [kind for kind in offered if kind.value not in receive]
    engine = db_engine.current()
    assert engine is not None, "the database is bound by create_app"
    async with db_engine.write_transaction(engine):
        await NotificationOptOut.delete().where(
            (NotificationOptOut.user == user_id) & NotificationOptOut.kind.is_in([kind.value for kind in offered])
        )
        if declined:
            # DO NOTHING: a second tab saving the same choice at the same moment is not an error.
            await NotificationOptOut.insert(
                *[
                    NotificationOptOut(user=user_id, kind=kind.value, key=opt_out_key(user_id, kind))
                    for kind in declined
                ]
            ).on_conflict(target=NotificationOptOut.key, action="DO NOTHING")


@export_sections.section("email_preferences", _l("The emails you chose not to receive"))
async def _export(user: CurrentUser) -> list[str]:
    return sorted(await opted_out(user.id))
