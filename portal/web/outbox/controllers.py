"""The email outbox for admins, and in demo mode a mailbox anyone can read (there is no real SMTP server)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from portal.db.tables import Role
from portal.services import outbox_view
from portal.web.auth.guards import requires_role


def demo_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Outside demo mode the demo mailbox does not exist: its emails hold sign-in links."""
    if not connection.app.state.settings.is_demo:
        raise NotFoundException()


async def _email_page(email_id: int, back: str) -> Template:
    email = await outbox_view.one(email_id)
    if email is None:
        raise NotFoundException()
    return Template("outbox/email.html", context={"email": email, "back": back})


class OutboxController(Controller):
    path = "/backoffice/outbox"
    guards = [requires_role(Role.admin)]
    include_in_schema = False

    @get("/", name="outbox")
    async def list_emails(self, request: Request[Any, Any, Any], to: FromQuery[str | None] = None) -> Template:
        emails = await outbox_view.recent(to=to)
        return Template("outbox/list.html", context={"emails": emails, "to": to or "", "base": self.path})

    @get("/{email_id:int}")
    async def show_email(self, email_id: FromPath[int]) -> Template:
        return await _email_page(email_id, back=self.path)


class DemoMailboxController(Controller):
    path = "/demo/mailbox"
    guards = [demo_only]
    include_in_schema = False

    @get("/", name="demo_mailbox")
    async def list_emails(self, to: FromQuery[str | None] = None) -> Template:
        emails = await outbox_view.recent(to=to)
        return Template("outbox/list.html", context={"emails": emails, "to": to or "", "base": self.path, "demo": True})

    @get("/{email_id:int}")
    async def show_email(self, email_id: FromPath[int]) -> Template:
        return await _email_page(email_id, back=self.path)
