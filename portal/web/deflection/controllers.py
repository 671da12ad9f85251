"""Case deflection in the back office: the figures for a period, a chart per day, and the articles to improve.

The chart is an SVG image of its own route, so the page needs no script and no inline style; the SVG itself
carries pygal's <style> (allowed for that one response) and no script at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get
from litestar.response import Stream, Template
from pydantic import BaseModel, ValidationInfo, field_validator

from portal.i18n import gettext as _
from portal.services import deflection
from portal.services.audit_log import csv_line
from portal.web.auth.guards import requires_staff
from portal.web.deflection.chart import daily_chart
from portal.web.forms import blank_is_none, date_within_reach, parse_form

AnyRequest = Request[Any, Any, Any]
DEFAULT_DAYS = 30
MAX_DAYS = 366
TO_IMPROVE = 20
CSV_COLUMNS = ("article_id", "slug", "language", "title", "shown_before_case", "answered")
# The chart is an image: it may style itself, and nothing else.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


class PeriodForm(BaseModel):
    """Whole days in the portal's time zone, both included; empty fields mean the last 30 days."""

    date_from: date | None = None
    date_to: date | None = None

    _blanks = field_validator("date_from", "date_to", mode="before")(blank_is_none)
    _within_reach = field_validator("date_from", "date_to")(date_within_reach)

    @field_validator("date_to")
    @classmethod
    def _a_sensible_period(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("date_from")
        if value is not None and start is not None:
            if value < start:
                raise ValueError(_("The end date is before the start date."))
            if (value - start).days >= MAX_DAYS:
                raise ValueError(_("Choose a period of at most a year."))
        return value


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    since: datetime
    until: datetime  # exclusive: the start of the day after `last`

    @property
    def query(self) -> str:
        return urlencode({"date_from": self.first.isoformat(), "date_to": self.last.isoformat()})


def _period(form: PeriodForm, timezone: str) -> Period:
    zone = ZoneInfo(timezone)
    last = form.date_to or (form.date_from + timedelta(days=DEFAULT_DAYS - 1) if form.date_from else None)
    last = last or datetime.now(zone).date()
    first = form.date_from or last - timedelta(days=DEFAULT_DAYS - 1)

    def start_of(day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)

    return Period(first, last, start_of(first), start_of(last + timedelta(days=1)))


def _timezone(request: AnyRequest) -> str:
    return str(request.app.state.settings.i18n.timezone)


def _submitted(request: AnyRequest) -> dict[str, str]:
    return {key: value for key, value in request.query_params.items() if key in ("date_from", "date_to")}


async def _csv(period: Period) -> AsyncIterator[str]:
    yield "\ufeff" + csv_line(CSV_COLUMNS)
    for row in await deflection.articles_to_improve(period.since, period.until, limit=1000):
        yield csv_line([row.article_id, row.slug, row.language, row.title, row.shown_before_case, row.deflected])


class DeflectionController(Controller):
    path = "/backoffice/kb"
    guards = [requires_staff]
    include_in_schema = False

    @get("/deflection", name="kb_deflection")
    async def page(self, request: AnyRequest) -> Template:
        values = _submitted(request)
        form, errors = parse_form(PeriodForm, values)
        context: dict[str, Any] = {"values": values, "errors": errors, "period": None}
        if form is not None:
            period = _period(form, _timezone(request))
            context |= {
                "values": {"date_from": period.first.isoformat(), "date_to": period.last.isoformat()},
                "period": period,
                "stats": await deflection.deflection_stats(period.since, period.until),
                "articles": await deflection.articles_to_improve(period.since, period.until, TO_IMPROVE),
            }
        return Template("deflection/page.html", context=context, status_code=422 if errors else 200)

    @get("/deflection/chart.svg", name="kb_deflection_chart")
    async def chart(self, request: AnyRequest) -> Response[str]:
        form, _errors = parse_form(PeriodForm, _submitted(request))
        period = _period(form or PeriodForm(), _timezone(request))
        figures = await deflection.daily_figures(period.since, period.until, _timezone(request))
        return Response(
            daily_chart(figures),
            media_type="image/svg+xml",
            headers={"Content-Security-Policy": SVG_POLICY, "Cache-Control": "private, max-age=60"},
        )

    @get("/deflection.csv", name="kb_deflection_csv")
    async def export(self, request: AnyRequest) -> Response[Any]:
        form, _errors = parse_form(PeriodForm, _submitted(request))
        period = _period(form or PeriodForm(), _timezone(request))
        filename = f"articles-to-improve-{period.first:%Y%m%d}-{period.last:%Y%m%d}.csv"
        return Stream(
            _csv(period),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
        )
