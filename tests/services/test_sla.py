"""The SLA clock: which contract covers a case, due times, pauses, first response, breaches and warnings.

Opening, replying and changing cases go through the real case services; where a test needs a clock at a known
moment it restarts the case's clock there and drives it through `cases.set_status`, which takes the time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from portal.db.sla_tables import (
    BusinessCalendar,
    CalendarHoliday,
    CaseSla,
    Entitlement,
    SlaPolicy,
    SupportContract,
)
from portal.db.tables import Case, CaseStatus, CaseType, OutboxEvent, Priority, Role
from portal.services import case_actions, cases, contracts, sla
from portal.services.attachments import LocalAttachmentStore
from portal.services.case_actions import CaseChanges
from portal.services.cases import NewCase
from portal.services.mail import Mailer
from portal.services.registration import transaction
from portal.services.users import CurrentUser
from portal.settings import Settings
from tests.factories import make_account, make_user
from tests.sla_factories import make_calendar, make_contract, make_policy, make_product

ATHENS = ZoneInfo("Europe/Athens")


@pytest.fixture
def mailer(settings: Settings) -> Mailer:
    return Mailer(settings)


@pytest.fixture
def store(tmp_path: Path) -> LocalAttachmentStore:
    return LocalAttachmentStore(tmp_path / "attachments")


def question(**overrides: Any) -> NewCase:
    return NewCase(**({"type": CaseType.incident, "subject": "Server down", "description": "Since 9."} | overrides))


async def case_row(case_id: int) -> dict[str, Any]:
    row = await Case.select().where(Case.id == case_id).first()
    assert row is not None
    return row


async def clock_row(case_id: int) -> dict[str, Any]:
    row = await CaseSla.select().where(CaseSla.case == case_id).first()
    assert row is not None
    return row


async def topics(case_id: int) -> list[str]:
    rows = await OutboxEvent.select(OutboxEvent.topic).where(OutboxEvent.aggregate_id == str(case_id))
    return [row["topic"] for row in rows if row["topic"].startswith("case.sla")]


async def restart_clock(case_id: int, user: CurrentUser, at: datetime) -> None:
    """Start the case's clock again as if it had opened at `at`."""
    async with transaction():
        await CaseSla.delete().where(CaseSla.case == case_id)
        values = await sla.start_clock(
            case_id, account_id=user.account_id, requester_id=user.id, product_id=None, priority=Priority.normal, now=at
        )
        await Case.update(values | {Case.created_at: at}).where(Case.id == case_id)


async def move_to(case_id: int, status: CaseStatus, at: datetime) -> None:
    async with transaction():
        case = await case_row(case_id)
        values = await cases.set_status(case, status, None, at)
        await Case.update(values).where(Case.id == case_id)


# --- Coverage ---------------------------------------------------------------------------------------------------


async def test_the_contract_covering_contact_product_and_date_wins_else_the_default_flagged(
    migrated_database: str,
) -> None:
    account = await make_account()
    listed = await make_user(account_id=account.id)
    other = await make_user(account_id=account.id)
    printer, scanner = await make_product("printer"), await make_product("scanner")
    calendar = await make_calendar(always_open=True)
    default = await make_policy(None, default=True)
    gold = await make_policy(calendar)
    contract = await make_contract(
        account.id, gold, valid_until=date(2026, 12, 31), contacts=(listed.id,), products=(printer,)
    )
    during, after = datetime(2026, 6, 1, tzinfo=UTC), datetime(2027, 1, 1, 12, tzinfo=UTC)

    async def covers(user: CurrentUser, product: int | None, at: datetime) -> contracts.Coverage:
        return await contracts.coverage(account_id=user.account_id, requester_id=user.id, product_id=product, at=at)

    assert await covers(listed, printer, during) == contracts.Coverage(Entitlement.contract, contract, gold, calendar)
    assert await covers(listed, None, during) == contracts.Coverage(Entitlement.contract, contract, gold, calendar)
    assert await covers(other, printer, during) == contracts.Coverage(Entitlement.not_entitled, None, default, None)
    assert await covers(listed, scanner, during) == contracts.Coverage(
        Entitlement.product_not_covered, None, default, None
    )
    assert await covers(listed, printer, after) == contracts.Coverage(Entitlement.expired, None, default, None)
    assert Entitlement.expired.flagged
    assert not Entitlement.contract.flagged
    stranger = await make_user(account_id=(await make_account()).id)
    assert await covers(stranger, None, during) == contracts.Coverage(Entitlement.no_contract, None, default, None)
    await SlaPolicy.update({SlaPolicy.is_default: False}, force=True)
    assert await covers(stranger, None, during) == contracts.Coverage(Entitlement.no_contract)


# --- Through the case services ----------------------------------------------------------------------------------


async def test_a_new_case_is_due_by_its_contracts_targets(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    account = await make_account()
    contact = await make_user(account_id=account.id)
    await make_contract(account.id, await make_policy(await make_calendar(always_open=True)))

    ref = await cases.open_case(contact, question(priority=Priority.high), mailer=mailer, store=store)

    case = await case_row(ref.id)
    assert case["first_response_due_at"] == case["created_at"] + timedelta(minutes=30)
    assert case["resolution_due_at"] == case["created_at"] + timedelta(minutes=120)
    assert case["due_at"] == case["first_response_due_at"]
    assert (await clock_row(ref.id))["entitlement"] == Entitlement.contract


async def test_a_case_of_a_contact_the_contract_does_not_name_is_flagged_for_the_agent(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    account = await make_account()
    listed, other = await make_user(account_id=account.id), await make_user(account_id=account.id)
    await make_policy(await make_calendar(always_open=True), default=True, normal_first_response=480)
    await make_contract(account.id, await make_policy(None), contacts=(listed.id,))

    ref = await cases.open_case(other, question(), mailer=mailer, store=store)

    state = await sla.clock_state(ref.id)
    assert state is not None
    assert state.flagged
    assert (state.entitlement, state.contract_id) == (Entitlement.not_entitled, None)
    case = await case_row(ref.id)
    assert case["first_response_due_at"] == case["created_at"] + timedelta(minutes=480)  # the default policy


async def test_without_contract_or_default_policy_a_case_has_no_due_times(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    contact = await make_user(account_id=(await make_account()).id)
    ref = await cases.open_case(contact, question(), mailer=mailer, store=store)
    case = await case_row(ref.id)
    assert (case["first_response_due_at"], case["resolution_due_at"], case["due_at"]) == (None, None, None)
    assert (await clock_row(ref.id))["entitlement"] == Entitlement.no_contract


async def test_replies_and_statuses_move_the_queue_due_time(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    await make_policy(await make_calendar(always_open=True), default=True)
    contact = await make_user(account_id=(await make_account()).id)
    agent = await make_user(Role.agent)
    ref = await cases.open_case(contact, question(), mailer=mailer, store=store)
    opened = await case_row(ref.id)

    await cases.reply(agent, ref.id, "Looking at it.", mailer=mailer, store=store, internal=True)
    assert (await case_row(ref.id))["due_at"] == opened["first_response_due_at"]  # a note is no response

    await cases.reply(agent, ref.id, "Which model?", mailer=mailer, store=store, status=CaseStatus.waiting_on_customer)
    waiting = await case_row(ref.id)
    assert waiting["due_at"] is None  # the clock stands still while the customer answers
    assert (await clock_row(ref.id))["paused_since"] is not None

    await cases.reply(contact, ref.id, "The X200.", mailer=mailer, store=store)
    answered = await case_row(ref.id)
    assert answered["status"] == CaseStatus.open
    assert answered["due_at"] == answered["resolution_due_at"] >= opened["resolution_due_at"]
    assert (await clock_row(ref.id))["paused_since"] is None

    await case_actions.change(agent, ref.id, CaseChanges(priority=Priority.high), mailer=mailer)
    raised = await case_row(ref.id)
    assert raised["resolution_due_at"] < answered["resolution_due_at"]  # 120 minutes instead of 240
    assert raised["first_response_due_at"] == opened["first_response_due_at"]  # answered: it stays


async def test_a_pause_over_a_holiday_moves_the_due_time_by_business_minutes_only(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    calendar = await make_calendar(holidays=(date(2026, 4, 13),))  # Easter Monday
    await make_policy(calendar, default=True)
    contact = await make_user(account_id=(await make_account()).id)
    ref = await cases.open_case(contact, question(), mailer=mailer, store=store)
    await restart_clock(ref.id, contact, datetime(2026, 4, 10, 14, tzinfo=ATHENS))  # Friday 14:00
    assert (await case_row(ref.id))["resolution_due_at"] == datetime(2026, 4, 14, 10, tzinfo=ATHENS)

    await move_to(ref.id, CaseStatus.on_hold, datetime(2026, 4, 10, 14, 30, tzinfo=ATHENS))
    await move_to(ref.id, CaseStatus.open, datetime(2026, 4, 14, 10, tzinfo=ATHENS))

    case = await case_row(ref.id)
    clock = await clock_row(ref.id)
    assert clock["paused_minutes"] == 210  # Friday 14:30-17:00 and Tuesday 9-10; not the holiday
    assert case["first_response_due_at"] == datetime(2026, 4, 14, 10, 30, tzinfo=ATHENS)  # 60 + 210 minutes on
    assert case["resolution_due_at"] == datetime(2026, 4, 14, 13, 30, tzinfo=ATHENS)  # 240 + 210
    assert case["due_at"] == case["first_response_due_at"]
    assert clock["first_response_breached_at"] is None  # stopped before it was due


# --- Breaches and warnings ----------------------------------------------------------------------------------------


async def test_the_job_records_a_breach_once_dated_at_the_due_time_even_after_downtime(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    await make_policy(await make_calendar(), default=True)
    contact = await make_user(account_id=(await make_account()).id)
    late = await cases.open_case(contact, question(), mailer=mailer, store=store)
    paused = await cases.open_case(contact, question(), mailer=mailer, store=store)
    monday_9 = datetime(2026, 5, 4, 9, tzinfo=ATHENS)
    for ref in (late, paused):
        await restart_clock(ref.id, contact, monday_9)
    await move_to(paused.id, CaseStatus.waiting_on_customer, monday_9 + timedelta(minutes=30))

    days_later = datetime(2026, 5, 8, 12, tzinfo=ATHENS)  # the worker was down all week
    report = await sla.check_clocks(days_later)
    again = await sla.check_clocks(days_later + timedelta(hours=1))

    assert sorted(report.breaches) == [(late.id, sla.Clock.first_response), (late.id, sla.Clock.resolution)]
    assert again == sla.ClockReport(warnings=[], breaches=[])
    clock = await clock_row(late.id)
    assert clock["first_response_breached_at"] == monday_9 + timedelta(minutes=60)
    assert clock["resolution_breached_at"] == monday_9 + timedelta(minutes=240)
    assert await topics(late.id) == ["case.sla_breached", "case.sla_breached"]  # breached: no warning as well
    assert await topics(paused.id) == []  # waiting on the customer since before anything was due
    assert (await clock_row(paused.id))["first_response_breached_at"] is None


async def test_a_late_first_reply_or_resolution_is_a_breach_without_the_job(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    await make_policy(await make_calendar(always_open=True), default=True)
    contact = await make_user(account_id=(await make_account()).id)
    ref = await cases.open_case(contact, question(), mailer=mailer, store=store)
    start = datetime(2026, 5, 4, 9, tzinfo=UTC)
    await restart_clock(ref.id, contact, start)

    async with transaction():
        await sla.first_responded(await case_row(ref.id), start + timedelta(minutes=61))
    await move_to(ref.id, CaseStatus.resolved, start + timedelta(minutes=200))  # within 240: no breach

    clock = await clock_row(ref.id)
    assert clock["first_response_breached_at"] == start + timedelta(minutes=60)
    assert clock["resolution_breached_at"] is None
    assert (await case_row(ref.id))["due_at"] is None
    assert (await sla.check_clocks(start + timedelta(days=3))).breaches == []  # resolved in time stays so


async def test_a_warning_goes_out_once_in_opening_hours_at_its_share_of_the_target(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    await make_policy(await make_calendar(), default=True, normal_first_response=480)
    contact = await make_user(account_id=(await make_account()).id)
    ref = await cases.open_case(contact, question(), mailer=mailer, store=store)
    await restart_clock(ref.id, contact, datetime(2026, 5, 8, 16, tzinfo=ATHENS))  # Friday 16:00

    warn_at = (await clock_row(ref.id))["first_response_warn_at"]
    assert warn_at == datetime(2026, 5, 11, 14, tzinfo=ATHENS)  # 360 of 480 minutes: Monday, not Saturday night
    assert (await sla.check_clocks(datetime(2026, 5, 9, 23, tzinfo=ATHENS))).warnings == []
    assert (await sla.check_clocks(warn_at)).warnings == [(ref.id, sla.Clock.first_response)]
    assert (await sla.check_clocks(warn_at + timedelta(minutes=5))).warnings == []
    assert await topics(ref.id) == ["case.sla_warning"]


async def test_the_demo_has_contracts_with_different_calendars_and_breached_cases(
    migrated_database: str, settings: Settings
) -> None:
    from portal.services import demo

    await demo.load(settings=settings)
    await demo.load(settings=settings)  # twice changes nothing

    zones = {row["time_zone"] for row in await BusinessCalendar.select(BusinessCalendar.time_zone)}
    assert zones == {"Europe/Athens", "America/New_York", "UTC"}
    assert await SupportContract.count() == 3
    assert await CaseSla.count().where(CaseSla.first_response_breached_at.is_not_null()) == 2
    entitlements = {row["entitlement"] for row in await CaseSla.select(CaseSla.entitlement)}
    assert Entitlement.contract in entitlements


async def test_a_calendar_that_never_opens_still_lets_cases_open(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    calendar = await make_calendar()
    first = datetime.now(UTC).date() - timedelta(days=7)
    await CalendarHoliday.insert(
        *[
            CalendarHoliday(calendar=calendar, day=first + timedelta(days=n), key=f"{calendar}:{n}")
            for n in range(4 * 366)
        ]
    )
    await make_policy(calendar, default=True)
    contact = await make_user(account_id=(await make_account()).id)

    ref = await cases.open_case(contact, question(), mailer=mailer, store=store)

    case = await case_row(ref.id)
    assert case["first_response_due_at"] == case["created_at"] + timedelta(minutes=60)  # counted round the clock


async def test_an_answer_while_the_case_was_on_hold_is_not_late(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    await make_policy(await make_calendar(always_open=True), default=True)
    contact = await make_user(account_id=(await make_account()).id)
    agent = await make_user(Role.agent)
    ref = await cases.open_case(contact, question(), mailer=mailer, store=store)
    now = datetime.now(UTC)
    await restart_clock(ref.id, contact, now - timedelta(minutes=120))  # first response due an hour ago...
    await move_to(ref.id, CaseStatus.on_hold, now - timedelta(minutes=110))  # ...but on hold since before that

    await cases.reply(agent, ref.id, "Back on it.", mailer=mailer, store=store, status=CaseStatus.open)

    clock = await clock_row(ref.id)
    case = await case_row(ref.id)
    assert clock["first_response_breached_at"] is None
    assert clock["paused_minutes"] >= 109
    assert case["due_at"] == case["resolution_due_at"] > now
    assert (await sla.check_clocks()).breaches == []
