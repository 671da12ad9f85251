"""The profile page: details and language, recent sign-ins, and the places other features fill."""

from __future__ import annotations

import httpx

from portal.db.tables import Role, User
from portal.web.profile.controllers import describe_browser
from tests.factories import PASSWORD, make_user
from tests.web.auth_helpers import post_form, sign_in

Client = httpx.AsyncClient
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"


async def test_profile_needs_a_signed_in_user(client: Client) -> None:
    response = await client.get("/profile", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


async def test_profile_shows_details_recent_sign_ins_and_links_to_other_settings(client: Client) -> None:
    user = await make_user(Role.agent)
    client.headers["user-agent"] = FIREFOX
    await sign_in(client, user.email, PASSWORD)
    page = await client.get("/profile")
    assert page.status_code == 200
    assert user.email in page.text
    assert "Firefox on Linux" in page.text
    assert "127.0.0.1" in page.text
    for link in ("/profile/sign-in-methods", "/profile/data", "/profile/two-factor", "/profile/sign-out-everywhere"):
        assert f'"{link}"' in page.text
    assert 'href="/profile"' in page.text  # the header links the user's name to the profile


async def test_saving_details_and_language_sets_the_language_cookie(client: Client) -> None:
    user = await make_user(Role.contact)
    await sign_in(client, user.email, PASSWORD)
    response = await post_form(client, "/profile", {"name": "Νέο Όνομα", "phone": "+30 69 1234 5678", "locale": "el"})
    assert response.status_code == 303
    assert "portal_locale=el" in response.headers["set-cookie"]
    row = await User.select(User.name, User.phone, User.locale).where(User.id == user.id).first()
    assert row == {"name": "Νέο Όνομα", "phone": "+30 69 1234 5678", "locale": "el"}
    page = await client.get("/profile")
    assert '<html lang="el">' in page.text
    assert "Τα στοιχεία σας αποθηκεύτηκαν." in page.text


async def test_invalid_details_are_shown_next_to_their_fields(client: Client) -> None:
    user = await make_user(Role.contact)
    await sign_in(client, user.email, PASSWORD)
    response = await post_form(client, "/profile", {"name": " ", "phone": "call me", "locale": "en"})
    assert response.status_code == 422
    assert 'id="error-name"' in response.text
    assert 'id="error-phone"' in response.text


def test_browsers_are_named_plainly() -> None:
    assert describe_browser(FIREFOX) == "Firefox on Linux"
    edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/140.0 Safari/537.36 Edg/140.0"
    assert describe_browser(edge) == "Edge on Windows"
    assert describe_browser("curl/8.5.0") == "curl/8.5.0"
    assert describe_browser(None) == "Unknown browser"


async def test_profile_shows_a_failed_sign_in_attempt_on_the_account(client: Client) -> None:
    user = await make_user(Role.contact)
    await sign_in(client, user.email, "someone guessing")
    await sign_in(client, user.email, PASSWORD)
    page = (await client.get("/profile")).text
    assert "Failed attempt" in page
