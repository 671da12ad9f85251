"""`/backoffice/api-tokens`: admins create tokens (shown once), see when each was last used, and revoke them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from portal.db.tables import Role
from portal.i18n import gettext as _
from portal.services import api_tokens
from portal.services.api_tokens import TokenInputError
from portal.web.api_tokens.forms import TokenForm
from portal.web.auth.guards import requires_role, requires_staff
from portal.web.forms import parse_form
from portal.web.origin import origin_of
from portal.web.team.forms import FormData, values_of

AnyRequest = Request[Any, Any, Any]
PATH = "/backoffice/api-tokens"


async def tokens_page(
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    *,
    created: str | None = None,
    status: int = 200,
) -> Template:
    context = {
        "tokens": await api_tokens.list_all(),
        "agent_options": [("", _("Choose an agent"))]
        + [(str(agent["id"]), f"{agent['name']} ({agent['email']})") for agent in await api_tokens.agents()],
        "now": datetime.now(UTC),
        "values": values or {"cases_read": "on"},
        "errors": errors or {},
        "created": created,
    }
    # The page that shows a new token's secret must not linger in any cache.
    headers = {"Cache-Control": "no-store"} if created else None
    return Template("api_tokens/tokens.html", context=context, status_code=status, headers=headers)


class ApiTokensController(Controller):
    path = PATH
    guards = [requires_staff, requires_role(Role.admin)]
    include_in_schema = False

    @get("/", name="api_tokens")
    async def show(self) -> Template:
        return await tokens_page()

    @post("/", status_code=200)
    async def create(self, request: AnyRequest, data: FormData) -> Template:
        values = values_of(data, "name", "acts_as", "expires_on", "cases_read", "cases_write")
        form, errors = parse_form(TokenForm, data)
        if form is not None:
            try:
                _id, plaintext = await api_tokens.create(request.user, form.new_token(), origin=origin_of(request))
            except TokenInputError as invalid:
                errors = invalid.errors
            else:
                return await tokens_page(created=plaintext)
        return await tokens_page(values, errors, status=422)

    @post("/{token_id:int}/revoke", status_code=303)
    async def revoke(self, request: AnyRequest, token_id: FromPath[int]) -> Redirect:
        if await api_tokens.revoke(request.user, token_id, origin=origin_of(request)):
            flash(request, _("The token was revoked; it stops working at once."), "success")
        return Redirect(PATH, status_code=303)
