"""Running a service call from a form handler: a refusal about one field comes back as that field's error."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from portal.services.refusals import FieldRefused

T = TypeVar("T")


async def attempt(action: Awaitable[T]) -> tuple[T | None, dict[str, str]]:
    """(result, {}) when `action` succeeds; (None, {field: message}) when the service refused it."""
    try:
        return await action, {}
    except FieldRefused as refused:
        return None, {refused.field: refused.message}
