"""HTML forms: validate a submitted dict against a pydantic model and say what is wrong with each field.

Every error, pydantic's included, comes back translated, keyed by field name, ready to show next to the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from portal.i18n import gettext as _

FormModel = TypeVar("FormModel", bound=BaseModel)

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
