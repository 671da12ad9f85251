"""The navigation bar: entries from every plugin's `portal_nav_items`, the core's first (this module is the
core's navigation plugin). Features add their entries to `NAVIGATION`; a plugin returns its own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from enum import Enum
from typing import Any

from babel.support import LazyProxy
from litestar.connection import ASGIConnection
from litestar.response import Response, Template
from litestar.types import ASGIApp, Receive, Scope, Send

from portal.i18n import lazy_gettext as _l
from portal.plugins import hookimpl
from portal.plugins.manager import call_all_sync
from portal.services import case_reads
from portal.services.users import CurrentUser


class Audience(Enum):
    everyone = "everyone"
    anonymous = "anonymous"
    customer = "customer"
    staff = "staff"


@dataclass(frozen=True)
class NavItem:
    label: str | LazyProxy  # lazy_gettext, so it shows in the visitor's language
    path: str
    audience: Audience = Audience.everyone

    def is_current(self, request_path: str) -> bool:
        return request_path == self.path or (self.path != "/" and request_path.startswith(self.path + "/"))


NAVIGATION: list[NavItem] = [
    NavItem(_l("Home"), "/", Audience.everyone),
    NavItem(_l("Knowledge base"), "/kb", Audience.everyone),
    NavItem(_l("My account"), "/account", Audience.customer),
    NavItem(_l("My cases"), "/cases", Audience.customer),
    NavItem(_l("Contracts"), "/contracts", Audience.customer),
    NavItem(_l("Back office"), "/backoffice", Audience.staff),
    NavItem(_l("Cases"), "/backoffice/cases", Audience.staff),
    NavItem(_l("Articles"), "/backoffice/kb", Audience.staff),
    NavItem(_l("Contracts"), "/backoffice/contracts", Audience.staff),
    NavItem(_l("Team"), "/team", Audience.customer),
]

BadgeCounter = Callable[[CurrentUser], Awaitable[int]]

# A number beside an entry, by the entry's path: what is new there for the visitor (unread cases). Counted
# only for signed-in visitors, for pages rendered whole, and for the entries they see.
NAV_BADGES: dict[str, BadgeCounter] = {
    "/cases": case_reads.unread_count_for_customer,
    "/backoffice/cases": case_reads.agent_badge,
}

_scope: ContextVar[Scope | None] = ContextVar("portal_nav_scope", default=None)


@hookimpl(tryfirst=True)
def portal_nav_items() -> list[NavItem]:
    """The core's entries, ahead of every plugin's."""
    return NAVIGATION


def audience_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Audience:
    user = connection.scope.get("user")
    if user is None:
        return Audience.anonymous
    return Audience.staff if user.is_staff else Audience.customer


def nav_items(connection: ASGIConnection[Any, Any, Any, Any]) -> list[NavItem]:
    """What this visitor's navigation bar shows: every plugin's entries for their audience, in plugin order."""
    portal = connection.app.state.portal
    results = call_all_sync(portal.plugins, "portal_nav_items", convert=_nav_list, request=connection, portal=portal)
    audience = audience_of(connection)
    return [item for items in results for item in items if item.audience in (Audience.everyone, audience)]


def _nav_list(result: Iterable[Any]) -> list[NavItem]:
    items = list(result)
    if not all(isinstance(item, NavItem) for item in items):
        raise TypeError("portal_nav_items must return NavItem objects")
    return items


def remember_scope(app: ASGIApp) -> ASGIApp:
    """App middleware: lets `count_badges`, which Litestar hands only the response, see whose page it is. A
    middleware rather than a `before_request` hook, which a controller's own hook would replace."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        token = _scope.set(scope)
        try:
            await app(scope, receive, send)
        finally:
            _scope.reset(token)

    return middleware


async def count_badges(response: Response[Any]) -> Response[Any]:
    """The app's `after_request` hook: the counts `nav_badge()` shows, for a page about to be rendered. After the
    handler, so that a case it has just marked as seen no longer counts."""
    scope = _scope.get()
    if scope is None or scope.get("user") is None or not isinstance(response, Template):
        return response
    connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
    if not _is_fragment(connection):
        wanted = dict.fromkeys(item.path for item in nav_items(connection) if item.path in NAV_BADGES)
        scope["state"]["nav_badges"] = {path: await NAV_BADGES[path](scope["user"]) for path in wanted}
    return response


def nav_badge(connection: ASGIConnection[Any, Any, Any, Any], item: NavItem) -> int:
    return int(connection.scope["state"].get("nav_badges", {}).get(item.path, 0))


def _is_fragment(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """An htmx request swaps part of a page, which has no navigation bar; a boosted one replaces the page."""
    return connection.headers.get("hx-request") == "true" and connection.headers.get("hx-boosted") != "true"
