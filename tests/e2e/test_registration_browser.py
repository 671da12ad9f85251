"""A Greek-speaking visitor registers, confirms the address by the emailed link, signs in and out."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from portal import i18n
from portal.settings import AuthSettings
from tests.e2e.conftest import OpenPage
from tests.mail import SmtpServer, body

pytestmark = pytest.mark.e2e

EMAIL = "eleni.browser@example.gr"
PASSWORD = "κόκκινο φεγγάρι πάνω στη θάλασσα"
TERMS_VERSION = AuthSettings().terms_version


def greek(message: str, **values: str) -> str:
    """The Greek the product itself shows for `message`, so the test reads the page as a Greek user does."""
    with i18n.using_locale("el"):
        return i18n.gettext(message) % values if values else i18n.gettext(message)


async def test_register_verify_sign_in_and_out_in_greek(open_page: OpenPage, smtp: SmtpServer) -> None:
    watched = await open_page(locale="el-GR")
    page = watched.page

    await page.goto("/")
    await page.get_by_role("link", name=greek("Register")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(greek("Create an account"))
    await page.get_by_label(greek("Full name")).fill("Ελένη Αλεξίου")
    await page.get_by_label(greek("Email"), exact=True).fill(EMAIL)
    await page.get_by_label(greek("Password"), exact=True).fill(PASSWORD)
    terms = greek("I accept the terms of use and the privacy notice (version %(version)s).", version=TERMS_VERSION)
    await page.get_by_label(terms).check()
    await page.get_by_role("button", name=greek("Create account")).click()
    await expect(page.get_by_text(EMAIL)).to_be_visible()

    [message] = smtp.wait_for(EMAIL)
    assert message["Subject"] == greek("Confirm your email address")
    link = re.search(r"https?://\S+/verify-email/\S+", body(message, "plain"))
    assert link is not None

    await page.goto(link.group(0))
    await expect(page.get_by_text(greek("Thank you: your email address is confirmed."))).to_be_visible()
    await page.get_by_label(greek("Email"), exact=True).fill(EMAIL)
    await page.get_by_label(greek("Password"), exact=True).fill(PASSWORD)
    await page.locator("main form").get_by_role("button", name=greek("Sign in")).click()
    await expect(page.get_by_text(greek("Welcome, %(name)s.", name="Ελένη"))).to_be_visible()
    await expect(page.get_by_text(greek("Please confirm your email address"))).to_have_count(0)

    await page.get_by_role("button", name=greek("Sign out")).click()
    await expect(page.get_by_role("banner").get_by_role("link", name=greek("Sign in"))).to_be_visible()
    assert await page.locator("html").get_attribute("lang") == "el"
    await watched.assert_no_problems()
