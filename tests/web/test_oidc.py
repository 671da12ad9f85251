"""Sign in with OpenID Connect and GitHub, against real providers on local ports, driven as a browser would."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc.jwk import RSAKey
from litestar import Litestar

from portal.app import create_app
from portal.db.tables import AuditEvent, ExternalIdentity, Role, User
from portal.settings import AuthSettings, OidcProviderSettings
from tests.factories import csrf_headers, make_user, sign_in
from tests.harness import BASE_URL, running
from tests.mail import SmtpServer, body
from tests.oidc_provider import ForgingProvider, MockProvider, forging_provider, mock_provider

# oidc-provider-mock still calls authlib's deprecated provider API; it warns on the provider's thread, where
# pytest's "warnings are errors" would turn its token endpoint into a 500. Ours are still errors.
pytestmark = pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning")


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProvider]:
    with mock_provider() as provider:
        yield provider


@pytest.fixture(scope="module")
def forge_server() -> Iterator[ForgingProvider]:
    with forging_provider() as provider:
        yield provider


@pytest.fixture
def forge(forge_server: ForgingProvider) -> ForgingProvider:
    """The forging provider, honest again for this test."""
    forge_server.claims = {}
    forge_server.issuer_template = None
    forge_server.github_user, forge_server.github_emails = {}, []
    return forge_server


def provider(name: str, label: str, url: str, **extra: Any) -> OidcProviderSettings:
    values: dict[str, Any] = {
        "name": name,
        "label": label,
        "kind": "oidc",
        "client_id": "portal",
        "client_secret": "portal-secret",
        "discovery_url": f"{url}/.well-known/openid-configuration",
    } | extra
    return OidcProviderSettings(**values)


@dataclass
class Portal:
    app: Litestar
    client: httpx.AsyncClient


@pytest.fixture
async def portal(
    settings_factory: Any, migrated_database: str, mock: MockProvider, forge: ForgingProvider
) -> AsyncIterator[Portal]:
    providers = [
        provider("mock", "Mock ID", mock.url),
        provider("forge", "Forge ID", forge.url),
        provider("tenants", "Entra", forge.url, allowed_tenants=["tenant-a"]),
        provider("ghe", "GitHub", "", kind="github", discovery_url="", github_url=forge.url),
    ]
    app = create_app(settings_factory(auth=AuthSettings(providers=providers)))
    async with running(app) as client:
        yield Portal(app, client)


async def delivered(app: Litestar, smtp: SmtpServer, address: str) -> list[Any]:
    """The emails to `address`, once delivered. The app's own mailer task may be the one sending them, so
    wait without blocking the event loop it runs on."""
    deadline = time.monotonic() + 10.0
    while not (received := smtp.to(address)):
        assert time.monotonic() < deadline, f"no email to {address}"
        await app.state.mailer.deliver_due()
        await asyncio.sleep(0.02)  # polling the condition "an email arrived", with a deadline
    return received


def another_browser(app: Litestar) -> httpx.AsyncClient:
    """A second visitor of the running app, with cookies of its own."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)


async def start(client: httpx.AsyncClient, name: str, next: str | None = None) -> str:
    """Press "Continue with ..." on the sign-in page: the URL of the provider's sign-in page."""
    response = await client.get(f"/auth/{name}/login", params={"next": next} if next else None)
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def user_row(email: str) -> dict[str, Any] | None:
    return await User.select().where(User.email == email).first()  # type: ignore[no-any-return]


async def audit(kind: str) -> list[dict[str, Any]]:
    rows = await AuditEvent.select().where(AuditEvent.kind == kind)
    return [
        row | {"details": json.loads(row["details"]) if isinstance(row["details"], str) else row["details"]}
        for row in rows
    ]


async def signed_in_as(client: httpx.AsyncClient) -> str | None:
    page = await client.get("/account")
    if page.status_code != 200:
        return None
    match = re.search(r"<dt>Email</dt><dd>([^<]+)</dd>", page.text)
    return match.group(1) if match else None


# --- the whole flow against oidc-provider-mock -------------------------------------------------------------


async def test_first_sign_in_creates_a_verified_prospect_and_rotates_the_session(
    portal: Portal, mock: MockProvider
) -> None:
    mock.set_user("alice-sub", email="Alice@Example.com", email_verified=True, name="Alice Example")
    authorize_url = await start(portal.client, "mock", next="/account")
    asked = parse_qs(urlsplit(authorize_url).query)
    assert asked["code_challenge_method"] == ["S256"]
    assert asked["code_challenge"]
    assert asked["nonce"]
    assert asked["redirect_uri"] == ["http://testserver.local/auth/mock/callback"]
    session_before = portal.client.cookies["portal_session"]

    visit = mock.authorize(authorize_url, "alice-sub")
    response = await portal.client.get(visit.path_and_query)

    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    assert portal.client.cookies["portal_session"] != session_before
    assert await signed_in_as(portal.client) == "alice@example.com"
    user = await user_row("alice@example.com")
    assert user is not None
    assert (user["role"], user["name"], user["password_hash"]) == (Role.prospect, "Alice Example", None)
    assert user["email_verified_at"] is not None
    identity = await ExternalIdentity.select().where(ExternalIdentity.user == user["id"]).first()
    assert (identity["issuer"], identity["subject"], identity["provider"]) == (mock.url, "alice-sub", "mock")
    [event] = await audit("sign_in")
    assert event["details"] == {"method": "mock"}
    assert event["subject"] == user["id"]
    assert len(await audit("provider_linked")) == 1


async def test_a_user_with_two_factor_still_answers_the_challenge(portal: Portal, mock: MockProvider) -> None:
    user = await make_user(email="tess@example.com")
    await User.update({User.totp_enabled_at: datetime.now(UTC)}).where(User.id == user.id)
    await ExternalIdentity.insert(
        ExternalIdentity(user=user.id, provider="mock", issuer=mock.url, subject="tess-sub", email="tess@example.com")
    )
    visit = mock.authorize(await start(portal.client, "mock"), "tess-sub")
    response = await portal.client.get(visit.path_and_query)
    assert response.status_code == 303
    assert response.headers["location"] == "/login/two-factor"
    assert await signed_in_as(portal.client) is None


async def test_existing_email_is_linked_only_through_the_emailed_link(
    portal: Portal, mock: MockProvider, smtp: SmtpServer
) -> None:
    owner = await make_user(email="bob@example.com", name="Bob Owner")
    mock.set_user("bob-at-mock", email="bob@example.com", email_verified=True, name="Someone Claiming Bob")

    visit = mock.authorize(await start(portal.client, "mock"), "bob-at-mock")
    response = await portal.client.get(visit.path_and_query)

    assert response.status_code == 200
    assert "Check your email" in response.text
    assert await signed_in_as(portal.client) is None  # the provider's word alone does not open Bob's account
    assert await ExternalIdentity.count() == 0

    [message] = await delivered(portal.app, smtp, "bob@example.com")
    assert "Mock ID" in message["Subject"]
    link = re.search(r"http://testserver.local(/link-identity/\S+)", body(message, "plain"))
    assert link is not None

    forged = await portal.client.post("/link-identity/not-a-real-token", headers=csrf_headers(portal.client))
    assert forged.status_code == 400
    assert await ExternalIdentity.count() == 0

    page = await portal.client.get(link.group(1))
    assert page.status_code == 200
    assert "Link and sign in" in page.text
    confirmed = await portal.client.post(link.group(1), headers=csrf_headers(portal.client))
    assert confirmed.status_code == 303
    assert await signed_in_as(portal.client) == "bob@example.com"
    identity = await ExternalIdentity.select().first()
    assert (identity["user"], identity["subject"]) == (owner.id, "bob-at-mock")
    assert [event["details"] for event in await audit("provider_linked")] == [{"method": "mock"}]

    again = await portal.client.post(link.group(1), headers=csrf_headers(portal.client))
    assert again.status_code == 400  # a link works once

    async with another_browser(portal.app) as browser:  # from now on the provider signs Bob in directly
        visit = mock.authorize(await start(browser, "mock"), "bob-at-mock")
        assert (await browser.get(visit.path_and_query)).status_code == 303
        assert await signed_in_as(browser) == "bob@example.com"


@pytest.mark.parametrize(
    "claims", [{"email": "carol@example.com", "email_verified": False}, {"email": "carol@example.com"}, {}]
)
async def test_an_email_the_provider_has_not_verified_is_refused(
    portal: Portal, mock: MockProvider, claims: dict[str, Any]
) -> None:
    mock.set_user("carol-sub", **claims)
    visit = mock.authorize(await start(portal.client, "mock"), "carol-sub")
    response = await portal.client.get(visit.path_and_query)
    assert response.status_code == 403
    assert "Email address not verified" in response.text
    assert await User.count() == 0
    assert await signed_in_as(portal.client) is None


async def test_cancelled_consent_ends_on_a_clear_page(portal: Portal, mock: MockProvider) -> None:
    visit = mock.deny(await start(portal.client, "mock"))
    assert visit.params["error"] == "access_denied"
    response = await portal.client.get(visit.path_and_query)
    assert response.status_code == 401
    assert "Sign-in cancelled" in response.text
    assert await User.count() == 0


@pytest.mark.parametrize("state", ["forged-state", None])
async def test_a_callback_with_a_bad_or_missing_state_is_refused(
    portal: Portal, mock: MockProvider, state: str | None
) -> None:
    mock.set_user("dave-sub", email="dave@example.com", email_verified=True)
    visit = mock.authorize(await start(portal.client, "mock"), "dave-sub")
    params = {"code": visit.params["code"]} | ({"state": state} if state else {})
    response = await portal.client.get("/auth/mock/callback", params=params)
    assert response.status_code == 400
    assert "This sign-in has expired" in response.text
    assert await User.count() == 0


async def test_a_replayed_callback_or_reused_code_is_refused(portal: Portal, mock: MockProvider) -> None:
    mock.set_user("erin-sub", email="erin@example.com", email_verified=True)
    visit = mock.authorize(await start(portal.client, "mock"), "erin-sub")
    assert (await portal.client.get(visit.path_and_query)).status_code == 303

    replay = await portal.client.get(visit.path_and_query)
    assert replay.status_code == 400  # its state was used up

    fresh_state = parse_qs(urlsplit(await start(portal.client, "mock")).query)["state"][0]
    reused = await portal.client.get("/auth/mock/callback", params={"code": visit.params["code"], "state": fresh_state})
    assert reused.status_code == 401  # the provider refuses a code twice
    assert "We could not verify your sign-in" in reused.text
    assert len(await audit("sign_in")) == 1


async def test_unknown_provider_is_not_found(portal: Portal) -> None:
    assert (await portal.client.get("/auth/nobody/login")).status_code == 404
    assert (await portal.client.get("/auth/nobody/callback?code=x&state=y")).status_code == 404


async def test_an_unreachable_provider_ends_on_a_page_not_a_crash(
    settings_factory: Any, migrated_database: str
) -> None:
    from tests.harness import free_port

    dead = provider("dead", "Dead ID", f"http://127.0.0.1:{free_port()}")
    async with running(create_app(settings_factory(auth=AuthSettings(providers=[dead])))) as client:
        response = await client.get("/auth/dead/login")
    assert response.status_code == 502
    assert "Sign-in provider not reachable" in response.text


# --- tokens no honest provider issues ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"aud": "another-client"}, id="another audience"),
        pytest.param({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, id="expired"),
        pytest.param({"nonce": "not-the-nonce-we-sent"}, id="wrong nonce"),
        pytest.param({"iss": "https://evil.example"}, id="another issuer"),
    ],
)
async def test_a_token_that_fails_its_checks_signs_nobody_in(
    portal: Portal, forge: ForgingProvider, claims: dict[str, Any]
) -> None:
    forge.claims = claims
    visit = forge.authorize(await start(portal.client, "forge"))
    response = await portal.client.get(visit.path_and_query)
    assert response.status_code == 401
    assert "We could not verify your sign-in" in response.text
    assert await User.count() == 0
    assert await signed_in_as(portal.client) is None


async def test_a_token_signed_with_an_unpublished_key_is_refused(portal: Portal, forge: ForgingProvider) -> None:
    published = forge.key
    forge.key = RSAKey.generate_key(2048, parameters={"kid": "attacker"})
    try:
        visit = forge.authorize(await start(portal.client, "forge"))
        response = await portal.client.get(visit.path_and_query)
    finally:
        forge.key = published
    assert response.status_code == 401
    assert await User.count() == 0


async def test_the_providers_key_rotation_is_followed(portal: Portal, forge: ForgingProvider) -> None:
    forge.claims = {"sub": "first", "email": "first@example.com"}
    visit = forge.authorize(await start(portal.client, "forge"))
    assert (await portal.client.get(visit.path_and_query)).status_code == 303
    fetched = forge.jwks_fetches

    forge.rotate_key()
    forge.claims = {"sub": "second", "email": "second@example.com"}
    async with another_browser(portal.app) as browser:
        visit = forge.authorize(await start(browser, "forge"))
        assert (await browser.get(visit.path_and_query)).status_code == 303
        assert await signed_in_as(browser) == "second@example.com"
    assert forge.jwks_fetches == fetched + 1  # the unknown key id made the client fetch the keys again


async def test_multi_tenant_issuer_is_checked_per_tenant(portal: Portal, forge: ForgingProvider) -> None:
    forge.issuer_template = "{url}/{tenantid}/v2.0"
    forge.claims = {"iss": f"{forge.url}/tenant-b/v2.0", "tid": "tenant-b", "sub": "b", "email": "b@example.com"}
    visit = forge.authorize(await start(portal.client, "tenants"))
    assert (await portal.client.get(visit.path_and_query)).status_code == 401  # not an allowed tenant

    forge.claims = {"iss": f"{forge.url}/tenant-b/v2.0", "tid": "tenant-a", "sub": "a", "email": "a@example.com"}
    visit = forge.authorize(await start(portal.client, "tenants"))
    assert (await portal.client.get(visit.path_and_query)).status_code == 401  # issuer of another tenant

    forge.claims = {"iss": f"{forge.url}/tenant-a/v2.0", "tid": "tenant-a", "sub": "a", "email": "a@example.com"}
    visit = forge.authorize(await start(portal.client, "tenants"))
    assert (await portal.client.get(visit.path_and_query)).status_code == 303
    identity = await ExternalIdentity.select().first()
    assert identity["issuer"] == f"{forge.url}/tenant-a/v2.0"


async def test_github_signs_in_with_its_primary_verified_email(portal: Portal, forge: ForgingProvider) -> None:
    forge.github_user = {"id": 4242, "login": "octo", "name": "Octo Cat"}
    forge.github_emails = [
        {"email": "old@example.com", "primary": False, "verified": True},
        {"email": "octo@example.com", "primary": True, "verified": True},
    ]
    authorize_url = await start(portal.client, "ghe")
    assert authorize_url.startswith(f"{forge.url}/login/oauth/authorize?")
    assert "code_challenge_method=S256" in authorize_url
    response = await portal.client.get(forge.authorize(authorize_url).path_and_query)
    assert response.status_code == 303
    assert await signed_in_as(portal.client) == "octo@example.com"
    identity = await ExternalIdentity.select().first()
    assert (identity["issuer"], identity["subject"], identity["provider"]) == (forge.url, "4242", "ghe")


async def test_github_with_an_unverified_primary_email_is_refused(portal: Portal, forge: ForgingProvider) -> None:
    forge.github_user = {"id": 7, "login": "sneaky"}
    forge.github_emails = [{"email": "victim@example.com", "primary": True, "verified": False}]
    response = await portal.client.get(forge.authorize(await start(portal.client, "ghe")).path_and_query)
    assert response.status_code == 403
    assert await User.count() == 0


# --- linking and unlinking from the profile ----------------------------------------------------------------


async def link_from_profile(client: httpx.AsyncClient, mock: MockProvider, sub: str) -> httpx.Response:
    page = await client.get("/profile/sign-in-methods")
    assert page.status_code == 200
    started = await client.post("/auth/mock/link", headers=csrf_headers(client))
    assert started.status_code == 303
    return await client.get(mock.authorize(started.headers["location"], sub).path_and_query)


async def test_a_signed_in_user_links_and_unlinks_a_provider(portal: Portal, mock: MockProvider) -> None:
    user = await make_user(email="frank@example.com")
    await sign_in(portal.client, "frank@example.com")
    mock.set_user("frank-elsewhere", email="frank.other@example.com", email_verified=False)

    linked = await link_from_profile(portal.client, mock, "frank-elsewhere")
    assert linked.status_code == 303
    assert linked.headers["location"] == "/profile/sign-in-methods"
    page = await portal.client.get("/profile/sign-in-methods")
    assert "Mock ID is now linked to your account." in page.text
    assert "Unlink Mock ID" in page.text
    identity = await ExternalIdentity.select().first()
    assert (identity["user"], identity["subject"]) == (user.id, "frank-elsewhere")

    unlinked = await portal.client.post(
        f"/profile/sign-in-methods/{identity['id']}/unlink", headers=csrf_headers(portal.client)
    )
    assert unlinked.status_code == 303
    page = await portal.client.get("/profile/sign-in-methods")
    assert "Mock ID no longer signs you in." in page.text
    assert await ExternalIdentity.count() == 0
    assert [event["details"] for event in await audit("provider_unlinked")] == [{"method": "mock"}]


async def test_the_last_way_to_sign_in_cannot_be_unlinked(portal: Portal, mock: MockProvider) -> None:
    mock.set_user("gina-sub", email="gina@example.com", email_verified=True)
    await portal.client.get(mock.authorize(await start(portal.client, "mock"), "gina-sub").path_and_query)
    identity = await ExternalIdentity.select().first()

    page = await portal.client.get("/profile/sign-in-methods")
    assert "Your only way to sign in" in page.text
    refused = await portal.client.post(
        f"/profile/sign-in-methods/{identity['id']}/unlink", headers=csrf_headers(portal.client)
    )
    assert refused.status_code == 303
    page = await portal.client.get("/profile/sign-in-methods")
    assert "This is your only way to sign in, so it cannot be removed." in page.text
    assert await ExternalIdentity.count() == 1


async def test_someone_elses_identity_cannot_be_unlinked_or_taken(portal: Portal, mock: MockProvider) -> None:
    mock.set_user("hana-sub", email="hana@example.com", email_verified=True)
    async with another_browser(portal.app) as hana:
        await hana.get(mock.authorize(await start(hana, "mock"), "hana-sub").path_and_query)
    hanas = await ExternalIdentity.select().first()

    await make_user(email="ivan@example.com")
    await sign_in(portal.client, "ivan@example.com")
    stranger = await portal.client.post(
        f"/profile/sign-in-methods/{hanas['id']}/unlink", headers=csrf_headers(portal.client)
    )
    assert stranger.status_code == 404

    taken = await link_from_profile(portal.client, mock, "hana-sub")
    assert taken.status_code == 409
    assert (await ExternalIdentity.select(ExternalIdentity.user).first())["user"] == hanas["user"]


async def test_sign_in_methods_needs_a_signed_in_user(portal: Portal) -> None:
    response = await portal.client.get("/profile/sign-in-methods")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?")


async def test_buttons_show_the_configured_providers_only(portal: Portal) -> None:
    template = portal.app.template_engine.get_template("oidc/_buttons.html")  # type: ignore[union-attr]
    html = template.render(values={"next": "/account"})
    assert 'href="/auth/mock/login?next=/account"' in html
    assert "Continue with GitHub" in html
    assert "Continue with Mock ID" in html
    assert template.render(providers=[]).strip() == ""
