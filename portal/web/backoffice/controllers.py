"""The staff back office's front page."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template

from portal.services import users
from portal.web.auth.guards import requires_staff


class BackofficeController(Controller):
    path = "/backoffice"
    guards = [requires_staff]
    include_in_schema = False

    @get("/", name="backoffice")
    async def dashboard(self, request: Request[Any, Any, Any]) -> Template:
        return Template("backoffice/dashboard.html", context={"users_by_role": await users.count_by_role()})
