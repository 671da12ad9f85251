"""Run the app in the test's own event loop.

Litestar's test client runs the lifespan on a separate thread and loop; the PostgreSQL pool created there
cannot serve queries from the test's loop. Here the lifespan and the requests share one loop, as in a server.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

BASE_URL = "http://testserver.local"
SERVER_SECRET = "live-server-secret-key-that-is-long-enough-0123456789"
READY_TIMEOUT = 60.0  # a deadline, not a wait: a loaded CI machine starts two workers slowly
STOP_TIMEOUT = 10.0


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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LiveServer:
    url: str
    log: Path


@contextmanager
def serving(*, database_url: str, data_dir: Path, args: tuple[str, ...] = (), **env: str) -> Iterator[LiveServer]:
    """The real `portal serve` in its own process, ready (GET /readyz answers 200) when this yields."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environment = (
        os.environ
        | {
            "DATABASE_URL": database_url,
            "PORTAL_DATA_DIR": str(data_dir),
            "PORTAL_SECURITY__SECRET_KEY": SERVER_SECRET,
            "PORTAL_PUBLIC_URL": url,
        }
        | env
    )
    log_path = data_dir / f"live-server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "portal"), "serve", "--port", str(port), *args],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_ready(process, url, log_path)
            yield LiveServer(url=url, log=log_path)
        finally:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT)


def _wait_until_ready(process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    last = "no answer yet"
    with httpx.Client(base_url=url, timeout=1.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(
                    f"`portal serve` exited with code {process.returncode} before it was ready:\n"
                    f"{log_path.read_text(errors='replace')}"
                )
            try:
                response = client.get("/readyz")
            except httpx.TransportError as exc:
                last = repr(exc)
            else:
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text}"
            time.sleep(0.05)  # the interval between polls of the readiness condition
    pytest.fail(
        f"`portal serve` was not ready at {url}/readyz within {READY_TIMEOUT:.0f} s (last: {last}).\n"
        f"Its output:\n{log_path.read_text(errors='replace')}"
    )
