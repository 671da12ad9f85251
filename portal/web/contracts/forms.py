"""The forms of the contract set-up pages: business calendars, SLA policies and contracts."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field

from portal.i18n import gettext as _
from portal.services.accounts import MAX_ID
from portal.services.contract_admin import TARGET_FIELDS, CalendarInput, ContractInput, PolicyInput
from portal.web.forms import Checkbox, id_or_none


def _optional_id(raw: object) -> int | None:
    return id_or_none(raw, _("Choose one of the options offered."))


def _required_id(raw: object) -> int:
    value = _optional_id(raw)
    if value is None:
        raise ValueError(_("Choose one of the options offered."))
    return value


def _optional_number(raw: object) -> int | None:
    value = str(raw or "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 9:
        raise ValueError(_("Give a whole number."))
    return int(value)


def _optional_date(raw: object) -> date | None:
    value = str(raw or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(_("Give a date such as 2026-12-31.")) from None


def _required_date(raw: object) -> date:
    value = _optional_date(raw)
    if value is None:
        raise ValueError(_("This field is required."))
    return value


OptionalId = Annotated[int | None, BeforeValidator(_optional_id)]
RequiredId = Annotated[int, BeforeValidator(_required_id)]
Minutes = Annotated[int | None, BeforeValidator(_optional_number)]
Text = Annotated[str, Field(max_length=5000)]


class CalendarForm(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    time_zone: Annotated[str, Field(min_length=1, max_length=64)]
    always_open: Checkbox = False
    hours_0: Text = ""
    hours_1: Text = ""
    hours_2: Text = ""
    hours_3: Text = ""
    hours_4: Text = ""
    hours_5: Text = ""
    hours_6: Text = ""
    holidays: Text = ""

    def to_input(self) -> CalendarInput:
        hours = {day: getattr(self, f"hours_{day}") for day in range(7)}
        return CalendarInput(self.name, self.time_zone, self.always_open, hours, self.holidays)


class PolicyForm(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    calendar_id: OptionalId = None
    is_default: Checkbox = False
    warn_percent: Annotated[int, BeforeValidator(_required_id)] = 75
    low_first_response: Minutes = None
    low_resolution: Minutes = None
    normal_first_response: Minutes = None
    normal_resolution: Minutes = None
    high_first_response: Minutes = None
    high_resolution: Minutes = None
    urgent_first_response: Minutes = None
    urgent_resolution: Minutes = None

    def to_input(self) -> PolicyInput:
        targets = {field: getattr(self, field) for field in TARGET_FIELDS}
        return PolicyInput(self.name, self.calendar_id, self.is_default, self.warn_percent, targets)


class ContractForm(BaseModel):
    account_id: RequiredId
    name: Annotated[str, Field(min_length=1, max_length=200)]
    level: Annotated[str, Field(max_length=50)] = ""
    valid_from: Annotated[date, BeforeValidator(_required_date)]
    valid_until: Annotated[date | None, BeforeValidator(_optional_date)] = None
    sites: Text = ""
    policy_id: RequiredId
    calendar_id: OptionalId = None
    contacts: Text = ""

    def to_input(self, data: dict[str, Any]) -> ContractInput:
        products = [int(key[8:]) for key in data if key.startswith("product_") and key[8:].isdigit()]
        return ContractInput(
            account_id=self.account_id,
            name=self.name,
            policy_id=self.policy_id,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            level=self.level,
            sites=self.sites,
            calendar_id=self.calendar_id,
            contact_emails=self.contacts,
            product_ids=[p for p in products if 0 < p <= MAX_ID],
        )
