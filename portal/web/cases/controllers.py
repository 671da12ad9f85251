"""The customer's cases: the list, opening a case with files, the case page, replying, closing and reopening.

Staff have the back office for cases and are sent there. A case the user may not see (another account's, a
colleague's under `own` sharing, one that does not exist, a malformed number) is a 404 on every route alike.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from portal.db.tables import Case, CaseType
from portal.i18n import current_locale
from portal.i18n import gettext as _
from portal.services import access, case_closing, case_details, case_lists, case_reads, cases, catalog, deflection
from portal.services.attachments import AttachmentRejected, AttachmentStore, CheckedFile, check_uploads
from portal.services.cases import CaseInputError, CaseNotFound, CaseRef
from portal.services.users import CurrentUser
from portal.settings import Settings
from portal.web.auth.guards import requires_user, requires_verified
from portal.web.cases.forms import (
    NEW_CASE_FIELDS,
    CloseForm,
    ListFilters,
    NewCaseForm,
    ReplyForm,
    values_of,
)
from portal.web.forms import FORM_ERROR, parse_form
from portal.web.uploads import uploads_from_form

AnyRequest = Request[Any, Any, Any]
ATTACHMENTS = "attachments"
NUMBER_SHAPE = re.compile(r"^[A-Za-z0-9-]{1,20}$")


def _settings(request: AnyRequest) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _store(request: AnyRequest) -> AttachmentStore:
    return request.app.state.attachments  # type: ignore[no-any-return]


def send_staff_to_backoffice(request: AnyRequest) -> Redirect | None:
    """Staff work cases in the back office, where they see everything a case has; the same case, there."""
    if not request.user.is_staff:
        return None
    number = request.path_params.get("number")
    return Redirect(f"/backoffice/cases/{quote(number, safe='')}" if number else "/backoffice/cases", status_code=303)


def _plausible(number: str) -> str:
    """Only letters, digits and hyphens reach the database: PostgreSQL refuses a NUL byte with an error, not a miss."""
    if not NUMBER_SHAPE.match(number):
        raise NotFoundException()
    return number


async def load_case(request: AnyRequest, number: FromPath[str]) -> dict[str, Any]:
    """The case numbered `number` if `request.user` may see it; anything else, existing or not, is a 404."""
    try:
        return await cases.visible_case(request.user, number=_plausible(number))
    except CaseNotFound:
        raise NotFoundException() from None


async def submitted(request: AnyRequest) -> dict[str, Any]:
    """A form with files, multipart or (sent without any file by a script) URL-encoded: the first value of each
    field, and the files under `attachments` as a list. The form is parsed once; the CSRF check read it already."""
    form = await request.form()
    values: dict[str, Any] = {key: form.get(key) for key in form if key != ATTACHMENTS}
    return values | {ATTACHMENTS: form.getall(ATTACHMENTS, [])}


async def _checked_files(data: dict[str, Any], request: AnyRequest) -> list[CheckedFile]:
    return check_uploads(await uploads_from_form(data[ATTACHMENTS]), _settings(request).cases)


def _files_lost(data: dict[str, Any], errors: dict[str, str]) -> None:
    """A form that comes back cannot hold its files again (browsers forbid it): say so beside the field."""
    if errors and ATTACHMENTS not in errors and any(getattr(file, "filename", "") for file in data[ATTACHMENTS]):
        errors[ATTACHMENTS] = _("Please choose your files again: a form that comes back cannot keep them.")


# --- Pages ---------------------------------------------------------------------------------------------------------


async def new_case_page(
    request: AnyRequest,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    suggestions: list[deflection.Suggestion] | None = None,
) -> Template:
    locale = current_locale()
    values = values or {"type": CaseType.question.value, "priority": "normal"}
    if not values.get("deflection"):  # the form's token for suggested articles (portal/web/cases/suggestions.py)
        values["deflection"] = deflection.new_token()  # no row until the form's first suggestions
    products = [(str(row["id"]), catalog.display_name(row, locale)) for row in await catalog.active_products()]
    general: list[tuple[str, str]] = []
    by_product: dict[str, list[tuple[str, str]]] = {}
    for row in await catalog.active_categories():
        option = (str(row["id"]), catalog.display_name(row, locale))
        if row["product"] is None:
            general.append(option)
        else:
            product_name = catalog.display_name(
                {"name_en": row["product_name_en"], "name_el": row["product_name_el"]}, locale
            )
            by_product.setdefault(product_name, []).append(option)
    context = {
        "values": values,
        "errors": errors or {},
        "suggestions": suggestions,
        "products": products,
        "general_categories": general,
        "product_categories": sorted(by_product.items()),
        "priorities": [priority.value for priority in cases.allowed_priorities(request.user)],
        "limits": _settings(request).cases,
    }
    return Template("cases/new.html", context=context, status_code=status)


async def _visible_numbers(user: CurrentUser, case_ids: list[int]) -> dict[int, str]:
    """Of `case_ids`, those `user` may open: staff link cases across accounts, and a customer sees only theirs."""
    if not case_ids:
        return {}
    query = Case.select(Case.id, Case.number).where(Case.id.is_in(case_ids))
    condition = (await access.case_scope(user)).where(Case.account, Case.requester)
    if condition is not None:
        query = query.where(condition)
    return {row["id"]: row["number"] for row in await query}


async def case_page(
    request: AnyRequest,
    number: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    user: CurrentUser = request.user
    try:
        details = await case_details.load(user, _plausible(number), _settings(request).cases, now=datetime.now(UTC))
    except CaseNotFound:
        raise NotFoundException() from None
    await case_reads.mark_seen(user.id, details.case["id"])
    follow_ups = await Case.select(Case.id).where(Case.follows == details.case["id"])
    related = [link["id"] for link in details.links] + [row["id"] for row in follow_ups]
    for other in (details.merged_into, details.follows):
        if other is not None:
            related.append(other["id"])
    visible = await _visible_numbers(user, related)
    locale = current_locale()
    context = {
        "details": details,
        "case": details.case,
        "product_name": catalog.display_name(details.product, locale) if details.product else None,
        "category_name": catalog.display_name(details.category, locale) if details.category else None,
        "links": [link for link in details.links if link["id"] in visible],
        "follow_ups": [visible[row["id"]] for row in follow_ups if row["id"] in visible],
        "merged_into": visible.get(details.merged_into["id"]) if details.merged_into else None,
        "follows": visible.get(details.follows["id"]) if details.follows else None,
        "values": values or {},
        "errors": errors or {},
        "limits": _settings(request).cases,
    }
    return Template("cases/detail.html", context=context, status_code=status)


async def list_page(request: HTMXRequest) -> Template:
    filters = ListFilters.from_query(request.query_params)
    page = await case_lists.customer_cases(
        request.user,
        state=filters.state,
        type=filters.type,
        product_id=filters.product_id,
        query=filters.query,
        sort=filters.sort,
        after=filters.after,
        before=filters.before,
        size=_settings(request).cases.page_size,
        locale=current_locale(),
    )
    locale = current_locale()
    context = {
        "page": page,
        "filters": filters,
        "values": filters.values(),
        "products": [(str(row["id"]), catalog.display_name(row, locale)) for row in await catalog.active_products()],
    }
    htmx = request.htmx
    fragment = bool(htmx) and not htmx.boosted and not htmx.history_restore_request
    return Template(
        "cases/_rows.html" if fragment else "cases/list.html", context=context, headers={"Vary": "HX-Request"}
    )


async def _open_case(request: AnyRequest, data: dict[str, Any]) -> CaseRef | dict[str, str]:
    """The new case, or every field's problem at once (the files' included) with nothing written."""
    form, errors = parse_form(NewCaseForm, data)
    files: list[CheckedFile] = []
    try:
        files = await _checked_files(data, request)
    except AttachmentRejected as rejected:
        errors[ATTACHMENTS] = rejected.message
    if form is not None:
        errors = await cases.check_new_case(request.user, form.to_new_case()) | errors
        if not errors:
            try:
                return await cases.open_case(
                    request.user, form.to_new_case(), files, mailer=request.app.state.mailer, store=_store(request)
                )
            except CaseInputError as invalid:
                errors = invalid.errors
    _files_lost(data, errors)
    return errors


# --- Handlers ------------------------------------------------------------------------------------------------------


class CaseController(Controller):
    path = "/cases"
    guards = [requires_user]
    before_request = staticmethod(send_staff_to_backoffice)
    include_in_schema = False
    dependencies = {"case": Provide(load_case)}

    @get("/", name="cases")
    async def list_cases(self, request: HTMXRequest) -> Template:
        return await list_page(request)

    @get("/new", guards=[requires_verified])
    async def new(self, request: AnyRequest) -> Template:
        return await new_case_page(request)

    @post("/", guards=[requires_verified], status_code=303)
    async def create(self, request: AnyRequest) -> Template | Redirect:
        data = await submitted(request)
        opened = await _open_case(request, data)
        if isinstance(opened, dict):
            return await new_case_page(request, values_of(data, *NEW_CASE_FIELDS, "deflection"), opened, status=422)
        await deflection.case_opened(str(data.get("deflection") or ""), opened.id, request.user.id)
        flash(
            request,
            _("We received your case %(number)s. We emailed you a confirmation; quote the number if you contact us.")
            % {"number": opened.number},
            "success",
        )
        return Redirect(f"/cases/{opened.number}", status_code=303)

    @get("/{number:str}")
    async def show(self, request: AnyRequest, number: FromPath[str]) -> Template:
        return await case_page(request, number)

    @post("/{number:str}/replies", status_code=303)
    async def reply(self, request: AnyRequest, case: NamedDependency[dict[str, Any]]) -> Template | Redirect:
        data = await submitted(request)
        form, errors = parse_form(ReplyForm, data)
        try:
            files = await _checked_files(data, request)
            if form is not None:
                store = _store(request)
                await cases.reply(
                    request.user, case["id"], form.body, files, mailer=request.app.state.mailer, store=store
                )
        except AttachmentRejected as rejected:
            errors[ATTACHMENTS] = rejected.message
        except CaseInputError as invalid:
            errors = invalid.errors
        if form is None or errors:
            _files_lost(data, errors)
            return await case_page(request, case["number"], values_of(data, "body"), errors, status=422)
        flash(request, _("Your reply was added to the case."), "success")
        return Redirect(f"/cases/{case['number']}", status_code=303)

    @post("/{number:str}/close", status_code=303)
    async def close(self, request: AnyRequest, case: NamedDependency[dict[str, Any]]) -> Template | Redirect:
        data = await submitted(request)
        form, errors = parse_form(CloseForm, data)
        if form is not None:
            try:
                await case_closing.close(request.user, case["id"], form.comment, mailer=request.app.state.mailer)
            except CaseInputError as invalid:
                errors = invalid.errors
        if form is None or errors:
            return await case_page(request, case["number"], values_of(data, "comment"), errors, status=422)
        flash(request, _("The case is closed. Thank you for letting us know."), "success")
        return Redirect(f"/cases/{case['number']}", status_code=303)

    @post("/{number:str}/reopen", status_code=303)
    async def reopen(self, request: AnyRequest, case: NamedDependency[dict[str, Any]]) -> Template | Redirect:
        try:
            ref = await case_closing.reopen(
                request.user,
                case["id"],
                settings=_settings(request).cases,
                mailer=request.app.state.mailer,
                store=_store(request),
            )
        except CaseInputError as refused:
            message = refused.errors.get(FORM_ERROR) or next(iter(refused.errors.values()))
            return await case_page(request, case["number"], errors={FORM_ERROR: message}, status=409)
        if ref.id == case["id"]:
            flash(request, _("The case is open again. Tell us what still needs doing."), "success")
        else:
            flash(
                request,
                _("We opened %(number)s as a follow-up to %(old)s. Tell us what still needs doing.")
                % {"number": ref.number, "old": case["number"]},
                "success",
            )
        return Redirect(f"/cases/{ref.number}", status_code=303)
