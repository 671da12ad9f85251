"""The plugin manager: which plugins run, calling their hooks, and keeping each one's failures to itself.

`make_plugin_manager(settings)` builds a fresh manager (one per app, one per test, never a module global):
the core's default plugins first, then installed plugins (entry points of group `portal`, filtered by
`plugins.allow` and `plugins.deny`), then `plugins.extra`, and finally `check_pending()`, so that a hook
implementation whose name matches no hook (a typo) stops the portal at start-up instead of never running.

Code outside this module calls hooks only through `call_all`, `call_first`, `call_all_sync` and
`call_plugin`, never `pm.hook` itself. Each implementation runs on its own: one that raises is logged with its
plugin's name and counted in that plugin's `health`, and the others' results still count. Hooks may return
awaitables (the async helpers await them); `firstresult` is never used, since an `async def` implementation
returns a coroutine, which is not None, and would always win (STACK-NOTES §5.3).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
from collections.abc import AsyncGenerator, Callable, Iterator
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy
import structlog

from portal import __version__
from portal.plugins import hookspecs

if TYPE_CHECKING:
    from pluggy import HookImpl

    from portal.settings import Settings

log = structlog.get_logger("portal.plugins")

ENTRY_POINT_GROUP = "portal"

# The core's own behaviour, written against the same hooks as any plugin (registered first, in this order).
DEFAULT_PLUGINS = (
    "portal.web.navigation",
    "portal.plugins.commands",
)


@dataclass
class PluginHealth:
    """How a plugin's hooks have fared in this process."""

    calls: int = 0
    failures: int = 0
    last_error: str | None = None
    last_failure_at: datetime | None = None


@dataclass(frozen=True)
class PluginInfo:
    name: str
    source: str  # "core", "installed" or "extra"
    version: str
    hooks: tuple[str, ...]
    health: PluginHealth = field(compare=False)


class PluginManager(pluggy.PluginManager):
    """pluggy's manager with the portal's hooks, where each plugin came from, and each plugin's health."""

    def __init__(self) -> None:
        super().__init__(ENTRY_POINT_GROUP)
        self.add_hookspecs(hookspecs)
        self.health: dict[str, PluginHealth] = {}
        self.sources: dict[str, str] = {}

    def health_of(self, name: str) -> PluginHealth:
        return self.health.setdefault(name, PluginHealth())

    def record_failure(self, name: str, hook: str, error: BaseException) -> None:
        health = self.health_of(name)
        health.failures += 1
        health.last_error = f"{hook}: {type(error).__name__}: {error}"
        health.last_failure_at = datetime.now(UTC)
        log.error("plugin hook failed", plugin=name, hook=hook, exc_info=error)

    def implementers(self, hook: str) -> list[str]:
        """Names of the plugins that implement `hook`, in calling order."""
        return [impl.plugin_name for impl in _implementations(self, hook)]

    def describe(self) -> list[PluginInfo]:
        """Every registered plugin with its source, version, hooks and health, in registration order."""
        versions = {self.get_name(plugin): dist.version for plugin, dist in self.list_plugin_distinfo()}
        infos = []
        for name, plugin in self.list_name_plugin():
            if plugin is None:  # blocked
                continue
            source = self.sources.get(name, "installed")
            version = versions.get(name) or (__version__ if source == "core" else _module_version(plugin))
            hooks = tuple(sorted(caller.name for caller in self.get_hookcallers(plugin) or []))
            infos.append(PluginInfo(name, source, version, hooks, self.health_of(name)))
        return infos


def make_plugin_manager(settings: Settings, load_entrypoints: bool = True) -> PluginManager:
    """A new manager with the core's plugins and those the settings allow; raises if a plugin is malformed."""
    config = settings.plugins
    pm = PluginManager()
    for module_name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
        pm.sources[module_name] = "core"
    for name in config.deny:
        if name not in DEFAULT_PLUGINS:  # the core's behaviour is not a plugin an installation opts out of
            pm.set_blocked(name)
    if load_entrypoints:
        if config.allow:
            for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
                if entry_point.name not in config.allow:
                    pm.set_blocked(entry_point.name)
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for spec in config.extra:
        if not pm.is_blocked(spec):
            pm.register(load_object(spec), name=spec)
            pm.sources[spec] = "extra"
    _refuse_wrappers(pm)
    pm.check_pending()
    return pm


def load_object(spec: str) -> object:
    """`package.module` or `package.module:Name`; a class is instantiated (its hooks are methods)."""
    module_name, _, attribute = spec.partition(":")
    found: Any = importlib.import_module(module_name)
    if attribute:
        found = getattr(found, attribute)
    return found() if inspect.isclass(found) else found


# --- Calling hooks -----------------------------------------------------------------------------------------------


async def _answers(pm: PluginManager, hook: str, kwargs: dict[str, Any]) -> AsyncGenerator[Any]:
    """Each plugin's non-None result in calling order, awaited where awaitable; a failing plugin is recorded
    and skipped. Lazy: a plugin is called only when the consumer asks for the next answer."""
    for impl in _implementations(pm, hook, kwargs):
        try:
            value = await _maybe_await(_invoke(pm, impl, hook, kwargs))
        except Exception as exc:  # a plugin's failure must never take the request down
            pm.record_failure(impl.plugin_name, hook, exc)
            continue
        if value is not None:
            yield value


async def call_all(pm: PluginManager, hook: str, /, **kwargs: Any) -> list[Any]:
    """Every plugin's non-None result, in calling order, awaited where awaitable; failing plugins left out."""
    return [value async for value in _answers(pm, hook, kwargs)]


async def call_first(pm: PluginManager, hook: str, /, **kwargs: Any) -> Any:
    """The first non-None result in calling order; plugins after it are not called. None if none answers.

    Each implementation is called only when the ones before it answered None (or failed), so there is never a
    coroutine left unawaited, and a plugin further down has no side effects when an earlier one answers.
    """
    async with aclosing(_answers(pm, hook, kwargs)) as answers:
        async for value in answers:
            return value
    return None


def call_all_sync(
    pm: PluginManager, hook: str, /, convert: Callable[[Any], Any] | None = None, **kwargs: Any
) -> list[Any]:
    """`call_all` for hooks that synchronous code waits for (a page rendering, the command line).

    An awaitable result is a failure of that plugin (the coroutine is closed, never left unawaited).
    `convert` checks or reshapes one plugin's result; if it raises, that plugin's result is left out and its
    failure counted, as if the hook itself had raised.
    """
    results = []
    for impl in _implementations(pm, hook, kwargs):
        try:
            value = _invoke(pm, impl, hook, kwargs)
            if inspect.isawaitable(value):
                _close(value)
                raise TypeError(f"{hook} is called synchronously; it returned an awaitable")
            if value is not None and convert is not None:
                value = convert(value)
        except Exception as exc:
            pm.record_failure(impl.plugin_name, hook, exc)
            continue
        if value is not None:
            results.append(value)
    return results


async def call_plugin(pm: PluginManager, plugin_name: str, hook: str, /, **kwargs: Any) -> Any:
    """Call one plugin's implementation of `hook` and await it. Its exception is counted, then re-raised, for
    callers (the event dispatcher) that decide what a failure means."""
    for impl in _implementations(pm, hook, kwargs):
        if impl.plugin_name == plugin_name:
            try:
                return await _maybe_await(_invoke(pm, impl, hook, kwargs))
            except Exception as exc:
                pm.record_failure(plugin_name, hook, exc)
                raise
    raise LookupError(f"plugin {plugin_name!r} does not implement {hook}")


def _implementations(pm: PluginManager, hook: str, kwargs: dict[str, Any] | None = None) -> Iterator[HookImpl]:
    caller: pluggy.HookCaller = getattr(pm.hook, hook)
    assert caller.spec is not None, f"{hook} is not a hook of the portal"
    if kwargs is not None and (missing := set(caller.spec.argnames) - kwargs.keys()):
        raise TypeError(f"{hook} called without {', '.join(sorted(missing))}")  # the caller's mistake
    # pluggy's own calling order: tryfirst implementations, then the most recently registered plugin first.
    return reversed(caller.get_hookimpls())


def _invoke(pm: PluginManager, impl: HookImpl, hook: str, kwargs: dict[str, Any]) -> Any:
    pm.health_of(impl.plugin_name).calls += 1
    return impl.function(*(kwargs[name] for name in impl.argnames))


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def _close(awaitable: Any) -> None:
    close = getattr(awaitable, "close", None)
    if callable(close):
        close()


def _refuse_wrappers(pm: PluginManager) -> None:
    # The helpers call implementations one by one, so a wrapper would silently never run: say so at start-up.
    for caller in pm.hook.__dict__.values():
        for impl in caller.get_hookimpls():
            if impl.hookwrapper or impl.wrapper:
                raise pluggy.PluginValidationError(
                    impl.plugin, f"{impl.plugin_name}: hook wrappers are not supported ({caller.name})"
                )


def _module_version(plugin: object) -> str:
    module = plugin if isinstance(plugin, ModuleType) else inspect.getmodule(type(plugin))
    top = (module.__name__ if module else "").partition(".")[0]
    try:
        return importlib.metadata.version(top)
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return str(getattr(module, "__version__", "-"))
