"""Support contracts and the SLA clock: business-hours calendars, SLA policies (targets per priority), an
account's contracts with the contacts and products they cover, and each case's clock.

A case's due times live on `Case` (the queue sorts by them); everything else the clock needs is in `CaseSla`,
one row per case, so the big case table stays as it is.
"""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import Boolean, Date, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.db.tables import Account, Case, Product, SupportTeam, User


class BusinessCalendar(Table):
    """When support works: a time zone (IANA name), weekly opening hours and holidays, or round the clock."""

    id: Serial
    name = Varchar(length=100, unique=True)
    time_zone = Varchar(length=64, default="Europe/Athens")
    always_open = Boolean(default=False)  # 24/7: hours and holidays are ignored
    created_at = Timestamptz(default=TimestamptzNow())


class CalendarHours(Table):
    """One opening interval on a weekday (0 Monday .. 6 Sunday), in minutes from local midnight: 540-1020 is
    09:00-17:00. A day may have several; an interval ends by midnight (1440), so night shifts are two intervals."""

    id: Serial
    calendar = ForeignKey(references=BusinessCalendar, on_delete=OnDelete.cascade, index=True)
    weekday = Integer()
    opens = Integer()
    closes = Integer()


class CalendarHoliday(Table):
    """A local date on which the calendar is closed all day. `key` is "<calendar_id>:<YYYY-MM-DD>"."""

    id: Serial
    calendar = ForeignKey(references=BusinessCalendar, on_delete=OnDelete.cascade, index=True)
    day = Date()
    name = Varchar(length=100, default="")
    key = Varchar(length=40, unique=True)


class SlaPolicy(Table):
    """Targets in business minutes per priority (None: no target), counted in `calendar`. The one `is_default`
    policy applies to cases no contract covers."""

    id: Serial
    name = Varchar(length=100, unique=True)
    is_default = Boolean(default=False)
    calendar: ForeignKey[BusinessCalendar] = ForeignKey(
        references=BusinessCalendar, null=True, on_delete=OnDelete.restrict
    )
    warn_percent = Integer(default=75)  # warn when this share of a target has elapsed
    low_first_response = Integer(null=True, default=None)
    low_resolution = Integer(null=True, default=None)
    normal_first_response = Integer(null=True, default=None)
    normal_resolution = Integer(null=True, default=None)
    high_first_response = Integer(null=True, default=None)
    high_resolution = Integer(null=True, default=None)
    urgent_first_response = Integer(null=True, default=None)
    urgent_resolution = Integer(null=True, default=None)
    # Escalation when a target is breached (run once per breach by the SLA job).
    escalate_notify_lead = Boolean(default=True)
    escalate_raise_priority = Boolean(default=False)
    escalate_to_team: ForeignKey[SupportTeam] = ForeignKey(
        references=SupportTeam, null=True, default=None, on_delete=OnDelete.set_null
    )
    created_at = Timestamptz(default=TimestamptzNow())


class SupportContract(Table):
    """An account's service agreement. Its targets come from `policy`; `calendar`, when set, replaces the
    policy's. `valid_until` None: open-ended. Dates are local to the calendar's time zone."""

    id: Serial
    account = ForeignKey(references=Account, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=200)
    level = Varchar(length=50, default="")
    valid_from = Date()
    valid_until = Date(null=True, default=None)
    sites = Text(default="")
    all_contacts = Boolean(default=True)  # False: only the contacts in ContractContact
    policy: ForeignKey[SlaPolicy] = ForeignKey(references=SlaPolicy, on_delete=OnDelete.restrict)
    calendar: ForeignKey[BusinessCalendar] = ForeignKey(
        references=BusinessCalendar, null=True, on_delete=OnDelete.restrict
    )
    created_at = Timestamptz(default=TimestamptzNow())


class ContractContact(Table):
    """A contact entitled to support under a contract. `key` is "<contract_id>:<user_id>"."""

    id: Serial
    contract = ForeignKey(references=SupportContract, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade)
    key = Varchar(length=50, unique=True)


class ContractProduct(Table):
    """A product a contract covers; a contract with none covers every product. `key`: "<contract_id>:<product_id>"."""

    id: Serial
    contract = ForeignKey(references=SupportContract, on_delete=OnDelete.cascade, index=True)
    product = ForeignKey(references=Product, on_delete=OnDelete.cascade)
    key = Varchar(length=50, unique=True)


class Entitlement(StrEnum):
    """Where a case's SLA came from, and whether the agent should look twice."""

    contract = "contract"  # a valid contract covers the contact and the product
    no_contract = "no_contract"  # the account has no contract: the default policy
    not_entitled = "not_entitled"  # a valid contract exists, but not for this contact
    product_not_covered = "product_not_covered"  # a valid contract exists, but not for this product
    expired = "expired"  # the contract that would cover the case is not valid on its date

    @property
    def flagged(self) -> bool:
        return self not in (Entitlement.contract, Entitlement.no_contract)


class CaseSla(Table):
    """A case's SLA clock. Targets are copied at the start so a later policy edit leaves running clocks alone.

    The clock stands still from `paused_since` (waiting on the customer, on hold, resolved) until it runs again;
    `paused_minutes` adds up the business minutes it stood still, by which the due times moved. A breach is
    recorded once, at the due time it passed; a warning once, when its share of the target has elapsed."""

    id: Serial
    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, unique=True)
    contract = ForeignKey(references=SupportContract, null=True, on_delete=OnDelete.set_null)
    policy = ForeignKey(references=SlaPolicy, null=True, on_delete=OnDelete.set_null)
    calendar = ForeignKey(references=BusinessCalendar, null=True, on_delete=OnDelete.set_null)
    entitlement = Varchar(length=30, choices=Entitlement, default=Entitlement.no_contract)
    first_response_minutes = Integer(null=True, default=None)
    resolution_minutes = Integer(null=True, default=None)
    warn_percent = Integer(default=75)
    started_at = Timestamptz(default=TimestamptzNow())
    paused_since = Timestamptz(null=True, default=None)
    paused_minutes = Integer(default=0)
    # When a warning is due (the policy's share of a target), and when it went out.
    first_response_warn_at = Timestamptz(null=True, default=None)
    resolution_warn_at = Timestamptz(null=True, default=None)
    first_response_warned_at = Timestamptz(null=True, default=None)
    resolution_warned_at = Timestamptz(null=True, default=None)
    first_response_breached_at = Timestamptz(null=True, default=None, index=True)
    resolution_breached_at = Timestamptz(null=True, default=None, index=True)
    escalated_at = Timestamptz(null=True, default=None)  # the last escalation the breaches above caused
