"""Service quality: complaints with their corrective actions and cost, and satisfaction surveys (CSAT, NPS).

A complaint is a case of type complaint plus what the complaint KPIs need; it lives beside the case, one row per
case, so the case table stays as it is. A survey is one per resolution that asked for a rating.
"""

from __future__ import annotations

from piccolo.columns import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.db.tables import Case, Product, SupportTeam, User


class Complaint(Table):
    """The complaint record of a case of type complaint. `cost_amount` is in `cost_currency` (ISO 4217)."""

    id: Serial
    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, unique=True)
    department = Varchar(length=100, default="", index=True)
    product = ForeignKey(references=Product, null=True, on_delete=OnDelete.set_null)
    root_cause = Text(default="")
    outcome = Text(default="")
    cost_amount = Numeric(digits=(12, 2), null=True, default=None)
    cost_currency = Varchar(length=3, default="EUR")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow())


class CorrectiveAction(Table):
    """What will be done so that the complaint does not happen again: an owner, a due date, done or not."""

    id: Serial
    complaint = ForeignKey(references=Complaint, on_delete=OnDelete.cascade, index=True)
    description = Text()
    owner = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    due_on = Date(null=True, default=None)
    done_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class SatisfactionSurvey(Table):
    """A rating asked for when a case was resolved: 1-5 with a comment, and 0-10 NPS when the account asks it.

    The emailed link carries a secret whose hash is `token_hash`. `agent` and `team` are who had the case at
    resolution, so statistics stay right when the case is reassigned later.
    """

    id: Serial
    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True)
    token_hash = Varchar(length=64, unique=True)
    agent = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null, index=True)
    team = ForeignKey(references=SupportTeam, null=True, on_delete=OnDelete.set_null, index=True)
    asks_nps = Boolean(default=False)  # the account asked for NPS at the time of the survey
    requested_at = Timestamptz(default=TimestamptzNow(), index=True)
    rating = Integer(null=True, default=None)
    nps = Integer(null=True, default=None)
    comment = Text(default="")
    answered_at = Timestamptz(null=True, default=None, index=True)
