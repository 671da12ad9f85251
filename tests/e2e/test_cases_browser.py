"""Cases in a real browser: a customer opens a case with a file, an agent answers it from the desk with a canned
response and a note, resolves it, the customer reads the answer and closes the case. With JavaScript and
without, and the desk queue's polling that must not take away the agent's place.

The customer and the agent each have a browser context of their own (their own cookies), as two people do.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.async_api import FilePayload, Locator, Page, Response, Route, expect

from portal.db.tables import Role
from portal.services import canned_responses, catalog
from portal.services.users import CurrentUser
from portal.settings import Settings
from tests import factories, sample_files
from tests.e2e.case_setup import CaseWriter
from tests.e2e.conftest import OpenPage, WatchedPage
from tests.harness import LiveServer
from tests.mail import SmtpServer
from tests.web.customer_cases_helpers import customer_of

pytestmark = pytest.mark.e2e

NUMBER = re.compile(r"C-\d{4}-\d{6}")
CANNED_TITLE = "Received, looking into it"
CANNED_BODY = "Dear {customer_name}, thank you for case {case_number}. We are looking into it."
PUBLIC_REPLY_END = "The driver update in the attached note fixes it."
INTERNAL_NOTE = "Internal: the customer's firmware is two versions old."
POLL_TIMEOUT_MS = 15_000  # the live server polls every 5 s (conftest): three chances


@dataclass(frozen=True)
class People:
    customer: CurrentUser
    agent: CurrentUser


@pytest.fixture
async def people(live_server: LiveServer) -> People:
    """A verified customer of an account, an agent, a product to choose and a canned response to pick."""
    customer = await customer_of(name="Maria Papadopoulou")
    agent = await factories.make_user(Role.agent, name="Nikos Agentopoulos")
    await catalog.create_product(code="LASER", name_en="Laser printer", name_el="Εκτυπωτής λέιζερ")
    await canned_responses.create_response(
        title=CANNED_TITLE,
        body_en=CANNED_BODY,
        body_el="Αγαπητή/έ {customer_name}, ευχαριστούμε για την υπόθεση {case_number}.",
        created_by=agent.id,
    )
    return People(customer=customer, agent=agent)


async def sign_in(page: Page, email: str) -> None:
    """Through the real form; the header's own "Sign in" link is outside it."""
    await page.goto("/login")
    form = page.get_by_role("main").locator("form")
    await form.get_by_label("Email").fill(email)
    await form.get_by_label("Password").fill(factories.PASSWORD)
    await form.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("status")).to_contain_text("Welcome")


async def open_signed_in(open_page: OpenPage, user: CurrentUser, **options: Any) -> WatchedPage:
    watched = await open_page(**options)
    await sign_in(watched.page, user.email)
    return watched


def png_file(name: str = "screenshot.png") -> FilePayload:
    return {"name": name, "mimeType": "image/png", "buffer": sample_files.png()}


async def open_a_case(page: Page, subject: str, description: str) -> str:
    """From the list, through the form, with a product and a PNG; returns the number the case page shows."""
    await page.goto("/cases")
    await page.get_by_role("link", name="Open a case").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Open a case")
    await page.get_by_label("Type").select_option(label="Incident")
    await page.get_by_label("Product (optional)").select_option(label="Laser printer")
    await page.get_by_label("Subject").fill(subject)
    await page.get_by_label("Description").fill(description)
    await page.get_by_label("Attachments (optional)").set_input_files(png_file())
    await page.get_by_role("button", name="Send the case").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(subject)
    await expect(page).to_have_url(re.compile(rf"/cases/{NUMBER.pattern}$"))
    number = page.url.rsplit("/", 1)[-1]
    assert number.startswith(f"C-{datetime.now(UTC).year}-")
    await expect(page.get_by_role("status")).to_contain_text(f"We received your case {number}.")
    await expect(page.locator(".lead")).to_contain_text(number)
    return number


async def expect_attachment_downloads(page: Page, filename: str, content: bytes) -> None:
    """The link is on the page, and following it (with the page's cookies) gives the very file."""
    link = page.get_by_role("link", name=filename)
    await expect(link).to_be_visible()
    href = await link.get_attribute("href")
    assert href is not None
    response = await page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"] == "image/png"
    assert await response.body() == content


def details_value(page: Page, term: str, details: str = "dl.details") -> Locator:
    """The <dd> after the <dt> `term` in the case's details (the customer's; `dl.case-summary` on the desk)."""
    return page.locator(f"{details} dt", has_text=re.compile(rf"^{term}$")).locator("xpath=following-sibling::dd[1]")


def conversation(page: Page) -> Locator:
    return page.get_by_role("region", name="Conversation")


async def expect_status_changes(page: Page, changes: list[tuple[str, str, str]]) -> None:
    """The timeline lists exactly these status changes, in order: (who, from, to)."""
    timeline = page.get_by_role("region", name="Timeline")
    rows = timeline.locator("tbody tr").filter(has=page.get_by_role("cell", name="Status", exact=True))
    await expect(rows).to_have_count(len(changes))
    for index, (who, old, new) in enumerate(changes):
        await expect(rows.nth(index).get_by_role("cell")).to_have_text([re.compile(r"\S"), who, "Status", old, new])


# --- The whole flow, with JavaScript -------------------------------------------------------------------------------


async def test_customer_opens_agent_answers_customer_closes(
    open_page: OpenPage, people: People, smtp: SmtpServer
) -> None:
    customer = await open_signed_in(open_page, people.customer)
    page = customer.page

    number = await open_a_case(page, "Printer prints blank pages", "Since this morning every page comes out blank.")
    await expect(details_value(page, "Type")).to_have_text("Incident")
    await expect(details_value(page, "Product")).to_have_text("Laser printer")
    await expect(details_value(page, "Status")).to_have_text("New")
    await expect_attachment_downloads(page, "screenshot.png", sample_files.png())
    [received] = smtp.wait_for(people.customer.email)
    assert received["Subject"] == f"We received your case {number}"

    agent = await open_signed_in(open_page, people.agent)
    desk = agent.page
    await desk.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    await desk.get_by_role("navigation", name="Queues").get_by_role("link", name=re.compile("^Unassigned")).click()
    row = desk.get_by_role("row").filter(has=desk.get_by_role("link", name=number))
    await expect(row).to_contain_text("Printer prints blank pages")
    await expect(row).to_contain_text("Maria Papadopoulou")
    await row.get_by_role("link", name=number).click()
    await expect(desk.get_by_role("heading", level=1)).to_have_text(f"{number} · Printer prints blank pages")
    await expect(desk.get_by_role("link", name="screenshot.png")).to_be_visible()

    # The canned response fills the box (htmx) with the customer's name and the case's number, after what was typed.
    message = desk.get_by_label("Message", exact=True)
    await message.fill("Hello Maria,")
    await desk.get_by_label("Canned response").select_option(label=CANNED_TITLE)
    await expect(message).to_have_value(
        f"Hello Maria,\n\nDear Maria Papadopoulou, thank you for case {number}. We are looking into it."
    )
    await message.press("Control+End")
    await message.press_sequentially(f" {PUBLIC_REPLY_END}")
    await desk.get_by_role("button", name="Send", exact=True).click()
    await expect(desk.get_by_role("status")).to_have_text("Reply sent.")
    await expect(conversation(desk)).to_contain_text(f"We are looking into it. {PUBLIC_REPLY_END}")

    await desk.get_by_label("Internal note").check()
    await desk.get_by_label("Message", exact=True).fill(INTERNAL_NOTE)
    await desk.get_by_role("button", name="Send", exact=True).click()
    await expect(desk.get_by_role("status")).to_have_text("Internal note added.")
    note = conversation(desk).locator("article", has_text=INTERNAL_NOTE)
    await expect(note.get_by_text("Internal note", exact=True)).to_be_visible()

    # The field form saves with htmx; the timeline is swapped along with it.
    fields = desk.get_by_role("region", name="Details")
    await fields.get_by_label("Status").select_option(label="Resolved")
    await fields.get_by_role("button", name="Save Status").click()
    await expect_status_changes(
        desk, [("Nikos Agentopoulos", "New", "Open"), ("Nikos Agentopoulos", "Open", "Resolved")]
    )
    await expect(fields.get_by_label("Status")).to_have_value("resolved")
    await expect(details_value(desk, "Status", "dl.case-summary")).to_have_text("Resolved")

    await page.reload()
    await expect(conversation(page)).to_contain_text(PUBLIC_REPLY_END)
    await expect(conversation(page)).to_contain_text("Nikos · Support")
    await expect(page.get_by_text(INTERNAL_NOTE)).to_have_count(0)
    await expect(page.get_by_text("Internal note")).to_have_count(0)
    await expect(details_value(page, "Status")).to_have_text("Resolved")
    await page.get_by_label("Comment (optional)").fill("Works again, thank you.")
    await page.get_by_role("button", name="Close the case").click()
    await expect(page.get_by_role("status")).to_have_text("The case is closed. Thank you for letting us know.")
    await expect(details_value(page, "Status")).to_have_text("Closed")
    await expect(conversation(page)).to_contain_text("Works again, thank you.")
    await expect(page.get_by_role("button", name="Send reply")).to_have_count(0)

    await desk.reload()
    await expect_status_changes(
        desk,
        [
            ("Nikos Agentopoulos", "New", "Open"),
            ("Nikos Agentopoulos", "Open", "Resolved"),
            ("Maria Papadopoulou", "Resolved", "Closed"),
        ],
    )
    await expect(conversation(desk)).to_contain_text("Works again, thank you.")
    replied = smtp.wait_for(people.customer.email, count=3)  # received, the reply, resolved: never the note
    assert all(INTERNAL_NOTE not in message.as_string() for message in replied)

    await customer.assert_no_problems()
    await agent.assert_no_problems()


# --- Without JavaScript --------------------------------------------------------------------------------------------


async def test_the_case_pages_work_without_javascript(open_page: OpenPage, people: People) -> None:
    customer = await open_signed_in(open_page, people.customer, java_script_enabled=False)
    page = customer.page

    number = await open_a_case(page, "Scanner jams", "The scanner jams on every second sheet.")
    await expect_attachment_downloads(page, "screenshot.png", sample_files.png())
    await page.get_by_label("Your message").fill("Here is another photo of the jam.")
    await (
        page.get_by_role("region", name="Reply")
        .get_by_label("Attachments (optional)")
        .set_input_files(png_file("jam.png"))
    )
    await page.get_by_role("button", name="Send reply").click()
    await expect(page.get_by_role("status")).to_have_text("Your reply was added to the case.")
    await expect(conversation(page)).to_contain_text("Here is another photo of the jam.")
    await expect_attachment_downloads(page, "jam.png", sample_files.png())

    agent = await open_signed_in(open_page, people.agent, java_script_enabled=False)
    desk = agent.page
    await desk.goto(f"/backoffice/cases/{number}")
    await desk.get_by_label("Message", exact=True).fill("Thanks for the photos.")
    await desk.get_by_label("Canned response").select_option(label=CANNED_TITLE)
    await desk.get_by_role("button", name="Insert").click()  # the whole page again, the box filled
    message = desk.get_by_label("Message", exact=True)
    await expect(message).to_have_value(
        f"Thanks for the photos.\n\nDear Maria Papadopoulou, thank you for case {number}. We are looking into it."
    )
    await desk.get_by_label("Set status").select_option(label="Waiting on customer")
    await desk.get_by_role("button", name="Send", exact=True).click()
    await expect(desk.get_by_role("status")).to_have_text("Reply sent.")

    fields = desk.get_by_role("region", name="Details")
    await fields.get_by_label("Priority").select_option(label="High")
    await fields.get_by_role("button", name="Save Priority").click()
    await expect(desk.get_by_role("status")).to_have_text("Case updated.")
    await expect(desk.get_by_role("region", name="Details").get_by_label("Priority")).to_have_value("high")
    await expect_status_changes(desk, [("Nikos Agentopoulos", "New", "Waiting on customer")])

    await page.reload()
    await expect(conversation(page)).to_contain_text("Thanks for the photos.")
    await expect(details_value(page, "Status")).to_have_text("Waiting for your reply")
    await expect(details_value(page, "Priority")).to_have_text("High")

    await customer.assert_no_problems()
    await agent.assert_no_problems()


# --- The queue's polling -------------------------------------------------------------------------------------------

# Counts the queue's refresh ticks on <body data-queue-sent data-queue-held>, so the test can wait for a tick with
# Playwright's own waiting. It runs after desk-queue.js's listener (added earlier), so it sees whether that held it.
COUNT_TICKS = """() => document.addEventListener("htmx:beforeRequest", (event) => {
  if (event.detail.elt.id !== "queue-rows") return;
  const key = event.defaultPrevented ? "queueHeld" : "queueSent";
  document.body.dataset[key] = String(Number(document.body.dataset[key] || 0) + 1);
})"""
# Counts the answers htmx has finished handling (swapped or not) for the queue's refresh.
COUNT_ANSWERS = """() => document.addEventListener("htmx:afterRequest", (event) => {
  if (event.detail.elt.id !== "queue-rows") return;
  document.body.dataset.queueAnswers = String(Number(document.body.dataset.queueAnswers || 0) + 1);
})"""
RESET_TICKS = "() => { document.body.dataset.queueSent = '0'; document.body.dataset.queueHeld = '0'; }"


def is_queue_refresh(response: Response) -> bool:
    return "/backoffice/cases" in response.url and response.request.headers.get("hx-request") == "true"


@pytest.fixture
def writer(settings: Settings) -> CaseWriter:
    return CaseWriter(settings)


async def test_queue_polling_keeps_ticked_boxes_and_shows_new_cases(
    open_page: OpenPage, people: People, writer: CaseWriter
) -> None:
    first = (await writer.open(people.customer, "Toner light blinks")).number
    agent = await open_signed_in(open_page, people.agent)
    desk = agent.page
    await desk.goto("/backoffice/cases?view=unassigned")
    await desk.evaluate(COUNT_TICKS)
    box = desk.get_by_role("checkbox", name=f"Select {first}")

    await box.check()
    await desk.evaluate(RESET_TICKS)  # from now on every tick finds the box ticked
    second = (await writer.open(people.customer, "Paper tray stuck")).number
    await expect(desk.locator("body")).to_have_attribute(
        "data-queue-held", re.compile(r"[1-9]"), timeout=POLL_TIMEOUT_MS
    )
    await expect(box).to_be_checked()
    await expect(desk.get_by_role("link", name=second)).to_have_count(0)  # held: nothing moves under the agent
    assert await desk.locator("body").get_attribute("data-queue-sent") == "0"

    await box.uncheck()
    await desk.get_by_role("heading", level=1).click()  # the focus leaves the rows as well
    async with desk.expect_response(is_queue_refresh, timeout=POLL_TIMEOUT_MS) as refreshed:
        pass
    assert (await refreshed.value).status == 200
    await expect(desk.get_by_role("link", name=second)).to_be_visible()
    await expect(desk.get_by_role("checkbox", name=f"Select {first}")).not_to_be_checked()
    await agent.assert_no_problems()


async def test_a_refresh_already_on_its_way_does_not_untick_a_box(
    open_page: OpenPage, people: People, writer: CaseWriter
) -> None:
    first = (await writer.open(people.customer, "Toner light blinks")).number
    agent = await open_signed_in(open_page, people.agent)
    desk = agent.page
    await desk.goto("/backoffice/cases?view=unassigned")
    await desk.evaluate(COUNT_ANSWERS)
    on_its_way: asyncio.Future[Route] = asyncio.get_running_loop().create_future()

    async def hold_the_refresh(route: Route) -> None:
        if route.request.headers.get("hx-request") == "true" and not on_its_way.done():
            on_its_way.set_result(route)  # answered below, once the box is ticked
        else:
            await route.continue_()

    await desk.route(re.compile(r"/backoffice/cases\?"), hold_the_refresh)
    refresh = await asyncio.wait_for(on_its_way, POLL_TIMEOUT_MS / 1000)
    second = (await writer.open(people.customer, "Paper tray stuck")).number
    box = desk.get_by_role("checkbox", name=f"Select {first}")
    await box.check()
    async with desk.expect_response(is_queue_refresh):
        await refresh.continue_()
    await expect(desk.locator("body")).to_have_attribute("data-queue-answers", "1")

    await expect(box).to_be_checked()
    await expect(desk.get_by_role("link", name=second)).to_have_count(0)
    await desk.unroute(re.compile(r"/backoffice/cases\?"))
    await agent.assert_no_problems()
