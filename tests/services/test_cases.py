"""The case services without HTTP: opening, replying, closing, reopening, staff changes, merging, auto-closing."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from portal.db.tables import (
    Account,
    Attachment,
    Case,
    CaseChange,
    CaseLink,
    CaseMessage,
    CaseStatus,
    CaseType,
    Category,
    OutboundEmail,
    OutboxEvent,
    Priority,
    Product,
    Role,
    SharingMode,
)
from portal.services import case_actions, case_closing, cases
from portal.services.attachments import LocalAttachmentStore, Upload, check_uploads
from portal.services.case_actions import CaseChanges
from portal.services.cases import CaseInputError, CaseNotFound, NewCase
from portal.services.mail import Mailer
from portal.services.privacy import export_sections
from portal.services.users import CurrentUser
from portal.settings import CaseSettings, Settings
from tests.factories import make_account, make_user

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fe0dd0c2b30000000049454e44ae426082"
)


@pytest.fixture
def mailer(settings: Settings) -> Mailer:
    return Mailer(settings)


@pytest.fixture
def store(tmp_path: Path) -> LocalAttachmentStore:
    return LocalAttachmentStore(tmp_path / "attachments")


def question(subject: str = "Printer offline", **overrides: object) -> NewCase:
    values: dict[str, object] = {"type": CaseType.question, "subject": subject, "description": "It stopped."}
    return NewCase(**(values | overrides))  # type: ignore[arg-type]


async def customer(account: Account | None = None, role: Role = Role.contact, **kw: object) -> CurrentUser:
    account = account or await make_account()
    return await make_user(role, account_id=account.id, **kw)


async def topics(case_id: int) -> list[str]:
    rows = await OutboxEvent.select(OutboxEvent.topic).where(OutboxEvent.aggregate_id == str(case_id))
    return [row["topic"] for row in rows]


async def emails_to(address: str) -> list[str]:
    rows = await OutboundEmail.select(OutboundEmail.subject).where(OutboundEmail.to_address == address)
    return [row["subject"] for row in rows]


async def test_opening_a_case_numbers_it_records_the_event_and_emails_the_requester(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    user = await customer()
    files = check_uploads([Upload("screen.png", PNG)], CaseSettings())

    ref = await cases.open_case(user, question(), files, mailer=mailer, store=store)

    assert re.fullmatch(rf"C-{datetime.now(UTC).year}-\d{{6}}", ref.number)
    row = await Case.select().where(Case.id == ref.id).first()
    assert row is not None
    assert (row["status"], row["priority"], row["requester"], row["account"]) == (
        "new",
        "normal",
        user.id,
        user.account_id,
    )
    assert await topics(ref.id) == ["case.created"]
    assert any(ref.number in subject for subject in await emails_to(user.email))
    stored = await Attachment.select().where(Attachment.case == ref.id)
    assert [(a["filename"], a["content_type"], a["message"]) for a in stored] == [("screen.png", "image/png", None)]


async def test_cases_opened_at_once_get_distinct_numbers(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    user = await customer()
    refs = await asyncio.gather(
        *[cases.open_case(user, question(f"n{i}"), mailer=mailer, store=store) for i in range(12)]
    )
    assert len({ref.number for ref in refs}) == 12


@pytest.mark.parametrize(
    ("new", "field"),
    [
        (question(subject="   "), "subject"),
        (question(description=""), "description"),
        (question(priority=Priority.urgent), "priority"),
        (question(product_id=999_999), "product"),
        (question(category_id=2**40), "category"),
    ],
)
async def test_invalid_new_cases_say_which_field_and_save_nothing(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore, new: NewCase, field: str
) -> None:
    user = await customer()
    with pytest.raises(CaseInputError) as refused:
        await cases.open_case(user, new, mailer=mailer, store=store)
    assert field in refused.value.errors
    assert await Case.count() == 0
    assert await OutboxEvent.count() == 0


async def test_a_category_of_another_product_or_an_inactive_product_is_refused(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    pbx = (await Product.insert(Product(code="pbx", name_en="PBX", name_el="PBX")).returning(Product.id))[0]["id"]
    fibre = (await Product.insert(Product(code="fibre", name_en="Fibre", name_el="Ίνα")).returning(Product.id))[0]["id"]
    old = (
        await Product.insert(Product(code="old", name_en="Old", name_el="Παλιό", is_active=False)).returning(Product.id)
    )[0]["id"]
    pbx_only = (
        await Category.insert(Category(code="ext", name_en="Ext", name_el="Εσωτ", product=pbx)).returning(Category.id)
    )[0]["id"]
    user = await customer()
    with pytest.raises(CaseInputError) as refused:
        await cases.open_case(user, question(product_id=fibre, category_id=pbx_only), mailer=mailer, store=store)
    assert list(refused.value.errors) == ["category"]
    with pytest.raises(CaseInputError) as refused:
        await cases.open_case(user, question(product_id=old), mailer=mailer, store=store)
    assert list(refused.value.errors) == ["product"]
    ref = await cases.open_case(user, question(product_id=pbx, category_id=pbx_only), mailer=mailer, store=store)
    assert ref.number


async def test_staff_reply_is_the_first_response_and_a_customer_reply_reopens_a_waiting_case(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    user = await customer()
    agent = await make_user(Role.agent)
    ref = await cases.open_case(user, question(), mailer=mailer, store=store)

    await cases.reply(
        agent, ref.id, "Please restart it.", mailer=mailer, store=store, status=CaseStatus.waiting_on_customer
    )
    row = await Case.select().where(Case.id == ref.id).first()
    assert row is not None
    assert row["status"] == "waiting_on_customer"
    assert row["first_response_at"] is not None

    await cases.reply(user, ref.id, "Still offline.", mailer=mailer, store=store)
    assert (await Case.select(Case.status).where(Case.id == ref.id).first()) == {"status": "open"}
    changes = await CaseChange.select(CaseChange.old_value, CaseChange.new_value).where(CaseChange.case == ref.id)
    assert [(c["old_value"], c["new_value"]) for c in changes] == [
        ("new", "waiting_on_customer"),
        ("waiting_on_customer", "open"),
    ]
    assert (await topics(ref.id)).count("case.replied") == 2


async def test_internal_notes_are_staff_only_and_not_emailed(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    user = await customer()
    agent = await make_user(Role.agent)
    ref = await cases.open_case(user, question(), mailer=mailer, store=store)
    before = await emails_to(user.email)

    await cases.reply(agent, ref.id, "Customer is on the old firmware.", mailer=mailer, store=store, internal=True)

    assert await emails_to(user.email) == before
    with pytest.raises(CaseNotFound):
        await cases.reply(user, ref.id, "sneaky", mailer=mailer, store=store, internal=True)
    kinds = await CaseMessage.select(CaseMessage.kind).where(CaseMessage.case == ref.id)
    assert kinds == [{"kind": "internal"}]


async def test_a_customer_cannot_reply_to_another_accounts_case(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    owner = await customer()
    stranger = await customer()
    ref = await cases.open_case(owner, question(), mailer=mailer, store=store)
    with pytest.raises(CaseNotFound):
        await cases.reply(stranger, ref.id, "hello", mailer=mailer, store=store)
    with pytest.raises(CaseNotFound):
        await case_closing.close(stranger, ref.id, mailer=mailer)
    assert await CaseMessage.count() == 0


async def test_colleagues_see_each_others_cases_only_when_the_account_shares_them(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    shared = await make_account(sharing_mode=SharingMode.all_contacts)
    private = await make_account(sharing_mode=SharingMode.own)
    for account, visible in ((shared, True), (private, False)):
        author, colleague = await customer(account), await customer(account)
        ref = await cases.open_case(author, question(), mailer=mailer, store=store)
        if visible:
            assert (await cases.visible_case(colleague, case_id=ref.id))["id"] == ref.id
        else:
            with pytest.raises(CaseNotFound):
                await cases.visible_case(colleague, case_id=ref.id)


async def test_closing_with_a_comment_then_reopening_within_the_window_reopens_the_same_case(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    user = await customer()
    ref = await cases.open_case(user, question(), mailer=mailer, store=store)
    await case_closing.close(user, ref.id, "Solved it myself.", mailer=mailer)
    with pytest.raises(CaseInputError):
        await cases.reply(user, ref.id, "one more thing", mailer=mailer, store=store)

    again = await case_closing.reopen(user, ref.id, settings=CaseSettings(), mailer=mailer, store=store)

    assert again.id == ref.id
    assert (await Case.select(Case.status, Case.closed_at).where(Case.id == ref.id).first()) == {
        "status": "open",
        "closed_at": None,
    }
    assert [m["body"] for m in await CaseMessage.select(CaseMessage.body)] == ["Solved it myself."]


async def test_reopening_after_the_window_opens_a_linked_follow_up(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    user = await customer()
    ref = await cases.open_case(user, question(), mailer=mailer, store=store)
    long_ago = datetime.now(UTC) - timedelta(days=30)
    await Case.update({Case.status: "closed", Case.resolved_at: long_ago, Case.closed_at: long_ago}).where(
        Case.id == ref.id
    )

    follow_up = await case_closing.reopen(
        user, ref.id, settings=CaseSettings(reopen_days=14), mailer=mailer, store=store
    )

    assert follow_up.id != ref.id
    row = await Case.select().where(Case.id == follow_up.id).first()
    assert row is not None
    assert row["follows"] == ref.id
    assert ref.number in row["subject"]
    assert (await Case.select(Case.status).where(Case.id == ref.id).first()) == {"status": "closed"}
    links = await CaseLink.select(CaseLink.case, CaseLink.other)
    assert {(link["case"], link["other"]) for link in links} == {(ref.id, follow_up.id), (follow_up.id, ref.id)}


async def test_staff_changes_write_the_timeline_and_tell_the_new_assignee(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    user = await customer()
    agent = await make_user(Role.agent, name="Maria Papadopoulou")
    manager = await make_user(Role.manager, name="Nikos Georgiou")
    ref = await cases.open_case(user, question(), mailer=mailer, store=store)

    changed = await case_actions.change(
        manager,
        ref.id,
        CaseChanges(priority=Priority.high, assignee_id=agent.id, tags=["vip", "printer"], status=CaseStatus.open),
        mailer=mailer,
    )

    assert sorted(changed) == ["assignee", "priority", "status", "tags"]
    rows = await CaseChange.select(CaseChange.field, CaseChange.old_value, CaseChange.new_value, CaseChange.actor)
    assert {(r["field"], r["old_value"], r["new_value"], r["actor"]) for r in rows} == {
        ("status", "new", "open", manager.id),
        ("priority", "normal", "high", manager.id),
        ("assignee", None, "Maria Papadopoulou", manager.id),
        ("tags", None, "printer, vip", manager.id),
    }
    assert await emails_to(agent.email)
    assert "case.assigned" in await topics(ref.id)
    # Nothing new: no timeline rows, no events.
    assert await case_actions.change(manager, ref.id, CaseChanges(priority=Priority.high), mailer=mailer) == []


async def test_invalid_changes_are_refused_whole(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    user = await customer()
    agent = await make_user(Role.agent)
    ref = await cases.open_case(user, question(), mailer=mailer, store=store)
    with pytest.raises(CaseInputError) as refused:
        await case_actions.change(agent, ref.id, CaseChanges(priority=Priority.low, assignee_id=user.id), mailer=mailer)
    assert list(refused.value.errors) == ["assignee"]
    assert (await Case.select(Case.priority).where(Case.id == ref.id).first()) == {"priority": "normal"}
    assert await CaseChange.count() == 0
    with pytest.raises(CaseNotFound):
        await case_actions.change(user, ref.id, CaseChanges(priority=Priority.low), mailer=mailer)


async def test_merging_moves_the_conversation_and_tells_the_customer(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    user = await customer()
    agent = await make_user(Role.agent)
    original = await cases.open_case(user, question("Printer offline"), mailer=mailer, store=store)
    files = check_uploads([Upload("photo.png", PNG)], CaseSettings())
    duplicate = await cases.open_case(user, question("Printer still offline"), files, mailer=mailer, store=store)
    await cases.reply(user, duplicate.id, "Any news?", mailer=mailer, store=store)

    await case_actions.merge(agent, duplicate.id, original.number.lower(), mailer=mailer)

    source = await Case.select().where(Case.id == duplicate.id).first()
    assert source is not None
    assert (source["status"], source["merged_into"]) == ("closed", original.id)
    bodies = [m["body"] for m in await CaseMessage.select(CaseMessage.body).where(CaseMessage.case == original.id)]
    assert "Any news?" in bodies
    assert any("Printer still offline" in body for body in bodies)
    assert await Attachment.count().where(Attachment.case == original.id) == 1
    assert "case.merged" in await topics(duplicate.id)
    assert len(await emails_to(user.email)) == 3  # two "received", one "merged"


async def test_cases_of_different_customers_do_not_merge(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    agent = await make_user(Role.agent)
    mine = await cases.open_case(await customer(), question(), mailer=mailer, store=store)
    theirs = await cases.open_case(await customer(), question(), mailer=mailer, store=store)
    with pytest.raises(CaseInputError) as refused:
        await case_actions.merge(agent, mine.id, theirs.number, mailer=mailer)
    assert list(refused.value.errors) == ["into"]
    assert await CaseMessage.count() == 0
    with pytest.raises(CaseInputError):
        await case_actions.merge(agent, mine.id, "C-1999-000001", mailer=mailer)


async def test_resolved_cases_close_by_themselves_after_the_configured_days(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    user = await customer()
    agent = await make_user(Role.agent)
    old = await cases.open_case(user, question("old"), mailer=mailer, store=store)
    recent = await cases.open_case(user, question("recent"), mailer=mailer, store=store)
    for ref in (old, recent):
        await case_actions.change(agent, ref.id, CaseChanges(status=CaseStatus.resolved), mailer=mailer)
    await Case.update({Case.resolved_at: datetime.now(UTC) - timedelta(days=8)}).where(Case.id == old.id)

    assert await case_actions.close_resolved(CaseSettings(auto_close_days=7)) == 1

    statuses = {row["id"]: row["status"] for row in await Case.select(Case.id, Case.status)}
    assert statuses == {old.id: "closed", recent.id: "resolved"}
    assert "case.resolved" in await topics(old.id)


async def test_the_data_export_holds_their_cases_without_internal_notes(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    user = await customer()
    agent = await make_user(Role.agent)
    ref = await cases.open_case(user, question("Invoice wrong"), mailer=mailer, store=store)
    await cases.reply(agent, ref.id, "We will credit you.", mailer=mailer, store=store)
    await cases.reply(agent, ref.id, "Customer was overcharged twice.", mailer=mailer, store=store, internal=True)

    exported = (await export_sections.collect(user))["cases"]

    assert [(c["number"], c["subject"]) for c in exported] == [(ref.number, "Invoice wrong")]
    assert [m["body"] for m in exported[0]["messages"]] == ["We will credit you."]
