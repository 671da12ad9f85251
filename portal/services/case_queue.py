"""The staff queue of cases: views (mine, unassigned, my teams', all), filters, sorts, keyset pages, the counts
per view, and each agent's saved filters.

The queue is the back office's busiest page and refreshes itself every few seconds, so every query here is
bounded: a page reads `page_size + 1` rows after a cursor (never OFFSET), and the counts only count cases that
are still being worked, once per full page (the polling refresh does not count).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from piccolo.columns.combination import WhereRaw
from piccolo.querystring import QueryString

from portal.db.tables import Case, CaseStatus, CaseTag, CaseType, Priority, SavedFilter
from portal.i18n import gettext as _
from portal.services import queue_clock
from portal.services.accounts import parse_id, valid_id
from portal.services.cases import PRIORITY_RANK
from portal.services.refusals import FieldRefused
from portal.services.support_teams import team_ids_of
from portal.services.users import CurrentUser

VIEWS = ("mine", "unassigned", "team", "all")
SORTS = ("due", "priority", "updated")
DEFAULT_VIEW = "mine"  # what an agent opens the desk for; also the cheapest query (by assignee)
ANY_STATUS = "any"
ACTIVE_STATUSES = [status.value for status in CaseStatus if status.is_open]
_STATUS_VALUES = {status.value for status in CaseStatus}
NO_ASSIGNEE = "none"
FILTER_NAME_MAX = 100
SAVED_FILTERS_MAX = 50
COUNT_CAP = 999

# Piccolo appends the direction after a raw ordering, so the raw text ends with the column the direction is for.
# NULLS LAST is PostgreSQL's default and what a plain index on due_at serves; SQLite needs it said.
_DUE_ORDER = QueryString('"support_case"."due_at" ASC NULLS LAST, "support_case"."id"')


@dataclass(frozen=True)
class QueueQuery:
    """What the agent asked the queue for; every field is a plain value that fits in a query string."""

    view: str = DEFAULT_VIEW
    status: str = ""  # "": every case still being worked; "any": also resolved and closed; or one status
    priority: str = ""
    type: str = ""
    product: int | None = None
    category: int | None = None
    account: int | None = None
    assignee: str = ""  # an agent's id, or "none"
    tag: str = ""
    sla: str = ""  # "soon": past the policy's warning share; "breached": past due (queue_clock.FILTERS)
    sort: str = "due"
    after: str = ""  # the keyset cursor: where the previous page ended

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> QueueQuery:
        """Read a query string's values, dropping anything that is not a valid choice (a stale bookmark must
        still open the queue, not an error page)."""

        def text(name: str) -> str:
            value = params.get(name, "")
            if isinstance(value, list):
                value = value[0] if value else ""
            return str(value).strip()

        def ident(name: str) -> int | None:
            value = text(name)
            return parse_id(value)

        assignee = text("assignee")
        statuses = [status.value for status in CaseStatus]
        return cls(
            view=text("view") if text("view") in VIEWS else DEFAULT_VIEW,
            status=text("status") if text("status") in [*statuses, ANY_STATUS] else "",
            priority=text("priority") if text("priority") in [p.value for p in Priority] else "",
            type=text("type") if text("type") in [t.value for t in CaseType] else "",
            product=ident("product"),
            category=ident("category"),
            account=ident("account"),
            assignee=assignee if assignee == NO_ASSIGNEE or ident("assignee") else "",
            tag=text("tag").lower()[:50],
            sla=text("sla") if text("sla") in queue_clock.FILTERS else "",
            sort=text("sort") if text("sort") in SORTS else "due",
            after=text("after")[:100],
        )

    def params(self, **changes: Any) -> dict[str, str]:
        """The non-default values as query parameters, with `changes` applied; the cursor is dropped unless given."""
        values = asdict(replace(self, after="")) | changes
        defaults = asdict(QueueQuery())
        return {key: str(value) for key, value in values.items() if value not in (None, "") and value != defaults[key]}

    def query_string(self, **changes: Any) -> str:
        return urlencode(self.params(**changes))

    @property
    def has_filters(self) -> bool:
        return bool(self.params(view=DEFAULT_VIEW, sort="due"))


@dataclass(frozen=True)
class QueuePage:
    rows: list[dict[str, Any]]
    query: QueueQuery
    next_cursor: str | None

    @property
    def is_first(self) -> bool:
        return not self.query.after


# --- Reading the queue --------------------------------------------------------------------------------------


def _status_in(statuses: Sequence[str]) -> WhereRaw:
    """`status IN (...)` with the values written into the SQL, not bound as parameters.

    PostgreSQL switches a repeated prepared statement to a generic plan after five runs, and a generic plan cannot
    prove that `status IN ($1, $2)` matches a partial index `WHERE status IN ('new', ...)`; with literals it can.
    Only the enum's own values get here, so nothing a user typed reaches the SQL.
    """
    if not statuses or not set(statuses) <= _STATUS_VALUES:
        raise ValueError(f"not case statuses: {statuses!r}")
    listed = ", ".join(f"'{status}'" for status in statuses)
    return WhereRaw(f'"support_case"."status" IN ({listed})')


def _view_filter(view: str, user: CurrentUser, team_ids: list[int]) -> Any:
    if view == "mine":
        return Case.assignee == user.id
    if view == "unassigned":
        return Case.assignee.is_null()
    if view == "team":
        return Case.team.is_in(team_ids)
    return None


def _filters(query: QueueQuery, user: CurrentUser, team_ids: list[int], now: datetime) -> list[Any]:
    conditions = [_view_filter(query.view, user, team_ids), queue_clock.condition(query.sla, now)]
    if query.status == "":
        conditions.append(_status_in(ACTIVE_STATUSES))
    elif query.status != ANY_STATUS:
        conditions.append(_status_in([query.status]))
    if query.priority:
        conditions.append(Case.priority == query.priority)
    if query.type:
        conditions.append(Case.type == query.type)
    for column, value in (
        (Case.product, query.product),
        (Case.category, query.category),
        (Case.account, query.account),
    ):
        if value is not None:
            conditions.append(column == value)
    if query.assignee == NO_ASSIGNEE:
        conditions.append(Case.assignee.is_null())
    elif query.assignee:
        conditions.append(Case.assignee == int(query.assignee))
    if query.tag:
        conditions.append(Case.id.is_in(CaseTag.select(CaseTag.case).where(CaseTag.tag == query.tag)))
    return [condition for condition in conditions if condition is not None]


def _cursor_of(row: dict[str, Any], sort: str) -> str:
    if sort == "priority":
        key = str(row["priority_rank"])
    else:
        moment = row["due_at"] if sort == "due" else row["updated_at"]
        key = moment.isoformat() if moment is not None else ""
    return f"{key}~{row['id']}"


def _after(cursor: str, sort: str) -> Any:
    """The keyset condition for rows after `cursor` in `sort` order; None for a cursor that does not parse."""
    key, _sep, raw_id = cursor.rpartition("~")
    last_id = parse_id(raw_id)
    if last_id is None:
        return None
    try:
        if sort == "priority":
            if key not in {str(rank) for rank in PRIORITY_RANK.values()}:
                return None  # a rank out of range would overflow PostgreSQL's integer, not miss
            rank = int(key)
            return (Case.priority_rank < rank) | ((Case.priority_rank == rank) & (Case.id > last_id))
        moment = datetime.fromisoformat(key) if key else None
    except ValueError:
        return None
    if sort == "updated":
        if moment is None:
            return None
        return (Case.updated_at < moment) | ((Case.updated_at == moment) & (Case.id < last_id))
    if moment is None:  # already among the cases without a due time, which come last
        return Case.due_at.is_null() & (Case.id > last_id)
    return (Case.due_at > moment) | ((Case.due_at == moment) & (Case.id > last_id)) | Case.due_at.is_null()


async def queue_page(user: CurrentUser, query: QueueQuery, page_size: int, *, now: datetime | None = None) -> QueuePage:
    """One page of the queue for `user` (staff), in the asked order, after the asked cursor; each row's
    `time_left` (a `queue_clock.TimeLeft`, or None) is how its SLA clock stands at `now`."""
    now = now or datetime.now(UTC)
    team_ids = await team_ids_of(user.id) if query.view == "team" else []
    if query.view == "team" and not team_ids:
        return QueuePage(rows=[], query=query, next_cursor=None)
    select = Case.select(
        Case.id,
        Case.number,
        Case.subject,
        Case.status,
        Case.priority,
        Case.priority_rank,
        Case.due_at,
        Case.first_response_due_at,
        Case.resolution_due_at,
        Case.first_response_at,
        Case.updated_at,
        Case.account.id.as_alias("account_id"),
        Case.account.name.as_alias("account_name"),
        Case.requester.name.as_alias("requester_name"),
        Case.assignee.id.as_alias("assignee_id"),
        Case.assignee.name.as_alias("assignee_name"),
    )
    for condition in _filters(query, user, team_ids, now):
        select = select.where(condition)
    if query.after and (after := _after(query.after, query.sort)) is not None:
        select = select.where(after)
    if query.sort == "priority":
        select = select.order_by(Case.priority_rank, ascending=False).order_by(Case.id)
    elif query.sort == "updated":
        select = select.order_by(Case.updated_at, Case.id, ascending=False)
    else:
        select = select.order_by(_DUE_ORDER)
    rows = await select.limit(page_size + 1)
    more = len(rows) > page_size
    rows = rows[:page_size]
    clocks = await queue_clock.clocks_of([row["id"] for row in rows])
    for row in rows:
        row["time_left"] = queue_clock.time_left(row, clocks.get(row["id"]), now)
    return QueuePage(rows=rows, query=query, next_cursor=_cursor_of(rows[-1], query.sort) if more else None)


async def _capped_counts(conditions: dict[str, Any]) -> dict[str, int]:
    """COUNTs over at most COUNT_CAP + 1 rows each: a tab needs "how many, or more than plenty", and counting
    every open case of a million-case table on each page view would cost more than the page itself. One
    statement for all the tabs: one round trip instead of one per tab."""
    # The names are this module's view names, the values bound parameters of the subqueries.
    columns = ", ".join(f'(SELECT COUNT(*) FROM ({{}}) AS capped_{name}) AS "{name}"' for name in conditions)  # noqa: S608
    capped = [
        Case.select(Case.id).where(condition).limit(COUNT_CAP + 1).querystrings[0] for condition in conditions.values()
    ]
    rows = await Case.raw(f"SELECT {columns}", *capped)
    return {name: int(rows[0][name]) for name in conditions}


async def queue_counts(user: CurrentUser) -> dict[str, int]:
    """How many cases still being worked each view holds, for the tabs; COUNT_CAP + 1 means "more than the cap"."""
    active = _status_in(ACTIVE_STATUSES)
    team_ids = await team_ids_of(user.id)
    conditions: dict[str, Any] = {
        "mine": active & (Case.assignee == user.id),
        "unassigned": active & Case.assignee.is_null(),
    }
    if team_ids:
        conditions["team"] = active & Case.team.is_in(team_ids)
    conditions["all"] = active
    counts = await _capped_counts(conditions)
    return {view: counts.get(view, 0) for view in ("mine", "unassigned", "team", "all")}


# --- Saved filters --------------------------------------------------------------------------------------------


def normalised_query(query_string: str) -> str:
    """A query string as the queue reads it, without its cursor: what a saved filter keeps."""
    return QueueQuery.from_params(dict(parse_qsl(query_string.lstrip("?")))).query_string()


async def saved_filters(user: CurrentUser) -> list[dict[str, Any]]:
    """The agent's own saved filters, by name."""
    return await (
        SavedFilter.select(SavedFilter.id, SavedFilter.name, SavedFilter.query)
        .where(SavedFilter.user == user.id)
        .order_by(SavedFilter.name)
    )


async def save_filter(user: CurrentUser, name: str, query_string: str) -> int:
    """Keep the current queue query under a name; saving a name again replaces what it holds."""
    name = name.strip()
    if not name:
        raise FieldRefused("name", _("This field is required."))
    if len(name) > FILTER_NAME_MAX:
        raise FieldRefused("name", _("Use at most %(count)d characters.") % {"count": FILTER_NAME_MAX})
    query = normalised_query(query_string)
    existing = await SavedFilter.select(SavedFilter.id).where(
        (SavedFilter.user == user.id) & (SavedFilter.name == name)
    )
    if existing:
        await SavedFilter.update({SavedFilter.query: query}).where(SavedFilter.id == existing[0]["id"])
        return int(existing[0]["id"])
    if await SavedFilter.count().where(SavedFilter.user == user.id) >= SAVED_FILTERS_MAX:
        raise FieldRefused(
            "name", _("You can keep at most %(count)d saved filters; delete one first.") % {"count": SAVED_FILTERS_MAX}
        )
    rows = await SavedFilter.insert(SavedFilter(user=user.id, name=name, query=query)).returning(SavedFilter.id)
    return int(rows[0]["id"])


async def delete_filter(user: CurrentUser, filter_id: int) -> bool:
    """Delete one of the agent's own saved filters; False for anyone else's (or none)."""
    if not valid_id(filter_id):
        return False
    rows = await (
        SavedFilter.delete()
        .where((SavedFilter.id == filter_id) & (SavedFilter.user == user.id))
        .returning(SavedFilter.id)
    )
    return bool(rows)
