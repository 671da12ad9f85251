"""Back office: business calendars, SLA policies and support contracts. All staff read them; managers change them."""

from __future__ import annotations

from typing import Any

from babel.dates import get_day_names
from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from portal.db.tables import Priority, Role
from portal.i18n import current_locale
from portal.i18n import gettext as _
from portal.services import contract_admin
from portal.web.auth.guards import requires_role, requires_staff
from portal.web.contracts.forms import CalendarForm, ContractForm, PolicyForm
from portal.web.forms import parse_form
from portal.web.support_setup.saving import attempt
from portal.web.team.forms import FormData

AnyRequest = Request[Any, Any, Any]
requires_manager = requires_role(Role.manager)
PAGES = {
    "contracts": "contracts/setup.html",
    "calendars": "contracts/calendars.html",
    "policies": "contracts/policies.html",
    "contract": "contracts/contract.html",
    "policy": "contracts/policy.html",
    "calendar": "contracts/calendar.html",
}


async def setup_page(
    request: AnyRequest,
    page: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    **extra: Any,
) -> Template:
    context = await contract_admin.overview() | {
        "can_edit": request.user.role in (Role.manager, Role.admin),
        "values": {key: str(value) for key, value in (values or {}).items()},
        "errors": errors or {},
        "day_names": get_day_names("wide", locale=current_locale()),
        "priorities": list(Priority),
    }
    context |= extra | {
        "accounts_options": [(str(row["id"]), row["name"]) for row in context["accounts"]],
        "policy_options": [(str(row["id"]), row["name"]) for row in context["policies"]],
        "calendar_options": [(str(row["id"]), row["name"]) for row in context["calendars"]],
    }
    return Template(PAGES[page], context=context, status_code=422 if errors else 200)


class ContractSetupController(Controller):
    path = "/backoffice/contracts"
    guards = [requires_staff]
    include_in_schema = False

    @get("/", name="backoffice_contracts")
    async def contracts(self, request: AnyRequest) -> Template:
        return await setup_page(request, "contracts")

    @get("/calendars")
    async def calendars(self, request: AnyRequest) -> Template:
        return await setup_page(request, "calendars")

    @get("/policies")
    async def policies(self, request: AnyRequest) -> Template:
        return await setup_page(request, "policies")

    @post("/", guards=[requires_manager], status_code=303)
    async def create_contract(self, request: AnyRequest, data: FormData) -> Template | Redirect:
        form, errors = parse_form(ContractForm, data)
        if form is not None:
            _id, errors = await attempt(contract_admin.create_contract(form.to_input(data)))
        if form is None or errors:
            return await setup_page(request, "contracts", data, errors)
        flash(request, _("Contract created."), "success")
        return Redirect("/backoffice/contracts", status_code=303)

    @get("/{contract_id:int}")
    async def contract(self, request: AnyRequest, contract_id: FromPath[int]) -> Template:
        values = await contract_admin.contract_form_values(contract_id)
        if values is None:
            raise NotFoundException()
        return await setup_page(request, "contract", values, contract_id=contract_id)

    @post("/{contract_id:int}", guards=[requires_manager], status_code=303)
    async def save_contract(
        self, request: AnyRequest, contract_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        if await contract_admin.contract_form_values(contract_id) is None:
            raise NotFoundException()
        form, errors = parse_form(ContractForm, data)
        if form is not None:
            _id, errors = await attempt(contract_admin.save_contract(form.to_input(data), contract_id))
        if form is None or errors:
            return await setup_page(request, "contract", data, errors, contract_id=contract_id)
        flash(request, _("Contract saved."), "success")
        return Redirect("/backoffice/contracts", status_code=303)

    @get("/policies/{policy_id:int}")
    async def policy(self, request: AnyRequest, policy_id: FromPath[int]) -> Template:
        values = await contract_admin.policy_form_values(policy_id)
        if values is None:
            raise NotFoundException()
        return await setup_page(request, "policy", values, policy_id=policy_id)

    @post("/policies/{policy_id:int}", guards=[requires_manager], status_code=303)
    async def save_policy(self, request: AnyRequest, policy_id: FromPath[int], data: FormData) -> Template | Redirect:
        if await contract_admin.policy_form_values(policy_id) is None:
            raise NotFoundException()
        form, errors = parse_form(PolicyForm, data)
        if form is not None:
            _id, errors = await attempt(contract_admin.save_policy(form.to_input(), policy_id))
        if form is None or errors:
            return await setup_page(request, "policy", data, errors, policy_id=policy_id)
        flash(request, _("Policy saved."), "success")
        return Redirect("/backoffice/contracts/policies", status_code=303)

    @get("/calendars/{calendar_id:int}")
    async def calendar(self, request: AnyRequest, calendar_id: FromPath[int]) -> Template:
        values = await contract_admin.calendar_form_values(calendar_id)
        if values is None:
            raise NotFoundException()
        return await setup_page(request, "calendar", values, calendar_id=calendar_id)

    @post("/calendars/{calendar_id:int}", guards=[requires_manager], status_code=303)
    async def save_calendar(
        self, request: AnyRequest, calendar_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        if await contract_admin.calendar_form_values(calendar_id) is None:
            raise NotFoundException()
        form, errors = parse_form(CalendarForm, data)
        if form is not None:
            _id, errors = await attempt(contract_admin.save_calendar(form.to_input(), calendar_id))
        if form is None or errors:
            return await setup_page(request, "calendar", data, errors, calendar_id=calendar_id)
        flash(request, _("Calendar saved."), "success")
        return Redirect("/backoffice/contracts/calendars", status_code=303)

    @post("/calendars", guards=[requires_manager], status_code=303)
    async def create_calendar(self, request: AnyRequest, data: FormData) -> Template | Redirect:
        form, errors = parse_form(CalendarForm, data)
        if form is not None:
            _id, errors = await attempt(contract_admin.create_calendar(form.to_input()))
        if form is None or errors:
            return await setup_page(request, "calendars", data, errors)
        flash(request, _("Calendar created."), "success")
        return Redirect("/backoffice/contracts/calendars", status_code=303)

    @post("/policies", guards=[requires_manager], status_code=303)
    async def create_policy(self, request: AnyRequest, data: FormData) -> Template | Redirect:
        form, errors = parse_form(PolicyForm, data)
        if form is not None:
            _id, errors = await attempt(contract_admin.create_policy(form.to_input()))
        if form is None or errors:
            return await setup_page(request, "policies", data, errors)
        flash(request, _("Policy created."), "success")
        return Redirect("/backoffice/contracts/policies", status_code=303)
