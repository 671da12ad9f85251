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
