"""`create_app(settings)`: wiring only. Every part is built from the settings it is given, nothing from globals."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import structlog
from litestar import Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader, State
from litestar.middleware.session.base import SessionMiddleware
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router
from litestar.stores.base import Store

from portal import logging as portal_logging
from portal.db import engine as db_engine
from portal.plugins.dispatcher import Dispatcher
from portal.plugins.handle import Portal
from portal.plugins.manager import make_plugin_manager
from portal.services import attachments, case_actions, kb_article_files, sla
from portal.services.kb_index import KnowledgeSearch, catch_up_periodically
from portal.services.mail import Mailer
from portal.services.two_factor import TwoFactorKeys
from portal.settings import Settings
from portal.stores import build_stores, delete_expired
from portal.web.api.router import api_router, openapi_config
from portal.web.auth.controllers import AuthController, login_rate_limit
from portal.web.auth.guards import TwoFactorEnrolmentRequired
from portal.web.auth.identity import IdentityMiddleware
from portal.web.auth.sessions import session_config
from portal.web.errors.handlers import EXCEPTION_HANDLERS
from portal.web.middleware import RequestContextMiddleware
from portal.web.navigation import count_badges, remember_scope
from portal.web.oidc.oauth import build_providers
from portal.web.routes import feature_routes, refuse_impossible_ids
from portal.web.templating import STATIC_DIR, STATIC_PATH, template_config
from portal.web.twofactor.controllers import handle_enrolment_required

log = structlog.get_logger("portal.app")
ONE_YEAR = 365 * 24 * 3600
STORE_CLEANUP_INTERVAL = 3600.0
CASE_HOUSEKEEPING_INTERVAL = 600.0
SHUTDOWN_GRACE = 5.0  # seconds background tasks get to finish when the app stops


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings()
    settings.secret_key()  # fails early, with a clear message, when production has no secret
    portal_logging.configure(settings)
    database = db_engine.bind(settings.database_url, sqlite_busy_timeout=settings.db.sqlite_busy_timeout)
    stores = build_stores(settings)
    sessions = session_config(settings)
    mailer = Mailer(settings)
    oidc = build_providers(settings)  # once per app: each client caches its provider's discovery and keys
    two_factor_keys = TwoFactorKeys(settings)
    portal = Portal(settings=settings, plugins=make_plugin_manager(settings), mailer=mailer)
    dispatcher = Dispatcher(portal)
    attachment_store = attachments.LocalAttachmentStore(settings.attachments_dir)
    search = KnowledgeSearch.from_settings(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await db_engine.start(
            database, pool_min_size=settings.db.pool_min_size, pool_max_size=settings.db.pool_max_size
        )
        await _open_search_index(search)
        background = [asyncio.create_task(_clean_stores_periodically(stores)), asyncio.create_task(mailer.run())]
        background.append(asyncio.create_task(catch_up_periodically(search)))
        background.append(asyncio.create_task(_close_resolved_cases_periodically(settings)))
        background.append(asyncio.create_task(sla.check_periodically()))
        background.append(asyncio.create_task(attachments.sweep_periodically(attachment_store)))
        article_files = kb_article_files.article_store(attachment_store)
        background.append(asyncio.create_task(kb_article_files.sweep_periodically(article_files)))
        if settings.plugins.dispatcher:
            background.append(asyncio.create_task(dispatcher.run()))
        try:
            yield
        finally:
            for task in background:
                task.cancel()
            # Let them stop before the database closes (a task still unwinding would use a closed pool), but
            # never wait for ever on one that does not: shutting down must always finish.
            await asyncio.wait(background, timeout=SHUTDOWN_GRACE)
            await db_engine.stop(database)

    app = Litestar(
        route_handlers=[
            Router(
                "/",
                route_handlers=[AuthController],
                middleware=[login_rate_limit(settings.security.login_rate_limit).middleware],
            ),
            *feature_routes(settings),
            api_router(),
            create_static_files_router(
                path=STATIC_PATH,
                directories=[STATIC_DIR],
                cache_control=CacheControlHeader(max_age=ONE_YEAR, public=True),
                include_in_schema=False,
                opt={"skip_session": True},
            ),
        ],
        csrf_config=CSRFConfig(
            secret=settings.derived_key("csrf").hex(),
            cookie_name="portal_csrf",
            cookie_secure=settings.cookie_secure,
            cookie_httponly=True,
            cookie_samesite="lax",
        ),
        template_config=template_config(settings),
        middleware=[remember_scope],  # with after_request: the navigation's unread counts
        after_request=count_badges,
        before_request=refuse_impossible_ids,  # a path id out of the database's range is a 404, not a 500
        # Room for a message's full allowance of files; a larger body gets the friendly 413 page.
        request_max_body_size=attachments.request_body_limit(settings.cases),
        plugins=[HTMXPlugin()],
        stores=stores,
        exception_handlers={**EXCEPTION_HANDLERS, TwoFactorEnrolmentRequired: handle_enrolment_required},
        lifespan=[lifespan],
        logging_config=None,
        openapi_config=openapi_config(),
        include_in_schema=False,  # only the API router opts in
        debug=settings.debug,
        state=State(
            {
                "settings": settings,
                "db": database,
                "mailer": mailer,
                "oidc": oidc,
                "two_factor_keys": two_factor_keys,
                "plugins": portal.plugins,
                "portal": portal,
                "dispatcher": dispatcher,
                "attachments": attachment_store,
                "search": search,
            }
        ),
    )
    # Sessions, identity and the request context wrap the whole handler, not each route, so that error pages
    # for unknown paths still know the visitor, their language and their request id.
    handler = IdentityMiddleware()(app.asgi_handler)
    handler = SessionMiddleware(app=handler, backend=sessions._backend_class(config=sessions))
    app.asgi_handler = RequestContextMiddleware(handler, settings)
    return app


def app_from_environment() -> Litestar:
    """The factory ASGI servers call in each worker process (`portal.app:app_from_environment`)."""
    return create_app(Settings())


async def _open_search_index(search: KnowledgeSearch) -> None:
    """A missing or damaged index is rebuilt from the database here. Should even that fail (another process
    holds the lock for long), the portal starts anyway: the first search tries again."""
    try:
        await search.open()
    except Exception:
        log.exception("search index could not be opened at start-up", index_dir=str(search.index_dir))


async def _clean_stores_periodically(stores: dict[str, Store]) -> None:
    while True:
        await delete_expired(stores)
        await asyncio.sleep(STORE_CLEANUP_INTERVAL)


async def _close_resolved_cases_periodically(settings: Settings) -> None:
    """Every process does it; each case is closed once, under its row lock, so they never collide."""
    while True:
        try:
            await case_actions.close_resolved(settings.cases)
        except Exception:  # a database outage must not end the loop
            log.exception("closing resolved cases failed")
        await asyncio.sleep(CASE_HOUSEKEEPING_INTERVAL)


__all__ = ["app_from_environment", "create_app"]
