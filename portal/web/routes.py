"""Every feature's controllers, in one list: a new feature adds one line here."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from portal.settings import Settings
from portal.web.account.controllers import AccountController
from portal.web.audit.controllers import AuditLogController
from portal.web.auth.recovery import RecoveryController
from portal.web.auth.registration import RegistrationController
from portal.web.backoffice.controllers import BackofficeController
from portal.web.health.controllers import HealthController
from portal.web.home.controllers import HomeController
from portal.web.language.controllers import LanguageController
from portal.web.oidc.controllers import OidcController, SignInMethodsController
from portal.web.outbox.controllers import DemoMailboxController, OutboxController
from portal.web.privacy.controllers import PrivacyController
from portal.web.profile.controllers import ProfileController
from portal.web.staff_accounts.controllers import AccountsController
from portal.web.staff_accounts.people import PeopleController
from portal.web.team.controllers import InvitationController, TeamController
from portal.web.twofactor.controllers import TwoFactorChallengeController, TwoFactorController


def feature_routes(settings: Settings) -> list[ControllerRouterHandler]:
    return [
        OutboxController,
        DemoMailboxController,
        HomeController,
        AccountController,
        RegistrationController,
        RecoveryController,
        ProfileController,
        BackofficeController,
        AuditLogController,
        PrivacyController,
        LanguageController,
        OidcController,
        SignInMethodsController,
        HealthController,
        TwoFactorController,
        TwoFactorChallengeController,
        TeamController,
        InvitationController,
        AccountsController,
        PeopleController,
    ]
