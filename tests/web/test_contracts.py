"""Customers read their support contracts, and each case page promises the answer by the contract's due time."""

from __future__ import annotations

from datetime import date

import httpx
from litestar import Litestar

from portal.db.tables import Account, Case, Priority, Role
from tests.sla_factories import make_calendar, make_contract, make_policy, make_product
from tests.web.customer_cases_helpers import customer_of, open_case, signed_in, verified
from tests.web.desk_helpers import signed_in_agent


async def test_contacts_see_the_contracts_that_cover_them_and_admins_all(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    contact = await customer_of()
    account_id = contact.account_id
    assert account_id is not None
    colleague = await verified(account=None)
    office = await make_calendar(holidays=(date(2099, 4, 13),))
    gold = await make_policy(office, normal_first_response=90, urgent_resolution=480)
    printer = await make_product("printer-x200")
    await make_contract(account_id, gold, valid_until=date(2099, 12, 31), products=(printer,))
    await make_contract(account_id, gold, contacts=(colleague.id,))  # for someone else only

    await signed_in(client, contact)
    page = await client.get("/contracts")

    assert page.status_code == 200
    assert page.text.count("Gold support") == 1
    assert "printer-x200" in page.text
    assert "1 hour 30 minutes" in page.text  # the first answer for normal priority
    assert "8 hours" in page.text  # resolution of urgent cases
    assert "09:00–17:00" in page.text
    assert "Europe/Athens" in page.text
    assert "Apr 13, 2099" in page.text  # a coming holiday


async def test_an_account_admin_sees_every_contract_of_the_account(client: httpx.AsyncClient, app: Litestar) -> None:
    admin = await customer_of(role=Role.account_admin)
    assert admin.account_id is not None
    other = await verified(account=None)
    await make_contract(admin.account_id, await make_policy(None), contacts=(other.id,))

    await signed_in(client, admin)
    page = await client.get("/contracts")

    assert "Gold support" in page.text
    assert "Times are counted round the clock" in page.text  # a policy without calendar


async def test_without_contract_the_page_says_so(client: httpx.AsyncClient, app: Litestar) -> None:
    contact = await customer_of()
    await signed_in(client, contact)
    page = await client.get("/contracts")
    assert page.status_code == 200
    assert "You have no support contract." in page.text


async def test_the_case_page_promises_the_first_answer_by_the_contracts_due_time(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    contact = await customer_of()
    assert contact.account_id is not None
    await make_contract(contact.account_id, await make_policy(await make_calendar(always_open=True)))
    ref = await open_case(app, contact, priority=Priority.high)
    due = (await Case.select(Case.first_response_due_at).where(Case.id == ref.id).first() or {})[
        "first_response_due_at"
    ]
    assert due is not None

    await signed_in(client, contact)
    page = await client.get(f"/cases/{ref.number}")

    assert "We will answer by" in page.text


async def test_the_agent_sees_that_a_case_is_outside_the_contract(client: httpx.AsyncClient, app: Litestar) -> None:
    listed = await customer_of()
    assert listed.account_id is not None
    other = await verified(account=await Account.objects().get(Account.id == listed.account_id))
    await make_policy(await make_calendar(), default=True)
    await make_contract(listed.account_id, await make_policy(None), contacts=(listed.id,))
    covered = await open_case(app, listed, subject="Covered")
    outside = await open_case(app, other, subject="Outside")

    await signed_in_agent(client)
    outside_page = (await client.get(f"/backoffice/cases/{outside.number}")).text
    covered_page = (await client.get(f"/backoffice/cases/{covered.number}")).text

    assert "Not an entitled contact of the contract" in outside_page
    assert 'class="entitlement-flag"' in outside_page
    assert "Covered by a contract" in covered_page
    assert 'class="entitlement-flag"' not in covered_page
