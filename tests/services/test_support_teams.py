"""Support teams: names, members (staff only), counts, and the teams whose queue a user works."""

from __future__ import annotations

import pytest

from portal.db.tables import Role, TeamMembership, User
from portal.services import support_teams
from portal.services.refusals import FieldRefused
from tests.factories import make_account, make_user

pytestmark = pytest.mark.usefixtures("migrated_database")


async def test_teams_are_created_renamed_and_listed_by_name_with_member_counts() -> None:
    second = await support_teams.create_team("  Second line ")
    first = await support_teams.create_team("First line")
    agent = await make_user(Role.agent)
    manager = await make_user(Role.manager)
    await support_teams.add_member(first, agent.id)
    await support_teams.add_member(first, manager.id)

    assert [(row["name"], row["member_count"]) for row in await support_teams.teams()] == [
        ("First line", 2),
        ("Second line", 0),
    ]
    await support_teams.rename_team(second, "Specialists")
    assert [row["name"] for row in await support_teams.teams()] == ["First line", "Specialists"]


async def test_team_names_are_required_and_unique() -> None:
    await support_teams.create_team("First line")
    with pytest.raises(FieldRefused, match="already a team") as refused:
        await support_teams.create_team("First line")
    assert refused.value.field == "name"
    with pytest.raises(FieldRefused, match="required"):
        await support_teams.create_team("   ")
    with pytest.raises(FieldRefused, match="at most 100"):
        await support_teams.create_team("x" * 101)
    other = await support_teams.create_team("Other")
    with pytest.raises(FieldRefused, match="already a team"):
        await support_teams.rename_team(other, "First line")
    assert [row["name"] for row in await support_teams.teams()] == ["First line", "Other"]


async def test_only_active_staff_can_join_and_joining_twice_changes_nothing() -> None:
    team = await support_teams.create_team("First line")
    agent = await make_user(Role.agent, name="Νίκος Γεωργίου")
    account = await make_account()
    customer = await make_user(Role.contact, account_id=account.id)
    prospect = await make_user(Role.prospect)
    gone = await make_user(Role.agent)
    await User.update({User.is_active: False}).where(User.id == gone.id)

    assert await support_teams.add_member(team, agent.id) is True
    assert await support_teams.add_member(team, agent.id) is False
    for user_id in (customer.id, prospect.id, gone.id, 987_654, 2**40):
        with pytest.raises(FieldRefused, match="Only active staff") as refused:
            await support_teams.add_member(team, user_id)
        assert refused.value.field == "user_id"

    assert [(row["name"], row["first_name"]) for row in await support_teams.members(team)] == [
        ("Νίκος Γεωργίου", "Νίκος")
    ]
    assert await TeamMembership.count() == 1


async def test_members_are_removed_and_team_ids_follow() -> None:
    first = await support_teams.create_team("First line")
    second = await support_teams.create_team("Second line")
    agent = await make_user(Role.agent)
    await support_teams.add_member(second, agent.id)
    await support_teams.add_member(first, agent.id)
    assert await support_teams.team_ids_of(agent.id) == sorted([first, second])

    assert await support_teams.remove_member(first, agent.id) is True
    assert await support_teams.remove_member(first, agent.id) is False
    assert await support_teams.team_ids_of(agent.id) == [second]
    assert await support_teams.members(first) == []


async def test_someone_who_leaves_the_staff_stays_listed_but_no_longer_works_the_queue() -> None:
    team = await support_teams.create_team("First line")
    agent = await make_user(Role.agent)
    await support_teams.add_member(team, agent.id)
    await User.update({User.role: Role.contact.value}).where(User.id == agent.id)

    assert await support_teams.team_ids_of(agent.id) == []
    assert [row["id"] for row in await support_teams.members(team)] == [agent.id]
    assert [row["member_count"] for row in await support_teams.teams()] == [0]


async def test_agents_are_the_active_staff_by_name_with_first_names() -> None:
    await make_user(Role.agent, name="Sam Support")
    await make_user(Role.manager, name="Ελένη Παπαδοπούλου")
    await make_user(Role.admin, name="Alex Admin")
    await make_user(Role.contact, name="Customer Person")
    gone = await make_user(Role.agent, name="Gone Agent")
    await User.update({User.is_active: False}).where(User.id == gone.id)

    agents = await support_teams.agents()
    assert [(row["first_name"], row["role"]) for row in agents] == [
        ("Alex", "admin"),
        ("Sam", "agent"),
        ("Ελένη", "manager"),
    ]


async def test_candidates_are_the_staff_not_yet_in_the_team() -> None:
    team = await support_teams.create_team("First line")
    inside = await make_user(Role.agent, name="Inside Agent")
    outside = await make_user(Role.agent, name="Outside Agent")
    await support_teams.add_member(team, inside.id)
    assert [row["id"] for row in await support_teams.candidates(team)] == [outside.id]
