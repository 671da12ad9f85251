from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from portal.db.tables import AuditEvent, Role
from portal.services.audit import AuditKind, Origin
from portal.services.users import CurrentUser
from tests.factories import make_account, make_audit_event, make_user, sign_in

Client = httpx.AsyncClient
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def event_ids(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'data-event="(\d+)"', page)]


def older_link(page: str) -> str | None:
    found = re.search(r'<a rel="next" href="([^"]+)"', page)
    return html.unescape(found.group(1)) if found else None


async def signed_in_admin(client: Client) -> CurrentUser:
    admin = await make_user(Role.admin)
    assert (await sign_in(client, admin.email)).status_code == 303
    return admin


async def test_admin_sees_events_with_who_where_and_which_browser(client: Client) -> None:
    admin = await signed_in_admin(client)
    account = await make_account(name="Acme Hellas")
    maria = await make_user(Role.contact, email="maria@acme.example", name="Maria P", account_id=account.id)
    await make_audit_event(
        AuditKind.role_changed,
        actor_id=admin.id,
        subject_id=maria.id,
        account_id=account.id,
        origin=Origin(ip="198.51.100.23", user_agent=FIREFOX),
        role="account_admin",
    )

    page = (await client.get("/backoffice/audit")).text

    row = page[page.index("Role changed") - 400 :]
    assert "<html" in page
    for seen in ("Role changed", admin.email, "maria@acme.example", "Maria P", "Acme Hellas", "198.51.100.23"):
        assert seen in row
    assert "Firefox on Linux" in row
    assert "account_admin" in row


async def test_filters_apply_to_the_list(client: Client) -> None:
    await signed_in_admin(client)
    account = await make_account(name="Acme Hellas")
    maria = await make_user(Role.contact, email="maria@acme.example", account_id=account.id)
    nikos = await make_user(Role.contact, email="nikos@beta.example")
    day = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
    failed = await make_audit_event(
        AuditKind.sign_in_failed, at=day, subject_id=nikos.id, origin=Origin(ip="203.0.113.50")
    )
    changed = await make_audit_event(
        AuditKind.password_changed, at=day - timedelta(days=30), subject_id=maria.id, account_id=account.id
    )

    async def shown(query: str) -> set[int]:
        response = await client.get(f"/backoffice/audit?{query}")
        assert response.status_code == 200
        return set(event_ids(response.text))

    assert await shown("kind=sign_in_failed") == {failed}
    assert await shown("user=MARIA%40acme") == {changed}
    assert await shown("account=hellas") == {changed}
    assert await shown("ip=203.0.113.50") == {failed}
    assert await shown("date_from=2026-06-01&date_to=2026-06-15") == {failed}  # the end date is included
    assert await shown("date_from=2026-06-01&date_to=2026-06-14") == set()
    assert await shown("kind=password_changed&user=nikos") == set()


async def test_a_bad_filter_is_explained_next_to_its_field(client: Client) -> None:
    await signed_in_admin(client)
    response = await client.get("/backoffice/audit?ip=not-an-address&date_from=2026-06-10&date_to=2026-06-01")
    assert response.status_code == 422
    assert "Enter an IP address, such as 203.0.113.7." in response.text
    assert "The end date is before the start date." in response.text
    assert 'id="field-ip"' in response.text


async def test_a_date_at_the_end_of_the_calendar_is_refused_not_an_error(client: Client) -> None:
    await signed_in_admin(client)
    response = await client.get("/backoffice/audit?date_to=9999-12-31")
    assert response.status_code == 422
    assert "Enter a date between 2000-01-01 and 2999-12-31." in response.text


@pytest.mark.parametrize("role", [Role.agent, Role.manager, Role.contact, Role.account_admin])
async def test_only_admins_may_read_the_log(client: Client, role: Role) -> None:
    user = await make_user(role)
    await sign_in(client, user.email)
    assert (await client.get("/backoffice/audit")).status_code == 403
    assert (await client.get("/backoffice/audit/export.csv")).status_code == 403


async def test_visitors_are_asked_to_sign_in(client: Client) -> None:
    response = await client.get("/backoffice/audit", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


async def test_the_back_office_links_the_log_for_admins_only(client: Client) -> None:
    await signed_in_admin(client)
    assert 'href="/backoffice/audit"' in (await client.get("/backoffice")).text
    agent = await make_user(Role.agent)
    await client.post("/logout", headers={"x-csrftoken": client.cookies.get("portal_csrf", "")})
    await sign_in(client, agent.email)
    assert 'href="/backoffice/audit"' not in (await client.get("/backoffice")).text


async def test_pages_follow_a_cursor_and_show_every_event_exactly_once(client: Client) -> None:
    await signed_in_admin(client)
    base = datetime(2026, 6, 1, tzinfo=UTC)
    for n in range(120):  # several events share each instant, so the id must break ties
        await make_audit_event(AuditKind.sign_in, at=base + timedelta(seconds=n // 4))
    expected = [
        row["id"]
        for row in await AuditEvent.select(AuditEvent.id).order_by(
            AuditEvent.occurred_at, AuditEvent.id, ascending=False
        )
    ]

    seen: list[int] = []
    url: str | None = "/backoffice/audit"
    pages = 0
    while url:
        assert "offset" not in url
        page = (await client.get(url)).text
        seen += event_ids(page)
        url = older_link(page)
        pages += 1

    assert pages == 3
    assert seen == expected


async def test_the_filtered_view_downloads_as_csv(client: Client) -> None:
    admin = await signed_in_admin(client)
    trap = await make_user(Role.contact, email="trap@example.com", name='=HYPERLINK("http://evil")')
    await make_audit_event(
        AuditKind.sign_in_failed, subject_id=trap.id, origin=Origin(ip="192.0.2.8", user_agent="-cmd"), reason="+x"
    )
    await make_audit_event(AuditKind.password_changed, actor_id=admin.id, subject_id=admin.id)

    response = await client.get("/backoffice/audit/export.csv?kind=sign_in_failed")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["kind"] for row in rows] == ["sign_in_failed"]
    [row] = rows
    assert row["subject_email"] == "trap@example.com"
    assert row["subject_name"] == '\'=HYPERLINK("http://evil")'
    assert row["user_agent"] == "'-cmd"
    assert row["ip"] == "192.0.2.8"
    assert row["details"] == '{"reason": "+x"}'


async def test_the_page_links_the_csv_of_what_it_shows(client: Client) -> None:
    await signed_in_admin(client)
    page = (await client.get("/backoffice/audit?kind=sign_in&user=a%40b")).text
    assert 'href="/backoffice/audit/export.csv?kind=sign_in&amp;user=a%40b"' in page


async def test_htmx_gets_only_the_rows_and_a_browser_the_whole_page(client: Client) -> None:
    await signed_in_admin(client)
    event = await make_audit_event(AuditKind.email_changed)

    full = await client.get("/backoffice/audit?kind=email_changed")
    fragment = await client.get("/backoffice/audit?kind=email_changed", headers={"HX-Request": "true"})
    boosted = await client.get(
        "/backoffice/audit?kind=email_changed", headers={"HX-Request": "true", "HX-Boosted": "true"}
    )

    assert "<html" in full.text
    assert '<form method="get"' in full.text
    assert "<html" not in fragment.text
    assert "<form" not in fragment.text
    assert event_ids(fragment.text) == event_ids(full.text) == [event]
    assert "<html" in boosted.text
    assert "HX-Request" in fragment.headers["vary"]


async def test_htmx_gets_the_filter_errors_in_the_fragment(client: Client) -> None:
    await signed_in_admin(client)
    response = await client.get("/backoffice/audit?ip=nope", headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "<html" not in response.text
    assert "Enter an IP address, such as 203.0.113.7." in response.text
