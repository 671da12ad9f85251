"""Sign in with a provider, link it from the profile, confirm a link by email, unlink it."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Response, Template

from portal import i18n
from portal.i18n import gettext as _
from portal.services import identities
from portal.services.users import CurrentUser
from portal.settings import OidcProviderSettings
from portal.web.auth.controllers import home_for, safe_next
from portal.web.auth.guards import requires_user
from portal.web.oidc.oauth import ProviderClient, Providers, SignInFailed, identity_from_callback
from portal.web.origin import origin_of
from portal.web.twofactor.flow import finish_sign_in

SIGN_IN_METHODS = "/profile/sign-in-methods"
AnyRequest = Request[Any, Any, Any]


def _provider(request: AnyRequest, name: str) -> tuple[ProviderClient, OidcProviderSettings]:
    providers: Providers = request.app.state.oidc
    client = providers.client(name)
    if client is None:
        raise NotFoundException()
    return client, providers.configured[name]


def _callback_url(request: AnyRequest, name: str) -> str:
    # The public URL, not the one this request arrived at: behind a proxy they differ, and the provider
    # only accepts the redirect URI registered with it.
    return f"{request.app.state.settings.public_url.rstrip('/')}/auth/{name}/callback"


def _problem(request: AnyRequest, reason: str, label: str = "") -> Template:
    """A page saying why signing in stopped, in the visitor's language; never a 500."""
    pages = {
        "cancelled": (
            401,
            _("Sign-in cancelled"),
            _(
                "Signing in with %(provider)s was cancelled, so you are not signed in. "
                "Try again, or sign in another way."
            ),
        ),
        "provider_error": (
            400,
            _("Sign-in did not work"),
            _("%(provider)s could not sign you in. Try again, or sign in another way."),
        ),
        "bad_state": (
            400,
            _("This sign-in has expired"),
            _("This sign-in was already completed, or did not start here. Please start signing in again."),
        ),
        "rejected": (
            401,
            _("We could not verify your sign-in"),
            _("The answer from %(provider)s did not pass our security checks, so you are not signed in."),
        ),
        "unreachable": (
            502,
            _("Sign-in provider not reachable"),
            _("We could not reach %(provider)s. Please try again in a few minutes."),
        ),
        "email_not_verified": (
            403,
            _("Email address not verified"),
            _(
                "%(provider)s has not confirmed your email address, so we cannot use it for an account here. "
                "Confirm it with %(provider)s first, or sign up with a password."
            ),
        ),
        "inactive": (403, _("Account disabled"), _("This account is disabled. Please contact us.")),
        "linked_elsewhere": (
            409,
            _("Already linked to another account"),
            _("This %(provider)s account already signs in to another account here."),
        ),
        "bad_link": (
            400,
            _("This link has expired"),
            _("The link was already used or has expired. Sign in with the provider again to get a new one."),
        ),
    }
    status, title, message = pages[reason]
    context = {
        "status": status,
        "title": title,
        "message": message % {"provider": label},
        "request_id": request.state.get("request_id"),
    }
    return Template("errors/error.html", context=context, status_code=status)


async def _signed_in(request: AnyRequest, user: CurrentUser, target: str | None) -> Redirect:
    """Into the session, or first to the second-factor challenge when the user has one (as password sign-ins)."""
    response = await finish_sign_in(request, user, safe_next(target) or home_for(user))
    i18n.set_locale(user.locale)
    if not user.two_factor_enabled:
        flash(request, _("Welcome, %(name)s.") % {"name": user.first_name}, "success")
    response.set_cookie(i18n.LOCALE_COOKIE, user.locale, max_age=365 * 24 * 3600, samesite="lax")
    return response


class OidcController(Controller):
    include_in_schema = False

    @get("/auth/{name:str}/login", name="oidc_login")
    async def start(
        self, request: AnyRequest, name: FromPath[str], next: FromQuery[str | None] = None
    ) -> Response[Any]:
        client, provider = _provider(request, name)
        try:
            url = await client.begin(request, _callback_url(request, name), {"next": safe_next(next)})
        except SignInFailed as exc:
            return _problem(request, exc.reason, provider.label)
        return Redirect(url, status_code=303)

    @post("/auth/{name:str}/link", guards=[requires_user], status_code=303)
    async def start_link(self, request: AnyRequest, name: FromPath[str]) -> Response[Any]:
        client, provider = _provider(request, name)
        extra = {"intent": "link", "user_id": request.user.id}
        try:
            url = await client.begin(request, _callback_url(request, name), extra)
        except SignInFailed as exc:
            return _problem(request, exc.reason, provider.label)
        return Redirect(url, status_code=303)

    @get("/auth/{name:str}/callback", name="oidc_callback")
    async def callback(self, request: AnyRequest, name: FromPath[str]) -> Response[Any]:
        client, provider = _provider(request, name)
        try:
            identity, started = await identity_from_callback(client, provider, request)
        except SignInFailed as exc:
            return _problem(request, exc.reason, provider.label)
        origin = origin_of(request)
        if started.get("intent") == "link":
            if request.user is None or request.user.id != started.get("user_id"):
                return _problem(request, "bad_state", provider.label)  # signed out or switched user meanwhile
            try:
                linked = await identities.link(request.user, identity, origin=origin)
            except identities.AlreadyLinkedElsewhere:
                return _problem(request, "linked_elsewhere", provider.label)
            message = (
                _("%(provider)s is now linked to your account.") if linked else _("%(provider)s was already linked.")
            )
            flash(request, message % {"provider": provider.label}, "success")
            return Redirect(SIGN_IN_METHODS, status_code=303)
        outcome = await identities.sign_in(
            identity,
            label=provider.label,
            origin=origin,
            mailer=request.app.state.mailer,
            locale=i18n.current_locale(),
        )
        if isinstance(outcome, identities.Refused):
            return _problem(request, outcome.reason, provider.label)
        if isinstance(outcome, identities.ConfirmationSent):
            context = {"email": outcome.email, "provider": provider.label}
            return Template("oidc/check_email.html", context=context)
        return await _signed_in(request, outcome.user, started.get("next"))

    @get("/link-identity/{token:str}")
    async def confirm_page(self, token: FromPath[str]) -> Template:
        return Template("oidc/confirm_link.html", context={"token": token})

    @post("/link-identity/{token:str}", status_code=303)
    async def confirm(self, request: AnyRequest, token: FromPath[str]) -> Response[Any]:
        confirmed = await identities.confirm_link(token, origin=origin_of(request))
        if confirmed is None:
            return _problem(request, "bad_link")
        user, provider_name = confirmed
        provider = request.app.state.oidc.configured.get(provider_name)
        label = provider.label if provider else provider_name
        flash(request, _("%(provider)s is now linked to your account.") % {"provider": label}, "success")
        return await _signed_in(request, user, None)


class SignInMethodsController(Controller):
    path = SIGN_IN_METHODS
    guards = [requires_user]
    include_in_schema = False

    @get("/", name="sign_in_methods")
    async def page(self, request: AnyRequest) -> Template:
        providers: Providers = request.app.state.oidc
        linked = await identities.linked_to(request.user.id)
        has_password = await identities.has_password(request.user.id)
        linked_names = {identity.provider for identity in linked}
        context = {
            "linked": linked,
            "labels": {name: provider.label for name, provider in providers.configured.items()},
            "can_unlink": has_password or len(linked) > 1,
            "has_password": has_password,
            "available": [provider for name, provider in providers.configured.items() if name not in linked_names],
        }
        return Template("oidc/sign_in_methods.html", context=context)

    @post("/{identity_id:int}/unlink", status_code=303)
    async def unlink(self, request: AnyRequest, identity_id: FromPath[int]) -> Redirect:
        try:
            provider_name = await identities.unlink(request.user.id, identity_id, origin=origin_of(request))
        except identities.NotFound as exc:
            raise NotFoundException() from exc
        except identities.LastSignInMethod:
            flash(request, _("This is your only way to sign in, so it cannot be removed."), "error")
            return Redirect(SIGN_IN_METHODS, status_code=303)
        provider = request.app.state.oidc.configured.get(provider_name)
        label = provider.label if provider else provider_name
        flash(request, _("%(provider)s no longer signs you in.") % {"provider": label}, "success")
        return Redirect(SIGN_IN_METHODS, status_code=303)
