"""The forms of the team pages and of invitations, shared with the back office's staff invitation."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from litestar.enums import RequestEncodingType
from litestar.params import Body
from pydantic import AfterValidator, BaseModel, Field

from portal.i18n import gettext as _
from portal.services import passwords

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(value: str) -> str:
    value = value.strip()
    if not _EMAIL.match(value):
        raise ValueError(_("Enter an email address such as name@example.com."))
    return value.lower()


def _name(value: str) -> str:
    if not value.strip():
        raise ValueError(_("This field is required."))
    return value.strip()


Email = Annotated[str, Field(min_length=1, max_length=254), AfterValidator(_email)]
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_name)]


class ColleagueInvitationForm(BaseModel):
    email: Email
    name: str = Field(default="", max_length=200)
    role: Literal["contact", "account_admin"] = "contact"


class StaffInvitationForm(BaseModel):
    email: Email
    name: str = Field(default="", max_length=200)
    role: Literal["agent", "manager", "admin"] = "agent"


class AcceptInvitationForm(BaseModel):
    name: Name
    password: str = Field(min_length=1, max_length=passwords.MAX_LENGTH)

    def password_problem(self, email: str) -> str | None:
        return passwords.strength_problem(self.password, email=email, name=self.name)


def values_of(data: dict[str, Any], *names: str) -> dict[str, str]:
    """What the user typed, to show again next to the errors (never passwords)."""
    return {name: str(data.get(name, "")) for name in names}
