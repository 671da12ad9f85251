"""Every feature's controllers, in one list: a new feature adds one line here."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import NotFoundException
from litestar.types import ControllerRouterHandler

from portal.services.accounts import valid_id
from portal.settings import Settings
from portal.web.account.controllers import AccountController
from portal.web.api_tokens.controllers import ApiTokensController
from portal.web.attachments.controllers import AttachmentController
from portal.web.audit.controllers import AuditLogController
from portal.web.auth.recovery import RecoveryController
from portal.web.auth.registration import RegistrationController
from portal.web.backoffice.controllers import BackofficeController
from portal.web.cases.controllers import CaseController
from portal.web.cases.suggestions import SuggestionsController
from portal.web.contracts.backoffice import ContractSetupController
from portal.web.contracts.customer import CustomerContractsController
from portal.web.deflection.controllers import DeflectionController
from portal.web.desk.case_page import DeskCaseController
from portal.web.desk.controllers import QueueController
from portal.web.health.controllers import HealthController
from portal.web.home.controllers import HomeController
from portal.web.kb_admin.categories import KbCategoriesController
from portal.web.kb_admin.controllers import KbArticlesController
from portal.web.kb_admin.versions import KbVersionsController
from portal.web.kb_files.controllers import ArticleFilesController
from portal.web.knowledge.controllers import KnowledgeController, SitemapController
from portal.web.knowledge.search import KnowledgeSearchController
from portal.web.language.controllers import LanguageController
from portal.web.notifications.controllers import NotificationPreferencesController
from portal.web.oidc.controllers import OidcController, SignInMethodsController
from portal.web.outbox.controllers import DemoMailboxController, OutboxController
from portal.web.privacy.controllers import PrivacyController
from portal.web.profile.controllers import ProfileController
from portal.web.staff_accounts.controllers import AccountsController
from portal.web.staff_accounts.people import PeopleController
from portal.web.support_setup.catalog import CategoriesController, ProductsController
from portal.web.support_setup.controllers import CannedResponsesController, TeamsController
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
        CaseController,
        CustomerContractsController,
        ContractSetupController,
        SuggestionsController,
        DeflectionController,
        AccountsController,
        PeopleController,
        QueueController,
        DeskCaseController,
        ApiTokensController,
        NotificationPreferencesController,
        ProductsController,
        CategoriesController,
        TeamsController,
        CannedResponsesController,
        AttachmentController,
        KbArticlesController,
        KbVersionsController,
        KbCategoriesController,
        ArticleFilesController,
        KnowledgeController,
        KnowledgeSearchController,
        SitemapController,
    ]


def refuse_impossible_ids(request: Request[Any, Any, Any]) -> None:
    """A path id no row can have is a miss before any query: SQLite overflows past 2**63 and PostgreSQL's integer
    past 2**31, both with an error rather than an empty result."""
    if any(isinstance(value, int) and not valid_id(value) for value in request.path_params.values()):
        raise NotFoundException()
