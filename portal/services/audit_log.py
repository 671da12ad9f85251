"""Reading the audit log as admins do: filtered, newest first, a page at a time, or all of it as CSV.

Pages follow a keyset cursor (the last row's time and id), not OFFSET: a page deep in a large log costs the
same as the first, and rows recorded while an admin reads do not shift later pages.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.columns import Column
from piccolo.columns.combination import Where

from portal.db.tables import AuditEvent
from portal.services.audit import parse_details

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"^(\d{1,20})-(\d{1,20})$")


@dataclass(frozen=True)
class AuditFilter:
    """What an admin narrows the log to; every field is optional. `until` is exclusive."""

    kind: str | None = None
    user_email: str = ""  # part of the actor's or the subject's email
    account_name: str = ""  # part of the account's name
    ip: str = ""
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: just after (older than) this event."""

    occurred_at: datetime
    id: int

    def encode(self) -> str:
        delta = self.occurred_at - _EPOCH
        microseconds = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        return f"{microseconds}-{self.id}"

    @classmethod
    def decode(cls, text: str) -> Cursor | None:
        """None for anything that is not a cursor this module wrote (a hand-edited URL starts over)."""
        match = _CURSOR.match(text.strip())
        if not match:
            return None
        try:
            occurred_at = _EPOCH + timedelta(microseconds=int(match.group(1)))
        except OverflowError:
            return None
        return cls(occurred_at=occurred_at, id=int(match.group(2)))


@dataclass(frozen=True)
class Party:
    """A user as a row of the log names them."""

    id: int
    name: str
    email: str


@dataclass(frozen=True)
class LogRow:
    id: int
    occurred_at: datetime
    kind: str
    actor: Party | None
    subject: Party | None
    account_id: int | None
    account_name: str | None
    ip: str | None
    user_agent: str | None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def browser(self) -> tuple[str | None, str | None]:
        return browser_of(self.user_agent)


@dataclass(frozen=True)
class LogPage:
    rows: list[LogRow]
    next_cursor: Cursor | None  # None on the last page


# Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (
    ("Windows", "Windows"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Android", "Android"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def browser_of(user_agent: str | None) -> tuple[str | None, str | None]:
    """A reader's summary of a User-Agent header: (browser, operating system), each None when unknown."""
    if not user_agent:
        return None, None
    browser = next((name for token, name in _BROWSERS if token in user_agent), None)
    system = next((name for token, name in _SYSTEMS if token in user_agent), None)
    return browser, system


def _contains(column: Column, text: str) -> Where:
    """Case-insensitive substring match. SQLite's LIKE already ignores ASCII case (Piccolo warns on `ilike`
    there). `%` and `_` typed by the admin act as wildcards: a filter that matches a little more is harmless."""
    pattern = f"%{text}%"
    if column._meta.engine_type in ("postgres", "cockroach"):
        return column.ilike(pattern)
    return column.like(pattern)


def _conditions(filters: AuditFilter, after: Cursor | None) -> list[Any]:
    conditions: list[Any] = []
    if filters.kind:
        conditions.append(AuditEvent.kind == filters.kind)
    if filters.user_email:
        email = filters.user_email.strip().lower()  # emails are stored lower-cased
        conditions.append(_contains(AuditEvent.actor.email, email) | _contains(AuditEvent.subject.email, email))
    if filters.account_name:
        conditions.append(_contains(AuditEvent.account.name, filters.account_name.strip()))
    if filters.ip:
        conditions.append(AuditEvent.ip == filters.ip.strip())
    if filters.since is not None:
        conditions.append(AuditEvent.occurred_at >= filters.since)
    if filters.until is not None:
        conditions.append(AuditEvent.occurred_at < filters.until)
    if after is not None:
        conditions.append(
            (AuditEvent.occurred_at < after.occurred_at)
            | ((AuditEvent.occurred_at == after.occurred_at) & (AuditEvent.id < after.id))
        )
    return conditions


def _party(row: dict[str, Any], prefix: str) -> Party | None:
    if row[f"{prefix}_id"] is None:
        return None
    return Party(id=row[f"{prefix}_id"], name=row[f"{prefix}_name"], email=row[f"{prefix}_email"])


async def page(filters: AuditFilter, *, after: Cursor | None = None, limit: int = 50) -> LogPage:
    """Up to `limit` events matching `filters`, newest first, older than `after` when it is given."""
    query = AuditEvent.select(
        AuditEvent.id,
        AuditEvent.occurred_at,
        AuditEvent.kind,
        AuditEvent.actor.id.as_alias("actor_id"),
        AuditEvent.actor.name.as_alias("actor_name"),
        AuditEvent.actor.email.as_alias("actor_email"),
        AuditEvent.subject.id.as_alias("subject_id"),
        AuditEvent.subject.name.as_alias("subject_name"),
        AuditEvent.subject.email.as_alias("subject_email"),
        AuditEvent.account.id.as_alias("account_id"),
        AuditEvent.account.name.as_alias("account_name"),
        AuditEvent.ip,
        AuditEvent.user_agent,
        AuditEvent.details,
    )
    for condition in _conditions(filters, after):
        query = query.where(condition)
    rows = await query.order_by(AuditEvent.occurred_at, AuditEvent.id, ascending=False).limit(limit + 1)
    entries = [
        LogRow(
            id=row["id"],
            occurred_at=row["occurred_at"],
            kind=row["kind"],
            actor=_party(row, "actor"),
            subject=_party(row, "subject"),
            account_id=row["account_id"],
            account_name=row["account_name"],
            ip=row["ip"],
            user_agent=row["user_agent"],
            details=parse_details(row["details"]),
        )
        for row in rows[:limit]
    ]
    more = len(rows) > limit
    return LogPage(rows=entries, next_cursor=Cursor(entries[-1].occurred_at, entries[-1].id) if more else None)


async def every_row(filters: AuditFilter, batch: int = 500) -> AsyncIterator[LogRow]:
    """Every matching event, newest first, read in batches so a large log never sits in memory at once."""
    after: Cursor | None = None
    while True:
        current = await page(filters, after=after, limit=batch)
        for row in current.rows:
            yield row
        if current.next_cursor is None:
            return
        after = current.next_cursor


CSV_COLUMNS = (
    "occurred_at",
    "kind",
    "actor_email",
    "actor_name",
    "subject_email",
    "subject_name",
    "account",
    "ip",
    "user_agent",
    "details",
)

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection, OWASP).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_line(values: list[Any] | tuple[Any, ...]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([safe_cell(value) for value in values])
    return buffer.getvalue()


def csv_values(row: LogRow) -> list[Any]:
    return [
        row.occurred_at.astimezone(UTC).isoformat(),
        row.kind,
        row.actor.email if row.actor else "",
        row.actor.name if row.actor else "",
        row.subject.email if row.subject else "",
        row.subject.name if row.subject else "",
        row.account_name or "",
        row.ip or "",
        row.user_agent or "",
        json.dumps(row.details, ensure_ascii=False, sort_keys=True, default=str) if row.details else "",
    ]


async def csv_lines(filters: AuditFilter) -> AsyncIterator[str]:
    """The filtered log as CSV text, line by line, with a byte-order mark so spreadsheets read UTF-8 (Greek)."""
    yield "\ufeff" + csv_line(CSV_COLUMNS)
    async for row in every_row(filters):
        yield csv_line(csv_values(row))
