"""The forms of the support set-up pages: products, categories, teams and canned responses."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from portal.i18n import gettext as _
from portal.services import canned_responses, catalog, support_teams
from portal.web.forms import Checkbox, id_or_none
from portal.web.team.forms import Name


def _optional_id(raw: object) -> int | None:
    return id_or_none(raw, _("Choose a product from the list."))


def _person_id(raw: object) -> int:
    refusal = _("Choose a person from the list.")
    value = id_or_none(raw, refusal)
    if value is None:
        raise ValueError(refusal)
    return value


def _body(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError(_("This field is required."))
    if problem := canned_responses.placeholder_problem(value):
        raise ValueError(problem)
    return value


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
