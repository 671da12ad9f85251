"""Every hook a plugin can implement, grouped by business moment. This module is the plugin API.

A plugin implements a hook by defining a function of the same name marked `@hookimpl`, taking any subset of
the parameters below (pluggy passes only those it names). Results may be awaitables, except where a docstring
says the hook runs while something synchronous (a page being rendered, the command line) waits for it.
Each docstring says how the results of several plugins combine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    from litestar.connection import ASGIConnection

    from portal.plugins.events import DomainEvent
    from portal.plugins.handle import Portal
    from portal.web.navigation import NavItem

hookspec = pluggy.HookspecMarker("portal")
hookimpl = pluggy.HookimplMarker("portal")


# --- Command line ----------------------------------------------------------------------------------------------


@hookspec
def portal_cli() -> click.Command | Iterable[click.Command] | None:
    """Commands to add under `portal` (`portal NAME ...`). All results are collected: every command of every
    plugin is added, in plugin order; a name the portal or an earlier plugin already uses is refused and logged.

    Called once when the `portal` command starts, synchronously: return commands, not an awaitable.
    """


# --- Pages ------------------------------------------------------------------------------------------------------


@hookspec
def portal_nav_items(request: ASGIConnection[Any, Any, Any, Any], portal: Portal) -> Iterable[NavItem] | None:
    """Entries for the navigation bar, each saying which audience sees it. All results are collected and
    concatenated in plugin order (the core's entries come first); each visitor sees those for their audience.

    Called while a page renders, synchronously: return the items (no I/O), not an awaitable.
    """


# --- Domain events ----------------------------------------------------------------------------------------------


@hookspec
def portal_handle_event(event: DomainEvent, portal: Portal) -> Awaitable[None] | None:
    """Handle a domain event (`event.topic` says which) after the change that caused it has committed.

    Every subscriber is called, each on its own, from the event outbox: at least once (make handlers
    idempotent; `event.id` is stable across retries), and in order per aggregate (the next event about the same
    user or case waits until this one is delivered or dead). Raising means "try again later": the delivery is
    retried with backoff, and set aside as dead after `plugins.outbox_max_attempts` tries. The return value is
    ignored. May be `async`.
    """
