"""The `portal` command. Each command builds `Settings` from the environment and works through services."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Iterable
from getpass import getpass
from pathlib import Path
from typing import Any, TypeVar

import click
import pluggy
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from portal import __version__
from portal.checks import Severity, run_checks
from portal.db import engine as db_engine
from portal.db.tables import STAFF_ROLES, Role
from portal.plugins.manager import PluginManager, call_all_sync, make_plugin_manager
from portal.services import demo as demo_data
from portal.services import kb_import, users
from portal.settings import ConfigurationError, Settings

console = Console(stderr=True)
T = TypeVar("T")


def progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    )


def run_with_database(settings: Settings, work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    async def wrapped() -> T:
        database = db_engine.bind(settings.database_url, sqlite_busy_timeout=settings.db.sqlite_busy_timeout)
        await db_engine.start(database, pool_min_size=1, pool_max_size=2)
        try:
            return await work()
        finally:
            await db_engine.stop(database)

    return asyncio.run(wrapped())


def load_settings() -> Settings:
    try:
        return Settings()
    except ValueError as exc:  # pydantic's ValidationError names the setting and the problem
        raise click.ClickException(f"Invalid configuration:\n{exc}") from exc


def load_plugins(settings: Settings) -> PluginManager:
    try:
        return make_plugin_manager(settings)
    except (pluggy.PluginValidationError, ImportError, AttributeError) as exc:
        raise click.ClickException(f"A plugin cannot be loaded: {exc}") from exc


class PortalGroup(click.Group):
    """The `portal` command: its own commands, and those plugins add through `portal_cli`.

    Plugins load only when a command is not one of the portal's own (or for `--help`), so `portal serve`
    does not load them twice.
    """

    plugin_manager: PluginManager | None = None

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and self.plugin_manager is None:
            self._add_plugin_commands()
            command = super().get_command(ctx, cmd_name)
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        with contextlib.suppress(click.ClickException):  # help still lists the portal's own commands
            self._add_plugin_commands()
        return super().list_commands(ctx)

    def _add_plugin_commands(self) -> None:
        if self.plugin_manager is not None:
            return
        pm = load_plugins(load_settings())
        for command in call_all_sync(pm, "portal_cli", convert=_commands):
            for each in command:
                if each.name in self.commands:
                    console.print(f"[yellow]A plugin's command `{each.name}` is refused: the name is taken.[/]")
                else:
                    self.add_command(each)
        self.plugin_manager = pm


def _commands(result: click.Command | Iterable[click.Command]) -> list[click.Command]:
    commands = [result] if isinstance(result, click.Command) else list(result)
    if not all(isinstance(command, click.Command) for command in commands):
        raise TypeError("portal_cli must return click commands")
    return commands


@click.group(cls=PortalGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="portal")
def main() -> None:
    """Portal: customer self-service for CRM. Configure with PORTAL_* variables or portal.toml."""


@main.command()
@click.option("--host", help="Address to listen on (default from settings: 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default from settings: 8000).")
@click.option("--workers", type=int, help="Server processes (default from settings: 1).")
@click.option("--server", type=click.Choice(["granian", "uvicorn"]), help="ASGI server (default: granian).")
def serve(host: str | None, port: int | None, workers: int | None, server: str | None) -> None:
    """Serve the portal. Run `portal migrate` first (it is a deploy step, not a start-up step)."""
    settings = load_settings()
    try:
        settings.secret_key()
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc
    host = host or settings.server.host
    port = port or settings.server.port
    workers = workers or settings.server.workers
    server = server or settings.server.server
    console.print(f"Portal {__version__} on http://{host}:{port} ({server}, {workers} worker(s))")
    if server == "uvicorn":
        import uvicorn

        uvicorn.run(
            "portal.app:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            access_log=False,
            log_config=None,
        )
        return
    from granian import Granian
    from granian.constants import Interfaces

    Granian(
        "portal.app:app_from_environment",
        address=host,
        port=port,
        workers=workers,
        interface=Interfaces.ASGI,
        factory=True,
        log_access=False,
    ).serve()


@main.command()
def migrate() -> None:
    """Apply the database migrations that have not run yet."""
    settings = load_settings()
    count = run_with_database(settings, _migrate_with_progress)
    console.print(f"[green]{count} migration(s) applied.[/green]" if count else "Database is up to date.")


async def _migrate_with_progress() -> int:
    pending = await db_engine.pending_migrations()
    with progress() as bar:
        task = bar.add_task("Migrating", total=len(pending))
        await db_engine.migrate(on_applied=lambda _: bar.advance(task))
    return len(pending)


@main.command()
@click.option("--fresh/--keep", default=True, help="Start from an empty database (default) or keep the data.")
@click.option("--serve/--no-serve", "then_serve", default=True, help="Serve the portal afterwards.")
@click.option("--port", type=int, help="Port to serve on.")
def demo(fresh: bool, then_serve: bool, port: int | None) -> None:
    """Create a demo database with sample data, print the demo logins, and serve the portal."""
    os.environ["PORTAL_MODE"] = "demo"  # the server's worker processes read their settings from here
    settings = load_settings()
    if fresh:
        _reset_database(settings)
    run_with_database(settings, _migrate_with_progress)
    logins = run_with_database(settings, functools.partial(_load_demo_with_progress, settings))
    _print_logins(logins)
    if then_serve:
        serve.callback(host=None, port=port, workers=None, server=None)  # type: ignore[misc]


async def _load_demo_with_progress(settings: Settings) -> list[demo_data.DemoLogin]:
    with progress() as bar:
        task = bar.add_task("Loading demo data", total=demo_data.step_count())
        logins = await demo_data.load(on_step=lambda _: bar.advance(task), settings=settings)
    await _import_with_progress(kb_import.default_root(), settings)
    return logins


def _reset_database(settings: Settings) -> None:
    url = settings.database_url
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        return
    if not click.confirm(f"Erase every table in {url}?", default=False):
        raise click.Abort()

    async def erase() -> None:
        database = db_engine.current()
        assert database is not None
        await db_engine.erase_everything(database)

    run_with_database(settings, erase)


def _print_logins(logins: list[demo_data.DemoLogin]) -> None:
    table = Table(title=f"Demo logins (password for all: {demo_data.DEMO_PASSWORD})")
    for column in ("Email", "Name", "Role", "Company"):
        table.add_column(column)
    for login in logins:
        table.add_row(login.email, login.name, login.role.value, login.account or "")
    Console().print(table)


@main.group()
def kb() -> None:
    """The knowledge base."""


@kb.command("import")
@click.argument("directory", type=click.Path(path_type=Path), required=False)
def kb_import_command(directory: Path | None) -> None:
    """Import (or update) articles from DIRECTORY (default: knowledge_base/), then rebuild the search index.

    Running it again changes nothing; a changed file becomes a new version of its article.
    """
    settings = load_settings()
    report = run_with_database(
        settings, functools.partial(_import_with_progress, directory or kb_import.default_root(), settings)
    )
    if report.errors:
        sys.exit(1)


async def _import_with_progress(root: Path, settings: Settings) -> kb_import.ImportReport:
    from portal.services.kb_files import KbFileError
    from portal.services.kb_index import KnowledgeSearch

    search = KnowledgeSearch.from_settings(settings)
    with progress() as bar:
        task = bar.add_task("Importing knowledge base", total=None)
        try:
            report = await kb_import.import_directory(
                root, progress=lambda done, total: bar.update(task, completed=done, total=total), search=search
            )
        except KbFileError as exc:
            raise click.ClickException(str(exc)) from exc
    console.print(
        f"Articles: {report.created} created, {report.updated} updated, {report.unchanged} unchanged; "
        f"categories: {report.categories_created} created, {report.categories_updated} updated."
    )
    if report.indexed is not None:
        console.print(f"Search index rebuilt: {report.indexed} published article(s).")
    for error in report.errors:
        console.print(f"[red]{error}[/red]", highlight=False)
    return report


@main.command()
def reindex() -> None:
    """Rebuild the knowledge-base search index from the database; searches keep answering meanwhile."""
    settings = load_settings()
    count = run_with_database(settings, functools.partial(_reindex_with_progress, settings))
    console.print(f"[green]Search index rebuilt: {count} published article(s).[/green]")


async def _reindex_with_progress(settings: Settings) -> int:
    from portal.db.kb_tables import Article, ArticleStatus
    from portal.services.kb_index import KnowledgeSearch

    search = KnowledgeSearch.from_settings(settings)
    total = await Article.count().where(Article.status == ArticleStatus.published)
    with progress() as bar:
        task = bar.add_task("Indexing articles", total=total)
        return await search.rebuild(progress=lambda done: bar.update(task, completed=done))


@main.command()
@click.option("--email", prompt=True, help="Sign-in email.")
@click.option("--name", prompt=True, help="Full name.")
@click.option(
    "--role",
    type=click.Choice(sorted(role.value for role in STAFF_ROLES)),
    default=Role.agent.value,
    show_default=True,
    help="Staff role.",
)
@click.option("--locale", type=click.Choice(["en", "el"]), default="en", show_default=True)
def createuser(email: str, name: str, role: str, locale: str) -> None:
    """Create a staff member or administrator. The password is asked for, never passed as an argument."""
    password = os.environ.get("PORTAL_NEW_USER_PASSWORD") or _ask_password()
    settings = load_settings()

    async def create() -> users.CurrentUser:
        return await users.create_user(email=email, name=name, password=password, role=Role(role), locale=locale)

    try:
        user = run_with_database(settings, create)
    except users.EmailTaken as exc:
        raise click.ClickException(f"A user with the email {exc} already exists.") from exc
    console.print(f"[green]Created {user.role.value} {user.email} (id {user.id}).[/green]")


def _ask_password() -> str:
    if not sys.stdin.isatty():
        raise click.ClickException("Set PORTAL_NEW_USER_PASSWORD or run this in a terminal to be asked.")
    password = getpass("Password: ")
    if len(password) < 12:
        raise click.ClickException("Use at least 12 characters.")
    if getpass("Password again: ") != password:
        raise click.ClickException("The passwords differ.")
    return password


@main.command()
def check() -> None:
    """Validate the configuration, reach the database and stores, and print what was found."""
    settings = load_settings()
    findings, summary = asyncio.run(run_checks(settings))
    table = Table(title="Configuration", show_header=False)
    for key, value in summary.items():
        table.add_row(key, value)
    Console().print(table)
    style = {Severity.ok: "green", Severity.warning: "yellow", Severity.error: "red"}
    for finding in findings:
        console.print(f"[{style[finding.severity]}]{finding.severity.value.upper():8}[/] {finding.message}")
    if any(finding.severity is Severity.error for finding in findings):
        sys.exit(1)


@main.command()
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit (for cron, or to catch up).")
def worker(once: bool) -> None:
    """Deliver events to plugins. Run any number, on any machine: each delivery is claimed by one of them.

    With workers running, set PORTAL_PLUGINS__DISPATCHER=false for the web processes.
    """
    from portal.plugins.dispatcher import Dispatcher
    from portal.plugins.handle import Portal
    from portal.services.mail import Mailer

    settings = load_settings()
    dispatcher = Dispatcher(Portal(settings=settings, plugins=load_plugins(settings), mailer=Mailer(settings)))
    subscribers = ", ".join(dispatcher.subscribers()) or "none"
    console.print(f"Portal {__version__} worker: delivering events to {subscribers}")

    async def work() -> None:
        if once:
            report = await dispatcher.drain()
            console.print(f"{report.delivered} delivered, {report.failed} failed, {report.dead} dead.")
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):  # finish the delivery in hand, then stop
            loop.add_signal_handler(signum, stop.set)
        await dispatcher.run(stop)

    run_with_database(settings, work)
