"""How each row of the staff queue stands against its SLA clock, and the queue's "breaching soon" and "breached"
filters.

Time left is counted in wall-clock minutes to the case's `due_at` (the page says so): counting business minutes
would need every row's calendar, and the due time itself is already in business hours. "Soon" is the policy's
warning share of the running target (`CaseSla.*_warn_at`), so the queue warns exactly when the SLA check does.
A case is breached here while its running clock is past due; the filter and the row's text use the same rules.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from portal.db.sla_tables import CaseSla
from portal.db.tables import Case, CaseStatus

SOON = "soon"
BREACHED = "breached"
FILTERS = (SOON, BREACHED)
PAUSED_STATUSES = frozenset({CaseStatus.waiting_on_customer.value, CaseStatus.on_hold.value})


@dataclass(frozen=True)
class TimeLeft:
    """`state` is "ok", "soon", "late" or "paused"; `minutes` is what is left, or for "late" how long ago it was
    due (at least 1)."""

    state: str
    minutes: int = 0


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _on_first_response(row: dict[str, Any]) -> bool:
    """Whether `due_at` is the first-response due time (not yet answered) rather than the resolution's."""
    return row["first_response_at"] is None and row["first_response_due_at"] is not None


def condition(name: str, now: datetime) -> Any:
    """The WHERE condition for the "soon" or "breached" filter at `now`; None for no filter."""
    if name == BREACHED:
        return Case.due_at <= now
    if name != SOON:
        return None
    first = CaseSla.case.first_response_at.is_null() & CaseSla.case.first_response_due_at.is_not_null()
    resolution = CaseSla.case.first_response_at.is_not_null() | CaseSla.case.first_response_due_at.is_null()
    warned = CaseSla.select(CaseSla.case).where(
        (first & (CaseSla.first_response_warn_at <= now)) | (resolution & (CaseSla.resolution_warn_at <= now))
    )
    return (Case.due_at > now) & Case.id.is_in(warned)


async def clocks_of(case_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The page's `CaseSla` rows by case id, in one query."""
    if not case_ids:
        return {}
    rows = await CaseSla.select(
        CaseSla.case, CaseSla.paused_since, CaseSla.first_response_warn_at, CaseSla.resolution_warn_at
    ).where(CaseSla.case.is_in(list(case_ids)))
    return {int(row["case"]): row for row in rows}


def time_left(row: dict[str, Any], clock: dict[str, Any] | None, now: datetime) -> TimeLeft | None:
    """How a queue row (with its due columns and status) stands at `now`; None when it has no due time."""
    due = row["due_at"]
    if due is None:
        has_targets = row["first_response_due_at"] is not None or row["resolution_due_at"] is not None
        if clock is not None and clock["paused_since"] is not None and row["status"] in PAUSED_STATUSES:
            return TimeLeft("paused") if has_targets else None
        return None
    seconds = (_aware(due) - now).total_seconds()
    if seconds <= 0:
        return TimeLeft("late", max(1, int(-seconds // 60)))
    warn_at = None
    if clock is not None:
        warn_at = clock["first_response_warn_at"] if _on_first_response(row) else clock["resolution_warn_at"]
    state = SOON if warn_at is not None and _aware(warn_at) <= now else "ok"
    return TimeLeft(state, math.ceil(seconds / 60))
