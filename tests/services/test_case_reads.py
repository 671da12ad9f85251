"""Unread cases: what counts as new for a user, per customer scope and per agent queue."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from portal.db.tables import Case, CaseStatus, CaseView, Role, SharingMode
from portal.services import case_reads
from portal.services.users import CurrentUser
from tests.case_rows import make_case
from tests.factories import make_account, make_user


async def customer(mode: SharingMode = SharingMode.own) -> CurrentUser:
    account = await make_account(sharing_mode=mode)
    return await make_user(Role.contact, account_id=account.id)


async def opened_an_hour_ago(requester: CurrentUser, **overrides: object) -> Case:
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    return await make_case(requester, created_at=an_hour_ago, last_public_at=an_hour_ago, **overrides)


async def touch(case: Case, minutes: int = -1) -> None:
    """Something public happened on the case, `minutes` from now (a minute ago unless told)."""
    at = datetime.now(UTC) + timedelta(minutes=minutes)
    await Case.update({Case.last_public_at: at}).where(Case.id == case.id)


async def test_a_case_is_unread_after_a_reply_until_the_user_opens_it(migrated_database: str) -> None:
    user = await customer()
    untouched, replied = await opened_an_hour_ago(user), await opened_an_hour_ago(user)
    await touch(replied)

    assert await case_reads.unread_case_ids(user.id, [untouched.id, replied.id]) == {replied.id}

    await case_reads.mark_seen(user.id, replied.id)
    assert await case_reads.unread_case_ids(user.id, [untouched.id, replied.id]) == set()

    await touch(replied, minutes=1)
    assert await case_reads.unread_case_ids(user.id, [replied.id]) == {replied.id}
    assert await case_reads.unread_case_ids(user.id, []) == set()


async def test_opening_a_case_at_once_in_many_tabs_keeps_one_mark(migrated_database: str) -> None:
    user = await customer()
    case = await opened_an_hour_ago(user)

    await asyncio.gather(*[case_reads.mark_seen(user.id, case.id) for _ in range(8)])
    await case_reads.mark_seen(user.id, case.id)

    assert await CaseView.count().where(CaseView.user == user.id) == 1


async def test_a_customer_counts_only_the_cases_they_may_see(migrated_database: str) -> None:
    private = await customer(SharingMode.own)
    colleague = await make_user(Role.contact, account_id=private.account_id)
    mine, theirs = await opened_an_hour_ago(private), await opened_an_hour_ago(colleague)
    await touch(mine)
    await touch(theirs)
    assert await case_reads.unread_count_for_customer(private) == 1

    shared = await customer(SharingMode.all_contacts)
    shared_colleague = await make_user(Role.contact, account_id=shared.account_id)
    await touch(await opened_an_hour_ago(shared_colleague))
    assert await case_reads.unread_count_for_customer(shared) == 1
    assert await case_reads.unread_count_for_customer(private) == 1  # another account's case is not theirs


async def test_an_agent_counts_open_cases_assigned_to_them_with_unseen_activity(migrated_database: str) -> None:
    agent = await make_user(Role.agent)
    requester = await customer()
    new_reply = await opened_an_hour_ago(requester, assignee=agent.id)
    seen = await opened_an_hour_ago(requester, assignee=agent.id)
    resolved = await opened_an_hour_ago(requester, assignee=agent.id, status=CaseStatus.resolved)
    someone_elses = await opened_an_hour_ago(requester)
    for case in (new_reply, seen, resolved, someone_elses):
        await touch(case)
    await case_reads.mark_seen(agent.id, seen.id)

    assert await case_reads.unread_count_for_agent(agent.id) == 1


async def test_the_counts_stop_one_past_the_cap(migrated_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(case_reads, "BADGE_CAP", 2)
    agent = await make_user(Role.agent)
    user = await customer()
    for _ in range(4):
        await touch(await opened_an_hour_ago(user, assignee=agent.id))

    assert await case_reads.unread_count_for_customer(user) == 3
    assert await case_reads.unread_count_for_agent(agent.id) == 3
