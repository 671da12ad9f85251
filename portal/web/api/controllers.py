"""`/api/v1`: list, read, open, reply to and change the status of cases, and download their files, with a token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body, FromPath, FromQuery, PathParameter, QueryParameter

from portal.db.tables import CaseStatus, Priority
from portal.i18n import gettext as _
from portal.services import attachments, case_actions, case_details, case_feed, cases
from portal.services.api_tokens import Authenticated, Scope
from portal.services.case_actions import CaseChanges
from portal.services.case_feed import FeedCursor, FeedFilter, NewCaseFor
from portal.web.api import schemas
from portal.web.api.auth import SCOPE_OPT, current_token
from portal.web.api.errors import INVALID, NOT_FOUND, READ_ERRORS, WRITE_ERRORS, invalid, not_found
from portal.web.api.schemas import (
    CaseDetailOut,
    CaseOut,
    CasePageOut,
    NewCaseIn,
    ReplyIn,
    ReplyOut,
    StatusIn,
)
from portal.web.attachments.controllers import FILE_POLICY, content_disposition

AnyRequest = Request[Any, Any, Any]
READ = {SCOPE_OPT: Scope.cases_read}
WRITE = {SCOPE_OPT: Scope.cases_write}
Token = NamedDependency[Authenticated]
Number = Annotated[str, PathParameter(description="The case number, e.g. C-2026-000123.", max_length=20)]


def _ok(example: Any, data: Any, description: str) -> ResponseSpec:
    return ResponseSpec(data, description=description, examples=[example], generate_examples=False)


def provide_token(request: AnyRequest) -> Authenticated:
    return current_token(request)


async def load_case(token: Token, number: Number) -> dict[str, Any]:
    """The case numbered `number` if the token's agent may see it; `CaseNotFound` (a 404) otherwise."""
    return await cases.visible_case(token.user, number=number)


class CaseApiController(Controller):
    path = "/cases"
    tags = ["Cases"]
    dependencies = {"token": Provide(provide_token, sync_to_thread=False), "case": Provide(load_case)}

    @get(
        "/",
        opt=READ,
        summary="List cases",
        description="Cases the token's agent may see, oldest change first, in pages of `limit` (at most 100).",
        responses={
            200: _ok(schemas.PAGE_EXAMPLE, CasePageOut, "A page of cases."),
            **READ_ERRORS,
            422: INVALID,
        },
    )
    async def list_cases(
        self,
        token: Token,
        status: FromQuery[CaseStatus | None] = None,
        priority: FromQuery[Priority | None] = None,
        account_id: Annotated[int | None, QueryParameter(gt=0)] = None,
        requester_email: Annotated[str | None, QueryParameter(max_length=254)] = None,
        updated_since: Annotated[datetime | None, QueryParameter(description="ISO 8601, with a time zone.")] = None,
        cursor: Annotated[str | None, QueryParameter(description="`next_cursor` of the previous page.")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=case_feed.MAX_LIMIT)] = 50,
    ) -> CasePageOut:
        after = FeedCursor.decode(cursor) if cursor else None
        if cursor and after is None:
            raise invalid({"cursor": _("This value is not valid.")})
        if updated_since is not None and updated_since.tzinfo is None:
            updated_since = updated_since.replace(tzinfo=UTC)
        filters = FeedFilter(status, priority, account_id, requester_email, updated_since)
        page = await case_feed.page(token.user, filters, after=after, limit=limit)
        next_cursor = page.next_cursor.encode() if page.next_cursor else None
        return CasePageOut(items=[schemas.case_out(row) for row in page.rows], next_cursor=next_cursor)

    @get(
        "/{number:str}",
        opt=READ,
        summary="Get a case",
        description="The case with its description, public messages and internal notes, and attachment metadata.",
        responses={200: _ok(schemas.DETAIL_EXAMPLE, CaseDetailOut, "The case."), 404: NOT_FOUND, **READ_ERRORS},
    )
    async def get_case(self, request: AnyRequest, token: Token, number: Number) -> CaseDetailOut:
        settings = request.app.state.settings
        details = await case_details.load(token.user, number, settings.cases, now=datetime.now(UTC))
        return schemas.case_detail_out(await case_feed.one(details.case["id"]), details)

    @post(
        "/",
        opt=WRITE,
        summary="Open a case for a customer",
        description="Opens the case as the customer named by `requester_email` (an active customer or prospect), "
        "on channel `api`. The customer is emailed as if they had opened it themselves. Files may come along, "
        "base64-encoded, within the same limits as in the portal.",
        responses={201: _ok(schemas.CASE_EXAMPLE, CaseOut, "The new case; `Location` is its URL."), **WRITE_ERRORS},
    )
    async def create_case(
        self,
        request: AnyRequest,
        token: Token,
        data: Annotated[NewCaseIn, Body(examples=[schemas.NEW_CASE_EXAMPLE])],
    ) -> Response[CaseOut]:
        files = attachments.check_uploads(schemas.uploads(data.attachments), request.app.state.settings.cases)
        fields = {field: getattr(data, field) for field in data.__struct_fields__ if field != "attachments"}
        ref = await case_feed.open_for(
            NewCaseFor(**fields), files, mailer=request.app.state.mailer, store=request.app.state.attachments
        )
        case = schemas.case_out(await case_feed.one(ref.id))
        return Response(case, status_code=201, headers={"Location": f"/api/v1/cases/{ref.number}"})

    @post(
        "/{number:str}/replies",
        opt=WRITE,
        status_code=201,
        summary="Reply to a case",
        description="Adds a message authored by the token's agent: public (the customer is emailed) or, with "
        "`internal: true`, a note only staff see.",
        responses={
            201: _ok(schemas.REPLY_OUT_EXAMPLE, ReplyOut, "The reply was added."),
            404: NOT_FOUND,
            **WRITE_ERRORS,
        },
    )
    async def reply(
        self,
        request: AnyRequest,
        token: Token,
        case: NamedDependency[dict[str, Any]],
        data: Annotated[ReplyIn, Body(examples=[schemas.REPLY_EXAMPLE])],
    ) -> ReplyOut:
        files = attachments.check_uploads(schemas.uploads(data.attachments), request.app.state.settings.cases)
        message_id = await cases.reply(
            token.user,
            case["id"],
            data.body,
            files,
            mailer=request.app.state.mailer,
            store=request.app.state.attachments,
            internal=data.internal,
            via="api",
        )
        return ReplyOut(message_id=message_id, case=schemas.case_out(await case_feed.one(case["id"])))

    @post(
        "/{number:str}/status",
        opt=WRITE,
        status_code=200,
        summary="Change a case's status",
        responses={200: _ok(schemas.CASE_EXAMPLE, CaseOut, "The case as it is now."), 404: NOT_FOUND, **WRITE_ERRORS},
    )
    async def change_status(
        self,
        request: AnyRequest,
        token: Token,
        case: NamedDependency[dict[str, Any]],
        data: Annotated[StatusIn, Body(examples=[schemas.STATUS_EXAMPLE])],
    ) -> CaseOut:
        await case_actions.change(
            token.user, case["id"], CaseChanges(status=data.status), mailer=request.app.state.mailer
        )
        return schemas.case_out(await case_feed.one(case["id"]))


class AttachmentApiController(Controller):
    path = "/attachments"
    tags = ["Cases"]
    dependencies = {"token": Provide(provide_token, sync_to_thread=False)}

    @get(
        "/{attachment_id:int}",
        opt=READ,
        summary="Download an attachment",
        description="The file's bytes, with its type and name; `id` comes from a case's attachment metadata.",
        media_type="application/octet-stream",
        responses={404: NOT_FOUND, **READ_ERRORS},
    )
    async def download(self, request: AnyRequest, token: Token, attachment_id: FromPath[int]) -> Response[bytes]:
        found = await attachments.visible_to(token.user, attachment_id)
        if found is None:
            raise not_found(_("There is no such attachment, or this token may not see it."))
        try:
            data = await request.app.state.attachments.read(found.storage_key)
        except FileNotFoundError:
            raise not_found(_("There is no such attachment, or this token may not see it.")) from None
        headers = {
            "Content-Disposition": content_disposition("attachment", found.filename),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": FILE_POLICY,
        }
        return Response(content=data, media_type=found.content_type, headers=headers)
