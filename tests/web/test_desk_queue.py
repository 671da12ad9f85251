"""The desk's queue page: staff only, views with counts, filters, keyset paging, the polling refresh, bulk
actions and saved filters."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from litestar import Litestar

from portal.db.sla_tables import CaseSla
from portal.db.tables import Case, CaseChange, CaseStatus, OutboundEmail, Priority, Role
from portal.services import case_queue
from tests.factories import make_user, sign_in
from tests.web.auth_helpers import second_browser
from tests.web.desk_helpers import make_case, make_customer, make_team, post, signed_in_agent

Client = httpx.AsyncClient


async def emails_to(address: str) -> list[str]:
    rows = await OutboundEmail.select(OutboundEmail.subject).where(OutboundEmail.to_address == address)
    return [row["subject"] for row in rows]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/backoffice/cases"),
        ("post", "/backoffice/cases/bulk"),
        ("post", "/backoffice/cases/saved-filters"),
        ("post", "/backoffice/cases/saved-filters/1/delete"),
        ("get", "/backoffice/cases/{number}"),
        ("post", "/backoffice/cases/{number}/replies"),
        ("post", "/backoffice/cases/{number}/canned"),
        ("post", "/backoffice/cases/{number}/fields"),
        ("post", "/backoffice/cases/{number}/merge"),
        ("post", "/backoffice/cases/{number}/links"),
    ],
)
async def test_customers_are_refused_every_desk_route(client: Client, method: str, path: str) -> None:
    customer = await make_customer()
    case = await make_case(customer)
    assert (await sign_in(client, customer.email)).status_code == 303
    await client.get("/")
    path = path.format(number=case["number"])
    if method == "get":
        response = await client.get(path, follow_redirects=False)
    else:
        response = await post(client, path, {"body": "hello", "status": "closed", "into": case["number"]})
    assert response.status_code in (403, 404)
    assert case["subject"] not in response.text
    assert await CaseChange.count() == 0


async def test_the_queue_shows_my_cases_first_with_counts_for_every_view(client: Client) -> None:
    agent = await signed_in_agent(client)
    colleague = await make_user(Role.agent, name="Nikos Colleague")
    team = await make_team(agent)
    customer = await make_customer(name="Maria Customer")
    await make_case(customer, assignee=agent.id, subject="Mine to answer", priority=Priority.urgent)
    await make_case(customer, subject="Nobody has this")
    await make_case(customer, assignee=colleague.id, team=team, subject="Team mate has this")
    await make_case(customer, assignee=agent.id, subject="Done already", status=CaseStatus.closed)

    page = await client.get("/backoffice/cases")
    assert page.status_code == 200
    assert "Mine to answer" in page.text
    assert "Maria Customer" in page.text
    assert "Nobody has this" not in page.text
    assert "Done already" not in page.text
    tabs = dict(re.findall(r'>(My cases|Unassigned|My teams|All) <span class="badge">(\d+)</span>', page.text))
    assert tabs == {"My cases": "1", "Unassigned": "1", "My teams": "1", "All": "3"}

    team_view = await client.get("/backoffice/cases", params={"view": "team"})
    assert "Team mate has this" in team_view.text
    assert "Nikos Colleague" in team_view.text
    assert "Mine to answer" not in team_view.text


async def test_filters_from_the_form_narrow_the_queue(client: Client) -> None:
    await signed_in_agent(client)
    customer = await make_customer()
    await make_case(customer, subject="Open and high", status=CaseStatus.open, priority=Priority.high)
    await make_case(customer, subject="Open and low", status=CaseStatus.open, priority=Priority.low)
    await make_case(customer, subject="New and high", priority=Priority.high)
    await make_case(customer, subject="Tagged one", tags=("vip",))

    page = await client.get("/backoffice/cases", params={"view": "all", "status": "open", "priority": "high"})
    assert "Open and high" in page.text
    assert "Open and low" not in page.text
    assert "New and high" not in page.text
    assert '<option value="high" selected>' in page.text  # the form shows what is applied

    tagged = await client.get("/backoffice/cases", params={"view": "all", "tag": "vip"})
    assert "Tagged one" in tagged.text
    assert "Open and high" not in tagged.text


async def test_pages_follow_a_cursor_and_the_poll_answers_with_the_rows_of_the_same_place(client: Client) -> None:
    agent = await signed_in_agent(client)
    customer = await make_customer()
    for index in range(30):
        await make_case(customer, assignee=agent.id, subject=f"Subject {index:02d}")

    first = await client.get("/backoffice/cases")
    assert first.text.count('class="queue-row"') == 25
    next_link = re.search(r'<a href="(/backoffice/cases\?[^"]*after=[^"]+)" rel="next">', first.text)
    assert next_link
    second = await client.get(next_link.group(1).replace("&amp;", "&"))
    assert second.text.count('class="queue-row"') == 5
    assert "First page" in second.text

    # The refresh asks for the same view, filters and cursor, every `queue_refresh_seconds`.
    poll = re.search(r'<div id="queue-rows" hx-get="([^"]+)" hx-trigger="every (\d+)s"', second.text)
    assert poll
    assert poll.group(2) == "30"
    assert "after=" in poll.group(1)
    rows = await client.get(poll.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"})
    assert rows.status_code == 200
    assert "<html" not in rows.text
    assert "My cases" not in rows.text  # no tabs, no counts: only the rows
    assert rows.text.count('class="queue-row"') == 5
    assert 'src="/static/js/desk-queue.js' in first.text


async def test_bulk_assign_writes_the_timeline_and_emails_the_agent(client: Client) -> None:
    lead = await signed_in_agent(client, name="Lead Agent")
    helper = await make_user(Role.agent, name="Helper Agent")
    customer = await make_customer()
    one = await make_case(customer, subject="First")
    two = await make_case(customer, subject="Second")
    untouched = await make_case(customer, subject="Third")

    response = await post(
        client,
        "/backoffice/cases/bulk",
        {
            "case": [str(one["id"]), str(two["id"])],
            "action": "assign",
            "bulk_assignee": str(helper.id),
            "query": "view=all",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/backoffice/cases?view=all"
    assignees = {row["id"]: row["assignee"] for row in await Case.select(Case.id, Case.assignee)}
    assert assignees == {one["id"]: helper.id, two["id"]: helper.id, untouched["id"]: None}
    changes = await CaseChange.select(CaseChange.case, CaseChange.actor, CaseChange.field, CaseChange.new_value)
    assert sorted(change["case"] for change in changes) == [one["id"], two["id"]]
    assert all(c["actor"] == lead.id and c["field"] == "assignee" and c["new_value"] == "Helper Agent" for c in changes)
    assert len(await emails_to(helper.email)) == 2
    page = await client.get("/backoffice/cases?view=all")
    assert "2 cases changed." in page.text


async def test_bulk_status_change_and_its_refusals(client: Client) -> None:
    await signed_in_agent(client)
    customer = await make_customer()
    one = await make_case(customer)
    two = await make_case(customer)

    nothing_selected = await post(client, "/backoffice/cases/bulk", {"action": "status", "bulk_status": "on_hold"})
    assert nothing_selected.status_code == 422
    assert "Select at least one case." in nothing_selected.text

    not_an_agent = await post(
        client,
        "/backoffice/cases/bulk",
        {"case": [str(one["id"])], "action": "assign", "bulk_assignee": str(customer.id), "query": "view=all"},
    )
    assert not_an_agent.status_code == 422
    assert 'id="error-bulk_assignee">Choose one of the agents offered.' in not_an_agent.text
    assert f'value="{one["id"]}" form="bulk-form" id="select-{one["id"]}"' in not_an_agent.text
    assert "checked" in not_an_agent.text  # the selection survives the refusal
    assert await CaseChange.count() == 0

    done = await post(
        client,
        "/backoffice/cases/bulk",
        {"case": [str(one["id"]), str(two["id"])], "action": "status", "bulk_status": "on_hold", "query": "view=all"},
    )
    assert done.status_code == 303
    statuses = {row["status"] for row in await Case.select(Case.status)}
    assert statuses == {"on_hold"}
    timeline = await CaseChange.select(CaseChange.field, CaseChange.old_value, CaseChange.new_value)
    assert timeline == [{"field": "status", "old_value": "new", "new_value": "on_hold"}] * 2


async def test_saved_filters_are_each_agents_own(app: Litestar, client: Client) -> None:
    await signed_in_agent(client)
    saved = await post(
        client, "/backoffice/cases/saved-filters", {"name": "Urgent", "query": "view=all&priority=urgent"}
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/backoffice/cases?view=all&priority=urgent"
    page = await client.get("/backoffice/cases")
    assert '<a href="/backoffice/cases?view=all&amp;priority=urgent">Urgent</a>' in page.text
    filter_id = re.search(r"/backoffice/cases/saved-filters/(\d+)/delete", page.text)
    assert filter_id

    empty = await post(client, "/backoffice/cases/saved-filters", {"name": " ", "query": "view=all"})
    assert empty.status_code == 422
    assert 'id="error-filter_name">This field is required.' in empty.text

    async with second_browser(app) as other:
        await signed_in_agent(other)
        assert "Urgent</a>" not in (await other.get("/backoffice/cases")).text
        refused = await post(other, f"/backoffice/cases/saved-filters/{filter_id.group(1)}/delete")
        assert refused.status_code == 404
    assert "Urgent</a>" in (await client.get("/backoffice/cases")).text

    deleted = await post(client, f"/backoffice/cases/saved-filters/{filter_id.group(1)}/delete")
    assert deleted.status_code == 303
    assert "Urgent</a>" not in (await client.get("/backoffice/cases")).text


async def test_staff_navigation_and_back_office_home_lead_to_the_queue(client: Client) -> None:
    await signed_in_agent(client)
    home = await client.get("/backoffice")
    assert home.text.count('href="/backoffice/cases"') >= 2  # the navigation bar and the home page


async def test_a_tab_says_more_than_the_cap_instead_of_counting_everything(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(case_queue, "COUNT_CAP", 2)
    agent = await signed_in_agent(client)
    customer = await make_customer()
    for _ in range(3):
        await make_case(customer, assignee=agent.id)
    page = await client.get("/backoffice/cases")
    assert '>My cases <span class="badge">2+</span>' in page.text


async def test_the_queue_shows_time_left_and_filters_breached_and_breaching_soon_cases(client: Client) -> None:
    await signed_in_agent(client)
    customer = await make_customer()
    now = datetime.now(UTC)
    await make_case(customer, subject="Plenty of time", due_at=now + timedelta(hours=5), resolution_due_at=now)
    soon = await make_case(customer, subject="Nearly due", due_at=now + timedelta(hours=2, minutes=15))
    await CaseSla.insert(CaseSla(case=soon["id"], resolution_warn_at=now - timedelta(minutes=30)))
    await make_case(customer, subject="Answer is late", due_at=now - timedelta(minutes=40, seconds=10))
    waiting = await make_case(
        customer, subject="Asked the customer", status=CaseStatus.waiting_on_customer, resolution_due_at=now
    )
    await CaseSla.insert(CaseSla(case=waiting["id"], paused_since=now - timedelta(hours=1)))

    page = await client.get("/backoffice/cases", params={"view": "all"})
    assert page.status_code == 200
    assert re.search(r'<span class="sla-left sla-late">late by 40 min</span>', page.text)
    assert re.search(r'<span class="sla-left sla-soon">Breaching soon: 2 h 1[45] min left</span>', page.text)
    assert re.search(r'<span class="sla-left sla-ok">(4 h 59|5 h 0) min left</span>', page.text)
    assert '<span class="sla-left sla-paused">paused</span>' in page.text
    assert "clock time, not business hours" in page.text
    assert 'style="' not in page.text

    breached = await client.get("/backoffice/cases", params={"view": "all", "sla": "breached"})
    assert "Answer is late" in breached.text
    for other in ("Plenty of time", "Nearly due", "Asked the customer"):
        assert other not in breached.text
    assert '<option value="breached" selected>' in breached.text  # the form shows what is applied

    soon_only = await client.get(
        "/backoffice/cases", params={"view": "all", "sla": "soon"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in soon_only.text  # the polling refresh keeps the filter
    assert "Nearly due" in soon_only.text
    assert "Answer is late" not in soon_only.text
    assert "Plenty of time" not in soon_only.text


async def test_a_case_late_by_days_says_so_in_days_and_hours(client: Client) -> None:
    await signed_in_agent(client)
    customer = await make_customer()
    await make_case(customer, subject="Late one", due_at=datetime.now(UTC) - timedelta(days=1, hours=3, seconds=5))
    page = await client.get("/backoffice/cases", params={"view": "all", "sla": "breached"})
    assert "Late one" in page.text
    assert '<span class="sla-left sla-late">late by 1 d 3 h</span>' in page.text
