"""Who may see what of an account: the one place the sharing rules live.

Cases come later; their list and their loader will ask `case_scope(user)` and filter with `Scope.where`, exactly
as the team pages already do with `colleague_scope(user)`. The rules, per role and `Account.sharing_mode`:

| who           | cases: own     | cases: all_contacts | cases: admins_only | colleagues (people of the account) |
|---------------|----------------|---------------------|--------------------|------------------------------------|
| staff         | every case     | every case          | every case         | everyone, every account            |
| account admin | their own      | the account's       | the account's      | the account's, in every mode       |
| contact       | their own      | the account's       | their own          | the account's in all_contacts only |
| prospect      | their own cases (they have no account)                   | only themselves                    |

`own` is the strictest mode, for accounts whose people must not read each other's requests (a private person's
household, a firm of independent professionals): there even the account admin sees only their own cases, or
`admins_only` would mean the same thing. Account admins still see their colleagues in every mode, because they
invite and deactivate them. Contacts see colleagues only when the account shares cases with all contacts:
knowing who else works with us is part of seeing their cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from piccolo.columns import Column
from piccolo.custom_types import Combinable

from portal.db.tables import Account, Role, SharingMode
from portal.services.users import CurrentUser


@dataclass(frozen=True, slots=True)
class Scope:
    """Rows a user may see: everything (staff), or rows of one account, optionally only those of some users.

    `account_id=None` with `user_ids` means rows that belong to no account (a prospect's own).
    """

    everything: bool = False
    account_id: int | None = None
    user_ids: frozenset[int] | None = None  # None: by anyone in the account

    def allows(self, *, account_id: int | None, user_id: int | None) -> bool:
        if self.everything:
            return True
        if account_id != self.account_id:
            return False
        return self.user_ids is None or user_id in self.user_ids

    def where(self, account_column: Column, user_column: Column) -> Combinable | None:
        """The same rule as a Piccolo filter; None when nothing needs filtering."""
        if self.everything:
            return None
        by_account: Any = account_column.is_null() if self.account_id is None else (account_column == self.account_id)
        if self.user_ids is None:
            return by_account  # type: ignore[no-any-return]
        return by_account & user_column.is_in(sorted(self.user_ids))  # type: ignore[no-any-return]


EVERYTHING = Scope(everything=True)


def _own(user: CurrentUser) -> Scope:
    return Scope(account_id=user.account_id, user_ids=frozenset({user.id}))


def decide_case_scope(user: CurrentUser, mode: SharingMode | None) -> Scope:
    """The cases `user` may see, given their account's sharing mode (None when they have no account)."""
    if user.is_staff:
        return EVERYTHING
    if user.account_id is None or mode is None or user.role == Role.prospect:
        return _own(user)
    if mode == SharingMode.all_contacts or (mode == SharingMode.admins_only and user.role == Role.account_admin):
        return Scope(account_id=user.account_id)
    return _own(user)


def decide_colleague_scope(user: CurrentUser, mode: SharingMode | None) -> Scope:
    """The people of an account `user` may list and open."""
    if user.is_staff:
        return EVERYTHING
    if user.account_id is None or mode is None or user.role == Role.prospect:
        return _own(user)
    if user.role == Role.account_admin or mode == SharingMode.all_contacts:
        return Scope(account_id=user.account_id)
    return _own(user)


def account_scope(user: CurrentUser) -> Scope:
    """The accounts `user` may open: staff any, a customer their own, a prospect none (account_id None)."""
    return EVERYTHING if user.is_staff else Scope(account_id=user.account_id)


def may_open_account(user: CurrentUser, account_id: int) -> bool:
    return account_scope(user).allows(account_id=account_id, user_id=None)


async def sharing_mode_of(account_id: int | None) -> SharingMode | None:
    if account_id is None:
        return None
    row = await Account.select(Account.sharing_mode).where(Account.id == account_id).first()
    return SharingMode(row["sharing_mode"]) if row else None


async def case_scope(user: CurrentUser) -> Scope:
    """What later features call before listing or opening cases."""
    return decide_case_scope(user, await sharing_mode_of(user.account_id))


async def colleague_scope(user: CurrentUser) -> Scope:
    return decide_colleague_scope(user, await sharing_mode_of(user.account_id))
