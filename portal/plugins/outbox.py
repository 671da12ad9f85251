"""The event outbox: events written with the change that caused them, and what admins can do about deliveries.

`record(event)` adds a row in the caller's transaction, so the event exists exactly when the change does: a
rollback takes both away, a commit keeps both, and no event is ever sent about a change that did not happen.
Delivery to plugins is the dispatcher's work (`portal.plugins.dispatcher`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from piccolo.query.functions.aggregate import Count

from portal.db.tables import DeliveryStatus, EventDelivery, OutboxEvent
from portal.plugins.events import DomainEvent, event_class


async def record(event: DomainEvent) -> None:
    """Write `event` to the outbox. Call it inside the transaction of the change it describes."""
    await OutboxEvent.insert(
        OutboxEvent(
            event_id=event.id,
            topic=event.topic,
            aggregate=event.aggregate,
            aggregate_id=event.aggregate_id,
            payload=event.payload(),
            occurred_at=event.occurred_at,
        )
    )


def event_from_row(row: dict[str, Any]) -> DomainEvent:
    """The event an outbox row holds (its payload loaded as JSON); `UnknownTopic` if no class declares it."""
    return event_class(row["topic"]).from_payload(row["payload"], id=row["event_id"], occurred_at=row["occurred_at"])


async def load_event(outbox_id: int) -> DomainEvent:
    row = await OutboxEvent.select().where(OutboxEvent.id == outbox_id).output(load_json=True).first()
    if row is None:
        raise LookupError(f"no outbox event {outbox_id}")
    return event_from_row(row)


# --- For admins (the admin page comes later; these are its services) ------------------------------------------


@dataclass(frozen=True)
class DeadLetter:
    delivery_id: int
    event_id: str
    topic: str
    aggregate: str
    aggregate_id: str
    subscriber: str
    attempts: int
    last_error: str | None
    occurred_at: datetime


async def dead_letters(*, subscriber: str | None = None, limit: int = 100) -> list[DeadLetter]:
    """Deliveries that gave up, newest event first."""
    query = EventDelivery.select(
        EventDelivery.id,
        EventDelivery.event.event_id.as_alias("event_id"),
        EventDelivery.event.topic.as_alias("topic"),
        EventDelivery.event.aggregate.as_alias("aggregate"),
        EventDelivery.event.aggregate_id.as_alias("aggregate_id"),
        EventDelivery.event.occurred_at.as_alias("occurred_at"),
        EventDelivery.subscriber,
        EventDelivery.attempts,
        EventDelivery.last_error,
    ).where(EventDelivery.status == DeliveryStatus.dead)
    if subscriber is not None:
        query = query.where(EventDelivery.subscriber == subscriber)
    rows = await query.order_by(EventDelivery.event, ascending=False).limit(limit)
    return [
        DeadLetter(
            delivery_id=row["id"],
            event_id=str(row["event_id"]),
            topic=row["topic"],
            aggregate=row["aggregate"],
            aggregate_id=row["aggregate_id"],
            subscriber=row["subscriber"],
            attempts=row["attempts"],
            last_error=row["last_error"],
            occurred_at=row["occurred_at"],
        )
        for row in rows
    ]


async def retry(delivery_id: int) -> bool:
    """Try a dead delivery again, now, with a fresh allowance of attempts. False if it is not dead."""
    changed = await (
        _back_to_pending()
        .where((EventDelivery.id == delivery_id) & (EventDelivery.status == DeliveryStatus.dead))
        .returning(EventDelivery.id)
    )
    return bool(changed)


async def retry_dead(*, subscriber: str | None = None) -> int:
    """`retry` every dead delivery (of one subscriber, or all); how many."""
    condition: Any = EventDelivery.status == DeliveryStatus.dead
    if subscriber is not None:
        condition &= EventDelivery.subscriber == subscriber
    return len(await _back_to_pending().where(condition).returning(EventDelivery.id))


async def replay(event_id: str, *, subscriber: str | None = None) -> int:
    """Deliver an event again, delivered or dead (after fixing a plugin, say), to one subscriber or to all.

    A delivery in progress is left alone. Returns how many deliveries were queued again.
    """
    outbox_id = await OutboxEvent.select(OutboxEvent.id).where(OutboxEvent.event_id == event_id).first()
    if outbox_id is None:
        return 0
    condition: Any = (EventDelivery.event == outbox_id["id"]) & EventDelivery.status.is_in(
        [DeliveryStatus.delivered, DeliveryStatus.dead]
    )
    if subscriber is not None:
        condition &= EventDelivery.subscriber == subscriber
    return len(await _back_to_pending().where(condition).returning(EventDelivery.id))


async def delivery_counts() -> dict[str, Counter[str]]:
    """Per subscriber, how many deliveries are in each status."""
    rows = await EventDelivery.select(EventDelivery.subscriber, EventDelivery.status, Count(alias="count")).group_by(
        EventDelivery.subscriber, EventDelivery.status
    )
    counts: dict[str, Counter[str]] = {}
    for row in rows:
        counts.setdefault(row["subscriber"], Counter())[row["status"]] = row["count"]
    return counts


def _back_to_pending() -> Any:
    return EventDelivery.update(
        {
            EventDelivery.status: DeliveryStatus.pending,
            EventDelivery.attempts: 0,
            EventDelivery.next_attempt_at: datetime.now(UTC),
            EventDelivery.delivered_at: None,
        }
    )
