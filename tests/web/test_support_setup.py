"""Back-office support set-up: products, categories, teams and canned responses, as managers, agents and customers."""

from __future__ import annotations

import re

import httpx
import pytest

from portal.db.tables import CannedResponse, Category, Product, Role, SupportTeam, TeamMembership
from portal.services import canned_responses, catalog, support_teams
from portal.services.users import CurrentUser
from tests.factories import csrf_headers, make_account, make_user, sign_in

Client = httpx.AsyncClient


async def signed_in(client: Client, role: Role) -> CurrentUser:
    account_id = (await make_account()).id if role in (Role.contact, Role.account_admin) else None
    user = await make_user(role, account_id=account_id)
    await sign_in(client, user.email)
    await client.get("/")  # a page, for the CSRF cookie whatever the role
    return user


async def post(client: Client, path: str, data: dict[str, str] | None = None) -> httpx.Response:
    return await client.post(path, data=data or {}, headers=csrf_headers(client), follow_redirects=False)


def error_next_to(page: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="error-{field}">([^<]*)</p>', page)
    assert found, f"no error next to {field}"
    return found.group(1)


PRODUCT = {"code": "cloud-pbx", "name_en": "Cloud PBX", "name_el": "Τηλεφωνικό κέντρο cloud"}


# --- Products and categories ------------------------------------------------------------------------------


async def test_a_manager_creates_a_product_and_sees_it(client: Client) -> None:
    await signed_in(client, Role.manager)
    home = await client.get("/backoffice")
    assert 'href="/backoffice/products"' in home.text
    assert 'href="/backoffice/canned-responses"' in home.text

    created = await post(client, "/backoffice/products", PRODUCT)
    assert created.status_code == 303
    page = await client.get(created.headers["location"])
    assert "Product Cloud PBX created." in page.text
    assert "cloud-pbx" in page.text
    assert "Τηλεφωνικό κέντρο cloud" in page.text


async def test_a_duplicate_code_is_refused_next_to_the_field_and_nothing_is_saved(client: Client) -> None:
    await signed_in(client, Role.admin)
    await post(client, "/backoffice/products", PRODUCT)
    duplicate = await post(client, "/backoffice/products", PRODUCT | {"code": "Cloud-PBX", "name_en": "Copy"})
    assert duplicate.status_code == 422
    assert error_next_to(duplicate.text, "code") == "This code is already in use; choose another."
    assert 'value="Copy"' in duplicate.text  # what was typed stays
    assert await Product.count() == 1


async def test_bad_product_input_gets_messages_next_to_the_fields(client: Client) -> None:
    await signed_in(client, Role.manager)
    bad = await post(client, "/backoffice/products", {"code": "cloud pbx!", "name_en": "", "name_el": "Όνομα"})
    assert bad.status_code == 422
    assert "lowercase Latin letters" in error_next_to(bad.text, "code")
    assert error_next_to(bad.text, "name_en") == "This field is required."
    assert await Product.count() == 0


async def test_a_manager_deactivates_a_product_and_new_cases_no_longer_offer_it(client: Client) -> None:
    await signed_in(client, Role.manager)
    product_id = await catalog.create_product(**PRODUCT)
    edit = await client.get(f"/backoffice/products/{product_id}")
    assert 'name="is_active" type="checkbox" value="on" checked' in edit.text

    saved = await post(client, f"/backoffice/products/{product_id}", PRODUCT | {"name_en": "Cloud PBX 2"})
    assert saved.status_code == 303
    assert await catalog.active_products() == []
    listing = await client.get("/backoffice/products")
    assert "Cloud PBX 2" in listing.text
    assert "Deactivated" in listing.text
    for missing in ("/backoffice/products/999999", f"/backoffice/products/{2**40}", f"/backoffice/teams/{2**40}"):
        assert (await client.get(missing)).status_code == 404
    assert (await post(client, f"/backoffice/categories/{2**40}", PRODUCT)).status_code == 404


async def test_a_manager_creates_a_category_for_one_product(client: Client) -> None:
    await signed_in(client, Role.manager)
    product_id = await catalog.create_product(**PRODUCT)
    page = await client.get("/backoffice/categories")
    assert f'<option value="{product_id}">Cloud PBX</option>' in page.text

    data = {"code": "call-routing", "name_en": "Call routing", "name_el": "Δρομολόγηση", "product_id": str(product_id)}
    assert (await post(client, "/backoffice/categories", data)).status_code == 303
    listing = await client.get("/backoffice/categories")
    assert "Category Call routing created." in listing.text
    assert [row["product"] for row in await catalog.active_categories(product_id)] == [product_id]

    unknown = await post(client, "/backoffice/categories", data | {"code": "other", "product_id": "77777"})
    assert unknown.status_code == 422
    assert error_next_to(unknown.text, "product_id") == "Choose a product from the list."
    assert await Category.count() == 1


async def test_agents_may_not_see_or_change_products_and_categories(client: Client) -> None:
    await signed_in(client, Role.agent)
    assert 'href="/backoffice/products"' not in (await client.get("/backoffice")).text
    for path in ("/backoffice/products", "/backoffice/categories"):
        assert (await client.get(path)).status_code == 403
        assert (await post(client, path, PRODUCT)).status_code == 403
    assert await Product.count() == 0


# --- Teams ------------------------------------------------------------------------------------------------


async def test_a_manager_creates_a_team_and_adds_and_removes_a_member(client: Client) -> None:
    await signed_in(client, Role.manager)
    agent = await make_user(Role.agent, name="Νίκος Γεωργίου", email="nikos@portal.example")

    created = await post(client, "/backoffice/teams", {"name": "First line"})
    assert created.status_code == 303
    team_page = await client.get(created.headers["location"])
    assert "Team First line created." in team_page.text
    assert "This team has no members yet." in team_page.text
    assert "Νίκος Γεωργίου (nikos@portal.example)" in team_page.text  # offered in the picker

    team_id = int(created.headers["location"].rsplit("/", 1)[1])
    added = await post(client, f"/backoffice/teams/{team_id}/members", {"user_id": str(agent.id)})
    assert added.status_code == 303
    with_member = await client.get(f"/backoffice/teams/{team_id}")
    assert "Member added." in with_member.text
    assert "Remove Νίκος from the team" in with_member.text
    assert "1" in (await client.get("/backoffice/teams")).text
    assert await support_teams.team_ids_of(agent.id) == [team_id]

    removed = await post(client, f"/backoffice/teams/{team_id}/members/{agent.id}/remove")
    assert removed.status_code == 303
    assert "Member removed." in (await client.get(f"/backoffice/teams/{team_id}")).text
    assert await TeamMembership.count() == 0


async def test_a_customer_cannot_be_added_to_a_team(client: Client) -> None:
    await signed_in(client, Role.manager)
    team_id = await support_teams.create_team("First line")
    account = await make_account()
    customer = await make_user(Role.contact, account_id=account.id)
    refused = await post(client, f"/backoffice/teams/{team_id}/members", {"user_id": str(customer.id)})
    assert refused.status_code == 422
    assert error_next_to(refused.text, "user_id") == "Only active staff can be members of a support team."
    nonsense = await post(client, f"/backoffice/teams/{team_id}/members", {"user_id": "someone"})
    assert nonsense.status_code == 422
    assert error_next_to(nonsense.text, "user_id") == "Choose a person from the list."
    assert await TeamMembership.count() == 0


async def test_team_names_must_be_unique_and_a_rename_shows_its_error_in_place(client: Client) -> None:
    await signed_in(client, Role.manager)
    await support_teams.create_team("First line")
    second = await support_teams.create_team("Second line")
    duplicate = await post(client, "/backoffice/teams", {"name": "First line"})
    assert duplicate.status_code == 422
    assert error_next_to(duplicate.text, "name") == "There is already a team with this name."
    rename = await post(client, f"/backoffice/teams/{second}", {"name": "First line"})
    assert rename.status_code == 422
    assert error_next_to(rename.text, "name") == "There is already a team with this name."
    assert await SupportTeam.count() == 2
    assert (await post(client, f"/backoffice/teams/{second}", {"name": "Specialists"})).status_code == 303
    assert "Specialists" in (await client.get("/backoffice/teams")).text


async def test_an_agent_sees_teams_read_only(client: Client) -> None:
    team_id = await support_teams.create_team("First line")
    agent = await signed_in(client, Role.agent)
    await support_teams.add_member(team_id, agent.id)

    listing = await client.get("/backoffice/teams")
    assert listing.status_code == 200
    assert "First line" in listing.text
    assert 'action="/backoffice/teams"' not in listing.text
    page = await client.get(f"/backoffice/teams/{team_id}")
    assert page.status_code == 200
    assert agent.name in page.text
    assert "/remove" not in page.text
    assert (await post(client, "/backoffice/teams", {"name": "Mine"})).status_code == 403
    assert (await post(client, f"/backoffice/teams/{team_id}/members/{agent.id}/remove")).status_code == 403
    assert await support_teams.team_ids_of(agent.id) == [team_id]


# --- Canned responses -------------------------------------------------------------------------------------

RESPONSE = {
    "title": "Received",
    "body_en": "Dear {customer_first_name}, we received {case_number}.",
    "body_el": "Αγαπητή {customer_first_name}, λάβαμε την υπόθεση {case_number}.",
}


async def test_a_manager_writes_a_canned_response_and_sees_it_filled_in_for_an_example(client: Client) -> None:
    await signed_in(client, Role.manager)
    created = await post(client, "/backoffice/canned-responses", RESPONSE | {"is_active": "on"})
    assert created.status_code == 303
    listing = await client.get(created.headers["location"])
    assert "Canned response Received created." in listing.text
    row = await CannedResponse.select().first()
    assert row is not None
    page = await client.get(f"/backoffice/canned-responses/{row['id']}")
    assert "Dear Maria, we received C-2026-000123." in page.text
    assert "λάβαμε την υπόθεση C-2026-000123." in page.text


async def test_an_unknown_placeholder_is_refused_next_to_its_field_listing_the_known_ones(client: Client) -> None:
    await signed_in(client, Role.manager)
    refused = await post(client, "/backoffice/canned-responses", RESPONSE | {"body_el": "Γεια {ονομα}, {not one"})
    assert refused.status_code == 422
    message = error_next_to(refused.text, "body_el")
    assert "{ονομα}" in message
    assert "{customer_name}" in message
    assert "{case_subject}" in message
    assert "Γεια {ονομα}, {not one</textarea>" in refused.text
    assert await CannedResponse.count() == 0

    missing = await post(client, "/backoffice/canned-responses", RESPONSE | {"body_en": ""})
    assert missing.status_code == 422
    assert error_next_to(missing.text, "body_en") == "This field is required."


async def test_a_manager_edits_switches_off_and_deletes_a_canned_response(client: Client) -> None:
    await signed_in(client, Role.manager)
    response_id = await canned_responses.create_response(**RESPONSE)
    saved = await post(client, f"/backoffice/canned-responses/{response_id}", RESPONSE | {"title": "Got it"})
    assert saved.status_code == 303
    assert await canned_responses.active_responses() == []  # the box was not ticked
    assert "Canned response Got it saved." in (await client.get(saved.headers["location"])).text

    deleted = await post(client, f"/backoffice/canned-responses/{response_id}/delete")
    assert deleted.status_code == 303
    assert "No canned responses yet." in (await client.get("/backoffice/canned-responses")).text
    assert (await client.get(f"/backoffice/canned-responses/{response_id}")).status_code == 404


async def test_an_agent_may_view_canned_responses_but_not_change_them(client: Client) -> None:
    response_id = await canned_responses.create_response(**RESPONSE)
    await signed_in(client, Role.agent)
    listing = await client.get("/backoffice/canned-responses")
    assert listing.status_code == 200
    assert "Received" in listing.text
    assert '<form method="post" action="/backoffice/canned-responses"' not in listing.text
    page = await client.get(f"/backoffice/canned-responses/{response_id}")
    assert page.status_code == 200
    assert "we received {case_number}" in page.text  # the text as written
    for path in (
        "/backoffice/canned-responses",
        f"/backoffice/canned-responses/{response_id}",
        f"/backoffice/canned-responses/{response_id}/delete",
    ):
        assert (await post(client, path, RESPONSE)).status_code == 403
    assert [row["title"] for row in await canned_responses.all_responses()] == ["Received"]


# --- Customers --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.contact, Role.account_admin, Role.prospect])
async def test_customers_get_403_on_every_page_and_form(client: Client, role: Role) -> None:
    product_id = await catalog.create_product(**PRODUCT)
    category_id = await catalog.create_category(code="billing", name_en="Billing", name_el="Χρεώσεις")
    team_id = await support_teams.create_team("First line")
    response_id = await canned_responses.create_response(**RESPONSE)
    await signed_in(client, role)
    pages = [
        "/backoffice/products",
        f"/backoffice/products/{product_id}",
        "/backoffice/categories",
        f"/backoffice/categories/{category_id}",
        "/backoffice/teams",
        f"/backoffice/teams/{team_id}",
        "/backoffice/canned-responses",
        f"/backoffice/canned-responses/{response_id}",
    ]
    for path in pages:
        assert (await client.get(path)).status_code == 403, path
        assert (await post(client, path, {"name": "x"})).status_code == 403, path
    assert (await post(client, f"/backoffice/teams/{team_id}/members", {"user_id": "1"})).status_code == 403
    assert (await post(client, f"/backoffice/canned-responses/{response_id}/delete")).status_code == 403
    assert await CannedResponse.count() == 1


async def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = await client.get("/backoffice/canned-responses", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
