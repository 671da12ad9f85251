"""`portal plugins ...`: the core's commands about plugins, added through `portal_cli` like any plugin's."""

from __future__ import annotations

from collections import Counter

import click
from rich.console import Console
from rich.table import Table

from portal.plugins import hookimpl
from portal.plugins.manager import PluginManager


@hookimpl
def portal_cli() -> click.Command:
    return plugins


@click.group()
def plugins() -> None:
    """The plugins this portal runs."""


@plugins.command("list")
def list_plugins() -> None:
    """Show each plugin: where it comes from, its version, its hooks, its health and its event deliveries."""
    from portal.cli import load_plugins, load_settings, run_with_database
    from portal.plugins.outbox import delivery_counts

    settings = load_settings()
    root = click.get_current_context().find_root().command
    pm = getattr(root, "plugin_manager", None)
    if not isinstance(pm, PluginManager):  # run on its own, not under `portal`
        pm = load_plugins(settings)
    try:
        deliveries = run_with_database(settings, delivery_counts)
    except Exception as exc:  # reported, not raised: the list is useful without the database too
        deliveries = None
        click.echo(f"Event deliveries unknown: {exc}", err=True)
    table = Table(title="Plugins")
    for column in ("Plugin", "Source", "Version", "Hooks", "Health", "Event deliveries"):
        table.add_column(column, overflow="fold")
    for info in pm.describe():
        health = info.health
        status = "ok" if not health.failures else f"{health.failures} failed of {health.calls}: {health.last_error}"
        table.add_row(
            info.name,
            info.source,
            info.version,
            ", ".join(info.hooks),
            status,
            _deliveries(deliveries, info.name) if "portal_handle_event" in info.hooks else "",
        )
    Console().print(table)


def _deliveries(counts: dict[str, Counter[str]] | None, name: str) -> str:
    if counts is None:
        return "?"
    found = counts.get(name, Counter())
    return ", ".join(f"{found[status]} {status}" for status in ("delivered", "pending", "delivering", "dead"))
