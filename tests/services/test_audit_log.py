from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal.db.tables import Role
from portal.services import audit, audit_log
from portal.services.audit import AuditKind, Origin
from portal.services.audit_log import AuditFilter, Cursor
from tests.factories import make_account, make_audit_event, make_user


async def test_recent_sign_ins_are_the_users_own_successes_and_failures_newest_first(migrated_database: str) -> None:
    user = await make_user(Role.contact)
    other = await make_user(Role.contact)
    base = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    first = await make_audit_event(AuditKind.sign_in, at=base, subject_id=user.id, origin=Origin(ip="192.0.2.1"))
    failed = await make_audit_event(AuditKind.sign_in_failed, at=base + timedelta(hours=1), subject_id=user.id)
    await make_audit_event(AuditKind.password_changed, at=base + timedelta(hours=2), subject_id=user.id)
    await make_audit_event(AuditKind.sign_in, at=base + timedelta(hours=3), subject_id=other.id)

    entries = await audit.recent_sign_ins(user.id, limit=10)

    assert [entry.id for entry in entries] == [failed, first]
    assert entries[1].ip == "192.0.2.1"
    assert [entry.id for entry in await audit.recent_sign_ins(user.id, limit=1)] == [failed]


async def test_keyset_pages_cover_every_event_once_even_when_times_tie(migrated_database: str) -> None:
    base = datetime(2026, 5, 1, tzinfo=UTC)
    ids = [await make_audit_event(AuditKind.sign_in, at=base + timedelta(seconds=n // 3)) for n in range(20)]

    seen: list[int] = []
    after = None
    while True:
        page = await audit_log.page(AuditFilter(), after=after, limit=4)
        seen += [row.id for row in page.rows]
        if page.next_cursor is None:
            break
        after = Cursor.decode(page.next_cursor.encode())  # as it travels through a link

    assert seen == sorted(ids, key=lambda event_id: (ids.index(event_id) // 3, event_id), reverse=True)
    assert len(seen) == len(set(seen)) == 20


async def test_filters_narrow_by_kind_user_account_address_and_time(migrated_database: str) -> None:
    account = await make_account(name="Ωμέγα Trading")
    alice = await make_user(Role.contact, email="alice@shop.example", account_id=account.id)
    bob = await make_user(Role.contact, email="bob@other.example")
    day = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
    a = await make_audit_event(
        AuditKind.sign_in, at=day, subject_id=alice.id, account_id=account.id, origin=Origin(ip="198.51.100.7")
    )
    b = await make_audit_event(AuditKind.sign_in_failed, at=day - timedelta(days=3), subject_id=bob.id)
    c = await make_audit_event(AuditKind.role_changed, at=day, actor_id=bob.id, subject_id=alice.id)

    async def ids(filters: AuditFilter) -> set[int]:
        return {row.id for row in (await audit_log.page(filters)).rows}

    assert await ids(AuditFilter(kind="sign_in_failed")) == {b}
    assert await ids(AuditFilter(user_email="ALICE@shop")) == {a, c}
    assert await ids(AuditFilter(user_email="bob@")) == {b, c}  # as subject or as actor
    assert await ids(AuditFilter(account_name="trading")) == {a}
    assert await ids(AuditFilter(ip="198.51.100.7")) == {a}
    assert await ids(AuditFilter(since=day - timedelta(days=1))) == {a, c}
    assert await ids(AuditFilter(until=day - timedelta(days=1))) == {b}


def test_a_cursor_survives_its_text_form_and_nonsense_is_no_cursor() -> None:
    cursor = Cursor(datetime(2026, 5, 1, 10, 11, 12, 123456, tzinfo=UTC), 42)
    assert Cursor.decode(cursor.encode()) == cursor
    for text in ["", "abc", "1-", "-1-2", "1;2", "9" * 30 + "-1"]:
        assert Cursor.decode(text) is None


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised() -> None:
    line = audit_log.csv_line(["=1+1", "+31", "-2", "@SUM(A1)", "plain", None, 7])
    assert line.strip() == "'=1+1,'+31,'-2,'@SUM(A1),plain,,7"


def test_browser_summary() -> None:
    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36 Edg/126.0"
    assert audit_log.browser_of(firefox) == ("Firefox", "Linux")
    assert audit_log.browser_of(edge) == ("Edge", "Windows")
    assert audit_log.browser_of(None) == (None, None)
