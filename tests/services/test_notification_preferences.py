"""Email preferences: opting out per kind, only of what the user is offered, and in the data export."""

from __future__ import annotations

import asyncio

from portal.db.tables import Role, User
from portal.services import privacy
from portal.services.notification_preferences import opted_out, set_preferences
from portal.services.users import CurrentUser
from tests.factories import make_user


async def test_a_customers_choice_leaves_the_agent_emails_alone(migrated_database: str) -> None:
    user = await make_user(Role.contact)
    await set_preferences(user.id, {"case_received", "not_a_kind"})
    assert await opted_out(user.id) == {"staff_replied", "case_resolved", "case_merged"}

    await User.update({User.role: Role.agent.value}).where(User.id == user.id)  # promoted: agent emails start on
    await set_preferences(user.id, {"case_received", "staff_replied", "case_resolved", "case_merged"})
    assert await opted_out(user.id) == {"assigned_to_you", "customer_replied"}


async def test_saving_the_same_choice_twice_at_once_is_not_an_error(migrated_database: str) -> None:
    user = await make_user(Role.agent)
    await asyncio.gather(*[set_preferences(user.id, {"assigned_to_you"}) for _ in range(4)])
    assert await opted_out(user.id) == {
        "case_received",
        "staff_replied",
        "case_resolved",
        "case_merged",
        "customer_replied",
    }


async def test_the_data_export_lists_the_emails_declined(migrated_database: str) -> None:
    user: CurrentUser = await make_user(Role.contact)
    await set_preferences(user.id, {"case_received", "staff_replied"})
    data = await privacy.export_sections.collect(user)
    assert data["email_preferences"] == ["case_merged", "case_resolved"]
