"""HTML forms: validate a submitted dict against a pydantic model and say what is wrong with each field.

Every error, pydantic's included, comes back translated, keyed by field name, ready to show next to the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ValidationError

from portal.i18n import gettext as _
from portal.services.accounts import MAX_ID

FormModel = TypeVar("FormModel", bound=BaseModel)
# Dates a filter accepts: far enough from year 1 and 9999 that a period's arithmetic (a day after, 30 days
# before) cannot overflow.
FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2999, 12, 31)


def checkbox(raw: object) -> bool:
    """An HTML checkbox: sent as "on" when ticked, not sent at all when not."""
    return raw in ("on", "true", "1", True)


Checkbox = Annotated[bool, BeforeValidator(checkbox)]


def id_or_none(raw: object, refusal: str) -> int | None:
    """A chosen option's id from a select: None when nothing was chosen, `refusal` for anything not an id."""
    value = str(raw or "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) <= MAX_ID:
        raise ValueError(refusal)
    return int(value)


def blank_is_none(value: Any) -> Any:
    """A `mode="before"` validator: an empty or blank field of a GET form means "not given"."""
    return None if isinstance(value, str) and not value.strip() else value


def date_within_reach(value: date | None) -> date | None:
    """An `after` validator for filter dates (see FIRST_DATE)."""
    if value is not None and not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError(
            _("Enter a date between %(first)s and %(last)s.")
            % {"first": FIRST_DATE.isoformat(), "last": LAST_DATE.isoformat()}
        )
    return value


FORM_ERROR = "__form__"


def parse_form(model: type[FormModel], data: Mapping[str, Any]) -> tuple[FormModel | None, dict[str, str]]:
    try:
        return model.model_validate(dict(data)), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else FORM_ERROR
            errors.setdefault(field, _message(error))
        return None, errors


def _message(error: Any) -> str:
    kind = error["type"]
    context = error.get("ctx", {})
    if kind == "missing" or (kind == "string_too_short" and context.get("min_length") == 1):
        return _("This field is required.")
    if kind == "string_too_short":
        return _("Use at least %(count)d characters.") % {"count": context["min_length"]}
    if kind == "string_too_long":
        return _("Use at most %(count)d characters.") % {"count": context["max_length"]}
    if kind == "value_error":
        return str(context.get("error", _("This value is not valid.")))
    return _("This value is not valid.")
