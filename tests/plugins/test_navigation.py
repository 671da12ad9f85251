"""The navigation bar comes from `portal_nav_items`: the core's entries through its own plugin, then plugins'."""

from __future__ import annotations

import re

import httpx
from litestar import Litestar

from portal.db.tables import Role
from portal.plugins import hookimpl
from portal.web.navigation import NAVIGATION, Audience, NavItem
from tests.factories import make_user, sign_in
from tests.plugins.sample import ShopPlugin


def nav_links(page: str) -> list[str]:
    nav = re.search(r'<nav class="site-nav".*?</nav>', page, re.DOTALL)
    assert nav is not None
    return re.findall(r'href="([^"]+)"', nav.group(0))


async def test_hook_portal_nav_items_core_entries_come_from_the_default_plugin(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    pm = app.state.plugins
    assert "portal.web.navigation" in pm.implementers("portal_nav_items")
    assert nav_links((await client.get("/")).text) == ["/", "/kb"]
    pm.unregister(name="portal.web.navigation")  # without the core's plugin, the core's entries are gone
    assert nav_links((await client.get("/")).text) == []
    assert NAVIGATION[0].path == "/"


async def test_hook_portal_nav_items_adds_a_plugins_entry_for_its_audience(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    app.state.plugins.register(ShopPlugin(), name="shop")
    assert "/orders" not in nav_links((await client.get("/")).text)  # customers only
    customer = await make_user(Role.contact)
    await sign_in(client, customer.email)
    assert nav_links((await client.get("/")).text) == [
        "/",
        "/kb",
        "/account",
        "/cases",
        "/contracts",
        "/team",
        "/orders",
    ]


async def test_hook_portal_nav_items_failing_plugin_does_not_break_the_page(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    class Broken:
        @hookimpl
        def portal_nav_items(self) -> list[NavItem]:
            raise RuntimeError("nav plugin broke")

    class Wrong:
        @hookimpl
        def portal_nav_items(self) -> list[str]:
            return ["not a NavItem"]

    pm = app.state.plugins
    pm.register(Broken(), name="broken")
    pm.register(Wrong(), name="wrong")
    pm.register(ShopPlugin(), name="shop")
    staff = await make_user(Role.agent)
    await sign_in(client, staff.email)
    for _ in range(2):
        response = await client.get("/")
        assert response.status_code == 200
        assert nav_links(response.text) == [
            "/",
            "/kb",
            "/backoffice",
            "/backoffice/cases",
            "/backoffice/kb",
            "/backoffice/contracts",
        ]
    broken = pm.health["broken"]
    assert (broken.calls, broken.failures) >= (2, 2)
    assert broken.last_error == "portal_nav_items: RuntimeError: nav plugin broke"
    assert pm.health["wrong"].failures == pm.health["wrong"].calls
    assert pm.health["shop"].failures == 0


def test_nav_items_default_to_everyone() -> None:
    assert NavItem("Help", "/help").audience is Audience.everyone
