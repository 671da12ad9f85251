"""Case deflection in a real browser: articles appear beside the new-case form as the customer types, one of them
answers the question; without JavaScript "Find answers" fills the same panel and keeps what was typed; the back
office's chart is an image that loads under the portal's CSP."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from portal.db.tables import Role
from portal.services.kb_index import KnowledgeSearch
from portal.settings import Settings
from tests.e2e.conftest import OpenPage, expect_htmx_loaded
from tests.e2e.test_accessibility import assert_accessible
from tests.e2e.test_cases_browser import open_signed_in
from tests.factories import make_user
from tests.web.customer_cases_helpers import customer_of
from tests.web.test_deflection import TOKEN
from tests.web.test_deflection import kb as seed

pytestmark = pytest.mark.e2e


@pytest.fixture
async def kb(settings: Settings, migrated_database: str) -> None:
    # The live server reads the same index directory: a rebuild here is a commit it sees at its next search.
    await seed(KnowledgeSearch(settings.search_index_dir))


async def test_a_suggested_article_answers_the_question(open_page: OpenPage, kb: None) -> None:
    watched = await open_signed_in(open_page, await customer_of())
    page = watched.page
    await page.goto("/cases/new")
    await expect_htmx_loaded(page)

    await page.get_by_label("Subject").press_sequentially("forgot my password", delay=40)

    panel = page.locator("#suggestions-panel")
    await expect(panel.get_by_role("link", name="Reset your password")).to_be_visible()
    assert page.url.endswith("/cases/new")
    await panel.get_by_role("link", name="Reset your password").click()
    await expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    await page.get_by_role("button", name="This answered my question").click()
    await expect(page.get_by_role("heading", name="Glad we could help")).to_be_visible()
    await watched.assert_no_problems()


async def test_without_javascript_find_answers_keeps_the_draft(open_page: OpenPage, kb: None) -> None:
    watched = await open_signed_in(open_page, await customer_of(), java_script_enabled=False)
    page = watched.page
    await page.goto("/cases/new")
    await page.get_by_label("Subject").fill("Copy of an invoice")
    await page.get_by_label("Description").fill("For March, please.")

    await page.get_by_role("button", name="Find answers").click()

    await expect(page.get_by_role("link", name="Get a copy of an invoice")).to_be_visible()
    await expect(page.get_by_label("Subject")).to_have_value("Copy of an invoice")
    await expect(page.get_by_label("Description")).to_have_value("For March, please.")
    await page.get_by_role("link", name="Get a copy of an invoice").click()
    await page.get_by_role("link", name="I still need help").click()
    await expect(page.get_by_label("Description")).to_have_value("For March, please.")
    assert TOKEN.search(await page.content())
    await page.get_by_role("button", name="Send the case").click()
    await expect(page).to_have_url(re.compile(r"/cases/C-\d{4}-\d{6}$"))
    await watched.assert_no_problems()


async def test_the_back_office_chart_loads_as_an_image(open_page: OpenPage, migrated_database: str) -> None:
    watched = await open_signed_in(open_page, await make_user(Role.manager))
    page = watched.page

    await page.goto("/backoffice/kb/deflection")

    chart = page.locator("img.deflection-chart")
    await expect(chart).to_be_visible()
    assert await chart.evaluate("image => image.complete && image.naturalWidth > 0")
    await watched.assert_no_problems()


async def test_the_panel_and_the_figures_are_accessible(open_page: OpenPage, kb: None) -> None:
    # axe-core is added as an inline script, which only a context that ignores the CSP runs.
    customer = (await open_signed_in(open_page, await customer_of(), bypass_csp=True)).page
    await customer.goto("/cases/new")
    await expect_htmx_loaded(customer)
    await customer.get_by_label("Subject").press_sequentially("password", delay=40)
    await expect(customer.locator("#suggestions-panel").get_by_role("link")).to_have_count(1)
    await assert_accessible(customer)

    manager = (await open_signed_in(open_page, await make_user(Role.manager), bypass_csp=True)).page
    await manager.goto("/backoffice/kb/deflection")
    await assert_accessible(manager)
