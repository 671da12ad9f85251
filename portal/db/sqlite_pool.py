"""SQLite with long-lived connections.

Piccolo's `SQLiteEngine` opens a new `aiosqlite` connection, which means a new thread, for every query run
outside a transaction and for every transaction: about 1.5 ms each, several times per page. Between
`start_pool` and `close_pool` this engine keeps connections open instead:

- Queries outside a transaction borrow one of at most `size` connections and wait for one when all are busy.
  Each statement still commits on its own (the connections are in autocommit mode) and, in WAL mode, reads
  the latest committed data, written by this process or another, so nothing is cached.
- A transaction takes an idle connection, or opens one, and gives it back when it ends. Transactions never
  wait for the pool: a transaction that waits on the write lock must not keep queries outside transactions
  from running, and those never wait on a transaction.
- A connection that could be in an unknown state (a task cancelled mid-statement, a transaction that could
  not be ended) is closed, not reused.

DDL outside a transaction, the pool of another event loop, and any query before `start_pool` or after
`close_pool` run on a fresh connection, as in Piccolo, so that a `PRAGMA` never changes a pooled connection.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType

if TYPE_CHECKING:
    from aiosqlite import Connection
    from piccolo.table import Table

RETURNING_SINCE = 3.35  # before this SQLite version Piccolo fetches inserted keys its own way


class ConnectionPool:
    """Open `aiosqlite` connections of one event loop; see the module docstring for the rules."""

    def __init__(self, connect: Callable[[], Awaitable[Connection]], size: int) -> None:
        self.loop = asyncio.get_running_loop()
        self.size = size
        self._connect = connect
        self._idle: list[Connection] = []
        self._slots = asyncio.Semaphore(size)  # queries outside transactions running at once
        self._closing: set[asyncio.Task[None]] = set()
        # Every connection this pool opened and has not closed, lent out or idle: an aiosqlite connection is a
        # thread that keeps the process from exiting, so `close` must reach even one a task never gave back.
        self._open: set[Connection] = set()
        self.closed = False

    @property
    def idle(self) -> int:
        return len(self._idle)

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[Connection]:
        async with self._slots:
            connection = await self.take()
            try:
                yield connection
            except Exception:
                self.give_back(connection)  # an SQL error leaves the connection as it was
                raise
            except BaseException:
                # Cancelled while the statement may still run on the connection's thread.
                self.discard(connection)
                raise
            self.give_back(connection)

    async def take(self) -> Connection:
        if self._idle:
            return self._idle.pop()
        # Opening runs on its own: a task cancelled while waiting must not lose a connection whose thread has
        # started (it would outlive the pool); the opened connection is then closed instead of handed out.
        opening = asyncio.ensure_future(self._connect())
        try:
            connection = await asyncio.shield(opening)
        except asyncio.CancelledError:
            opening.add_done_callback(self._discard_opened)
            raise
        self._open.add(connection)
        return connection

    def _discard_opened(self, opening: asyncio.Future[Connection]) -> None:
        if not opening.cancelled() and opening.exception() is None:
            self.discard(opening.result())

    def give_back(self, connection: Connection) -> None:
        if self.closed or len(self._idle) >= self.size or _in_transaction(connection):
            self.discard(connection)
        else:
            self._idle.append(connection)

    def discard(self, connection: Connection) -> None:
        self._open.discard(connection)
        task = self.loop.create_task(connection.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        self.closed = True
        self._idle = []
        remaining, self._open = self._open, set()
        await asyncio.gather(*(connection.close() for connection in remaining), *self._closing, return_exceptions=True)


def _in_transaction(connection: Connection) -> bool:
    try:
        return connection.in_transaction
    except (ValueError, sqlite3.ProgrammingError):  # already closed
        return True


class PooledSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine with a connection pool between `start_pool` and `close_pool`."""

    __slots__ = ("_pool",)

    def __init__(self, path: str, **connection_kwargs: Any) -> None:
        super().__init__(path=path, **connection_kwargs)
        self._pool: ConnectionPool | None = None

    async def start_pool(self, size: int) -> None:
        if self._pool is None or self._pool.closed:
            self._pool = ConnectionPool(self.get_connection, size)

    async def close_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    def pool(self) -> ConnectionPool | None:
        """The pool this task may use: only the one started in the running event loop."""
        pool = self._pool
        if pool is None or pool.closed:
            return None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        return pool if pool.loop is loop else None

    def transaction(
        self, transaction_type: TransactionType = TransactionType.deferred, allow_nested: bool = True
    ) -> SQLiteTransaction:
        return PooledTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)

    async def run_ddl(self, ddl: str, in_pool: bool = False) -> Any:
        if self.current_transaction.get() is not None:
            return await super().run_ddl(ddl, in_pool)
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=ddl)
        response = await super()._run_in_new_connection(query=ddl)
        if self.log_responses:
            self.print_response(query_id=query_id, response=response)
        return response

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: type[Table] | None = None,
    ) -> Any:
        pool = self.pool()
        if pool is None or (query_type == "insert" and self.get_version_sync() < RETURNING_SINCE):
            return await super()._run_in_new_connection(query, args, query_type, table)
        async with pool.autocommit() as connection, connection.execute(query, args or []) as cursor:
            return await cursor.fetchall()

    async def _run_in_existing_connection(
        self,
        connection: Connection,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: type[Table] | None = None,
    ) -> Any:
        # Piccolo runs `PRAGMA foreign_keys = 1` before every statement of a transaction, where it does nothing
        # (SQLite ignores the pragma inside a transaction); every connection here has it from the start.
        if query_type == "insert" and self.get_version_sync() < RETURNING_SINCE:
            return await super()._run_in_existing_connection(connection, query, args, query_type, table)
        async with connection.execute(query, args or []) as cursor:
            return await cursor.fetchall()


class PooledTransaction(SQLiteTransaction):
    """A Piccolo transaction on a pooled connection, given back (or closed) however the transaction ends."""

    __slots__ = ("_pool",)

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        assert isinstance(self.engine, PooledSQLiteEngine)
        self._pool = self.engine.pool()
        self.connection = await (self._pool.take() if self._pool else self.engine.get_connection())
        try:
            await self.begin()  # type: ignore[no-untyped-call]
        except BaseException:
            await self._release(clean=False)
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        clean = False
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()  # type: ignore[no-untyped-call]
            elif not self._committed and not self._rolled_back:
                await self.commit()  # type: ignore[no-untyped-call]
            clean = True
        finally:
            self.engine.current_transaction.reset(self.context)
            await self._release(clean=clean and not isinstance(exception, asyncio.CancelledError))
        return exception is None

    async def _release(self, *, clean: bool) -> None:
        if self._pool is None:
            await self.connection.close()
        elif clean:
            self._pool.give_back(self.connection)
        else:
            self._pool.discard(self.connection)
