"""The navigation bar: entries from every plugin's `portal_nav_items`, the core's first (this module is the
core's navigation plugin). Features add their entries to `NAVIGATION`; a plugin returns its own."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from babel.support import LazyProxy
from litestar.connection import ASGIConnection

from portal.i18n import lazy_gettext as _l
from portal.plugins import hookimpl
from portal.plugins.manager import call_all_sync


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
    NavItem(_l("My account"), "/account", Audience.customer),
    NavItem(_l("Back office"), "/backoffice", Audience.staff),
    NavItem(_l("Team"), "/team", Audience.customer),
]


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
