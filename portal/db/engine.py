"""The database engine: chosen from a URL, bound to every table, started and stopped with the app.

Piccolo resolves engines globally (per table class), so binding is process-wide: `create_app` binds the
engine its settings name, and every table, Piccolo's migration table included, then talks to it.
"""

from __future__ import annotations

import contextlib
import io
import os
import sqlite3
from collections.abc import Callable
from typing import Any

import asyncpg
import structlog
from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine as PiccoloEngine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.query.methods.select import Select
from piccolo.querystring import QueryString

from portal.db.piccolo_app import APP_CONFIG
from portal.db.sqlite_pool import PooledSQLiteEngine

log = structlog.get_logger("portal.db")

# Piccolo's Engine is generic in its transaction type, which nothing here depends on.
Engine = PiccoloEngine[Any]

_bound: Engine | None = None


class UnsupportedDatabase(ValueError):
    """The URL names a database the portal does not run on."""


def build(url: str, *, sqlite_busy_timeout: float = 30.0) -> Engine:
    if url.startswith(("postgres://", "postgresql://")):
        return PostgresEngine(config={"dsn": url}, extensions=())
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        return PooledSQLiteEngine(path=path, timeout=sqlite_busy_timeout)
    raise UnsupportedDatabase(f"Unsupported DATABASE_URL {url!r}: use sqlite:///PATH or postgresql://...")


def bind(url: str, *, sqlite_busy_timeout: float = 30.0) -> Engine:
    """Build the engine for `url` and make every table use it."""
    global _bound
    engine = build(url, sqlite_busy_timeout=sqlite_busy_timeout)
    os.environ.setdefault("PICCOLO_CONF", "portal.db.piccolo_conf")
    for table in [*APP_CONFIG.table_classes, Migration]:
        table._meta.db = engine  # type: ignore[attr-defined]
    _bound = engine
    return engine


def current() -> Engine | None:
    return _bound


def is_sqlite(engine: Engine) -> bool:
    return isinstance(engine, SQLiteEngine)


def write_transaction(engine: Engine) -> Any:
    """A transaction for read-then-write work.

    SQLite's default DEFERRED transactions fail at once with "database is locked" when two of them upgrade to
    writers together; IMMEDIATE takes the write lock up front, so concurrent requests queue instead of failing.
    """
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


def for_update(query: Select[Any], engine: Engine) -> Select[Any]:
    """Lock the selected rows until the write transaction ends, so a read-then-write cannot lose an update.

    PostgreSQL needs `SELECT ... FOR UPDATE`; SQLite has no row locks, and needs none inside
    `write_transaction`, which already holds the database's single write lock.
    """
    return query if isinstance(engine, SQLiteEngine) else query.lock_rows("UPDATE")


async def start(engine: Engine, *, pool_min_size: int, pool_max_size: int) -> bool:
    """Prepare the engine; False if the database is not reachable yet.

    A process whose database is down still starts, answers `/healthz` and fails `/readyz`, and `/readyz`
    calls this again until it succeeds; crashing instead would make an orchestrator restart it in a loop.
    """
    try:
        if isinstance(engine, PostgresEngine):
            if engine.pool is None:
                await engine.start_connection_pool(min_size=pool_min_size, max_size=pool_max_size)
        else:
            # WAL lets readers go on while one writer commits; the setting is stored in the file.
            await engine.run_ddl("PRAGMA journal_mode=WAL")
            if isinstance(engine, PooledSQLiteEngine):
                await engine.start_pool(size=pool_max_size)
    except (OSError, sqlite3.Error, asyncpg.PostgresError) as exc:
        log.error("database not reachable", error=str(exc))
        return False
    return True


async def stop(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        await engine.close_connection_pool()
    elif isinstance(engine, PooledSQLiteEngine):
        await engine.close_pool()


async def erase_everything(engine: Engine) -> None:
    """Drop every table (PostgreSQL: the whole public schema). For demo resets and test sessions only."""
    if isinstance(engine, PostgresEngine):
        await engine.run_ddl("DROP SCHEMA public CASCADE")
        await engine.run_ddl("CREATE SCHEMA public")
        return
    rows = await engine.run_querystring(
        QueryString("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    )
    await engine.run_ddl("PRAGMA foreign_keys = OFF")
    for row in rows:
        await engine.run_ddl(f'DROP TABLE IF EXISTS "{row["name"]}"')


async def ping(engine: Engine) -> None:
    """Raise if the database cannot answer a trivial query."""
    await engine.run_ddl("SELECT 1")


def known_migrations() -> list[str]:
    modules = BaseMigrationManager().get_migration_modules(str(APP_CONFIG.migrations_folder_path))
    return sorted(modules)


async def pending_migrations() -> list[str]:
    if not await Migration.table_exists():
        return known_migrations()
    applied = set(await Migration.get_migrations_which_ran(app_name=APP_CONFIG.app_name))
    return [migration_id for migration_id in known_migrations() if migration_id not in applied]


async def migrate(on_applied: Callable[[str], None] = lambda _: None) -> list[str]:
    """Apply pending migrations one by one, calling `on_applied` after each (for a progress bar)."""
    if not await Migration.table_exists():
        await Migration.create_table(if_not_exists=True)
    pending = await pending_migrations()
    for migration_id in pending:
        # Piccolo prints its own progress; ours is the caller's progress bar.
        with contextlib.redirect_stdout(io.StringIO()):
            result = await run_forwards(app_name=APP_CONFIG.app_name, migration_id=migration_id)
        if not result.success:
            raise RuntimeError(f"Migration {migration_id} failed: {result.message}")
        on_applied(migration_id)
    return pending
