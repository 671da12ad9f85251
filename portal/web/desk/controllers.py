"""The desk: the staff queue of cases, its bulk actions and saved filters. The case page is in `case_page`."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from litestar import Controller, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from portal.db.tables import CaseStatus, CaseType, Priority
from portal.i18n import gettext as _
from portal.i18n import ngettext
from portal.services import case_actions, case_queue, catalog, support_teams
from portal.services.case_queue import QueueQuery
from portal.services.cases import CaseInputError
from portal.services.refusals import FieldRefused
from portal.web.auth.guards import requires_staff
from portal.web.desk.forms import bulk_changes, ids, text
from portal.web.team.forms import FormData

QUEUE = "/backoffice/cases"


def queue_url(query: QueueQuery, **changes: Any) -> str:
    query_string = query.query_string(**changes)
    return f"{QUEUE}?{query_string}" if query_string else QUEUE


async def queue_page(
    request: HTMXRequest,
    query: QueueQuery,
    *,
    fragment: bool = False,
    checked: list[int] | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    settings = request.app.state.settings.cases
    page = await case_queue.queue_page(request.user, query, settings.page_size)
    context: dict[str, Any] = {
        "page": page,
        "query": query,
        "queue_url": queue_url,
        "checked": set(checked or []),
        "values": values or {},
        "errors": errors or {},
        "agents": await support_teams.agents(),
        "refresh_seconds": settings.queue_refresh_seconds,
    }
    if fragment:
        return Template("desk/_rows.html", context=context)
    # The counts and the pickers are read for the whole page only, never for the polling refresh.
    context |= {
        "counts": await case_queue.queue_counts(request.user),
        "count_cap": case_queue.COUNT_CAP,
        "saved_filters": await case_queue.saved_filters(request.user),
        "statuses": list(CaseStatus),
        "priorities": list(Priority),
        "types": list(CaseType),
        "products": await catalog.all_products(),
        "categories": await catalog.all_categories(),
    }
    return Template("desk/queue.html", context=context, status_code=status)


def _query_of(data: FormData) -> QueueQuery:
    """The queue the form was posted from (kept in a hidden field), so the agent returns to the same place."""
    return QueueQuery.from_params(dict(parse_qsl(text(data, "query"))))


class QueueController(Controller):
    path = QUEUE
    guards = [requires_staff]
    include_in_schema = False

    @get("/", name="desk_queue")
    async def queue(self, request: HTMXRequest) -> Template:
        query = QueueQuery.from_params(request.query_params.dict())
        fragment = bool(request.htmx) and not request.htmx.history_restore_request
        return await queue_page(request, query, fragment=fragment)

    @post("/bulk", status_code=303)
    async def bulk(self, request: HTMXRequest, data: FormData) -> Template | Redirect:
        query = _query_of(data)
        case_ids = ids(data, "case")
        values = {"bulk_assignee": text(data, "bulk_assignee"), "bulk_status": text(data, "bulk_status")}
        changes, errors = bulk_changes(data)
        if not case_ids:
            errors["case"] = _("Select at least one case.")
        if changes is None or errors:
            return await queue_page(request, query, checked=case_ids, values=values, errors=errors, status=422)
        try:
            done = await case_actions.change_many(request.user, case_ids, changes, mailer=request.app.state.mailer)
        except CaseInputError as refused:
            errors = {f"bulk_{field}": message for field, message in refused.errors.items()}
            return await queue_page(request, query, checked=case_ids, values=values, errors=errors, status=422)
        message = ngettext("%(count)d case changed.", "%(count)d cases changed.", done) % {"count": done}
        flash(request, message, "success")
        return Redirect(queue_url(query, after=query.after), status_code=303)

    @post("/saved-filters", status_code=303)
    async def save_filter(self, request: HTMXRequest, data: FormData) -> Template | Redirect:
        query = _query_of(data)
        try:
            await case_queue.save_filter(request.user, text(data, "name"), query.query_string())
        except FieldRefused as refused:
            errors = {f"filter_{refused.field}": refused.message}
            values = {"filter_name": text(data, "name")}
            return await queue_page(request, query, values=values, errors=errors, status=422)
        flash(request, _("Filter saved."), "success")
        return Redirect(queue_url(query), status_code=303)

    @post("/saved-filters/{filter_id:int}/delete", status_code=303)
    async def delete_filter(self, request: HTMXRequest, filter_id: FromPath[int]) -> Redirect:
        if not await case_queue.delete_filter(request.user, filter_id):
            raise NotFoundException()
        flash(request, _("Filter deleted."), "success")
        return Redirect(QUEUE, status_code=303)
