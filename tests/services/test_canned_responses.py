"""Canned responses: filling placeholders safely, refusing unknown ones, and the customer's language."""

from __future__ import annotations

import pytest

from portal.db.tables import CannedResponse
from portal.services import canned_responses
from portal.services.accounts import Refused
from portal.services.refusals import FieldRefused

CASE = {
    "customer_name": "Μαρία Κωνσταντίνου",
    "case_number": "C-2026-000123",
    "agent_name": "Νίκος Γεωργίου",
    "case_subject": "Διακοπές στη σύνδεση",
}


def render(body: str, **overrides: str) -> str:
    return canned_responses.render(body, **(CASE | overrides))


def test_every_placeholder_is_filled_in_greek_text() -> None:
    body = (
        "Αγαπητή {customer_first_name} ({customer_name}),\nγια την υπόθεση {case_number} «{case_subject}»"
        " σας απαντά ο/η {agent_first_name} — {agent_name}."
    )
    assert render(body) == (
        "Αγαπητή Μαρία (Μαρία Κωνσταντίνου),\nγια την υπόθεση C-2026-000123 «Διακοπές στη σύνδεση»"
        " σας απαντά ο/η Νίκος — Νίκος Γεωργίου."
    )


@pytest.mark.parametrize(
    "body",
    [
        "Hello {customer_nmae}, see {0} and {} and {x.__class__} and {customer_name!r}",
        "{not a placeholder",
        'a } alone, {{ doubled }}, {"json": 1}',
        "{ customer_name }",
        "{Customer_Name}",
        "%(customer_name)s and $customer_name",
    ],
)
def test_anything_that_is_not_a_known_placeholder_is_left_as_typed(body: str) -> None:
    assert render(body) == body


def test_values_are_inserted_once_never_read_as_placeholders_themselves() -> None:
    assert render("Dear {customer_name}, {case_number}", customer_name="{case_number}") == (
        "Dear {case_number}, C-2026-000123"
    )


def test_a_one_word_or_empty_name_is_its_own_first_name() -> None:
    assert render("{customer_first_name}|{agent_first_name}", customer_name="Cher", agent_name="") == "Cher|"


def test_unknown_placeholders_are_named_with_the_known_ones() -> None:
    assert canned_responses.unknown_placeholders("{customer_name} {ticket_id} {x} {ticket_id} {not one") == [
        "ticket_id",
        "x",
    ]
    problem = canned_responses.placeholder_problem("Hi {customer_nmae}")
    assert problem is not None
    assert "{customer_nmae}" in problem
    assert "{customer_name}" in problem
    assert "{agent_first_name}" in problem
    assert canned_responses.placeholder_problem("Hi {customer_name}, {not a placeholder") is None


@pytest.mark.usefixtures("migrated_database")
async def test_saving_refuses_unknown_placeholders_and_missing_bodies_and_saves_nothing() -> None:
    with pytest.raises(FieldRefused, match=r"Unknown placeholder \{ticket\}") as refused:
        await canned_responses.create_response(title="Hello", body_en="Hi", body_el="Γεια {ticket}")
    assert refused.value.field == "body_el"
    with pytest.raises(FieldRefused) as missing:
        await canned_responses.create_response(title="Hello", body_en="  ", body_el="Γεια")
    assert missing.value.field == "body_en"
    with pytest.raises(FieldRefused) as untitled:
        await canned_responses.create_response(title="", body_en="Hi", body_el="Γεια")
    assert untitled.value.field == "title"
    assert await CannedResponse.count() == 0

    response_id = await canned_responses.create_response(title="Hello", body_en="Hi", body_el="Γεια")
    with pytest.raises(FieldRefused, match="Unknown placeholder"):
        await canned_responses.update_response(
            response_id, title="Hello", body_en="Hi {name}", body_el="Γεια", is_active=True
        )
    saved = await canned_responses.get_response(response_id)
    assert saved is not None
    assert saved["body_en"] == "Hi"


@pytest.mark.usefixtures("migrated_database")
async def test_for_case_picks_the_customer_s_language_and_refuses_switched_off_responses() -> None:
    response_id = await canned_responses.create_response(
        title="Received",
        body_en="Dear {customer_first_name}, we received {case_number}.",
        body_el="Αγαπητή {customer_first_name}, λάβαμε την υπόθεση {case_number}.",
    )
    assert await canned_responses.for_case(response_id, locale="el", **CASE) == (
        "Αγαπητή Μαρία, λάβαμε την υπόθεση C-2026-000123."
    )
    assert await canned_responses.for_case(response_id, locale="en", **CASE) == (
        "Dear Μαρία, we received C-2026-000123."
    )
    assert [row["title"] for row in await canned_responses.active_responses()] == ["Received"]

    await canned_responses.update_response(response_id, title="Received", body_en="Hi", body_el="Γεια", is_active=False)
    assert await canned_responses.active_responses() == []
    with pytest.raises(Refused):
        await canned_responses.for_case(response_id, locale="en", **CASE)
    with pytest.raises(Refused):
        await canned_responses.for_case(424242, locale="en", **CASE)

    assert await canned_responses.delete_response(response_id) is True
    assert await canned_responses.all_responses() == []
