"""Support teams: groups of staff that work a queue together. Staff managers create them and keep the members."""

from __future__ import annotations

from typing import Any, cast

from piccolo.columns import Boolean
from piccolo.query.functions.aggregate import Count

from portal.db.tables import STAFF_ROLES, SupportTeam, TeamMembership, User
from portal.i18n import gettext as _
from portal.services.accounts import typed_text, valid_id
from portal.services.refusals import FieldRefused, refusing_duplicates

NAME_MAX = 100
_STAFF = [role.value for role in STAFF_ROLES]


def first_name(name: str, fallback: str = "") -> str:
    """What a picker shows: "Νίκος" for "Νίκος Γεωργίου"."""
    return name.split()[0] if name.strip() else fallback


def _with_first_name(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [row | {"first_name": first_name(row["name"], row["email"])} for row in rows]


def _checked_name(name: str) -> str:
    name = typed_text(name)
    if not name:
        raise FieldRefused("name", _("This field is required."))
    if len(name) > NAME_MAX:
        raise FieldRefused("name", _("Use at most %(count)d characters.") % {"count": NAME_MAX})
    return name


def _unique_name() -> Any:
    return refusing_duplicates("name", _("There is already a team with this name."))


# --- Teams ------------------------------------------------------------------------------------------------


async def teams() -> list[dict[str, Any]]:
    """Every team by name, each with `member_count` (active staff members only)."""
    rows = await SupportTeam.select().order_by(SupportTeam.name)
    counts = {
        row["team"]: row["n"]
        for row in await TeamMembership.select(TeamMembership.team, Count(alias="n"))
        .where(cast(Boolean, TeamMembership.user.is_active).eq(True) & TeamMembership.user.role.is_in(_STAFF))
        .group_by(TeamMembership.team)
    }
    return [row | {"member_count": counts.get(row["id"], 0)} for row in rows]


async def get_team(team_id: int) -> dict[str, Any] | None:
    if not valid_id(team_id):
        return None
    return await SupportTeam.select().where(SupportTeam.id == team_id).first()


async def create_team(name: str) -> int:
    name = _checked_name(name)
    with _unique_name():
        rows = await SupportTeam.insert(SupportTeam(name=name)).returning(SupportTeam.id)
    return int(rows[0]["id"])


async def rename_team(team_id: int, name: str) -> None:
    name = _checked_name(name)
    if await get_team(team_id) is None:
        raise FieldRefused("name", _("This team does not exist."))
    with _unique_name():
        await SupportTeam.update({SupportTeam.name: name}).where(SupportTeam.id == team_id)


# --- Members ----------------------------------------------------------------------------------------------


def _key(team_id: int, user_id: int) -> str:
    return f"{team_id}:{user_id}"


async def members(team_id: int) -> list[dict[str, Any]]:
    """A team's members by name: id, name, first_name, email, role, is_active.

    Someone who has left the staff (deactivated, or made a customer) still shows, so a manager can remove them,
    but no longer counts and no longer works the team's queue.
    """
    rows = await (
        TeamMembership.select(
            TeamMembership.user.id.as_alias("id"),
            TeamMembership.user.name.as_alias("name"),
            TeamMembership.user.email.as_alias("email"),
            TeamMembership.user.role.as_alias("role"),
            TeamMembership.user.is_active.as_alias("is_active"),
        )
        .where(TeamMembership.team == team_id)
        .order_by(TeamMembership.user.name)
    )
    return _with_first_name(rows)


async def team_ids_of(user_id: int) -> list[int]:
    """The teams whose queue this user works: none unless they are active staff."""
    rows = await TeamMembership.select(TeamMembership.team).where(
        (TeamMembership.user == user_id)
        & cast(Boolean, TeamMembership.user.is_active).eq(True)
        & TeamMembership.user.role.is_in(_STAFF)
    )
    return sorted(row["team"] for row in rows)


async def agents() -> list[dict[str, Any]]:
    """Active staff, by name, for assignee and member pickers: id, name, first_name, email, role."""
    rows = await (
        User.select(User.id, User.name, User.email, User.role)
        .where(User.is_active.eq(True) & User.role.is_in(_STAFF))
        .order_by(User.name)
    )
    return _with_first_name(rows)


async def candidates(team_id: int) -> list[dict[str, Any]]:
    """Active staff not yet in the team: who the "add member" picker offers."""
    current = {member["id"] for member in await members(team_id)}
    return [agent for agent in await agents() if agent["id"] not in current]


async def add_member(team_id: int, user_id: int) -> bool:
    """Put an active staff user in the team; False when they were already in it."""
    if await get_team(team_id) is None:
        raise FieldRefused("user_id", _("This team does not exist."))
    is_staff = valid_id(user_id) and await User.exists().where(
        (User.id == user_id) & User.is_active.eq(True) & User.role.is_in(_STAFF)
    )
    if not is_staff:
        raise FieldRefused("user_id", _("Only active staff can be members of a support team."))
    # DO NOTHING on the unique key: two managers adding the same person at once is not an error.
    membership = TeamMembership(team=team_id, user=user_id, key=_key(team_id, user_id))
    rows = await TeamMembership.insert(membership).on_conflict(action="DO NOTHING").returning(TeamMembership.id)
    return bool(rows)


async def remove_member(team_id: int, user_id: int) -> bool:
    """Take a user out of the team; False when they were not in it."""
    if not (valid_id(team_id) and valid_id(user_id)):
        return False
    rows = (
        await TeamMembership.delete().where(TeamMembership.key == _key(team_id, user_id)).returning(TeamMembership.id)
    )
    return bool(rows)
