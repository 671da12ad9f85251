"""Web-to-lead: the forms prospects fill in, the leads they become, each accepted submission, the material sent,
consent history, the salesperson's follow-up tasks and the opportunities a converted lead opens.

`LeadSubmission` is every request the portal accepted, exactly once (its `idempotency_key` is unique); a lead
gathers the submissions of one person while it is open.
"""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import (
    JSON,
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

from portal.db.tables import Account, OutboundEmail, Product, User


class ProductMaterial(Table):
    """A brochure, price list or data sheet for a product in one language: a stored file or a link."""

    id: Serial
    product = ForeignKey(references=Product, on_delete=OnDelete.cascade, index=True)
    language = Varchar(length=2, default="en")
    title = Varchar(length=200)
    url = Varchar(length=500, default="")  # a link, or "" for a stored file
    storage_key = Varchar(length=200, default="")  # the stored file's name in the data directory
    filename = Varchar(length=255, default="")
    content_type = Varchar(length=100, default="")
    size = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())


class LeadForm(Table):
    """A request form that other sites embed. `key` is public (it names the form in the embed snippet and the
    API); `allowed_origins` (one per line) may frame it or post to it; after a plain post the browser goes back
    to `thank_you_url`."""

    id: Serial
    key = Varchar(length=64, unique=True)
    name = Varchar(length=200)
    allowed_origins = Text(default="")
    thank_you_url = Varchar(length=500, default="")
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class LeadStatus(StrEnum):
    new = "new"
    contacted = "contacted"
    qualified = "qualified"
    converted = "converted"
    disqualified = "disqualified"

    @property
    def is_open(self) -> bool:
        return self not in (LeadStatus.converted, LeadStatus.disqualified)


class MarketingConsent(StrEnum):
    none = "none"
    pending = "pending"  # asked for; the confirmation link has not been followed yet
    confirmed = "confirmed"
    withdrawn = "withdrawn"


class Lead(Table):
    """A prospect's request for information, linked to the contact and account it matched, if any.

    `number` is what staff quote (`L-2026-000123`). `email` is stored lower-cased; `email_domain` is its domain.
    """

    id: Serial
    number = Varchar(length=20, unique=True)
    status = Varchar(length=20, choices=LeadStatus, default=LeadStatus.new, index=True)
    name = Varchar(length=200)
    email = Varchar(length=254, index=True)
    email_domain = Varchar(length=200, default="", index=True)
    phone = Varchar(length=40, default="")
    company = Varchar(length=200, default="")
    country = Varchar(length=2, default="")
    language = Varchar(length=2, default="en")
    contact_method = Varchar(length=20, default="email")  # email, phone
    contact_time = Varchar(length=100, default="")
    marketing_consent = Varchar(length=20, choices=MarketingConsent, default=MarketingConsent.none)
    contact = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null, index=True)
    account = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null, index=True)
    assignee = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null, index=True)
    # First touch: where the prospect first came from (the first submission's campaign data).
    utm_source = Varchar(length=200, default="", index=True)
    utm_medium = Varchar(length=200, default="")
    utm_campaign = Varchar(length=200, default="", index=True)
    disqualified_reason = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow())
    converted_at = Timestamptz(null=True, default=None)


class LeadSubmission(Table):
    """One accepted request, as the prospect sent it, exactly once: a retry with the same `idempotency_key` finds
    this row instead of making another. `products` are product ids."""

    id: Serial
    lead = ForeignKey(references=Lead, on_delete=OnDelete.cascade, index=True)
    idempotency_key = Varchar(length=100, unique=True)
    form = ForeignKey(references=LeadForm, null=True, on_delete=OnDelete.set_null)
    channel = Varchar(length=20, default="portal")  # portal, embed, api
    products = JSON(default=[])
    message = Text(default="")
    utm_source = Varchar(length=200, default="")
    utm_medium = Varchar(length=200, default="")
    utm_campaign = Varchar(length=200, default="")
    utm_term = Varchar(length=200, default="")
    utm_content = Varchar(length=200, default="")
    landing_page = Varchar(length=1000, default="")
    referrer = Varchar(length=1000, default="")
    privacy_version = Varchar(length=20, default="")
    ip = Varchar(length=45, default="")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class LeadProduct(Table):
    """A product a lead asked about. `key` is "<lead_id>:<product_id>"."""

    id: Serial
    lead = ForeignKey(references=Lead, on_delete=OnDelete.cascade, index=True)
    product = ForeignKey(references=Product, on_delete=OnDelete.restrict)
    key = Varchar(length=50, unique=True)


class LeadActivity(Table):
    """The lead's history: captured, joined by a new request, assigned, material sent, status changed, a note."""

    id: Serial
    lead = ForeignKey(references=Lead, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=30)
    actor = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    details = JSON(default={})
    email = ForeignKey(references=OutboundEmail, null=True, on_delete=OnDelete.set_null)  # material sent
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class ConsentRecord(Table):
    """Consent history, append-only: privacy notice accepted (with its version), marketing asked, confirmed by the
    emailed link, or withdrawn."""

    id: Serial
    email = Varchar(length=254, index=True)
    lead = ForeignKey(references=Lead, null=True, on_delete=OnDelete.set_null)
    kind = Varchar(length=20)  # privacy, marketing
    action = Varchar(length=20)  # accepted, requested, confirmed, withdrawn
    version = Varchar(length=20, default="")
    ip = Varchar(length=45, default="")
    occurred_at = Timestamptz(default=TimestamptzNow())


class FollowUpTask(Table):
    """A salesperson's task: call the prospect back on `due_on` (the product's delay after capture)."""

    id: Serial
    lead = ForeignKey(references=Lead, null=True, on_delete=OnDelete.cascade, index=True)
    assignee = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null, index=True)
    title = Varchar(length=300)
    due_on = Date(index=True)
    done_at = Timestamptz(null=True, default=None)
    reminded_on = Date(null=True, default=None)  # the morning the reminder went out: once per due date
    created_at = Timestamptz(default=TimestamptzNow())


class OpportunityStage(StrEnum):
    prospecting = "prospecting"
    proposal = "proposal"
    negotiation = "negotiation"
    won = "won"
    lost = "lost"


class Opportunity(Table):
    """A potential sale on an account, opened when a lead is converted."""

    id: Serial
    account = ForeignKey(references=Account, on_delete=OnDelete.restrict, index=True)
    lead = ForeignKey(references=Lead, null=True, on_delete=OnDelete.set_null)
    name = Varchar(length=200)
    stage = Varchar(length=20, choices=OpportunityStage, default=OpportunityStage.prospecting)
    amount = Numeric(digits=(12, 2), null=True, default=None)
    currency = Varchar(length=3, default="EUR")
    expected_close = Date(null=True, default=None)
    owner = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
