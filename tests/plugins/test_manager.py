"""Building the plugin manager, and calling hooks so that one plugin's failure stays its own."""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from portal import __version__
from portal.cli import PortalGroup, main
from portal.plugins import hookimpl
from portal.plugins.manager import (
    DEFAULT_PLUGINS,
    PluginManager,
    call_all,
    call_all_sync,
    call_first,
    call_plugin,
    make_plugin_manager,
)
from portal.settings import PluginSettings, Settings
from portal.web.navigation import NavItem


class Answers:
    def __init__(self, value: object, *, awaitable: bool = False) -> None:
        self.value = value
        self.awaitable = awaitable
        self.called = 0

    @hookimpl
    def portal_nav_items(self) -> object:
        self.called += 1
        if self.awaitable:
            return self._later()
        return self.value

    async def _later(self) -> object:
        await asyncio.sleep(0)
        return self.value


class Raises:
    @hookimpl
    def portal_nav_items(self) -> object:
        raise ValueError("broken plugin")


def test_core_plugins_come_first_and_every_manager_is_new(settings: Settings) -> None:
    first = make_plugin_manager(settings, load_entrypoints=False)
    second = make_plugin_manager(settings, load_entrypoints=False)
    assert first is not second
    assert [info.name for info in first.describe()] == list(DEFAULT_PLUGINS)
    assert {info.source for info in first.describe()} == {"core"}
    assert {info.version for info in first.describe()} == {__version__}


async def test_call_all_collects_every_result_and_skips_a_failing_plugin(pm: PluginManager) -> None:
    pm.register(Answers(["first"]), name="first")
    pm.register(Raises(), name="broken")
    pm.register(Answers(["later"], awaitable=True), name="later")
    results = await call_all(pm, "portal_nav_items", request=None, portal=None)
    # pluggy's order: tryfirst (the core), then the most recently registered first
    assert results[1:] == [["later"], ["first"]]
    health = pm.health["broken"]
    assert (health.calls, health.failures) == (1, 1)
    assert health.last_error == "portal_nav_items: ValueError: broken plugin"
    assert pm.health["first"].failures == 0


async def test_call_first_skips_none_and_leaves_no_coroutine_unawaited(pm: PluginManager) -> None:
    last = Answers("too late", awaitable=True)
    pm.register(last, name="last")
    pm.register(Answers("answer", awaitable=True), name="answers")
    pm.register(Answers(None, awaitable=True), name="defers")
    pm.register(Raises(), name="broken")
    pm.unregister(name="portal.web.navigation")
    assert await call_first(pm, "portal_nav_items", request=None, portal=None) == "answer"
    assert last.called == 0  # never called, so no coroutine of it exists to be left unawaited
    assert pm.health["broken"].failures == 1
    pm.unregister(name="answers")
    pm.unregister(name="last")
    assert await call_first(pm, "portal_nav_items", request=None, portal=None) is None


def test_sync_calls_close_an_awaitable_and_count_it_as_a_failure(pm: PluginManager) -> None:
    pm.register(Answers(["async"], awaitable=True), name="async")
    results = call_all_sync(pm, "portal_nav_items", request=None, portal=None)
    gc.collect()  # an unclosed coroutine would warn here ("never awaited"), and warnings are errors
    assert ["async"] not in results
    assert "returned an awaitable" in (pm.health["async"].last_error or "")


async def test_call_plugin_calls_one_plugin_and_raises_its_error(pm: PluginManager) -> None:
    pm.register(Answers(["mine"]), name="mine")
    pm.register(Raises(), name="broken")
    assert await call_plugin(pm, "mine", "portal_nav_items", request=None, portal=None) == ["mine"]
    with pytest.raises(ValueError, match="broken plugin"):
        await call_plugin(pm, "broken", "portal_nav_items", request=None, portal=None)
    assert pm.health["broken"].failures == 1
    with pytest.raises(LookupError):
        await call_plugin(pm, "missing", "portal_nav_items", request=None, portal=None)


async def test_a_caller_that_forgets_an_argument_is_told_not_the_plugins(pm: PluginManager) -> None:
    with pytest.raises(TypeError, match="without portal"):
        await call_all(pm, "portal_nav_items", request=None)
    assert all(health.failures == 0 for health in pm.health.values())


# --- Installed plugins: entry points, allow and deny --------------------------------------------------------------


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[None]:
    """Two installed distributions, `alpha` and `beta`, each with an entry point in group `portal`."""
    for name in ("alpha", "beta"):
        info = tmp_path / f"portal_{name}-1.{len(name)}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: portal-{name}\nVersion: 1.{len(name)}\n")
        (info / "entry_points.txt").write_text(f"[portal]\n{name} = tests.plugins.test_manager:{name.upper()}\n")
    sys.path.insert(0, str(tmp_path))
    yield
    sys.path.remove(str(tmp_path))


ALPHA = Answers([NavItem("Alpha", "/alpha")])
BETA = Answers([NavItem("Beta", "/beta")])


def loaded(settings_factory, **plugins: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    pm = make_plugin_manager(settings_factory(plugins=PluginSettings(**plugins)))
    return [info.name for info in pm.describe() if info.source == "installed"]


@pytest.mark.usefixtures("installed")
def test_installed_plugins_load_from_entry_points_with_their_version(settings_factory) -> None:  # type: ignore[no-untyped-def]
    pm = make_plugin_manager(settings_factory())
    infos = {info.name: info for info in pm.describe()}
    assert infos["alpha"].version == "1.5"
    assert infos["beta"].hooks == ("portal_nav_items",)
    assert make_plugin_manager(settings_factory(), load_entrypoints=False).get_plugin("alpha") is None


@pytest.mark.usefixtures("installed")
def test_allow_and_deny_lists(settings_factory) -> None:  # type: ignore[no-untyped-def]
    assert loaded(settings_factory) == ["alpha", "beta"]
    assert loaded(settings_factory, allow=["beta"]) == ["beta"]
    assert loaded(settings_factory, deny=["alpha"]) == ["beta"]
    assert loaded(settings_factory, allow=["alpha"], deny=["alpha"]) == []  # deny wins


def test_extra_plugins_load_by_import_path_and_deny_applies_to_them(settings_factory) -> None:  # type: ignore[no-untyped-def]
    spec = "tests.plugins.sample:ShopPlugin"
    pm = make_plugin_manager(settings_factory(plugins=PluginSettings(extra=[spec])), load_entrypoints=False)
    [info] = [info for info in pm.describe() if info.name == spec]
    assert info.source == "extra"
    assert info.hooks == ("portal_cli", "portal_handle_event", "portal_nav_items")
    denied = settings_factory(plugins=PluginSettings(extra=[spec], deny=[spec]))
    assert make_plugin_manager(denied, load_entrypoints=False).get_plugin(spec) is None


# --- portal_cli -----------------------------------------------------------------------------------------------------


def fresh_portal_command() -> PortalGroup:
    return PortalGroup(name="portal", commands=dict(main.commands))


def test_hook_portal_cli_adds_a_plugins_command_to_portal() -> None:
    env = {"PORTAL_PLUGINS__EXTRA": "tests.plugins.sample:ShopPlugin"}
    result = CliRunner().invoke(fresh_portal_command(), ["hello"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output == "hello from a plugin\n"
    listed = CliRunner().invoke(fresh_portal_command(), ["--help"], env=env)
    assert "Say hello from a plugin." in listed.output


def test_hook_portal_cli_cannot_take_a_name_the_portal_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    import tests.plugins.sample as sample

    monkeypatch.setattr(sample.hello, "name", "serve")
    group = fresh_portal_command()
    result = CliRunner().invoke(
        group, ["serve", "--help"], env={"PORTAL_PLUGINS__EXTRA": "tests.plugins.sample:ShopPlugin"}
    )
    assert result.exit_code == 0
    assert "Serve the portal." in result.output
    assert group.commands["serve"] is main.commands["serve"]


def test_hook_portal_cli_failure_of_one_plugin_leaves_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    class BrokenCommands:
        @hookimpl
        def portal_cli(self) -> object:
            raise RuntimeError("no commands today")

    monkeypatch.setattr(sys.modules[__name__], "BrokenCommands", BrokenCommands, raising=False)
    group = fresh_portal_command()
    extra = "tests.plugins.test_manager:BrokenCommands,tests.plugins.sample:ShopPlugin"
    result = CliRunner().invoke(group, ["hello"], env={"PORTAL_PLUGINS__EXTRA": extra})
    assert result.exit_code == 0, result.output
    assert group.plugin_manager is not None
    assert group.plugin_manager.health["tests.plugins.test_manager:BrokenCommands"].failures == 1


def test_a_plugin_that_cannot_be_imported_is_a_clear_error_of_the_command() -> None:
    result = CliRunner().invoke(fresh_portal_command(), ["hello"], env={"PORTAL_PLUGINS__EXTRA": "no_such.module"})
    assert result.exit_code == 1
    assert "A plugin cannot be loaded: No module named 'no_such'" in result.output
    assert "Commands:" in CliRunner().invoke(fresh_portal_command(), ["--help"]).output


def test_deny_does_not_remove_the_core(settings_factory) -> None:  # type: ignore[no-untyped-def]
    pm = make_plugin_manager(settings_factory(plugins=PluginSettings(deny=list(DEFAULT_PLUGINS))))
    assert [info.name for info in pm.describe()] == list(DEFAULT_PLUGINS)
