"""The customer's team: colleagues they may see, account admins inviting and deactivating; accepting invitations."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from portal.db.tables import Account, Role
from portal.i18n import current_locale
from portal.i18n import gettext as _
from portal.services import access, invitations, team
from portal.services.accounts import Refused
from portal.services.users import CurrentUser
from portal.web.auth.guards import requires_customer, requires_role, requires_user
from portal.web.auth.sessions import start_session
from portal.web.forms import FORM_ERROR, parse_form
from portal.web.origin import origin_of
from portal.web.team.forms import AcceptInvitationForm, ColleagueInvitationForm, FormData, values_of

AnyRequest = Request[Any, Any, Any]


async def load_colleague(request: AnyRequest, colleague_id: FromPath[int]) -> dict[str, Any]:
    """A colleague `request.user` may see; anyone else, existing or not, is a 404."""
    person = await team.colleague(request.user, colleague_id)
    if person is None:
        raise NotFoundException()
    return person


async def team_page(
    request: AnyRequest, values: dict[str, str] | None = None, errors: dict[str, str] | None = None, status: int = 200
) -> Template:
    user: CurrentUser = request.user
    account = await Account.select().where(Account.id == user.account_id).first() if user.account_id else None
    context = {
        "account": account,
        "colleagues": await team.colleagues(user),
        "sees_everyone": (await access.colleague_scope(user)).user_ids is None,
        "is_admin": user.role == Role.account_admin,
        "values": values or {"role": "contact"},
        "errors": errors or {},
    }
    return Template("team/team.html", context=context, status_code=status)


class TeamController(Controller):
    path = "/team"
    guards = [requires_customer]
    include_in_schema = False
    dependencies = {"colleague": Provide(load_colleague)}

    @get("/", name="team")
    async def show(self, request: AnyRequest) -> Template:
        return await team_page(request)

    @get("/{colleague_id:int}")
    async def colleague_page(self, colleague: NamedDependency[dict[str, Any]]) -> Template:
        return Template("team/colleague.html", context={"person": colleague})

    @post("/invitations", guards=[requires_role(Role.account_admin)], status_code=303)
    async def invite(self, request: AnyRequest, data: FormData) -> Template | Redirect:
        form, errors = parse_form(ColleagueInvitationForm, data)
        if form is not None:
            try:
                await invitations.invite_colleague(
                    request.user,
                    email=form.email,
                    role=Role(form.role),
                    name=form.name,
                    mailer=request.app.state.mailer,
                    origin=origin_of(request),
                )
            except Refused as refused:
                errors = {"email": refused.message}
        if form is None or errors:
            return await team_page(request, values_of(data, "email", "name", "role"), errors, status=422)
        flash(request, _("We emailed an invitation to %(email)s.") % {"email": form.email}, "success")
        return Redirect("/team", status_code=303)

    @post("/{colleague_id:int}/deactivate", guards=[requires_role(Role.account_admin)], status_code=303)
    async def deactivate(self, request: AnyRequest, colleague: NamedDependency[dict[str, Any]]) -> Redirect:
        try:
            await team.deactivate(request.user, colleague["id"], origin=origin_of(request))
        except Refused as refused:
            flash(request, refused.message, "error")
        else:
            flash(request, _("%(name)s can no longer sign in.") % {"name": colleague["name"]}, "success")
        return Redirect("/team", status_code=303)


async def invitation_page(
    request: AnyRequest,
    token: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    invitation = await invitations.inspect(token)
    if invitation is None:
        return Template("team/invitation.html", context={"invitation": None}, status_code=410)
    context = {
        "invitation": invitation,
        "token": token,
        "values": values or {},
        "errors": errors or {},
        "signed_in_as_invitee": request.user is not None and request.user.id == invitation.existing_user_id,
    }
    return Template("team/invitation.html", context=context, status_code=409 if invitation.problem else status)


def welcome(request: AnyRequest, user: CurrentUser) -> Redirect:
    start_session(request, user)  # a new id for the new identity or role
    flash(request, _("Welcome, %(name)s.") % {"name": user.first_name}, "success")
    return Redirect("/backoffice" if user.is_staff else "/team", status_code=303)


class InvitationController(Controller):
    """Open to anyone holding the link: the 256-bit token is the credential."""

    path = "/invitation"
    include_in_schema = False

    @get("/{token:str}")
    async def show(self, request: AnyRequest, token: FromPath[str]) -> Template:
        return await invitation_page(request, token)

    @post("/{token:str}", status_code=303)
    async def accept(self, request: AnyRequest, token: FromPath[str], data: FormData) -> Template | Redirect:
        invitation = await invitations.inspect(token)
        form, errors = parse_form(AcceptInvitationForm, data)
        if form is not None and invitation is not None and (problem := form.password_problem(invitation.email)):
            errors = {"password": problem}
        if form is None or errors:
            return await invitation_page(request, token, values_of(data, "name"), errors, status=422)
        try:
            user = await invitations.accept_as_new(
                token, name=form.name, password=form.password, locale=current_locale(), origin=origin_of(request)
            )
        except Refused as refused:
            return await invitation_page(request, token, values_of(data, "name"), {FORM_ERROR: refused.message}, 409)
        return welcome(request, user)

    @post("/{token:str}/join", guards=[requires_user], status_code=303)
    async def join(self, request: AnyRequest, token: FromPath[str]) -> Template | Redirect:
        try:
            user = await invitations.accept_as_existing(token, request.user, origin=origin_of(request))
        except Refused as refused:
            return await invitation_page(request, token, {}, {FORM_ERROR: refused.message}, 409)
        return welcome(request, user)
