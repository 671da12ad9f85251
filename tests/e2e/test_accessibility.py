"""Accessibility: axe-core finds no serious or critical issue on any page, in light and dark colour schemes.

axe-core comes from npm (a devDependency in package.json, installed by `npm ci`); it is injected into the page
under test only, never served by the portal. The portal's Content-Security-Policy forbids inline scripts, so the
browser context bypasses CSP to let Playwright add axe to the page.

The live server keeps its default sign-in limit (10 attempts a minute per address): this module posts the sign-in
form 6 times.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from portal.db.tables import Role
from tests import factories
from tests.e2e.conftest import OpenPage, WatchedPage

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
