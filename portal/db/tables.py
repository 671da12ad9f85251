"""Every table of the portal, in one place. Split into a package when it grows past a screenful per domain.

Foreign keys always say what happens on delete: Piccolo's default is CASCADE, which silently deletes children.
"""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import Boolean, ForeignKey, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Role(StrEnum):
    """Who a user is. Customer roles first, staff roles after, in rising order of power."""

    prospect = "prospect"
    contact = "contact"
    account_admin = "account_admin"
    agent = "agent"
    manager = "manager"
    admin = "admin"

    @property
    def is_staff(self) -> bool:
        return self in STAFF_ROLES


STAFF_ROLES = frozenset({Role.agent, Role.manager, Role.admin})


class Account(Table):
    """A customer: a company or a private person."""

    id: Serial  # added by Piccolo; declared for type checkers

    name = Varchar(length=200)
    domain = Varchar(length=200, null=True, default=None, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class User(Table, tablename="portal_user"):
    """Anyone who signs in: a prospect, a customer's contact, or staff."""

    id: Serial

    email = Varchar(length=254, unique=True)  # stored lower-cased
    name = Varchar(length=200)
    password_hash = Varchar(length=200, null=True, default=None)
    role = Varchar(length=20, choices=Role, default=Role.prospect)
    locale = Varchar(length=10, default="en")
    is_active = Boolean(default=True)
    account = ForeignKey(references=Account, null=True, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)
