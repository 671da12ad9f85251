"""Run the app in the test's own event loop.

Litestar's test client runs the lifespan on a separate thread and loop; the PostgreSQL pool created there
cannot serve queries from the test's loop. Here the lifespan and the requests share one loop, as in a server.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from litestar import Litestar

BASE_URL = "http://testserver.local"


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(scope, to_app.get, from_app.put))  # type: ignore[arg-type]
    await to_app.put({"type": "lifespan.startup"})
    started = await from_app.get()
    if started["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"app failed to start: {started}")
    try:
        yield
    finally:
        await to_app.put({"type": "lifespan.shutdown"})
        await from_app.get()
        await task


@asynccontextmanager
async def running(app: Litestar, base_url: str = BASE_URL) -> AsyncIterator[httpx.AsyncClient]:
    """A started app and a client that talks to it in-process, keeping cookies like a browser."""
    async with (
        lifespan(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url) as client,
    ):
        yield client
