"""Case emails: who receives which, in their language, threaded per case; opt-outs, inactive users, privacy."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from portal.db.tables import (
    Account,
    MessageKind,
    OutboundEmail,
    Role,
    SharingMode,
    SupportTeam,
    TeamMembership,
    User,
)
from portal.services import case_notifications as notify
from portal.services.mail import Mailer
from portal.services.notification_preferences import set_preferences
from portal.services.users import CurrentUser
from portal.settings import Settings
from tests.case_rows import add_message, make_case
from tests.factories import make_account, make_user
from tests.mail import SmtpServer, body


@pytest.fixture
def mailer(settings: Settings) -> Mailer:
    return Mailer(settings)


async def customer(account: Account | None = None, **overrides: Any) -> CurrentUser:
    account = account or await make_account()
    return await make_user(Role.contact, account_id=account.id, **overrides)


async def queued(address: str) -> list[dict[str, Any]]:
    return await OutboundEmail.select().where(OutboundEmail.to_address == address).order_by(OutboundEmail.id)


async def test_the_customer_gets_a_threaded_multipart_email_in_their_language(
    migrated_database: str, mailer: Mailer, smtp: SmtpServer
) -> None:
    eleni = await customer(email="eleni@example.com", name="Ελένη Παππά", locale="el")
    agent = await make_user(Role.agent, name="Nikos Agent")
    case = await make_case(eleni, subject="Ο εκτυπωτής δεν τυπώνει")
    reply = await add_message(case, agent, "Please restart it.\nThen tell us.")

    await notify.case_received(mailer, case.id)
    await notify.staff_replied(mailer, case.id, reply)
    assert (await mailer.deliver_due()).sent == 2

    received, replied = smtp.wait_for("eleni@example.com", count=2)
    root = f"<case-{case.number}@testserver.local>"
    assert received["Subject"] == f"Λάβαμε το αίτημά σας {case.number}"
    assert received["Message-ID"] == root
    assert received["References"] is None
    link = f"http://testserver.local/cases/{case.number}"
    assert link in body(received, "plain")
    assert f'href="{link}"' in body(received, "html")
    assert "Ο εκτυπωτής δεν τυπώνει" in body(received, "html")
    assert '<html lang="el">' in body(received, "html")

    assert replied["References"] == root
    assert replied["In-Reply-To"] == root
    assert replied["Message-ID"] != root
    assert "Please restart it.\nThen tell us." in body(replied, "plain")
    assert "Please restart it." in body(replied, "html")


async def test_message_text_is_escaped_in_html_and_left_plain_in_text(migrated_database: str, mailer: Mailer) -> None:
    user = await customer(email="maria@example.com")
    case = await make_case(user, subject="Broken <b>bold</b>\nSubject: injected")
    reply = await add_message(case, await make_user(Role.agent), 'Try <script>alert("x")</script> & reboot')

    await notify.staff_replied(mailer, case.id, reply)

    [email] = await queued("maria@example.com")
    assert email["subject"] == f"New reply to your case {case.number}: Broken <b>bold</b> Subject: injected"
    assert '<script>alert("x")</script> & reboot' in email["text_body"]
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; reboot" in email["html_body"]
    assert "<script>" not in email["html_body"]
    assert "&lt;b&gt;bold&lt;/b&gt;" in email["html_body"]


async def test_internal_notes_are_never_emailed(migrated_database: str, mailer: Mailer) -> None:
    user = await customer(email="maria@example.com")
    agent = await make_user(Role.agent, email="agent@example.com")
    case = await make_case(user, assignee=agent.id)
    note = await add_message(case, await make_user(Role.agent), "Customer is difficult", MessageKind.internal)

    await notify.staff_replied(mailer, case.id, note)
    await notify.customer_replied(mailer, case.id, note)

    assert await OutboundEmail.count() == 0


async def test_a_message_of_another_case_is_not_sent_with_this_one(migrated_database: str, mailer: Mailer) -> None:
    user = await customer(email="maria@example.com")
    other = await make_case(await customer(), subject="Someone else's")
    foreign = await add_message(other, await make_user(Role.agent), "Someone else's reply")

    await notify.staff_replied(mailer, (await make_case(user)).id, foreign)

    assert await OutboundEmail.count() == 0


async def test_a_user_who_opted_out_of_a_kind_does_not_get_it_but_gets_the_others(
    migrated_database: str, mailer: Mailer
) -> None:
    user = await customer(email="maria@example.com")
    case = await make_case(user)
    await set_preferences(user.id, {"staff_replied", "case_resolved", "case_merged"})  # not case_received

    await notify.case_received(mailer, case.id)
    await notify.case_resolved(mailer, case.id)

    assert [email["subject"] for email in await queued("maria@example.com")] == [
        f"Your case {case.number} was resolved"
    ]


async def test_inactive_and_erased_users_get_nothing(migrated_database: str, mailer: Mailer) -> None:
    inactive = await customer(email="gone@example.com")
    erased = await customer(email="erased@example.com")
    await User.update({User.is_active: False}).where(User.id == inactive.id)
    await User.update({User.erased_at: datetime.now(UTC)}).where(User.id == erased.id)
    agent = await make_user(Role.agent, email="left@example.com")
    await User.update({User.is_active: False}).where(User.id == agent.id)

    for user in (inactive, erased):
        await notify.case_received(mailer, (await make_case(user)).id)
    await notify.assigned_to_you(mailer, (await make_case(inactive)).id, agent.id, None)

    assert await OutboundEmail.count() == 0


async def test_resolved_email_says_how_long_the_case_can_be_reopened(migrated_database: str, mailer: Mailer) -> None:
    user = await customer(email="maria@example.com")
    case = await make_case(user)

    await notify.case_resolved(mailer, case.id)

    [email] = await queued("maria@example.com")
    assert "within 14 days" in email["text_body"]
    assert f"http://testserver.local/cases/{case.number}" in email["text_body"]
    assert email["references"] == f"<case-{case.number}@testserver.local>"


async def test_merged_email_names_the_target_only_when_the_customer_may_see_it(
    migrated_database: str, mailer: Mailer
) -> None:
    account = await make_account(sharing_mode=SharingMode.own)
    maria = await customer(account, email="maria@example.com")
    colleague = await customer(account)
    own_duplicate, own_target = await make_case(maria), await make_case(maria)
    theirs = await make_case(colleague, subject="Colleague's private case")

    await notify.case_merged(mailer, own_duplicate.id, own_target.id)
    await notify.case_merged(mailer, (await make_case(maria)).id, theirs.id)

    visible, hidden = await queued("maria@example.com")
    assert visible["subject"] == f"Your case {own_duplicate.number} continues in case {own_target.number}"
    assert f"http://testserver.local/cases/{own_target.number}" in visible["text_body"]
    assert hidden["subject"].endswith("was closed as a duplicate")
    for part in ("subject", "text_body", "html_body"):
        assert theirs.number not in hidden[part]
        assert "Colleague's private case" not in hidden[part]


async def test_merged_email_names_a_colleagues_case_when_the_account_shares_cases(
    migrated_database: str, mailer: Mailer
) -> None:
    account = await make_account(sharing_mode=SharingMode.all_contacts)
    maria = await customer(account, email="maria@example.com")
    target = await make_case(await customer(account))

    await notify.case_merged(mailer, (await make_case(maria)).id, target.id)

    [email] = await queued("maria@example.com")
    assert target.number in email["subject"]


async def test_an_agent_hears_of_an_assignment_unless_they_took_the_case_themselves(
    migrated_database: str, mailer: Mailer
) -> None:
    agent = await make_user(Role.agent, email="agent@example.com", locale="el")
    manager = await make_user(Role.manager, name="Anna Manager")
    case = await make_case(await customer(name="Maria Customer"), assignee=agent.id)

    await notify.assigned_to_you(mailer, case.id, agent.id, agent.id)
    assert await OutboundEmail.count() == 0

    await notify.assigned_to_you(mailer, case.id, agent.id, manager.id)
    [email] = await queued("agent@example.com")
    assert f"http://testserver.local/backoffice/cases/{case.number}" in email["text_body"]
    assert "Anna Manager" in email["text_body"]
    assert "Maria Customer" in email["text_body"]


async def test_customer_reply_goes_to_the_assignee(migrated_database: str, mailer: Mailer) -> None:
    agent = await make_user(Role.agent, email="agent@example.com")
    other_agent = await make_user(Role.agent, email="other@example.com")
    team = await SupportTeam.objects().create(name="Printers")
    await TeamMembership.objects().create(team=team.id, user=other_agent.id, key=f"{team.id}:{other_agent.id}")
    maria = await customer(name="Maria Customer")
    case = await make_case(maria, assignee=agent.id, team=team.id)
    reply = await add_message(case, maria, "Still broken.")

    await notify.customer_replied(mailer, case.id, reply)

    [email] = await queued("agent@example.com")
    assert email["subject"] == f"Maria Customer replied on case {case.number}: Printer offline"
    assert "Still broken." in email["text_body"]
    assert await queued("other@example.com") == []


async def test_customer_reply_on_an_unassigned_case_goes_to_its_team(migrated_database: str, mailer: Mailer) -> None:
    members = [await make_user(Role.agent, email=f"member{n}@example.com") for n in range(2)]
    quiet = await make_user(Role.agent, email="quiet@example.com")
    team = await SupportTeam.objects().create(name="Printers")
    for member in [*members, quiet]:
        await TeamMembership.objects().create(team=team.id, user=member.id, key=f"{team.id}:{member.id}")
    await set_preferences(quiet.id, {"assigned_to_you"})  # not customer_replied
    maria = await customer()
    case = await make_case(maria, team=team.id)
    reply = await add_message(case, maria, "Any news?")

    await notify.customer_replied(mailer, case.id, reply)

    for member in members:
        [email] = await queued(member.email)
        assert "member of Printers" in email["text_body"]
    assert await queued("quiet@example.com") == []

    await notify.customer_replied(mailer, (await make_case(maria)).id, reply)  # no team, nobody assigned
    assert await OutboundEmail.count() == 2


async def test_sending_the_first_email_of_a_case_twice_does_not_fail(migrated_database: str, mailer: Mailer) -> None:
    user = await customer(email="maria@example.com")
    case = await make_case(user)

    await notify.case_received(mailer, case.id)
    await notify.case_received(mailer, case.id)

    first, second = await queued("maria@example.com")
    root = f"<case-{case.number}@testserver.local>"
    assert (first["message_id"], first["references"]) == (root, None)
    assert second["references"] == root
