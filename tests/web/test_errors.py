from __future__ import annotations

import httpx
import pytest
from litestar import Litestar, get

from portal.db.tables import Role
from tests.factories import make_user, sign_in
from tests.harness import running

Client = httpx.AsyncClient


@pytest.mark.parametrize(("language", "title"), [("en", "Page not found"), ("el", "Η σελίδα δεν βρέθηκε")])
async def test_unknown_page_is_a_404_page_in_the_visitors_language(client: Client, language: str, title: str) -> None:
    response = await client.get("/no/such/page", headers={"Accept-Language": language})
    assert response.status_code == 404
    assert f'<html lang="{language}">' in response.text
    assert title in response.text
    assert "content-security-policy" in response.headers


async def test_404_page_still_knows_who_is_signed_in(client: Client) -> None:
    customer = await make_user(Role.contact, name="Nora Known")
    await sign_in(client, customer.email)
    page = (await client.get("/no/such/page")).text
    assert "Nora" in page
    assert 'href="/account"' in page


@pytest.mark.parametrize(("language", "title"), [("en", "Access denied"), ("el", "Δεν επιτρέπεται η πρόσβαση")])
async def test_customer_in_the_back_office_gets_a_403_page(client: Client, language: str, title: str) -> None:
    customer = await make_user(Role.contact, locale=language)
    await sign_in(client, customer.email)
    response = await client.get("/backoffice")
    assert response.status_code == 403
    assert title in response.text


async def test_anonymous_visitor_is_sent_to_sign_in_and_back(client: Client) -> None:
    response = await client.get("/backoffice?tab=people", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fbackoffice%3Ftab%3Dpeople"


async def test_htmx_request_is_redirected_to_sign_in_without_swapping_a_page(client: Client) -> None:
    response = await client.get("/account", headers={"HX-Request": "true"}, follow_redirects=False)
    assert response.status_code == 204
    assert response.headers["hx-redirect"] == "/login?next=%2Faccount"


async def test_api_errors_are_json_with_one_shape(client: Client) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "status": 404,
            "code": "not_found",
            "message": "The page you asked for does not exist or has moved.",
        }
    }


@get("/boom", include_in_schema=False)
async def boom() -> str:
    raise RuntimeError("database password is hunter2")


@pytest.mark.parametrize(("language", "title"), [("en", "Something went wrong"), ("el", "Κάτι πήγε στραβά")])
async def test_crash_is_a_500_page_with_a_reference_and_no_internals(app: Litestar, language: str, title: str) -> None:
    app.register(boom)
    async with running(app) as client:
        response = await client.get("/boom", headers={"Accept-Language": language})
    assert response.status_code == 500
    assert title in response.text
    assert response.headers["x-request-id"] in response.text
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text


@pytest.mark.parametrize(
    ("language", "message"), [("en", "This field is required."), ("el", "Το πεδίο είναι υποχρεωτικό.")]
)
async def test_invalid_form_is_a_422_with_the_message_next_to_the_field(
    client: Client, language: str, message: str
) -> None:
    await client.get("/login", headers={"Accept-Language": language})
    response = await client.post(
        "/login",
        data={"email": "", "password": ""},
        headers={"x-csrftoken": client.cookies["portal_csrf"], "Accept-Language": language},
    )
    assert response.status_code == 422
    assert f'<p class="field-error" id="error-email">{message}</p>' in response.text
    assert 'aria-invalid="true"' in response.text
