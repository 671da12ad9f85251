"""The desk's forms: bulk actions from the queue, inline field changes, merge, link, saved filters.

The field-change forms post only the fields they show, so a form left open for a while changes only what the
agent touched (not whatever a colleague changed meanwhile).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from portal.db.tables import CaseStatus, Priority
from portal.i18n import gettext as _
from portal.services.accounts import parse_id
from portal.services.case_actions import CaseChanges, normalise_tags

FIELDS = ("status", "priority", "assignee", "team", "product", "category", "tags")


def text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return str(value).replace("\x00", "").strip()  # PostgreSQL refuses to store a NUL byte


def ids(data: Mapping[str, Any], name: str) -> list[int]:
    """Every valid id posted under a repeated field (checkboxes)."""
    values = data.get(name, [])
    values = values if isinstance(values, list) else [values]
    return [found for value in values if (found := parse_id(str(value))) is not None]


def _optional_id(value: str) -> int | None:
    """ "" clears the field; anything not a plausible id becomes 0, which the service refuses by name."""
    if value == "":
        return None
    return parse_id(value) or 0


def changes_from(data: Mapping[str, Any]) -> tuple[CaseChanges | None, dict[str, str]]:
    """The fields present in `data` as a CaseChanges; the others stay UNSET."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if "status" in data:
        try:
            values["status"] = CaseStatus(text(data, "status"))
        except ValueError:
            errors["status"] = _("Choose one of the statuses offered.")
    if "priority" in data:
        try:
            values["priority"] = Priority(text(data, "priority"))
        except ValueError:
            errors["priority"] = _("Choose one of the priorities offered.")
    for name in ("assignee", "team", "product", "category"):
        if name in data:
            values[f"{name}_id"] = _optional_id(text(data, name))
    if "tags" in data:
        try:
            values["tags"] = normalise_tags(text(data, "tags"))
        except ValueError as exc:
            errors["tags"] = str(exc)
    if errors:
        return None, errors
    if not values:
        return None, {"__form__": _("Nothing to change.")}
    return CaseChanges(**values), {}


def bulk_changes(data: Mapping[str, Any]) -> tuple[CaseChanges | None, dict[str, str]]:
    """The queue's bulk form: assign (to an agent, or nobody) or set a status, whichever button was pressed."""
    action = text(data, "action")
    if action == "assign":
        return CaseChanges(assignee_id=_optional_id(text(data, "bulk_assignee"))), {}
    if action == "status":
        try:
            return CaseChanges(status=CaseStatus(text(data, "bulk_status"))), {}
        except ValueError:
            return None, {"bulk_status": _("Choose one of the statuses offered.")}
    return None, {"__form__": _("Choose what to do with the selected cases.")}
