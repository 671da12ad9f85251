"""Every feature's controllers, in one list: a new feature adds one line here."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from portal.settings import Settings
from portal.web.account.controllers import AccountController
from portal.web.backoffice.controllers import BackofficeController
from portal.web.health.controllers import HealthController
from portal.web.home.controllers import HomeController
from portal.web.language.controllers import LanguageController


def feature_routes(settings: Settings) -> list[ControllerRouterHandler]:
    return [
        HomeController,
        AccountController,
        BackofficeController,
        LanguageController,
        HealthController,
    ]
