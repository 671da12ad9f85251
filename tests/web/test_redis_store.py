"""With REDIS_URL set, sessions live in Redis, so every app process and machine shares them."""

from __future__ import annotations

from pathlib import Path

import pytest
from redis.asyncio import Redis

from portal.app import create_app
from portal.db.tables import Role
from portal.settings import RedisSettings, Settings
from tests.factories import make_user, sign_in
from tests.harness import running

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
async def redis_settings(settings_factory) -> Settings:  # type: ignore[no-untyped-def]
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    await client.flushdb()
    await client.aclose()
    return settings_factory(redis=RedisSettings(url=REDIS_URL))  # type: ignore[no-any-return]


async def test_a_session_started_on_one_machine_is_known_to_another(
    redis_settings: Settings, migrated_database: str, tmp_path: Path
) -> None:
    user = await make_user(Role.contact, name="Shared Session")
    async with running(create_app(redis_settings)) as first:
        await sign_in(first, user.email)
        session_id = first.cookies["portal_session"]

    other_machine = redis_settings.model_copy(update={"data_dir": tmp_path})  # no files in common, only Redis
    async with running(create_app(other_machine)) as second:
        second.cookies.set("portal_session", session_id)
        response = await second.get("/account")
    assert response.status_code == 200
    assert "Shared Session" in response.text

    client = Redis.from_url(REDIS_URL)
    assert [key async for key in client.scan_iter(f"*{session_id}*")]
    await client.aclose()
