"""Cases for machines (the REST API): filtered, in keyset pages, oldest change first.

Pages run in the order of `(updated_at, id)`, ascending: a case that changes while an integrator pages through
moves to the end and is seen again rather than skipped, and a client that remembers the last `updated_at` it
saw can ask for `updated_since` next time and miss nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from portal.db.tables import Case, CaseStatus, CaseType, Category, Priority, Product, Role, User
from portal.i18n import gettext as _
from portal.services import access, cases
from portal.services.accounts import valid_id
from portal.services.attachments import AttachmentStore, CheckedFile
from portal.services.cases import CaseInputError, CaseRef, NewCase
from portal.services.mail import Mailer
from portal.services.users import CurrentUser

MAX_LIMIT = 100
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"^(-?\d{1,20})-(\d{1,18})$")


@dataclass(frozen=True)
class FeedCursor:
    """Where a page starts: just after this case in `(updated_at, id)` order."""

    updated_at: datetime
    id: int

    def encode(self) -> str:
        delta = self.updated_at - _EPOCH
        microseconds = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        return f"{microseconds}-{self.id}"

    @classmethod
    def decode(cls, text: str) -> FeedCursor | None:
        """None for anything that is not a cursor this module wrote."""
        match = _CURSOR.match(text.strip())
        if not match:
            return None
        try:
            updated_at = _EPOCH + timedelta(microseconds=int(match.group(1)))
        except OverflowError:
            return None
        case_id = int(match.group(2))
        return cls(updated_at=updated_at, id=case_id) if valid_id(case_id) else None  # PostgreSQL's int range


@dataclass(frozen=True)
class FeedFilter:
    status: CaseStatus | None = None
    priority: Priority | None = None
    account_id: int | None = None
    requester_email: str | None = None
    updated_since: datetime | None = None


@dataclass(frozen=True)
class FeedPage:
    rows: list[dict[str, Any]]
    next_cursor: FeedCursor | None


COLUMNS = (
    Case.id,
    Case.number,
    Case.type,
    Case.status,
    Case.priority,
    Case.subject,
    Case.channel,
    Case.account,
    Case.requester.email.as_alias("requester_email"),
    Case.assignee,
    Case.team,
    Case.product.code.as_alias("product_code"),
    Case.category.code.as_alias("category_code"),
    Case.created_at,
    Case.updated_at,
    Case.first_response_at,
    Case.resolved_at,
    Case.closed_at,
    Case.due_at,
)


async def page(user: CurrentUser, filters: FeedFilter, *, after: FeedCursor | None, limit: int) -> FeedPage:
    """Up to `limit` cases `user` may see that match `filters`, after `after`."""
    limit = max(1, min(limit, MAX_LIMIT))
    query = Case.select(*COLUMNS)
    scope = await access.case_scope(user)
    if (visible := scope.where(Case.account, Case.requester)) is not None:
        query = query.where(visible)
    if filters.status is not None:
        query = query.where(Case.status == filters.status)
    if filters.priority is not None:
        query = query.where(Case.priority == filters.priority)
    if filters.account_id is not None:
        query = query.where(Case.account == filters.account_id)
    if filters.requester_email:
        query = query.where(Case.requester.email == filters.requester_email.strip().lower())
    if filters.updated_since is not None:
        query = query.where(Case.updated_at >= filters.updated_since)
    if after is not None:
        query = query.where(
            (Case.updated_at > after.updated_at) | ((Case.updated_at == after.updated_at) & (Case.id > after.id))
        )
    rows = await query.order_by(Case.updated_at, Case.id).limit(limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    return FeedPage(rows=rows, next_cursor=FeedCursor(last["updated_at"], last["id"]) if more and last else None)


async def one(case_id: int) -> dict[str, Any]:
    """The same columns for one case the caller has already found visible."""
    row = await Case.select(*COLUMNS).where(Case.id == case_id).first()
    assert row is not None, "the caller found the case a moment ago"
    return row


# --- Opening a case for a customer -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewCaseFor:
    """A case an integration opens on a customer's behalf, naming things by email and code rather than by id."""

    requester_email: str
    type: CaseType
    subject: str
    description: str
    priority: Priority | None = None
    product_code: str | None = None
    category_code: str | None = None


_RENAMED = {"product": "product_code", "category": "category_code"}
# Checking the text fields needs some customer; when the email names none, any customer's rules are the same.
_ANY_CUSTOMER = CurrentUser(id=0, email="", name="", role=Role.contact, locale="en", account_id=None)


async def _code_id(table: Any, code: str) -> int | None:
    row = await table.select(table.id).where((table.code == code.strip()) & (table.is_active == True)).first()  # noqa: E712
    return None if row is None else int(row["id"])


async def open_for(
    new: NewCaseFor, files: Sequence[CheckedFile] = (), *, mailer: Mailer, store: AttachmentStore
) -> CaseRef:
    """Open a case as the customer `new.requester_email` (channel "api"); `CaseInputError` names every problem."""
    errors: dict[str, str] = {}
    row = await User.select().where(User.email == new.requester_email.strip().lower()).first()
    requester = CurrentUser.from_row(row) if row and row["is_active"] else None
    if requester is None or requester.is_staff:
        errors["requester_email"] = _("There is no customer with this email.")
        requester = None
    product_id = await _code_id(Product, new.product_code) if new.product_code else None
    if new.product_code and product_id is None:
        errors["product_code"] = _("Choose one of the products offered.")
    category_id = await _code_id(Category, new.category_code) if new.category_code else None
    if new.category_code and category_id is None:
        errors["category_code"] = _("Choose one of the categories offered.")
    case = NewCase(
        type=new.type,
        subject=new.subject,
        description=new.description,
        priority=new.priority,
        product_id=product_id,
        category_id=category_id,
        channel="api",
    )
    for field, message in (await cases.check_new_case(requester or _ANY_CUSTOMER, case)).items():
        errors.setdefault(_RENAMED.get(field, field), message)
    if errors:
        raise CaseInputError(errors)
    assert requester is not None
    return await cases.open_case(requester, case, files, mailer=mailer, store=store)
