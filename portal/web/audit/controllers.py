"""The audit log in the back office: admins filter it, page through it newest first, and export it as CSV."""

from __future__ import annotations

import ipaddress
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Stream, Template
from pydantic import BaseModel, Field, ValidationInfo, field_validator

from portal.db.tables import Role
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.services import audit_log
from portal.services.audit import AuditKind
from portal.services.audit_log import AuditFilter, Cursor, LogPage
from portal.web.auth.guards import requires_role
from portal.web.forms import blank_is_none, date_within_reach, parse_form

PAGE_SIZE = 50
FILTER_FIELDS = ("kind", "user", "account", "ip", "date_from", "date_to")

KIND_LABELS = {
    AuditKind.sign_in: _l("Signed in"),
    AuditKind.sign_in_failed: _l("Sign-in failed"),
    AuditKind.sign_out: _l("Signed out"),
    AuditKind.signed_out_everywhere: _l("Signed out everywhere"),
    AuditKind.locked_out: _l("Locked out"),
    AuditKind.registered: _l("Registered"),
    AuditKind.email_verified: _l("Email verified"),
    AuditKind.password_changed: _l("Password changed"),
    AuditKind.password_reset: _l("Password reset"),
    AuditKind.email_changed: _l("Email changed"),
    AuditKind.two_factor_enabled: _l("Two-factor authentication on"),
    AuditKind.two_factor_disabled: _l("Two-factor authentication off"),
    AuditKind.provider_linked: _l("Sign-in provider linked"),
    AuditKind.provider_unlinked: _l("Sign-in provider unlinked"),
    AuditKind.role_changed: _l("Role changed"),
    AuditKind.sharing_mode_changed: _l("Case sharing changed"),
    AuditKind.invitation_sent: _l("Invitation sent"),
    AuditKind.invitation_accepted: _l("Invitation accepted"),
    AuditKind.contact_deactivated: _l("Contact deactivated"),
    AuditKind.account_linked: _l("Linked to an account"),
    AuditKind.data_exported: _l("Personal data downloaded"),
    AuditKind.account_erased: _l("Account deleted"),
    AuditKind.api_token_created: _l("API token created"),
    AuditKind.api_token_revoked: _l("API token revoked"),
}


class AuditFilterForm(BaseModel):
    """The filters, as the GET form sends them; every field may be left empty."""

    kind: AuditKind | None = None
    user: str = Field(default="", max_length=254)
    account: str = Field(default="", max_length=200)
    ip: str = Field(default="", max_length=45)
    date_from: date | None = None
    date_to: date | None = None
    after: str = Field(default="", max_length=60)

    _blanks = field_validator("kind", "date_from", "date_to", mode="before")(blank_is_none)
    _within_reach = field_validator("date_from", "date_to")(date_within_reach)

    @field_validator("ip")
    @classmethod
    def _an_address(cls, value: str) -> str:
        value = value.strip()
        if value:
            try:
                ipaddress.ip_address(value)
            except ValueError:
                raise ValueError(_("Enter an IP address, such as 203.0.113.7.")) from None
        return value

    @field_validator("date_to")
    @classmethod
    def _not_before_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("date_from")
        if value is not None and start is not None and value < start:
            raise ValueError(_("The end date is before the start date."))
        return value

    def to_filter(self, timezone: str) -> AuditFilter:
        """Dates are whole days in the portal's time zone; the end date is included."""
        zone = ZoneInfo(timezone)

        def start_of(day: date) -> datetime:
            return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)

        return AuditFilter(
            kind=self.kind.value if self.kind else None,
            user_email=self.user.strip(),
            account_name=self.account.strip(),
            ip=self.ip,
            since=start_of(self.date_from) if self.date_from else None,
            until=start_of(self.date_to + timedelta(days=1)) if self.date_to else None,
        )


def _submitted(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {key: value for key, value in request.query_params.items() if key in (*FILTER_FIELDS, "after")}


def _context(values: dict[str, str], errors: dict[str, str], page: LogPage | None) -> dict[str, Any]:
    filter_query = urlencode({key: values[key] for key in FILTER_FIELDS if values.get(key)})
    return {
        "values": values,
        "errors": errors,
        "page": page,
        "filter_query": filter_query,
        "kind_labels": KIND_LABELS,
        "kind_options": [("", _("Any event")), *((kind.value, str(label)) for kind, label in KIND_LABELS.items())],
        "field_labels": {
            "kind": _("Event"),
            "user": _("User's email"),
            "account": _("Account"),
            "ip": _("IP address"),
            "date_from": _("From"),
            "date_to": _("To"),
        },
        "first_page": not values.get("after"),
    }


class AuditLogController(Controller):
    path = "/backoffice/audit"
    guards = [requires_role(Role.admin)]
    include_in_schema = False

    @get("/", name="audit_log")
    async def log(self, request: HTMXRequest) -> Template:
        values = _submitted(request)
        form, errors = parse_form(AuditFilterForm, values)
        page = None
        if form is not None:
            filters = form.to_filter(request.app.state.settings.i18n.timezone)
            page = await audit_log.page(filters, after=Cursor.decode(form.after), limit=PAGE_SIZE)
        htmx = request.htmx
        fragment = bool(htmx) and not htmx.boosted and not htmx.history_restore_request
        return Template(
            "audit/_rows.html" if fragment else "audit/log.html",
            context=_context(values, errors, page),
            status_code=422 if errors else 200,
            headers={"Vary": "HX-Request"},
        )

    @get("/export.csv", name="audit_log_export")
    async def export(self, request: Request[Any, Any, Any]) -> Response[Any]:
        values = _submitted(request)
        form, errors = parse_form(AuditFilterForm, values)
        if form is None:
            return Template("audit/log.html", context=_context(values, errors, None), status_code=422)
        filters = form.to_filter(request.app.state.settings.i18n.timezone)
        filename = f"audit-log-{datetime.now(UTC):%Y%m%d-%H%M}.csv"
        return Stream(
            audit_log.csv_lines(filters),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
        )
