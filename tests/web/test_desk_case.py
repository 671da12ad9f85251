"""The staff case page: internal notes, replies with files and canned responses, inline field changes with
their timeline, merging and linking."""

from __future__ import annotations

import re

import httpx
from litestar import Litestar

from portal.db.tables import (
    Attachment,
    CannedResponse,
    Case,
    CaseChange,
    CaseLink,
    CaseMessage,
    CaseStatus,
    Category,
    OutboundEmail,
    Product,
    Role,
)
from portal.services import cases
from portal.services.attachments import Upload, check_uploads
from tests.factories import make_user
from tests.web.auth_helpers import second_browser
from tests.web.customer_cases_helpers import customer_of, open_case, signed_in, verified
from tests.web.desk_helpers import make_customer, post, signed_in_agent

Client = httpx.AsyncClient
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8ffff3f0005fe02fe0dd0c2b30000000049454e44ae426082"
)


async def emails_to(address: str) -> list[str]:
    rows = await OutboundEmail.select(OutboundEmail.subject).where(OutboundEmail.to_address == address)
    return [row["subject"] for row in rows]


async def test_internal_notes_look_different_for_staff_and_never_reach_the_customer(
    app: Litestar, client: Client
) -> None:
    customer = await customer_of(name="Maria Papadopoulou")
    ref = await open_case(app, customer, "VPN drops")
    await signed_in_agent(client, name="Eleni Agent")

    note = await post(
        client, f"/backoffice/cases/{ref.number}/replies", {"kind": "internal", "body": "Check the firewall"}
    )
    assert note.status_code == 303
    reply = await post(client, f"/backoffice/cases/{ref.number}/replies", {"kind": "public", "body": "We are on it"})
    assert reply.status_code == 303

    page = await client.get(f"/backoffice/cases/{ref.number}")
    assert page.status_code == 200
    internal = re.search(r'<article class="case-message case-message-internal">(.*?)</article>', page.text, re.DOTALL)
    assert internal
    assert "Internal note" in internal.group(1)
    assert "Check the firewall" in internal.group(1)
    assert '<article class="case-message case-message-staff">' in page.text
    assert "Maria Papadopoulou" in page.text
    assert f'href="/backoffice/accounts/{customer.account_id}"' in page.text

    async with second_browser(app) as browser:
        await signed_in(browser, customer)
        own = await browser.get(f"/cases/{ref.number}")
        assert own.status_code == 200
        assert "We are on it" in own.text
        assert "Check the firewall" not in own.text
        assert "Internal note" not in own.text
    assert len(await emails_to(customer.email)) >= 2  # received, and the public reply; never the note


async def test_a_reply_carries_files_and_can_set_the_status(app: Litestar, client: Client) -> None:
    customer = await verified()
    ref = await open_case(app, customer)
    await signed_in_agent(client)
    response = await post(
        client,
        f"/backoffice/cases/{ref.number}/replies",
        {"kind": "public", "body": "See the screenshot", "status": "waiting_on_customer"},
        files={"attachments": ("screen.png", PNG, "image/png")},
    )
    assert response.status_code == 303
    [file] = await Attachment.select(Attachment.filename, Attachment.message).where(Attachment.case == ref.id)
    assert file["filename"] == "screen.png"
    assert file["message"] is not None
    assert (await Case.select(Case.status).where(Case.id == ref.id).first())["status"] == "waiting_on_customer"
    page = await client.get(f"/backoffice/cases/{ref.number}")
    assert "screen.png</a>" in page.text

    empty = await post(client, f"/backoffice/cases/{ref.number}/replies", {"kind": "public", "body": "  "})
    assert empty.status_code == 422
    assert 'id="error-body">Write a message or attach a file.' in empty.text


async def test_a_canned_response_fills_the_reply_in_the_customer_s_language(app: Litestar, client: Client) -> None:
    customer = await verified(name="Νίκος Γεωργίου", locale="el")
    ref = await open_case(app, customer, "Δεν λειτουργεί")
    await signed_in_agent(client, name="Eleni Agent")
    rows = await CannedResponse.insert(
        CannedResponse(
            title="Thanks",
            body_en="Dear {customer_first_name}, thanks for {case_number}.",
            body_el="Αγαπητέ {customer_first_name}, ευχαριστούμε για το {case_number}. {agent_first_name}",
        )
    ).returning(CannedResponse.id)
    canned_id = str(rows[0]["id"])

    page = await post(
        client, f"/backoffice/cases/{ref.number}/canned", {"canned": canned_id, "body": "Hello", "kind": "public"}
    )
    assert page.status_code == 200
    assert "<html" in page.text
    expected = f"Hello\n\nΑγαπητέ Νίκος, ευχαριστούμε για το {ref.number}. Eleni"
    assert f">{expected}</textarea>" in page.text

    fragment = await post(
        client,
        f"/backoffice/cases/{ref.number}/canned",
        {"canned": canned_id, "body": ""},
        headers={"HX-Request": "true"},
    )
    assert "<html" not in fragment.text
    assert fragment.text.lstrip().startswith('<div id="reply-body"')
    assert f">Αγαπητέ Νίκος, ευχαριστούμε για το {ref.number}. Eleni</textarea>" in fragment.text

    gone = await post(client, f"/backoffice/cases/{ref.number}/canned", {"canned": "999999", "body": "Kept"})
    assert gone.status_code == 422
    assert "This canned response is no longer available." in gone.text
    assert ">Kept</textarea>" in gone.text


async def test_inline_changes_write_the_timeline(app: Litestar, client: Client) -> None:
    customer = await verified()
    ref = await open_case(app, customer)
    agent = await signed_in_agent(client, name="Eleni Agent")
    colleague = await make_user(Role.agent, name="Kostas Helper")

    plain = await post(client, f"/backoffice/cases/{ref.number}/fields", {"priority": "urgent"})
    assert plain.status_code == 303
    panel = await post(
        client,
        f"/backoffice/cases/{ref.number}/fields",
        {"assignee": str(colleague.id)},
        headers={"HX-Request": "true"},
    )
    assert panel.status_code == 200
    assert panel.text.lstrip().startswith('<section id="case-fields"')
    assert '<section id="timeline" aria-labelledby="timeline-title" hx-swap-oob="true">' in panel.text
    assert '<dl id="case-summary" class="case-summary" hx-swap-oob="true">' in panel.text  # no stale status above
    tags = await post(client, f"/backoffice/cases/{ref.number}/fields", {"tags": "VIP, billing"})
    assert tags.status_code == 303

    changes = (
        await CaseChange.select(CaseChange.actor, CaseChange.field, CaseChange.old_value, CaseChange.new_value)
        .where(CaseChange.case == ref.id)
        .order_by(CaseChange.id)
    )
    assert [(c["field"], c["old_value"], c["new_value"]) for c in changes] == [
        ("priority", "normal", "urgent"),
        ("assignee", None, "Kostas Helper"),
        ("tags", None, "billing, vip"),
    ]
    assert {c["actor"] for c in changes} == {agent.id}
    assert len(await emails_to(colleague.email)) == 1

    page = await client.get(f"/backoffice/cases/{ref.number}")
    timeline = page.text[page.text.index('id="timeline"') :]
    assert "Eleni Agent" in timeline
    assert "Normal" in timeline
    assert "Urgent" in timeline
    assert "Kostas Helper" in timeline


async def test_invalid_choices_are_refused_next_to_the_field_and_change_nothing(app: Litestar, client: Client) -> None:
    customer = await verified()
    ref = await open_case(app, customer)
    await signed_in_agent(client)
    pbx = await Product.insert(Product(code="pbx", name_en="PBX", name_el="PBX")).returning(Product.id)
    other = await Product.insert(Product(code="fax", name_en="Fax", name_el="Fax")).returning(Product.id)
    fax_only = await Category.insert(
        Category(code="toner", name_en="Toner", name_el="Τόνερ", product=other[0]["id"])
    ).returning(Category.id)
    await Case.update({Case.product: pbx[0]["id"]}).where(Case.id == ref.id)

    for data, field, message in [
        ({"assignee": str(customer.id)}, "assignee", "Choose one of the agents offered."),
        ({"category": str(fax_only[0]["id"])}, "category", "Choose one of the categories offered."),
        ({"status": "lost"}, "status", "Choose one of the statuses offered."),
        ({"tags": "no spaces!"}, "tags", "Tags are single words"),
    ]:
        response = await post(client, f"/backoffice/cases/{ref.number}/fields", data)
        assert response.status_code == 422, field
        assert f'<p class="field-error" id="error-case-{field}">{message}' in response.text
    assert await CaseChange.count().where(CaseChange.case == ref.id) == 0
    row = await Case.select(Case.assignee, Case.category, Case.status).where(Case.id == ref.id).first()
    assert row == {"assignee": None, "category": None, "status": "new"}


async def test_merge_moves_messages_and_files_and_tells_the_customer(app: Litestar, client: Client) -> None:
    customer = await verified()
    files = check_uploads([Upload("log.txt", b"error 42\n")], app.state.settings.cases)
    duplicate = await open_case(app, customer, "Printer again", files=files)
    target = await open_case(app, customer, "Printer offline")
    await signed_in_agent(client)
    await post(client, f"/backoffice/cases/{duplicate.number}/replies", {"kind": "public", "body": "Answer on dup"})
    before = len(await emails_to(customer.email))

    response = await post(client, f"/backoffice/cases/{duplicate.number}/merge", {"into": target.number.lower()})
    assert response.status_code == 303
    assert response.headers["location"] == f"/backoffice/cases/{target.number}"
    assert await CaseMessage.count().where(CaseMessage.case == duplicate.id) == 0
    assert await Attachment.count().where(Attachment.case == duplicate.id) == 0
    assert await Attachment.count().where(Attachment.case == target.id) == 1
    merged = await Case.select(Case.status, Case.merged_into).where(Case.id == duplicate.id).first()
    assert merged == {"status": CaseStatus.closed, "merged_into": target.id}
    assert len(await emails_to(customer.email)) == before + 1
    page = await client.get(f"/backoffice/cases/{target.number}")
    assert "Answer on dup" in page.text
    assert "log.txt</a>" in page.text


async def test_merging_across_customers_or_into_nothing_is_refused(app: Litestar, client: Client) -> None:
    one, other = await verified(), await verified()
    mine = await open_case(app, one)
    theirs = await open_case(app, other)
    await signed_in_agent(client)
    for into, message in [
        (theirs.number, "Only cases of the same customer can be merged."),
        ("C-1999-000001", "There is no case numbered C-1999-000001."),
        ("", "This field is required."),
    ]:
        response = await post(client, f"/backoffice/cases/{mine.number}/merge", {"into": into})
        assert response.status_code == 422
        assert f'<p class="field-error" id="error-into">{message}' in response.text
    assert (await Case.select(Case.merged_into).where(Case.id == mine.id).first())["merged_into"] is None


async def test_linking_shows_the_link_on_both_cases(app: Litestar, client: Client) -> None:
    customer = await verified()
    first = await open_case(app, customer, "Router")
    second = await open_case(app, await make_customer(), "Switch")
    await signed_in_agent(client)
    response = await post(client, f"/backoffice/cases/{first.number}/links", {"other": second.number})
    assert response.status_code == 303
    assert await CaseLink.count() == 2
    assert f'href="/backoffice/cases/{second.number}"' in (await client.get(f"/backoffice/cases/{first.number}")).text
    assert f'href="/backoffice/cases/{first.number}"' in (await client.get(f"/backoffice/cases/{second.number}")).text

    itself = await post(client, f"/backoffice/cases/{first.number}/links", {"other": first.number})
    assert itself.status_code == 422
    assert "A case cannot be linked to itself." in itself.text


async def test_an_unknown_case_is_a_404(client: Client) -> None:
    await signed_in_agent(client)
    assert (await client.get("/backoffice/cases/C-2026-999999")).status_code == 404
    assert cases.number_for(1, 2026) == "C-2026-000001"
