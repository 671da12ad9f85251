"""The `portal` handle a hook receives: what a plugin may use of the running portal, in one object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from portal.plugins.manager import PluginManager
    from portal.services.mail import Mailer
    from portal.settings import Settings


@dataclass(frozen=True)
class Portal:
    """Passed to hooks instead of a handful of services; grows as plugins need more of the portal."""

    settings: Settings
    plugins: PluginManager
    mailer: Mailer
