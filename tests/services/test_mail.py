from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal.db.tables import OutboundEmail
from portal.services.mail import Mailer, backoff
from portal.settings import Settings
from tests.mail import SmtpServer, body

LINK = "http://testserver.local/verify/abc"


async def queue_verification(mailer: Mailer, to: str = "eleni@example.com", locale: str = "el") -> None:
    await mailer.send("verify_email", to=to, locale=locale, context={"name": "Ελένη", "link": LINK, "hours": 48})


async def test_queued_email_is_delivered_multipart_in_the_recipients_language(
    settings: Settings, migrated_database: str, smtp: SmtpServer
) -> None:
    mailer = Mailer(settings)
    await queue_verification(mailer)
    report = await mailer.deliver_due()
    assert (report.sent, report.failed) == (1, 0)

    [message] = smtp.wait_for("eleni@example.com")
    assert message["Subject"] == "Επιβεβαιώστε τη διεύθυνση email σας"
    assert message["Message-ID"].endswith("@testserver.local>")
    assert "Γεια σας Ελένη," in body(message, "plain")
    assert LINK in body(message, "plain")
    html = body(message, "html")
    assert f'href="{LINK}"' in html
    assert '<html lang="el">' in html
    row = await OutboundEmail.select(OutboundEmail.status, OutboundEmail.sent_at).first()
    assert row is not None
    assert row["status"] == "sent"
    assert row["sent_at"] is not None


async def test_names_are_escaped_in_html_but_not_in_text(
    settings: Settings, migrated_database: str, smtp: SmtpServer
) -> None:
    mailer = Mailer(settings)
    await mailer.send(
        "verify_email",
        to="x@example.com",
        locale="en",
        context={"name": "<b>Tom & Jerry</b>", "link": LINK, "hours": 1},
    )
    await mailer.deliver_due()
    [message] = smtp.wait_for("x@example.com")
    assert "Hello <b>Tom & Jerry</b>," in body(message, "plain")
    assert "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;" in body(message, "html")


async def test_smtp_outage_keeps_the_email_and_retries_it_later(
    settings: Settings, migrated_database: str, smtp: SmtpServer
) -> None:
    mailer = Mailer(settings)
    smtp.refuse = True
    await queue_verification(mailer, to="later@example.com")
    report = await mailer.deliver_due()
    assert (report.sent, report.failed) == (0, 1)
    row = await OutboundEmail.select().first()
    assert row is not None
    assert row["status"] == "pending"
    assert row["attempts"] == 1
    assert "Try again later" in row["last_error"]
    assert row["next_attempt_at"] > datetime.now(UTC) + timedelta(seconds=30)

    smtp.refuse = False
    assert (await mailer.deliver_due()).sent == 0  # not due yet: no hammering a struggling server
    await OutboundEmail.update({OutboundEmail.next_attempt_at: datetime.now(UTC)}).where(OutboundEmail.id == row["id"])
    assert (await mailer.deliver_due()).sent == 1
    assert len(smtp.wait_for("later@example.com")) == 1


async def test_two_senders_never_send_the_same_email_twice(
    settings: Settings, migrated_database: str, smtp: SmtpServer
) -> None:
    first, second = Mailer(settings), Mailer(settings)
    for number in range(5):
        await queue_verification(first, to=f"user{number}@example.com")
    import asyncio

    reports = await asyncio.gather(first.deliver_due(), second.deliver_due())
    assert sum(report.sent for report in reports) == 5
    for number in range(5):
        assert len(smtp.wait_for(f"user{number}@example.com")) == 1


def test_retry_delay_grows_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert backoff(30) == timedelta(hours=1)
