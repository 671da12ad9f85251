"""Sign in with a password, sign out."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template
from pydantic import BaseModel, Field

from portal import i18n
from portal.i18n import gettext as _
from portal.services import credentials, demo, users
from portal.web.auth.sessions import end_session
from portal.web.auth.throttling import enforce, sign_in_per_account
from portal.web.forms import FORM_ERROR, parse_form
from portal.web.origin import origin_of
from portal.web.twofactor.flow import finish_sign_in

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


class SignInForm(BaseModel):
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=1024)
    next: str = ""
    remember: bool = False  # "keep me signed in"


def sign_in_page(
    request: Request[Any, Any, Any], values: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> Template:
    context: dict[str, Any] = {"values": values, "errors": errors}
    if request.app.state.settings.is_demo:
        context |= {"demo_logins": demo.DEMO_LOGINS, "demo_password": demo.DEMO_PASSWORD}
    return Template("auth/login.html", context=context, status_code=status_code)


def safe_next(target: str | None) -> str | None:
    """Only paths on this site: `//evil.example` and `https://evil.example` are not paths."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return None


def home_for(user: users.CurrentUser) -> str:
    return "/backoffice" if user.is_staff else "/account"


class AuthController(Controller):
    include_in_schema = False

    @get("/login", name="login")
    async def login_page(self, request: Request[Any, Any, Any], next: FromQuery[str | None] = None) -> Template:
        return sign_in_page(request, {"next": safe_next(next) or ""}, {})

    @post("/login", status_code=303)
    async def login(self, request: Request[Any, Any, Any], data: FormData) -> Template | Redirect:
        form, errors = parse_form(SignInForm, data)
        user = None
        if form is not None:
            settings = request.app.state.settings
            await enforce(request, sign_in_per_account(settings), form.email)
            user = await credentials.sign_in(
                form.email, form.password, settings=settings, mailer=request.app.state.mailer, origin=origin_of(request)
            )
        if form is None or user is None:
            # The same answer for an unknown address, a wrong password and a locked account.
            errors = errors or {FORM_ERROR: _("The email or password is not right.")}
            values = {
                "email": data.get("email", ""),
                "next": safe_next(data.get("next")) or "",
                "remember": data.get("remember", ""),
            }
            return sign_in_page(request, values, errors, status_code=422)
        i18n.set_locale(user.locale)
        response = await finish_sign_in(request, user, safe_next(form.next) or home_for(user), remember=form.remember)
        response.set_cookie(i18n.LOCALE_COOKIE, user.locale, max_age=365 * 24 * 3600, samesite="lax")
        return response

    @post("/logout", status_code=303)
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        if request.user is not None:
            await credentials.record_sign_out(request.user.id, origin=origin_of(request))
        end_session(request)
        return Redirect("/", status_code=303)


def login_rate_limit(per_minute: int) -> RateLimitConfig:
    """Sign-in attempts per IP address; viewing the form is not limited."""
    return RateLimitConfig(
        rate_limit=("minute", per_minute),
        store="rate_limit",
        check_throttle_handler=_is_post,
        set_rate_limit_headers=False,
    )


def _is_post(request: Request[Any, Any, Any]) -> bool:
    return request.method == "POST"
