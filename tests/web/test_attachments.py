"""Downloading attachments: who may, what headers protect the browser; and uploads through multipart forms."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest
from litestar import Litestar, Request, post
from litestar.testing import AsyncTestClient

from portal.db.tables import Case, CaseMessage, Role, SharingMode
from portal.services import attachments
from portal.services.attachments import AttachmentRejected, Upload
from portal.services.users import CurrentUser
from portal.settings import CaseSettings
from portal.web.uploads import uploads_from_request
from tests import sample_files
from tests.factories import csrf_headers, make_account, make_user, sign_in
from tests.harness import running

_numbers = itertools.count(1)


async def make_case(requester: CurrentUser, *, account_id: int | None) -> int:
    number = next(_numbers)
    case = Case(
        number=f"C-2026-{number:06d}",
        subject="The printer jams",
        description="Every morning.",
        requester=requester.id,
        account=account_id,
    )
    await case.save()
    return int(case.id)


async def make_message(case_id: int, author: CurrentUser, kind: str = "public") -> int:
    message = CaseMessage(case=case_id, author=author.id, kind=kind, body="See the file.")
    await message.save()
    return int(message.id)


async def attach(app: Litestar, case_id: int, message_id: int | None, filename: str, data: bytes) -> str:
    """Attach one file through the service; returns its download path."""
    files = attachments.check_uploads([Upload(filename, data)], CaseSettings())
    (attachment_id,) = await attachments.attach(
        app.state.attachments, files, case_id=case_id, message_id=message_id, uploaded_by=None
    )
    info = next(info for info in await attachments.of_case(case_id, with_internal=True) if info.id == attachment_id)
    return info.url


async def signed_in(client: httpx.AsyncClient, user: CurrentUser) -> httpx.AsyncClient:
    client.cookies.clear()
    assert (await sign_in(client, user.email)).status_code == 303
    return client


@pytest.fixture
async def world(app: Litestar) -> dict[str, Any]:
    """Two accounts: one sharing cases with all contacts, one where each sees their own; a staff agent."""
    sharing = await make_account(sharing_mode=SharingMode.all_contacts.value)
    private = await make_account(sharing_mode=SharingMode.own.value)
    people = {
        "requester": await make_user(Role.contact, account_id=sharing.id),
        "colleague": await make_user(Role.contact, account_id=sharing.id),
        "private_requester": await make_user(Role.contact, account_id=private.id),
        "private_colleague": await make_user(Role.contact, account_id=private.id),
        "agent": await make_user(Role.agent),
    }
    case_id = await make_case(people["requester"], account_id=sharing.id)
    private_case = await make_case(people["private_requester"], account_id=private.id)
    public = await make_message(case_id, people["requester"])
    note = await make_message(case_id, people["agent"], kind="internal")
    return people | {
        "png": await attach(app, case_id, public, "screen shot.png", sample_files.png()),
        "pdf": await attach(app, case_id, None, "Τιμολόγιο 2026.pdf", sample_files.pdf()),
        "note": await attach(app, case_id, note, "internal.txt", b"only for staff\n"),
        "private": await attach(app, private_case, None, "mine.txt", b"mine\n"),
    }


async def status_of(client: httpx.AsyncClient, path: str) -> int:
    return (await client.get(path, follow_redirects=False)).status_code


async def test_the_requester_downloads_their_files_with_protective_headers(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    await signed_in(client, world["requester"])

    image = await client.get(world["png"])
    assert image.status_code == 200
    assert image.content == sample_files.png()
    assert image.headers["content-type"] == "image/png"
    assert (
        image.headers["content-disposition"]
        == "inline; filename=\"screen shot.png\"; filename*=UTF-8''screen%20shot.png"
    )
    assert image.headers["x-content-type-options"] == "nosniff"
    assert image.headers["cache-control"] == "private"
    assert "sandbox" in image.headers["content-security-policy"]

    document = await client.get(world["pdf"])
    assert document.status_code == 200
    assert document.headers["content-type"] == "application/pdf"
    assert document.headers["content-disposition"] == (
        'attachment; filename="_________ 2026.pdf"; '
        "filename*=UTF-8''%CE%A4%CE%B9%CE%BC%CE%BF%CE%BB%CF%8C%CE%B3%CE%B9%CE%BF%202026.pdf"
    )
    assert document.headers["x-content-type-options"] == "nosniff"

    # The name in the path is for the person saving the file; the id alone chooses what is served.
    attachment_id = world["png"].split("/")[2]
    renamed = await client.get(f"/attachments/{attachment_id}/whatever.html")
    assert (renamed.status_code, renamed.headers["content-type"]) == (200, "image/png")


async def test_a_colleague_sees_them_only_when_the_account_shares_cases(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    await signed_in(client, world["colleague"])
    assert await status_of(client, world["pdf"]) == 200
    assert await status_of(client, world["private"]) == 404  # another account

    await signed_in(client, world["private_colleague"])
    assert await status_of(client, world["private"]) == 404  # same account, but each sees their own
    assert await status_of(client, world["pdf"]) == 404

    await signed_in(client, world["private_requester"])
    assert await status_of(client, world["private"]) == 200


async def test_internal_notes_files_are_for_staff_only(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    await signed_in(client, world["requester"])
    missing = await client.get(world["note"])
    assert missing.status_code == 404
    assert "Page not found" in missing.text

    await signed_in(client, world["agent"])
    note = await client.get(world["note"])
    assert note.status_code == 200
    assert note.text == "only for staff\n"
    assert note.headers["content-type"].startswith("text/plain")
    assert note.headers["content-disposition"].startswith("attachment;")
    assert await status_of(client, world["private"]) == 200  # staff see every account's cases


async def test_strangers_are_sent_to_sign_in_and_unknown_ids_are_404(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    anonymous = await client.get(world["pdf"], follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login?next=")

    await signed_in(client, world["requester"])
    assert await status_of(client, "/attachments/999999/nothing.pdf") == 404


# --- Uploading through a multipart form ---------------------------------------------------------------------------


async def test_the_csrf_check_reads_the_token_from_a_multipart_form(app: Litestar, client: httpx.AsyncClient) -> None:
    await client.get("/login")
    token = client.cookies["portal_csrf"]
    files = [("attachments", ("shot.png", sample_files.png(), "image/png"))]

    accepted = await client.post(
        "/language", data={"locale": "en", "_csrf_token": token}, files=files, follow_redirects=False
    )
    assert accepted.status_code == 303

    refused = await client.post("/language", data={"locale": "en"}, files=files, follow_redirects=False)
    assert refused.status_code == 403
    assert "This form has expired" in refused.text


async def test_a_body_over_the_limit_gets_the_friendly_413_page(settings_factory: Any, migrated_database: str) -> None:
    from portal.app import create_app

    app = create_app(settings_factory(cases=CaseSettings(max_attachment_mb=0.01, max_attachments=1)))
    async with running(app) as client:
        await client.get("/login")
        too_big = bytes(attachments.request_body_limit(app.state.settings.cases) + 1)
        response = await client.post(
            "/language",
            data={"locale": "en"},
            files=[("attachments", ("huge.zip", too_big, "application/zip"))],
            headers=csrf_headers(client),
            follow_redirects=False,
        )
    assert response.status_code == 413
    assert "Too large" in response.text


@post("/upload", status_code=200)
async def upload_handler(request: Request[Any, Any, Any]) -> dict[str, Any]:
    try:
        checked = attachments.check_uploads(await uploads_from_request(request), CaseSettings(max_attachments=2))
    except AttachmentRejected as rejected:
        return {"error": rejected.message}
    return {"files": [[file.filename, file.content_type] for file in checked]}


async def test_several_files_arrive_under_one_field_name_and_an_empty_input_sends_none() -> None:
    async with AsyncTestClient(Litestar([upload_handler])) as client:
        several = await client.post(
            "/upload",
            data={"body": "hello"},
            files=[
                ("attachments", ("shot.pdf", sample_files.png(), "application/pdf")),  # the browser's claim is ignored
                ("attachments", ("../notes.txt", b"notes\n", "text/plain")),
            ],
        )
        assert several.json() == {"files": [["shot.pdf", "image/png"], ["notes.txt", "text/plain"]]}

        one = await client.post("/upload", files=[("attachments", ("a.txt", b"a\n", "text/plain"))])
        assert one.json() == {"files": [["a.txt", "text/plain"]]}

        # What a browser sends for a file input left empty: one part with an empty name and no bytes.
        empty = await client.post(
            "/upload", data={"body": "x"}, files=[("attachments", ("", b"", "application/octet-stream"))]
        )
        assert empty.json() == {"files": []}

        too_many = await client.post(
            "/upload", files=[("attachments", (f"{n}.txt", b"x\n", "text/plain")) for n in range(3)]
        )
        assert too_many.json() == {"error": "Attach at most 2 files."}
