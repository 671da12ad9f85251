"""Two-factor authentication: enrol, see and replace recovery codes, turn off; and the sign-in challenge."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from pydantic import BaseModel, Field

from portal.i18n import gettext as _
from portal.services import audit, two_factor, users
from portal.services.audit import AuditKind
from portal.services.two_factor import TwoFactorKeys
from portal.web.auth.controllers import FormData
from portal.web.auth.guards import TwoFactorEnrolmentRequired, requires_user
from portal.web.auth.sessions import start_session
from portal.web.forms import parse_form
from portal.web.origin import origin_of
from portal.web.twofactor.flow import PENDING_KEY, pending_challenge, welcome

ENROL_KEY = "two_factor_enrolment"
SETUP_PATH = "/profile/two-factor/setup"


class CodeForm(BaseModel):
    code: str = Field(min_length=1, max_length=20)


def keys_of(request: Request[Any, Any, Any]) -> TwoFactorKeys:
    return request.app.state.two_factor_keys  # type: ignore[no-any-return]


def _invalid_code() -> dict[str, str]:
    return {"code": _("That code is not right. Use the current code from your app, or a recovery code.")}


class TwoFactorController(Controller):
    path = "/profile/two-factor"
    guards = [requires_user]
    include_in_schema = False

    @get("/", name="two_factor")
    async def overview(self, request: Request[Any, Any, Any]) -> Template:
        remaining = await two_factor.remaining_recovery_codes(request.user.id)
        return Template("twofactor/overview.html", context={"remaining": remaining, "errors": {}})

    @get("/setup")
    async def setup_page(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        if request.user.two_factor_enabled:
            return Redirect("/profile/two-factor", status_code=303)
        keys = keys_of(request)
        sealed = request.session.get(ENROL_KEY)
        secret = keys.open(sealed) if sealed else None
        if secret is None:
            secret = two_factor.new_secret()
            request.session[ENROL_KEY] = keys.seal(secret)
        return self._setup(request, secret, {})

    @post("/setup", status_code=200)
    async def confirm_setup(self, request: Request[Any, Any, Any], data: FormData) -> Template | Redirect:
        keys = keys_of(request)
        sealed = request.session.get(ENROL_KEY)
        secret = keys.open(sealed) if sealed else None
        if secret is None:
            return Redirect("/profile/two-factor/setup", status_code=303)
        form, errors = parse_form(CodeForm, data)
        codes = await two_factor.enable(request.user.id, secret, form.code, keys) if form else None
        if codes is None:
            return self._setup(request, secret, errors or _invalid_code(), status_code=422)
        request.session.pop(ENROL_KEY, None)
        await audit.record(
            AuditKind.two_factor_enabled,
            origin=origin_of(request),
            actor_id=request.user.id,
            subject_id=request.user.id,
        )
        return Template("twofactor/recovery_codes.html", context={"codes": codes, "first_time": True})

    @post("/recovery-codes", status_code=200)
    async def new_recovery_codes(self, request: Request[Any, Any, Any], data: FormData) -> Template:
        keys = keys_of(request)
        form, errors = parse_form(CodeForm, data)
        if form is None or not await two_factor.verify(request.user.id, form.code, keys):
            remaining = await two_factor.remaining_recovery_codes(request.user.id)
            context = {"remaining": remaining, "errors": errors or _invalid_code(), "failed": "codes"}
            return Template("twofactor/overview.html", context=context, status_code=422)
        codes = await two_factor.replace_recovery_codes(request.user.id, keys)
        return Template("twofactor/recovery_codes.html", context={"codes": codes, "first_time": False})

    @post("/disable", status_code=303)
    async def disable(self, request: Request[Any, Any, Any], data: FormData) -> Template | Redirect:
        form, errors = parse_form(CodeForm, data)
        if form is None or not await two_factor.verify(request.user.id, form.code, keys_of(request)):
            remaining = await two_factor.remaining_recovery_codes(request.user.id)
            context = {"remaining": remaining, "errors": errors or _invalid_code(), "failed": "disable"}
            return Template("twofactor/overview.html", context=context, status_code=422)
        await two_factor.disable(request.user.id)
        await audit.record(
            AuditKind.two_factor_disabled,
            origin=origin_of(request),
            actor_id=request.user.id,
            subject_id=request.user.id,
        )
        flash(request, _("Two-factor authentication is off."), "warning")
        return Redirect("/profile/two-factor", status_code=303)

    def _setup(
        self, request: Request[Any, Any, Any], secret: str, errors: dict[str, str], status_code: int = 200
    ) -> Template:
        uri = two_factor.provisioning_uri(secret, request.user.email, keys_of(request).issuer)
        context = {"qr_svg": two_factor.qr_svg(uri), "secret": secret, "errors": errors}
        return Template("twofactor/setup.html", context=context, status_code=status_code)


def handle_enrolment_required(request: Request[Any, Any, Any], _exc: TwoFactorEnrolmentRequired) -> Response[Any]:
    """Staff without two-factor, where it is required, are sent to set it up (exception handler)."""
    flash(request, _("Please set up two-factor authentication to continue: it is required for staff."), "warning")
    if request.headers.get("hx-request"):
        return Response(None, status_code=204, headers={"HX-Redirect": SETUP_PATH})
    return Redirect(SETUP_PATH, status_code=303)


class TwoFactorChallengeController(Controller):
    path = "/login/two-factor"
    include_in_schema = False

    @get("/")
    async def challenge_page(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        if pending_challenge(request) is None:
            return Redirect("/login", status_code=303)
        return Template("twofactor/challenge.html", context={"errors": {}})

    @post("/", status_code=303)
    async def answer(self, request: Request[Any, Any, Any], data: FormData) -> Template | Redirect:
        pending = pending_challenge(request)
        if pending is None:
            flash(request, _("Please sign in again."), "warning")
            return Redirect("/login", status_code=303)
        form, errors = parse_form(CodeForm, data)
        user = await users.get_active(pending["user_id"])
        if user is None or form is None or not await two_factor.verify(user.id, form.code, keys_of(request)):
            pending["tries"] += 1
            request.session[PENDING_KEY] = pending
            await audit.record(
                AuditKind.sign_in_failed, origin=origin_of(request), subject_id=pending["user_id"], method="two-factor"
            )
            return Template("twofactor/challenge.html", context={"errors": errors or _invalid_code()}, status_code=422)
        start_session(request, user, remember=bool(pending.get("remember")))
        welcome(request, user)
        await audit.record(
            AuditKind.sign_in, origin=origin_of(request), actor_id=user.id, subject_id=user.id, method="two-factor"
        )
        return Redirect(pending["next"], status_code=303)
