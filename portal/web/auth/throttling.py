"""The rate limits of the sign-in, sign-up and reset forms, per IP address and per account (email address).

Per-IP sign-in attempts are limited by Litestar's `RateLimitConfig` on POST /login (see `login_rate_limit`);
everything else counts here, in the app's `rate_limit` store.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import TooManyRequestsException

from portal.services.throttle import Limit, Throttle
from portal.settings import Settings

HOUR = 3600


def sign_in_per_account(settings: Settings) -> Limit:
    return Limit("sign-in-account", settings.auth.account_rate_limit, HOUR)


def forms_per_ip(settings: Settings) -> Limit:
    return Limit("forms-ip", settings.security.form_rate_limit, HOUR)


def emails_per_address(settings: Settings) -> Limit:
    return Limit("emails-address", settings.auth.email_rate_limit, HOUR)


def throttle_of(request: Request[Any, Any, Any]) -> Throttle:
    return Throttle(request.app.stores.get("rate_limit"))


def client_address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


async def enforce(request: Request[Any, Any, Any], limit: Limit, key: str) -> None:
    """Count an attempt; over the limit, the visitor gets the "Too many attempts" page (429)."""
    if not await throttle_of(request).hit(limit, key):
        raise TooManyRequestsException()


async def allow(request: Request[Any, Any, Any], limit: Limit, key: str) -> bool:
    """Count an attempt and say whether it is within the limit, for callers that answer the same either way."""
    return await throttle_of(request).hit(limit, key)
