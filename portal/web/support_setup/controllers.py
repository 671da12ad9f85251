"""Back office: support teams and canned responses. All staff may read them; managers and admins change them."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from portal.db.tables import Role
from portal.i18n import gettext as _
from portal.i18n import using_locale
from portal.services import canned_responses, support_teams
from portal.services.users import CurrentUser
from portal.web.auth.guards import requires_role, requires_staff
from portal.web.forms import parse_form
from portal.web.support_setup.forms import CannedResponseForm, MemberForm, TeamForm
from portal.web.support_setup.saving import attempt
from portal.web.team.forms import FormData, values_of

AnyRequest = Request[Any, Any, Any]
requires_manager = requires_role(Role.manager)


def can_edit(user: CurrentUser) -> bool:
    return user.role in (Role.manager, Role.admin)


# --- Teams ------------------------------------------------------------------------------------------------


async def load_team(team_id: FromPath[int]) -> dict[str, Any]:
    team = await support_teams.get_team(team_id)
    if team is None:
        raise NotFoundException()
    return team


async def teams_page(
    request: AnyRequest, values: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> Template:
    context = {
        "teams": await support_teams.teams(),
        "can_edit": can_edit(request.user),
        "values": values or {},
        "errors": errors or {},
    }
    return Template("support_setup/teams.html", context=context, status_code=422 if errors else 200)


async def team_page(
    request: AnyRequest,
    team: dict[str, Any],
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Template:
    candidates = await support_teams.candidates(team["id"])
    context = {
        "team": team,
        "members": await support_teams.members(team["id"]),
        "member_options": [(str(person["id"]), f"{person['name']} ({person['email']})") for person in candidates],
        "can_edit": can_edit(request.user),
        "values": values or {"name": team["name"]},
        "errors": errors or {},
    }
    return Template("support_setup/team.html", context=context, status_code=422 if errors else 200)


class TeamsController(Controller):
    path = "/backoffice/teams"
    guards = [requires_staff]
    include_in_schema = False
    dependencies = {"team": Provide(load_team)}

    @get("/", name="backoffice_teams")
    async def list_teams(self, request: AnyRequest) -> Template:
        return await teams_page(request)

    @post("/", guards=[requires_manager], status_code=303)
    async def create(self, request: AnyRequest, data: FormData) -> Template | Redirect:
        form, errors = parse_form(TeamForm, data)
        if form is not None:
            team_id, errors = await attempt(support_teams.create_team(form.name))
        if form is None or errors:
            return await teams_page(request, values_of(data, "name"), errors)
        flash(request, _("Team %(name)s created. Now add its members.") % {"name": form.name.strip()}, "success")
        return Redirect(f"/backoffice/teams/{team_id}", status_code=303)

    @get("/{team_id:int}")
    async def show(self, request: AnyRequest, team: NamedDependency[dict[str, Any]]) -> Template:
        return await team_page(request, team)

    @post("/{team_id:int}", guards=[requires_manager], status_code=303)
    async def rename(
        self, request: AnyRequest, team: NamedDependency[dict[str, Any]], data: FormData
    ) -> Template | Redirect:
        form, errors = parse_form(TeamForm, data)
        if form is not None:
            _none, errors = await attempt(support_teams.rename_team(team["id"], form.name))
        if form is None or errors:
            return await team_page(request, team, values_of(data, "name"), errors)
        flash(request, _("Team renamed."), "success")
        return Redirect(f"/backoffice/teams/{team['id']}", status_code=303)

    @post("/{team_id:int}/members", guards=[requires_manager], status_code=303)
    async def add_member(
        self, request: AnyRequest, team: NamedDependency[dict[str, Any]], data: FormData
    ) -> Template | Redirect:
        form, errors = parse_form(MemberForm, data)
        if form is not None:
            _added, errors = await attempt(support_teams.add_member(team["id"], form.user_id))
        if form is None or errors:
            return await team_page(request, team, {"name": team["name"]}, errors)
        flash(request, _("Member added."), "success")
        return Redirect(f"/backoffice/teams/{team['id']}", status_code=303)

    @post("/{team_id:int}/members/{user_id:int}/remove", guards=[requires_manager], status_code=303)
    async def remove_member(
        self, request: AnyRequest, team: NamedDependency[dict[str, Any]], user_id: FromPath[int]
    ) -> Redirect:
        if await support_teams.remove_member(team["id"], user_id):
            flash(request, _("Member removed."), "success")
        return Redirect(f"/backoffice/teams/{team['id']}", status_code=303)


# --- Canned responses -------------------------------------------------------------------------------------

FIELDS = ("title", "body_en", "body_el", "is_active")


async def load_response(response_id: FromPath[int]) -> dict[str, Any]:
    response = await canned_responses.get_response(response_id)
    if response is None:
        raise NotFoundException()
    return response


def preview(response: dict[str, Any], agent_name: str) -> dict[str, str]:
    """Each body filled in for an example case, with the example in that body's language."""
    filled = {}
    for locale in ("en", "el"):
        with using_locale(locale):
            filled[locale] = canned_responses.render(
                canned_responses.body_for(response, locale),
                customer_name=_("Maria Papadopoulou"),
                case_number="C-2026-000123",
                agent_name=agent_name,
                case_subject=_("The internet connection keeps dropping"),
            )
    return filled


async def responses_page(
    request: AnyRequest, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None
) -> Template:
    context = {
        "responses": await canned_responses.all_responses(),
        "placeholders": canned_responses.PLACEHOLDERS,
        "can_edit": can_edit(request.user),
        "values": values or {},
        "errors": errors or {},
    }
    return Template("support_setup/canned_responses.html", context=context, status_code=422 if errors else 200)


def response_page(
    request: AnyRequest,
    response: dict[str, Any],
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Template:
    context = {
        "response": response,
        "preview": preview(response, request.user.name),
        "placeholders": canned_responses.PLACEHOLDERS,
        "can_edit": can_edit(request.user),
        "values": values or {key: response[key] for key in FIELDS},
        "errors": errors or {},
    }
    return Template("support_setup/canned_response.html", context=context, status_code=422 if errors else 200)


class CannedResponsesController(Controller):
    path = "/backoffice/canned-responses"
    guards = [requires_staff]
    include_in_schema = False
    dependencies = {"canned": Provide(load_response)}

    @get("/", name="backoffice_canned_responses")
    async def list_responses(self, request: AnyRequest) -> Template:
        return await responses_page(request)

    @post("/", guards=[requires_manager], status_code=303)
    async def create(self, request: AnyRequest, data: FormData) -> Template | Redirect:
        form, errors = parse_form(CannedResponseForm, data)
        if form is not None:
            _id, errors = await attempt(
                canned_responses.create_response(
                    title=form.title, body_en=form.body_en, body_el=form.body_el, created_by=request.user.id
                )
            )
        if form is None or errors:
            return await responses_page(request, values_of(data, *FIELDS), errors)
        flash(request, _("Canned response %(title)s created.") % {"title": form.title}, "success")
        return Redirect("/backoffice/canned-responses", status_code=303)

    @get("/{response_id:int}")
    async def show(self, request: AnyRequest, canned: NamedDependency[dict[str, Any]]) -> Template:
        return response_page(request, canned)

    @post("/{response_id:int}", guards=[requires_manager], status_code=303)
    async def update(
        self, request: AnyRequest, canned: NamedDependency[dict[str, Any]], data: FormData
    ) -> Template | Redirect:
        form, errors = parse_form(CannedResponseForm, data)
        if form is not None:
            _none, errors = await attempt(
                canned_responses.update_response(
                    canned["id"],
                    title=form.title,
                    body_en=form.body_en,
                    body_el=form.body_el,
                    is_active=form.is_active,
                )
            )
        if form is None or errors:
            return response_page(request, canned, values_of(data, *FIELDS), errors)
        flash(request, _("Canned response %(title)s saved.") % {"title": form.title}, "success")
        return Redirect(f"/backoffice/canned-responses/{canned['id']}", status_code=303)

    @post("/{response_id:int}/delete", guards=[requires_manager], status_code=303)
    async def delete(self, request: AnyRequest, canned: NamedDependency[dict[str, Any]]) -> Redirect:
        await canned_responses.delete_response(canned["id"])
        flash(request, _("Canned response %(title)s deleted.") % {"title": canned["title"]}, "success")
        return Redirect("/backoffice/canned-responses", status_code=303)
