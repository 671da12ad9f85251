"""An account's people as its own users see them: who is on the team, and account admins deactivating colleagues."""

from __future__ import annotations

from typing import Any

from portal.db.tables import Role, User
from portal.i18n import gettext as _
from portal.services import access, audit
from portal.services.accounts import Refused, locking, people_of, transaction, valid_id
from portal.services.audit import AuditKind, Origin
from portal.services.users import CurrentUser

CUSTOMER_ROLES = (Role.contact, Role.account_admin)


async def colleagues(user: CurrentUser) -> list[dict[str, Any]]:
    """The people of `user`'s account they may see (see `access`); account admins also see deactivated ones."""
    scope = await access.colleague_scope(user)
    if user.account_id is None:
        return []
    people = await people_of(user.account_id, include_inactive=user.role == Role.account_admin)
    return [person for person in people if scope.allows(account_id=person["account"], user_id=person["id"])]


async def colleague(user: CurrentUser, colleague_id: int) -> dict[str, Any] | None:
    """One person of `user`'s account, or None when it is not theirs to see: callers answer 404 either way."""
    if not valid_id(colleague_id) or user.account_id is None:
        return None
    for person in await colleagues(user):
        if person["id"] == colleague_id:
            return person
    return None


async def deactivate(actor: CurrentUser, colleague_id: int, *, origin: Origin) -> dict[str, Any]:
    """An account admin switches a colleague's sign-in off; their sessions end at their next request.

    Never themselves, and never the account's last active admin, so every account keeps someone who can
    invite and deactivate.
    """
    if actor.role != Role.account_admin or actor.account_id is None:
        raise Refused(_("Only account admins can deactivate colleagues."))
    if actor.id == colleague_id:
        raise Refused(_("You cannot deactivate yourself."))
    async with transaction():
        people = await locking(
            User.select(User.id, User.name, User.role, User.is_active).where(
                (User.account == actor.account_id) & User.is_active.eq(True)
            )
        )
        target = next((person for person in people if person["id"] == colleague_id), None)
        if target is None:
            raise Refused(_("This person is not an active member of your team."))
        admins = [person for person in people if person["role"] == Role.account_admin.value]
        if target["role"] == Role.account_admin.value and len(admins) <= 1:
            raise Refused(_("An account needs at least one admin; make someone else an admin first."))
        await User.update({User.is_active: False, User.session_epoch: User.session_epoch + 1}).where(
            User.id == colleague_id
        )
        await audit.record(
            AuditKind.contact_deactivated,
            origin=origin,
            actor_id=actor.id,
            subject_id=colleague_id,
            account_id=actor.account_id,
        )
    return target  # type: ignore[no-any-return]
