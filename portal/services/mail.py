"""Email: compose in the recipient's language, queue in the caller's transaction, deliver later with retries.

Whatever action causes an email commits first and never waits for SMTP: `send()` only adds a row to the
outbox. `deliver_due()` sends what is due, and on failure schedules another try with a growing delay, so an
SMTP outage delays email but loses none. Several processes may deliver at once; each row is claimed by one.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiosmtplib
import jinja2
import structlog

from portal import i18n
from portal.db.tables import OutboundEmail
from portal.settings import CaseSettings, MailSettings, Settings

log = structlog.get_logger("portal.mail")

TEMPLATES = Path(__file__).parent.parent / "emails" / "templates"
CLAIM_SECONDS = 300  # a claimed email whose sender died is tried again after this
MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    message_id: str
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeliveryReport:
    sent: int
    failed: int


def backoff(attempts: int) -> timedelta:
    """One minute after the first failure, doubling, at most an hour: retried until it goes through."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _environment(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=autoescape,  # noqa: S701  (off only for the plain-text part)
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        keep_trailing_newline=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    return env


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.config: MailSettings = settings.mail
        self.public_url = settings.public_url.rstrip("/")
        self.domain = urlsplit(self.public_url).hostname or "localhost"
        self.cases: CaseSettings = settings.cases  # case emails quote its limits (days left to reopen)
        self.text_templates = _environment(autoescape=False)
        self.html_templates = _environment(autoescape=True)
        self.wakeup = asyncio.Event()

    def compose(
        self,
        template: str,
        *,
        to: str,
        locale: str,
        context: dict[str, Any],
        references: Iterable[str] = (),
        message_id: str | None = None,
    ) -> Email:
        """`message_id`: a chosen, stable id (the first email of a thread, which later ones refer to)."""
        values = {"public_url": self.public_url, "locale": locale, **context}
        with i18n.using_locale(locale):
            first_line, _, text = self.text_templates.get_template(f"{template}.txt").render(values).partition("\n")
            subject = first_line.removeprefix("Subject:").strip()
            html = self.html_templates.get_template(f"{template}.html").render(values | {"subject": subject})
        return Email(
            to=to,
            subject=subject,
            text=text.lstrip("\n"),
            html=html,
            message_id=message_id or f"<{uuid.uuid4().hex}@{self.domain}>",
            references=tuple(references),
        )

    async def send(
        self,
        template: str,
        *,
        to: str,
        locale: str,
        context: dict[str, Any],
        references: Iterable[str] = (),
        message_id: str | None = None,
    ) -> Email:
        """Queue an email; it commits (or rolls back) with the caller's transaction."""
        email = self.compose(
            template, to=to, locale=locale, context=context, references=references, message_id=message_id
        )
        await OutboundEmail.insert(
            OutboundEmail(
                to_address=email.to,
                subject=email.subject,
                text_body=email.text,
                html_body=email.html,
                message_id=email.message_id,
                references=" ".join(email.references) or None,
            )
        )
        self.wakeup.set()
        return email

    async def deliver_due(self, limit: int = 20) -> DeliveryReport:
        """Send the emails that are due. Does nothing while no SMTP server is configured."""
        if not self.config.host:
            return DeliveryReport(sent=0, failed=0)
        now = datetime.now(UTC)
        due = await (
            OutboundEmail.select(OutboundEmail.id)
            .where(OutboundEmail.status.is_in(["pending", "sending"]) & (OutboundEmail.next_attempt_at <= now))
            .order_by(OutboundEmail.next_attempt_at)
            .limit(limit)
        )
        sent = failed = 0
        for row in due:
            email = await self._claim(row["id"], now)
            if email is None:
                continue  # another process took it
            try:
                await self._transmit(email)
            except (aiosmtplib.SMTPException, OSError) as exc:
                failed += 1
                await self._reschedule(email, str(exc))
            else:
                sent += 1
                await OutboundEmail.update(
                    {
                        OutboundEmail.status: "sent",
                        OutboundEmail.sent_at: datetime.now(UTC),
                        OutboundEmail.last_error: None,
                    }
                ).where(OutboundEmail.id == email["id"])
        return DeliveryReport(sent=sent, failed=failed)

    async def run(self, interval: float = 30.0) -> None:
        """Deliver in the background: at once when something is queued, and every `interval` for retries."""
        while True:
            try:
                await self.deliver_due()
            except Exception:  # a broken database must not end the loop; the next round tries again
                log.exception("email delivery round failed")
            # `asyncio.timeout`, not `wait_for`: before Python 3.12 `wait_for` can swallow a cancellation that
            # arrives as the event is set, and the loop would then outlive the app that cancelled it.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval):
                    await self.wakeup.wait()
            self.wakeup.clear()

    async def _claim(self, email_id: int, now: datetime) -> dict[str, Any] | None:
        claimed = await (
            OutboundEmail.update(
                {
                    OutboundEmail.status: "sending",
                    OutboundEmail.attempts: OutboundEmail.attempts + 1,
                    OutboundEmail.next_attempt_at: now + timedelta(seconds=CLAIM_SECONDS),
                }
            )
            .where(
                (OutboundEmail.id == email_id)
                & OutboundEmail.status.is_in(["pending", "sending"])
                & (OutboundEmail.next_attempt_at <= now)
            )
            .returning(*OutboundEmail.all_columns())
        )
        return claimed[0] if claimed else None

    async def _transmit(self, email: dict[str, Any]) -> None:
        message = EmailMessage()
        message["From"] = self.config.from_address
        message["To"] = email["to_address"]
        message["Subject"] = email["subject"]
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = email["message_id"]
        if email["references"]:
            message["References"] = email["references"]
            message["In-Reply-To"] = email["references"].split()[-1]
        message.set_content(email["text_body"])
        message.add_alternative(email["html_body"], subtype="html")
        password = self.config.password.get_secret_value() if self.config.password else None
        await aiosmtplib.send(
            message,
            hostname=self.config.host,
            port=self.config.port,
            username=self.config.username or None,
            password=password,
            use_tls=self.config.security == "tls",
            start_tls=self.config.security == "starttls",
            timeout=self.config.timeout,
        )

    async def _reschedule(self, email: dict[str, Any], error: str) -> None:
        retry_at = datetime.now(UTC) + backoff(email["attempts"])
        log.warning("email not sent; will retry", to=email["to_address"], error=error, retry_at=retry_at.isoformat())
        await OutboundEmail.update(
            {OutboundEmail.status: "pending", OutboundEmail.next_attempt_at: retry_at, OutboundEmail.last_error: error}
        ).where(OutboundEmail.id == email["id"])
