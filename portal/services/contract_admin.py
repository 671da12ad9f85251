"""Staff managers set up business calendars, SLA policies and customers' support contracts.

Each creation is one transaction, checked field by field first: a refusal (`FieldRefused`) names the form field
to show it beside, and nothing is saved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from typing import Any

from portal.db.sla_tables import (
    BusinessCalendar,
    CalendarHoliday,
    CalendarHours,
    ContractContact,
    ContractProduct,
    SlaPolicy,
    SupportContract,
)
from portal.db.tables import Account, Priority, Product, Role, User
from portal.i18n import gettext as _
from portal.services.business_hours import Calendar, CalendarError, parse_clock
from portal.services.refusals import FieldRefused, refusing_duplicates
from portal.services.registration import transaction

NAME_MAX = 100
TARGET_MAX = 366 * 24 * 60  # a year of minutes
TARGET_FIELDS = tuple(f"{p}_{clock}" for p in Priority for clock in ("first_response", "resolution"))


@dataclass(frozen=True)
class CalendarInput:
    name: str
    time_zone: str
    always_open: bool = False
    hours: Mapping[int, str] = field(default_factory=dict)  # weekday -> "09:00-13:00, 14:00-18:00"
    holidays: str = ""  # one a line: "2026-04-13 Easter Monday"


@dataclass(frozen=True)
class PolicyInput:
    name: str
    calendar_id: int | None
    is_default: bool = False
    warn_percent: int = 75
    targets: Mapping[str, int | None] = field(default_factory=dict)  # "normal_first_response" -> minutes


@dataclass(frozen=True)
class ContractInput:
    account_id: int
    name: str
    policy_id: int
    valid_from: date
    valid_until: date | None = None
    level: str = ""
    sites: str = ""
    calendar_id: int | None = None
    contact_emails: str = ""  # one a line; none: every contact of the account
    product_ids: Sequence[int] = ()  # none: every product


# --- Reading ------------------------------------------------------------------------------------------------------


async def overview() -> dict[str, Any]:
    """Everything the set-up page lists, and the choices its forms offer."""
    hours: dict[int, dict[int, list[tuple[int, int]]]] = {}
    for row in await CalendarHours.select().order_by(CalendarHours.opens):
        hours.setdefault(row["calendar"], {}).setdefault(row["weekday"], []).append((row["opens"], row["closes"]))
    calendars = await BusinessCalendar.select().order_by(BusinessCalendar.name)
    for calendar in calendars:
        calendar["hours"] = hours.get(calendar["id"], {})
    contracts = await SupportContract.select(
        *SupportContract.all_columns(),
        SupportContract.account.name.as_alias("account_name"),
        SupportContract.policy.name.as_alias("policy_name"),
    ).order_by(SupportContract.id, ascending=False)
    return {
        "calendars": calendars,
        "policies": await SlaPolicy.select().order_by(SlaPolicy.name),
        "contracts": contracts,
        "accounts": await Account.select(Account.id, Account.name).order_by(Account.name).limit(1000),
        "products": await Product.select(Product.id, Product.code).where(Product.is_active == True),  # noqa: E712
    }


# --- Calendars --------------------------------------------------------------------------------------------------


def _name(value: str, limit: int = NAME_MAX) -> str:
    value = value.strip()
    if not value:
        raise FieldRefused("name", _("This field is required."))
    if len(value) > limit:
        raise FieldRefused("name", _("Use at most %(count)d characters.") % {"count": limit})
    return value


def parse_intervals(text: str, field: str) -> list[tuple[int, int]]:
    """ "09:00-13:00, 14:00-18:00" -> [(540, 780), (840, 1080)]; empty text: closed that day."""
    intervals = []
    for part in text.replace(";", ",").split(","):
        if not part.strip():
            continue
        opens, dash, closes = part.replace("–", "-").partition("-")
        try:
            interval = (parse_clock(opens), parse_clock(closes)) if dash else None
        except CalendarError:
            interval = None
        if interval is None or interval[0] >= interval[1]:
            raise FieldRefused(field, _("Write opening hours such as 09:00-13:00, 14:00-18:00."))
        intervals.append(interval)
    intervals.sort()
    if any(later[0] < earlier[1] for earlier, later in pairwise(intervals)):
        raise FieldRefused(field, _("The opening hours of a day must not overlap."))
    return intervals


def parse_holidays(text: str) -> dict[date, str]:
    holidays: dict[date, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        day, _sep, name = line.strip().partition(" ")
        try:
            holidays[date.fromisoformat(day)] = name.strip()[:100]
        except ValueError:
            raise FieldRefused(
                "holidays", _("Write one holiday a line, as a date and a name: 2026-04-13 Easter Monday.")
            ) from None
    return holidays


async def create_calendar(data: CalendarInput) -> int:
    return await save_calendar(data)


async def save_calendar(data: CalendarInput, calendar_id: int | None = None) -> int:
    """Create a calendar or change one. Running clocks count in the new hours from their next pause or resume."""
    name = _name(data.name)
    if calendar_id is not None and not await BusinessCalendar.exists().where(BusinessCalendar.id == calendar_id):
        raise FieldRefused("name", _("This calendar does not exist."))
    weekly = {day: parse_intervals(text, f"hours_{day}") for day, text in data.hours.items()}
    holidays = parse_holidays(data.holidays)
    time_zone = data.time_zone.strip()
    try:
        Calendar(time_zone=time_zone, weekly=weekly, always_open=data.always_open)
    except CalendarError as error:
        if "time zone" in str(error):
            raise FieldRefused("time_zone", _("Choose a time zone such as Europe/Athens.")) from None
        raise FieldRefused("always_open", _("Give opening hours, or tick “round the clock”.")) from None
    async with transaction():
        with refusing_duplicates("name", _("There is already a calendar with this name.")):
            if calendar_id is None:
                calendar = BusinessCalendar(name=name, time_zone=time_zone, always_open=data.always_open)
                calendar_id = int((await BusinessCalendar.insert(calendar).returning(BusinessCalendar.id))[0]["id"])
            else:
                await BusinessCalendar.update(
                    {
                        BusinessCalendar.name: name,
                        BusinessCalendar.time_zone: time_zone,
                        BusinessCalendar.always_open: data.always_open,
                    }
                ).where(BusinessCalendar.id == calendar_id)
                await CalendarHours.delete().where(CalendarHours.calendar == calendar_id)
                await CalendarHoliday.delete().where(CalendarHoliday.calendar == calendar_id)
        hours = [
            CalendarHours(calendar=calendar_id, weekday=day, opens=opens, closes=closes)
            for day, intervals in weekly.items()
            for opens, closes in intervals
        ]
        if hours:
            await CalendarHours.insert(*hours)
        if holidays:
            await CalendarHoliday.insert(
                *[
                    CalendarHoliday(calendar=calendar_id, day=day, name=label, key=f"{calendar_id}:{day.isoformat()}")
                    for day, label in holidays.items()
                ]
            )
    return calendar_id


async def calendar_form_values(calendar_id: int) -> dict[str, str] | None:
    row = await BusinessCalendar.select().where(BusinessCalendar.id == calendar_id).first()
    if row is None:
        return None
    weekly: dict[int, list[str]] = {}
    for hours in (
        await CalendarHours.select().where(CalendarHours.calendar == calendar_id).order_by(CalendarHours.opens)
    ):
        weekly.setdefault(hours["weekday"], []).append(f"{_clock(hours['opens'])}-{_clock(hours['closes'])}")
    holidays = (
        await CalendarHoliday.select().where(CalendarHoliday.calendar == calendar_id).order_by(CalendarHoliday.day)
    )
    values = {
        "name": row["name"],
        "time_zone": row["time_zone"],
        "holidays": "\n".join(f"{h['day'].isoformat()} {h['name']}".strip() for h in holidays),
    } | {f"hours_{day}": ", ".join(weekly.get(day, [])) for day in range(7)}
    return values | ({"always_open": "on"} if row["always_open"] else {})


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# --- Policies -----------------------------------------------------------------------------------------------------


async def _check_calendar(calendar_id: int | None) -> None:
    if calendar_id is not None and not await BusinessCalendar.exists().where(BusinessCalendar.id == calendar_id):
        raise FieldRefused("calendar_id", _("Choose a calendar from the list."))


async def create_policy(data: PolicyInput) -> int:
    return await save_policy(data)


async def save_policy(data: PolicyInput, policy_id: int | None = None) -> int:
    """Create a policy or change one; running clocks keep the targets they started with."""
    name = _name(data.name)
    if policy_id is not None and not await SlaPolicy.exists().where(SlaPolicy.id == policy_id):
        raise FieldRefused("name", _("This policy does not exist."))
    await _check_calendar(data.calendar_id)
    if not 1 <= data.warn_percent <= 99:
        raise FieldRefused("warn_percent", _("Give a share between 1 and 99 per cent."))
    for target, minutes in data.targets.items():
        if target not in TARGET_FIELDS:
            raise FieldRefused(target, _("This value is not valid."))
        if minutes is not None and not 1 <= minutes <= TARGET_MAX:
            raise FieldRefused(target, _("Give a number of minutes between 1 and %(max)d.") % {"max": TARGET_MAX})
    values: dict[Any, Any] = {
        SlaPolicy.name: name,
        SlaPolicy.calendar: data.calendar_id,
        SlaPolicy.is_default: data.is_default,
        SlaPolicy.warn_percent: data.warn_percent,
    } | {getattr(SlaPolicy, target): data.targets.get(target) for target in TARGET_FIELDS}
    async with transaction():
        if data.is_default:  # one default: the new one replaces the old
            await SlaPolicy.update({SlaPolicy.is_default: False}).where(SlaPolicy.is_default == True)  # noqa: E712
        with refusing_duplicates("name", _("There is already a policy with this name.")):
            if policy_id is None:
                policy = SlaPolicy(**{column._meta.name: value for column, value in values.items()})
                policy_id = int((await SlaPolicy.insert(policy).returning(SlaPolicy.id))[0]["id"])
            else:
                await SlaPolicy.update(values).where(SlaPolicy.id == policy_id)
    return policy_id


async def policy_form_values(policy_id: int) -> dict[str, str] | None:
    row = await SlaPolicy.select().where(SlaPolicy.id == policy_id).first()
    if row is None:
        return None
    values = {
        "name": row["name"],
        "calendar_id": str(row["calendar"] or ""),
        "warn_percent": str(row["warn_percent"]),
    } | {target: "" if row[target] is None else str(row[target]) for target in TARGET_FIELDS}
    return values | ({"is_default": "on"} if row["is_default"] else {})


# --- Contracts ------------------------------------------------------------------------------------------------------


async def create_contract(data: ContractInput) -> int:
    return await save_contract(data)


async def save_contract(data: ContractInput, contract_id: int | None = None) -> int:
    """Create a contract, or replace one's terms (its entitled contacts and products with them). Cases opened
    before keep the SLA they started with."""
    name = _name(data.name, 200)
    if contract_id is not None and not await SupportContract.exists().where(SupportContract.id == contract_id):
        raise FieldRefused("name", _("This contract does not exist."))
    if not await Account.exists().where(Account.id == data.account_id):
        raise FieldRefused("account_id", _("Choose a customer from the list."))
    if not await SlaPolicy.exists().where(SlaPolicy.id == data.policy_id):
        raise FieldRefused("policy_id", _("Choose a policy from the list."))
    await _check_calendar(data.calendar_id)
    if data.valid_until is not None and data.valid_until < data.valid_from:
        raise FieldRefused("valid_until", _("The end must not be before the start."))
    if len(data.level) > 50:
        raise FieldRefused("level", _("Use at most %(count)d characters.") % {"count": 50})
    contacts = await _contacts(data.account_id, data.contact_emails)
    products = sorted(set(data.product_ids))
    if products and len(await Product.select(Product.id).where(Product.id.is_in(products))) != len(products):
        raise FieldRefused("product_ids", _("Choose products from the list."))
    terms = SupportContract(
        account=data.account_id,
        name=name,
        level=data.level.strip(),
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        sites=data.sites.strip(),
        all_contacts=not contacts,
        policy=data.policy_id,
        calendar=data.calendar_id,
    )
    async with transaction():
        if contract_id is None:
            rows = await SupportContract.insert(terms).returning(SupportContract.id)
            contract_id = int(rows[0]["id"])
        else:
            kept = ("id", "created_at")
            values: dict[Any, Any] = {
                column: getattr(terms, column._meta.name)
                for column in SupportContract._meta.columns
                if column._meta.name not in kept
            }
            await SupportContract.update(values).where(SupportContract.id == contract_id)
            await ContractContact.delete().where(ContractContact.contract == contract_id)
            await ContractProduct.delete().where(ContractProduct.contract == contract_id)
        if contacts:
            await ContractContact.insert(
                *[ContractContact(contract=contract_id, user=user, key=f"{contract_id}:{user}") for user in contacts]
            )
        if products:
            await ContractProduct.insert(
                *[ContractProduct(contract=contract_id, product=p, key=f"{contract_id}:{p}") for p in products]
            )
    return contract_id


async def contract_form_values(contract_id: int) -> dict[str, str] | None:
    """A stored contract as its edit form shows it; None if there is none."""
    row = await SupportContract.select().where(SupportContract.id == contract_id).first()
    if row is None:
        return None
    emails = await ContractContact.select(ContractContact.user.email.as_alias("email")).where(
        ContractContact.contract == contract_id
    )
    products = await ContractProduct.select(ContractProduct.product).where(ContractProduct.contract == contract_id)
    values = {
        "account_id": str(row["account"]),
        "name": row["name"],
        "level": row["level"],
        "valid_from": row["valid_from"].isoformat(),
        "valid_until": row["valid_until"].isoformat() if row["valid_until"] else "",
        "sites": row["sites"],
        "policy_id": str(row["policy"]),
        "calendar_id": str(row["calendar"] or ""),
        "contacts": "\n".join(sorted(e["email"] for e in emails)),
    }
    return values | {f"product_{p['product']}": "on" for p in products}


async def _contacts(account_id: int, text: str) -> list[int]:
    emails = sorted({line.strip().lower() for line in text.replace(",", "\n").splitlines() if line.strip()})
    if not emails:
        return []
    rows = await User.select(User.id, User.email).where(
        (User.account == account_id) & User.email.is_in(emails) & User.role.is_in([Role.contact, Role.account_admin])
    )
    found = {row["email"]: row["id"] for row in rows}
    for email in emails:
        if email not in found:
            raise FieldRefused("contacts", _("%(email)s is not a contact of this customer.") % {"email": email[:200]})
    return sorted(found.values())
