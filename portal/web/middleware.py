"""What every HTTP request gets, matched route or not: a request id, a language, security headers, an access log.

Litestar applies app-level middleware per route handler, so a 404 for an unknown path would skip it. This
wraps the app's whole ASGI handler instead (see `create_app`), so error pages are logged, translated and
protected like every other page.
"""

from __future__ import annotations

import re
import time
import uuid
from http.cookies import CookieError, SimpleCookie

import structlog
from litestar.datastructures import FormMultiDict, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.types.empty import Empty
from litestar.utils.scope.state import ScopeState

from portal import i18n
from portal.settings import Settings

log = structlog.get_logger("portal.access")

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def security_headers(settings: Settings) -> dict[str, str]:
    headers = {
        "content-security-policy": CONTENT_SECURITY_POLICY,
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "strict-origin-when-cross-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
        "cross-origin-opener-policy": "same-origin",
    }
    if settings.uses_https and settings.security.hsts:
        headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"
    return headers


def request_locale(headers: dict[str, str], default: str) -> str:
    """The visitor's remembered choice, else the browser's preference, else the default."""
    try:
        cookie = SimpleCookie(headers.get("cookie", ""))
    except CookieError:
        cookie = SimpleCookie()
    chosen = cookie.get(i18n.LOCALE_COOKIE)
    if chosen is not None and chosen.value in i18n.LOCALES:
        return chosen.value
    return i18n.negotiate(headers.get("accept-language"), default)


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.default_locale = settings.i18n.default_locale
        self.headers = [(name.encode(), value.encode()) for name, value in security_headers(settings).items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        offered = headers.get("x-request-id", "")
        request_id = offered if _SAFE_REQUEST_ID.match(offered) else uuid.uuid4().hex
        locale = request_locale(headers, self.default_locale)
        i18n.set_locale(locale)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        scope["state"]["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = MutableScopeHeaders.from_message(message)
                for name, value in self.headers:
                    if name.decode() not in response_headers:
                        response_headers.add(name.decode(), value.decode())
                response_headers["x-request-id"] = request_id
                response_headers["content-language"] = i18n.current_locale()
                response_headers.extend_header_value("vary", "Accept-Language, Cookie")
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            await close_uploaded_files(scope)
            log.info(
                "request",
                method=scope.get("method"),
                path=scope["path"],
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )


async def close_uploaded_files(scope: Scope) -> None:
    """Litestar closes a parsed form's temporary files once the route has run; when the CSRF check or a guard
    refuses the request before that, nobody would, and each refused upload would hold a file until collected."""
    form = ScopeState.from_scope(scope).form
    if form is not Empty:
        await FormMultiDict.from_form_data(form).close()
