"""Back office: managers set up business calendars, SLA policies and contracts; agents read them; the contract
then governs new cases of its customer."""

from __future__ import annotations

from datetime import date

from litestar import Litestar

from portal.db.sla_tables import BusinessCalendar, CalendarHoliday, CalendarHours, CaseSla, SlaPolicy, SupportContract
from portal.db.tables import Case, Priority, Role
from portal.services import contract_admin
from tests.sla_factories import make_product
from tests.web.customer_cases_helpers import customer_of, open_case
from tests.web.test_support_setup import Client, error_next_to, post, signed_in

CALENDAR = {
    "name": "Athens office",
    "time_zone": "Europe/Athens",
    "hours_0": "09:00-13:00, 14:00-18:00",
    "hours_4": "09:00-15:00",
    "holidays": "2026-04-13 Easter Monday\n2026-08-15 Assumption",
}


async def test_a_manager_creates_a_calendar_with_hours_and_holidays(client: Client) -> None:
    await signed_in(client, Role.manager)
    created = await post(client, "/backoffice/contracts/calendars", CALENDAR)
    assert created.status_code == 303
    page = await client.get(created.headers["location"])
    assert "Calendar created." in page.text
    assert "Athens office" in page.text
    assert "09:00–13:00, 14:00–18:00" in page.text
    calendar = await BusinessCalendar.select().first()
    assert calendar is not None
    assert await CalendarHours.count().where(CalendarHours.calendar == calendar["id"]) == 3
    assert await CalendarHoliday.count().where(CalendarHoliday.calendar == calendar["id"]) == 2


async def test_bad_calendar_input_is_refused_beside_the_field_and_nothing_is_saved(client: Client) -> None:
    await signed_in(client, Role.manager)
    for field, value, message in (
        ("hours_0", "9 to 5", "Write opening hours such as 09:00-13:00, 14:00-18:00."),
        ("time_zone", "Mars/Olympus", "Choose a time zone such as Europe/Athens."),
        ("holidays", "Easter Monday", "Write one holiday a line, as a date and a name: 2026-04-13 Easter Monday."),
    ):
        refused = await post(client, "/backoffice/contracts/calendars", CALENDAR | {field: value})
        assert refused.status_code == 422
        assert error_next_to(refused.text, field) == message
    never_open = await post(client, "/backoffice/contracts/calendars", {"name": "Closed", "time_zone": "UTC"})
    assert error_next_to(never_open.text, "always_open").startswith("Give opening hours")
    assert await BusinessCalendar.count() == 0


async def test_a_contract_set_up_in_the_back_office_governs_its_customers_new_cases(
    client: Client, app: Litestar
) -> None:
    contact = await customer_of()
    assert contact.account_id is not None
    printer = await make_product("printer")
    await signed_in(client, Role.manager)
    await post(client, "/backoffice/contracts/calendars", {"name": "24/7", "time_zone": "UTC", "always_open": "on"})
    calendar = await BusinessCalendar.select(BusinessCalendar.id).first()
    assert calendar is not None
    policy = {"name": "Gold", "calendar_id": str(calendar["id"]), "warn_percent": "80", "high_first_response": "15"}
    assert (await post(client, "/backoffice/contracts/policies", policy)).status_code == 303
    policies = await client.get("/backoffice/contracts/policies")
    assert '">Gold</a>' in policies.text
    assert "15 minutes" in policies.text
    again = await post(client, "/backoffice/contracts/policies", policy)
    assert error_next_to(again.text, "name") == "There is already a policy with this name."
    zero = await post(client, "/backoffice/contracts/policies", policy | {"name": "Zero", "high_first_response": "0"})
    assert error_next_to(zero.text, "high_first_response").startswith("Give a number of minutes between 1 and")
    gold = await contract_admin.overview()
    contract = {
        "account_id": str(contact.account_id),
        "name": "Gold support 2026",
        "level": "Gold",
        "valid_from": "2020-01-01",
        "policy_id": str(gold["policies"][0]["id"]),
        "contacts": contact.email.upper(),
        f"product_{printer}": "on",
    }
    created = await post(client, "/backoffice/contracts", contract)
    assert created.status_code == 303
    assert "Gold support 2026" in (await client.get("/backoffice/contracts")).text

    ref = await open_case(app, contact, priority=Priority.high, product_id=printer)

    case = await Case.select().where(Case.id == ref.id).first()
    assert case is not None
    assert (case["first_response_due_at"] - case["created_at"]).total_seconds() == 15 * 60
    clock = await CaseSla.select(CaseSla.entitlement).where(CaseSla.case == ref.id).first()
    assert clock == {"entitlement": "contract"}


async def test_a_contract_refuses_unknown_contacts_and_an_end_before_its_start(client: Client) -> None:
    contact = await customer_of()
    await contract_admin.create_policy(contract_admin.PolicyInput("Standard", None))
    await signed_in(client, Role.admin)
    policy_id = (await contract_admin.overview())["policies"][0]["id"]
    contract = {
        "account_id": str(contact.account_id),
        "name": "Standard",
        "valid_from": "2026-01-01",
        "policy_id": str(policy_id),
    }
    stranger = await post(client, "/backoffice/contracts", contract | {"contacts": "nobody@example.com"})
    assert error_next_to(stranger.text, "contacts") == "nobody@example.com is not a contact of this customer."
    backwards = await post(client, "/backoffice/contracts", contract | {"valid_until": "2025-12-31"})
    assert error_next_to(backwards.text, "valid_until") == "The end must not be before the start."
    no_date = await post(client, "/backoffice/contracts", contract | {"valid_from": "someday"})
    assert no_date.status_code == 422
    assert await SupportContract.count() == 0


async def test_agents_read_the_set_up_but_may_not_change_it(client: Client) -> None:
    await signed_in(client, Role.agent)
    page = await client.get("/backoffice/contracts/calendars")
    assert page.status_code == 200
    assert "Managers and administrators can change this." in page.text
    refused = await post(client, "/backoffice/contracts/calendars", CALENDAR)
    assert refused.status_code == 403
    assert await BusinessCalendar.count() == 0


async def test_customers_cannot_reach_the_set_up(client: Client) -> None:
    await signed_in(client, Role.contact)
    assert (await client.get("/backoffice/contracts")).status_code in (403, 404)


async def test_a_form_without_its_csrf_token_is_refused(client: Client) -> None:
    await signed_in(client, Role.manager)
    response = await client.post("/backoffice/contracts/calendars", data=CALENDAR, follow_redirects=False)
    assert response.status_code == 403
    assert await BusinessCalendar.count() == 0


def test_dates_and_hours_parse() -> None:
    assert contract_admin.parse_intervals("09:00-13:00; 14:00–18:00", "hours_0") == [(540, 780), (840, 1080)]
    assert contract_admin.parse_holidays("2026-04-13 Easter Monday\n\n") == {date(2026, 4, 13): "Easter Monday"}


async def test_a_manager_renews_a_contract_and_names_its_contacts(client: Client) -> None:
    contact = await customer_of()
    policy_id = await contract_admin.create_policy(contract_admin.PolicyInput("Standard", None))
    contract_id = await contract_admin.create_contract(
        contract_admin.ContractInput(
            account_id=contact.account_id or 0,
            name="Care",
            policy_id=policy_id,
            valid_from=date(2025, 1, 1),
            valid_until=date(2025, 12, 31),
        )
    )
    await signed_in(client, Role.manager)
    page = await client.get(f"/backoffice/contracts/{contract_id}")
    assert page.status_code == 200
    assert 'value="2025-12-31"' in page.text

    form = {
        "account_id": str(contact.account_id),
        "name": "Care",
        "valid_from": "2025-01-01",
        "valid_until": "2026-12-31",
        "policy_id": str(policy_id),
        "contacts": contact.email,
    }
    saved = await post(client, f"/backoffice/contracts/{contract_id}", form)
    assert saved.status_code == 303
    row = await SupportContract.select().where(SupportContract.id == contract_id).first()
    assert row is not None
    assert (row["valid_until"], row["all_contacts"]) == (date(2026, 12, 31), False)
    assert contact.email in (await client.get(f"/backoffice/contracts/{contract_id}")).text
    assert (await client.get("/backoffice/contracts/999999")).status_code == 404
    assert (await post(client, "/backoffice/contracts/999999", form)).status_code == 404


async def test_a_manager_changes_a_policys_targets_and_makes_it_the_default(client: Client) -> None:
    old_default = await contract_admin.create_policy(contract_admin.PolicyInput("Old", None, is_default=True))
    policy_id = await contract_admin.create_policy(
        contract_admin.PolicyInput("Standard", None, targets={"normal_first_response": 60})
    )
    await signed_in(client, Role.manager)
    listed = await client.get("/backoffice/contracts/policies")
    assert f'href="/backoffice/contracts/policies/{policy_id}"' in listed.text
    page = await client.get(f"/backoffice/contracts/policies/{policy_id}")
    assert 'value="60"' in page.text

    form = {"name": "Standard", "warn_percent": "80", "is_default": "on", "normal_first_response": "45"}
    saved = await post(client, f"/backoffice/contracts/policies/{policy_id}", form)

    assert saved.status_code == 303
    rows = {row["id"]: row for row in await SlaPolicy.select()}
    assert (rows[policy_id]["normal_first_response"], rows[policy_id]["warn_percent"]) == (45, 80)
    assert (rows[policy_id]["is_default"], rows[old_default]["is_default"]) == (True, False)
    refused = await post(client, f"/backoffice/contracts/policies/{policy_id}", form | {"warn_percent": "100"})
    assert error_next_to(refused.text, "warn_percent") == "Give a share between 1 and 99 per cent."
    assert (await client.get("/backoffice/contracts/policies/999999")).status_code == 404


async def test_a_manager_changes_a_calendars_hours_and_holidays(client: Client) -> None:
    calendar_id = await contract_admin.create_calendar(
        contract_admin.CalendarInput(
            "Office", "Europe/Athens", hours={0: "09:00-17:00"}, holidays="2026-04-13 Easter Monday"
        )
    )
    await signed_in(client, Role.manager)
    page = await client.get(f"/backoffice/contracts/calendars/{calendar_id}")
    assert 'value="09:00-17:00"' in page.text
    assert "2026-04-13 Easter Monday" in page.text

    overlapping = CALENDAR | {"hours_2": "09:00-13:00, 12:00-18:00"}
    refused = await post(client, f"/backoffice/contracts/calendars/{calendar_id}", overlapping)
    assert error_next_to(refused.text, "hours_2") == "The opening hours of a day must not overlap."
    saved = await post(client, f"/backoffice/contracts/calendars/{calendar_id}", CALENDAR)

    assert saved.status_code == 303
    assert await CalendarHours.count().where(CalendarHours.calendar == calendar_id) == 3
    days = await CalendarHoliday.select(CalendarHoliday.day).where(CalendarHoliday.calendar == calendar_id)
    assert sorted(row["day"] for row in days) == [date(2026, 4, 13), date(2026, 8, 15)]
    assert (await client.get("/backoffice/contracts/calendars/999999")).status_code == 404
