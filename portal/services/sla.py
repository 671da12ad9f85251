"""The SLA clock: due times in business hours, pauses, first response, warnings and breaches (which contract
covers a case is `contracts`).

The case services call in at four points, inside their own transactions: `start_clock` when a case opens,
`status_changed` from `cases.set_status`, `first_responded` on staff's first public reply, and
`priority_changed`. Each returns the `Case` columns to write (the due times the queue sorts by), and keeps the
rest of the clock in `CaseSla`.

Due times are always `add(started_at, target + paused_minutes)` in the case's calendar, so a pause moves them by
the business minutes it lasted. While the clock stands still (waiting on the customer, on hold, resolved,
closed) `Case.due_at` is empty and nothing breaches. `check_clocks`, run by the worker, records warnings and
breaches; each is written with a conditional update, so two workers, or a worker catching up after downtime,
never record one twice, and a breach is dated at the due time it passed rather than when it was noticed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

import structlog

from portal.db.sla_tables import CaseSla, Entitlement, SlaPolicy
from portal.db.tables import Case, CaseStatus, Priority
from portal.plugins import outbox
from portal.plugins.events import DomainEvent
from portal.services.accounts import locking
from portal.services.business_hours import Calendar, CalendarError
from portal.services.contracts import ROUND_THE_CLOCK, coverage, load_calendar, targets
from portal.services.registration import transaction

log = structlog.get_logger("portal.sla")

STOPPED = frozenset({CaseStatus.waiting_on_customer, CaseStatus.on_hold, CaseStatus.resolved, CaseStatus.closed})
CHECK_INTERVAL = 60.0  # seconds between two looks for warnings and breaches


class Clock(StrEnum):
    first_response = "first_response"
    resolution = "resolution"


@dataclass(frozen=True, kw_only=True)
class _SlaEvent(DomainEvent):
    aggregate: ClassVar[str] = "case"
    case_id: int
    clock: str  # "first_response" or "resolution"
    due_at: str  # ISO 8601, UTC
    target_minutes: int | None

    @property
    def aggregate_id(self) -> str:
        return str(self.case_id)


@dataclass(frozen=True, kw_only=True)
class CaseSlaWarning(_SlaEvent):
    """A share of an SLA target (the policy's `warn_percent`) has elapsed and the clock still runs."""

    topic: ClassVar[str] = "case.sla_warning"


@dataclass(frozen=True, kw_only=True)
class CaseSlaBreached(_SlaEvent):
    """An SLA target passed: `due_at` is when. Recorded once per case and clock."""

    topic: ClassVar[str] = "case.sla_breached"


@dataclass(frozen=True)
class ClockReport:
    warnings: list[tuple[int, Clock]]
    breaches: list[tuple[int, Clock]]


# --- The clock, called by the case services -------------------------------------------------------------------


async def start_clock(
    case_id: int,
    *,
    account_id: int | None,
    requester_id: int,
    product_id: int | None,
    priority: Priority,
    now: datetime,
) -> dict[Any, Any]:
    """Start a new case's clock (in the caller's transaction); returns its due-time columns."""
    found = await coverage(account_id=account_id, requester_id=requester_id, product_id=product_id, at=now)
    policy = None
    if found.policy_id is not None:
        policy = await SlaPolicy.select().where(SlaPolicy.id == found.policy_id).first()
    first_response, resolution = targets(policy, priority)
    sla = {
        "case": case_id,
        "contract": found.contract_id,
        "policy": found.policy_id,
        "calendar": found.calendar_id,
        "entitlement": found.entitlement,
        "first_response_minutes": first_response,
        "resolution_minutes": resolution,
        "warn_percent": policy["warn_percent"] if policy else 75,
        "started_at": now,
        "paused_since": None,
        "paused_minutes": 0,
    }
    case_values, sla_values = _due_times(await load_calendar(found.calendar_id), sla, answered=False)
    await CaseSla.insert(CaseSla(**(sla | {column._meta.name: value for column, value in sla_values.items()})))
    return case_values


async def status_changed(case: dict[str, Any], new: CaseStatus, now: datetime) -> dict[Any, Any]:
    """Stop the clock when the case waits on the customer, is on hold or resolved; run it again, with the due
    times moved by the business minutes it stood still, when it comes back."""
    sla = await _locked_sla(case["id"])
    if sla is None:
        return {}
    stopped = sla["paused_since"] is not None
    if new in STOPPED and not stopped:
        await _settle(sla, case, now)  # a target passed before the stop is a breach even if no job saw it yet
        await CaseSla.update({CaseSla.paused_since: now}).where(CaseSla.id == sla["id"])
        return {Case.due_at: None}
    if new not in STOPPED and stopped:
        calendar = await load_calendar(sla["calendar"])
        sla["paused_minutes"] += calendar.business_minutes_between(sla["paused_since"], now)
        sla["paused_since"] = None
        case_values, sla_values = _due_times(calendar, sla, answered=case["first_response_at"] is not None)
        await CaseSla.update(
            {CaseSla.paused_since: None, CaseSla.paused_minutes: sla["paused_minutes"]} | sla_values
        ).where(CaseSla.id == sla["id"])
        return case_values
    return {}


async def first_responded(case: dict[str, Any], now: datetime) -> dict[Any, Any]:
    """Staff's first public reply, at `now`: a late one is a breach; the queue now waits on the resolution."""
    sla = await _locked_sla(case["id"])
    if sla is None:
        return {}
    calendar = await load_calendar(sla["calendar"])
    # The due times as the clock stands now: a status change in the same step may have moved them already.
    current, _warnings = _due_times(calendar, sla, answered=False)
    await _settle(sla, case | {column._meta.name: value for column, value in current.items()}, now, answered=now)
    if sla["paused_since"] is not None:
        return {}
    return {Case.due_at: _due_times(calendar, sla, answered=True)[0][Case.due_at]}


async def priority_changed(case: dict[str, Any], priority: Priority) -> dict[Any, Any]:
    """New targets for the new priority, counted from the case's start (pauses so far still move them); an
    answered first response keeps its due time."""
    sla = await _locked_sla(case["id"])
    if sla is None:
        return {}
    policy = None
    if sla["policy"] is not None:
        policy = await SlaPolicy.select().where(SlaPolicy.id == sla["policy"]).first()
    first_response, resolution = targets(policy, priority)
    calendar = await load_calendar(sla["calendar"])
    sla |= {"first_response_minutes": first_response, "resolution_minutes": resolution}
    case_values, sla_values = _due_times(calendar, sla, answered=case["first_response_at"] is not None)
    await CaseSla.update(
        {CaseSla.first_response_minutes: first_response, CaseSla.resolution_minutes: resolution} | sla_values
    ).where(CaseSla.id == sla["id"])
    return case_values


@dataclass(frozen=True)
class ClockState:
    """What the agent's pages show of a case's clock besides its due times."""

    entitlement: Entitlement
    contract_id: int | None
    paused: bool
    first_response_breached_at: datetime | None
    resolution_breached_at: datetime | None

    @property
    def flagged(self) -> bool:
        return self.entitlement.flagged


async def clock_state(case_id: int) -> ClockState | None:
    row = await CaseSla.select().where(CaseSla.case == case_id).first()
    if row is None:
        return None
    return ClockState(
        entitlement=Entitlement(row["entitlement"]),
        contract_id=row["contract"],
        paused=row["paused_since"] is not None,
        first_response_breached_at=row["first_response_breached_at"],
        resolution_breached_at=row["resolution_breached_at"],
    )


async def restart(case_id: int, started_at: datetime) -> None:
    """Count a case's clock from `started_at` instead (the demo ages its cases with it); in its own transaction."""
    async with transaction():
        case = await locking(Case.select().where(Case.id == case_id)).first()
        sla = await _locked_sla(case_id)
        if case is None or sla is None:
            return
        sla["started_at"] = started_at
        calendar = await load_calendar(sla["calendar"])
        case_values, sla_values = _due_times(calendar, sla, answered=case["first_response_at"] is not None)
        await CaseSla.update({CaseSla.started_at: started_at} | sla_values).where(CaseSla.id == sla["id"])
        await Case.update(case_values).where(Case.id == case_id)


# --- The background check ---------------------------------------------------------------------------------------


async def check_clocks(now: datetime | None = None) -> ClockReport:
    """Record the warnings and breaches due by `now` (run by `portal worker`; safe to run anywhere, any time)."""
    now = now or datetime.now(UTC)
    unanswered = CaseSla.case.first_response_at.is_null()
    due = (
        (CaseSla.first_response_breached_at.is_null() & unanswered & (CaseSla.case.first_response_due_at <= now))
        | (CaseSla.resolution_breached_at.is_null() & (CaseSla.case.resolution_due_at <= now))
        | (CaseSla.first_response_warned_at.is_null() & unanswered & (CaseSla.first_response_warn_at <= now))
        | (CaseSla.resolution_warned_at.is_null() & (CaseSla.resolution_warn_at <= now))
    )
    candidates = await CaseSla.select(CaseSla.case).where(
        CaseSla.case.status.not_in([CaseStatus.resolved, CaseStatus.closed]) & due
    )
    report = ClockReport(warnings=[], breaches=[])
    for row in candidates:
        async with transaction():
            case = await locking(Case.select().where(Case.id == row["case"])).first()
            sla = await _locked_sla(row["case"])
            if case is None or sla is None or not CaseStatus(case["status"]).is_open:
                continue
            report.breaches.extend((case["id"], clock) for clock in await _settle(sla, case, now))
            report.warnings.extend((case["id"], clock) for clock in await _warn(sla, case, now))
    return report


async def check_periodically(interval: float = CHECK_INTERVAL) -> None:
    """Every process may run it: each warning and breach is recorded once whoever sees it first."""
    while True:
        try:
            await check_clocks()
        except Exception:  # a database outage must not end the loop
            log.exception("checking SLA clocks failed")
        await asyncio.sleep(interval)


# --- Inside ----------------------------------------------------------------------------------------------------------


async def _locked_sla(case_id: int) -> dict[str, Any] | None:
    row: dict[str, Any] | None = await locking(CaseSla.select().where(CaseSla.case == case_id)).first()
    return row


def _due_times(calendar: Calendar, sla: dict[str, Any], *, answered: bool) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """The `Case` due columns and the `CaseSla` warning columns for the clock in `sla`."""
    started, paused = sla["started_at"], sla["paused_minutes"]

    def moment(target: int | None, share: int = 100) -> datetime | None:
        if target is None:
            return None
        minutes = target * share // 100 + paused
        try:
            return calendar.add_business_minutes(started, minutes)
        except CalendarError:  # closed for years (holidays typed wrong): count round the clock rather than fail
            log.exception("calendar never opens; counting round the clock", calendar_id=sla["calendar"])
            return ROUND_THE_CLOCK.add_business_minutes(started, minutes)

    case_values: dict[Any, Any] = {}
    sla_values: dict[Any, Any] = {}
    first_due = None
    if not answered:
        first_due = moment(sla["first_response_minutes"])
        case_values[Case.first_response_due_at] = first_due
        sla_values[CaseSla.first_response_warn_at] = moment(sla["first_response_minutes"], sla["warn_percent"])
    resolution_due = moment(sla["resolution_minutes"])
    case_values[Case.resolution_due_at] = resolution_due
    sla_values[CaseSla.resolution_warn_at] = moment(sla["resolution_minutes"], sla["warn_percent"])
    running = sla["paused_since"] is None
    case_values[Case.due_at] = (first_due or resolution_due) if running else None
    return case_values, sla_values


async def _settle(
    sla: dict[str, Any], case: dict[str, Any], now: datetime, *, answered: datetime | None = None
) -> list[Clock]:
    """Record the breaches that had happened by `now`, or by the moment the clock stopped (an answer given while
    it stood still came when it stopped)."""
    ran_until = sla["paused_since"] or now
    breached: list[Clock] = []
    first_due = case["first_response_due_at"]
    if first_due is not None and sla["first_response_breached_at"] is None:
        answered = answered or case["first_response_at"]
        late = (ran_until if answered is None else min(answered, ran_until)) > first_due
        if late and await _mark(sla, CaseSla.first_response_breached_at, first_due):
            await _announce(CaseSlaBreached, case["id"], Clock.first_response, first_due, sla)
            breached.append(Clock.first_response)
    resolution_due = case["resolution_due_at"]
    late = resolution_due is not None and sla["resolution_breached_at"] is None and ran_until > resolution_due
    if late and await _mark(sla, CaseSla.resolution_breached_at, resolution_due):
        await _announce(CaseSlaBreached, case["id"], Clock.resolution, resolution_due, sla)
        breached.append(Clock.resolution)
    return breached


async def _warn(sla: dict[str, Any], case: dict[str, Any], now: datetime) -> list[Clock]:
    """Record the warnings due by `now` while the clock ran; none for a clock already breached."""
    ran_until = sla["paused_since"] or now
    warned: list[Clock] = []
    for clock, warn_at, warned_at, breached_at, due in (
        (
            Clock.first_response,
            CaseSla.first_response_warn_at,
            CaseSla.first_response_warned_at,
            CaseSla.first_response_breached_at,
            case["first_response_due_at"],
        ),
        (
            Clock.resolution,
            CaseSla.resolution_warn_at,
            CaseSla.resolution_warned_at,
            CaseSla.resolution_breached_at,
            case["resolution_due_at"],
        ),
    ):
        moment = sla[warn_at._meta.name]
        if moment is None or sla[warned_at._meta.name] is not None or ran_until < moment:
            continue
        if clock == Clock.first_response and case["first_response_at"] is not None:
            continue
        if await _mark(sla, warned_at, now) and sla[breached_at._meta.name] is None:
            await _announce(CaseSlaWarning, case["id"], clock, due, sla)
            warned.append(clock)
    return warned


async def _mark(sla: dict[str, Any], column: Any, moment: datetime) -> bool:
    """Set `column` once: True only for the caller that set it."""
    changed = (
        await CaseSla.update({column: moment}).where((CaseSla.id == sla["id"]) & column.is_null()).returning(CaseSla.id)
    )
    if changed:
        sla[column._meta.name] = moment
    return bool(changed)


async def _announce(kind: type[_SlaEvent], case_id: int, clock: Clock, due: datetime, sla: dict[str, Any]) -> None:
    target = sla["first_response_minutes"] if clock == Clock.first_response else sla["resolution_minutes"]
    await outbox.record(
        kind(case_id=case_id, clock=clock, due_at=due.astimezone(UTC).isoformat(), target_minutes=target)
    )
