"""Accessibility: axe-core finds no serious or critical issue on any page, in light and dark colour schemes.

axe-core comes from npm (a devDependency in package.json, installed by `npm ci`); it is injected into the page
under test only, never served by the portal. The portal's Content-Security-Policy forbids inline scripts, so the
browser context bypasses CSP to let Playwright add axe to the page.

Pages behind a sign-in are reached through the real sign-in form, once per test (the live server lifts the
sign-in limit for browser tests; see conftest.py). The case pages are checked with a case that has everything they
can show: attachments, a public reply, an internal note and a status change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from portal.db.tables import Role
from portal.services import api_tokens, canned_responses, catalog, support_teams
from portal.services.api_tokens import NewToken, Scope
from portal.services.users import CurrentUser
from portal.settings import Settings
from tests import factories
from tests.e2e.case_setup import CaseWriter
from tests.e2e.conftest import OpenPage, WatchedPage
from tests.harness import LiveServer
from tests.web.customer_cases_helpers import customer_of

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("critical", "serious")
COLOR_SCHEMES = ["light", "dark"]


@pytest.fixture(params=COLOR_SCHEMES)
def color_scheme(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def open_axe_page(open_page: OpenPage, color_scheme: str) -> OpenPage:
    """`await open_axe_page(locale="el-GR")`: a page in the test's colour scheme that axe can be injected into."""

    async def open_(**options: Any) -> WatchedPage:
        return await open_page(**({"bypass_csp": True, "color_scheme": color_scheme} | options))

    return open_


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    {target}")
            summary = node.get("failureSummary")
            if summary:
                lines.extend(f"      {line}" for line in summary.splitlines())
    return "\n".join(lines)


async def assert_accessible(page: Page) -> None:
    """Run axe-core on the page as it is now; fail on every serious or critical violation."""
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing at {AXE}: run `npm ci` in the repository root to install it")
    await page.add_script_tag(path=str(AXE))
    results = await page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    blocking = [violation for violation in results["violations"] if violation["impact"] in BLOCKING_IMPACTS]
    if blocking:
        pytest.fail(f"axe-core found serious or critical issues on {page.url}:\n{describe(blocking)}")


async def sign_in(page: Page, email: str) -> None:
    """Through the real form; the header's own "Sign in" link is outside it."""
    await page.goto("/login")
    form = page.get_by_role("main").locator("form")
    await form.get_by_label("Email").fill(email)
    await form.get_by_label("Password").fill(factories.PASSWORD)
    await form.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize(
    ("locale", "heading"),
    [
        pytest.param("en-US", "How can we help you today?", id="en"),
        pytest.param("el-GR", "Πώς μπορούμε να σας βοηθήσουμε σήμερα;", id="el"),
    ],
)
async def test_home_page_is_accessible(open_axe_page: OpenPage, locale: str, heading: str) -> None:
    page = (await open_axe_page(locale=locale)).page
    await page.goto("/")
    await expect(page.get_by_role("heading", level=1)).to_have_text(heading)

    await assert_accessible(page)


async def test_sign_in_page_is_accessible(open_axe_page: OpenPage) -> None:
    page = (await open_axe_page()).page
    await page.goto("/login")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")

    await assert_accessible(page)


async def test_sign_in_page_with_an_error_is_accessible(open_axe_page: OpenPage) -> None:
    page = (await open_axe_page()).page
    await sign_in(page, "nobody@example.com")
    await expect(page.get_by_role("alert")).to_have_text("The email or password is not right.")

    await assert_accessible(page)


async def test_not_found_page_is_accessible(open_axe_page: OpenPage) -> None:
    page = (await open_axe_page()).page
    response = await page.goto("/no-such-page")
    assert response is not None
    assert response.status == 404
    await expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")

    await assert_accessible(page)


async def test_account_page_is_accessible(open_axe_page: OpenPage) -> None:
    user = await factories.make_user(Role.contact)
    page = (await open_axe_page()).page
    await sign_in(page, user.email)
    await expect(page).to_have_url(re.compile(r"/account$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("My account")
    await expect(page.get_by_role("status")).to_have_text(f"Welcome, {user.first_name}.")

    await assert_accessible(page)  # the welcome message's colours are checked too


async def test_back_office_is_accessible(open_axe_page: OpenPage) -> None:
    user = await factories.make_user(Role.agent)
    page = (await open_axe_page()).page
    await sign_in(page, user.email)
    await expect(page).to_have_url(re.compile(r"/backoffice$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Back office")
    await expect(page.get_by_role("status")).to_have_text(f"Welcome, {user.first_name}.")

    await assert_accessible(page)  # the welcome message's colours are checked too


async def test_sign_up_page_with_errors_is_accessible(open_axe_page: OpenPage) -> None:
    page = (await open_axe_page()).page
    await page.goto("/register")
    await page.get_by_role("main").get_by_role("button", name="Create account").click()
    await expect(page.locator("#error-accept_terms")).to_be_visible()

    await assert_accessible(page)


async def test_profile_page_is_accessible_with_the_unverified_notice(open_axe_page: OpenPage) -> None:
    user = await factories.make_user(Role.contact)
    page = (await open_axe_page()).page
    await sign_in(page, user.email)
    await page.goto("/profile")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Profile")
    await expect(page.get_by_text("Please confirm your email address")).to_be_visible()

    await assert_accessible(page)


# --- Cases and the support set-up ---------------------------------------------------------------------------------

CASE_SUBJECT = "Printer prints blank pages"


@dataclass(frozen=True)
class SupportDesk:
    """A customer's answered case and an admin (who sees every back-office page) with a team, a product and its
    category, a canned response and an API token: every list these pages show has something in it."""

    customer: CurrentUser
    admin: CurrentUser
    number: str


@pytest.fixture
async def support_desk(settings: Settings, live_server: LiveServer) -> SupportDesk:
    customer = await customer_of(name="Maria Papadopoulou")
    admin = await factories.make_user(Role.admin, name="Nikos Adminopoulos")
    product = await catalog.create_product(code="LASER", name_en="Laser printer", name_el="Εκτυπωτής λέιζερ")
    await catalog.create_category(code="PAPER", name_en="Paper jams", name_el="Εμπλοκές χαρτιού", product_id=product)
    team = await support_teams.create_team("Printers")
    await support_teams.add_member(team, admin.id)
    await canned_responses.create_response(
        title="Looking into it", body_en="Dear {customer_name}, about {case_number}.", body_el="{customer_name}."
    )
    await api_tokens.create(admin, NewToken(name="ERP sync", scopes=[Scope.cases_read], acts_as_id=admin.id))
    case = await CaseWriter(settings).answered(customer, admin, CASE_SUBJECT)
    return SupportDesk(customer=customer, admin=admin, number=case.number)


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        pytest.param("/cases", "My cases", id="case-list"),
        pytest.param("/cases/new", "Open a case", id="new-case"),
        pytest.param("/cases/{number}", CASE_SUBJECT, id="case"),
        pytest.param("/profile/notifications", "Email notifications", id="notifications"),
    ],
)
async def test_customer_case_pages_are_accessible(
    open_axe_page: OpenPage, support_desk: SupportDesk, path: str, heading: str
) -> None:
    page = (await open_axe_page()).page
    await sign_in(page, support_desk.customer.email)
    await expect(page).to_have_url(re.compile(r"/account$"))
    await page.goto(path.format(number=support_desk.number))
    await expect(page.get_by_role("heading", level=1)).to_have_text(heading)

    await assert_accessible(page)


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        pytest.param("/backoffice/cases?view=all", "Cases", id="queue"),
        pytest.param("/backoffice/cases/{number}", "{number} · " + CASE_SUBJECT, id="case"),
        pytest.param("/backoffice/canned-responses", "Canned responses", id="canned-responses"),
        pytest.param("/backoffice/products", "Products", id="products"),
        pytest.param("/backoffice/teams", "Support teams", id="teams"),
        pytest.param("/backoffice/api-tokens", "API tokens", id="api-tokens"),
    ],
)
async def test_back_office_case_pages_are_accessible(
    open_axe_page: OpenPage, support_desk: SupportDesk, path: str, heading: str
) -> None:
    page = (await open_axe_page()).page
    await sign_in(page, support_desk.admin.email)
    await expect(page).to_have_url(re.compile(r"/backoffice$"))
    await page.goto(path.format(number=support_desk.number))
    await expect(page.get_by_role("heading", level=1)).to_have_text(heading.format(number=support_desk.number))

    await assert_accessible(page)


async def test_new_case_form_with_errors_is_accessible(open_axe_page: OpenPage, support_desk: SupportDesk) -> None:
    page = (await open_axe_page()).page
    await sign_in(page, support_desk.customer.email)
    await page.goto("/cases/new")
    await page.get_by_role("button", name="Send the case").click()
    await expect(page.get_by_role("alert")).to_have_text("Please correct the fields marked below.")
    await expect(page.get_by_label("Subject")).to_have_attribute("aria-invalid", "true")

    await assert_accessible(page)


async def test_back_office_case_page_with_a_refused_reply_is_accessible(
    open_axe_page: OpenPage, support_desk: SupportDesk
) -> None:
    page = (await open_axe_page()).page
    await sign_in(page, support_desk.admin.email)
    await page.goto(f"/backoffice/cases/{support_desk.number}")
    await page.get_by_role("button", name="Send", exact=True).click()
    await expect(page.get_by_text("Write a message or attach a file.")).to_be_visible()

    await assert_accessible(page)
