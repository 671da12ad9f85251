"""The knowledge base's search box in a real browser: results appear as the visitor types, and without
JavaScript the same box leads to the full results page."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from portal.db.kb_tables import Article
from portal.services.kb_index import KnowledgeSearch
from portal.settings import Settings
from tests.e2e.conftest import OpenPage, expect_htmx_loaded
from tests.e2e.test_accessibility import assert_accessible
from tests.web.kb_pages_helpers import make_article

pytestmark = pytest.mark.e2e


@pytest.fixture
async def articles(settings: Settings, migrated_database: str) -> None:
    await make_article("router-lights", title="Router lights explained", body="router lights blinking")
    await make_article("router-restart", title="Restarting your router", body="router restart")
    await make_article("router-codes", title="Router service codes", body="router codes", audience="internal")
    # The live server reads the same index directory: a rebuild here is a commit it sees at its next search.
    await KnowledgeSearch(settings.search_index_dir).rebuild()


async def test_live_search_shows_results_as_you_type(open_page: OpenPage, articles: None) -> None:
    watched = await open_page()
    page = watched.page
    await page.goto("/kb")
    await expect_htmx_loaded(page)

    await page.get_by_label("Search the knowledge base").press_sequentially("router", delay=60)

    live = page.locator("#kb-live")
    await expect(live.get_by_role("link", name="Router lights explained")).to_be_visible()
    await expect(live.get_by_role("link", name="Restarting your router")).to_be_visible()
    await expect(live).not_to_contain_text("service codes")  # internal: not for an anonymous visitor
    assert page.url.endswith("/kb")  # the page stayed where it was
    await watched.assert_no_problems()


async def test_without_javascript_the_box_opens_the_results_page(open_page: OpenPage, articles: None) -> None:
    watched = await open_page(java_script_enabled=False)
    page = watched.page
    await page.goto("/kb")

    await page.get_by_label("Search the knowledge base").fill("router")
    await page.get_by_role("button", name="Search", exact=True).click()

    await expect(page).to_have_url(re.compile(r"/kb/search\?q=router$"))
    await expect(page.get_by_role("heading", name="2 articles found")).to_be_visible()
    await expect(page.get_by_role("link", name="Restarting your router")).to_be_visible()
    await watched.assert_no_problems()


async def test_feedback_is_answered_in_place(open_page: OpenPage, articles: None) -> None:
    watched = await open_page()
    page = watched.page
    await page.goto("/kb/article/router-restart/en")
    await expect_htmx_loaded(page)

    await page.get_by_label("Anything we should add or change? (optional)").fill("Add a picture of the button")
    await page.get_by_role("button", name="No, it did not").click()

    await expect(page.locator("#feedback")).to_contain_text("Thank you for your feedback.")
    assert page.url.endswith("/kb/article/router-restart/en")  # swapped in, no new page
    row = await Article.select(Article.helpful_no).where(Article.key == "router-restart:en").first()
    assert row == {"helpful_no": 1}
    await watched.assert_no_problems()


@pytest.mark.parametrize("path", ["/kb", "/kb/search?q=router", "/kb/article/router-restart/en"])
async def test_knowledge_base_pages_are_accessible(open_page: OpenPage, articles: None, path: str) -> None:
    page = (await open_page(bypass_csp=True)).page  # axe is injected as a script
    await page.goto(path)
    await assert_accessible(page)
