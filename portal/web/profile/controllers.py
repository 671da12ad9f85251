"""The profile page: every signed-in user's own details, password, email address, sessions and sign-ins.

Other features add their own pages under /profile (sign-in methods, your data) and link them from here.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Controller, Request, get, post
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from pydantic import BaseModel

from portal import i18n
from portal.db.tables import User
from portal.i18n import gettext as _
from portal.services import audit, credentials
from portal.services.audit import AuditKind
from portal.services.audit_log import browser_of
from portal.web.auth.controllers import FormData
from portal.web.auth.guards import requires_user
from portal.web.auth.registration import (
    EmailAddress,
    Language,
    Name,
    NewPasswordForm,
    Password,
    Phone,
    confirmation_error,
    language_options,
)
from portal.web.auth.sessions import end_session, renew_session
from portal.web.auth.throttling import allow, emails_per_address
from portal.web.forms import parse_form
from portal.web.origin import origin_of

ONE_YEAR = 365 * 24 * 3600
RECENT_SIGN_INS = 10


class DetailsForm(BaseModel):
    name: Name
    phone: Phone = ""
    locale: Language = "en"


class PasswordForm(NewPasswordForm):
    current: Password


class EmailForm(BaseModel):
    new_email: EmailAddress
    current: Password


def describe_browser(user_agent: str | None) -> str:
    """ "Firefox on Linux" from a User-Agent header; the raw header's first words when it is unusual."""
    if not user_agent:
        return _("Unknown browser")
    browser, system = browser_of(user_agent)
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or re.split(r"[\s;(]", user_agent, maxsplit=1)[0][:40]


async def recent_sign_ins(user_id: int) -> list[dict[str, Any]]:
    """Successful and failed sign-ins: a failure the user did not make is the thing to notice."""
    entries = await audit.recent_sign_ins(user_id, limit=RECENT_SIGN_INS)
    return [
        {
            "occurred_at": entry.occurred_at,
            "ip": entry.ip,
            "browser": describe_browser(entry.user_agent),
            "failed": entry.kind == AuditKind.sign_in_failed.value,
        }
        for entry in entries
    ]


async def profile_page(
    request: Request[Any, Any, Any],
    *,
    errors: dict[str, dict[str, str]] | None = None,
    values: dict[str, dict[str, str]] | None = None,
    status_code: int = 200,
) -> Template:
    user = request.user
    row = await User.select(User.name, User.phone, User.locale, User.email).where(User.id == user.id).first()
    assert row is not None
    details = {"name": row["name"], "phone": row["phone"] or "", "locale": row["locale"]}
    values = {"details": details} | (values or {})
    context = {
        "values": values,
        "errors": {"details": {}, "password": {}, "email": {}} | (errors or {}),
        "languages": language_options(),
        "sign_ins": await recent_sign_ins(user.id),
    }
    return Template("profile/profile.html", context=context, status_code=status_code)


class ProfileController(Controller):
    path = "/profile"
    guards = [requires_user]
    include_in_schema = False

    @get("/", name="profile")
    async def show(self, request: Request[Any, Any, Any]) -> Template:
        return await profile_page(request)

    @post("/", status_code=303)
    async def update_details(self, request: Request[Any, Any, Any], data: FormData) -> Template | Redirect:
        form, errors = parse_form(DetailsForm, data)
        if form is None:
            values = {key: data.get(key, "") for key in ("name", "phone", "locale")}
            return await profile_page(request, errors={"details": errors}, values={"details": values}, status_code=422)
        await User.update({User.name: form.name, User.phone: form.phone or None, User.locale: form.locale}).where(
            User.id == request.user.id
        )
        i18n.set_locale(form.locale)
        flash(request, _("Your details are saved."), "success")
        response = Redirect("/profile", status_code=303)
        response.set_cookie(i18n.LOCALE_COOKIE, form.locale, max_age=ONE_YEAR, samesite="lax", httponly=True)
        return response

    @post("/password", status_code=303)
    async def change_password(self, request: Request[Any, Any, Any], data: FormData) -> Template | Redirect:
        form, errors = parse_form(PasswordForm, data)
        user = None
        if form is not None:
            user = await credentials.change_password(
                request.user.id, form.current, form.password, origin=origin_of(request)
            )
            if user is None:
                errors = {"current": _("This is not your current password.")}
        if user is None:
            return await profile_page(request, errors={"password": confirmation_error(errors)}, status_code=422)
        renew_session(request, user)  # this browser stays signed in; every other session is over
        flash(request, _("Your password is changed. Every other session was signed out."), "success")
        return Redirect("/profile", status_code=303)

    @post("/email", status_code=303)
    async def change_email(self, request: Request[Any, Any, Any], data: FormData) -> Template | Redirect:
        form, errors = parse_form(EmailForm, data)
        if form is not None and not await credentials.check_password(request.user.id, form.current):
            errors = {"current": _("This is not your current password.")}
        elif form is not None and form.new_email == request.user.email:
            errors = {"new_email": _("This is your email address already.")}
        if errors or form is None:
            values = {"email": {"new_email": data.get("new_email", "")}}
            return await profile_page(request, errors={"email": errors}, values=values, status_code=422)
        settings = request.app.state.settings
        if await allow(request, emails_per_address(settings), form.new_email):
            await credentials.request_email_change(
                request.user, form.new_email, settings=settings, mailer=request.app.state.mailer
            )
        flash(
            request,
            _("We sent a link to %(email)s. Your address changes when you open it.") % {"email": form.new_email},
            "success",
        )
        return Redirect("/profile", status_code=303)

    @post("/sign-out-everywhere", status_code=303)
    async def sign_out_everywhere(self, request: Request[Any, Any, Any]) -> Redirect:
        await credentials.sign_out_everywhere(request.user.id, origin=origin_of(request))
        end_session(request)
        request.set_session({})  # an anonymous session, to carry the message below
        flash(request, _("You are signed out on every device, this one included."), "success")
        return Redirect("/login", status_code=303)
