"""Every error ends as a page in the visitor's language, or, under `/api/`, as one JSON shape:

{"error": {"status": 404, "code": "not_found", "message": "...", "fields": {"email": "..."}}}
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from portal.i18n import gettext as _

log = structlog.get_logger("portal.errors")

CSRF_FAILURE = "CSRF token verification failed"
EMAIL_NOT_VERIFIED = "email not verified"  # raised by guards.requires_verified

_CODES = {
    400: "bad_request",
    401: "not_signed_in",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    422: "invalid",
    429: "too_many_requests",
    500: "server_error",
    503: "unavailable",
}


def _explanation(status: int, detail: str) -> tuple[str, str]:
    """Title and sentence for a status, translated at the moment the page is shown."""
    if detail == CSRF_FAILURE:
        return _("This form has expired"), _("Go back, reload the page and send the form again.")
    if detail == EMAIL_NOT_VERIFIED:
        return _("Please confirm your email address"), _(
            "Open the link we emailed you first. Your profile page can send a new one."
        )
    texts = {
        400: (_("Bad request"), _("The request could not be understood.")),
        401: (_("Please sign in"), _("You need to sign in to see this page.")),
        403: (_("Access denied"), _("You do not have permission to see this page.")),
        404: (_("Page not found"), _("The page you asked for does not exist or has moved.")),
        405: (_("Not allowed"), _("This page cannot be used that way.")),
        413: (_("Too large"), _("What you sent is larger than we accept.")),
        422: (_("Please check your input"), _("Some of what you sent could not be accepted.")),
        429: (_("Too many attempts"), _("Please wait a minute and try again.")),
        503: (_("Temporarily unavailable"), _("Please try again in a few minutes.")),
    }
    return texts.get(status, (_("Something went wrong"), _("We could not complete your request. Please try again.")))


def wants_json(request: Request[Any, Any, Any]) -> bool:
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(request: Request[Any, Any, Any], status: int, detail: str = "", fields: Any = None) -> Response[Any]:
    title, message = _explanation(status, detail)
    if wants_json(request):
        body: dict[str, Any] = {"status": status, "code": _CODES.get(status, "error"), "message": message}
        if fields:
            body["fields"] = fields
        return Response({"error": body}, status_code=status, media_type=MediaType.JSON)
    context = {"status": status, "title": title, "message": message, "request_id": request.state.get("request_id")}
    return Template("errors/error.html", context=context, status_code=status)


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, NotAuthorizedException) and not wants_json(request):
        return _to_sign_in(request)
    fields = None
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        fields = {
            str(item.get("key", "")): str(item.get("message", "")) for item in exc.extra if isinstance(item, dict)
        }
    return error_response(request, exc.status_code, str(exc.detail), fields)


def handle_server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.error("unhandled error", path=request.url.path, exc_info=exc)
    return error_response(request, HTTP_500_INTERNAL_SERVER_ERROR)


def _to_sign_in(request: Request[Any, Any, Any]) -> Response[Any]:
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = "/login?" + urlencode({"next": wanted})
    if request.headers.get("hx-request"):  # htmx would swap the login page into a fragment
        return Response(None, status_code=204, headers={"HX-Redirect": target})
    return Redirect(target, status_code=303)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    HTTPException: handle_http_exception,
    HTTP_500_INTERNAL_SERVER_ERROR: handle_server_error,
}
