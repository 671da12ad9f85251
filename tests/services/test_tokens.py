from __future__ import annotations

import asyncio
from datetime import timedelta

from portal.db.tables import OneTimeToken, Role
from portal.services import tokens
from portal.services.tokens import Purpose
from tests.factories import make_user


async def test_a_token_works_once_and_only_for_its_purpose(migrated_database: str) -> None:
    user = await make_user(Role.prospect)
    token = await tokens.issue(Purpose.verify_email, user_id=user.id, ttl=timedelta(hours=1), payload={"k": 1})
    assert await tokens.redeem(Purpose.reset_password, token) is None
    used = await tokens.redeem(Purpose.verify_email, token)
    assert used is not None
    assert used["user"] == user.id
    assert used["payload"] == {"k": 1}
    assert await tokens.redeem(Purpose.verify_email, token) is None


async def test_only_a_hash_of_the_token_is_stored(migrated_database: str) -> None:
    token = await tokens.issue(Purpose.reset_password, user_id=None, ttl=timedelta(hours=1))
    stored = await OneTimeToken.select(OneTimeToken.token_hash).first()
    assert stored is not None
    assert token not in stored["token_hash"]


async def test_an_expired_token_is_refused(migrated_database: str) -> None:
    token = await tokens.issue(Purpose.reset_password, user_id=None, ttl=timedelta(seconds=-1))
    assert await tokens.redeem(Purpose.reset_password, token) is None


async def test_racing_clicks_redeem_a_token_once(migrated_database: str) -> None:
    token = await tokens.issue(Purpose.invitation, user_id=None, ttl=timedelta(hours=1))
    results = await asyncio.gather(*(tokens.redeem(Purpose.invitation, token) for _ in range(10)))
    assert len([result for result in results if result is not None]) == 1


async def test_a_new_link_revokes_the_older_ones(migrated_database: str) -> None:
    user = await make_user(Role.prospect)
    older = await tokens.issue(Purpose.reset_password, user_id=user.id, ttl=timedelta(hours=1))
    await tokens.revoke(Purpose.reset_password, user_id=user.id)
    assert await tokens.redeem(Purpose.reset_password, older) is None
