"""Every table of the portal, in one place. Split into a package when it grows past a screenful per domain.

Foreign keys always say what happens on delete: Piccolo's default is CASCADE, which silently deletes children.
"""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import JSON, UUID, Boolean, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Role(StrEnum):
    """Who a user is. Customer roles first, staff roles after, in rising order of power."""

    prospect = "prospect"
    contact = "contact"
    account_admin = "account_admin"
    agent = "agent"
    manager = "manager"
    admin = "admin"

    @property
    def is_staff(self) -> bool:
        return self in STAFF_ROLES


STAFF_ROLES = frozenset({Role.agent, Role.manager, Role.admin})


class SharingMode(StrEnum):
    """Which of an account's cases its contacts see. Set by staff per account."""

    own = "own"  # each contact sees the cases they opened
    all_contacts = "all_contacts"  # every contact sees every case of the account
    admins_only = "admins_only"  # contacts see their own; account admins see all


class AccountKind(StrEnum):
    company = "company"
    person = "person"


class Account(Table):
    """A customer: a company or a private person."""

    id: Serial  # added by Piccolo; declared for type checkers

    name = Varchar(length=200)
    kind = Varchar(length=20, choices=AccountKind, default=AccountKind.company)
    domain = Varchar(length=200, null=True, default=None, index=True)
    sharing_mode = Varchar(length=20, choices=SharingMode, default=SharingMode.own)
    asks_nps = Boolean(default=False)  # satisfaction surveys add the 0-10 "would you recommend us" question
    created_at = Timestamptz(default=TimestamptzNow())


class User(Table, tablename="portal_user"):
    """Anyone who signs in: a prospect, a customer's contact, or staff."""

    id: Serial

    email = Varchar(length=254, unique=True)  # stored lower-cased
    name = Varchar(length=200)
    password_hash = Varchar(length=200, null=True, default=None)
    role = Varchar(length=20, choices=Role, default=Role.prospect)
    locale = Varchar(length=10, default="en")
    is_active = Boolean(default=True)
    account = ForeignKey(references=Account, null=True, on_delete=OnDelete.restrict)
    phone = Varchar(length=40, null=True, default=None)
    company_name = Varchar(length=200, null=True, default=None)  # as typed at sign-up, before staff link an account
    likely_account = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)  # by email domain
    email_verified_at = Timestamptz(null=True, default=None)
    terms_version = Varchar(length=20, null=True, default=None)
    terms_accepted_at = Timestamptz(null=True, default=None)
    # Raised to sign out every session at once (password change, "sign out everywhere"): a session remembers
    # the epoch it was created in and is void when the user's has moved on.
    session_epoch = Integer(default=0)
    failed_sign_ins = Integer(default=0)
    locked_until = Timestamptz(null=True, default=None)
    totp_secret = Varchar(length=200, null=True, default=None, secret=True)  # encrypted with the app's key
    totp_enabled_at = Timestamptz(null=True, default=None)
    totp_last_step = Integer(null=True, default=None)  # the last time step accepted: a code works once
    created_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)
    erased_at = Timestamptz(null=True, default=None)


class RecoveryCode(Table):
    """Single-use codes that stand in for a lost authenticator; only their hashes are kept."""

    id: Serial
    user = ForeignKey(references=User, on_delete=OnDelete.cascade)
    code_hash = Varchar(length=200)
    used_at = Timestamptz(null=True, default=None)


class ExternalIdentity(Table):
    """A sign-in through an OAuth or OpenID Connect provider, keyed by the provider's issuer and subject."""

    id: Serial
    user = ForeignKey(references=User, on_delete=OnDelete.cascade)
    provider = Varchar(length=50)
    issuer = Varchar(length=300)
    subject = Varchar(length=300)
    email = Varchar(length=254, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)


class OneTimeToken(Table):
    """The secret behind an emailed link (verify, reset, invite...): stored hashed, expiring, used once."""

    id: Serial
    purpose = Varchar(length=30)
    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(references=User, null=True, on_delete=OnDelete.cascade)
    payload = JSON(default={})
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class AuditEvent(Table):
    """Who did what to whose security: append-only."""

    id: Serial
    occurred_at = Timestamptz(default=TimestamptzNow(), index=True)
    kind = Varchar(length=50, index=True)
    actor = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    subject = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    account = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    ip = Varchar(length=45, null=True, default=None)
    user_agent = Varchar(length=300, null=True, default=None)
    details = JSON(default={})


class OutboundEmail(Table):
    """An email waiting to be sent, or sent: the action that caused it commits first, delivery retries later."""

    id: Serial
    to_address = Varchar(length=254)
    subject = Varchar(length=300)
    text_body = Text()
    html_body = Text()
    message_id = Varchar(length=200, unique=True)
    references = Varchar(length=1000, null=True, default=None)  # Message-IDs this one follows, for threading
    status = Varchar(length=20, default="pending", index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow(), index=True)
    last_error = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)


class OutboxEvent(Table):
    """A domain event, written in the same transaction as the change that caused it; never changed afterwards.

    `fanned_out_at` is set when the dispatcher has created one `EventDelivery` per subscriber.
    """

    id: Serial
    event_id = UUID(unique=True)
    topic = Varchar(length=100, index=True)
    aggregate = Varchar(length=50)
    aggregate_id = Varchar(length=100, index=True)
    payload = JSON(default={})
    occurred_at = Timestamptz()
    created_at = Timestamptz(default=TimestamptzNow())
    fanned_out_at = Timestamptz(null=True, default=None, index=True)


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivering = "delivering"  # claimed by a dispatcher until `next_attempt_at`; then free to claim again
    delivered = "delivered"
    dead = "dead"  # gave up after the most attempts; an admin can replay it


class EventDelivery(Table):
    """One event on its way to one subscriber (a plugin that handles events): retried, ordered, dead-lettered.

    Piccolo cannot declare a unique constraint over two columns, so `key` ("<event_id>:<subscriber>") carries
    the uniqueness of (event, subscriber), enforced by the database on both engines.
    """

    id: Serial
    event = ForeignKey(references=OutboxEvent, on_delete=OnDelete.cascade)
    subscriber = Varchar(length=200, index=True)
    key = Varchar(length=250, unique=True)
    status = Varchar(length=20, choices=DeliveryStatus, default=DeliveryStatus.pending, index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow(), index=True)
    last_error = Text(null=True, default=None)
    delivered_at = Timestamptz(null=True, default=None)


# --- Support cases ---------------------------------------------------------------------------------------------


class CaseType(StrEnum):
    question = "question"
    incident = "incident"
    service_request = "service_request"
    complaint = "complaint"


class CaseStatus(StrEnum):
    """A case's life. `waiting_on_customer` and `resolved` return to `open` when the customer replies."""

    new = "new"
    open = "open"
    waiting_on_customer = "waiting_on_customer"
    on_hold = "on_hold"
    resolved = "resolved"
    closed = "closed"

    @property
    def is_open(self) -> bool:
        return self not in (CaseStatus.resolved, CaseStatus.closed)


class Priority(StrEnum):
    """In rising order of urgency."""

    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


class MessageKind(StrEnum):
    public = "public"  # a reply the customer sees
    internal = "internal"  # a staff note, never shown to the customer


class Product(Table):
    """What the company sells and supports; a case may be about one."""

    id: Serial
    code = Varchar(length=50, unique=True)
    name_en = Varchar(length=200)
    name_el = Varchar(length=200)
    description_en = Text(default="")
    description_el = Text(default="")
    family = Varchar(length=100, default="")  # the catalogue's grouping (routers, software, services...)
    followup_days = Integer(null=True, default=None)  # None: the settings' default follow-up delay
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Category(Table):
    """What a case is about (billing, installation, ...), optionally for one product only."""

    id: Serial
    code = Varchar(length=50, unique=True)
    name_en = Varchar(length=200)
    name_el = Varchar(length=200)
    product = ForeignKey(references=Product, null=True, on_delete=OnDelete.restrict)
    is_active = Boolean(default=True)


class SupportTeam(Table):
    """A group of agents that works a queue together; managed by staff managers."""

    id: Serial
    name = Varchar(length=100, unique=True)
    lead = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)  # told first when SLAs slip
    created_at = Timestamptz(default=TimestamptzNow())


class TeamMembership(Table):
    """An agent in a team. `key` is "<team_id>:<user_id>": one membership per pair."""

    id: Serial
    team = ForeignKey(references=SupportTeam, on_delete=OnDelete.cascade)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade)
    key = Varchar(length=50, unique=True)


class Case(Table, tablename="support_case"):
    """A customer's request to support. `number` is what people quote: `C-2026-000123`."""

    id: Serial
    number = Varchar(length=20, unique=True)
    type = Varchar(length=20, choices=CaseType, default=CaseType.question)
    status = Varchar(length=30, choices=CaseStatus, default=CaseStatus.new, index=True)
    priority = Varchar(length=10, choices=Priority, default=Priority.normal)
    # Sorting by priority needs an order the database understands: 0 low .. 3 urgent.
    priority_rank = Integer(default=1)
    subject = Varchar(length=200)
    description = Text()
    channel = Varchar(length=20, default="portal")  # portal, api, email, phone
    product = ForeignKey(references=Product, null=True, on_delete=OnDelete.restrict)
    category = ForeignKey(references=Category, null=True, on_delete=OnDelete.restrict)
    account = ForeignKey(references=Account, null=True, on_delete=OnDelete.restrict, index=True)
    requester = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict, index=True)
    assignee = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null, index=True)
    team = ForeignKey(references=SupportTeam, null=True, on_delete=OnDelete.set_null, index=True)
    merged_into: ForeignKey[Case] = ForeignKey(references="self", null=True, on_delete=OnDelete.set_null)
    follows: ForeignKey[Case] = ForeignKey(
        references="self", null=True, on_delete=OnDelete.set_null
    )  # reopened too late: a new case
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow(), index=True)
    last_public_at = Timestamptz(default=TimestamptzNow())  # the last message the customer can see
    first_response_at = Timestamptz(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    # SLA due times: set from the contract (or the default policy) by the SLA feature; queues sort by `due_at`,
    # the earlier of the two that is still running.
    first_response_due_at = Timestamptz(null=True, default=None)
    resolution_due_at = Timestamptz(null=True, default=None)
    due_at = Timestamptz(null=True, default=None, index=True)


class CaseMessage(Table):
    """One message in a case's conversation: a public reply or an internal note."""

    id: Serial
    case = ForeignKey(references=Case, null=False, on_delete=OnDelete.cascade, index=True)
    author = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    kind = Varchar(length=10, choices=MessageKind, default=MessageKind.public)
    body = Text()
    via = Varchar(length=20, default="portal")  # portal, api, email
    created_at = Timestamptz(default=TimestamptzNow())


class Attachment(Table):
    """A file on a case, stored outside the web root under `storage_key`; the type is sniffed from its bytes."""

    id: Serial
    case = ForeignKey(references=Case, null=False, on_delete=OnDelete.cascade, index=True)
    message = ForeignKey(references=CaseMessage, null=True, on_delete=OnDelete.cascade, index=True)
    uploaded_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    filename = Varchar(length=255)
    content_type = Varchar(length=100)
    size = Integer()
    sha256 = Varchar(length=64)
    storage_key = Varchar(length=100, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())


class CaseChange(Table):
    """The timeline: one row per field change (who, when, from, to). Append-only."""

    id: Serial
    case = ForeignKey(references=Case, null=False, on_delete=OnDelete.cascade, index=True)
    actor = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    field = Varchar(length=30)
    old_value = Varchar(length=300, null=True, default=None)
    new_value = Varchar(length=300, null=True, default=None)
    occurred_at = Timestamptz(default=TimestamptzNow())


class CaseTag(Table):
    """A tag on a case; `key` is "<case_id>:<tag>"."""

    id: Serial
    case = ForeignKey(references=Case, null=False, on_delete=OnDelete.cascade, index=True)
    tag = Varchar(length=50, index=True)
    key = Varchar(length=80, unique=True)


class CaseLink(Table):
    """Two related cases, stored once per direction so either side lists the other; `key` is "<case>:<other>"."""

    id: Serial
    case = ForeignKey(references=Case, null=False, on_delete=OnDelete.cascade, index=True)
    other = ForeignKey(references=Case, on_delete=OnDelete.cascade)
    created_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    key = Varchar(length=50, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())


class CaseView(Table):
    """When a user last opened a case: what is newer is unread. `key` is "<case_id>:<user_id>"."""

    id: Serial
    case = ForeignKey(references=Case, null=False, on_delete=OnDelete.cascade)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    key = Varchar(length=50, unique=True)
    seen_at = Timestamptz(default=TimestamptzNow())


class CannedResponse(Table):
    """A reply template in both languages, with placeholders such as {customer_name} and {case_number}."""

    id: Serial
    title = Varchar(length=200)
    body_en = Text()
    body_el = Text()
    is_active = Boolean(default=True)
    created_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class SavedFilter(Table):
    """An agent's named queue view: the query string of the queue page."""

    id: Serial
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=100)
    query = Varchar(length=2000)
    created_at = Timestamptz(default=TimestamptzNow())


class NotificationOptOut(Table):
    """An email a user chose not to receive (`kind` such as "case_replied"); `key` is "<user_id>:<kind>"."""

    id: Serial
    user = ForeignKey(references=User, on_delete=OnDelete.cascade)
    kind = Varchar(length=40)
    key = Varchar(length=60, unique=True)


class ApiToken(Table):
    """A REST API credential created by an admin: only its hash is kept; `scopes` such as ["cases:read"]."""

    id: Serial
    name = Varchar(length=100)
    prefix = Varchar(length=12)  # shown in the admin list so a token can be recognised
    token_hash = Varchar(length=64, unique=True)
    scopes = JSON(default=[])
    created_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    acts_as = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)  # author of what it writes
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
