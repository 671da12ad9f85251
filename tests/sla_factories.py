"""Test data for support contracts and SLA policies: a test names only what it cares about."""

from __future__ import annotations

import itertools
from datetime import date

from portal.db.sla_tables import (
    BusinessCalendar,
    CalendarHoliday,
    CalendarHours,
    ContractContact,
    ContractProduct,
    SlaPolicy,
    SupportContract,
)
from portal.db.tables import Product

_names = itertools.count(1)
TARGETS = {"normal_first_response": 60, "normal_resolution": 240, "high_first_response": 30, "high_resolution": 120}


async def make_calendar(*, always_open: bool = False, holidays: tuple[date, ...] = ()) -> int:
    calendar = BusinessCalendar(name=f"calendar {next(_names)}", time_zone="Europe/Athens")
    calendar.always_open = always_open
    await calendar.save()
    if not always_open:
        await CalendarHours.insert(
            *[CalendarHours(calendar=calendar.id, weekday=d, opens=540, closes=1020) for d in range(5)]
        )
    for day in holidays:
        await CalendarHoliday.insert(
            CalendarHoliday(calendar=calendar.id, day=day, name="Holiday", key=f"{calendar.id}:{day}")
        )
    return int(calendar.id)


async def make_policy(calendar_id: int | None, *, default: bool = False, **targets: int) -> int:
    policy = SlaPolicy(name=f"policy {next(_names)}", is_default=default, calendar=calendar_id)
    for name, minutes in (targets or TARGETS).items():
        setattr(policy, name, minutes)
    await policy.save()
    return int(policy.id)


async def make_contract(
    account_id: int,
    policy_id: int,
    *,
    valid_from: date = date(2020, 1, 1),
    valid_until: date | None = None,
    contacts: tuple[int, ...] = (),
    products: tuple[int, ...] = (),
) -> int:
    contract = SupportContract(
        account=account_id,
        name="Gold support",
        level="gold",
        valid_from=valid_from,
        valid_until=valid_until,
        all_contacts=not contacts,
        policy=policy_id,
    )
    await contract.save()
    for user_id in contacts:
        await ContractContact.insert(
            ContractContact(contract=contract.id, user=user_id, key=f"{contract.id}:{user_id}")
        )
    for product_id in products:
        await ContractProduct.insert(
            ContractProduct(contract=contract.id, product=product_id, key=f"{contract.id}:{product_id}")
        )
    return int(contract.id)


async def make_product(code: str) -> int:
    product = Product(code=code, name_en=code, name_el=code)
    await product.save()
    return int(product.id)
