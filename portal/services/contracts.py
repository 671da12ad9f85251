"""Support contracts: which contract covers a case, the business calendars counted in, and what customers see
of their contracts. The SLA clock itself is `sla`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog

from portal.db.sla_tables import (
    BusinessCalendar,
    CalendarHoliday,
    CalendarHours,
    ContractContact,
    ContractProduct,
    Entitlement,
    SlaPolicy,
    SupportContract,
)
from portal.db.tables import Priority, Role
from portal.services.business_hours import Calendar, CalendarError
from portal.services.users import CurrentUser

log = structlog.get_logger("portal.contracts")

ROUND_THE_CLOCK = Calendar(time_zone="UTC", always_open=True)


@dataclass(frozen=True)
class Coverage:
    """What a new case's SLA comes from; `entitlement.flagged` asks the agent to check the customer's rights."""

    entitlement: Entitlement
    contract_id: int | None = None
    policy_id: int | None = None
    calendar_id: int | None = None


async def coverage(*, account_id: int | None, requester_id: int, product_id: int | None, at: datetime) -> Coverage:
    """The contract that covers a case of this contact and product opened at `at`, else the default policy.

    A contract covers when it is valid on that date (in its calendar's time zone), the contact is entitled
    (listed, or the contract is for all contacts) and the product is one it lists (or it lists none, or the case
    names no product). Of several, the one that started last wins.
    """
    default = (
        await SlaPolicy.select(SlaPolicy.id, SlaPolicy.calendar)
        .where(SlaPolicy.is_default == True)  # noqa: E712
        .order_by(SlaPolicy.id)
        .first()
    )

    def fallback(entitlement: Entitlement) -> Coverage:
        if default is None:
            return Coverage(entitlement)
        return Coverage(entitlement, policy_id=default["id"], calendar_id=default["calendar"])

    if account_id is None:
        return fallback(Entitlement.no_contract)
    contracts = (
        await SupportContract.select(
            SupportContract.id,
            SupportContract.valid_from,
            SupportContract.valid_until,
            SupportContract.all_contacts,
            SupportContract.policy,
            SupportContract.calendar,
            SupportContract.calendar.time_zone.as_alias("own_zone"),
            SupportContract.policy.calendar.as_alias("policy_calendar"),
            SupportContract.policy.calendar.time_zone.as_alias("policy_zone"),  # type: ignore[union-attr]  # two hops
        )
        .where(SupportContract.account == account_id)
        .order_by(SupportContract.valid_from, ascending=False)
        .order_by(SupportContract.id, ascending=False)
    )
    if not contracts:
        return fallback(Entitlement.no_contract)
    ids = [row["id"] for row in contracts]
    listed = {
        row["contract"]
        for row in await ContractContact.select(ContractContact.contract).where(
            (ContractContact.user == requester_id) & ContractContact.contract.is_in(ids)
        )
    }
    products: dict[int, set[int]] = defaultdict(set)
    for row in await ContractProduct.select(ContractProduct.contract, ContractProduct.product).where(
        ContractProduct.contract.is_in(ids)
    ):
        products[row["contract"]].add(row["product"])
    seen: set[Entitlement] = set()
    for row in contracts:
        day = at.astimezone(_zone(row["own_zone"] or row["policy_zone"])).date()
        valid = row["valid_from"] <= day and (row["valid_until"] is None or day <= row["valid_until"])
        entitled = row["all_contacts"] or row["id"] in listed
        covered = product_id is None or not products[row["id"]] or product_id in products[row["id"]]
        if valid and entitled and covered:
            calendar = row["calendar"] or row["policy_calendar"]
            return Coverage(Entitlement.contract, contract_id=row["id"], policy_id=row["policy"], calendar_id=calendar)
        if entitled and covered:
            seen.add(Entitlement.expired)
        elif valid and entitled:
            seen.add(Entitlement.product_not_covered)
    for entitlement in (Entitlement.expired, Entitlement.product_not_covered):
        if entitlement in seen:
            return fallback(entitlement)
    return fallback(Entitlement.not_entitled)


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):  # saved before validation, or the tz database lost it
        return ZoneInfo("UTC")


async def load_calendar(calendar_id: int | None) -> Calendar:
    """The stored calendar; round the clock in UTC without one, or if the stored one cannot be counted in (a
    case must open even when an admin saved an unusable calendar: the error is logged)."""
    if calendar_id is None:
        return ROUND_THE_CLOCK
    row = await BusinessCalendar.select().where(BusinessCalendar.id == calendar_id).first()
    if row is None:
        return ROUND_THE_CLOCK
    weekly: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for hours in await CalendarHours.select().where(CalendarHours.calendar == calendar_id):
        weekly[hours["weekday"]].append((hours["opens"], hours["closes"]))
    holidays = await CalendarHoliday.select(CalendarHoliday.day).where(CalendarHoliday.calendar == calendar_id)
    try:
        return Calendar(
            time_zone=row["time_zone"],
            weekly=weekly,
            holidays=frozenset(h["day"] for h in holidays),
            always_open=row["always_open"],
        )
    except CalendarError:
        log.exception("business calendar cannot be counted in; using round the clock", calendar_id=calendar_id)
        return ROUND_THE_CLOCK


def targets(policy: dict[str, Any] | None, priority: Priority) -> tuple[int | None, int | None]:
    """(first response, resolution) in business minutes for `priority`; None where the policy sets none."""
    if policy is None:
        return None, None
    return policy[f"{priority}_first_response"], policy[f"{priority}_resolution"]


# --- What customers see -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreedTimes:
    priority: Priority
    first_response: int | None  # business minutes
    resolution: int | None


@dataclass(frozen=True)
class ContractSummary:
    id: int
    name: str
    level: str
    valid_from: date
    valid_until: date | None
    state: str  # "active", "expired" or "upcoming"
    sites: str
    products: list[dict[str, Any]]  # code, name_en, name_el; none: every product
    times: list[AgreedTimes]
    always_open: bool
    time_zone: str
    hours: dict[int, list[tuple[int, int]]]  # weekday -> intervals in minutes from midnight
    holidays: list[date]  # from today on


async def contracts_for(user: CurrentUser, today: date) -> list[ContractSummary]:
    """The contracts a customer may read: an account admin all of the account's, a contact those that cover them."""
    if user.account_id is None or user.is_staff:
        return []
    rows = (
        await SupportContract.select()
        .where(SupportContract.account == user.account_id)
        .order_by(SupportContract.valid_from, ascending=False)
    )
    if user.role != Role.account_admin:
        listed = {
            row["contract"]
            for row in await ContractContact.select(ContractContact.contract).where(ContractContact.user == user.id)
        }
        rows = [row for row in rows if row["all_contacts"] or row["id"] in listed]
    policies = {
        p["id"]: p for p in await SlaPolicy.select().where(SlaPolicy.id.is_in([r["policy"] for r in rows] or [0]))
    }
    return [await _summary(row, policies[row["policy"]], today) for row in rows]


async def _summary(row: dict[str, Any], policy: dict[str, Any], today: date) -> ContractSummary:
    products = await ContractProduct.select(
        ContractProduct.product.code.as_alias("code"),
        ContractProduct.product.name_en.as_alias("name_en"),
        ContractProduct.product.name_el.as_alias("name_el"),
    ).where(ContractProduct.contract == row["id"])
    calendar = await load_calendar(row["calendar"] or policy["calendar"])
    state = "active"
    if today < row["valid_from"]:
        state = "upcoming"
    elif row["valid_until"] is not None and today > row["valid_until"]:
        state = "expired"
    return ContractSummary(
        id=row["id"],
        name=row["name"],
        level=row["level"],
        valid_from=row["valid_from"],
        valid_until=row["valid_until"],
        state=state,
        sites=row["sites"],
        products=sorted(products, key=lambda p: p["code"]),
        times=[AgreedTimes(p, *targets(policy, p)) for p in Priority],
        always_open=calendar.always_open,
        time_zone=calendar.time_zone,
        hours={day: list(intervals) for day, intervals in calendar.weekly.items()},
        holidays=sorted(day for day in calendar.holidays if day >= today),
    )
