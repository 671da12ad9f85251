"""Languages: which one a request speaks, the gettext functions, and locale-aware formatting.

The active locale lives in a context variable set once per request, so services, templates and emails can all
call `gettext` without a request object being passed around.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Literal, cast, get_args
from zoneinfo import ZoneInfo

from babel import Locale, dates, numbers
from babel.support import LazyProxy, NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
LOCALES = ("en", "el")
DEFAULT_LOCALE = "en"
LOCALE_COOKIE = "portal_locale"

_current: ContextVar[str] = ContextVar("portal_locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> NullTranslations:
    return Translations.load(dirname=str(LOCALE_DIR), locales=[locale], domain=DOMAIN)


def current_locale() -> str:
    return _current.get()


def set_locale(locale: str) -> None:
    _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)


@contextmanager
def using_locale(locale: str) -> Iterator[None]:
    """Speak `locale` inside the block, for example in an email to a user whose language differs."""
    token = _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    return translations(_current.get()).ugettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ungettext(singular, plural, n)


def lazy_gettext(message: str) -> LazyProxy:
    """For strings defined at import time (choices, labels), translated when they are shown."""
    return LazyProxy(gettext, message, enable_cache=False)


_ = gettext


def negotiate(accept_language: str | None, default: str = DEFAULT_LOCALE) -> str:
    """The best of our locales for an `Accept-Language` header, honouring q-values."""
    if not accept_language:
        return default
    weighted: list[tuple[float, str]] = []
    for part in accept_language.split(","):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag:
            weighted.append((quality, tag.strip().lower()))
    for _quality, tag in sorted(weighted, key=lambda item: -item[0]):
        language = tag.split("-")[0]
        if language in LOCALES:
            return language
    return default


@cache
def locale_name(locale: str) -> str:
    """The language's own name for itself ("Ελληνικά"), as a language menu shows it."""
    return (Locale.parse(locale).get_display_name(locale) or locale).capitalize()


def format_datetime(value: datetime, timezone: str, format: str = "medium") -> str:
    """What `babel.dates.format_datetime` gives, with the locale's patterns looked up once rather than per call
    (two thirds of babel's time, and a queue page formats fifty of them)."""
    if format not in _STANDARD_FORMATS:
        return dates.format_datetime(value, format=format, tzinfo=ZoneInfo(timezone), locale=_current.get())
    locale, combined, date_pattern, time_pattern = _datetime_patterns(_current.get(), cast(_Style, format))
    moment = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(ZoneInfo(timezone))
    return combined.replace("{0}", time_pattern.apply(moment.timetz(), locale, reference_date=moment.date())).replace(
        "{1}", date_pattern.apply(moment.date(), locale)
    )


_Style = Literal["full", "long", "medium", "short"]
_STANDARD_FORMATS = frozenset(get_args(_Style))


@cache
def _datetime_patterns(locale: str, format: _Style) -> tuple[Locale, str, dates.DateTimePattern, dates.DateTimePattern]:
    parsed = Locale.parse(locale)
    return (
        parsed,
        str(dates.get_datetime_format(format, locale=parsed)).replace("'", ""),
        dates.parse_pattern(dates.get_date_format(format, locale=parsed)),
        dates.parse_pattern(dates.get_time_format(format, locale=parsed)),
    )


def format_date(value: date | datetime, format: str = "medium") -> str:
    return dates.format_date(value, format=format, locale=_current.get())


def format_number(value: int | float | Decimal) -> str:
    return numbers.format_decimal(value, locale=_current.get())
