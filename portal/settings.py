"""One `Settings` object: environment variables, then an optional `portal.toml`, then defaults.

Nothing here runs at import time. `Settings()` reads the environment when it is called, so a test can build
`Settings(db=DatabaseSettings(url=...))` and hand it to `create_app`.

Environment variables are `PORTAL_<FIELD>` for top-level fields and `PORTAL_<SECTION>__<FIELD>` for sections
(`PORTAL_MAIL__HOST`). The conventional `DATABASE_URL` and `REDIS_URL` are honoured too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

Mode = Literal["production", "demo"]


class Section(BaseModel):
    """A block of settings; a misspelled key is an error, not a silently ignored line."""

    model_config = ConfigDict(extra="forbid")


class DatabaseSettings(Section):
    url: str = Field(
        "",
        description="`sqlite:///path/to/file.sqlite3` or `postgresql://user@host:5432/name`. "
        "Empty means a SQLite file `portal.sqlite3` in the data directory. Env: `DATABASE_URL`.",
    )
    pool_min_size: int = Field(1, ge=1, description="PostgreSQL: connections opened at start-up per process.")
    pool_max_size: int = Field(
        10, ge=1, description="Most connections one process holds (SQLite: for queries outside transactions)."
    )
    sqlite_busy_timeout: float = Field(
        30.0, gt=0, description="SQLite: seconds a writer waits for the lock before it gives up."
    )


class RedisSettings(Section):
    url: str = Field(
        "",
        description="`redis://host:6379/0`. When set, sessions and rate limits live in Redis and are shared by "
        "every process and machine; when empty, in files under the data directory. Env: `REDIS_URL`.",
    )


class SecuritySettings(Section):
    secret_key: SecretStr | None = Field(
        None,
        description="Signs CSRF tokens and links. Required in production; demo mode generates one and keeps it "
        "in the data directory.",
    )
    session_max_age: int = Field(14 * 24 * 3600, gt=0, description="Seconds a session lives without activity.")
    cookie_secure: bool | None = Field(
        None, description="Send cookies over HTTPS only. Default: true when `public_url` is https."
    )
    login_rate_limit: int = Field(10, gt=0, description="Sign-in attempts allowed per IP address per minute.")
    form_rate_limit: int = Field(
        20, gt=0, description="Sign-ups, password-reset and verification-email requests per IP address per hour."
    )
    hsts: bool = Field(True, description="Send Strict-Transport-Security when `public_url` is https.")
    api_rate_limit: int = Field(300, gt=0, description="REST API requests allowed per API token per minute.")


class MailSettings(Section):
    host: str = Field("", description="SMTP server. Empty: emails wait in the outbox (staff can read them there).")
    port: int = Field(587, ge=1, le=65535, description="SMTP port.")
    username: str = Field("", description="SMTP user name, if the server wants one.")
    password: SecretStr | None = Field(None, description="SMTP password.")
    security: Literal["starttls", "tls", "none"] = Field(
        "starttls", description="`starttls` upgrades a plain connection, `tls` connects encrypted (port 465)."
    )
    from_address: str = Field("Portal <portal@localhost>", description="Sender of every email.")
    timeout: float = Field(20.0, gt=0, description="Seconds to wait for the SMTP server.")


class OidcProviderSettings(Section):
    name: str = Field(description="Short name used in URLs (`/auth/NAME/login`).", pattern=r"^[a-z0-9-]{1,30}$")
    label: str = Field(description="Text of the sign-in button, e.g. `Google`.")
    kind: Literal["oidc", "google", "microsoft", "github", "keycloak"] = Field(
        "oidc", description="`oidc` needs `discovery_url`; the others are presets."
    )
    client_id: str = Field(description="The client id the provider issued.")
    client_secret: SecretStr = Field(description="The client secret (put it in the environment, not the file).")
    discovery_url: str = Field("", description="OpenID Connect discovery document (kind `oidc`).")
    tenant: str = Field("", description="Microsoft: a tenant id, or `common`/`organizations` for multi-tenant.")
    allowed_tenants: list[str] = Field(default_factory=list, description="Microsoft multi-tenant: tenant ids let in.")
    keycloak_url: str = Field("", description="Keycloak: base URL, e.g. `https://id.example.com`.")
    keycloak_realm: str = Field("", description="Keycloak: realm name.")
    github_url: str = Field(
        "", description="GitHub Enterprise Server: base URL, e.g. `https://github.example.com`; empty: github.com."
    )

    @model_validator(mode="after")
    def _needs_what_its_kind_needs(self) -> OidcProviderSettings:
        missing = {
            "oidc": ["discovery_url"] if not self.discovery_url else [],
            "keycloak": [name for name in ("keycloak_url", "keycloak_realm") if not getattr(self, name)],
        }.get(self.kind, [])
        if missing:
            raise ValueError(f"provider {self.name!r} of kind {self.kind!r} needs {', '.join(missing)}")
        return self


class AuthSettings(Section):
    providers: list[OidcProviderSettings] = Field(
        default_factory=list, description="OAuth / OpenID Connect sign-in providers; buttons appear for these only."
    )

    @field_validator("providers")
    @classmethod
    def _names_are_unique(cls, providers: list[OidcProviderSettings]) -> list[OidcProviderSettings]:
        names = [provider.name for provider in providers]
        if len(set(names)) != len(names):
            raise ValueError("two providers share a name; each needs its own (it is part of their URLs)")
        return providers

    terms_version: str = Field("2026-11", description="Version of the terms and privacy notice users accept.")
    verify_email_hours: int = Field(48, gt=0, description="Hours an email verification link stays valid.")
    reset_password_minutes: int = Field(60, gt=0, description="Minutes a password reset link stays valid.")
    account_rate_limit: int = Field(
        30, gt=0, description="Sign-in attempts per account (email address) per hour, from any address."
    )
    email_rate_limit: int = Field(
        5, gt=0, description="Sign-up, password-reset and verification emails sent to one address per hour."
    )
    lockout_after: int = Field(8, gt=0, description="Failed sign-ins in a row before a temporary lockout.")
    lockout_minutes: int = Field(15, gt=0, description="Minutes an account stays locked after that.")
    idle_timeout_minutes: int = Field(
        120, gt=0, description="Minutes without activity that end a session (unless 'keep me signed in')."
    )
    absolute_timeout_hours: int = Field(24 * 30, gt=0, description="Hours after sign-in that end any session.")
    require_staff_2fa: bool = Field(False, description="Staff must use two-factor authentication.")


class I18nSettings(Section):
    default_locale: str = Field("en", description="Language when neither the visitor nor the browser says.")
    timezone: str = Field("Europe/Athens", description="Time zone dates are shown in (IANA name).")


class ServerSettings(Section):
    host: str = Field("127.0.0.1", description="Address `portal serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `portal serve` listens on.")
    workers: int = Field(1, ge=1, description="Server processes.")
    server: Literal["granian", "uvicorn"] = Field("granian", description="ASGI server `portal serve` runs.")


class SearchSettings(Section):
    index_dir: Path | None = Field(
        None, description="Directory of the knowledge-base search index. Empty: `search` in the data directory."
    )
    page_size: int = Field(10, ge=1, le=100, description="Search results per page.")
    suggestions: int = Field(8, ge=1, le=50, description="Words suggested as you type.")
    snippet_chars: int = Field(240, ge=40, description="Longest highlighted excerpt shown under a result.")
    write_timeout: float = Field(
        30.0, gt=0, description="Seconds an index update waits for another process's update to finish."
    )


class CaseSettings(Section):
    attachments_dir: Path | None = Field(
        None,
        description="Where case attachments are stored, outside the web root. Empty: `attachments` in the "
        "data directory.",
    )
    max_attachment_mb: float = Field(10.0, gt=0, description="Largest file a case message may carry, in MB.")
    max_attachments: int = Field(5, ge=1, le=50, description="Most files one message may carry.")
    reopen_days: int = Field(
        14,
        ge=0,
        description="Days after resolution a customer may reopen a case; later, reopening opens a new "
        "case linked to it.",
    )
    auto_close_days: int = Field(7, ge=1, description="Days after which a resolved case closes by itself.")
    page_size: int = Field(25, ge=5, le=200, description="Cases per page in lists and queues.")
    queue_refresh_seconds: int = Field(
        30, ge=5, description="Seconds between the staff queue's automatic refreshes (with JavaScript)."
    )


class LogSettings(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Lowest level logged.")
    format: Literal["console", "json"] = Field(
        "console", description="`json`: one JSON object per line for log collectors."
    )


def _names(value: Any) -> Any:
    """A list from the environment: JSON (`["a", "b"]`) or comma-separated (`a, b`)."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


NameList = Annotated[list[str], NoDecode]


class PluginSettings(Section):
    allow: NameList = Field(
        default_factory=list,
        description="Installed plugins (entry-point names in group `portal`) allowed to load; empty: all of them.",
    )
    deny: NameList = Field(default_factory=list, description="Installed plugins never loaded, even when allowed.")
    extra: NameList = Field(
        default_factory=list,
        description="Development aid: plugins loaded by import path (`package.module` or `package.module:Class`) "
        "without installing them, for trying a plugin out or testing one in a worker process.",
    )
    dispatcher: bool = Field(
        True,
        description="Deliver events from a background task in each web process. Turn off when `portal worker` "
        "processes do it.",
    )
    poll_interval: float = Field(2.0, gt=0, description="Seconds between the dispatcher's looks for due events.")
    outbox_max_attempts: int = Field(
        10, ge=1, description="Tries to deliver an event to one plugin before it is set aside as dead."
    )
    retry_seconds: float = Field(
        30.0, gt=0, description="Delay before the first retry of a failed delivery; it doubles with each failure."
    )
    retry_max_seconds: float = Field(3600.0, gt=0, description="Longest delay between two retries.")
    handler_timeout: float = Field(
        60.0, gt=0, description="Seconds a plugin's event handler may run before the try counts as failed."
    )

    @field_validator("allow", "deny", "extra", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return _names(value)


class Settings(BaseSettings):
    """Everything the portal is configured by. Each field says what it is for."""

    model_config = SettingsConfigDict(
        env_prefix="PORTAL_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    mode: Mode = Field(
        "production",
        description="`demo` generates missing secrets, allows http cookies and shows demo logins. Never for real data.",
    )
    data_dir: Path = Field(
        Path("var"), description="Where the SQLite file, sessions, rate-limit counters and the demo secret live."
    )
    public_url: str = Field(
        "http://127.0.0.1:8000", description="The address users reach the portal at, used in emails and cookies."
    )
    debug: bool = Field(False, description="Tracebacks in error pages. Never in production.")
    db: DatabaseSettings = Field(default_factory=DatabaseSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    i18n: I18nSettings = Field(default_factory=I18nSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)
    cases: CaseSettings = Field(default_factory=CaseSettings)
    plugins: PluginSettings = Field(default_factory=PluginSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get("PORTAL_CONFIG", "portal.toml"))
        return (
            init_settings,
            ConventionalEnvSource(settings_cls),
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_path),
        )

    @property
    def database_url(self) -> str:
        return self.db.url or f"sqlite:///{self.data_dir / 'portal.sqlite3'}"

    @property
    def search_index_dir(self) -> Path:
        return self.search.index_dir or self.data_dir / "search"

    @property
    def attachments_dir(self) -> Path:
        return self.cases.attachments_dir or self.data_dir / "attachments"

    @property
    def is_demo(self) -> bool:
        return self.mode == "demo"

    @property
    def uses_https(self) -> bool:
        return urlsplit(self.public_url).scheme == "https"

    @property
    def cookie_secure(self) -> bool:
        configured = self.security.cookie_secure
        return self.uses_https if configured is None else configured

    def derived_key(self, purpose: str) -> bytes:
        """A key for one purpose, derived from the secret key, so one leaked key cannot forge another's tokens."""
        return hmac.new(self.secret_key().encode(), purpose.encode(), hashlib.sha256).digest()

    def secret_key(self) -> str:
        """The configured secret; in demo mode, one generated once and kept in the data directory."""
        if self.security.secret_key is not None:
            return self.security.secret_key.get_secret_value()
        if not self.is_demo:
            raise ConfigurationError("PORTAL_SECURITY__SECRET_KEY must be set outside demo mode.")
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


class ConventionalEnvSource(PydanticBaseSettingsSource):
    """`DATABASE_URL` and `REDIS_URL`, the names every host and platform already uses."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # __call__ does all the work

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if url := os.environ.get("DATABASE_URL"):
            found["db"] = {"url": url}
        if url := os.environ.get("REDIS_URL"):
            found["redis"] = {"url": url}
        return found


class ConfigurationError(RuntimeError):
    """The settings cannot run a portal; the message says which setting to change."""
