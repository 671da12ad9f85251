"""Plugins and events for the plugin tests, importable by name (`PORTAL_PLUGINS__EXTRA`) in a worker process."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

import click

from portal.plugins import hookimpl
from portal.plugins.events import DomainEvent
from portal.plugins.handle import Portal
from portal.web.navigation import Audience, NavItem

SLOW_STARTED = "PORTAL_TEST_SLOW_STARTED"  # a file SlowPlugin creates when its handler has begun


@dataclass(frozen=True)
class CaseNoted(DomainEvent):
    topic = "test.case_noted"
    aggregate = "case"
    case_id: int
    note: str = ""

    @property
    def aggregate_id(self) -> str:
        return str(self.case_id)


class Recorder:
    """Handles every event; fails its first `failures` calls (its ERP is down)."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.events: list[DomainEvent] = []
        self.calls = 0
        self.received = asyncio.Event()

    @hookimpl
    async def portal_handle_event(self, event: DomainEvent, portal: Portal) -> None:
        self.calls += 1
        await asyncio.sleep(0)
        if self.failures:
            self.failures -= 1
            raise ConnectionError("ERP is down")
        self.events.append(event)
        self.received.set()


class SlowPlugin:
    """An event handler that starts, says so in a file, and takes far longer than any test waits."""

    @hookimpl
    async def portal_handle_event(self, event: DomainEvent) -> None:
        await asyncio.to_thread(Path(os.environ[SLOW_STARTED]).write_text, str(event.id))
        await asyncio.sleep(3600)


class ShopPlugin:
    """A plugin as an integrator writes one: a navigation entry, a command and an event handler."""

    @hookimpl
    def portal_nav_items(self) -> list[NavItem]:
        return [NavItem("Orders", "/orders", Audience.customer)]

    @hookimpl
    def portal_cli(self) -> click.Command:
        return hello

    @hookimpl
    def portal_handle_event(self, event: DomainEvent) -> None:
        raise RuntimeError(f"cannot handle {event.topic}")


@click.command()
def hello() -> None:
    """Say hello from a plugin."""
    click.echo("hello from a plugin")
