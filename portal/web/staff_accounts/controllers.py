"""Back office: customer accounts (search, details, sharing mode) and their people."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from portal.db.tables import Role, SharingMode
from portal.i18n import gettext as _
from portal.services import accounts
from portal.services.accounts import Refused
from portal.web.auth.guards import requires_role, requires_staff
from portal.web.forms import parse_form
from portal.web.origin import origin_of
from portal.web.staff_accounts.forms import AccountForm, SharingForm
from portal.web.team.forms import FormData, values_of


async def load_account(account_id: FromPath[int]) -> dict[str, Any]:
    account = await accounts.get_account(account_id)
    if account is None:
        raise NotFoundException()
    return account


async def account_page(
    account: dict[str, Any],
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    context = {
        "account": account,
        "people": await accounts.people_of(account["id"]),
        "values": values or {key: account[key] or "" for key in ("name", "kind", "domain", "sharing_mode")},
        "errors": errors or {},
    }
    return Template("staff_accounts/account.html", context=context, status_code=status)


class AccountsController(Controller):
    path = "/backoffice/accounts"
    guards = [requires_staff]
    include_in_schema = False
    dependencies = {"account": Provide(load_account)}

    @get("/", name="backoffice_accounts")
    async def list_accounts(self, request: HTMXRequest, q: FromQuery[str] = "", page: FromQuery[int] = 1) -> Template:
        context = {"page": await accounts.search_accounts(q, page), "q": q, "values": {"kind": "company"}, "errors": {}}
        fragment = request.htmx and not request.htmx.history_restore_request
        return Template("staff_accounts/_rows.html" if fragment else "staff_accounts/accounts.html", context=context)

    @post("/", status_code=303)
    async def create(self, request: HTMXRequest, data: FormData) -> Template | Redirect:
        form, errors = parse_form(AccountForm, data)
        if form is None:
            context = {
                "page": await accounts.search_accounts(),
                "q": "",
                "values": values_of(data, "name", "kind", "domain"),
                "errors": errors,
            }
            return Template("staff_accounts/accounts.html", context=context, status_code=422)
        account_id = await accounts.create_account(name=form.name, kind=form.account_kind, domain=form.domain)
        flash(request, _("Account %(name)s created.") % {"name": form.name}, "success")
        return Redirect(f"/backoffice/accounts/{account_id}", status_code=303)

    @get("/{account_id:int}")
    async def show(self, account: NamedDependency[dict[str, Any]]) -> Template:
        return await account_page(account)

    @post("/{account_id:int}", status_code=303)
    async def update(
        self, request: HTMXRequest, account: NamedDependency[dict[str, Any]], data: FormData
    ) -> Template | Redirect:
        form, errors = parse_form(AccountForm, data)
        if form is None:
            values = values_of(data, "name", "kind", "domain") | {"sharing_mode": account["sharing_mode"]}
            return await account_page(account, values, errors, status=422)
        await accounts.update_account(account["id"], name=form.name, kind=form.account_kind, domain=form.domain)
        flash(request, _("Account details saved."), "success")
        return Redirect(f"/backoffice/accounts/{account['id']}", status_code=303)

    @post("/{account_id:int}/sharing", guards=[requires_role(Role.manager)], status_code=303)
    async def set_sharing(
        self, request: HTMXRequest, account: NamedDependency[dict[str, Any]], data: FormData
    ) -> Template | Redirect:
        form, errors = parse_form(SharingForm, data)
        if form is None:
            return await account_page(account, None, errors, status=422)
        try:
            await accounts.set_sharing_mode(
                request.user, account["id"], SharingMode(form.sharing_mode), origin=origin_of(request)
            )
        except Refused as refused:
            return await account_page(account, None, {"sharing_mode": refused.message}, status=422)
        flash(request, _("Case sharing saved."), "success")
        return Redirect(f"/backoffice/accounts/{account['id']}", status_code=303)
