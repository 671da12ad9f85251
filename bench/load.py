"""HTTP load against a running portal: `python -m bench.load --base-url URL --url / --url /login ...`.

One asyncio event loop and `--concurrency` workers, each with its own httpx client holding one keep-alive
connection (so `--concurrency` connections in all). After a short warm-up over every URL (not counted), each
URL in turn is requested by every worker, each sending its next request as soon as the previous answer has
been read, for `--duration` seconds. Latency is measured from sending a request until its whole body has
arrived. Redirects are not followed.

Why a client per worker rather than one client with a pool of `--concurrency` connections: httpcore 1.0.x
rescans every pooled connection for every queued request (encode/httpcore#1035), so one shared client at 64
connections spends nearly all its CPU on pool bookkeeping. Measured here: /healthz at 64 clients gave 126
requests/s through one shared client, 678 through 64 single-connection clients, with the server idle in the
first case.

Every request carries the cookies a browser would hold after its first page (the CSRF cookie), and after
signing in once with `--sign-in` (the session cookie, shared by all workers). Cookies the server sets during
the run are ignored, so the same session is measured throughout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import ssl
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

console = Console(stderr=True)
CSRF_COOKIE = "portal_csrf"
CSRF_HEADER = "x-csrftoken"
USER_AGENT = "portal-bench/1"


# --- Measurements ----------------------------------------------------------------------------------------


def percentile(ordered: Sequence[float], percent: float) -> float:
    """Nearest-rank percentile of an already sorted sequence; 0 when it is empty."""
    if not ordered:
        return 0.0
    rank = max(1, -(-len(ordered) * percent // 100))  # ceil without floats drifting
    return ordered[min(int(rank), len(ordered)) - 1]


@dataclass
class Recorder:
    """What the workers of one URL observed."""

    url: str
    latencies_ms: list[float] = field(default_factory=list)  # answered requests only, any status
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)  # transport failures and timeouts, by kind
    seconds: float = 0.0
    client_cpu_seconds: float = 0.0

    def answered(self, status: int, latency_ms: float) -> None:
        self.latencies_ms.append(latency_ms)
        self.statuses[status] += 1

    def failed(self, exc: Exception) -> None:
        self.errors[f"{type(exc).__name__}: {exc}"[:120]] += 1

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + sum(self.errors.values())

    @property
    def bad_statuses(self) -> dict[int, int]:
        """Answers that were neither success (2xx) nor redirect (3xx)."""
        return {status: n for status, n in sorted(self.statuses.items()) if not 200 <= status < 400}

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms)
        return {
            "url": self.url,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "requests_per_second": round(self.requests / self.seconds, 1) if self.seconds else 0.0,
            "latency_ms": {
                "p50": round(percentile(ordered, 50), 2),
                "p90": round(percentile(ordered, 90), 2),
                "p99": round(percentile(ordered, 99), 2),
                "max": round(ordered[-1], 2) if ordered else 0.0,
            },
            "statuses": {str(status): n for status, n in sorted(self.statuses.items())},
            "non_2xx_3xx": sum(self.bad_statuses.values()),
            "errors": sum(self.errors.values()),
            "error_kinds": dict(self.errors.most_common(5)),
            "client_cpu_percent": round(100 * self.client_cpu_seconds / self.seconds, 1) if self.seconds else 0.0,
        }


# --- Running ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Options:
    base_url: str
    urls: list[str]
    concurrency: int
    duration: float
    warmup: float
    timeout: float
    wait: float
    sign_in: tuple[str, str] | None
    json_path: Path | None


async def worker(client: httpx.AsyncClient, urls: Sequence[str], deadline: float, record: Recorder | None) -> None:
    """Request `urls` round-robin until the deadline; `record` None means warm-up (nothing is kept)."""
    turn = 0
    while (started := time.perf_counter()) < deadline:
        url = urls[turn % len(urls)]
        turn += 1
        try:
            response = await client.get(url)  # reads the whole body
        except httpx.HTTPError as exc:
            if record is not None:
                record.failed(exc)
            await asyncio.sleep(0.05)  # a refused connection fails at once; do not spin
            continue
        if record is not None:
            record.answered(response.status_code, (time.perf_counter() - started) * 1000)


async def hammer(
    clients: Sequence[httpx.AsyncClient],
    urls: Sequence[str],
    seconds: float,
    progress: Progress,
    record: Recorder | None,
) -> None:
    """One worker per client on `urls` for `seconds`, observed by `record` (None: warm-up)."""
    task = progress.add_task(record.url if record else "warm-up", total=seconds)
    started, cpu_started = time.perf_counter(), time.process_time()
    deadline = started + seconds
    workers = [asyncio.create_task(worker(client, urls, deadline, record)) for client in clients]

    async def tick() -> None:
        while True:
            progress.update(task, completed=min(time.perf_counter() - started, seconds))
            await asyncio.sleep(0.5)

    ticker = asyncio.create_task(tick())
    try:
        await asyncio.gather(*workers)
    finally:
        ticker.cancel()
    progress.update(task, completed=seconds)
    if record is not None:
        # Requests started before the deadline finish after it; their time counts too.
        record.seconds = time.perf_counter() - started
        record.client_cpu_seconds = time.process_time() - cpu_started


async def wait_until_up(base_url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=base_url, timeout=2.0) as client:
        while True:
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() >= deadline:
                raise SystemExit(f"{base_url}/healthz did not answer 200 within {seconds:.0f} s.")
            await asyncio.sleep(0.25)


async def browser_cookies(
    base_url: str, sign_in: tuple[str, str] | None, seconds: float
) -> tuple[dict[str, str], str | None]:
    """The cookies a browser holds after opening /login and, if asked, signing in (one POST: rate-limited),
    and where signing in sent it."""
    async with httpx.AsyncClient(base_url=base_url, timeout=seconds, headers={"user-agent": USER_AGENT}) as client:
        page = await client.get("/login")
        page.raise_for_status()
        landing = None
        if sign_in is not None:
            email, password = sign_in
            token = client.cookies.get(CSRF_COOKIE)
            if token is None:
                raise SystemExit(f"GET /login set no {CSRF_COOKIE} cookie; cannot sign in.")
            answer = await client.post(
                "/login", data={"email": email, "password": password}, headers={CSRF_HEADER: token}
            )
            if answer.status_code != 303:
                hint = " (rate limited: wait a minute)" if answer.status_code == 429 else ""
                raise SystemExit(f"Signing in as {email} failed: HTTP {answer.status_code}{hint}.")
            landing = answer.headers.get("location")
            console.print(f"Signed in as {email}; redirected to {landing}.")
        return {cookie.name: cookie.value or "" for cookie in client.cookies.jar}, landing


async def run(options: Options, progress: Progress) -> list[Recorder]:
    if options.wait:
        await wait_until_up(options.base_url, options.wait)
    cookies, landing = await browser_cookies(options.base_url, options.sign_in, options.timeout)
    headers = {
        "user-agent": USER_AGENT,
        "cookie": "; ".join(f"{name}={value}" for name, value in cookies.items()),
    }
    tls = ssl.create_default_context()  # built once: loading the CA bundle per client costs ~20 ms each
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=options.base_url,
                    headers=headers,
                    # A jar that accepts nothing: every request sends exactly the cookies above.
                    cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
                    limits=httpx.Limits(max_connections=1, max_keepalive_connections=1, keepalive_expiry=60),
                    timeout=options.timeout,
                    verify=tls,
                    follow_redirects=False,
                )
            )
            for _ in range(options.concurrency)
        ]
        if landing is not None:  # the frozen cookies must carry the session, or every figure measures a 401
            check = await clients[0].get(landing)
            if not 200 <= check.status_code < 300:
                raise SystemExit(f"Signed in, but {landing} answers HTTP {check.status_code} with that session.")
        if options.warmup > 0:
            await hammer(clients, options.urls, options.warmup, progress, None)
        results = [Recorder(url) for url in options.urls]
        for record in results:
            await hammer(clients, [record.url], options.duration, progress, record)
        return results


# --- Reporting -------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "httpx": httpx.__version__,
    }


def print_header(options: Options) -> None:
    facts = machine()
    who = f"signed in as {options.sign_in[0]}" if options.sign_in else "anonymous"
    console.print(
        f"[bold]bench.load[/bold] {options.base_url}: {options.concurrency} concurrent clients, "
        f"{options.duration:g} s per URL after {options.warmup:g} s warm-up, {who}.\n"
        f"[yellow]Client and server share this machine ({facts['cpus']} CPU cores): the load generator's own "
        f"CPU use (column 'client CPU') is taken from the server, so these figures are a floor.[/yellow]",
        soft_wrap=True,
    )


def results_table(summaries: list[dict[str, Any]], options: Options) -> Table:
    cpus = machine()["cpus"]
    title = f"{options.concurrency} clients x {options.duration:g} s per URL, {cpus} CPU cores shared by both"
    table = Table(title=title)
    for column in (
        "URL",
        "requests",
        "req/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "non-2xx/3xx",
        "errors",
    ):
        table.add_column(column, justify="left" if column == "URL" else "right")
    table.add_column("client CPU", justify="right")
    for summary in summaries:
        latency = summary["latency_ms"]
        bad = {status: n for status, n in summary["statuses"].items() if not 200 <= int(status) < 400}
        table.add_row(
            summary["url"],
            f"{summary['requests']:,}",
            f"{summary['requests_per_second']:,.0f}",
            f"{latency['p50']:.1f}",
            f"{latency['p90']:.1f}",
            f"{latency['p99']:.1f}",
            f"{latency['max']:.1f}",
            ", ".join(f"{status}x{n}" for status, n in bad.items()) or "0",
            f"{summary['errors']:,}",
            f"{summary['client_cpu_percent']:.0f}%",
        )
    return table


def write_json(path: Path, summaries: list[dict[str, Any]], options: Options) -> None:
    document = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "base_url": options.base_url,
        "concurrency": options.concurrency,
        "duration_seconds": options.duration,
        "warmup_seconds": options.warmup,
        "signed_in_as": options.sign_in[0] if options.sign_in else None,
        "machine": machine(),
        "note": "client and server share the machine's CPU cores",
        "results": summaries,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


# --- Command line ----------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="Where the portal listens.")
    parser.add_argument("--url", action="append", dest="urls", help="Path to measure; repeat for more (default /).")
    parser.add_argument("--concurrency", type=int, default=64, help="Simultaneous clients (default 64).")
    parser.add_argument("--duration", type=float, default=30.0, help="Seconds per URL (default 30).")
    parser.add_argument("--warmup", type=float, default=3.0, help="Seconds of uncounted warm-up (default 3).")
    parser.add_argument("--timeout", type=float, default=30.0, help="Seconds one request may take (default 30).")
    parser.add_argument("--wait", type=float, default=0.0, help="Seconds to wait for /healthz to answer first.")
    parser.add_argument("--sign-in", metavar="EMAIL:PASSWORD", help="Sign in once and send that session.")
    parser.add_argument("--json", type=Path, dest="json_path", help="Also write the results to this file.")
    args = parser.parse_args(argv)
    sign_in = None
    if args.sign_in:
        email, separator, password = args.sign_in.partition(":")
        if not separator or not email or not password:
            parser.error("--sign-in takes EMAIL:PASSWORD")
        sign_in = (email, password)
    if args.concurrency < 1 or args.duration <= 0 or args.warmup < 0:
        parser.error("--concurrency must be >= 1, --duration > 0, --warmup >= 0")
    return Options(
        base_url=args.base_url.rstrip("/"),
        urls=args.urls or ["/"],
        concurrency=args.concurrency,
        duration=args.duration,
        warmup=args.warmup,
        timeout=args.timeout,
        wait=args.wait,
        sign_in=sign_in,
        json_path=args.json_path,
    )


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    print_header(options)
    progress = Progress(
        TextColumn("{task.description:<24}"),
        BarColumn(),
        TimeRemainingColumn(),
        console=console,
        refresh_per_second=2,  # the client shares the CPU with the server: keep the bar cheap
    )
    with progress:
        records = asyncio.run(run(options, progress))
    summaries = [record.summary() for record in records]
    out = Console()
    if not out.is_terminal:  # piped or redirected: wide enough for every column instead of 80
        out = Console(width=120)
    out.print(results_table(summaries, options))
    for summary in summaries:
        for kind, n in summary["error_kinds"].items():
            console.print(f"[red]{summary['url']}: {n:,} x {kind}[/red]")
    if options.json_path is not None:
        write_json(options.json_path, summaries, options)
        console.print(f"Results written to {options.json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
