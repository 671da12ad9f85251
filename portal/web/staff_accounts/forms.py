"""The back office's account and people forms."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from portal.db.tables import AccountKind
from portal.i18n import gettext as _
from portal.services.accounts import MAX_ID, normalise_domain
from portal.web.team.forms import Name


def _domain(value: str) -> str:
    return normalise_domain(value) or ""


def _account_number(raw: object) -> int:
    value = str(raw).strip().lstrip("#")
    if not value.isdigit() or not 0 < int(value) <= MAX_ID:
        raise ValueError(_("Enter the number of an account, such as 12."))
    return int(value)


class AccountForm(BaseModel):
    name: Name
    kind: Literal["company", "person"] = "company"
    domain: Annotated[str, Field(max_length=200), AfterValidator(_domain)] = ""

    @property
    def account_kind(self) -> AccountKind:
        return AccountKind(self.kind)


class SharingForm(BaseModel):
    sharing_mode: Literal["own", "all_contacts", "admins_only"]


class LinkForm(BaseModel):
    account_id: Annotated[int, BeforeValidator(_account_number)]


class RoleForm(BaseModel):
    role: Literal["prospect", "contact", "account_admin", "agent", "manager", "admin"]
