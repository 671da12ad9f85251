"""The signed-in customer's own page."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template

from portal.db.tables import Account
from portal.web.auth.guards import requires_customer


class AccountController(Controller):
    path = "/account"
    guards = [requires_customer]
    include_in_schema = False

    @get("/", name="account")
    async def overview(self, request: Request[Any, Any, Any]) -> Template:
        account = None
        if request.user.account_id is not None:
            account = await Account.select().where(Account.id == request.user.account_id).first()
        return Template("account/overview.html", context={"account": account})
