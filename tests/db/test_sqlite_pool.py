"""The SQLite engine's connection pool: reuse without stale reads, lost writes or leaked transactions.

Each test has its own SQLite file and its own engine, built but not bound, so the tables of the portal and
the other tests are untouched, whichever database the suite runs on. A plain `sqlite3` connection stands in
for another server process sharing the file.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from piccolo.querystring import QueryString

from portal.db import engine as db_engine
from portal.db.sqlite_pool import PooledSQLiteEngine

POOL_SIZE = 2


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "pool.sqlite3"


@pytest.fixture
async def engine(path: Path) -> AsyncIterator[PooledSQLiteEngine]:
    built = db_engine.build(f"sqlite:///{path}", sqlite_busy_timeout=5.0)
    assert isinstance(built, PooledSQLiteEngine)
    await built.run_ddl("CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    await built.run_ddl("CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER NOT NULL REFERENCES parent (id))")
    assert await db_engine.start(built, pool_min_size=1, pool_max_size=POOL_SIZE)
    yield built
    await db_engine.stop(built)


@pytest.fixture
def other_process(path: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(path, isolation_level=None, timeout=5.0)
    yield connection
    connection.close()


async def run(engine: PooledSQLiteEngine, sql: str, *args: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await engine.run_querystring(QueryString(sql, *args))
    return rows


async def names(engine: PooledSQLiteEngine) -> list[str]:
    return [row["name"] for row in await run(engine, "SELECT name FROM parent ORDER BY id")]


async def test_queries_reuse_a_few_open_connections(engine: PooledSQLiteEngine) -> None:
    pool = engine.pool()
    assert pool is not None

    await asyncio.gather(*(run(engine, "SELECT 1 AS one") for _ in range(50)))

    assert 1 <= pool.idle <= POOL_SIZE


async def test_a_write_outside_a_transaction_is_committed_at_once(
    engine: PooledSQLiteEngine, other_process: sqlite3.Connection
) -> None:
    await run(engine, "INSERT INTO parent (name) VALUES ({})", "written")

    assert other_process.execute("SELECT name FROM parent").fetchall() == [("written",)]


async def test_reads_see_what_another_process_committed_since(
    engine: PooledSQLiteEngine, other_process: sqlite3.Connection
) -> None:
    await asyncio.gather(*(names(engine) for _ in range(2 * POOL_SIZE)))  # every pooled connection has read

    other_process.execute("INSERT INTO parent (name) VALUES ('elsewhere')")

    assert await asyncio.gather(*(names(engine) for _ in range(2 * POOL_SIZE))) == [["elsewhere"]] * (2 * POOL_SIZE)


async def test_a_failed_transaction_leaves_nothing_behind(engine: PooledSQLiteEngine) -> None:
    async def write_both() -> None:
        async with db_engine.write_transaction(engine):
            await run(engine, "INSERT INTO parent (name) VALUES ('rolled back')")
            await run(engine, "INSERT INTO child (parent) VALUES (12345)")  # no such parent

    with pytest.raises(sqlite3.IntegrityError):
        await write_both()

    assert await names(engine) == []
    async with db_engine.write_transaction(engine):
        await run(engine, "INSERT INTO parent (name) VALUES ('kept')")
    assert await names(engine) == ["kept"]


async def test_foreign_keys_are_enforced_outside_transactions_too(engine: PooledSQLiteEngine) -> None:
    for _ in range(2 * POOL_SIZE):
        with pytest.raises(sqlite3.IntegrityError):
            await run(engine, "INSERT INTO child (parent) VALUES (12345)")

    assert await run(engine, "SELECT count(*) AS n FROM child") == [{"n": 0}]


async def test_concurrent_read_then_write_transactions_lose_no_update(engine: PooledSQLiteEngine) -> None:
    await run(engine, "INSERT INTO parent (name) VALUES ('0')")

    async def increment() -> None:
        async with db_engine.write_transaction(engine):
            [row] = await run(engine, "SELECT name FROM parent")
            await run(engine, "UPDATE parent SET name = {}", str(int(row["name"]) + 1))

    async def read() -> None:
        await names(engine)

    await asyncio.gather(*(increment() for _ in range(30)), *(read() for _ in range(30)))

    assert await names(engine) == ["30"]


async def test_a_cancelled_query_does_not_poison_the_pool(
    engine: PooledSQLiteEngine, other_process: sqlite3.Connection
) -> None:
    await run(engine, "INSERT INTO parent (name) VALUES ('first')")
    slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000) SELECT max(i) FROM n"

    for _ in range(2 * POOL_SIZE):
        await names(engine)  # an idle connection in the pool
        task = asyncio.create_task(run(engine, slow))
        # One scheduling step, not a wait: the task takes the idle connection, hands the statement to the
        # connection's thread and awaits the answer, which it is cancelled while waiting for.
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    other_process.execute("INSERT INTO parent (name) VALUES ('second')")
    assert await names(engine) == ["first", "second"]


async def test_a_transaction_that_cannot_begin_gives_its_connection_back(
    path: Path, other_process: sqlite3.Connection
) -> None:
    engine = db_engine.build(f"sqlite:///{path}", sqlite_busy_timeout=0.05)
    assert isinstance(engine, PooledSQLiteEngine)
    await engine.run_ddl("CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    assert await db_engine.start(engine, pool_min_size=1, pool_max_size=1)
    try:
        other_process.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            async with db_engine.write_transaction(engine):
                pass
        other_process.execute("ROLLBACK")

        async with db_engine.write_transaction(engine):
            await run(engine, "INSERT INTO parent (name) VALUES ('after the lock')")
        assert await names(engine) == ["after the lock"]
        assert engine.current_transaction.get() is None
    finally:
        await db_engine.stop(engine)


async def test_after_stop_queries_still_run_without_a_pool(engine: PooledSQLiteEngine) -> None:
    await db_engine.stop(engine)

    assert engine.pool() is None
    await run(engine, "INSERT INTO parent (name) VALUES ('unpooled')")
    assert await names(engine) == ["unpooled"]


def connection_threads() -> int:
    import threading

    return sum(thread.name.endswith("(_connection_worker_thread)") for thread in threading.enumerate())


async def test_stopping_closes_every_connection_even_one_opened_for_a_cancelled_task(path: Path) -> None:
    """A connection is a thread: one left open keeps the server process from exiting on SIGTERM."""
    built = db_engine.build(f"sqlite:///{path}", sqlite_busy_timeout=5.0)
    assert isinstance(built, PooledSQLiteEngine)
    before = connection_threads()
    assert await db_engine.start(built, pool_min_size=1, pool_max_size=POOL_SIZE)
    pool = built.pool()
    assert pool is not None

    lent = await pool.take()  # a transaction's connection, never given back
    opening = asyncio.create_task(pool.take())
    await asyncio.sleep(0)  # let it start opening, then cancel it mid-way
    opening.cancel()
    with pytest.raises(asyncio.CancelledError):
        await opening
    await run(built, "SELECT 1")
    await db_engine.stop(built)

    assert connection_threads() == before
    with pytest.raises(ValueError, match="no active connection"):
        await lent.execute("SELECT 1")
