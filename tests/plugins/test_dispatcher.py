"""Delivering outbox events to plugins: at least once, in order per aggregate, with retries and a dead letter.

Time is moved by setting `next_attempt_at` (`make_due`), never by sleeping.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from litestar import Litestar

from portal.db.tables import DeliveryStatus, EventDelivery, OutboxEvent
from portal.plugins import hookimpl, outbox
from portal.plugins.dispatcher import backoff
from portal.plugins.events import DomainEvent
from portal.settings import PluginSettings, Settings
from tests.harness import running
from tests.plugins.conftest import dispatcher_for, make_due
from tests.plugins.sample import CaseNoted, Recorder

pytestmark = pytest.mark.usefixtures("migrated_database")


async def statuses() -> list[tuple[str, str, int]]:
    rows = await EventDelivery.select(EventDelivery.subscriber, EventDelivery.status, EventDelivery.attempts).order_by(
        EventDelivery.id
    )
    return [(row["subscriber"], row["status"], row["attempts"]) for row in rows]


async def test_hook_portal_handle_event_delivers_each_event_to_every_subscriber(settings: Settings) -> None:
    erp, loyalty = Recorder(), Recorder()
    dispatcher = dispatcher_for(settings, erp=erp, loyalty=loyalty)
    first, second = CaseNoted(case_id=1, note="first"), CaseNoted(case_id=2, note="second")
    await outbox.record(first)
    await outbox.record(second)

    report = await dispatcher.drain()
    assert (report.fanned_out, report.delivered, report.failed) == (2, 4, 0)
    assert erp.events == [first, second]
    assert loyalty.events == [first, second]
    assert {status for _, status, _ in await statuses()} == {"delivered"}
    assert not (await dispatcher.drain()).busy  # delivered means done
    assert erp.calls == 2


async def test_hook_portal_handle_event_sync_handlers_and_the_portal_handle(settings: Settings) -> None:
    seen: list[tuple[str, object]] = []

    class Sync:
        @hookimpl
        def portal_handle_event(self, event: DomainEvent, portal: object) -> None:
            seen.append((event.topic, portal))

    dispatcher = dispatcher_for(settings, sync=Sync())
    await outbox.record(CaseNoted(case_id=1))
    await dispatcher.drain()
    assert seen == [("test.case_noted", dispatcher.portal)]


async def test_events_with_no_subscriber_are_fanned_out_to_nobody(settings: Settings) -> None:
    await outbox.record(CaseNoted(case_id=1))
    report = await dispatcher_for(settings).drain()
    assert report.fanned_out == 1
    assert await EventDelivery.count() == 0
    assert await OutboxEvent.count().where(OutboxEvent.fanned_out_at.is_null()) == 0


async def test_a_handler_failing_twice_is_delivered_exactly_once_after_retries(outbox_settings: Settings) -> None:
    erp = Recorder(failures=2)
    dispatcher = dispatcher_for(outbox_settings, erp=erp)
    event = CaseNoted(case_id=1)
    await outbox.record(event)

    assert (await dispatcher.drain()).failed == 1
    [row] = await EventDelivery.select()
    assert (row["status"], row["attempts"], row["last_error"]) == ("pending", 1, "ConnectionError: ERP is down")
    assert row["next_attempt_at"] >= datetime.now(UTC) + timedelta(seconds=29)  # 60 s, less up to half of jitter
    assert not (await dispatcher.drain()).busy  # not due yet: no hammering a service that is down

    await make_due()
    assert (await dispatcher.drain()).failed == 1
    await make_due()
    assert (await dispatcher.drain()).delivered == 1
    assert erp.events == [event]
    assert erp.calls == 3
    assert await statuses() == [("erp", "delivered", 3)]
    await make_due()
    assert not (await dispatcher.drain()).busy
    assert dispatcher.portal.plugins.health["erp"].failures == 2


async def test_dead_letter_after_the_most_attempts_then_an_admin_retries(outbox_settings: Settings) -> None:
    erp = Recorder(failures=100)
    dispatcher = dispatcher_for(outbox_settings, erp=erp)
    event = CaseNoted(case_id=1)
    await outbox.record(event)
    for _ in range(3):
        await dispatcher.drain()
        await make_due()
    assert await statuses() == [("erp", "dead", 3)]
    assert not (await dispatcher.drain()).busy  # dead stays dead
    assert erp.calls == 3

    [letter] = await outbox.dead_letters()
    assert (letter.event_id, letter.topic, letter.subscriber) == (str(event.id), "test.case_noted", "erp")
    assert letter.last_error == "ConnectionError: ERP is down"
    erp.failures = 0  # the ERP is back
    assert await outbox.retry(letter.delivery_id)
    assert not await outbox.retry(letter.delivery_id)  # pending now, not dead
    assert (await dispatcher.drain()).delivered == 1
    assert erp.events == [event]
    assert await statuses() == [("erp", "delivered", 1)]
    assert await outbox.dead_letters() == []


async def test_retry_dead_for_one_subscriber(outbox_settings: Settings) -> None:
    erp, crm = Recorder(failures=100), Recorder(failures=100)
    dispatcher = dispatcher_for(outbox_settings, erp=erp, crm=crm)
    await outbox.record(CaseNoted(case_id=1))
    for _ in range(3):
        await dispatcher.drain()
        await make_due()
    assert await outbox.retry_dead(subscriber="erp") == 1
    assert sorted(await statuses()) == [("crm", "dead", 3), ("erp", "pending", 0)]
    assert await outbox.retry_dead() == 1


async def test_replay_delivers_an_event_again(settings: Settings) -> None:
    erp, crm = Recorder(), Recorder()
    dispatcher = dispatcher_for(settings, erp=erp, crm=crm)
    event = CaseNoted(case_id=1)
    await outbox.record(event)
    await dispatcher.drain()

    assert await outbox.replay(str(event.id), subscriber="erp") == 1
    assert (await dispatcher.drain()).delivered == 1
    assert erp.events == [event, event]  # the same event, same id: handlers can tell a replay
    assert crm.events == [event]
    assert await outbox.replay(str(event.id)) == 2
    assert await outbox.replay("00000000-0000-0000-0000-000000000000") == 0


async def test_events_of_one_aggregate_are_delivered_in_order(outbox_settings: Settings) -> None:
    erp = Recorder(failures=1)  # the first event fails once
    dispatcher = dispatcher_for(outbox_settings, erp=erp)
    a1, a2, b1, a3 = CaseNoted(case_id=1), CaseNoted(case_id=1), CaseNoted(case_id=2), CaseNoted(case_id=1)
    for event in (a1, a2, b1, a3):
        await outbox.record(event)

    await dispatcher.drain()
    assert erp.events == [b1]  # case 1 waits for its first event; case 2 goes on
    await make_due()
    await dispatcher.drain()
    assert erp.events == [b1, a1, a2, a3]


async def test_a_dead_event_no_longer_holds_up_its_aggregate(outbox_settings: Settings) -> None:
    class FailsFirstNote(Recorder):
        @hookimpl
        async def portal_handle_event(self, event: DomainEvent, portal: object) -> None:
            assert isinstance(event, CaseNoted)
            if event.note == "poison":
                raise ValueError("cannot parse")
            self.events.append(event)

    erp = FailsFirstNote()
    dispatcher = dispatcher_for(outbox_settings, erp=erp)
    poison, after = CaseNoted(case_id=1, note="poison"), CaseNoted(case_id=1, note="after")
    await outbox.record(poison)
    await outbox.record(after)
    for _ in range(3):
        await dispatcher.drain()
        assert erp.events in ([], [after])
        await make_due()
    await dispatcher.drain()
    assert erp.events == [after]
    assert [status for _, status, _ in await statuses()] == ["dead", "delivered"]


async def test_a_handler_running_past_its_timeout_is_retried(settings_factory) -> None:  # type: ignore[no-untyped-def]
    never = asyncio.Event()

    class Hangs:
        @hookimpl
        async def portal_handle_event(self) -> None:
            await never.wait()

    settings = settings_factory(plugins=PluginSettings(handler_timeout=0.05))
    dispatcher = dispatcher_for(settings, hangs=Hangs())
    await outbox.record(CaseNoted(case_id=1))
    assert (await dispatcher.drain()).failed == 1
    [row] = await EventDelivery.select()
    assert (row["status"], row["last_error"]) == ("pending", "timed out after 0.05 s")
    assert dispatcher.portal.plugins.health["hangs"].failures == 1


def test_backoff_doubles_with_jitter_up_to_a_cap() -> None:
    rng = random.Random(8)
    delays = [backoff(attempt, base=30, cap=3600, rng=rng).total_seconds() for attempt in range(1, 10)]
    for attempt, delay in enumerate(delays, start=1):
        full = min(3600, 30 * 2 ** (attempt - 1))
        assert full / 2 <= delay <= full
    assert len({backoff(3, base=30, cap=3600, rng=rng) for _ in range(5)}) > 1  # jittered


class Tracking:
    """Counts deliveries per event, and catches two deliveries of one event at the same time."""

    def __init__(self) -> None:
        self.in_flight: set[object] = set()
        self.overlaps = 0
        self.delivered: Counter[object] = Counter()

    @hookimpl
    async def portal_handle_event(self, event: DomainEvent) -> None:
        if event.id in self.in_flight:
            self.overlaps += 1
        self.in_flight.add(event.id)
        for _ in range(3):
            await asyncio.sleep(0)  # give the other dispatchers every chance to take the same event
        self.in_flight.discard(event.id)
        self.delivered[event.id] += 1


async def deliver_concurrently(settings: Settings, *, dispatchers: int, events: int) -> list[int]:
    """Deliver with several dispatchers at once; how many deliveries each made."""
    tracker = Tracking()
    workers = [dispatcher_for(settings, tracker=tracker) for _ in range(dispatchers)]
    recorded = [CaseNoted(case_id=number % 7) for number in range(events)]
    for event in recorded:
        await outbox.record(event)
    shares = [0] * dispatchers
    for _ in range(20):
        reports = await asyncio.gather(*(worker.drain() for worker in workers))
        shares = [share + report.delivered for share, report in zip(shares, reports, strict=True)]
        if await EventDelivery.count().where(EventDelivery.status != DeliveryStatus.delivered) == 0:
            break
    assert tracker.overlaps == 0
    assert tracker.delivered == Counter({event.id: 1 for event in recorded})
    assert await EventDelivery.count() == events
    return shares


async def test_two_dispatchers_never_deliver_an_event_twice(settings: Settings) -> None:
    await deliver_concurrently(settings, dispatchers=2, events=12)


@pytest.mark.postgres
async def test_dispatchers_on_postgresql_share_the_work_without_delivering_twice(
    settings: Settings, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PORTAL_TEST_DATABASE_URL on PostgreSQL")
    shares = await deliver_concurrently(settings, dispatchers=3, events=40)
    assert sum(share > 0 for share in shares) >= 2


async def test_the_app_dispatches_in_the_background(settings_factory, migrated_database: str) -> None:  # type: ignore[no-untyped-def]
    from portal.app import create_app

    app: Litestar = create_app(settings_factory(plugins=PluginSettings(poll_interval=0.02)))
    erp = Recorder()
    app.state.plugins.register(erp, name="erp")
    event = CaseNoted(case_id=1)
    async with running(app):
        await outbox.record(event)
        async with asyncio.timeout(10):
            await erp.received.wait()
    assert erp.events == [event]


async def test_the_background_dispatcher_can_be_turned_off(settings_factory, migrated_database: str) -> None:  # type: ignore[no-untyped-def]
    from portal.app import create_app

    def dispatching() -> int:
        return sum(task.get_coro().__qualname__ == "Dispatcher.run" for task in asyncio.all_tasks())  # type: ignore[union-attr]

    async with running(create_app(settings_factory())):
        assert dispatching() == 1
    async with running(create_app(settings_factory(plugins=PluginSettings(dispatcher=False)))):
        assert dispatching() == 0  # `portal worker` processes deliver instead
