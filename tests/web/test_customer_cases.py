"""The customer's case pages: opening a case, the case page, replying, closing, reopening; who may see what."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from litestar import Litestar

from portal.db.tables import (
    Account,
    Attachment,
    Case,
    CaseLink,
    CaseMessage,
    CaseStatus,
    Product,
    Role,
    SharingMode,
)
from portal.services import case_actions, case_closing, cases
from portal.services.users import CurrentUser
from tests import sample_files
from tests.factories import make_user
from tests.mail import SmtpServer, body
from tests.web.auth_helpers import emails_to
from tests.web.customer_cases_helpers import customer_of, open_case, post, signed_in, verified

Client = httpx.AsyncClient


def new_case(**overrides: str) -> dict[str, str]:
    return {"type": "incident", "priority": "normal", "subject": "VPN drops", "description": "Every hour."} | overrides


def error_of(page: str, field: str) -> str:
    """The message shown next to `field`, or "" when there is none."""
    found = re.search(rf'<p class="field-error" id="error-{field}">([^<]*)</p>', page)
    return found.group(1) if found else ""


async def case_count() -> int:
    return await Case.count()


async def staff_reply(app: Litestar, agent: CurrentUser, case_id: int, text: str, **kw: object) -> None:
    await cases.reply(agent, case_id, text, mailer=app.state.mailer, store=app.state.attachments, **kw)  # type: ignore[arg-type]


# --- Opening a case --------------------------------------------------------------------------------------------------


async def test_opening_a_case_shows_its_number_and_emails_it(client: Client, app: Litestar, smtp: SmtpServer) -> None:
    user = await customer_of()
    await signed_in(client, user)
    form = await client.get("/cases/new")
    assert form.status_code == 200
    assert 'name="attachments" type="file" multiple' in form.text

    png = ("screen.png", sample_files.png(), "image/png")
    response = await post(client, "/cases", new_case(), files=[("attachments", png)])

    assert response.status_code == 303, response.text
    number = response.headers["location"].removeprefix("/cases/")
    assert re.fullmatch(r"C-\d{4}-\d{6}", number)
    page = await client.get(response.headers["location"])
    assert f"We received your case {number}" in page.text
    assert "VPN drops" in page.text
    assert "Every hour." in page.text
    assert "Not yet assigned" in page.text
    assert "Incident" in page.text
    link = re.search(r'href="(/attachments/\d+/screen\.png)"', page.text)
    assert link, page.text
    assert (await client.get(link.group(1))).content == sample_files.png()
    (email,) = await emails_to(app, smtp, user.email)
    assert number in email["Subject"]
    assert f"/cases/{number}" in body(email, "plain")


async def test_an_empty_subject_comes_back_with_the_message_and_nothing_is_saved(client: Client) -> None:
    await signed_in(client, await customer_of())
    png = ("screen.png", sample_files.png(), "image/png")

    response = await post(
        client, "/cases", new_case(subject="  ", description="Typed with care"), files=[("attachments", png)]
    )

    assert response.status_code == 422
    assert error_of(response.text, "subject") == "This field is required."
    assert "Typed with care" in response.text  # nothing the user typed is lost
    assert "choose your files again" in error_of(response.text, "attachments")
    assert await case_count() == 0
    assert await Attachment.count() == 0


async def test_nul_bytes_in_the_text_are_dropped_rather_than_failing(client: Client) -> None:
    await signed_in(client, await customer_of())

    response = await post(client, "/cases", new_case(subject="VPN\x00 drops", description="Every\x00 hour."))

    assert response.status_code == 303
    row = await Case.select(Case.subject, Case.description).first()
    assert row == {"subject": "VPN drops", "description": "Every hour."}


async def test_an_unknown_product_is_refused_next_to_the_product(client: Client) -> None:
    await signed_in(client, await customer_of())
    retired = Product(code="fax", name_en="Fax", name_el="Φαξ", is_active=False)
    await retired.save()

    for product in ["999999", "abc", str(retired.id)]:
        response = await post(client, "/cases", new_case(product=product))
        assert response.status_code == 422
        assert error_of(response.text, "product") == "Choose one of the products offered."
    assert await case_count() == 0


async def test_urgent_priority_needs_a_contract(client: Client) -> None:
    await signed_in(client, await customer_of())
    form = await client.get("/cases/new")
    assert 'value="urgent"' not in form.text
    assert '<option value="normal" selected>' in form.text

    response = await post(client, "/cases", new_case(priority="urgent"))

    assert response.status_code == 422
    assert error_of(response.text, "priority") == "Choose one of the priorities offered."
    assert await case_count() == 0


@pytest.mark.parametrize(
    ("name", "data"),
    [("photo.png", sample_files.html()), ("invoice.pdf", sample_files.exe()), ("report.pdf.exe", sample_files.pdf())],
)
async def test_a_disguised_attachment_is_refused_and_nothing_is_saved(client: Client, name: str, data: bytes) -> None:
    await signed_in(client, await customer_of())
    files = [("attachments", ("fine.png", sample_files.png(), "image/png")), ("attachments", (name, data, "image/png"))]

    response = await post(client, "/cases", new_case(subject="Typed subject"), files=files)

    assert response.status_code == 422
    assert name in error_of(response.text, "attachments")
    assert 'value="Typed subject"' in response.text
    assert await case_count() == 0
    assert await Attachment.count() == 0


async def test_too_many_files_are_refused(client: Client, app: Litestar) -> None:
    await signed_in(client, await customer_of())
    limit = app.state.settings.cases.max_attachments
    files = [("attachments", (f"f{n}.png", sample_files.png(), "image/png")) for n in range(limit + 1)]

    response = await post(client, "/cases", new_case(), files=files)

    assert response.status_code == 422
    assert error_of(response.text, "attachments") == f"Attach at most {limit} files."
    assert await case_count() == 0


async def test_opening_a_case_needs_a_confirmed_email_address(client: Client) -> None:
    user = await make_user(Role.contact)
    await signed_in(client, user)

    assert (await client.get("/cases")).status_code == 200
    page = await client.get("/cases/new")
    assert page.status_code == 403
    assert "Please confirm your email address" in page.text
    assert (await post(client, "/cases", new_case())).status_code == 403
    assert await case_count() == 0


async def test_a_missing_csrf_token_is_refused(client: Client) -> None:
    await signed_in(client, await customer_of())

    response = await client.post("/cases", data=new_case(), follow_redirects=False)

    assert response.status_code == 403
    assert await case_count() == 0


async def test_signed_out_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = await client.get("/cases", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


async def test_staff_are_sent_to_the_back_office(client: Client, app: Litestar) -> None:
    customer = await customer_of()
    ref = await open_case(app, customer)
    agent = await make_user(Role.agent)
    await signed_in(client, agent)

    page = await client.get(f"/cases/{ref.number}", follow_redirects=False)
    listing = await client.get("/cases", follow_redirects=False)

    assert page.status_code == 303
    assert page.headers["location"] == f"/backoffice/cases/{ref.number}"
    assert listing.headers["location"] == "/backoffice/cases"


# --- The case page ---------------------------------------------------------------------------------------------------


async def test_customers_never_see_internal_notes_and_see_staff_by_first_name(client: Client, app: Litestar) -> None:
    customer = await customer_of()
    ref = await open_case(app, customer)
    agent = await make_user(Role.agent, name="Agnes Papadopoulou")
    await staff_reply(app, agent, ref.id, "Secret: this customer is on the watch list", internal=True)
    await staff_reply(app, agent, ref.id, "We are looking into it.")
    await signed_in(client, customer)

    page = await client.get(f"/cases/{ref.number}")

    assert page.status_code == 200
    assert "We are looking into it." in page.text
    assert "watch list" not in page.text
    assert "Agnes" in page.text
    assert "Papadopoulou" not in page.text


async def test_the_page_promises_an_answer_by_the_due_time(client: Client, app: Litestar) -> None:
    customer = await customer_of()
    ref = await open_case(app, customer)
    due = datetime(2030, 5, 17, 9, 30, tzinfo=UTC)
    await Case.update({Case.first_response_due_at: due}).where(Case.id == ref.id)
    await signed_in(client, customer)

    page = await client.get(f"/cases/{ref.number}")

    assert "We will answer by" in page.text
    assert "5/17/30" in page.text


async def test_replying_reopens_a_resolved_case(client: Client, app: Litestar) -> None:
    customer = await customer_of()
    ref = await open_case(app, customer)
    agent = await make_user(Role.agent)
    await staff_reply(app, agent, ref.id, "Fixed, I think.", status=CaseStatus.resolved)
    await signed_in(client, customer)
    assert "Your reply puts the case back in our hands." in (await client.get(f"/cases/{ref.number}")).text

    response = await post(client, f"/cases/{ref.number}/replies", {"body": "Still broken."})

    assert response.status_code == 303
    page = await client.get(f"/cases/{ref.number}")
    assert "Your reply was added to the case." in page.text
    assert "Still broken." in page.text
    assert (await Case.select(Case.status).where(Case.id == ref.id).first())["status"] == CaseStatus.open  # type: ignore[index]


async def test_a_reply_with_a_disguised_file_or_no_text_is_refused(client: Client, app: Litestar) -> None:
    customer = await customer_of()
    ref = await open_case(app, customer)
    await signed_in(client, customer)

    bad = [("attachments", ("logs.txt", sample_files.exe(), "text/plain"))]
    refused = await post(client, f"/cases/{ref.number}/replies", {"body": "Here are the logs"}, files=bad)
    empty = await post(client, f"/cases/{ref.number}/replies", {"body": "   "})

    assert refused.status_code == 422
    assert "logs.txt" in error_of(refused.text, "attachments")
    assert "Here are the logs" in refused.text
    assert empty.status_code == 422
    assert error_of(empty.text, "body") == "Write a message or attach a file."
    assert await CaseMessage.count().where(CaseMessage.case == ref.id) == 0
    assert await Attachment.count() == 0


async def test_closing_with_a_comment_then_reopening_within_the_allowed_days(client: Client, app: Litestar) -> None:
    customer = await customer_of()
    ref = await open_case(app, customer)
    await signed_in(client, customer)

    closed = await post(client, f"/cases/{ref.number}/close", {"comment": "Solved it myself."})

    assert closed.status_code == 303
    page = await client.get(f"/cases/{ref.number}")
    assert "The case is closed." in page.text
    assert "Solved it myself." in page.text
    assert "/replies" not in page.text  # a closed case takes no replies
    assert "Reopen this case" in page.text

    reopened = await post(client, f"/cases/{ref.number}/reopen", {})

    assert reopened.headers["location"] == f"/cases/{ref.number}"
    page = await client.get(f"/cases/{ref.number}")
    assert "The case is open again." in page.text
    assert (await Case.select(Case.status).where(Case.id == ref.id).first())["status"] == CaseStatus.open  # type: ignore[index]


async def test_reopening_too_late_opens_a_linked_follow_up(client: Client, app: Litestar) -> None:
    customer = await customer_of()
    ref = await open_case(app, customer, "Printer offline")
    await case_closing.close(customer, ref.id, mailer=app.state.mailer)
    long_ago = datetime.now(UTC) - timedelta(days=app.state.settings.cases.reopen_days + 1)
    await Case.update({Case.resolved_at: long_ago, Case.closed_at: long_ago}).where(Case.id == ref.id)
    await signed_in(client, customer)
    assert "Open a follow-up case" in (await client.get(f"/cases/{ref.number}")).text

    response = await post(client, f"/cases/{ref.number}/reopen", {})

    new_number = response.headers["location"].removeprefix("/cases/")
    assert new_number != ref.number
    page = await client.get(response.headers["location"])
    assert f"We opened {new_number} as a follow-up to {ref.number}" in page.text
    assert f'href="/cases/{ref.number}"' in page.text
    old_page = await client.get(f"/cases/{ref.number}")
    assert f'href="/cases/{new_number}"' in old_page.text
    assert (await Case.select(Case.status).where(Case.id == ref.id).first())["status"] == CaseStatus.closed  # type: ignore[index]
    assert await CaseLink.count().where(CaseLink.case == ref.id) == 1


async def test_a_merged_case_points_to_where_the_conversation_continues(client: Client, app: Litestar) -> None:
    customer = await customer_of()
    duplicate = await open_case(app, customer, "Printer offline again")
    kept = await open_case(app, customer, "Printer offline")
    agent = await make_user(Role.agent)
    await case_actions.merge(agent, duplicate.id, kept.number, mailer=app.state.mailer)
    await signed_in(client, customer)

    page = await client.get(f"/cases/{duplicate.number}")

    assert "This case was merged into another one" in page.text
    assert f'href="/cases/{kept.number}"' in page.text
    assert "/reopen" not in page.text


async def test_a_link_to_another_accounts_case_is_not_shown(client: Client, app: Litestar) -> None:
    customer = await customer_of()
    ref = await open_case(app, customer, "Printer offline")
    other = await open_case(app, await customer_of(), "Someone else's printer")
    agent = await make_user(Role.agent)
    await case_actions.link(agent, ref.id, other.number)
    await signed_in(client, customer)

    page = await client.get(f"/cases/{ref.number}")

    assert other.number not in page.text
    assert "Someone else" not in page.text


# --- Who may see which case ------------------------------------------------------------------------------------------


async def test_another_accounts_case_is_a_404_on_every_route_and_nothing_changes(client: Client, app: Litestar) -> None:
    owner = await customer_of(SharingMode.all_contacts.value)
    ref = await open_case(app, owner, "Theirs")
    intruder = await customer_of(SharingMode.all_contacts.value, Role.account_admin)
    await signed_in(client, intruder)

    for number in [ref.number, ref.number.lower(), "C-2026-999999", "nonsense", str(ref.id), "%00"]:
        assert (await client.get(f"/cases/{number}")).status_code == 404, number
        for action, data in [("replies", {"body": "Mine now"}), ("close", {"comment": "Bye"}), ("reopen", {})]:
            response = await post(client, f"/cases/{number}/{action}", data)
            assert response.status_code == 404, (number, action)

    row = await Case.select(Case.status).where(Case.id == ref.id).first()
    assert row == {"status": CaseStatus.new}
    assert await CaseMessage.count() == 0


@pytest.mark.parametrize(
    ("mode", "role", "sees"),
    [
        (SharingMode.own, Role.contact, False),
        (SharingMode.own, Role.account_admin, False),
        (SharingMode.all_contacts, Role.contact, True),
        (SharingMode.admins_only, Role.contact, False),
        (SharingMode.admins_only, Role.account_admin, True),
    ],
)
async def test_a_colleagues_case_follows_the_sharing_mode(
    client: Client, app: Litestar, mode: SharingMode, role: Role, sees: bool
) -> None:
    colleague = await customer_of(mode.value)
    ref = await open_case(app, colleague, "Colleague's case")
    viewer = await verified(role, await _account_of(colleague))
    await signed_in(client, viewer)

    page = await client.get(f"/cases/{ref.number}")
    listing = await client.get("/cases")

    assert page.status_code == (200 if sees else 404)
    assert ("Colleague&#39;s case" in listing.text) is sees
    if not sees:
        assert (await post(client, f"/cases/{ref.number}/close", {})).status_code == 404
        assert (await Case.select(Case.status).where(Case.id == ref.id).first()) == {"status": CaseStatus.new}


async def _account_of(user: CurrentUser) -> Account:
    account = await Account.objects().get(Account.id == user.account_id)
    assert account is not None
    return account
