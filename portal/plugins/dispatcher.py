"""The dispatcher: delivers outbox events to every subscriber, each on its own, until each is delivered or dead.

A subscriber is a registered plugin that implements `portal_handle_event`, known by its plugin name. The
dispatcher runs in each web process by default (a background task of the app) and in any number of
`portal worker` processes; they share the work through the database.

One round (`dispatch_once`):

1. Fan out: events not yet fanned out get one `EventDelivery` row per subscriber of this process, and are
   marked, in one transaction. Rows are created here rather than by `outbox.record`, so a service records an
   event without knowing the plugins; an event is fanned out to the subscribers there are when it is first
   seen, so every process should run the same plugins. On PostgreSQL, dispatchers skip each other's events
   (`FOR UPDATE SKIP LOCKED`); a unique key per (event, subscriber) makes a second row impossible anyway.
2. Deliver what is due, oldest event first. A delivery waits while an earlier event of the same aggregate is
   not yet delivered or dead for the same subscriber (or not yet fanned out): order per aggregate. A delivery
   is claimed by a conditional UPDATE (status `delivering`, one more attempt, `next_attempt_at` pushed past the
   handler timeout), which only one dispatcher can win; PostgreSQL also skips rows another dispatcher has
   locked. A dispatcher killed mid-delivery leaves the claim to expire, and another delivers the event then:
   at least once, never twice at the same time.
3. A handler that raises, or runs past `plugins.handler_timeout`, is retried after an exponential backoff with
   jitter; after `plugins.outbox_max_attempts` tries the delivery is dead until an admin retries or replays it
   (`portal.plugins.outbox`).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from portal.db import engine as db_engine
from portal.db.tables import DeliveryStatus, EventDelivery, OutboxEvent
from portal.plugins.handle import Portal
from portal.plugins.manager import call_plugin
from portal.plugins.outbox import load_event

log = structlog.get_logger("portal.dispatcher")

HOOK = "portal_handle_event"
MAX_PAUSE = 60.0  # seconds between rounds while the database fails
CLAIM_MARGIN = timedelta(seconds=30)  # beyond the handler timeout, before a claim counts as abandoned
UNFINISHED = [DeliveryStatus.pending.value, DeliveryStatus.delivering.value]

# Due deliveries, oldest event first, leaving out any that must wait for an earlier event of the same
# aggregate: one not yet finished for the same subscriber, or not yet fanned out. (Piccolo's query builder
# has no correlated subqueries; this SQL runs unchanged on SQLite and PostgreSQL.)
DUE_SQL = """
SELECT d.id, d.event AS outbox_id
FROM event_delivery d JOIN outbox_event e ON e.id = d.event
WHERE d.status IN ({}, {}) AND d.next_attempt_at <= {} AND d.subscriber IN ({subscribers})
  AND NOT EXISTS (
    SELECT 1 FROM event_delivery d2 JOIN outbox_event e2 ON e2.id = d2.event
    WHERE d2.subscriber = d.subscriber AND e2.aggregate = e.aggregate AND e2.aggregate_id = e.aggregate_id
      AND e2.id < e.id AND d2.status IN ({}, {}))
  AND NOT EXISTS (
    SELECT 1 FROM outbox_event e3
    WHERE e3.aggregate = e.aggregate AND e3.aggregate_id = e.aggregate_id AND e3.id < e.id
      AND e3.fanned_out_at IS NULL)
ORDER BY d.event, d.id
LIMIT {}
"""


@dataclass(frozen=True)
class DispatchReport:
    fanned_out: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0

    @property
    def busy(self) -> bool:
        return bool(self.fanned_out or self.delivered or self.failed or self.dead)

    def __add__(self, other: DispatchReport) -> DispatchReport:
        return DispatchReport(
            self.fanned_out + other.fanned_out,
            self.delivered + other.delivered,
            self.failed + other.failed,
            self.dead + other.dead,
        )


def backoff(attempts: int, *, base: float, cap: float, rng: random.Random | None = None) -> timedelta:
    """Delay after the `attempts`-th failure: `base`, doubling, at most `cap`, then a random half of it taken
    off, so that deliveries failing together (a plugin's service down) do not all retry at the same moment."""
    delay = min(cap, base * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=(rng or random).uniform(delay / 2, delay))


class Dispatcher:
    def __init__(self, portal: Portal, *, batch_size: int = 50) -> None:
        self.portal = portal
        self.config = portal.settings.plugins
        self.batch_size = batch_size
        self.claim_for = timedelta(seconds=self.config.handler_timeout) + CLAIM_MARGIN

    def subscribers(self) -> list[str]:
        return self.portal.plugins.implementers(HOOK)

    async def dispatch_once(self) -> DispatchReport:
        fanned_out = await self.fan_out()
        return DispatchReport(fanned_out=fanned_out) + await self.deliver_due()

    async def drain(self, max_rounds: int = 100) -> DispatchReport:
        """Rounds until one finds nothing to do: everything due now is delivered, retried later, or dead."""
        total = DispatchReport()
        for _ in range(max_rounds):
            report = await self.dispatch_once()
            total += report
            if not report.busy:
                break
        return total

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Dispatch until `stop` is set (or the task is cancelled); a failed round is logged and tried again."""
        stop = stop or asyncio.Event()
        pause = self.config.poll_interval
        while not stop.is_set():
            try:
                report = await self.dispatch_once()
            except Exception:  # a database outage must not end the loop; the next round tries again, later
                log.exception("event dispatch round failed")
                pause = min(pause * 2, MAX_PAUSE)
            else:
                pause = self.config.poll_interval
                if report.busy:
                    continue
            with contextlib.suppress(TimeoutError):  # not `wait_for`: see `Mailer.run`
                async with asyncio.timeout(pause):
                    await stop.wait()

    # --- Fan-out ---------------------------------------------------------------------------------------------

    async def fan_out(self) -> int:
        """Create this process's subscribers' deliveries for events not fanned out yet; how many events."""
        waiting = OutboxEvent.fanned_out_at.is_null()
        if not await OutboxEvent.exists().where(waiting):  # the usual answer, without taking a write lock
            return 0
        subscribers = self.subscribers()
        engine = _engine()
        async with db_engine.write_transaction(engine):
            query = (
                OutboxEvent.select(OutboxEvent.id, OutboxEvent.event_id)
                .where(waiting)
                .order_by(OutboxEvent.id)
                .limit(self.batch_size)
            )
            if not db_engine.is_sqlite(engine):
                query = query.lock_rows("UPDATE", skip_locked=True)
            events = await query
            if not events:
                return 0
            if subscribers:
                deliveries = [
                    EventDelivery(event=row["id"], subscriber=name, key=f"{row['event_id']}:{name}")
                    for row in events
                    for name in subscribers
                ]
                await EventDelivery.insert(*deliveries).on_conflict(action="DO NOTHING")
            await OutboxEvent.update({OutboxEvent.fanned_out_at: datetime.now(UTC)}).where(
                OutboxEvent.id.is_in([row["id"] for row in events])
            )
        return len(events)

    # --- Delivery --------------------------------------------------------------------------------------------

    async def deliver_due(self) -> DispatchReport:
        subscribers = self.subscribers()
        if not subscribers:
            return DispatchReport()
        due = await EventDelivery.raw(
            DUE_SQL.replace("{subscribers}", ", ".join("{}" for _ in subscribers)),
            *UNFINISHED,
            datetime.now(UTC),
            *subscribers,
            *UNFINISHED,
            self.batch_size,
        )
        report = DispatchReport()
        for row in due:
            claimed = await self._claim(row["id"])
            if claimed is not None:
                report += await self._deliver(claimed, row["outbox_id"])
        return report

    async def _claim(self, delivery_id: int) -> dict[str, Any] | None:
        """Take one delivery for this dispatcher, or None when another dispatcher has it."""
        engine = _engine()
        now = datetime.now(UTC)
        claimable = (
            (EventDelivery.id == delivery_id)
            & EventDelivery.status.is_in(UNFINISHED)
            & (EventDelivery.next_attempt_at <= now)
        )
        async with db_engine.write_transaction(engine):
            if not db_engine.is_sqlite(engine):
                locked = EventDelivery.select(EventDelivery.id).where(claimable)
                if not await locked.lock_rows("UPDATE", skip_locked=True):
                    return None  # another dispatcher holds it, or it is no longer due
            claimed = await (
                EventDelivery.update(
                    {
                        EventDelivery.status: DeliveryStatus.delivering,
                        EventDelivery.attempts: EventDelivery.attempts + 1,
                        EventDelivery.next_attempt_at: now + self.claim_for,
                    }
                )
                .where(claimable)
                .returning(EventDelivery.id, EventDelivery.subscriber, EventDelivery.attempts)
            )
        return claimed[0] if claimed else None

    async def _deliver(self, claimed: dict[str, Any], outbox_id: int) -> DispatchReport:
        subscriber = claimed["subscriber"]
        try:
            event = await load_event(outbox_id)
            async with asyncio.timeout(self.config.handler_timeout):
                await call_plugin(self.portal.plugins, subscriber, HOOK, event=event, portal=self.portal)
        except TimeoutError as exc:
            self.portal.plugins.record_failure(subscriber, HOOK, exc)
            return await self._failed(claimed, f"timed out after {self.config.handler_timeout:g} s")
        except Exception as exc:  # the plugin's failure: counted by call_plugin, retried here
            return await self._failed(claimed, f"{type(exc).__name__}: {exc}")
        await self._finish(
            claimed,
            {
                EventDelivery.status: DeliveryStatus.delivered,
                EventDelivery.delivered_at: datetime.now(UTC),
                EventDelivery.last_error: None,
            },
        )
        return DispatchReport(delivered=1)

    async def _failed(self, claimed: dict[str, Any], error: str) -> DispatchReport:
        attempts = claimed["attempts"]
        if attempts >= self.config.outbox_max_attempts:
            log.error("event delivery dead", subscriber=claimed["subscriber"], attempts=attempts, error=error)
            await self._finish(claimed, {EventDelivery.status: DeliveryStatus.dead, EventDelivery.last_error: error})
            return DispatchReport(failed=1, dead=1)
        retry_at = datetime.now(UTC) + backoff(
            attempts, base=self.config.retry_seconds, cap=self.config.retry_max_seconds
        )
        log.warning("event delivery failed; will retry", subscriber=claimed["subscriber"], error=error)
        await self._finish(
            claimed,
            {
                EventDelivery.status: DeliveryStatus.pending,
                EventDelivery.next_attempt_at: retry_at,
                EventDelivery.last_error: error,
            },
        )
        return DispatchReport(failed=1)

    async def _finish(self, claimed: dict[str, Any], values: dict[Any, Any]) -> None:
        # Only while the claim is still ours: a dispatcher that overran its claim must not overwrite the newer one.
        await EventDelivery.update(values).where(
            (EventDelivery.id == claimed["id"])
            & (EventDelivery.status == DeliveryStatus.delivering)
            & (EventDelivery.attempts == claimed["attempts"])
        )


def _engine() -> db_engine.Engine:
    engine = db_engine.current()
    assert engine is not None, "the database is bound by create_app or the command"
    return engine
