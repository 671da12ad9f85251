"""The customer's list of cases: filters, search, keyset pages, the htmx fragment, sharing modes, unread marks."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import httpx
import pytest
from litestar import Litestar

from portal.db.tables import Account, Case, CaseType, Product, Role, SharingMode
from portal.services import case_closing, cases
from tests.factories import make_user
from tests.web.customer_cases_helpers import customer_of, open_case, signed_in, verified

Client = httpx.AsyncClient


def numbers_in(page: str) -> list[str]:
    """The case numbers listed, in order (each row links its number twice: number and subject)."""
    return list(dict.fromkeys(re.findall(r'<td><a href="/cases/(C-\d{4}-\d{6})">', page)))


def link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a rel="{rel}" href="([^"]+)"', page)
    return unescape(found.group(1)) if found else None


async def test_filters_and_search_by_subject_and_number(client: Client, app: Litestar) -> None:
    user = await customer_of()
    vpn = Product(code="vpn", name_en="VPN", name_el="VPN")
    await vpn.save()
    drops = await open_case(app, user, "VPN drops hourly", product_id=vpn.id, type=CaseType.incident)
    invoice = await open_case(app, user, "Wrong invoice")
    printer = await open_case(app, user, "Printer offline")
    await case_closing.close(user, printer.id, mailer=app.state.mailer)
    await signed_in(client, user)

    async def listed(query: str) -> set[str]:
        response = await client.get(f"/cases?{query}")
        assert response.status_code == 200
        return set(numbers_in(response.text))

    assert await listed("") == {drops.number, invoice.number, printer.number}
    assert await listed("state=open") == {drops.number, invoice.number}
    assert await listed("state=closed") == {printer.number}
    assert await listed("type=incident") == {drops.number}
    assert await listed(f"product={vpn.id}") == {drops.number}
    assert await listed("q=INVOICE") == {invoice.number}
    assert await listed(f"q={invoice.number}") == {invoice.number}
    assert await listed(f"q={invoice.id:06d}") == {invoice.number}
    assert await listed("q=nothing+like+this") == set()
    # A hand-edited URL falls back to the defaults rather than failing.
    assert await listed("state=bogus&type=nope&product=x&sort=sideways&after=%%%") == {
        drops.number,
        invoice.number,
        printer.number,
    }
    assert await listed("q=invoice%00") == {invoice.number}
    empty = await client.get("/cases?q=nothing+like+this")
    assert "No cases match these filters." in empty.text
    assert 'value="nothing like this"' in empty.text  # the filter form shows what was asked


async def test_the_filter_form_answers_htmx_with_the_list_only(client: Client, app: Litestar) -> None:
    user = await customer_of()
    ref = await open_case(app, user, "Wrong invoice")
    await signed_in(client, user)

    fragment = await client.get("/cases?q=invoice", headers={"HX-Request": "true"})
    whole = await client.get("/cases?q=invoice")

    assert numbers_in(fragment.text) == [ref.number]
    assert "<html" not in fragment.text
    assert 'hx-get="/cases"' in whole.text
    assert "<html" in whole.text
    assert numbers_in(whole.text) == [ref.number]
    assert "HX-Request" in whole.headers["vary"]


async def test_thirty_cases_page_by_keyset_and_back(client: Client, app: Litestar) -> None:
    user = await customer_of()
    opened = [await open_case(app, user, f"Case {n:02d}") for n in range(30)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n, ref in enumerate(opened):  # distinct activity times, oldest first
        await Case.update({Case.updated_at: start + timedelta(minutes=n)}).where(Case.id == ref.id)
    newest_first = [ref.number for ref in reversed(opened)]
    await signed_in(client, user)

    first = await client.get("/cases?state=open")
    assert numbers_in(first.text) == newest_first[:25]
    assert link(first.text, "prev") is None
    next_page = link(first.text, "next")
    assert next_page is not None
    assert "state=open" in next_page  # the filters travel with the cursor

    second = await client.get(next_page)
    assert numbers_in(second.text) == newest_first[25:]
    assert link(second.text, "next") is None
    previous = link(second.text, "prev")
    assert previous is not None

    back = await client.get(previous)
    assert numbers_in(back.text) == newest_first[:25]
    assert link(back.text, "prev") is None


async def test_sorting_by_priority_and_by_creation(client: Client, app: Litestar) -> None:
    user = await customer_of()
    low = await open_case(app, user, "Low one", priority=cases.Priority.low)
    high = await open_case(app, user, "High one", priority=cases.Priority.high)
    await Case.update({Case.updated_at: datetime.now(UTC) + timedelta(hours=1)}).where(Case.id == low.id)
    await signed_in(client, user)

    assert numbers_in((await client.get("/cases")).text) == [low.number, high.number]
    assert numbers_in((await client.get("/cases?sort=priority")).text) == [high.number, low.number]
    assert numbers_in((await client.get("/cases?sort=created")).text) == [high.number, low.number]


@pytest.mark.parametrize(
    ("mode", "role", "sees_colleague"),
    [
        (SharingMode.own, Role.contact, False),
        (SharingMode.own, Role.account_admin, False),
        (SharingMode.all_contacts, Role.contact, True),
        (SharingMode.admins_only, Role.contact, False),
        (SharingMode.admins_only, Role.account_admin, True),
    ],
)
async def test_the_list_follows_the_sharing_mode(
    client: Client, app: Litestar, mode: SharingMode, role: Role, sees_colleague: bool
) -> None:
    colleague = await customer_of(mode.value, name="Cleo Colleague")
    account = await Account.objects().get(Account.id == colleague.account_id)
    viewer = await verified(role, account, name="Vera Viewer")
    outsider = await customer_of(SharingMode.all_contacts.value)
    mine = await open_case(app, viewer, "Mine")
    theirs = await open_case(app, colleague, "Colleague's")
    await open_case(app, outsider, "Another company's")
    await signed_in(client, viewer)

    page = await client.get("/cases")

    expected = {mine.number, theirs.number} if sees_colleague else {mine.number}
    assert set(numbers_in(page.text)) == expected
    assert ("Opened by" in page.text) is sees_colleague
    assert ("<td>Cleo</td>" in page.text) is sees_colleague


async def test_a_prospect_lists_their_own_cases(client: Client, app: Litestar) -> None:
    prospect = await verified(Role.prospect)
    other = await verified(Role.prospect)
    mine = await open_case(app, prospect, "Which plan suits us?")
    await open_case(app, other, "Someone else's question")
    await signed_in(client, prospect)

    assert numbers_in((await client.get("/cases")).text) == [mine.number]


async def test_a_staff_reply_marks_the_case_unread_until_it_is_opened(client: Client, app: Litestar) -> None:
    user = await customer_of()
    ref = await open_case(app, user, "Printer offline")
    agent = await make_user(Role.agent)
    await signed_in(client, user)
    assert "New reply" not in (await client.get("/cases")).text

    await cases.reply(agent, ref.id, "Try turning it off and on.", mailer=app.state.mailer, store=app.state.attachments)

    assert "New reply" in (await client.get("/cases")).text
    await client.get(f"/cases/{ref.number}")
    assert "New reply" not in (await client.get("/cases")).text


async def test_no_cases_yet_invites_to_open_one(client: Client) -> None:
    await signed_in(client, await customer_of())

    page = await client.get("/cases")

    assert "You have no cases yet." in page.text
    assert 'href="/cases/new"' in page.text
    assert 'href="/cases" aria-current="page">My cases' in page.text
