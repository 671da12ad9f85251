"""The staff case page: the conversation with internal notes, replying (with canned responses and files),
inline field changes, merging a duplicate and linking related cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from portal.db.tables import CaseStatus, Priority
from portal.i18n import gettext as _
from portal.services import canned_responses, case_actions, case_details, cases, catalog, sla, support_teams
from portal.services.accounts import Refused, parse_id
from portal.services.attachments import AttachmentRejected, check_uploads
from portal.services.case_details import CaseDetails
from portal.services.cases import CaseInputError, CaseNotFound
from portal.web.auth.guards import requires_staff
from portal.web.desk.forms import changes_from, text
from portal.web.uploads import uploads_from_request


async def load_details(request: HTMXRequest, number: FromPath[str]) -> CaseDetails:
    try:
        return await case_details.load(request.user, number, request.app.state.settings.cases, now=datetime.now(UTC))
    except CaseNotFound:
        raise NotFoundException() from None


@dataclass
class Forms:
    """What the page's forms show again after a refusal: the typed values and the errors, per form."""

    reply: dict[str, str] = field(default_factory=lambda: {"kind": "public"})
    reply_errors: dict[str, str] = field(default_factory=dict)
    field_errors: dict[str, str] = field(default_factory=dict)
    merge: dict[str, str] = field(default_factory=dict)
    merge_errors: dict[str, str] = field(default_factory=dict)
    link: dict[str, str] = field(default_factory=dict)
    link_errors: dict[str, str] = field(default_factory=dict)


async def _pickers() -> dict[str, Any]:
    return {
        "agents": await support_teams.agents(),
        "teams": await support_teams.teams(),
        "products": await catalog.all_products(),
        "categories": await catalog.all_categories(),
        "statuses": list(CaseStatus),
        "priorities": list(Priority),
    }


async def case_page(details: CaseDetails, forms: Forms | None = None, status: int = 200) -> Template:
    context = {
        "details": details,
        "case": details.case,
        "forms": forms or Forms(),
        "canned": await canned_responses.active_responses(),
        "clock": await sla.clock_state(details.case["id"]),
        **await _pickers(),
    }
    return Template("desk/case.html", context=context, status_code=status)


async def fields_panel(details: CaseDetails, errors: dict[str, str], status: int = 200) -> Template:
    """The fields panel alone, with the timeline swapped out of band (htmx)."""
    context = {"details": details, "case": details.case, "forms": Forms(field_errors=errors), "oob": True}
    context["clock"] = await sla.clock_state(details.case["id"])
    context |= await _pickers()
    return Template("desk/_fields.html", context=context, status_code=status)


def _case_url(details: CaseDetails, anchor: str = "") -> str:
    return f"/backoffice/cases/{details.case['number']}{anchor}"


class DeskCaseController(Controller):
    path = "/backoffice/cases/{number:str}"
    guards = [requires_staff]
    include_in_schema = False
    dependencies = {"details": Provide(load_details)}

    @get("/")
    async def show(self, details: NamedDependency[CaseDetails]) -> Template:
        return await case_page(details)

    @post("/replies", status_code=303)
    async def reply(self, request: HTMXRequest, details: NamedDependency[CaseDetails]) -> Template | Redirect:
        form = await request.form()
        values = {name: text(form, name) for name in ("body", "kind", "status")}
        internal = values["kind"] == "internal"
        status = next((choice for choice in CaseStatus if choice.value == values["status"]), None)
        if values["status"] and status is None:
            errors = {"status": _("Choose one of the statuses offered.")}
            return await case_page(details, Forms(reply=values, reply_errors=errors), 422)
        try:
            files = check_uploads(await uploads_from_request(request), request.app.state.settings.cases)
            await cases.reply(
                request.user,
                details.case["id"],
                values["body"],
                files,
                mailer=request.app.state.mailer,
                store=request.app.state.attachments,
                internal=internal,
                status=status,
            )
        except AttachmentRejected as rejected:
            return await case_page(details, Forms(reply=values, reply_errors={"attachments": rejected.message}), 422)
        except CaseInputError as refused:
            return await case_page(details, Forms(reply=values, reply_errors=refused.errors), 422)
        flash(request, _("Internal note added.") if internal else _("Reply sent."), "success")
        return Redirect(_case_url(details, "#conversation"), status_code=303)

    @post("/canned", status_code=200)
    async def insert_canned(self, request: HTMXRequest, details: NamedDependency[CaseDetails]) -> Template:
        """Fill the reply box with a canned response for this case, keeping what was typed: with htmx only the
        box is answered; without, the whole page with the box filled in."""
        form = await request.form()
        values = {name: text(form, name) for name in ("body", "kind", "status", "canned")}
        errors: dict[str, str] = {}
        response_id = values["canned"]
        try:
            if (canned_id := parse_id(response_id)) is None:
                raise Refused(_("Choose one of the canned responses offered."))
            filled = await canned_responses.for_case(
                canned_id,
                locale=details.requester["locale"],
                customer_name=details.requester["name"],
                case_number=details.case["number"],
                agent_name=request.user.name,
                case_subject=details.case["subject"],
            )
            values["body"] = f"{values['body']}\n\n{filled}" if values["body"] else filled
        except Refused as refused:
            errors["canned"] = refused.message
        forms = Forms(reply=values, reply_errors=errors)
        if request.htmx:
            canned = await canned_responses.active_responses()
            context = {"details": details, "case": details.case, "forms": forms, "canned": canned}
            return Template("desk/_reply_body.html", context=context, status_code=422 if errors else 200)
        return await case_page(details, forms, 422 if errors else 200)

    @post("/fields", status_code=303)
    async def change_fields(self, request: HTMXRequest, details: NamedDependency[CaseDetails]) -> Template | Redirect:
        form = await request.form()
        changes, errors = changes_from(form)
        if changes is not None:
            try:
                await case_actions.change(request.user, details.case["id"], changes, mailer=request.app.state.mailer)
            except CaseInputError as refused:
                errors = refused.errors
        if request.htmx:
            fresh = await load_details(request, details.case["number"])
            return await fields_panel(fresh, errors, 422 if errors else 200)
        if errors:
            return await case_page(details, Forms(field_errors=errors), 422)
        flash(request, _("Case updated."), "success")
        return Redirect(_case_url(details), status_code=303)

    @post("/merge", status_code=303)
    async def merge(self, request: HTMXRequest, details: NamedDependency[CaseDetails]) -> Template | Redirect:
        form = await request.form()
        values = {"into": text(form, "into")}
        if not values["into"]:
            errors = {"into": _("This field is required.")}
            return await case_page(details, Forms(merge=values, merge_errors=errors), 422)
        try:
            target = await case_actions.merge(
                request.user, details.case["id"], values["into"], mailer=request.app.state.mailer
            )
        except CaseInputError as refused:
            return await case_page(details, Forms(merge=values, merge_errors=refused.errors), 422)
        flash(
            request,
            _("%(source)s was merged into this case.") % {"source": details.case["number"]},
            "success",
        )
        return Redirect(f"/backoffice/cases/{target['number']}", status_code=303)

    @post("/links", status_code=303)
    async def link(self, request: HTMXRequest, details: NamedDependency[CaseDetails]) -> Template | Redirect:
        form = await request.form()
        values = {"other": text(form, "other")}
        if not values["other"]:
            errors = {"other": _("This field is required.")}
            return await case_page(details, Forms(link=values, link_errors=errors), 422)
        try:
            other = await case_actions.link(request.user, details.case["id"], values["other"])
        except CaseInputError as refused:
            return await case_page(details, Forms(link=values, link_errors=refused.errors), 422)
        flash(request, _("Linked to %(number)s.") % {"number": other["number"]}, "success")
        return Redirect(_case_url(details, "#links"), status_code=303)
