"""The staff queue without HTTP: views and their counts, every filter, the sorts, keyset pages, saved filters."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from portal.db.sla_tables import CaseSla
from portal.db.tables import Case, CaseStatus, CaseType, Category, Priority, Product, Role
from portal.services import case_queue
from portal.services.case_queue import QueueQuery
from portal.services.queue_clock import TimeLeft
from portal.services.refusals import FieldRefused
from portal.services.users import CurrentUser
from tests.factories import make_user
from tests.web.desk_helpers import NOW, make_case, make_customer, make_team

pytestmark = pytest.mark.usefixtures("migrated_database")


async def numbers(user: CurrentUser, page_size: int = 50, **params: Any) -> list[str]:
    page = await case_queue.queue_page(user, QueueQuery.from_params(params), page_size)
    return [row["number"] for row in page.rows]


async def test_views_hold_mine_unassigned_my_teams_and_all_cases_still_being_worked() -> None:
    me, colleague = await make_user(Role.agent), await make_user(Role.agent)
    team = await make_team(me)
    customer = await make_customer()
    mine = await make_case(customer, assignee=me.id, status=CaseStatus.open)
    unassigned = await make_case(customer)
    teams = await make_case(customer, team=team, assignee=colleague.id, status=CaseStatus.on_hold)
    others = await make_case(customer, assignee=colleague.id, status=CaseStatus.waiting_on_customer)
    await make_case(customer, assignee=me.id, status=CaseStatus.resolved)
    await make_case(customer, status=CaseStatus.closed)

    assert await numbers(me, view="mine") == [mine["number"]]
    assert await numbers(me) == [mine["number"]]  # "mine" is the default view
    assert await numbers(me, view="unassigned") == [unassigned["number"]]
    assert await numbers(me, view="team") == [teams["number"]]
    assert await numbers(colleague, view="team") == []  # in no team
    assert sorted(await numbers(me, view="all")) == sorted(c["number"] for c in (mine, unassigned, teams, others))
    assert await case_queue.queue_counts(me) == {"mine": 1, "unassigned": 1, "team": 1, "all": 4}
    assert await case_queue.queue_counts(colleague) == {"mine": 2, "unassigned": 1, "team": 0, "all": 4}


async def test_each_filter_narrows_the_queue() -> None:
    agent = await make_user(Role.agent)
    customer, other_customer = await make_customer(), await make_customer()
    product = await Product.insert(Product(code="pbx", name_en="PBX", name_el="Τηλεφωνικό")).returning(Product.id)
    category = await Category.insert(Category(code="billing", name_en="Billing", name_el="Χρέωση")).returning(
        Category.id
    )
    plain = await make_case(customer)
    high = await make_case(customer, priority=Priority.high, status=CaseStatus.open)
    complaint = await make_case(customer, type=CaseType.complaint)
    with_product = await make_case(customer, product=product[0]["id"], category=category[0]["id"])
    elsewhere = await make_case(other_customer, assignee=agent.id)
    tagged = await make_case(customer, tags=("vip", "billing"))
    resolved = await make_case(customer, status=CaseStatus.resolved)

    def only(*cases: dict[str, Any]) -> list[str]:
        return sorted(case["number"] for case in cases)

    async def found(**params: Any) -> list[str]:
        return sorted(await numbers(agent, view="all", **params))

    assert await found(status="open") == only(high)
    assert await found(status="resolved") == only(resolved)
    assert await found(status="any") == only(plain, high, complaint, with_product, elsewhere, tagged, resolved)
    assert await found(priority="high") == only(high)
    assert await found(type="complaint") == only(complaint)
    assert await found(product=str(product[0]["id"])) == only(with_product)
    assert await found(category=str(category[0]["id"])) == only(with_product)
    assert await found(account=str(other_customer.account_id)) == only(elsewhere)
    assert await found(assignee=str(agent.id)) == only(elsewhere)
    assert await found(assignee="none") == only(plain, high, complaint, with_product, tagged)
    assert await found(tag="VIP") == only(tagged)
    assert await found(status="open", priority="high") == only(high)


async def test_sorts_by_due_time_with_none_last_by_priority_and_by_last_update() -> None:
    agent = await make_user(Role.agent)
    customer = await make_customer()
    later = await make_case(customer, due_at=NOW + timedelta(hours=5), priority=Priority.low)
    no_due = await make_case(customer, due_at=None, priority=Priority.urgent)
    sooner = await make_case(customer, due_at=NOW + timedelta(hours=1), priority=Priority.high)
    touched = await make_case(customer, due_at=None, updated_at=NOW + timedelta(days=2))

    assert await numbers(agent, view="all") == [sooner["number"], later["number"], no_due["number"], touched["number"]]
    assert await numbers(agent, view="all", sort="priority") == [
        no_due["number"],
        sooner["number"],
        touched["number"],
        later["number"],
    ]
    by_update = await numbers(agent, view="all", sort="updated")
    assert by_update[0] == touched["number"]
    assert by_update[1:] == [sooner["number"], no_due["number"], later["number"]]


@pytest.mark.parametrize("sort", ["due", "priority", "updated"])
async def test_keyset_pages_cover_every_case_once_even_when_keys_tie(sort: str) -> None:
    agent = await make_user(Role.agent)
    customer = await make_customer()
    for index in range(11):
        due = None if index % 4 == 0 else NOW + timedelta(hours=index % 3)  # ties, and some without due time
        priority = [Priority.low, Priority.normal, Priority.high][index % 3]
        await make_case(customer, due_at=due, priority=priority, updated_at=NOW + timedelta(minutes=index % 2))
    everything = await numbers(agent, view="all", sort=sort)
    assert len(everything) == 11

    seen: list[str] = []
    query = QueueQuery.from_params({"view": "all", "sort": sort})
    pages = 0
    while True:
        page = await case_queue.queue_page(agent, query, 3)
        seen += [row["number"] for row in page.rows]
        pages += 1
        if page.next_cursor is None:
            break
        query = QueueQuery.from_params(query.params(after=page.next_cursor))
    assert pages == 4
    assert seen == everything


async def test_invalid_choices_and_cursors_are_ignored_not_errors() -> None:
    query = QueueQuery.from_params(
        {"view": "everything", "status": "lost", "priority": "x", "product": "-3", "assignee": "bob", "sort": "?"}
    )
    assert query == QueueQuery()
    agent = await make_user(Role.agent)
    case = await make_case(await make_customer(), assignee=agent.id)
    for cursor in ("garbage", "~", "not-a-date~5", "x~y"):
        assert await numbers(agent, after=cursor) == [case["number"]]


async def test_saved_filters_belong_to_their_agent() -> None:
    me, colleague = await make_user(Role.agent), await make_user(Role.agent)
    filter_id = await case_queue.save_filter(me, "  Urgent ones ", "?view=all&priority=urgent&after=x~3&bogus=1")
    [saved] = await case_queue.saved_filters(me)
    assert saved["name"] == "Urgent ones"
    assert saved["query"] == "view=all&priority=urgent"  # no cursor, nothing unknown
    assert await case_queue.saved_filters(colleague) == []

    assert not await case_queue.delete_filter(colleague, filter_id)
    assert len(await case_queue.saved_filters(me)) == 1

    again = await case_queue.save_filter(me, "Urgent ones", "view=mine&priority=urgent")
    assert again == filter_id
    assert [row["query"] for row in await case_queue.saved_filters(me)] == ["priority=urgent"]

    with pytest.raises(FieldRefused) as refused:
        await case_queue.save_filter(me, "   ", "view=all")
    assert refused.value.field == "name"

    assert await case_queue.delete_filter(me, filter_id)
    assert await case_queue.saved_filters(me) == []


async def test_counts_stop_just_past_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(case_queue, "COUNT_CAP", 2)  # the real cap is 999; three cases show the same rule
    agent = await make_user(Role.agent)
    customer = await make_customer()
    for _ in range(4):
        await make_case(customer, assignee=agent.id)
    await make_case(customer)
    counts = await case_queue.queue_counts(agent)
    assert counts == {"mine": 3, "unassigned": 1, "team": 0, "all": 3}


# --- The SLA clock in the queue -------------------------------------------------------------------------------------


async def sla_numbers(user: CurrentUser, page_size: int = 50, **params: Any) -> list[str]:
    page = await case_queue.queue_page(user, QueueQuery.from_params(params), page_size, now=NOW)
    return [row["number"] for row in page.rows]


async def clock_cases(customer: CurrentUser) -> dict[str, dict[str, Any]]:
    """One case in each state the queue tells apart at NOW (CaseSla rows written as the clock leaves them)."""

    def minutes(count: int) -> datetime:
        return NOW + timedelta(minutes=count)

    cases = {
        "ok": await make_case(customer, due_at=minutes(135), resolution_due_at=minutes(135)),
        "soon_first": await make_case(customer, due_at=minutes(30), first_response_due_at=minutes(30)),
        "answered": await make_case(
            customer,
            due_at=minutes(300),
            first_response_due_at=minutes(-60),
            first_response_at=minutes(-90),
            resolution_due_at=minutes(300),
            priority=Priority.high,
        ),
        "soon_resolution": await make_case(
            customer, due_at=minutes(20), resolution_due_at=minutes(20), priority=Priority.high
        ),
        "late": await make_case(customer, due_at=minutes(-40), first_response_due_at=minutes(-40)),
        "later": await make_case(customer, due_at=minutes(-3000), resolution_due_at=minutes(-3000)),
        "paused": await make_case(customer, status=CaseStatus.waiting_on_customer, resolution_due_at=minutes(60)),
        "no_due": await make_case(customer),
    }
    clocks = {
        "ok": {"resolution_warn_at": minutes(100)},
        "soon_first": {"first_response_warn_at": minutes(-5), "resolution_warn_at": minutes(200)},
        # Its first-response warning passed long ago, but the queue now runs on the resolution clock.
        "answered": {"first_response_warn_at": minutes(-80), "resolution_warn_at": minutes(250)},
        "soon_resolution": {"resolution_warn_at": minutes(-1)},
        "paused": {"paused_since": minutes(-30), "resolution_warn_at": minutes(-10)},
    }
    for name, values in clocks.items():
        await CaseSla.insert(CaseSla(case=cases[name]["id"], **values))
    return cases


async def test_each_row_says_how_its_sla_clock_stands() -> None:
    agent = await make_user(Role.agent)
    cases = await clock_cases(await make_customer())

    page = await case_queue.queue_page(agent, QueueQuery(view="all"), 50, now=NOW)
    left = {row["number"]: row["time_left"] for row in page.rows}
    assert {name: left[case["number"]] for name, case in cases.items()} == {
        "ok": TimeLeft("ok", 135),
        "soon_first": TimeLeft("soon", 30),
        "answered": TimeLeft("ok", 300),
        "soon_resolution": TimeLeft("soon", 20),
        "late": TimeLeft("late", 40),
        "later": TimeLeft("late", 3000),
        "paused": TimeLeft("paused"),
        "no_due": None,
    }


async def test_breached_and_breaching_soon_filters_combine_with_the_others_and_page() -> None:
    agent = await make_user(Role.agent)
    cases = await clock_cases(await make_customer())
    number = {name: case["number"] for name, case in cases.items()}

    assert await sla_numbers(agent, view="all", sla="breached") == [number["later"], number["late"]]
    assert await sla_numbers(agent, view="all", sla="soon") == [number["soon_resolution"], number["soon_first"]]
    assert await sla_numbers(agent, view="all", sla="soon", priority="high") == [number["soon_resolution"]]
    assert await sla_numbers(agent, view="unassigned", sla="breached", sort="priority") == [
        number["late"],
        number["later"],
    ]

    seen: list[str] = []
    query = QueueQuery.from_params({"view": "all", "sla": "breached"})
    while True:
        page = await case_queue.queue_page(agent, query, 1, now=NOW)
        seen += [row["number"] for row in page.rows]
        if page.next_cursor is None:
            break
        query = QueueQuery.from_params(query.params(after=page.next_cursor))
    assert seen == [number["later"], number["late"]]
    assert query.params()["sla"] == "breached"  # the filter rides along with the cursor

    assert QueueQuery.from_params({"sla": "overdue"}).sla == ""  # a stale bookmark opens the whole queue
    assert case_queue.normalised_query("view=all&sla=soon&after=x~1") == "view=all&sla=soon"


async def test_a_page_reads_its_clocks_in_one_query_however_many_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    agent = await make_user(Role.agent)
    customer = await make_customer()
    engine_class = type(Case._meta.db)
    run = engine_class.run_querystring
    statements: list[str] = []

    async def counted(engine: Any, querystring: Any, *args: Any, **kwargs: Any) -> Any:
        statements.append(str(querystring))
        return await run(engine, querystring, *args, **kwargs)

    monkeypatch.setattr(engine_class, "run_querystring", counted)
    per_page = []
    for index in range(20):
        case = await make_case(customer, due_at=NOW + timedelta(minutes=index + 1))
        await CaseSla.insert(CaseSla(case=case["id"], resolution_warn_at=NOW))
        if index + 1 in (2, 20):
            statements.clear()
            page = await case_queue.queue_page(agent, QueueQuery(view="all"), 50, now=NOW)
            assert {row["time_left"] for row in page.rows} == {TimeLeft("soon", m) for m in range(1, index + 2)}
            per_page.append(len(statements))
    assert per_page == [2, 2]  # the rows, then their clocks
