"""Back office: prospects (flagged likely contacts first), linking them to accounts, roles, staff invitations."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from portal.db.tables import Role
from portal.i18n import gettext as _
from portal.services import accounts, invitations
from portal.services.accounts import Refused
from portal.web.auth.guards import requires_role, requires_staff
from portal.web.forms import FORM_ERROR, parse_form
from portal.web.origin import origin_of
from portal.web.staff_accounts.forms import AccountForm, LinkForm, RoleForm
from portal.web.team.forms import FormData, StaffInvitationForm, values_of


async def load_person(user_id: FromPath[int]) -> dict[str, Any]:
    person = await accounts.get_person(user_id)
    if person is None:
        raise NotFoundException()
    return person


async def people_page(
    q: str = "",
    page: int = 1,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    context = {
        "q": q,
        "results": await accounts.search_people(q, page) if q.strip() else None,
        "flagged": await accounts.flagged_prospects(),
        "prospects": await accounts.other_prospects(page),
        "values": values or {"role": "agent"},
        "errors": errors or {},
    }
    return Template("staff_accounts/people.html", context=context, status_code=status)


async def person_page(
    person: dict[str, Any], q: str = "", errors: dict[str, str] | None = None, values: dict[str, str] | None = None
) -> Template:
    context = {
        "person": person,
        "q": q,
        "matches": await accounts.search_accounts(q) if q.strip() else None,
        "values": values or {"kind": "company", "role": person["role"]},
        "errors": errors or {},
    }
    return Template("staff_accounts/person.html", context=context, status_code=422 if errors else 200)


class PeopleController(Controller):
    path = "/backoffice/people"
    guards = [requires_staff]
    include_in_schema = False
    dependencies = {"person": Provide(load_person)}

    @get("/", name="backoffice_people")
    async def list_people(self, q: FromQuery[str] = "", page: FromQuery[int] = 1) -> Template:
        return await people_page(q, page)

    @get("/{user_id:int}")
    async def show(self, person: NamedDependency[dict[str, Any]], q: FromQuery[str] = "") -> Template:
        return await person_page(person, q)

    @post("/{user_id:int}/link", status_code=303)
    async def link(
        self, request: HTMXRequest, person: NamedDependency[dict[str, Any]], data: FormData
    ) -> Template | Redirect:
        form, errors = parse_form(LinkForm, data)
        if form is not None:
            try:
                account = await accounts.link_to_account(
                    request.user, person["id"], form.account_id, origin=origin_of(request)
                )
            except Refused as refused:
                errors = {FORM_ERROR: refused.message}
        if form is None or errors:
            return await person_page(person, errors=errors, values=values_of(data, "account_id") | {"kind": "company"})
        return self._linked(request, person, account)

    @post("/{user_id:int}/link-new", status_code=303)
    async def link_new(
        self, request: HTMXRequest, person: NamedDependency[dict[str, Any]], data: FormData
    ) -> Template | Redirect:
        form, errors = parse_form(AccountForm, data)
        if form is not None:
            try:
                account = await accounts.create_and_link(
                    request.user,
                    person["id"],
                    name=form.name,
                    kind=form.account_kind,
                    domain=form.domain,
                    origin=origin_of(request),
                )
            except Refused as refused:
                errors = {FORM_ERROR: refused.message}
        if form is None or errors:
            return await person_page(person, errors=errors, values=values_of(data, "name", "kind", "domain"))
        return self._linked(request, person, account)

    @staticmethod
    def _linked(request: HTMXRequest, person: dict[str, Any], account: dict[str, Any]) -> Redirect:
        message = _("%(name)s is now a contact of %(account)s.") % {"name": person["name"], "account": account["name"]}
        flash(request, message, "success")
        return Redirect(f"/backoffice/accounts/{account['id']}", status_code=303)

    @post("/{user_id:int}/role", guards=[requires_role(Role.admin)], status_code=303)
    async def change_role(
        self, request: HTMXRequest, person: NamedDependency[dict[str, Any]], data: FormData
    ) -> Template | Redirect:
        form, errors = parse_form(RoleForm, data)
        if form is not None:
            try:
                await accounts.change_role(request.user, person["id"], Role(form.role), origin=origin_of(request))
            except Refused as refused:
                errors = {FORM_ERROR: refused.message}
        if form is None or errors:
            return await person_page(person, errors=errors, values=values_of(data, "role") | {"kind": "company"})
        flash(request, _("Role saved."), "success")
        return Redirect(f"/backoffice/people/{person['id']}", status_code=303)

    @post("/invitations", guards=[requires_role(Role.admin)], status_code=303)
    async def invite_staff(self, request: HTMXRequest, data: FormData) -> Template | Redirect:
        form, errors = parse_form(StaffInvitationForm, data)
        if form is not None:
            try:
                await invitations.invite_staff(
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
            return await people_page(values=values_of(data, "email", "name", "role"), errors=errors, status=422)
        flash(request, _("We emailed an invitation to %(email)s.") % {"email": form.email}, "success")
        return Redirect("/backoffice/people", status_code=303)
