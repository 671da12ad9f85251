"""Invitations by email: account admins invite colleagues into their account, administrators invite staff.

An invitation is a single-use link (`tokens.Purpose.invitation`) whose payload names the email, the role and,
for customers, the account. The invitee chooses a name and password, or, when they already signed up as a
prospect with that email, signs in and accepts. A person who is already a contact of another account, or staff,
cannot accept: the page says so to them, and the inviter learns nothing about other accounts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from portal.db.tables import STAFF_ROLES, Account, Role, User
from portal.i18n import gettext as _
from portal.services import audit, tokens, users
from portal.services.accounts import Refused, transaction
from portal.services.audit import AuditKind, Origin
from portal.services.mail import Mailer
from portal.services.tokens import Purpose
from portal.services.users import CurrentUser, normalise_email

TTL = timedelta(days=7)
PATH = "/invitation/"
COLLEAGUE_ROLES = (Role.contact, Role.account_admin)


@dataclass(frozen=True)
class Invitation:
    """An unused invitation, as its link shows it."""

    email: str
    role: Role
    account_id: int | None
    account_name: str | None
    inviter_name: str
    existing_user_id: int | None  # someone already signs in with this email
    problem: str | None  # why it cannot be accepted, for the invitee

    @property
    def for_staff(self) -> bool:
        return self.account_id is None


async def invite_colleague(
    actor: CurrentUser, *, email: str, role: Role, name: str, mailer: Mailer, origin: Origin
) -> None:
    if actor.role != Role.account_admin or actor.account_id is None:
        raise Refused(_("Only account admins can invite colleagues."))
    if role not in COLLEAGUE_ROLES:
        raise Refused(_("Choose contact or account admin."))
    email = normalise_email(email)
    member = await User.exists().where((User.email == email) & (User.account == actor.account_id))
    if member:
        raise Refused(_("%(email)s is already on your team.") % {"email": email})
    account = await Account.select(Account.name).where(Account.id == actor.account_id).first()
    assert account is not None
    await _send(
        actor,
        email=email,
        role=role,
        name=name,
        account_id=actor.account_id,
        account_name=account["name"],
        mailer=mailer,
        origin=origin,
    )


async def invite_staff(
    actor: CurrentUser, *, email: str, role: Role, name: str, mailer: Mailer, origin: Origin
) -> None:
    if actor.role != Role.admin:
        raise Refused(_("Only administrators can invite staff."))
    if role not in STAFF_ROLES:
        raise Refused(_("Choose agent, manager or administrator."))
    email = normalise_email(email)
    if await User.exists().where(User.email == email):
        raise Refused(_("%(email)s already has a sign-in; change their role on their page instead.") % {"email": email})
    await _send(
        actor, email=email, role=role, name=name, account_id=None, account_name=None, mailer=mailer, origin=origin
    )


async def _send(
    actor: CurrentUser,
    *,
    email: str,
    role: Role,
    name: str,
    account_id: int | None,
    account_name: str | None,
    mailer: Mailer,
    origin: Origin,
) -> None:
    known = await User.select(User.locale).where(User.email == email).first()
    payload = {"email": email, "role": role.value, "account_id": account_id, "inviter_id": actor.id}
    async with transaction():
        token = await tokens.issue(Purpose.invitation, user_id=None, ttl=TTL, payload=payload)
        await mailer.send(
            "invitation" if account_id is not None else "staff_invitation",
            to=email,
            locale=known["locale"] if known else actor.locale,  # the invitee's language when we know it
            context={
                "name": name.strip(),
                "inviter": actor.name,
                "account": account_name or "",
                "role": role.value,
                "link": f"{mailer.public_url}{PATH}{token}",
                "days": TTL.days,
            },
        )
        await audit.record(
            AuditKind.invitation_sent,
            origin=origin,
            actor_id=actor.id,
            account_id=account_id,
            email=email,
            role=role.value,
        )
    mailer.wakeup.set()  # again after the commit: a delivery round woken before it would have found nothing


async def inspect(token: str) -> Invitation | None:
    """The invitation behind a link, without using it; None when the link is unknown, used or expired."""
    row = await tokens.peek(Purpose.invitation, token)
    return await _invitation(_payload(row)) if row else None


def _payload(row: dict[str, Any]) -> dict[str, Any]:
    payload = row["payload"]
    return json.loads(payload) if isinstance(payload, str) else dict(payload)  # JSON is text on some engines


async def _invitation(payload: dict[str, Any]) -> Invitation:
    account_id = payload.get("account_id")
    account = await Account.select(Account.name).where(Account.id == account_id).first() if account_id else None
    inviter = await User.select(User.name).where(User.id == payload.get("inviter_id")).first()
    existing = await User.select().where(User.email == payload["email"]).first()
    invitation = Invitation(
        email=payload["email"],
        role=Role(payload["role"]),
        account_id=account_id,
        account_name=account["name"] if account else None,
        inviter_name=inviter["name"] if inviter else "",
        existing_user_id=existing["id"] if existing else None,
        problem=None,
    )
    problem = (
        _problem(invitation, existing) if not (account_id and account is None) else _("This account no longer exists.")
    )
    return Invitation(**{**invitation.__dict__, "problem": problem})


def _problem(invitation: Invitation, existing: dict[str, Any] | None) -> str | None:
    if existing is None:
        return None
    if not existing["is_active"]:
        return _("The sign-in for this email address has been deactivated. Please contact us.")
    if Role(existing["role"]).is_staff:
        return _("This email address already has a staff sign-in.")
    if invitation.for_staff:
        return _("This email address already has a customer sign-in. Please ask an administrator to change its role.")
    if existing["account"] == invitation.account_id:
        return _("You are already a member of %(account)s.") % {"account": invitation.account_name}
    if existing["account"] is not None:
        return _(
            "This email address already belongs to a contact of another customer account, so it cannot join "
            "%(account)s. Please contact us if it should move."
        ) % {"account": invitation.account_name}
    return None


async def accept_as_new(token: str, *, name: str, password: str, locale: str, origin: Origin) -> CurrentUser:
    """Create the invitee's sign-in; the link is used up, and the email counts as verified (it got the link)."""
    async with transaction():
        invitation = await _redeem(token)
        if invitation.existing_user_id is not None:
            raise Refused(_("This email address already has a sign-in: sign in to accept the invitation."))
        user = await users.create_user(
            email=invitation.email,
            name=name,
            password=password,
            role=invitation.role,
            locale=locale,
            account_id=invitation.account_id,
        )
        await User.update({User.email_verified_at: datetime.now(UTC)}).where(User.id == user.id)
        await _record_accepted(user.id, invitation, origin)
    accepted = await users.get_active(user.id)
    assert accepted is not None
    return accepted


async def accept_as_existing(token: str, user: CurrentUser, *, origin: Origin) -> CurrentUser:
    """A signed-in prospect with the invited email joins the account."""
    async with transaction():
        invitation = await _redeem(token)
        if invitation.existing_user_id != user.id:
            raise Refused(
                _("This invitation is for %(email)s. Sign out, then sign in with that address.")
                % {"email": invitation.email}
            )
        await User.update(
            {User.account: invitation.account_id, User.role: invitation.role.value, User.likely_account: None}
        ).where(User.id == user.id)
        await _record_accepted(user.id, invitation, origin)
        await audit.record(
            AuditKind.role_changed,
            origin=origin,
            actor_id=user.id,
            subject_id=user.id,
            account_id=invitation.account_id,
            previous=user.role.value,
            current=invitation.role.value,
        )
    accepted = await users.get_active(user.id)
    assert accepted is not None
    return accepted


async def _redeem(token: str) -> Invitation:
    row = await tokens.redeem(Purpose.invitation, token)
    if row is None:
        raise Refused(_("This invitation link has already been used or has expired. Ask for a new one."))
    invitation = await _invitation(_payload(row))
    if invitation.problem:
        raise Refused(invitation.problem)  # the transaction rolls back: the link stays unused
    return invitation


async def _record_accepted(user_id: int, invitation: Invitation, origin: Origin) -> None:
    await audit.record(
        AuditKind.invitation_accepted,
        origin=origin,
        actor_id=user_id,
        subject_id=user_id,
        account_id=invitation.account_id,
        role=invitation.role.value,
    )
