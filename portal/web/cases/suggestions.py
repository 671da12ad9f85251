"""Articles suggested beside the new-case form (case deflection), for customers only.

As the customer types, htmx posts the form's fields to /cases/new/suggestions and swaps the panel; without
JavaScript the "Find answers" button posts the same fields and gets the whole form back, as typed, with the
panel filled. What was typed is kept in the session under the form's token, so "I still need help" on a
suggested article brings the form back as it was. A token is its customer's: any other is a 404, and staff,
who write no new-case forms, get a 404 for every one.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from portal.i18n import current_locale
from portal.i18n import gettext as _
from portal.search.documents import Language
from portal.services import deflection
from portal.services.cases import BODY_MAX, SUBJECT_MAX
from portal.services.deflection import Suggestion, UnknownDeflection
from portal.services.kb_index import KnowledgeSearch, clearance_of
from portal.web.auth.guards import requires_user, signed_in_user
from portal.web.cases.controllers import ATTACHMENTS, new_case_page, submitted
from portal.web.cases.forms import NEW_CASE_FIELDS, values_of

AnyRequest = Request[Any, Any, Any]
DRAFT_KEY = "case_draft"  # {"token": ..., "values": {...}}: the last form the customer asked suggestions for
LIMIT = 5


def customers_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if signed_in_user(connection).is_staff:
        raise NotFoundException()


def _search(request: AnyRequest) -> KnowledgeSearch:
    return request.app.state.search  # type: ignore[no-any-return]


def _draft(data: dict[str, Any]) -> dict[str, str]:
    values = values_of(data, *NEW_CASE_FIELDS, "deflection")
    values["subject"] = values["subject"][: SUBJECT_MAX * 2]
    values["description"] = values["description"][: BODY_MAX + 1]
    return values


async def _suggest(request: AnyRequest, values: dict[str, str]) -> list[Suggestion]:
    language: Language = "el" if current_locale() == "el" else "en"
    try:
        return await deflection.suggestions(
            values.get("deflection", ""),
            values.get("subject", ""),
            values.get("description", ""),
            clearance_of(request.user),
            language,
            LIMIT,
            user_id=request.user.id,
            search=_search(request),
        )
    except UnknownDeflection:
        raise NotFoundException() from None


async def _owned(token: str, request: AnyRequest) -> None:
    try:
        await deflection.owned(token, request.user.id)
    except UnknownDeflection:
        raise NotFoundException() from None


class SuggestionsController(Controller):
    path = "/cases/new"
    guards = [requires_user, customers_only]
    include_in_schema = False

    @post("/suggestions", status_code=200)
    async def suggestions(self, request: HTMXRequest) -> Template:
        data = await submitted(request)
        values = _draft(data)
        found: list[Suggestion] | None = await _suggest(request, values)
        if not (values["subject"].strip() or values["description"].strip()):
            found = None  # nothing typed yet: the panel says what it is for
        request.session[DRAFT_KEY] = {"token": values["deflection"], "values": values}
        htmx = request.htmx
        if htmx and not htmx.boosted:
            context = {"suggestions": found, "values": values}
            return Template("cases/_suggestions.html", context=context, headers={"Vary": "HX-Request"})
        errors = {}
        if any(getattr(file, "filename", "") for file in data[ATTACHMENTS]):
            errors[ATTACHMENTS] = _("Please choose your files again: a form that comes back cannot keep them.")
        return await new_case_page(request, values, errors, suggestions=found)

    @get("/draft/{token:str}")
    async def draft(self, request: AnyRequest, token: FromPath[str]) -> Template:
        """ "I still need help": the form as the customer left it, with the same token and suggestions."""
        await _owned(token, request)
        saved = request.session.get(DRAFT_KEY) or {}
        values = dict(saved.get("values") or {}) if saved.get("token") == token else {}
        values = {"type": "question", "priority": "normal"} | values | {"deflection": token}
        return await new_case_page(request, values, suggestions=await _suggest(request, values))

    @get("/suggested/{token:str}/{article_id:int}")
    async def suggested(self, request: AnyRequest, token: FromPath[str], article_id: FromPath[int]) -> Template:
        article = await self._article(request, token, article_id)
        await deflection.click(token, article_id, request.user.id)
        return Template("cases/suggested.html", context={"article": article, "token": token})

    @post("/suggested/{token:str}/{article_id:int}/answered", status_code=200)
    async def answered(self, request: AnyRequest, token: FromPath[str], article_id: FromPath[int]) -> Template:
        article = await self._article(request, token, article_id)
        await deflection.deflected(token, article_id, request.user.id)
        if (request.session.get(DRAFT_KEY) or {}).get("token") == token:
            request.session.pop(DRAFT_KEY, None)
        return Template("cases/deflected.html", context={"article": article})

    @staticmethod
    async def _article(request: AnyRequest, token: str, article_id: int) -> dict[str, Any]:
        try:
            return await deflection.suggested_article(token, article_id, request.user.id, clearance_of(request.user))
        except UnknownDeflection:
            raise NotFoundException() from None
