"""HTTP load on the case pages: `python -m bench.cases_load --base-url URL [--scenario NAME ...]`.

The scenarios of issue 4 ("Speed at volume"), each measured on its own like a URL of `bench.load` (closed loop,
`--concurrency` clients with one keep-alive connection each, latency until the whole body has arrived):

| scenario         | who                                 | request                                              |
| ---------------- | ----------------------------------- | ---------------------------------------------------- |
| `list`           | the contact with the most cases     | `GET /cases`                                         |
| `case`           | that contact                        | `GET /cases/{number}`, round-robin over their cases  |
| `queue`          | the agent with the most open cases  | `GET /backoffice/cases` (the default view)           |
| `queue-filtered` | that agent                          | `GET /backoffice/cases?status=open&priority=high`    |
| `open`           | the contact                         | `POST /cases`: a new case (a form, as a browser sends it) |

The sign-ins are found in the database that `bench.generate --cases N` filled (`--database-url`, default
`DATABASE_URL`); every synthetic user has the same password. Signing in is one `POST /login` per person
(two in all), well under the portal's ten per minute.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import ssl
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from bench.generate import DEFAULT_PASSWORD
from bench.load import (
    CSRF_COOKIE,
    USER_AGENT,
    Options,
    Recorder,
    browser_cookies,
    results_table,
    wait_until_up,
    write_json,
)

console = Console(stderr=True)
SCENARIOS = ("list", "case", "queue", "queue-filtered", "open")
CASE_NUMBERS = 200  # case pages to go round (all the contact's cases, up to this many)


@dataclass(frozen=True, slots=True)
class Cast:
    """Who plays the scenarios, and what they need, read from the generated database."""

    contact: str
    case_numbers: list[str]
    agent: str
    product: int | None
    category: int | None


@dataclass
class Scenario:
    """One measured row: the same request (or a rotation of them) with one person's cookies."""

    name: str
    method: str
    urls: list[str]
    cookies: dict[str, str]
    form: dict[str, str] = field(default_factory=dict)
    multipart: bool = True

    @property
    def headers(self) -> dict[str, str]:
        return {"cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}

    def request(self, turn: int) -> dict[str, Any]:
        """Keyword arguments for `httpx.AsyncClient.request` for the worker's `turn`-th request."""
        url = self.urls[turn % len(self.urls)]
        if self.method == "GET":
            return {"method": "GET", "url": url, "headers": self.headers}
        form = self.form | {"subject": f"{self.form['subject']} {turn}"}
        if not self.multipart:
            body, content_type = urlencode(form).encode(), "application/x-www-form-urlencoded"
        else:
            body, content_type = _multipart(form)
        return {
            "method": "POST",
            "url": url,
            "content": body,
            "headers": self.headers | {"content-type": content_type},
        }


def _multipart(form: dict[str, str]) -> tuple[bytes, str]:
    """The body a browser sends for the new-case form (enctype multipart/form-data) with no file chosen."""
    boundary = f"----portalbench{secrets.token_hex(8)}"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in form.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; filename=""\r\n'
        "Content-Type: application/octet-stream\r\n\r\n\r\n"
    )
    return ("".join(parts) + f"--{boundary}--\r\n").encode(), f"multipart/form-data; boundary={boundary}"


# --- The cast, from the database -----------------------------------------------------------------------------


async def find_cast(database_url: str, contact: str | None, agent: str | None) -> Cast:
    from piccolo.querystring import QueryString

    from portal.db import engine as db_engine

    engine = db_engine.bind(database_url)
    if not await db_engine.start(engine, pool_min_size=1, pool_max_size=2):
        raise SystemExit(f"Database {database_url} is not reachable.")

    async def rows(sql: str, *args: Any) -> list[dict[str, Any]]:
        return list(await engine.run_querystring(QueryString(sql, *args)))

    try:
        if contact is None:
            found = await rows(
                "SELECT u.email FROM support_case c JOIN portal_user u ON u.id = c.requester "
                "WHERE u.is_active = {} AND u.role = 'contact' GROUP BY u.email ORDER BY count(*) DESC LIMIT 1",
                True,
            )
            if not found:
                raise SystemExit("No contact has cases: run `python -m bench.generate --cases N` first.")
            contact = str(found[0]["email"])
        numbers = await rows(
            "SELECT c.number FROM support_case c JOIN portal_user u ON u.id = c.requester WHERE u.email = {} "
            "ORDER BY c.updated_at DESC LIMIT {}",
            contact,
            CASE_NUMBERS,
        )
        if agent is None:
            found = await rows(
                "SELECT u.email FROM support_case c JOIN portal_user u ON u.id = c.assignee "
                "WHERE u.is_active = {} AND u.role = 'agent' "
                "AND c.status IN ('new', 'open', 'waiting_on_customer', 'on_hold') "
                "GROUP BY u.email ORDER BY count(*) DESC LIMIT 1",
                True,
            )
            if not found:
                raise SystemExit("No agent has open cases: run `python -m bench.generate --cases N` first.")
            agent = str(found[0]["email"])
        product = await rows("SELECT id FROM product WHERE is_active = {} ORDER BY id LIMIT 1", True)
        product_id = int(product[0]["id"]) if product else None
        category = await rows(
            "SELECT id FROM category WHERE is_active = {} AND (product IS NULL OR product = {}) ORDER BY id LIMIT 1",
            True,
            product_id,
        )
        return Cast(
            contact=contact,
            case_numbers=[str(row["number"]) for row in numbers],
            agent=agent,
            product=product_id,
            category=int(category[0]["id"]) if category else None,
        )
    finally:
        await db_engine.stop(engine)


def scenarios(names: Sequence[str], cast: Cast, contact_cookies: dict[str, str], agent_cookies: dict[str, str],
              *, multipart: bool) -> list[Scenario]:  # fmt: skip
    form = {
        "_csrf_token": contact_cookies.get(CSRF_COOKIE, ""),
        "type": "incident",
        "priority": "normal",
        "subject": "Benchmark: the printer does not start",
        "description": "Since this morning the printer shows a red light. We restarted it twice.",
        "product": str(cast.product) if cast.product else "",
        "category": str(cast.category) if cast.category else "",
    }
    every = {
        "list": Scenario("GET /cases", "GET", ["/cases"], contact_cookies),
        "case": Scenario(
            "GET /cases/{number}", "GET", [f"/cases/{number}" for number in cast.case_numbers], contact_cookies
        ),
        "queue": Scenario("GET /backoffice/cases", "GET", ["/backoffice/cases"], agent_cookies),
        "queue-filtered": Scenario(
            "GET /backoffice/cases?status=open&priority=high",
            "GET",
            ["/backoffice/cases?status=open&priority=high"],
            agent_cookies,
        ),
        "open": Scenario("POST /cases", "POST", ["/cases"], contact_cookies, form=form, multipart=multipart),
    }
    return [every[name] for name in names]


# --- Running -------------------------------------------------------------------------------------------------


async def worker(client: httpx.AsyncClient, scenario: Scenario, first_turn: int, deadline: float,
                 record: Recorder | None) -> None:  # fmt: skip
    turn = first_turn
    while (started := time.perf_counter()) < deadline:
        request = scenario.request(turn)
        turn += 1
        try:
            response = await client.request(**request)
        except httpx.HTTPError as exc:
            if record is not None:
                record.failed(exc)
            await asyncio.sleep(0.05)  # a refused connection fails at once; do not spin
            continue
        if record is not None:
            record.answered(response.status_code, (time.perf_counter() - started) * 1000)


async def measure(clients: Sequence[httpx.AsyncClient], scenario: Scenario, seconds: float, progress: Progress,
                  record: Recorder | None) -> None:  # fmt: skip
    task = progress.add_task(f"{'warm-up ' if record is None else ''}{scenario.name}"[:40], total=seconds)
    started, cpu_started = time.perf_counter(), time.process_time()
    deadline = started + seconds
    # Each worker starts at its own place in the rotation, so case pages are spread over the contact's cases.
    workers = [
        asyncio.create_task(worker(client, scenario, index * 7, deadline, record))
        for index, client in enumerate(clients)
    ]

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
        record.seconds = time.perf_counter() - started
        record.client_cpu_seconds = time.process_time() - cpu_started


async def check(client: httpx.AsyncClient, scenario: Scenario) -> None:
    """One request before measuring: a figure of 403s or 404s would measure nothing."""
    response = await client.request(**scenario.request(0))
    expected = 303 if scenario.method == "POST" else 200
    if response.status_code != expected:
        raise SystemExit(
            f"{scenario.name} answered HTTP {response.status_code}, not {expected}: is the page there, and the"
            " benchmark's data in the database the server uses?"
        )


async def run(args: argparse.Namespace, options: Options, progress: Progress) -> list[Recorder]:
    if options.wait:
        await wait_until_up(options.base_url, options.wait)
    cast = await find_cast(args.database_url, args.contact, args.agent)
    console.print(
        f"Contact {cast.contact} ({len(cast.case_numbers)} case pages), agent {cast.agent}, "
        f"product {cast.product}, category {cast.category}."
    )
    names = args.scenarios or list(SCENARIOS)
    contact_cookies: dict[str, str] = {}
    agent_cookies: dict[str, str] = {}
    if {"list", "case", "open"} & set(names):
        contact_cookies, _ = await browser_cookies(options.base_url, (cast.contact, args.password), options.timeout)
    if {"queue", "queue-filtered"} & set(names):
        agent_cookies, _ = await browser_cookies(options.base_url, (cast.agent, args.password), options.timeout)
    plan = scenarios(names, cast, contact_cookies, agent_cookies, multipart=not args.urlencoded)
    tls = ssl.create_default_context()
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=options.base_url,
                    headers={"user-agent": USER_AGENT},
                    cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),  # send only ours
                    limits=httpx.Limits(max_connections=1, max_keepalive_connections=1, keepalive_expiry=60),
                    timeout=options.timeout,
                    verify=tls,
                    follow_redirects=False,
                )
            )
            for _ in range(options.concurrency)
        ]
        for scenario in plan:
            await check(clients[0], scenario)
        results = []
        for scenario in plan:
            if options.warmup > 0:
                await measure(clients, scenario, options.warmup, progress, None)
            record = Recorder(scenario.name)
            await measure(clients, scenario, options.duration, progress, record)
            results.append(record)
        return results


# --- Command line --------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> tuple[argparse.Namespace, Options]:
    parser = argparse.ArgumentParser(prog="python -m bench.cases_load", description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="Where the portal listens.")
    parser.add_argument(
        "--scenario",
        action="append",
        dest="scenarios",
        choices=SCENARIOS,
        help=f"A scenario to measure; repeat for more (default: all, in the order {', '.join(SCENARIOS)}).",
    )
    parser.add_argument("--database-url", help="The database the server uses; default: DATABASE_URL / settings.")
    parser.add_argument("--password", default=DEFAULT_PASSWORD, help="The synthetic users' password.")
    parser.add_argument("--contact", help="Sign in as this contact (default: the one with the most cases).")
    parser.add_argument("--agent", help="Sign in as this agent (default: the one with the most open cases).")
    parser.add_argument("--urlencoded", action="store_true", help="POST the form URL-encoded, not multipart.")
    parser.add_argument("--concurrency", type=int, default=64, help="Simultaneous clients (default 64).")
    parser.add_argument("--duration", type=float, default=30.0, help="Seconds per scenario (default 30).")
    parser.add_argument("--warmup", type=float, default=3.0, help="Uncounted seconds before each (default 3).")
    parser.add_argument("--timeout", type=float, default=30.0, help="Seconds one request may take (default 30).")
    parser.add_argument("--wait", type=float, default=0.0, help="Seconds to wait for /healthz to answer first.")
    parser.add_argument("--json", type=Path, dest="json_path", help="Also write the results to this file.")
    args = parser.parse_args(argv)
    if args.concurrency < 1 or args.duration <= 0 or args.warmup < 0:
        parser.error("--concurrency must be >= 1, --duration > 0, --warmup >= 0")
    if args.database_url is None:
        from portal.settings import Settings  # reads DATABASE_URL, PORTAL_* and portal.toml

        args.database_url = Settings().database_url
    options = Options(
        base_url=args.base_url.rstrip("/"),
        urls=[],
        concurrency=args.concurrency,
        duration=args.duration,
        warmup=args.warmup,
        timeout=args.timeout,
        wait=args.wait,
        sign_in=None,
        json_path=args.json_path,
    )
    return args, options


def main(argv: Sequence[str] | None = None) -> int:
    args, options = parse_args(argv)
    console.print(
        f"[bold]bench.cases_load[/bold] {options.base_url}: {options.concurrency} concurrent clients, "
        f"{options.duration:g} s per scenario after {options.warmup:g} s warm-up each.\n"
        "[yellow]Client and server share this machine: the figures are a floor (see bench/README.md).[/yellow]",
        soft_wrap=True,
    )
    progress = Progress(
        TextColumn("{task.description:<40}"), BarColumn(), TimeRemainingColumn(), console=console, refresh_per_second=2
    )
    with progress:
        records = asyncio.run(run(args, options, progress))
    summaries = [record.summary() for record in records]
    out = Console()
    if not out.is_terminal:
        out = Console(width=140)
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
