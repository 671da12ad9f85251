"""The customer's contracts: level, validity, what is covered and the agreed times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from babel.dates import get_day_names
from litestar import Controller, Request, get
from litestar.response import Template

from portal.i18n import current_locale
from portal.services import contracts
from portal.web.auth.guards import requires_customer


class CustomerContractsController(Controller):
    path = "/contracts"
    guards = [requires_customer]
    include_in_schema = False

    @get("/", name="customer_contracts")
    async def mine(self, request: Request[Any, Any, Any]) -> Template:
        found = await contracts.contracts_for(request.user, datetime.now(UTC).date())
        days = get_day_names("wide", locale=current_locale())
        return Template("contracts/mine.html", context={"contracts": found, "day_names": days})
