"""The navigation bar: what each kind of visitor sees. Features add their entries to `NAVIGATION`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from babel.support import LazyProxy
from litestar.connection import ASGIConnection

from portal.i18n import lazy_gettext as _l


class Audience(Enum):
    everyone = "everyone"
    anonymous = "anonymous"
    customer = "customer"
    staff = "staff"


@dataclass(frozen=True)
class NavItem:
    label: LazyProxy
    path: str
    audience: Audience

    def is_current(self, request_path: str) -> bool:
        return request_path == self.path or (self.path != "/" and request_path.startswith(self.path + "/"))


NAVIGATION: list[NavItem] = [
    NavItem(_l("Home"), "/", Audience.everyone),
    NavItem(_l("My account"), "/account", Audience.customer),
    NavItem(_l("Back office"), "/backoffice", Audience.staff),
    NavItem(_l("Team"), "/team", Audience.customer),
]


def audience_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Audience:
    user = connection.scope.get("user")
    if user is None:
        return Audience.anonymous
    return Audience.staff if user.is_staff else Audience.customer


def nav_items(connection: ASGIConnection[Any, Any, Any, Any]) -> list[NavItem]:
    audience = audience_of(connection)
    return [item for item in NAVIGATION if item.audience in (Audience.everyone, audience)]
