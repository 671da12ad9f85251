from __future__ import annotations

import httpx

from portal.app import create_app
from portal.db.tables import Role
from tests.factories import csrf_headers, make_user, sign_in
from tests.harness import running

Client = httpx.AsyncClient


async def test_home_speaks_english_by_default(client: Client) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert '<html lang="en">' in response.text
    assert "How can we help you today?" in response.text
    assert response.headers["content-language"] == "en"


async def test_browser_language_picks_greek(client: Client) -> None:
    response = await client.get("/", headers={"Accept-Language": "el-GR,el;q=0.9,en;q=0.5"})
    assert '<html lang="el">' in response.text
    assert "Πώς μπορούμε να σας βοηθήσουμε σήμερα;" in response.text


async def test_language_choice_is_remembered_over_the_browser_preference(client: Client) -> None:
    await client.get("/")
    response = await client.post(
        "/language",
        data={"locale": "el", "next": "/login"},
        headers=csrf_headers(client),
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/login"

    page = await client.get("/login", headers={"Accept-Language": "en"})
    assert '<html lang="el">' in page.text
    assert "Κωδικός πρόσβασης" in page.text


async def test_language_switch_refuses_to_redirect_off_site(client: Client) -> None:
    await client.get("/")
    response = await client.post(
        "/language",
        data={"locale": "el", "next": "//evil.example/"},
        headers=csrf_headers(client),
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


async def test_anonymous_navigation_offers_sign_in_only(client: Client) -> None:
    page = (await client.get("/")).text
    assert 'href="/login"' in page
    assert 'href="/account"' not in page
    assert 'href="/backoffice"' not in page


async def test_customer_navigation_leads_to_their_account(client: Client) -> None:
    customer = await make_user(Role.contact, name="Maria Customer")
    response = await sign_in(client, customer.email)
    assert response.headers["location"] == "/account"
    landing = (await client.get("/account")).text
    assert "Welcome, Maria." in landing  # shown once, after signing in
    assert "Welcome, Maria." not in (await client.get("/account")).text
    page = (await client.get("/")).text
    assert 'href="/account"' in page
    assert 'href="/backoffice"' not in page
    assert "Maria" in page
    assert "Sign out" in page


async def test_staff_navigation_leads_to_the_back_office(client: Client) -> None:
    agent = await make_user(Role.agent)
    await sign_in(client, agent.email)
    page = (await client.get("/")).text
    assert 'href="/backoffice"' in page
    assert 'href="/account"' not in page


async def test_static_assets_are_fingerprinted_and_cached_for_a_year(client: Client) -> None:
    page = (await client.get("/")).text
    assert "/static/vendor/htmx.min.js?v=" in page
    response = await client.get("/static/css/portal.css")
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["cache-control"]
    htmx = await client.get("/static/vendor/htmx.min.js")
    assert htmx.status_code == 200
    assert 'version:"2.0.11"' in htmx.text.replace(" ", "")


async def test_demo_mode_lists_the_demo_logins_on_the_sign_in_page(settings_factory, migrated_database: str) -> None:  # type: ignore[no-untyped-def]
    demo_settings = settings_factory(mode="demo")
    async with running(create_app(demo_settings)) as demo_client:
        page = (await demo_client.get("/login")).text
    assert "admin@portal.example" in page
    assert "portal-demo" in page


async def test_production_never_shows_demo_logins(client: Client) -> None:
    page = (await client.get("/login")).text
    assert "portal-demo" not in page
    assert "Trying the demo?" not in page
