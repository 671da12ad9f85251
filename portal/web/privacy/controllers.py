"""Your data, on /profile/data: download everything the portal holds about you, or delete your account."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template
from pydantic import BaseModel, Field

from portal.db.tables import Account
from portal.i18n import gettext as _
from portal.services import privacy
from portal.services.users import CurrentUser
from portal.web.auth.controllers import FormData
from portal.web.auth.guards import requires_user
from portal.web.auth.sessions import end_session
from portal.web.forms import parse_form
from portal.web.origin import origin_of

ENGLISH_CONFIRMATION_WORD = "DELETE"


class EraseForm(BaseModel):
    """Proof that the person at the keyboard means it: their password, or the confirmation word without one."""

    password: str = Field(default="", max_length=1024)
    confirm: str = Field(default="", max_length=50)


def confirmation_word() -> str:
    return _("DELETE")


async def _confirmation_errors(user: CurrentUser, form: EraseForm, check: privacy.ErasureCheck) -> dict[str, str]:
    if check.has_password:
        if not form.password:
            return {"password": _("This field is required.")}
        if not await privacy.password_matches(user.id, form.password):
            return {"password": _("That is not your password.")}
        return {}
    typed = form.confirm.strip().casefold()
    if typed not in {confirmation_word().casefold(), ENGLISH_CONFIRMATION_WORD.casefold()}:
        return {"confirm": _("Type %(word)s to confirm.") % {"word": confirmation_word()}}
    return {}


async def _page(user: CurrentUser, errors: dict[str, str] | None = None, status_code: int = 200) -> Template:
    check = await privacy.erasure_check(user)
    account = None
    if check.last_account_admin and user.account_id is not None:
        account = await Account.select(Account.name).where(Account.id == user.account_id).first()
    context = {
        "check": check,
        "account_name": account["name"] if account else None,
        "sections": [str(label) for label in privacy.export_sections.labels.values()],
        "confirmation_word": confirmation_word(),
        "values": {},
        "errors": errors or {},
    }
    return Template("privacy/data.html", context=context, status_code=status_code)


class PrivacyController(Controller):
    path = "/profile/data"
    include_in_schema = False

    @get("/", name="privacy", guards=[requires_user])
    async def overview(self, request: Request[CurrentUser, Any, Any]) -> Template:
        return await _page(request.user)

    @post("/export", status_code=200, guards=[requires_user])
    async def download(self, request: Request[CurrentUser, Any, Any]) -> Response[bytes]:
        archive = await privacy.export_archive(request.user, origin=origin_of(request))
        filename = f"my-data-{datetime.now(UTC):%Y-%m-%d}.zip"
        return Response(
            archive,
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
        )

    @post("/delete", status_code=303, guards=[requires_user])
    async def delete(self, request: Request[CurrentUser, Any, Any], data: FormData) -> Template | Redirect:
        user = request.user
        check = await privacy.erasure_check(user)
        if not check.allowed:
            return await _page(user, status_code=403)
        form, errors = parse_form(EraseForm, data)
        if form is not None:
            errors = await _confirmation_errors(user, form, check)
        if errors:
            return await _page(user, errors, status_code=422)
        try:
            await privacy.erase_user(user.id, origin=origin_of(request))
        except privacy.ErasureRefused:  # made staff since the check above
            return await _page(user, status_code=403)
        end_session(request)
        return Redirect("/profile/data/deleted", status_code=303)

    @get("/deleted", name="privacy_deleted")
    async def deleted(self) -> Template:
        return Template("privacy/deleted.html")
