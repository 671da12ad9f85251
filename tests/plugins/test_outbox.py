"""Events are written to the outbox in the transaction of the change: both commit, or neither."""

from __future__ import annotations

import pytest

from portal.db import engine as db_engine
from portal.db.tables import Account, OutboxEvent, User
from portal.plugins import outbox
from portal.plugins.events import CustomerRegistered, UnknownTopic, event_class
from portal.services import registration
from portal.services.audit import Origin
from portal.services.mail import Mailer
from portal.settings import Settings
from tests.factories import make_account
from tests.plugins.sample import CaseNoted

pytestmark = pytest.mark.usefixtures("migrated_database")


class Abort(Exception):
    pass


def sign_up(email: str = "new@acme.example") -> registration.SignUp:
    return registration.SignUp(name="Nikos", email=email, password="a long enough password", locale="el")


async def test_the_event_commits_with_the_change() -> None:
    engine = db_engine.current()
    assert engine is not None
    async with db_engine.write_transaction(engine):
        account = await make_account(name="Kept")
        await outbox.record(CaseNoted(case_id=account.id, note="kept"))
    [row] = await OutboxEvent.select().output(load_json=True)
    assert (row["topic"], row["aggregate"], row["aggregate_id"]) == ("test.case_noted", "case", str(account.id))
    assert row["payload"] == {"case_id": account.id, "note": "kept"}
    assert row["fanned_out_at"] is None


async def test_the_event_disappears_with_a_rollback() -> None:
    async def change_then_fail() -> None:
        engine = db_engine.current()
        assert engine is not None
        async with db_engine.write_transaction(engine):
            await make_account(name="Rolled back")
            await outbox.record(CaseNoted(case_id=1, note="never happened"))
            assert await OutboxEvent.count() == 1  # there, inside the transaction
            raise Abort

    with pytest.raises(Abort):
        await change_then_fail()
    assert await Account.count() == 0
    assert await OutboxEvent.count() == 0


async def test_an_event_is_rebuilt_from_its_row_as_it_was_recorded() -> None:
    event = CaseNoted(case_id=7, note="Γεια σας")
    await outbox.record(event)
    row = await OutboxEvent.select().output(load_json=True).first()
    assert row is not None
    assert outbox.event_from_row(row) == event
    assert await outbox.load_event(row["id"]) == event


def test_unknown_topics_and_duplicate_topics_are_errors() -> None:
    with pytest.raises(UnknownTopic):
        event_class("no.such_topic")
    with pytest.raises(TypeError, match="declared by"):

        class Again(CaseNoted):
            topic = "customer.registered"


async def test_registering_records_customer_registered(settings: Settings) -> None:
    account = await make_account(domain="acme.example")
    await registration.register(sign_up(), settings=settings, mailer=Mailer(settings), origin=Origin())
    user = await User.select(User.id).where(User.email == "new@acme.example").first()
    assert user is not None
    [row] = await OutboxEvent.select().output(load_json=True)
    event = outbox.event_from_row(row)
    assert isinstance(event, CustomerRegistered)
    assert (event.topic, event.aggregate, event.aggregate_id) == ("customer.registered", "user", str(user["id"]))
    assert event == CustomerRegistered(
        user_id=user["id"], locale="el", likely_account_id=account.id, id=event.id, occurred_at=event.occurred_at
    )
    assert "new@acme.example" not in str(row["payload"])  # ids, not personal data


async def test_a_failed_registration_records_no_event(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    async def fail(*args: object, **kwargs: object) -> bool:
        raise Abort

    monkeypatch.setattr(registration, "send_verification", fail)
    with pytest.raises(Abort):
        await registration.register(sign_up(), settings=settings, mailer=Mailer(settings), origin=Origin())
    assert await User.count() == 0
    assert await OutboxEvent.count() == 0


async def test_a_taken_address_records_no_event(settings: Settings) -> None:
    mailer = Mailer(settings)
    await registration.register(sign_up(), settings=settings, mailer=mailer, origin=Origin())
    await registration.register(sign_up(), settings=settings, mailer=mailer, origin=Origin())
    assert await OutboxEvent.count() == 1
