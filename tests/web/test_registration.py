"""Sign-up with a password, email verification by link, and the notice unverified users see."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from litestar import Litestar
from litestar.exceptions import PermissionDeniedException

from portal.app import create_app
from portal.db.tables import AuditEvent, OneTimeToken, OutboundEmail, Role, User
from portal.settings import AuthSettings, SecuritySettings, Settings
from portal.web.auth.guards import requires_verified
from tests.conftest import TEST_SECRET
from tests.factories import PASSWORD, make_account, make_user
from tests.harness import running
from tests.mail import SmtpServer, body
from tests.web.auth_helpers import emails_to, link_in, post_form, sign_in

Client = httpx.AsyncClient
STRONG = "blue ocean kettle dance"


def sign_up_data(**overrides: str) -> dict[str, str]:
    return {
        "name": "Ελένη Παππά",
        "email": "eleni@newcustomer.example",
        "password": STRONG,
        "company": "New Customer Ltd",
        "phone": "+30 210 1234567",
        "locale": "el",
        "accept_terms": "on",
    } | overrides


async def register(client: Client, **overrides: str) -> httpx.Response:
    return await post_form(client, "/register", sign_up_data(**overrides), page="/register")


async def test_sign_up_emails_a_link_in_the_chosen_language_that_verifies_once(
    client: Client, app: Litestar, smtp: SmtpServer, settings: Settings
) -> None:
    response = await register(client)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/register/check-email")
    page = await client.get(response.headers["location"])
    assert "Check your email" in page.text

    row = await User.select().where(User.email == "eleni@newcustomer.example").first()
    assert row is not None
    assert row["role"] == Role.prospect
    assert row["locale"] == "el"
    assert row["company_name"] == "New Customer Ltd"
    assert row["phone"] == "+30 210 1234567"
    assert row["terms_version"] == settings.auth.terms_version
    assert row["terms_accepted_at"] is not None
    assert row["email_verified_at"] is None
    assert row["password_hash"].startswith("$argon2id$")

    [message] = await emails_to(app, smtp, "eleni@newcustomer.example")
    assert message["Subject"] == "Επιβεβαιώστε τη διεύθυνση email σας"
    assert "Ελένη Παππά" in body(message, "plain")
    link = link_in(message, "/verify-email/")

    verified = await client.get(link, follow_redirects=False)
    assert verified.status_code == 303
    assert verified.headers["location"] == "/login"
    assert "email address is confirmed" in (await client.get("/login")).text
    row = await User.select(User.email_verified_at).where(User.email == "eleni@newcustomer.example").first()
    assert row is not None
    assert row["email_verified_at"] is not None

    again = await client.get(link)
    assert again.status_code == 400
    assert "This link does not work any more" in again.text


async def test_registration_and_verification_are_audited(client: Client, app: Litestar, smtp: SmtpServer) -> None:
    await register(client, email="audit@newcustomer.example")
    user = await User.select(User.id).where(User.email == "audit@newcustomer.example").first()
    assert user is not None
    link = link_in((await emails_to(app, smtp, "audit@newcustomer.example"))[0], "/verify-email/")
    await client.get(link)
    events = await AuditEvent.select(AuditEvent.kind, AuditEvent.ip).where(AuditEvent.subject == user["id"])
    assert {event["kind"] for event in events} == {"registered", "email_verified"}
    assert all(event["ip"] for event in events)


async def test_a_taken_email_gets_the_same_answer_and_its_owner_is_told(
    client: Client, app: Litestar, smtp: SmtpServer
) -> None:
    owner = await make_user(Role.contact, email="owner@company.example", locale="el")
    taken = await register(client, email="Owner@Company.example")
    fresh = await register(client, email="someone-new@company.example")
    assert taken.status_code == fresh.status_code == 303
    assert taken.headers["location"].split("?")[0] == fresh.headers["location"].split("?")[0]
    assert (await client.get(taken.headers["location"])).text.count("Check your email") >= 1

    [notice] = await emails_to(app, smtp, "owner@company.example")
    assert notice["Subject"] == "Κάποιος προσπάθησε να εγγραφεί με τη διεύθυνση email σας"
    assert link_in(notice, "/login") == "/login"
    assert link_in(notice, "/password/forgot") == "/password/forgot"
    row = await User.select(User.name, User.role).where(User.id == owner.id).first()
    assert row == {"name": owner.name, "role": "contact"}  # nothing about the owner changed
    assert await User.count().where(User.email == "owner@company.example") == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"password": "short"}, "password", "Use at least 10 characters."),
        ({"password": "1234567890"}, "password", "too easy to guess"),
        ({"password": "aaaaaaaaaaaaaaa"}, "password", "too easy to guess"),
        ({"password": "Eleni12345"}, "password", "your name or email address"),
        ({"accept_terms": ""}, "accept_terms", "Please accept the terms"),
        ({"email": "not-an-address"}, "email", "Enter an email address"),
        ({"name": "   "}, "name", "This field is required."),
        ({"phone": "call me maybe"}, "phone", "Enter a phone number"),
        ({"locale": "de"}, "locale", "Choose one of the languages offered."),
    ],
)
async def test_invalid_sign_up_shows_field_errors_and_saves_nothing(
    client: Client, smtp: SmtpServer, overrides: dict[str, str], field: str, message: str
) -> None:
    data = sign_up_data(**({"locale": "en"} | overrides))
    if field == "accept_terms":
        del data["accept_terms"]
    response = await post_form(client, "/register", data, page="/register")
    assert response.status_code == 422
    assert f'id="error-{field}"' in response.text
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    assert await User.count() == 0
    assert await OutboundEmail.count() == 0


async def test_sign_up_page_is_linked_from_the_header_and_offers_both_languages(client: Client) -> None:
    home = await client.get("/")
    assert 'href="/register"' in home.text
    page = await client.get("/register")
    assert page.status_code == 200
    assert '<option value="el"' in page.text
    assert "I accept the terms of use and the privacy notice" in page.text


async def test_company_address_is_flagged_as_a_likely_contact_of_its_account_but_not_linked(
    client: Client, smtp: SmtpServer
) -> None:
    account = await make_account(domain="acme.example")
    await make_account(name="Gmail squatter", domain="gmail.com")
    await register(client, email="jane@acme.example")
    await register(client, email="jane.doe@gmail.com")
    row = await User.select(User.likely_account, User.account).where(User.email == "jane@acme.example").first()
    assert row == {"likely_account": account.id, "account": None}
    free = await User.select(User.likely_account).where(User.email == "jane.doe@gmail.com").first()
    assert free == {"likely_account": None}


async def test_unverified_user_can_sign_in_is_told_and_can_ask_for_a_new_link(
    client: Client, app: Litestar, smtp: SmtpServer
) -> None:
    user = await make_user(Role.prospect, email="late@example.com")
    response = await sign_in(client, user.email, PASSWORD)
    assert response.status_code == 303
    page = await client.get("/account")
    assert "Please confirm your email address late@example.com" in page.text

    resent = await post_form(client, "/verify-email/resend", {})
    assert resent.status_code == 303
    first_link = link_in((await emails_to(app, smtp, user.email))[0], "/verify-email/")
    await post_form(client, "/verify-email/resend", {})
    second_link = link_in((await emails_to(app, smtp, user.email, count=2))[1], "/verify-email/")
    assert (await client.get(first_link)).status_code == 400  # a newer link replaces the older one
    assert (await client.get(second_link, follow_redirects=False)).headers["location"] == "/account"
    assert "Please confirm your email address" not in (await client.get("/account")).text


async def test_resending_the_link_is_rate_limited_per_account(
    settings_factory, migrated_database: str, smtp: SmtpServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    settings: Settings = settings_factory(data_dir=tmp_path, auth=AuthSettings(email_rate_limit=2))
    user = await make_user(Role.prospect)
    app = create_app(settings)
    async with running(app) as client:
        await sign_in(client, user.email, PASSWORD)
        for _ in range(3):
            await post_form(client, "/verify-email/resend", {})
        page = await client.get("/profile")
        assert "Please wait an hour" in page.text
        assert len(await emails_to(app, smtp, user.email, count=2)) == 2
    assert await OneTimeToken.count().where(OneTimeToken.user == user.id) == 2


async def test_sign_up_is_rate_limited_per_address_and_per_ip(
    settings_factory, migrated_database: str, smtp: SmtpServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    settings: Settings = settings_factory(
        data_dir=tmp_path,
        security=SecuritySettings(secret_key=TEST_SECRET, login_rate_limit=1000, form_rate_limit=4),
        auth=AuthSettings(email_rate_limit=1),
    )
    await make_user(Role.contact, email="target@example.com")
    app = create_app(settings)
    async with running(app) as client:
        statuses = [(await register(client, email="target@example.com")).status_code for _ in range(3)]
        assert statuses == [303, 303, 303]  # the same answer, but only one email to the owner
        assert (await register(client, email="other@example.com")).status_code == 303
        third = await register(client, email="third@example.com")
        assert third.status_code == 429
        assert len(await emails_to(app, smtp, "target@example.com")) == 1
    assert await OutboundEmail.count().where(OutboundEmail.to_address == "target@example.com") == 1


def test_requires_verified_guard_refuses_unverified_users() -> None:
    from portal.services.users import CurrentUser

    def connection(verified: bool) -> SimpleNamespace:
        user = CurrentUser(
            id=1,
            email="a@b.example",
            name="A",
            role=Role.contact,
            locale="en",
            account_id=None,
            email_verified=verified,
        )
        return SimpleNamespace(scope={"user": user})

    requires_verified(connection(True), None)  # type: ignore[arg-type]
    with pytest.raises(PermissionDeniedException):
        requires_verified(connection(False), None)  # type: ignore[arg-type]
