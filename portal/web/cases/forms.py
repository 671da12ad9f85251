"""The customer's case forms: the list's filters (GET), a new case (multipart, with files), reply and close."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from portal.db.tables import CaseType, Priority
from portal.i18n import gettext as _
from portal.services.accounts import parse_id
from portal.services.case_lists import QUERY_MAX, SORTS, STATES, Sort, State
from portal.services.cases import BODY_MAX, SUBJECT_MAX, NewCase


def _one(value: Any) -> Any:
    """A field sent twice arrives as a list; the first value counts, as in a browser's own form handling."""
    return value[0] if isinstance(value, list) and value else value


def _choice_id(message: Any) -> Any:
    """ "" (nothing chosen) -> None; digits -> the id; anything else -> the field's own message."""

    def parse(value: Any) -> int | None:
        value = str(_one(value) or "").strip()
        if not value:
            return None
        if (found := parse_id(value)) is None:
            raise ValueError(message())
        return found

    return BeforeValidator(parse)


def _enum(enum: Any, message: Any, *, optional: bool = False) -> Any:
    def parse(value: Any) -> Any:
        value = str(_one(value) or "").strip()
        if not value and optional:
            return None
        try:
            return enum(value)
        except ValueError:
            raise ValueError(message()) from None

    return BeforeValidator(parse)


def _text(value: Any) -> str:
    # A NUL byte means nothing in text, and PostgreSQL refuses to store one.
    return str(_one(value) or "").replace("\x00", "")


def _required(value: str) -> str:
    if not value.strip():
        raise ValueError(_("This field is required."))
    return value


Text = Annotated[str, BeforeValidator(_text)]
RequiredText = Annotated[str, BeforeValidator(_text), AfterValidator(_required)]


class NewCaseForm(BaseModel):
    type: Annotated[CaseType, _enum(CaseType, lambda: _("Choose one of the case types offered."))]
    product: Annotated[int | None, _choice_id(lambda: _("Choose one of the products offered."))] = None
    category: Annotated[int | None, _choice_id(lambda: _("Choose one of the categories offered."))] = None
    priority: Annotated[
        Priority | None, _enum(Priority, lambda: _("Choose one of the priorities offered."), optional=True)
    ] = None
    subject: Annotated[RequiredText, Field(max_length=SUBJECT_MAX)] = ""
    description: Annotated[RequiredText, Field(max_length=BODY_MAX)] = ""

    def to_new_case(self) -> NewCase:
        return NewCase(
            type=self.type,
            subject=self.subject,
            description=self.description,
            priority=self.priority,
            product_id=self.product,
            category_id=self.category,
        )


class ReplyForm(BaseModel):
    body: Annotated[Text, Field(max_length=BODY_MAX)] = ""


class CloseForm(BaseModel):
    comment: Annotated[Text, Field(max_length=BODY_MAX)] = ""


def values_of(data: Mapping[str, Any], *names: str) -> dict[str, str]:
    """What the user typed, to show again next to the errors (files cannot be refilled; browsers forbid it)."""
    return {name: str(_one(data.get(name)) or "") for name in names}


NEW_CASE_FIELDS = ("type", "product", "category", "priority", "subject", "description")


@dataclass(frozen=True)
class ListFilters:
    """The list's filters from the query string. Junk (a hand-edited URL) falls back to the default, so a list
    page never fails: there is no field to put a message next to."""

    state: State = "all"
    type: CaseType | None = None
    product_id: int | None = None
    query: str = ""
    sort: Sort = "updated"
    after: str | None = None
    before: str | None = None

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> ListFilters:
        state = params.get("state", "all")
        sort = params.get("sort", "updated")
        kind = params.get("type", "")
        product = params.get("product", "").strip()
        return cls(
            state=state if state in STATES else "all",
            type=CaseType(kind) if kind in CaseType.__members__ else None,
            product_id=parse_id(product),
            query=params.get("q", "").replace("\x00", "").strip()[:QUERY_MAX],
            sort=sort if sort in SORTS else "updated",
            after=params.get("after") or None,
            before=params.get("before") or None,
        )

    def values(self) -> dict[str, str]:
        """The filter form's fields as the user set them."""
        return {
            "state": self.state,
            "type": self.type.value if self.type else "",
            "product": str(self.product_id or ""),
            "q": self.query,
            "sort": self.sort,
        }

    def query_string(self, **cursor: str) -> str:
        """The filters (only those that differ from the default) and a cursor, for the pager's links."""
        defaults = ListFilters().values()
        pairs = {key: value for key, value in self.values().items() if value and value != defaults.get(key)}
        return urlencode(pairs | cursor)
