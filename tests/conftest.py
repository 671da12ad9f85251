"""Fixtures: settings, a migrated database (SQLite, or PostgreSQL by PORTAL_TEST_DATABASE_URL), app and client.

Tests commit for real, as the portal does; after each test every table is emptied. That keeps tests honest
about transactions and lets a live server in another process (browser tests) see the same data.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from piccolo.table import sort_table_classes

from portal.app import create_app
from portal.db import engine as db_engine
from portal.db.piccolo_app import APP_CONFIG
from portal.settings import DatabaseSettings, MailSettings, SecuritySettings, Settings
from tests.harness import running
from tests.mail import SmtpServer, start_smtp_server

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("portal-data")


@pytest.fixture(scope="session")
def database_url(data_dir: Path) -> str:
    return os.environ.get("PORTAL_TEST_DATABASE_URL") or f"sqlite:///{data_dir / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    server, controller = start_smtp_server()
    yield server
    controller.stop()


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> SmtpServer:
    """The test SMTP server, emptied for this test."""
    smtp_server.messages.clear()
    smtp_server.refuse = False
    return smtp_server


@pytest.fixture(scope="session")
def settings_factory(data_dir: Path, database_url: str, smtp_server: SmtpServer):  # type: ignore[no-untyped-def]
    def make(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "data_dir": data_dir,
            "public_url": "http://testserver.local",
            "db": DatabaseSettings(url=database_url),
            "mail": MailSettings(host="127.0.0.1", port=smtp_server.port, security="none"),
            # Every test signs in from the same address; the limit itself is tested with its own store.
            "security": SecuritySettings(secret_key=TEST_SECRET, login_rate_limit=100_000, form_rate_limit=100_000),
        }
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    return make


@pytest.fixture(scope="session")
def settings(settings_factory) -> Settings:  # type: ignore[no-untyped-def]
    return settings_factory()  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
async def migrated_database(database_url: str) -> str:
    database = db_engine.bind(database_url)
    await db_engine.erase_everything(database)  # a test database left by an older run
    await db_engine.migrate()
    return database_url


@pytest.fixture(autouse=True)
async def clean_database(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    yield
    if "migrated_database" not in request.fixturenames:
        return
    database = db_engine.bind(request.getfixturevalue("database_url"))
    tables = sort_table_classes(list(APP_CONFIG.table_classes))
    if db_engine.is_sqlite(database):
        for table in reversed(tables):
            # A tree (kb_category.parent, ON DELETE RESTRICT) cannot be deleted in one statement in SQLite.
            tree = [fk for fk in table._meta.foreign_key_columns if fk._foreign_key_meta.resolved_references is table]
            if tree:
                await table.update(dict.fromkeys(tree), force=True)
            await table.delete(force=True)
    else:
        names = ", ".join(table._meta.tablename for table in tables)
        await database.run_ddl(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


@pytest.fixture(autouse=True)
def fresh_rate_limits(data_dir: Path) -> Iterator[None]:
    """Per-account counters (sign-in, emails per address) start at zero in every test."""
    yield
    shutil.rmtree(data_dir / "stores" / "rate_limit", ignore_errors=True)


@pytest.fixture
def app(settings: Settings, migrated_database: str) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with running(app) as test_client:
        yield test_client
