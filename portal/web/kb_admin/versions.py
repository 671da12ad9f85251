"""Back office: an article's version history, comparing two versions and restoring one."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from portal.i18n import gettext as _
from portal.services import knowledge
from portal.services.accounts import parse_id
from portal.services.kb_compare import compare
from portal.web.auth.guards import requires_staff
from portal.web.kb_admin.controllers import Article, edit_url, existing, load_article

AnyRequest = Request[Any, Any, Any]


class KbVersionsController(Controller):
    path = "/backoffice/kb/{article_id:int}"
    guards = [requires_staff]
    include_in_schema = False
    dependencies = {"article": Provide(load_article)}

    @get("/versions")
    async def versions(self, article: NamedDependency[Article]) -> Template:
        rows = await knowledge.versions(article["id"])
        return Template("kb_admin/versions.html", context={"article": article, "versions": rows})

    @get("/compare")
    async def compare(
        self, article: NamedDependency[Article], a: FromQuery[str] = "", b: FromQuery[str] = ""
    ) -> Template:
        """Version `a` (older) against `b` (newer); by default the two newest."""
        rows = await knowledge.versions(article["id"])
        numbers = [row["number"] for row in rows]
        newer_number = parse_id(b) or (numbers[0] if numbers else None)
        older_number = parse_id(a) or (numbers[1] if len(numbers) > 1 else newer_number)
        older = await knowledge.version(article["id"], older_number or 0)
        newer = await knowledge.version(article["id"], newer_number or 0)
        if older is None or newer is None:
            raise NotFoundException()
        context = {"article": article, "versions": rows, "older": older, "newer": newer, "diffs": compare(older, newer)}
        return Template("kb_admin/compare.html", context=context)

    @post("/restore/{number:int}", status_code=303)
    async def restore(self, request: AnyRequest, article: NamedDependency[Article], number: FromPath[int]) -> Redirect:
        with existing():
            new_number = await knowledge.restore(
                article["id"], number, actor_id=request.user.id, search=request.app.state.search
            )
        message = _("Version %(number)d restored as version %(new)d.") % {"number": number, "new": new_number}
        flash(request, message, "success")
        return Redirect(edit_url(article["id"]), status_code=303)
