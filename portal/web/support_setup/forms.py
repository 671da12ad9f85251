"""The forms of the support set-up pages: products, categories, teams and canned responses."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from portal.i18n import gettext as _
from portal.services import canned_responses, catalog, support_teams
from portal.services.accounts import MAX_ID
from portal.web.team.forms import Name


def _checked(raw: object) -> bool:
    """An HTML checkbox: sent as "on" when ticked, not sent at all when not."""
    return raw in ("on", "true", "1", True)


def _optional_id(raw: object) -> int | None:
    value = str(raw or "").strip()
    if not value:
        return None
    if not value.isdigit() or not 0 < int(value) <= MAX_ID:
        raise ValueError(_("Choose a product from the list."))
    return int(value)


def _person_id(raw: object) -> int:
    value = str(raw or "").strip()
    if not value.isdigit() or not 0 < int(value) <= MAX_ID:
        raise ValueError(_("Choose a person from the list."))
    return int(value)


def _body(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError(_("This field is required."))
    if problem := canned_responses.placeholder_problem(value):
        raise ValueError(problem)
    return value


Checkbox = Annotated[bool, BeforeValidator(_checked)]
Code = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(catalog.normalise_code)]
Body = Annotated[str, Field(min_length=1, max_length=canned_responses.BODY_MAX), AfterValidator(_body)]


class ProductForm(BaseModel):
    code: Code
    name_en: Name
    name_el: Name
    is_active: Checkbox = False


class CategoryForm(ProductForm):
    product_id: Annotated[int | None, BeforeValidator(_optional_id)] = None


class TeamForm(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=support_teams.NAME_MAX)]


class MemberForm(BaseModel):
    user_id: Annotated[int, BeforeValidator(_person_id)]


class CannedResponseForm(BaseModel):
    title: Name
    body_en: Body
    body_el: Body
    is_active: Checkbox = False
