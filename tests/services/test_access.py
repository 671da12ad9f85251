"""The sharing rules, role by role and mode by mode, as pure decisions and as database filters."""

from __future__ import annotations

import pytest

from portal.db.tables import Role, SharingMode, User
from portal.services import access
from portal.services.access import Scope
from portal.services.users import CurrentUser
from tests.factories import make_account, make_user

ACCOUNT, OTHER_ACCOUNT = 10, 20
ME, COLLEAGUE, STRANGER = 1, 2, 3


def person(role: Role, account_id: int | None = ACCOUNT, user_id: int = ME) -> CurrentUser:
    return CurrentUser(id=user_id, email="me@example.com", name="Me", role=role, locale="en", account_id=account_id)


# What each user may see of: my own row, a colleague's row in my account, a row of another account.
# (role, mode) -> (mine, colleague's, other account's)
CASES = {
    (Role.contact, SharingMode.own): (True, False, False),
    (Role.contact, SharingMode.all_contacts): (True, True, False),
    (Role.contact, SharingMode.admins_only): (True, False, False),
    (Role.account_admin, SharingMode.own): (True, False, False),
    (Role.account_admin, SharingMode.all_contacts): (True, True, False),
    (Role.account_admin, SharingMode.admins_only): (True, True, False),
}
COLLEAGUES = {
    (Role.contact, SharingMode.own): (True, False, False),
    (Role.contact, SharingMode.all_contacts): (True, True, False),
    (Role.contact, SharingMode.admins_only): (True, False, False),
    (Role.account_admin, SharingMode.own): (True, True, False),
    (Role.account_admin, SharingMode.all_contacts): (True, True, False),
    (Role.account_admin, SharingMode.admins_only): (True, True, False),
}


def seen(scope: Scope) -> tuple[bool, bool, bool]:
    return (
        scope.allows(account_id=ACCOUNT, user_id=ME),
        scope.allows(account_id=ACCOUNT, user_id=COLLEAGUE),
        scope.allows(account_id=OTHER_ACCOUNT, user_id=STRANGER),
    )


@pytest.mark.parametrize(("role", "mode"), list(CASES))
def test_customer_case_scope(role: Role, mode: SharingMode) -> None:
    assert seen(access.decide_case_scope(person(role), mode)) == CASES[(role, mode)]


@pytest.mark.parametrize(("role", "mode"), list(COLLEAGUES))
def test_customer_colleague_scope(role: Role, mode: SharingMode) -> None:
    assert seen(access.decide_colleague_scope(person(role), mode)) == COLLEAGUES[(role, mode)]


@pytest.mark.parametrize("mode", [*SharingMode, None])
@pytest.mark.parametrize("role", [Role.agent, Role.manager, Role.admin])
def test_staff_see_everything_in_every_mode(role: Role, mode: SharingMode | None) -> None:
    staff = person(role, account_id=None)
    for decide in (access.decide_case_scope, access.decide_colleague_scope):
        scope = decide(staff, mode)
        assert scope.everything
        assert seen(scope) == (True, True, True)
    assert access.may_open_account(staff, OTHER_ACCOUNT)


@pytest.mark.parametrize("mode", [*SharingMode, None])
def test_a_prospect_sees_only_their_own_rows_outside_any_account(mode: SharingMode | None) -> None:
    prospect = person(Role.prospect, account_id=None)
    for decide in (access.decide_case_scope, access.decide_colleague_scope):
        scope = decide(prospect, mode)
        assert scope.allows(account_id=None, user_id=ME)
        assert not scope.allows(account_id=None, user_id=STRANGER)
        assert seen(scope) == (False, False, False)
    assert not access.may_open_account(prospect, ACCOUNT)


@pytest.mark.parametrize("role", [Role.contact, Role.account_admin])
def test_customers_open_only_their_own_account(role: Role) -> None:
    assert access.may_open_account(person(role), ACCOUNT)
    assert not access.may_open_account(person(role), OTHER_ACCOUNT)


@pytest.mark.parametrize(("role", "mode"), list(COLLEAGUES))
async def test_the_database_filter_agrees_with_the_rule(migrated_database: str, role: Role, mode: SharingMode) -> None:
    """`Scope.where` (what list queries use) and `Scope.allows` (what loaders use) say the same."""
    mine = await make_account(sharing_mode=mode.value)
    other = await make_account()
    me = await make_user(role, account_id=mine.id)
    colleague = await make_user(Role.contact, account_id=mine.id)
    stranger = await make_user(Role.contact, account_id=other.id)
    await make_user(Role.prospect)

    scope = await access.colleague_scope(me)
    where = scope.where(User.account, User.id)
    query = User.select(User.id)
    rows = await (query.where(where) if where is not None else query)
    visible = {row["id"] for row in rows}
    expected = COLLEAGUES[(role, mode)]
    assert (me.id in visible, colleague.id in visible, stranger.id in visible) == expected


async def test_case_scope_reads_the_account_s_sharing_mode(migrated_database: str) -> None:
    account = await make_account(sharing_mode=SharingMode.all_contacts.value)
    contact = await make_user(Role.contact, account_id=account.id)
    assert await access.case_scope(contact) == Scope(account_id=account.id)
    await account.update_self({"sharing_mode": SharingMode.own.value})
    assert await access.case_scope(contact) == Scope(account_id=account.id, user_ids=frozenset({contact.id}))
