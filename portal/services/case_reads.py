"""Unread cases: a case is unread for a user when something public happened on it after they last opened it.

`CaseView` holds when each user last opened each case; `Case.last_public_at` when the customer last could see
something new. A case the user never opened is unread only if someone wrote on it after it was created, so a
customer's own new case and an untouched queue do not light up. Each count is one query, the comparison made
by the database, so a navigation badge costs one indexed query per page.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from piccolo.columns.combination import WhereRaw
from piccolo.query.methods.select import Select

from portal.db.tables import Case, CaseStatus, CaseView
from portal.services import access
from portal.services.users import CurrentUser

OPEN_STATUSES = [status.value for status in CaseStatus if status.is_open]
BADGE_CAP = 99  # a count above it shows as "99+"


def _unread_for(user_id: int) -> WhereRaw:
    # Correlated on the case row: the user's CaseView (at most one, by its unique key) or, never opened, the
    # case's creation. Timestamps compare correctly as values on PostgreSQL and as Piccolo's UTC text on SQLite.
    return WhereRaw(
        "support_case.last_public_at > COALESCE("
        '(SELECT v.seen_at FROM case_view v WHERE v."case" = support_case.id AND v."user" = {}), '
        "support_case.created_at)",
        user_id,
    )


def view_key(case_id: int, user_id: int) -> str:
    return f"{case_id}:{user_id}"


async def mark_seen(user_id: int, case_id: int) -> None:
    """The user opened the case now. One statement, so two tabs opening it at once cannot collide."""
    await CaseView.insert(
        CaseView(case=case_id, user=user_id, key=view_key(case_id, user_id), seen_at=datetime.now(UTC))
    ).on_conflict(target=CaseView.key, action="DO UPDATE", values=[CaseView.seen_at])


async def unread_case_ids(user_id: int, case_ids: Sequence[int]) -> set[int]:
    """Which of `case_ids` (a page of a list) are unread for the user."""
    if not case_ids:
        return set()
    rows = await Case.select(Case.id).where(Case.id.is_in(list(case_ids)), _unread_for(user_id))
    return {row["id"] for row in rows}


async def _capped_count(query: Select[Case]) -> int:
    """COUNT over at most BADGE_CAP + 1 rows: a badge says "99+" beyond that, and a customer with thousands of
    cases would otherwise pay a lookup per case on every page."""
    rows = await Case.raw("SELECT COUNT(*) AS n FROM ({}) AS capped", query.limit(BADGE_CAP + 1).querystrings[0])
    return int(rows[0]["n"])


async def unread_count_for_customer(user: CurrentUser) -> int:
    """Unread cases among those the customer may see (their own, or their account's, by its sharing mode), up to
    BADGE_CAP + 1."""
    condition = (await access.case_scope(user)).where(Case.account, Case.requester)
    query = Case.select(Case.id).where(_unread_for(user.id))
    if condition is not None:
        query = query.where(condition)
    return await _capped_count(query)


async def unread_count_for_agent(user_id: int) -> int:
    """Open cases assigned to the agent with public activity they have not seen, up to BADGE_CAP + 1."""
    return await _capped_count(
        Case.select(Case.id).where((Case.assignee == user_id) & Case.status.is_in(OPEN_STATUSES), _unread_for(user_id))
    )


async def agent_badge(user: CurrentUser) -> int:
    """`unread_count_for_agent` in the shape the navigation's badges take."""
    return await unread_count_for_agent(user.id)
