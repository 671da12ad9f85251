"""The home page in a real browser: both languages, the language switch, no console errors, htmx loaded."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from tests.e2e.conftest import OpenPage, expect_htmx_loaded

pytestmark = pytest.mark.e2e

ENGLISH_TITLE = "How can we help you today?"
GREEK_TITLE = "Πώς μπορούμε να σας βοηθήσουμε σήμερα;"


async def expect_language(page: Page, lang: str, heading: str) -> None:
    await expect(page.locator("html")).to_have_attribute("lang", lang)
    await expect(page.get_by_role("heading", level=1)).to_have_text(heading)


async def expect_pressed(page: Page, language: str) -> None:
    """The language switch marks the current language as the pressed button."""
    await expect(page.get_by_role("button", name=language, exact=True)).to_have_attribute("aria-pressed", "true")


async def test_home_page_speaks_english_by_default(open_page: OpenPage) -> None:
    watched = await open_page(locale="en-US")
    page = watched.page

    await page.goto("/")

    await expect_language(page, "en", ENGLISH_TITLE)
    await expect_pressed(page, "English")
    await expect_htmx_loaded(page)
    await watched.assert_no_problems()


async def test_home_page_speaks_greek_to_a_greek_browser(open_page: OpenPage) -> None:
    watched = await open_page(locale="el-GR")
    page = watched.page

    await page.goto("/")

    await expect_language(page, "el", GREEK_TITLE)
    await expect_pressed(page, "Ελληνικά")
    await expect_htmx_loaded(page)
    await watched.assert_no_problems()


async def test_language_button_switches_to_greek_and_is_remembered(open_page: OpenPage) -> None:
    watched = await open_page(locale="en-US")
    page = watched.page
    await page.goto("/")
    await expect_language(page, "en", ENGLISH_TITLE)

    await page.get_by_role("button", name="Ελληνικά", exact=True).click()

    await expect(page).to_have_url(re.compile(r"/$"))
    await expect_language(page, "el", GREEK_TITLE)
    await expect_pressed(page, "Ελληνικά")
    await expect_htmx_loaded(page)

    await page.goto("/login")  # the browser still asks for English; the remembered choice wins
    await expect_language(page, "el", "Σύνδεση")
    await expect(page.get_by_label("Κωδικός πρόσβασης")).to_be_visible()
    await watched.assert_no_problems()


async def test_language_switch_works_without_javascript(open_page: OpenPage) -> None:
    watched = await open_page(locale="en-US", java_script_enabled=False)
    page = watched.page
    await page.goto("/")
    await expect_language(page, "en", ENGLISH_TITLE)

    await page.get_by_role("button", name="Ελληνικά", exact=True).click()

    await expect(page).to_have_url(re.compile(r"/$"))
    await expect_language(page, "el", GREEK_TITLE)
    await watched.assert_no_problems()
