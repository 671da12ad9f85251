"""`portal check`: what the configuration says, and whether what it points at is reachable and safe."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from enum import Enum
from urllib.parse import urlsplit, urlunsplit

from portal.db import engine as db_engine
from portal.settings import ConfigurationError, Settings


class Severity(Enum):
    ok = "ok"
    warning = "warning"
    error = "error"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    message: str


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def summarise(settings: Settings) -> dict[str, str]:
    return {
        "mode": settings.mode,
        "public URL": settings.public_url,
        "data directory": str(settings.data_dir.resolve()),
        "database": redact_url(settings.database_url),
        "sessions and rate limits": redact_url(settings.redis.url) if settings.redis.url else "files in data directory",
        "secret key": "set" if settings.security.secret_key else "not set",
        "secure cookies": "yes" if settings.cookie_secure else "no",
        "mail server": f"{settings.mail.host}:{settings.mail.port}" if settings.mail.host else "not set",
        "server": f"{settings.server.server} on {settings.server.host}:{settings.server.port}, "
        f"{settings.server.workers} worker(s)",
        "languages": f"en, el (default {settings.i18n.default_locale}); time zone {settings.i18n.timezone}",
    }


async def run_checks(settings: Settings) -> tuple[list[Finding], dict[str, str]]:
    findings = [*_static_findings(settings), await _database_finding(settings), await _redis_finding(settings)]
    return [finding for finding in findings if finding is not None], summarise(settings)


def _static_findings(settings: Settings) -> list[Finding]:
    findings: list[Finding] = []
    try:
        settings.secret_key()
    except ConfigurationError as exc:
        findings.append(Finding(Severity.error, str(exc)))
    if settings.is_demo:
        findings.append(
            Finding(Severity.warning, "Demo mode: secrets are generated locally; never use it for real data.")
        )
        if settings.security.secret_key is None:
            findings.append(
                Finding(Severity.warning, "No secret key set; demo mode keeps a generated one in the data directory.")
            )
    elif not settings.uses_https:
        findings.append(Finding(Severity.warning, "public_url is not https: cookies travel unencrypted."))
    if not settings.mail.host and not settings.is_demo:
        findings.append(Finding(Severity.warning, "No mail server (PORTAL_MAIL__HOST): emails wait in the outbox."))
    if settings.debug:
        findings.append(Finding(Severity.warning, "Debug is on: error pages may reveal internals."))
    if settings.server.workers > 1 and settings.database_url.startswith("sqlite"):
        findings.append(Finding(Severity.ok, "Several workers share one SQLite file; writes are serialised."))
    return findings


async def _database_finding(settings: Settings) -> Finding:
    try:
        database = db_engine.bind(settings.database_url, sqlite_busy_timeout=settings.db.sqlite_busy_timeout)
        with contextlib.redirect_stdout(io.StringIO()):
            await db_engine.ping(database)
            pending = await db_engine.pending_migrations()
    except Exception as exc:  # reported, not raised: this command exists to describe failures
        return Finding(Severity.error, f"Database not reachable: {exc}")
    if pending:
        return Finding(Severity.error, f"{len(pending)} migration(s) not applied: run `portal migrate`.")
    return Finding(Severity.ok, "Database reachable, migrations applied.")


async def _redis_finding(settings: Settings) -> Finding | None:
    if not settings.redis.url:
        return None
    from redis.asyncio import Redis

    client = Redis.from_url(settings.redis.url)
    try:
        await client.ping()
    except Exception as exc:  # reported, not raised
        return Finding(Severity.error, f"Redis not reachable: {exc}")
    finally:
        await client.aclose()
    return Finding(Severity.ok, "Redis reachable.")
