"""The customer's case list without HTTP: filters, search, keyset paging in every sort, and the sharing scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from portal.db.tables import Case, CaseType, Priority, Product, Role, SharingMode
from portal.services import case_closing, case_lists, cases
from portal.services.attachments import LocalAttachmentStore
from portal.services.case_lists import Sort
from portal.services.cases import NewCase
from portal.services.mail import Mailer
from portal.services.users import CurrentUser
from portal.settings import Settings
from tests.factories import make_account, make_user


@pytest.fixture
def mailer(settings: Settings) -> Mailer:
    return Mailer(settings)


@pytest.fixture
def store(tmp_path: Path) -> LocalAttachmentStore:
    return LocalAttachmentStore(tmp_path / "attachments")


async def opened(user: CurrentUser, mailer: Mailer, store: LocalAttachmentStore, subject: str, **kw: object) -> int:
    values: dict[str, object] = {"type": CaseType.question, "subject": subject, "description": "Details."} | kw
    ref = await cases.open_case(user, NewCase(**values), mailer=mailer, store=store)  # type: ignore[arg-type]
    return ref.id


async def all_pages(user: CurrentUser, sort: Sort, size: int) -> list[list[str]]:
    pages, after = [], None
    while True:
        page = await case_lists.customer_cases(user, sort=sort, after=after, size=size)
        pages.append([row.subject for row in page.rows])
        if page.next_cursor is None:
            return pages
        after = page.next_cursor


@pytest.mark.parametrize("sort", ["updated", "created", "priority"])
async def test_keyset_pages_cover_every_case_once_and_go_back(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore, sort: Sort
) -> None:
    account = await make_account()
    user = await make_user(Role.contact, account_id=account.id)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for number in range(12):
        case_id = await opened(user, mailer, store, f"Case {number:02d}", priority=list(Priority)[number % 3])
        # Some share a timestamp, so the id must break the tie.
        await Case.update({Case.updated_at: base + timedelta(minutes=number // 2)}).where(Case.id == case_id)

    pages = await all_pages(user, sort, size=5)

    assert [len(page) for page in pages] == [5, 5, 2]
    flat = [subject for page in pages for subject in page]
    assert sorted(flat) == [f"Case {number:02d}" for number in range(12)]
    whole = await case_lists.customer_cases(user, sort=sort, size=50)
    assert [row.subject for row in whole.rows] == flat  # paging cuts the one order, never reorders it
    second = await case_lists.customer_cases(
        user, sort=sort, size=5, after=(await case_lists.customer_cases(user, sort=sort, size=5)).next_cursor
    )
    assert second.previous_cursor is not None
    back = await case_lists.customer_cases(user, sort=sort, size=5, before=second.previous_cursor)
    assert [row.subject for row in back.rows] == pages[0]
    assert back.previous_cursor is None
    assert back.next_cursor is not None


async def test_sorts_put_the_latest_activity_the_newest_or_the_most_urgent_first(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    user = await make_user(Role.prospect)
    first = await opened(user, mailer, store, "First", priority=Priority.high)
    await opened(user, mailer, store, "Second", priority=Priority.low)
    await Case.update({Case.updated_at: datetime.now(UTC) + timedelta(hours=1)}).where(Case.id == first)

    async def subjects(sort: Sort) -> list[str]:
        return [row.subject for row in (await case_lists.customer_cases(user, sort=sort)).rows]

    assert await subjects("updated") == ["First", "Second"]
    assert await subjects("created") == ["Second", "First"]
    assert await subjects("priority") == ["First", "Second"]


async def test_filters_and_search_by_subject_or_number(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    user = await make_user(Role.prospect)
    product = Product(code="vpn", name_en="VPN", name_el="Εικονικό δίκτυο")
    await product.save()
    vpn = await opened(user, mailer, store, "VPN drops every hour", product_id=product.id, type=CaseType.incident)
    await opened(user, mailer, store, "100% discount_code rejected")
    closed = await opened(user, mailer, store, "Old printer")
    await case_closing.close(user, closed, mailer=mailer)
    number = (await Case.select(Case.number).where(Case.id == vpn).first())["number"]  # type: ignore[index]

    async def subjects(**filters: object) -> set[str]:
        page = await case_lists.customer_cases(user, **filters)  # type: ignore[arg-type]
        return {row.subject for row in page.rows}

    assert await subjects(state="open") == {"VPN drops every hour", "100% discount_code rejected"}
    assert await subjects(state="closed") == {"Old printer"}
    assert await subjects(type=CaseType.incident) == {"VPN drops every hour"}
    assert await subjects(product_id=product.id) == {"VPN drops every hour"}
    assert await subjects(query="vpn DROPS") == {"VPN drops every hour"}
    assert await subjects(query="100%") == {"100% discount_code rejected"}
    assert await subjects(query="0%") == {"100% discount_code rejected"}
    assert await subjects(query="%") == {"100% discount_code rejected"}  # a literal percent sign, not a wildcard
    assert await subjects(query="t_c") == {"100% discount_code rejected"}
    assert await subjects(query="r_d") == set()
    assert await subjects(query=number) == {"VPN drops every hour"}
    assert await subjects(query=number.lower()) == {"VPN drops every hour"}
    assert await subjects(query=f"{vpn:06d}") == {"VPN drops every hour"}
    assert await subjects(query=f"#{vpn}") == {"VPN drops every hour"}
    page = await case_lists.customer_cases(user, product_id=product.id, locale="el")
    assert page.rows[0].product == "Εικονικό δίκτυο"


@pytest.mark.parametrize(
    ("mode", "role", "sees_colleagues"),
    [
        (SharingMode.own, Role.account_admin, False),
        (SharingMode.all_contacts, Role.contact, True),
        (SharingMode.admins_only, Role.contact, False),
        (SharingMode.admins_only, Role.account_admin, True),
    ],
)
async def test_the_list_follows_the_sharing_mode(
    migrated_database: str,
    mailer: Mailer,
    store: LocalAttachmentStore,
    mode: SharingMode,
    role: Role,
    sees_colleagues: bool,
) -> None:
    account = await make_account(sharing_mode=mode.value)
    viewer = await make_user(role, account_id=account.id, name="Vera Viewer")
    colleague = await make_user(Role.contact, account_id=account.id, name="Cleo Colleague")
    outsider = await make_user(Role.contact, account_id=(await make_account(sharing_mode="all_contacts")).id)
    await opened(viewer, mailer, store, "Mine")
    await opened(colleague, mailer, store, "Colleague's")
    await opened(outsider, mailer, store, "Another company's")

    page = await case_lists.customer_cases(viewer)

    expected = {"Mine", "Colleague's"} if sees_colleagues else {"Mine"}
    assert {row.subject for row in page.rows} == expected
    assert page.shows_colleagues is sees_colleagues
    if sees_colleagues:
        assert {row.requester_first_name for row in page.rows} == {"Vera", "Cleo"}


async def test_a_mangled_or_foreign_cursor_shows_the_first_page(
    migrated_database: str, mailer: Mailer, store: LocalAttachmentStore
) -> None:
    user = await make_user(Role.prospect)
    for number in range(3):
        await opened(user, mailer, store, f"Case {number}")
    first = await case_lists.customer_cases(user, size=2)
    for cursor in ["garbage", "", "eyJ4Ijp9", first.next_cursor[:-3] + "AAA"]:  # type: ignore[index]
        page = await case_lists.customer_cases(user, size=2, after=cursor)
        assert [row.id for row in page.rows] == [row.id for row in first.rows]
    made_for_another_sort = await case_lists.customer_cases(user, size=2, sort="created", after=first.next_cursor)
    assert len(made_for_another_sort.rows) == 2
