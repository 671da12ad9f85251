from __future__ import annotations

from pathlib import Path

import httpx

from portal.app import create_app
from portal.db.tables import Role, User
from portal.settings import SecuritySettings, Settings
from tests.conftest import TEST_SECRET
from tests.factories import PASSWORD, csrf_headers, make_user, sign_in
from tests.harness import running

Client = httpx.AsyncClient


async def signed_in_with(client: Client, session_id: str | None) -> bool:
    """Whether a browser holding only this session cookie is signed in."""
    client.cookies.clear()
    client.cookies.set("portal_session", session_id or "")
    return (await client.get("/account", follow_redirects=False)).status_code == 200


async def test_pages_carry_a_strict_content_security_policy(client: Client) -> None:
    response = await client.get("/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "<script>" not in response.text  # nothing inline for the policy to block


async def test_form_without_csrf_token_is_refused_with_a_clear_page(client: Client) -> None:
    await client.get("/")
    response = await client.post("/language", data={"locale": "el"}, follow_redirects=False)
    assert response.status_code == 403
    assert "This form has expired" in response.text
    assert "portal_locale" not in response.headers.get("set-cookie", "")


async def test_htmx_request_with_csrf_header_is_accepted(client: Client) -> None:
    await client.get("/")
    response = await client.post(
        "/language",
        data={"locale": "el"},
        headers={**csrf_headers(client), "HX-Request": "true"},
        follow_redirects=False,
    )
    assert response.status_code == 303


async def test_sign_in_rotates_the_session_id_and_the_old_id_is_dead(client: Client) -> None:
    user = await make_user(Role.contact)
    await client.get("/login")
    await client.post("/language", data={"locale": "en"}, headers=csrf_headers(client))  # give it a session
    before = client.cookies.get("portal_session")
    response = await sign_in(client, user.email)
    assert response.status_code == 303
    after = client.cookies.get("portal_session")
    assert after
    assert after != before

    assert await signed_in_with(client, before) is False  # the planted id does not become a signed-in one
    assert await signed_in_with(client, after) is True


async def test_sign_out_rotates_the_session_and_signs_the_user_out(client: Client) -> None:
    user = await make_user(Role.contact)
    await sign_in(client, user.email)
    signed_in_id = client.cookies.get("portal_session")
    response = await client.post("/logout", headers=csrf_headers(client), follow_redirects=False)
    assert response.status_code == 303
    assert client.cookies.get("portal_session") != signed_in_id
    assert (await client.get("/account", follow_redirects=False)).status_code == 303

    assert await signed_in_with(client, signed_in_id) is False  # a stolen cookie is worthless after sign-out


async def test_session_and_csrf_cookies_are_http_only_and_same_site(client: Client) -> None:
    user = await make_user(Role.contact)
    response = await sign_in(client, user.email)
    cookies = response.headers.get_list("set-cookie")
    session = next(cookie for cookie in cookies if cookie.startswith("portal_session="))
    assert "HttpOnly" in session
    assert "SameSite=lax" in session
    client.cookies.clear()
    csrf = next(c for c in (await client.get("/login")).headers.get_list("set-cookie") if "portal_csrf" in c)
    assert "HttpOnly" in csrf


async def test_cookies_are_secure_when_the_portal_is_served_over_https(
    settings_factory,
    migrated_database: str,  # type: ignore[no-untyped-def]
) -> None:
    settings: Settings = settings_factory(public_url="https://portal.example")
    user = await make_user(Role.contact)
    async with running(create_app(settings), base_url="https://portal.example") as client:
        response = await sign_in(client, user.email)
        assert response.status_code == 303
        session = next(c for c in response.headers.get_list("set-cookie") if c.startswith("portal_session="))
        assert "Secure" in session
        assert "max-age=31536000" in response.headers["strict-transport-security"]


async def test_passwords_are_stored_as_argon2id_hashes(migrated_database: str) -> None:
    user = await make_user(Role.contact)
    row = await User.select(User.password_hash).where(User.id == user.id).first()
    assert row is not None
    assert row["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in row["password_hash"]


async def test_wrong_password_and_unknown_email_get_the_same_answer(client: Client) -> None:
    user = await make_user(Role.contact)
    wrong = await sign_in(client, user.email, "not the password")
    unknown = await sign_in(client, "nobody@example.com", "not the password")
    assert wrong.status_code == unknown.status_code == 422
    assert "The email or password is not right." in wrong.text
    assert "The email or password is not right." in unknown.text


async def test_deactivated_user_is_signed_out_at_the_next_request(client: Client) -> None:
    user = await make_user(Role.contact)
    await sign_in(client, user.email)
    assert (await client.get("/account")).status_code == 200
    await User.update({User.is_active: False}).where(User.id == user.id)
    assert (await client.get("/account", follow_redirects=False)).status_code == 303


async def test_sign_in_is_rate_limited_per_address(
    settings_factory,
    migrated_database: str,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    settings: Settings = settings_factory(
        data_dir=tmp_path,  # its own counters, untouched by other tests' sign-ins
        security=SecuritySettings(secret_key=TEST_SECRET, login_rate_limit=3),
    )
    async with running(create_app(settings)) as client:
        statuses = [(await sign_in(client, "someone@example.com", "guess")).status_code for _ in range(4)]
        assert statuses == [422, 422, 422, 429]
        blocked = await sign_in(client, "someone@example.com", "guess")
        assert "Too many attempts" in blocked.text
        assert (await client.get("/login")).status_code == 200  # reading the form is never limited


async def test_raising_the_session_epoch_signs_out_every_session(client: Client) -> None:
    user = await make_user(Role.contact)
    await sign_in(client, user.email)
    assert (await client.get("/account")).status_code == 200
    await User.update({User.session_epoch: User.session_epoch + 1}).where(User.id == user.id)
    assert (await client.get("/account", follow_redirects=False)).status_code == 303


async def test_a_role_change_gives_the_session_a_new_id(client: Client) -> None:
    user = await make_user(Role.contact)
    await sign_in(client, user.email)
    before = client.cookies.get("portal_session")
    assert (await client.get("/account")).status_code == 200
    assert client.cookies.get("portal_session") == before  # nothing changed, nothing rotates

    await User.update({User.role: Role.agent.value}).where(User.id == user.id)  # promoted by an admin
    assert (await client.get("/backoffice")).status_code == 200
    after = client.cookies.get("portal_session")
    assert after != before
    client.cookies.clear()
    client.cookies.set("portal_session", before or "")
    assert (await client.get("/backoffice", follow_redirects=False)).status_code == 303  # the old id is dead
    client.cookies.clear()
    client.cookies.set("portal_session", after or "")
    assert (await client.get("/backoffice")).status_code == 200


async def test_a_visitor_without_a_session_gets_no_session_cookie_or_file(
    client: Client,
    settings_factory,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    for path in ("/", "/login", "/no/such/page"):
        response = await client.get(path)
        assert "portal_session=" not in response.headers.get("set-cookie", ""), path
    async with running(create_app(settings_factory(data_dir=tmp_path))) as fresh:
        await fresh.get("/")
        await fresh.get("/login")
    assert not any((tmp_path / "stores" / "sessions").iterdir())


async def test_a_signed_in_page_view_that_changes_nothing_writes_no_session(client: Client) -> None:
    user = await make_user(Role.contact)
    await sign_in(client, user.email)
    await client.get("/account")
    quiet = await client.get("/account")
    assert "portal_session=" not in quiet.headers.get("set-cookie", "")
    assert quiet.status_code == 200
