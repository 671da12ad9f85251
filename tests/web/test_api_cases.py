"""The REST API for cases, as an integrator sees it: bearer tokens with scopes, JSON in and out, one error shape,
and the same cases, messages and domain events the portal itself produces."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from litestar import Litestar

from portal.app import create_app
from portal.db.tables import (
    Attachment,
    Case,
    CaseMessage,
    CaseStatus,
    CaseType,
    MessageKind,
    OutboxEvent,
    Product,
    Role,
)
from portal.services import api_tokens, cases
from portal.services.api_tokens import NewToken, Scope
from portal.services.users import CurrentUser
from portal.settings import SecuritySettings
from tests.conftest import TEST_SECRET
from tests.factories import make_account, make_user, sign_in
from tests.harness import running

Client = httpx.AsyncClient


@dataclass
class World:
    agent: CurrentUser
    customer: CurrentUser
    writer: dict[str, str]  # headers of a token with cases:read and cases:write
    reader: dict[str, str]  # headers of a read-only token


async def world() -> World:
    # Nobody here signs in: no passwords, which are slow to hash on purpose.
    admin = await make_user(Role.admin, password=None)
    agent = await make_user(Role.agent, name="Agnes Agent", password=None)
    account = await make_account(name="Alpha Ltd")
    customer = await make_user(
        Role.contact, name="Carl Customer", email="carl@alpha.example", account_id=account.id, password=None
    )
    await Product(code="ROUTER-X", name_en="Router X", name_el="Δρομολογητής X").save()
    _id, writer = await api_tokens.create(admin, NewToken("ERP", [Scope.cases_read, Scope.cases_write], agent.id))
    _id, reader = await api_tokens.create(admin, NewToken("BI", [Scope.cases_read], agent.id))
    return World(agent, customer, {"Authorization": f"Bearer {writer}"}, {"Authorization": f"Bearer {reader}"})


async def open_as(app: Litestar, user: CurrentUser, subject: str, **fields: Any) -> cases.CaseRef:
    new = cases.NewCase(type=CaseType.question, subject=subject, description="Please help.", **fields)
    return await cases.open_case(user, new, mailer=app.state.mailer, store=app.state.attachments)


async def topics_of(case_id: int) -> list[str]:
    rows = await OutboxEvent.select(OutboxEvent.topic).where(OutboxEvent.aggregate_id == str(case_id))
    return [row["topic"] for row in rows]


NEW_CASE = {
    "requester_email": "carl@alpha.example",
    "type": "incident",
    "priority": "high",
    "subject": "Router keeps restarting",
    "description": "Every ten minutes since this morning.",
    "product_code": "ROUTER-X",
}


# --- Authentication and scopes ---------------------------------------------------------------------------------


async def test_without_a_valid_token_the_api_answers_401_in_the_error_shape(client: Client) -> None:
    await world()
    for headers in ({}, {"Authorization": "Bearer ptl_00000000_nope"}, {"Authorization": "Basic dXNlcjpwYXNz"}):
        response = await client.get("/api/v1/cases", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith('Bearer realm="portal"')
        error = response.json()["error"]
        assert error["status"] == 401
        assert error["code"] == "invalid_token"
        assert error["message"]


async def test_a_signed_in_browser_session_does_not_authenticate_the_api(client: Client) -> None:
    admin = await make_user(Role.admin)
    assert (await sign_in(client, admin.email)).status_code == 303
    assert (await client.get("/api/v1/cases")).status_code == 401
    # Nor can a cross-site form ride on the session: without a token, a POST is refused before CSRF matters.
    response = await client.post("/api/v1/cases", json=NEW_CASE)
    assert response.status_code == 401
    assert not await Case.exists()


async def test_a_read_only_token_may_not_write(client: Client) -> None:
    w = await world()
    response = await client.post("/api/v1/cases", json=NEW_CASE, headers=w.reader)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    assert 'scope="cases:write"' in response.headers["www-authenticate"]
    assert not await Case.exists()


async def test_requests_beyond_the_rate_limit_get_429(settings_factory: Any, migrated_database: str) -> None:
    limited = SecuritySettings(secret_key=TEST_SECRET, login_rate_limit=1000, form_rate_limit=1000, api_rate_limit=2)
    app = create_app(settings_factory(security=limited))
    async with running(app) as client:
        w = await world()
        assert [(await client.get("/api/v1/cases", headers=w.reader)).status_code for _ in range(2)] == [200, 200]
        refused = await client.get("/api/v1/cases", headers=w.reader)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "60"
        assert refused.json()["error"]["code"] == "too_many_requests"
        assert (await client.get("/api/v1/cases", headers=w.writer)).status_code == 200  # counted per token


# --- Opening cases ---------------------------------------------------------------------------------------------


async def test_opening_a_case_for_a_customer(client: Client) -> None:
    w = await world()

    response = await client.post("/api/v1/cases", json=NEW_CASE, headers=w.writer)

    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/api/v1/cases/{body['number']}"
    assert body["subject"] == "Router keeps restarting"
    assert body["status"] == "new"
    assert body["channel"] == "api"
    assert body["requester_email"] == "carl@alpha.example"
    assert body["product_code"] == "ROUTER-X"
    case = await Case.select().where(Case.number == body["number"]).first()
    assert case is not None
    assert case["requester"] == w.customer.id
    assert case["account"] == w.customer.account_id
    assert case["channel"] == "api"
    assert case["priority"] == "high"
    assert case["type"] == "incident"
    assert await topics_of(case["id"]) == ["case.created"]
    # The customer sees it in the portal as their own case.
    assert (await cases.visible_case(w.customer, number=body["number"]))["id"] == case["id"]


async def test_invalid_new_cases_name_every_field_and_save_nothing(client: Client) -> None:
    w = await world()
    bad = NEW_CASE | {"subject": "  ", "requester_email": "nobody@example.com", "product_code": "NOPE"}

    response = await client.post("/api/v1/cases", json=bad, headers=w.writer)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"subject", "requester_email", "product_code"}
    assert error["fields"]["subject"] == "This field is required."
    assert not await Case.exists()
    assert not await OutboxEvent.exists()


async def test_a_staff_email_is_no_requester(client: Client) -> None:
    w = await world()
    response = await client.post("/api/v1/cases", json=NEW_CASE | {"requester_email": w.agent.email}, headers=w.writer)
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"requester_email"}


async def test_badly_typed_or_missing_fields_are_422_with_the_field_named(client: Client) -> None:
    w = await world()
    missing = {key: value for key, value in NEW_CASE.items() if key != "subject"}
    response = await client.post("/api/v1/cases", json=missing, headers=w.writer)
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"subject": "This field is required."}

    response = await client.post("/api/v1/cases", json=NEW_CASE | {"type": "rant"}, headers=w.writer)
    assert response.status_code == 422
    assert "type" in response.json()["error"]["fields"]
    assert not await Case.exists()


async def test_malformed_json_is_a_400_in_the_error_shape(client: Client) -> None:
    w = await world()
    headers = w.writer | {"Content-Type": "application/json"}
    response = await client.post("/api/v1/cases", content=b'{"subject": "unfinished', headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
    assert not await Case.exists()


# --- Reading ---------------------------------------------------------------------------------------------------


async def test_listing_filters_and_pages_with_a_cursor(app: Litestar, client: Client) -> None:
    w = await world()
    other = await make_user(Role.prospect, email="pia@example.com", password=None)
    refs = [await open_as(app, w.customer, f"Carl's case {n}") for n in range(3)]
    pia = await open_as(app, other, "Pia's case")
    await Case.update({Case.status: CaseStatus.open}).where(Case.id == refs[1].id)

    first = (await client.get("/api/v1/cases", params={"limit": 2}, headers=w.reader)).json()
    assert [item["number"] for item in first["items"]] == [refs[0].number, refs[1].number]
    assert first["next_cursor"]
    second = (
        await client.get("/api/v1/cases", params={"limit": 2, "cursor": first["next_cursor"]}, headers=w.reader)
    ).json()
    assert [item["number"] for item in second["items"]] == [refs[2].number, pia.number]
    assert second["next_cursor"] is None

    by_email = await client.get("/api/v1/cases", params={"requester_email": "PIA@example.com"}, headers=w.reader)
    assert [item["number"] for item in by_email.json()["items"]] == [pia.number]
    by_status = await client.get("/api/v1/cases", params={"status": "open"}, headers=w.reader)
    assert [item["number"] for item in by_status.json()["items"]] == [refs[1].number]
    by_account = await client.get("/api/v1/cases", params={"account_id": w.customer.account_id}, headers=w.reader)
    assert len(by_account.json()["items"]) == 3
    later = await client.get("/api/v1/cases", params={"updated_since": "2999-01-01T00:00:00Z"}, headers=w.reader)
    assert later.json()["items"] == []


@pytest.mark.parametrize(
    "params", [{"status": "sleeping"}, {"cursor": "not-a-cursor"}, {"limit": "1000"}, {"updated_since": "soon"}]
)
async def test_invalid_list_filters_are_422(client: Client, params: dict[str, str]) -> None:
    w = await world()
    response = await client.get("/api/v1/cases", params=params, headers=w.reader)
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == list(params)


async def test_a_case_with_its_public_messages_and_internal_notes(app: Litestar, client: Client) -> None:
    w = await world()
    ref = await open_as(app, w.customer, "Printer on fire")
    mailer, store = app.state.mailer, app.state.attachments
    await cases.reply(w.agent, ref.id, "Known issue.", mailer=mailer, store=store, internal=True)
    await cases.reply(w.agent, ref.id, "We are on it.", mailer=mailer, store=store)

    response = await client.get(f"/api/v1/cases/{ref.number}", headers=w.reader)

    assert response.status_code == 200
    body = response.json()
    assert body["case"]["number"] == ref.number
    assert body["description"] == "Please help."
    assert [(m["body"], m["internal"], m["by_staff"]) for m in body["messages"]] == [
        ("Known issue.", True, True),
        ("We are on it.", False, True),
    ]
    assert body["attachments"] == []
    assert body["messages"][0]["attachments"] == []


async def test_an_unknown_case_is_a_404_in_the_error_shape(client: Client) -> None:
    w = await world()
    for response in (
        await client.get("/api/v1/cases/C-2026-999999", headers=w.reader),
        await client.post("/api/v1/cases/C-2026-999999/replies", json={"body": "Hi"}, headers=w.writer),
        await client.post("/api/v1/cases/C-2026-999999/status", json={"status": "open"}, headers=w.writer),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


# --- Replies and status ----------------------------------------------------------------------------------------


async def test_replying_as_the_tokens_agent(app: Litestar, client: Client) -> None:
    w = await world()
    ref = await open_as(app, w.customer, "Question")

    public = await client.post(f"/api/v1/cases/{ref.number}/replies", json={"body": "Hello Carl"}, headers=w.writer)
    note = await client.post(
        f"/api/v1/cases/{ref.number}/replies", json={"body": "VIP", "internal": True}, headers=w.writer
    )

    assert public.status_code == 201
    assert note.status_code == 201
    assert public.json()["case"]["status"] == "open"  # an agent's first reply takes the case on
    messages = await CaseMessage.select().where(CaseMessage.case == ref.id).order_by(CaseMessage.id)
    assert [(m["body"], m["kind"], m["author"], m["via"]) for m in messages] == [
        ("Hello Carl", MessageKind.public, w.agent.id, "api"),
        ("VIP", MessageKind.internal, w.agent.id, "api"),
    ]
    assert public.json()["message_id"] == messages[0]["id"]
    assert (await topics_of(ref.id)).count("case.replied") == 2


async def test_an_empty_reply_is_422(app: Litestar, client: Client) -> None:
    w = await world()
    ref = await open_as(app, w.customer, "Question")
    response = await client.post(f"/api/v1/cases/{ref.number}/replies", json={"body": " "}, headers=w.writer)
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"body"}
    assert not await CaseMessage.exists()


async def test_changing_the_status(app: Litestar, client: Client) -> None:
    w = await world()
    ref = await open_as(app, w.customer, "Question")

    response = await client.post(f"/api/v1/cases/{ref.number}/status", json={"status": "resolved"}, headers=w.writer)

    assert response.status_code == 200
    assert response.json()["status"] == "resolved"
    assert response.json()["resolved_at"]
    case = await Case.select(Case.status).where(Case.id == ref.id).first()
    assert case is not None
    assert case["status"] == "resolved"
    assert {"case.status_changed", "case.resolved"} <= set(await topics_of(ref.id))

    invalid = await client.post(f"/api/v1/cases/{ref.number}/status", json={"status": "done"}, headers=w.writer)
    assert invalid.status_code == 422
    assert set(invalid.json()["error"]["fields"]) == {"status"}


# --- The description -------------------------------------------------------------------------------------------


async def test_the_openapi_schema_documents_only_the_api_with_examples(client: Client) -> None:
    response = await client.get("/api/v1/schema/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Portal API"
    assert set(schema["paths"]) == {
        "/api/v1/cases",
        "/api/v1/cases/{number}",
        "/api/v1/cases/{number}/replies",
        "/api/v1/cases/{number}/status",
        "/api/v1/attachments/{attachment_id}",
    }
    create = schema["paths"]["/api/v1/cases"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["examples"]
    assert create["responses"]["201"]["content"]["application/json"]["examples"]
    assert create["responses"]["422"]["content"]["application/json"]["examples"]
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert (await client.get("/api/v1/schema/openapi.yaml")).status_code == 200


# --- Attachments -----------------------------------------------------------------------------------------------


def inline_file(name: str, data: bytes) -> dict[str, str]:
    return {"filename": name, "content": base64.b64encode(data).decode()}


async def test_files_come_along_base64_encoded_and_are_listed_as_metadata(app: Litestar, client: Client) -> None:
    w = await world()
    created = await client.post(
        "/api/v1/cases",
        json=NEW_CASE | {"attachments": [inline_file("router.log", b"reboot at 09:10\nreboot at 09:20\n")]},
        headers=w.writer,
    )
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    reply = await client.post(
        f"/api/v1/cases/{number}/replies",
        json={"attachments": [inline_file("steps.txt", b"1. Turn it off.\n2. Turn it on.\n")]},
        headers=w.writer,
    )
    assert reply.status_code == 201, reply.text

    body = (await client.get(f"/api/v1/cases/{number}", headers=w.reader)).json()

    assert [(f["filename"], f["content_type"]) for f in body["attachments"]] == [("router.log", "text/plain")]
    assert body["messages"][0]["body"] == ""
    assert [f["filename"] for f in body["messages"][0]["attachments"]] == ["steps.txt"]
    stored = await Attachment.select(Attachment.storage_key).order_by(Attachment.id)
    assert len(stored) == 2
    download = await client.get(f"/api/v1/attachments/{body['attachments'][0]['id']}", headers=w.reader)
    assert download.status_code == 200
    assert download.content == b"reboot at 09:10\nreboot at 09:20\n"
    assert download.headers["content-type"].startswith("text/plain")
    assert 'filename="router.log"' in download.headers["content-disposition"]
    missing = await client.get("/api/v1/attachments/999999", headers=w.reader)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


async def test_refused_files_are_422_and_nothing_is_saved(client: Client) -> None:
    w = await world()
    for attachment, field in (
        (inline_file("setup.exe", b"MZ\x90\x00"), "attachments"),
        ({"filename": "x.txt", "content": "%%% not base64"}, "attachments[0].content"),
    ):
        response = await client.post("/api/v1/cases", json=NEW_CASE | {"attachments": [attachment]}, headers=w.writer)
        assert response.status_code == 422, response.text
        assert list(response.json()["error"]["fields"]) == [field]
    assert not await Case.exists()
    assert not await Attachment.exists()


async def test_pages_never_skip_or_repeat_cases_changed_at_the_same_moment(app: Litestar, client: Client) -> None:
    w = await world()
    refs = [await open_as(app, w.customer, f"Case {n}") for n in range(3)]
    await Case.update({Case.updated_at: datetime(2026, 5, 1, 12, 0, tzinfo=UTC)}, force=True)

    seen: list[str] = []
    cursor: str | None = None
    while True:
        params = {"limit": "1"} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/api/v1/cases", params=params, headers=w.reader)).json()
        seen += [item["number"] for item in page["items"]]
        if not (cursor := page["next_cursor"]):
            break

    assert seen == [ref.number for ref in refs]
