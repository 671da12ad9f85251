"""A forgotten password: ask for a link by email, open it, choose a new password."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from pydantic import BaseModel

from portal.i18n import gettext as _
from portal.services import credentials
from portal.web.auth.controllers import FormData
from portal.web.auth.registration import EmailAddress, NewPasswordForm, confirmation_error, invalid_link_page
from portal.web.auth.throttling import allow, client_address, emails_per_address, enforce, forms_per_ip
from portal.web.forms import parse_form
from portal.web.origin import origin_of


class ForgotForm(BaseModel):
    email: EmailAddress


class RecoveryController(Controller):
    path = "/password"
    include_in_schema = False

    @get("/forgot", name="forgot_password")
    async def forgot_page(self) -> Template:
        return Template("auth/forgot.html", context={"values": {}, "errors": {}})

    @post("/forgot", status_code=303)
    async def forgot(self, request: Request[Any, Any, Any], data: FormData) -> Template | Redirect:
        settings = request.app.state.settings
        await enforce(request, forms_per_ip(settings), client_address(request))
        form, errors = parse_form(ForgotForm, data)
        if form is None:
            return Template(
                "auth/forgot.html",
                context={"values": {"email": data.get("email", "")}, "errors": errors},
                status_code=422,
            )
        # Known or not, within the per-address limit or not: the same answer, so it tells nobody who has an account.
        if await allow(request, emails_per_address(settings), form.email):
            await credentials.request_password_reset(form.email, settings=settings, mailer=request.app.state.mailer)
        return Redirect("/password/forgot/sent", status_code=303)

    @get("/forgot/sent", name="forgot_password_sent")
    async def sent(self) -> Template:
        return Template("auth/forgot_sent.html")

    @get("/reset/{token:str}", name="reset_password")
    async def reset_page(self, token: FromPath[str]) -> Template:
        # Opening the link only shows the form (mail scanners open links too); sending the form uses it.
        if not await credentials.reset_link_is_valid(token):
            return invalid_link_page()
        return Template("auth/reset.html", context={"token": token, "errors": {}})

    @post("/reset/{token:str}", status_code=303)
    async def reset(self, request: Request[Any, Any, Any], token: FromPath[str], data: FormData) -> Template | Redirect:
        form, errors = parse_form(NewPasswordForm, data)
        if form is None:
            if not await credentials.reset_link_is_valid(token):
                return invalid_link_page()
            context = {"token": token, "errors": confirmation_error(errors)}
            return Template("auth/reset.html", context=context, status_code=422)
        if not await credentials.reset_password(token, form.password, origin=origin_of(request)):
            return invalid_link_page()
        flash(request, _("Your password is changed and every session was signed out. Please sign in."), "success")
        return Redirect("/login", status_code=303)
