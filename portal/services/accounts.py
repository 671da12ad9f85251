"""Accounts and the people in them, as staff manage them: search, details, sharing mode, linking, roles."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from piccolo.query.functions.aggregate import Count

from portal.db import engine as db_engine
from portal.db.tables import STAFF_ROLES, Account, AccountKind, Role, SharingMode, User
from portal.i18n import gettext as _
from portal.services import audit
from portal.services.audit import AuditKind, Origin
from portal.services.users import CurrentUser

PAGE_SIZE = 25
MAX_ID = 2**31 - 1  # ids beyond a 32-bit integer name no row; asking PostgreSQL would be an error
DOMAIN_PATTERN = re.compile(r"^(?=.{1,200}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")

T = TypeVar("T")


class Refused(Exception):
    """A request the rules do not allow; `message` says why, in the user's language, ready to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int
    total: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def transaction() -> Any:
    engine = db_engine.current()
    assert engine is not None, "the database is bound by create_app"
    return db_engine.write_transaction(engine)


def locking(query: Any) -> Any:
    engine = db_engine.current()
    assert engine is not None
    return db_engine.for_update(query, engine)


def valid_id(value: int) -> bool:
    return 0 < value <= MAX_ID


def typed_text(text: str) -> str:
    """Text as typed, trimmed, without NUL bytes: they mean nothing in text and PostgreSQL refuses to store one."""
    return text.replace("\x00", "").strip()


def parse_id(text: str) -> int | None:
    """The id typed in `text`, or None. Only ASCII digits: `str.isdigit` also accepts "²", which `int` refuses,
    and the range keeps PostgreSQL's integer columns from overflowing."""
    return int(text) if text.isascii() and text.isdigit() and valid_id(int(text)) else None


def normalise_domain(domain: str | None) -> str | None:
    """`@Acme.Example ` -> `acme.example`; empty -> None. Raises ValueError for something that is not a domain."""
    value = (domain or "").strip().lower().removeprefix("@")
    if not value:
        return None
    if not DOMAIN_PATTERN.match(value):
        raise ValueError(_("Enter a domain such as example.com, without http:// or @."))
    return value


def _page_number(number: int, total: int) -> int:
    return min(max(number, 1), max(1, math.ceil(total / PAGE_SIZE)))


# --- Accounts -----------------------------------------------------------------------------------------------


async def search_accounts(query: str = "", page: int = 1) -> Page[dict[str, Any]]:
    """Accounts whose name or domain contains `query`, by name, one page at a time, with their contact counts."""
    where: Any = None
    if text := query.strip():
        where = _contains(Account.name, text) | _contains(Account.domain, text)
    count = Account.count()
    select = Account.select().order_by(Account.name).order_by(Account.id)
    if where is not None:
        count, select = count.where(where), select.where(where)
    total = await count
    number = _page_number(page, total)
    rows = await select.limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)
    counts = await _contact_counts([row["id"] for row in rows])
    items = [row | {"contacts": counts.get(row["id"], 0)} for row in rows]
    return Page(items=items, number=number, total=total)


def _contains(column: Any, text: str) -> Any:
    """Case-insensitive "contains": ILIKE on PostgreSQL; SQLite has none, and its LIKE ignores (ASCII) case."""
    # Piccolo has no ESCAPE clause; `%` and `_` typed by staff are rare enough to simply drop.
    pattern = "%" + text.replace("%", "").replace("_", "") + "%"
    engine = db_engine.current()
    return column.like(pattern) if engine is not None and db_engine.is_sqlite(engine) else column.ilike(pattern)


async def _contact_counts(account_ids: list[int]) -> dict[int, int]:
    if not account_ids:
        return {}
    rows = await (
        User.select(User.account, Count(alias="n"))
        .where(User.account.is_in(account_ids) & User.is_active.eq(True))
        .group_by(User.account)
    )
    return {row["account"]: row["n"] for row in rows}


async def get_account(account_id: int) -> dict[str, Any] | None:
    if not valid_id(account_id):
        return None
    return await Account.select().where(Account.id == account_id).first()


async def people_of(account_id: int, *, include_inactive: bool = True) -> list[dict[str, Any]]:
    where: Any = User.account == account_id
    if not include_inactive:
        where &= User.is_active.eq(True)
    return await _people().where(where).order_by(User.name)  # type: ignore[no-any-return]


def _people() -> Any:
    return User.select(
        User.id,
        User.email,
        User.name,
        User.role,
        User.locale,
        User.is_active,
        User.account,
        User.account.name.as_alias("account_name"),
        User.likely_account,
        User.likely_account.name.as_alias("likely_account_name"),
        User.company_name,
        User.created_at,
    )


async def create_account(*, name: str, kind: AccountKind, domain: str | None) -> int:
    account = Account(name=name.strip(), kind=kind.value, domain=normalise_domain(domain))
    await account.save()
    return int(account.id)


async def update_account(account_id: int, *, name: str, kind: AccountKind, domain: str | None) -> None:
    if await get_account(account_id) is None:
        raise Refused(_("This account does not exist."))
    await Account.update(
        {Account.name: name.strip(), Account.kind: kind.value, Account.domain: normalise_domain(domain)}
    ).where(Account.id == account_id)


async def set_sharing_mode(actor: CurrentUser, account_id: int, mode: SharingMode, *, origin: Origin) -> bool:
    """Change who sees the account's cases (managers and admins only); False when it was already so."""
    if actor.role not in (Role.manager, Role.admin):
        raise Refused(_("Only managers and administrators can change how an account shares its cases."))
    async with transaction():
        row = await locking(Account.select(Account.sharing_mode).where(Account.id == account_id)).first()
        if row is None:
            raise Refused(_("This account does not exist."))
        if row["sharing_mode"] == mode.value:
            return False
        await Account.update({Account.sharing_mode: mode.value}).where(Account.id == account_id)
        await audit.record(
            AuditKind.sharing_mode_changed,
            origin=origin,
            actor_id=actor.id,
            account_id=account_id,
            previous=row["sharing_mode"],
            current=mode.value,
        )
    return True


# --- People -------------------------------------------------------------------------------------------------


async def get_person(user_id: int) -> dict[str, Any] | None:
    if not valid_id(user_id):
        return None
    return await _people().where(User.id == user_id).first()  # type: ignore[no-any-return]


async def flagged_prospects(limit: int = 100) -> list[dict[str, Any]]:
    """Prospects whose email domain matched an account at sign-up: staff confirm or correct each."""
    where = (User.role == Role.prospect.value) & User.is_active.eq(True) & User.likely_account.is_not_null()
    return await _people().where(where).order_by(User.created_at, ascending=False).limit(limit)  # type: ignore[no-any-return]


async def other_prospects(page: int = 1) -> Page[dict[str, Any]]:
    """Active prospects with no suggested account, newest first."""
    where = (User.role == Role.prospect.value) & User.is_active.eq(True) & User.likely_account.is_null()
    total = await User.count().where(where)
    number = _page_number(page, total)
    rows = await (
        _people()
        .where(where)
        .order_by(User.created_at, ascending=False)
        .order_by(User.id, ascending=False)
        .limit(PAGE_SIZE)
        .offset((number - 1) * PAGE_SIZE)
    )
    return Page(items=rows, number=number, total=total)


async def search_people(query: str, page: int = 1) -> Page[dict[str, Any]]:
    where = _contains(User.name, query.strip()) | _contains(User.email, query.strip())
    total = await User.count().where(where)
    number = _page_number(page, total)
    rows = await _people().where(where).order_by(User.name).limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)
    return Page(items=rows, number=number, total=total)


async def link_to_account(actor: CurrentUser, user_id: int, account_id: int, *, origin: Origin) -> dict[str, Any]:
    """Make a prospect a contact of an account (staff confirm what the email domain only suggested)."""
    if not actor.is_staff:
        raise Refused(_("Only staff can link people to accounts."))
    async with transaction():
        account = await get_account(account_id)
        if account is None:
            raise Refused(_("There is no account number %(id)s.") % {"id": account_id})
        person = await locking(
            User.select(User.id, User.role, User.is_active, User.account).where(User.id == user_id)
        ).first()
        if person is None or not person["is_active"]:
            raise Refused(_("This person does not exist or has been deactivated."))
        if person["role"] != Role.prospect.value or person["account"] is not None:
            raise Refused(_("Only prospects can be linked; this person already belongs to an account or is staff."))
        await User.update({User.account: account_id, User.role: Role.contact.value, User.likely_account: None}).where(
            User.id == user_id
        )
        await audit.record(
            AuditKind.account_linked, origin=origin, actor_id=actor.id, subject_id=user_id, account_id=account_id
        )
        await audit.record(
            AuditKind.role_changed,
            origin=origin,
            actor_id=actor.id,
            subject_id=user_id,
            account_id=account_id,
            previous=Role.prospect.value,
            current=Role.contact.value,
        )
    return account


async def change_role(actor: CurrentUser, user_id: int, role: Role, *, origin: Origin) -> bool:
    """An administrator changes someone's role; False when nothing changed.

    Customer roles need an account, so a prospect becomes a contact by linking, not here; a staff role takes
    the person out of their account. Admins cannot change their own role, so the portal keeps an admin.
    """
    if actor.role != Role.admin:
        raise Refused(_("Only administrators can change roles."))
    if actor.id == user_id:
        raise Refused(_("You cannot change your own role."))
    async with transaction():
        person = await locking(User.select(User.role, User.account, User.is_active).where(User.id == user_id)).first()
        if person is None:
            raise Refused(_("This person does not exist or has been deactivated."))
        previous = Role(person["role"])
        if previous == role:
            return False
        if role in (Role.contact, Role.account_admin) and person["account"] is None:
            raise Refused(_("Link this person to an account first; customer roles belong to an account."))
        changes: dict[Any, Any] = {User.role: role.value}
        if role in STAFF_ROLES or role == Role.prospect:
            changes[User.account] = None
        await User.update(changes).where(User.id == user_id)
        await audit.record(
            AuditKind.role_changed,
            origin=origin,
            actor_id=actor.id,
            subject_id=user_id,
            account_id=person["account"],
            previous=previous.value,
            current=role.value,
        )
    return True


async def create_and_link(
    actor: CurrentUser, user_id: int, *, name: str, kind: AccountKind, domain: str | None, origin: Origin
) -> dict[str, Any]:
    """A new account for a prospect whose company is not known yet, and the link, together or not at all."""
    async with transaction():
        account_id = await create_account(name=name, kind=kind, domain=domain)
        return await link_to_account(actor, user_id, account_id, origin=origin)
