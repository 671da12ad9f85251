"""Browser tests: the real `portal serve` in a subprocess, driven by the system's Chromium through Playwright.

The server shares the test database (the `migrated_database` fixture creates the schema; the autouse
`clean_database` fixture empties the tables after each test). Playwright never downloads a browser here: it
launches the Chromium at `PORTAL_TEST_CHROMIUM` (default /usr/bin/chromium), and every test in this directory
is skipped when that is missing.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Request,
    Response,
    async_playwright,
)

from tests.harness import LiveServer, serving
from tests.mail import SmtpServer

CHROMIUM = Path(os.environ.get("PORTAL_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip browser tests before any fixture starts a server when there is no Chromium to drive."""
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def live_server(migrated_database: str, data_dir: Path, smtp_server: SmtpServer) -> Iterator[LiveServer]:
    """`portal serve` on a free port, ready (GET /readyz answers 200) before the first test uses it.

    It sends its email to the test SMTP server, so a browser test can follow an emailed link.
    """
    with serving(
        database_url=migrated_database,
        data_dir=data_dir,
        # Browser tests sign in often from one address; the limits themselves are tested without a browser.
        PORTAL_SECURITY__LOGIN_RATE_LIMIT="10000",
        PORTAL_SECURITY__FORM_RATE_LIMIT="10000",
        PORTAL_MAIL__HOST="127.0.0.1",
        PORTAL_MAIL__PORT=str(smtp_server.port),
        PORTAL_MAIL__SECURITY="none",
        # It shares the test database for the whole session: its own event dispatcher would take events that
        # the plugin tests' dispatchers and workers are waiting for.
        PORTAL_PLUGINS__DISPATCHER="false",
        # The queue's polling at its shortest, so a browser test sees a refresh within seconds.
        PORTAL_CASES__QUEUE_REFRESH_SECONDS="5",
    ) as server:
        yield server


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@dataclass
class WatchedPage:
    """A page that records what a user would not see but a developer must: errors and failed loads."""

    page: Page
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", self._on_console)
        self.page.on("pageerror", self._on_page_error)
        self.page.on("requestfailed", self._on_request_failed)
        self.page.on("response", self._on_response)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text} (at {message.location})")

    def _on_page_error(self, error: Error) -> None:
        self.problems.append(f"page error: {error}")

    def _on_request_failed(self, request: Request) -> None:
        if request.failure == "net::ERR_ABORTED":
            return  # cut short by the page's next navigation (a test moves on faster than a person); not a failure
        self.problems.append(f"request failed: {request.method} {request.url}: {request.failure}")

    def _on_response(self, response: Response) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    async def assert_no_problems(self) -> None:
        """Let every request the page started finish, then fail on anything recorded."""
        await self.page.wait_for_load_state("networkidle")
        assert self.problems == [], "the page reported problems:\n" + "\n".join(self.problems)


OpenPage = Callable[..., Awaitable[WatchedPage]]


async def expect_htmx_loaded(page: Page) -> None:
    """htmx has run on the current document.

    htmx is a deferred script, and deferred scripts run before DOMContentLoaded, so once that state is
    reached a single check is decisive. (`wait_for_function` would poll by evaluating a string inside the
    page, which our CSP rightly forbids, so it fails whenever its first look comes too early.)
    """
    await page.wait_for_load_state("domcontentloaded")
    assert await page.evaluate("typeof window.htmx") == "object", "htmx did not load"


@pytest.fixture
async def open_page(browser: Browser, live_server: LiveServer) -> AsyncIterator[OpenPage]:
    """`await open_page(locale="el-GR", java_script_enabled=False)`: a watched page in a new browser context.

    Each test gets contexts of its own (no cookies shared between tests); the default locale is en-US.
    """
    contexts: list[BrowserContext] = []

    async def open_(**options: Any) -> WatchedPage:
        context = await browser.new_context(**({"base_url": live_server.url, "locale": "en-US"} | options))
        contexts.append(context)
        return WatchedPage(await context.new_page())

    yield open_
    for context in contexts:
        await context.close()
