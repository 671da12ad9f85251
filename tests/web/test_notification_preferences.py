"""The email preferences page, and the unread badge in the navigation bar."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from portal.db.tables import Case, Role
from portal.services import case_reads
from portal.services.notification_preferences import opted_out
from portal.services.users import CurrentUser
from tests.case_rows import make_case
from tests.factories import csrf_headers, make_account, make_user, sign_in

Client = httpx.AsyncClient
PAGE = "/profile/notifications"


async def signed_in(client: Client, role: Role = Role.contact) -> CurrentUser:
    account = await make_account() if not role.is_staff else None
    user = await make_user(role, account_id=account.id if account else None)
    await sign_in(client, user.email)
    return user


def checked(html: str) -> set[str]:
    return set(re.findall(r'name="(\w+)" type="checkbox" value="on"\s+checked', html))


def offered(html: str) -> set[str]:
    return set(re.findall(r'name="(\w+)" type="checkbox"', html))


async def test_a_customer_sees_every_customer_email_switched_on(client: Client) -> None:
    await signed_in(client)
    page = await client.get(PAGE)
    assert page.status_code == 200
    assert offered(page.text) == {"case_received", "staff_replied", "case_resolved", "case_merged"}
    assert checked(page.text) == offered(page.text)
    assert 'name="_csrf_token"' in page.text
    assert "Support replied to your case" in page.text


async def test_staff_also_choose_the_emails_about_cases_they_work_on(client: Client) -> None:
    await signed_in(client, Role.agent)
    page = await client.get(PAGE)
    assert {"assigned_to_you", "customer_replied"} <= offered(page.text)
    assert "Cases you work on" in page.text


async def test_saving_keeps_what_is_ticked_and_drops_the_rest(client: Client) -> None:
    user = await signed_in(client)
    await client.get(PAGE)
    saved = await client.post(
        PAGE,
        data={"_csrf_token": client.cookies["portal_csrf"], "staff_replied": "on", "case_resolved": "on"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == PAGE
    assert await opted_out(user.id) == {"case_received", "case_merged"}

    page = await client.get(PAGE)
    assert "Your email choices are saved." in page.text
    assert checked(page.text) == {"staff_replied", "case_resolved"}

    await client.post(PAGE, data={"case_received": "on"}, headers=csrf_headers(client))
    assert await opted_out(user.id) == {"staff_replied", "case_resolved", "case_merged"}


async def test_a_customer_cannot_opt_out_of_what_they_are_not_offered(client: Client) -> None:
    user = await signed_in(client)
    await client.get(PAGE)
    await client.post(PAGE, data={"case_received": "on", "bogus": "on"}, headers=csrf_headers(client))
    assert "assigned_to_you" not in await opted_out(user.id)


async def test_saving_without_the_csrf_token_is_refused(client: Client) -> None:
    user = await signed_in(client)
    refused = await client.post(PAGE, data={}, follow_redirects=False)
    assert refused.status_code == 403
    assert await opted_out(user.id) == set()


async def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    page = await client.get(PAGE, follow_redirects=False)
    assert page.status_code in (302, 303)
    assert page.headers["location"].startswith("/login")


async def test_the_profile_links_to_the_page(client: Client) -> None:
    await signed_in(client)
    assert f'href="{PAGE}"' in (await client.get("/profile")).text


def badge(html: str, path: str) -> str | None:
    found = re.search(rf'<a href="{re.escape(path)}"[^>]*>[^<]*<span class="nav-badge">(\d+)<', html)
    return found.group(1) if found else None


async def test_the_navigation_counts_cases_with_a_reply_the_customer_has_not_read(client: Client) -> None:
    user = await signed_in(client)
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    replied = await make_case(user, created_at=an_hour_ago, last_public_at=datetime.now(UTC) - timedelta(minutes=1))
    await make_case(user, created_at=an_hour_ago, last_public_at=an_hour_ago)  # nobody wrote since it was opened

    assert badge((await client.get("/profile")).text, "/cases") == "1"
    fragment = await client.get("/profile", headers={"HX-Request": "true"})
    assert badge(fragment.text, "/cases") is None  # a fragment swaps part of a page: nothing to count for

    await case_reads.mark_seen(user.id, replied.id)
    assert badge((await client.get("/profile")).text, "/cases") is None


async def test_a_badge_past_99_says_99_plus(client: Client) -> None:
    user = await signed_in(client)
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    for _ in range(100):
        await make_case(user, created_at=an_hour_ago, last_public_at=datetime.now(UTC) - timedelta(minutes=1))

    assert '<span class="nav-badge">99+<' in (await client.get("/profile")).text


async def test_the_navigation_counts_unread_cases_assigned_to_an_agent(client: Client) -> None:
    agent = await signed_in(client, Role.agent)
    requester = await make_user(Role.contact, account_id=(await make_account()).id)
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    case = await make_case(requester, assignee=agent.id, created_at=an_hour_ago, last_public_at=an_hour_ago)
    assert badge((await client.get("/profile")).text, "/backoffice/cases") is None

    await Case.update({Case.last_public_at: datetime.now(UTC)}).where(Case.id == case.id)
    assert badge((await client.get("/profile")).text, "/backoffice/cases") == "1"


async def test_opening_the_unread_case_clears_the_badge_on_that_very_page(client: Client) -> None:
    user = await signed_in(client)
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    case = await make_case(user, created_at=an_hour_ago, last_public_at=datetime.now(UTC) - timedelta(minutes=1))

    assert badge((await client.get("/cases")).text, "/cases") == "1"
    opened = await client.get(f"/cases/{case.number}")
    assert opened.status_code == 200
    assert badge(opened.text, "/cases") is None
