"""The API's errors, all in the one JSON shape the rest of `/api/` uses (see `portal.web.errors.handlers`):

{"error": {"status": 422, "code": "invalid", "message": "...", "fields": {"subject": "This field is required."}}}

Codes for authentication follow RFC 6750 (`invalid_token`, `insufficient_scope`), so that OAuth-aware clients
recognise them; the rest match the codes the app's own error handler uses for the same status.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example

from portal.i18n import gettext as _
from portal.services.attachments import AttachmentRejected
from portal.services.cases import CaseInputError, CaseNotFound
from portal.web.errors.handlers import error_response

REALM = 'Bearer realm="portal"'


class ApiError(Exception):
    """An answer other than success, with its own code and message; raised by guards and handlers alike."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = headers or {}


def invalid(fields: dict[str, str]) -> ApiError:
    return ApiError(422, "invalid", _("Some of what you sent could not be accepted."), fields=fields)


def not_found(message: str | None = None) -> ApiError:
    return ApiError(404, "not_found", message or _("There is no such case, or this token may not see it."))


class ErrorDetail(msgspec.Struct):
    status: int
    code: str
    message: str
    fields: dict[str, str] | None = None


class ErrorBody(msgspec.Struct):
    """Every error the API returns."""

    error: ErrorDetail


def respond(error: ApiError) -> Response[Any]:
    body: dict[str, Any] = {"status": error.status, "code": error.code, "message": error.message}
    if error.fields:
        body["fields"] = error.fields
    return Response({"error": body}, status_code=error.status, media_type=MediaType.JSON, headers=error.headers)


_NAMED_FIELD = re.compile(r"field `([^`]{1,100})`")


def _field_error(item: dict[str, Any]) -> tuple[str, str]:
    """A decoding error as (field, translated message). Errors about the whole body name the field in the text."""
    message = str(item.get("message", ""))
    key = str(item.get("key") or "body")
    if key == "data":
        named = _NAMED_FIELD.search(message)
        key = named.group(1) if named else "body"
    if "missing required" in message:
        return key, _("This field is required.")
    if "unknown field" in message:
        return key, _("This field is not accepted here.")
    return key, _("This value is not valid.")


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Litestar's own errors: body decoding (400) and validation (turned into 422 with the fields named)."""
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list) and exc.extra:
        return respond(invalid(dict(_field_error(item) for item in exc.extra if isinstance(item, dict))))
    if exc.status_code == 400:
        return respond(ApiError(400, "bad_request", _("The request body is not valid JSON.")))
    return error_response(request, exc.status_code, str(exc.detail))


API_EXCEPTION_HANDLERS: dict[Any, Any] = {
    ApiError: lambda _request, exc: respond(exc),
    CaseInputError: lambda _request, exc: respond(invalid(exc.errors)),
    AttachmentRejected: lambda _request, exc: respond(invalid({"attachments": exc.message})),
    CaseNotFound: lambda _request, _exc: respond(not_found()),
    HTTPException: handle_http_exception,
}


def _example(status: int, code: str, message: str, fields: dict[str, str] | None = None) -> Example:
    detail: dict[str, Any] = {"status": status, "code": code, "message": message}
    if fields:
        detail["fields"] = fields
    return Example(summary=code, value={"error": detail})


UNAUTHORIZED = ResponseSpec(
    ErrorBody,
    description="No token, or a token that is unknown, revoked or expired (with `WWW-Authenticate: Bearer`).",
    examples=[_example(401, "invalid_token", "This API token is not valid.")],
    generate_examples=False,
)
FORBIDDEN = ResponseSpec(
    ErrorBody,
    description="The token lacks the scope this operation needs.",
    examples=[_example(403, "insufficient_scope", "This API token lacks the scope cases:write.")],
    generate_examples=False,
)
NOT_FOUND = ResponseSpec(
    ErrorBody,
    description="No case by that number that the token may see.",
    examples=[_example(404, "not_found", "There is no such case, or this token may not see it.")],
    generate_examples=False,
)
INVALID = ResponseSpec(
    ErrorBody,
    description="The request was understood, but some fields are not acceptable; `fields` says which.",
    examples=[
        _example(
            422,
            "invalid",
            "Some of what you sent could not be accepted.",
            {"subject": "This field is required.", "requester_email": "There is no customer with this email."},
        )
    ],
    generate_examples=False,
)
BAD_REQUEST = ResponseSpec(
    ErrorBody,
    description="The body is not valid JSON.",
    examples=[_example(400, "bad_request", "The request body is not valid JSON.")],
    generate_examples=False,
)
TOO_MANY = ResponseSpec(
    ErrorBody,
    description="Too many requests with this token in the last minute (see `Retry-After`).",
    examples=[_example(429, "too_many_requests", "Too many requests. Please wait a minute and try again.")],
    generate_examples=False,
)
READ_ERRORS = {401: UNAUTHORIZED, 403: FORBIDDEN, 429: TOO_MANY}
WRITE_ERRORS = READ_ERRORS | {400: BAD_REQUEST, 422: INVALID}
