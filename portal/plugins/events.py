"""Domain events: small frozen dataclasses saying what happened to which aggregate (a user, a case, ...).

A service records one in the outbox inside the transaction of the change (`await outbox.record(event)`); the
dispatcher rebuilds it from the outbox row and hands it to every plugin's `portal_handle_event`.

An event's own fields are JSON values (str, int, float, bool, None, lists and dicts of them) and carry ids
rather than personal data: a handler reads the current row, so what the portal has erased stays erased.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

_BY_TOPIC: dict[str, type[DomainEvent]] = {}
_ENVELOPE = frozenset({"id", "occurred_at"})


class UnknownTopic(LookupError):
    """An outbox row whose topic no event class declares (its plugin was removed, or it is misspelled)."""


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Base of every event. Subclasses set `topic` and `aggregate` and say which field is `aggregate_id`."""

    topic: ClassVar[str]  # "customer.registered": noun of the aggregate, then what happened, in the past tense
    aggregate: ClassVar[str]  # "user", "case", ...: events of one aggregate are delivered in order
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        topic = cls.__dict__.get("topic")
        if topic is None:
            return
        known = _BY_TOPIC.get(topic)
        if known is not None and (known.__module__, known.__qualname__) != (cls.__module__, cls.__qualname__):
            raise TypeError(f"topic {topic!r} is declared by {known.__module__}.{known.__qualname__} already")
        _BY_TOPIC[topic] = cls  # a reloaded module's class replaces its older self

    @property
    def aggregate_id(self) -> str:
        raise NotImplementedError

    def payload(self) -> dict[str, Any]:
        """The event's own fields, for the outbox row's JSON column."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _ENVELOPE}

    @classmethod
    def from_payload(cls, payload: dict[str, Any], *, id: uuid.UUID, occurred_at: datetime) -> Self:
        names = {f.name for f in fields(cls)} - _ENVELOPE
        # Keys this version does not know are left out, so an older event still loads after a field is dropped.
        return cls(id=id, occurred_at=occurred_at, **{key: value for key, value in payload.items() if key in names})


def event_class(topic: str) -> type[DomainEvent]:
    try:
        return _BY_TOPIC[topic]
    except KeyError:
        raise UnknownTopic(topic) from None


# --- Customers -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerRegistered(DomainEvent):
    """Someone signed up with a password (a prospect until staff link them to an account)."""

    topic = "customer.registered"
    aggregate = "user"
    user_id: int
    locale: str
    likely_account_id: int | None = None  # an account whose email domain matches theirs, for staff to confirm

    @property
    def aggregate_id(self) -> str:
        return str(self.user_id)


# --- Support cases ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CaseEvent(DomainEvent):
    aggregate = "case"
    case_id: int

    @property
    def aggregate_id(self) -> str:
        return str(self.case_id)


@dataclass(frozen=True)
class CaseCreated(_CaseEvent):
    """A case was opened (on the portal, through the API, or as the follow-up of a case reopened too late)."""

    topic = "case.created"
    number: str
    requester_id: int
    account_id: int | None
    type: str
    priority: str
    channel: str


@dataclass(frozen=True)
class CaseReplied(_CaseEvent):
    """A message was added: a public reply (by the customer or staff) or a staff's internal note."""

    topic = "case.replied"
    message_id: int
    author_id: int | None
    by_staff: bool
    internal: bool


@dataclass(frozen=True)
class CaseStatusChanged(_CaseEvent):
    topic = "case.status_changed"
    old_status: str
    new_status: str
    actor_id: int | None


@dataclass(frozen=True)
class CaseAssigned(_CaseEvent):
    """The case's assignee or team changed; `assignee_id` None means it went back to the unassigned queue."""

    topic = "case.assigned"
    assignee_id: int | None
    team_id: int | None
    actor_id: int | None


@dataclass(frozen=True)
class CaseResolved(_CaseEvent):
    topic = "case.resolved"
    actor_id: int | None


@dataclass(frozen=True)
class CaseMerged(_CaseEvent):
    """`case_id` was a duplicate: its messages and attachments moved into `into_case_id`, and it was closed."""

    topic = "case.merged"
    into_case_id: int
    actor_id: int | None


# --- Knowledge base --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ArticleEvent(DomainEvent):
    aggregate = "article"
    article_id: int
    actor_id: int | None  # the staff member who did it

    @property
    def aggregate_id(self) -> str:
        return str(self.article_id)


@dataclass(frozen=True)
class ArticlePublished(_ArticleEvent):
    """A knowledge-base article became visible to its audience."""

    topic = "article.published"


@dataclass(frozen=True)
class ArticleUnpublished(_ArticleEvent):
    """A published article went back to a draft."""

    topic = "article.unpublished"


@dataclass(frozen=True)
class ArticleArchived(_ArticleEvent):
    """An article was retired: kept with its history, gone from the site."""

    topic = "article.archived"


@dataclass(frozen=True)
class ArticleDeleted(_ArticleEvent):
    """An article was deleted with its history; `key` ("slug:language") says which, as its row is gone."""

    topic = "article.deleted"
    key: str
