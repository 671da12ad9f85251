"""The customer's list of cases: filters, search and keyset paging, scoped by the account's sharing rules.

Pages are cut by a cursor holding the sort key of the row at the page's edge, never by OFFSET, and nothing is
counted: each page is one query that reads `size + 1` rows along an index ((requester, updated_at, id) or
(account, updated_at, id), by the sharing scope), so page 400 costs what page 1 costs. The cursor is opaque to
the browser but not secret: it only says where to continue, and every query is still cut by the user's scope.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from piccolo.columns.combination import WhereRaw
from piccolo.custom_types import Combinable

from portal.db import engine as db_engine
from portal.db.tables import Case, CaseStatus, CaseType, Priority
from portal.services import access, case_reads
from portal.services.accounts import MAX_ID
from portal.services.catalog import display_name
from portal.services.users import CurrentUser

State = Literal["open", "closed", "all"]
Sort = Literal["updated", "created", "priority"]
STATES: tuple[State, ...] = ("open", "closed", "all")
SORTS: tuple[Sort, ...] = ("updated", "created", "priority")
QUERY_MAX = 200

OPEN_STATUSES = [status.value for status in CaseStatus if status.is_open]
CLOSED_STATUSES = [status.value for status in CaseStatus if not status.is_open]

# `C-2026-000123`, `c-2026-123`, `#123`, `000123`: the number is built from the row's id, so its digits are the id.
_NUMBER = re.compile(r"^\s*(?:c-?\d{4}-?|#)?0*(\d{1,12})\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class CaseRow:
    id: int
    number: str
    subject: str
    status: CaseStatus
    type: CaseType
    priority: Priority
    product: str | None
    created_at: datetime
    updated_at: datetime
    requester_first_name: str
    unread: bool


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    next_cursor: str | None  # pass as `after` for the next page
    previous_cursor: str | None  # pass as `before` for the previous page
    shows_colleagues: bool  # the list holds other people's cases too: show who asked


# --- Cursors -------------------------------------------------------------------------------------------------------


def _key_of(row: dict[str, Any], sort: Sort) -> list[Any]:
    if sort == "created":
        return [row["id"]]  # ids rise with creation time, and the primary key is the cheapest order there is
    if sort == "priority":
        return [row["priority_rank"], row["updated_at"].isoformat(), row["id"]]
    return [row["updated_at"].isoformat(), row["id"]]


def encode_cursor(row: dict[str, Any], sort: Sort) -> str:
    raw = json.dumps([sort, *_key_of(row, sort)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, sort: Sort) -> list[Any] | None:
    """The sort key in `cursor`, or None when it is missing, mangled or made for another sort (the first page)."""
    if not cursor or len(cursor) > 200:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or not values or values.pop(0) != sort:
            return None
        *rest, last_id = values
        if not isinstance(last_id, int) or not 0 <= last_id <= MAX_ID:
            return None
        if sort == "created":
            return [last_id] if not rest else None
        if sort == "priority":
            rank, stamp = rest
            if not isinstance(rank, int) or not 0 <= rank <= len(Priority):
                return None
            return [rank, _timestamp(stamp), last_id]
        (stamp,) = rest
        return [_timestamp(stamp), last_id]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None


def _timestamp(value: Any) -> datetime:
    stamp = datetime.fromisoformat(value)  # ValueError or TypeError for anything else
    if stamp.tzinfo is None:
        raise ValueError("naive timestamp")
    return stamp


def _beyond(key: list[Any], sort: Sort, *, forward: bool) -> Combinable:
    """Rows after `key` in the list's order (newest/most urgent first), or before it when not `forward`.

    Written as `a <= x AND (a < x OR b < y)` rather than only the OR, so the database can start its index range
    at the cursor instead of filtering from the top of the index.
    """

    def past(column: Any, value: Any) -> Any:
        return column < value if forward else column > value

    def up_to(column: Any, value: Any) -> Any:
        return column <= value if forward else column >= value

    if sort == "created":
        return past(Case.id, key[0])  # type: ignore[no-any-return]
    if sort == "priority":
        rank, stamp, last_id = key
        same_rank = up_to(Case.updated_at, stamp) & (past(Case.updated_at, stamp) | past(Case.id, last_id))
        lower_rank = past(Case.priority_rank, rank) | ((Case.priority_rank == rank) & same_rank)
        return up_to(Case.priority_rank, rank) & lower_rank  # type: ignore[no-any-return]
    stamp, last_id = key
    return up_to(Case.updated_at, stamp) & (past(Case.updated_at, stamp) | past(Case.id, last_id))  # type: ignore[no-any-return]


def _order(query: Any, sort: Sort, *, forward: bool) -> Any:
    columns: list[Any] = [Case.updated_at, Case.id]
    if sort == "created":
        columns = [Case.id]
    elif sort == "priority":
        columns = [Case.priority_rank, Case.updated_at, Case.id]
    for column in columns:
        query = query.order_by(column, ascending=not forward)
    return query


# --- Filters -------------------------------------------------------------------------------------------------------


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search(text: str) -> Combinable | None:
    """Subject contains `text` (case-insensitive), or `text` is the case's number or its digits."""
    text = " ".join(text.replace("\x00", "").split())[:QUERY_MAX]
    if not text:
        return None
    engine = db_engine.current()
    operator = "LIKE" if engine is None or db_engine.is_sqlite(engine) else "ILIKE"
    # SQLite's LIKE ignores case for ASCII letters only; PostgreSQL's ILIKE for every alphabet, Greek included.
    condition: Any = WhereRaw(
        f"support_case.subject {operator} {{}} ESCAPE '\\'",
        f"%{_escape_like(text)}%",
    )
    if (number := _NUMBER.match(text)) and 0 < int(number.group(1)) <= MAX_ID:
        condition = condition | (Case.id == int(number.group(1)))
    return condition  # type: ignore[no-any-return]


def _filters(
    scope: Combinable | None,
    *,
    state: State,
    type: CaseType | None,
    product_id: int | None,
    query: str,
) -> list[Combinable]:
    conditions = [condition for condition in (scope, _search(query)) if condition is not None]
    if state == "open":
        conditions.append(Case.status.is_in(OPEN_STATUSES))
    elif state == "closed":
        conditions.append(Case.status.is_in(CLOSED_STATUSES))
    if type is not None:
        conditions.append(Case.type == type)
    if product_id is not None:
        conditions.append(Case.product == product_id)
    return conditions


# --- The list ------------------------------------------------------------------------------------------------------


async def customer_cases(
    user: CurrentUser,
    *,
    state: State = "all",
    type: CaseType | None = None,
    product_id: int | None = None,
    query: str = "",
    sort: Sort = "updated",
    after: str | None = None,
    before: str | None = None,
    size: int = 25,
    locale: str = "en",
) -> CasePage:
    """One page of the cases `user` may see, newest activity first unless `sort` says otherwise.

    `after` continues past a page's last row (its `next_cursor`), `before` goes back from a page's first row (its
    `previous_cursor`); a cursor that does not decode is ignored and the first page is shown.
    """
    scope = await access.case_scope(user)
    conditions = _filters(
        scope.where(Case.account, Case.requester), state=state, type=type, product_id=product_id, query=query
    )
    forward = True
    cursor = decode_cursor(after, sort)
    if cursor is None and (cursor := decode_cursor(before, sort)) is not None:
        forward = False
    if cursor is not None:
        conditions.append(_beyond(cursor, sort, forward=forward))
    select = Case.select(
        Case.id,
        Case.number,
        Case.subject,
        Case.status,
        Case.type,
        Case.priority,
        Case.priority_rank,
        Case.created_at,
        Case.updated_at,
        Case.product.name_en.as_alias("product_name_en"),
        Case.product.name_el.as_alias("product_name_el"),
        Case.requester.name.as_alias("requester_name"),
    )
    if conditions:
        select = select.where(*conditions)
    rows = await _order(select, sort, forward=forward).limit(size + 1)
    more = len(rows) > size
    rows = rows[:size]
    if not forward:
        rows.reverse()
    # Going forward, the page before exists when we came from somewhere; going back, the page after always does.
    has_next = more if forward else cursor is not None
    has_previous = cursor is not None if forward else more
    unread = await case_reads.unread_case_ids(user.id, [row["id"] for row in rows])
    return CasePage(
        rows=[_row(row, locale, row["id"] in unread) for row in rows],
        next_cursor=encode_cursor(rows[-1], sort) if rows and has_next else None,
        previous_cursor=encode_cursor(rows[0], sort) if rows and has_previous else None,
        shows_colleagues=scope.user_ids is None,
    )


def _row(row: dict[str, Any], locale: str, unread: bool) -> CaseRow:
    product = None
    if row["product_name_en"] is not None:
        product = display_name({"name_en": row["product_name_en"], "name_el": row["product_name_el"]}, locale)
    name = (row["requester_name"] or "").strip()
    return CaseRow(
        id=row["id"],
        number=row["number"],
        subject=row["subject"],
        status=CaseStatus(row["status"]),
        type=CaseType(row["type"]),
        priority=Priority(row["priority"]),
        product=product,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        requester_first_name=name.split()[0] if name else "",
        unread=unread,
    )
