"""The hooks are the plugin API: each documented, each tested, and a plugin that gets one wrong fails at start-up."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pluggy
import pytest

from portal.plugins import hookimpl, hookspecs
from portal.plugins.manager import PluginManager, make_plugin_manager
from portal.settings import Settings

HOOKS = sorted(name for name, value in vars(hookspecs).items() if name.startswith("portal_") and callable(value))
COMBINES = re.compile(r"All results are collected|first non-None result|return value is ignored", re.IGNORECASE)


def test_hooks_are_found() -> None:
    assert {"portal_cli", "portal_nav_items", "portal_handle_event"} <= set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_says_how_results_combine(hook: str) -> None:
    doc = " ".join((inspect.getdoc(getattr(hookspecs, hook)) or "").split())
    assert COMBINES.search(doc), f"{hook}'s docstring does not say how results combine"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test_named_after_it(hook: str) -> None:
    names = set()
    for path in Path(__file__).parent.glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names.add(node.name)
    assert any(name.startswith(f"test_hook_{hook}") for name in names), f"no test_hook_{hook}... in tests/plugins"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_typed(hook: str) -> None:
    function = getattr(hookspecs, hook)
    annotations = function.__annotations__
    assert "return" in annotations
    assert set(inspect.signature(function).parameters) <= annotations.keys()


def test_check_pending_catches_a_misspelled_hookimpl(settings: Settings) -> None:
    class Misspelled:
        @hookimpl
        def portal_nav_itemz(self) -> list[object]:
            return []

    pm = make_plugin_manager(settings, load_entrypoints=False)
    pm.register(Misspelled(), name="misspelled")
    with pytest.raises(pluggy.PluginValidationError, match="unknown hook 'portal_nav_itemz'"):
        pm.check_pending()


def test_a_misspelled_hookimpl_stops_the_start(settings_factory) -> None:  # type: ignore[no-untyped-def]
    from portal.settings import PluginSettings

    settings = settings_factory(plugins=PluginSettings(extra=["tests.plugins.test_hookspecs:Typo"]))
    with pytest.raises(pluggy.PluginValidationError, match="portal_handle_events"):
        make_plugin_manager(settings, load_entrypoints=False)


class Typo:
    @hookimpl
    def portal_handle_events(self, event: object) -> None:
        """Misspelled: would never be called."""


def test_a_hookimpl_with_an_unknown_argument_is_refused_at_registration() -> None:
    class WrongArgument:
        @hookimpl
        def portal_nav_items(self, user: object) -> list[object]:
            return []

    with pytest.raises(pluggy.PluginValidationError, match="user"):
        PluginManager().register(WrongArgument(), name="wrong")


def test_hook_wrappers_are_refused_at_start_up(settings_factory) -> None:  # type: ignore[no-untyped-def]
    from portal.settings import PluginSettings

    settings = settings_factory(plugins=PluginSettings(extra=["tests.plugins.test_hookspecs:Wrapper"]))
    with pytest.raises(pluggy.PluginValidationError, match="wrappers are not supported"):
        make_plugin_manager(settings, load_entrypoints=False)


class Wrapper:
    @hookimpl(wrapper=True)
    def portal_nav_items(self):  # type: ignore[no-untyped-def]
        return (yield)
