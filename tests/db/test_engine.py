from __future__ import annotations

import asyncio

from portal.db import engine as db_engine
from portal.db.tables import Account


async def test_concurrent_read_then_write_transactions_all_succeed(migrated_database: str) -> None:
    """Fifty requests that read, then write, at once: on SQLite, DEFERRED transactions fail with "database is
    locked", and on PostgreSQL an unlocked read loses updates; write transactions must queue instead."""
    database = db_engine.bind(migrated_database)
    await Account(name="Counter", domain="0").save()

    async def increment() -> None:
        async with db_engine.write_transaction(database):
            query = Account.select(Account.domain).where(Account.name == "Counter")
            row = await db_engine.for_update(query, database).first()
            assert row is not None
            await Account.update({Account.domain: str(int(row["domain"]) + 1)}).where(Account.name == "Counter")

    results = await asyncio.gather(*(increment() for _ in range(50)), return_exceptions=True)
    assert [result for result in results if isinstance(result, BaseException)] == []
    row = await Account.select(Account.domain).where(Account.name == "Counter").first()
    assert row == {"domain": "50"}


async def test_nothing_is_pending_after_migrating(migrated_database: str) -> None:
    db_engine.bind(migrated_database)
    assert await db_engine.pending_migrations() == []
    assert db_engine.known_migrations()
