from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.db.tables import EventDelivery
from portal.plugins.dispatcher import Dispatcher
from portal.plugins.handle import Portal
from portal.plugins.manager import PluginManager, make_plugin_manager
from portal.services.mail import Mailer
from portal.settings import PluginSettings, Settings


@pytest.fixture
def pm(settings: Settings) -> PluginManager:
    return make_plugin_manager(settings, load_entrypoints=False)


def dispatcher_for(settings: Settings, **plugins: object) -> Dispatcher:
    """A dispatcher in a portal of its own, with `plugins` registered under their keyword names."""
    pm = make_plugin_manager(settings, load_entrypoints=False)
    for name, plugin in plugins.items():
        pm.register(plugin, name=name)
    return Dispatcher(Portal(settings=settings, plugins=pm, mailer=Mailer(settings)))


@pytest.fixture
def outbox_settings(settings_factory) -> Settings:  # type: ignore[no-untyped-def]
    return settings_factory(plugins=PluginSettings(outbox_max_attempts=3, retry_seconds=60))  # type: ignore[no-any-return]


async def make_due() -> None:
    """Move time forward for the outbox: every delivery waiting for a retry (or a claim's end) is due now."""
    await EventDelivery.update({EventDelivery.next_attempt_at: datetime.now(UTC) - timedelta(seconds=1)}).where(
        EventDelivery.status.is_in(["pending", "delivering"])
    )
