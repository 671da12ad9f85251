"""Data rights of the signed-in person (GDPR articles 15, 17 and 20): a copy of their data, and erasure.

The export is a registry of named sections, each an async function from the user to JSON-able data. A feature
that stores personal data (cases, messages, leads) adds its own section where it lives:

    from portal.services.privacy import export_sections

    @export_sections.section("cases", lazy_gettext("Your support cases"))
    async def _cases(user: CurrentUser) -> list[dict[str, Any]]: ...

Erasure anonymises the user's row instead of deleting it, so that what belongs to their account (cases,
messages) keeps its history with the author shown as "Deleted user".
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from piccolo.query.functions.aggregate import Count

from portal.db import engine as db_engine
from portal.db.tables import (
    Account,
    AuditEvent,
    ExternalIdentity,
    OneTimeToken,
    OutboundEmail,
    RecoveryCode,
    Role,
    User,
)
from portal.i18n import lazy_gettext as _l
from portal.services import audit
from portal.services.audit import AuditKind, Origin, parse_details
from portal.services.passwords import verify_password
from portal.services.users import CurrentUser

Section = Callable[[CurrentUser], Awaitable[Any]]

_SECTION_NAME = re.compile(r"^[a-z][a-z0-9_]{0,49}$")  # becomes a file name in the archive

ERASED_NAME = "Deleted user"  # stored as data; pages may translate it for erased users


# --- Export ---------------------------------------------------------------------------------------------------


@dataclass
class ExportRegistry:
    """Named sections of "download my data", in the order they were added."""

    sections: dict[str, Section] = field(default_factory=dict)
    labels: dict[str, Any] = field(default_factory=dict)  # what the page lists; a lazy_gettext string

    def section(self, name: str, label: Any = None) -> Callable[[Section], Section]:
        def register(function: Section) -> Section:
            self.add(name, function, label)
            return function

        return register

    def add(self, name: str, function: Section, label: Any = None) -> None:
        if not _SECTION_NAME.match(name):
            raise ValueError(f"export section name {name!r}: lower-case letters, digits and _ only")
        if name in self.sections:
            raise ValueError(f"export section {name!r} is already registered")
        self.sections[name] = function
        self.labels[name] = label or name

    def remove(self, name: str) -> None:
        self.sections.pop(name, None)
        self.labels.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self.sections)

    async def collect(self, user: CurrentUser) -> dict[str, Any]:
        return {name: await function(user) for name, function in self.sections.items()}

    async def archive(self, user: CurrentUser) -> bytes:
        """A zip with one `<section>.json` per section."""
        collected = await self.collect(user)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in collected.items():
                archive.writestr(f"{name}.json", to_json(data))
        return buffer.getvalue()


export_sections = ExportRegistry()


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"not JSON-able: {type(value).__name__}")


async def export_archive(user: CurrentUser, *, origin: Origin, registry: ExportRegistry | None = None) -> bytes:
    """Everything the portal holds about `user`, as a zip; the export itself is audited."""
    content = await (registry or export_sections).archive(user)
    await audit.record(
        AuditKind.data_exported, origin=origin, actor_id=user.id, subject_id=user.id, account_id=user.account_id
    )
    return content


@export_sections.section("profile", _l("Your profile"))
async def _profile(user: CurrentUser) -> dict[str, Any]:
    row = await User.select().where(User.id == user.id).first()
    if row is None:
        return {}
    account = None
    if row["account"] is not None:
        account = await Account.select(Account.name).where(Account.id == row["account"]).first()
    return {
        "id": row["id"],
        "email": row["email"],
        "name": row["name"],
        "phone": row["phone"],
        "company_name": row["company_name"],
        "account": account["name"] if account else None,
        "role": row["role"],
        "language": row["locale"],
        "email_verified_at": row["email_verified_at"],
        "two_factor_enabled": row["totp_enabled_at"] is not None,
        "created_at": row["created_at"],
        "last_login_at": row["last_login_at"],
    }


@export_sections.section("consents", _l("The terms you accepted, and when"))
async def _consents(user: CurrentUser) -> list[dict[str, Any]]:
    row = await User.select(User.terms_version, User.terms_accepted_at).where(User.id == user.id).first()
    if row is None or row["terms_version"] is None:
        return []
    return [{"what": "terms", "version": row["terms_version"], "accepted_at": row["terms_accepted_at"]}]


@export_sections.section("external_identities", _l("Sign-in providers linked to you"))
async def _external_identities(user: CurrentUser) -> list[dict[str, Any]]:
    # Only what identifies the link; no token or secret of the provider is ever stored, let alone exported.
    return await (
        ExternalIdentity.select(
            ExternalIdentity.provider,
            ExternalIdentity.issuer,
            ExternalIdentity.subject,
            ExternalIdentity.email,
            ExternalIdentity.created_at,
            ExternalIdentity.last_used_at,
        )
        .where(ExternalIdentity.user == user.id)
        .order_by(ExternalIdentity.id)
    )


@export_sections.section("audit_log", _l("Security events about you"))
async def _audit_log(user: CurrentUser) -> list[dict[str, Any]]:
    # Events about them; events they caused about someone else are that person's data.
    rows = await (
        AuditEvent.select(
            AuditEvent.occurred_at,
            AuditEvent.kind,
            AuditEvent.actor,
            AuditEvent.ip,
            AuditEvent.user_agent,
            AuditEvent.details,
        )
        .where((AuditEvent.subject == user.id) | ((AuditEvent.actor == user.id) & AuditEvent.subject.is_null()))
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    return [
        {
            "occurred_at": row["occurred_at"],
            "event": row["kind"],
            "by_you": row["actor"] == user.id,
            "ip": row["ip"],
            "user_agent": row["user_agent"],
            "details": parse_details(row["details"]),
        }
        for row in rows
    ]


@export_sections.section("emails", _l("Emails we sent you"))
async def _emails(user: CurrentUser) -> list[dict[str, Any]]:
    return await (
        OutboundEmail.select(
            OutboundEmail.to_address,
            OutboundEmail.subject,
            OutboundEmail.created_at,
            OutboundEmail.sent_at,
            OutboundEmail.status,
        )
        .where(OutboundEmail.to_address == user.email)
        .order_by(OutboundEmail.id)
    )


# --- Erasure --------------------------------------------------------------------------------------------------


class ErasureRefused(Exception):
    """This user cannot erase themselves (staff are removed by an admin)."""


@dataclass(frozen=True)
class ErasureCheck:
    """What the confirmation form asks for, and what the user should know before erasing."""

    allowed: bool
    has_password: bool
    last_account_admin: bool  # their account will have no admin left


def placeholder_email(user_id: int) -> str:
    """Unique and undeliverable: `.invalid` is reserved by RFC 2606 and never resolves."""
    return f"deleted-{user_id}@invalid"


def may_self_erase(role: Role) -> bool:
    return not role.is_staff


async def erasure_check(user: CurrentUser) -> ErasureCheck:
    row = await User.select(User.password_hash).where(User.id == user.id).first()
    return ErasureCheck(
        allowed=may_self_erase(user.role),
        has_password=bool(row and row["password_hash"]),
        last_account_admin=await _is_last_account_admin(user.id, user.role, user.account_id),
    )


async def password_matches(user_id: int, password: str) -> bool:
    row = await User.select(User.password_hash).where(User.id == user_id).first()
    return verify_password(row["password_hash"] if row else None, password)


async def _is_last_account_admin(user_id: int, role: Role, account_id: int | None) -> bool:
    if role != Role.account_admin or account_id is None:
        return False
    others = await (
        User.select(Count(alias="n"))
        .where(
            (User.account == account_id)
            & (User.role == Role.account_admin.value)
            & User.is_active.eq(True)
            & (User.id != user_id)
        )
        .first()
    )
    return not (others and others["n"])


async def erase_user(user_id: int, *, origin: Origin) -> None:
    """Anonymise a customer's personal data, end every session, and record that it happened (and nothing else).

    The row stays, so the account's records keep their author; its name, email, phone, company, password and
    two-factor secret go, with external identities, recovery codes, tokens and the bodies of emails sent to them.
    """
    engine = db_engine.current()
    assert engine is not None
    async with db_engine.write_transaction(engine):
        row = await db_engine.for_update(User.select().where(User.id == user_id), engine).first()
        if row is None or row["erased_at"] is not None:
            return
        if not may_self_erase(Role(row["role"])):
            raise ErasureRefused(row["role"])
        left_without_admin = await _is_last_account_admin(user_id, Role(row["role"]), row["account"])
        placeholder = placeholder_email(user_id)
        await User.update(
            {
                User.name: ERASED_NAME,
                User.email: placeholder,
                User.phone: None,
                User.company_name: None,
                User.password_hash: None,
                User.totp_secret: None,
                User.totp_enabled_at: None,
                User.email_verified_at: None,
                User.likely_account: None,
                User.failed_sign_ins: 0,
                User.locked_until: None,
                User.last_login_at: None,
                User.is_active: False,
                User.erased_at: datetime.now(UTC),
                # Every other browser's session ends at its next request (the epoch moved on).
                User.session_epoch: User.session_epoch + 1,
            }
        ).where(User.id == user_id)
        identities = (
            await ExternalIdentity.delete().where(ExternalIdentity.user == user_id).returning(ExternalIdentity.id)
        )
        await RecoveryCode.delete().where(RecoveryCode.user == user_id)
        await OneTimeToken.delete().where(OneTimeToken.user == user_id)
        await _forget_emails(row["email"], placeholder)
        await audit.record(
            AuditKind.account_erased,
            origin=origin,
            actor_id=user_id,
            subject_id=user_id,
            account_id=row["account"],
            identities_removed=len(identities),
            account_left_without_admin=left_without_admin,
        )


async def _forget_emails(address: str, placeholder: str) -> None:
    """Unsent emails to them are dropped; sent ones keep only their subject, time and status."""
    await OutboundEmail.delete().where((OutboundEmail.to_address == address) & (OutboundEmail.status != "sent"))
    await OutboundEmail.update(
        {OutboundEmail.to_address: placeholder, OutboundEmail.text_body: "", OutboundEmail.html_body: ""}
    ).where(OutboundEmail.to_address == address)
