"""The form that creates an API token."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, Field, field_validator

from portal.i18n import gettext as _
from portal.services.api_tokens import NAME_MAX, NewToken, Scope

SCOPE_FIELDS = {"cases_read": Scope.cases_read, "cases_write": Scope.cases_write}


class TokenForm(BaseModel):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    cases_read: bool = False
    cases_write: bool = False
    acts_as: int
    expires_on: date | None = None

    @field_validator("cases_read", "cases_write", mode="before")
    @classmethod
    def _ticked(cls, value: Any) -> bool:
        return value in ("on", "true", True)

    @field_validator("expires_on", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("expires_on")
    @classmethod
    def _in_the_future(cls, value: date | None) -> date | None:
        if value is not None and value < datetime.now(UTC).date():
            raise ValueError(_("Choose a date in the future."))
        return value

    def new_token(self) -> NewToken:
        # A token dated the 31st still works on the 31st: it expires when that day ends (UTC).
        expires = datetime.combine(self.expires_on + timedelta(days=1), time(), UTC) if self.expires_on else None
        scopes = [scope for field, scope in SCOPE_FIELDS.items() if getattr(self, field)]
        return NewToken(name=self.name, scopes=scopes, acts_as_id=self.acts_as, expires_at=expires)
