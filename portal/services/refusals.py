"""Refusals about one field of a form, and recognising the database's "that value is taken"."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

from portal.services.accounts import Refused


class FieldRefused(Refused):
    """A refusal the page shows next to one field (`field` is the form field's name)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def is_unique_violation(exc: BaseException) -> bool:
    """True when a write failed on a unique column, on either engine.

    Checking first and then writing still races with a concurrent request; letting the database decide and
    translating its answer does not.
    """
    if isinstance(exc, asyncpg.UniqueViolationError):
        return True
    return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)


@contextmanager
def refusing_duplicates(field: str, message: str) -> Iterator[None]:
    """Turn a unique-column violation inside the block into `FieldRefused(field, message)`."""
    try:
        yield
    except (sqlite3.IntegrityError, asyncpg.UniqueViolationError) as exc:
        if is_unique_violation(exc):
            raise FieldRefused(field, message) from exc
        raise
