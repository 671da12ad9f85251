from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from portal.app import create_app
from portal.settings import DatabaseSettings, Settings
from tests.harness import running

Client = httpx.AsyncClient


async def test_healthz_answers_while_the_process_lives(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_passes_when_the_database_is_migrated(client: Client) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_readyz_fails_when_migrations_are_pending(settings_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings: Settings = settings_factory(db=DatabaseSettings(url=f"sqlite:///{tmp_path / 'empty.sqlite3'}"))
    async with running(create_app(settings)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["pending_migrations"]


async def test_readyz_fails_when_the_sqlite_file_cannot_be_opened(settings_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    unopenable = tmp_path / "a-directory"
    unopenable.mkdir()
    settings: Settings = settings_factory(db=DatabaseSettings(url=f"sqlite:///{unopenable}"))
    async with running(create_app(settings)) as client:
        assert (await client.get("/healthz")).status_code == 200
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}


@pytest.mark.postgres
@pytest.mark.filterwarnings("ignore:.*Unable to fetch server version")  # Piccolo probes the version at build time
async def test_readyz_fails_when_postgresql_does_not_answer(settings_factory) -> None:  # type: ignore[no-untyped-def]
    # Nothing listens on port 1: the process must still start, stay alive, and say it is not ready.
    settings: Settings = settings_factory(db=DatabaseSettings(url="postgresql://postgres@127.0.0.1:1/test"))
    async with running(create_app(settings)) as client:
        assert (await client.get("/healthz")).status_code == 200
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
