from __future__ import annotations

from datetime import UTC, datetime

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from portal import i18n

LOCALE_DIR = i18n.LOCALE_DIR


def catalog(locale: str):  # type: ignore[no-untyped-def]
    with open(LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle)


def template_ids() -> set[str]:
    with open(LOCALE_DIR / "messages.pot", "rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_string_is_translated(locale: str) -> None:
    translated = {message.id for message in catalog(locale) if message.id and message.string and not message.fuzzy}
    assert template_ids() - translated == set()


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_compiled_catalog_matches_its_source(locale: str) -> None:
    """Catches a .po edited without `make messages`: the portal would still show the old text."""
    with open(LOCALE_DIR / locale / "LC_MESSAGES" / "messages.mo", "rb") as handle:
        compiled = {_key(message.id): _key(message.string) for message in read_mo(handle) if message.id}
    source = {_key(message.id): _key(message.string) for message in catalog(locale) if message.id and not message.fuzzy}
    assert compiled == source


def _key(value: object) -> object:
    """Plural messages come back as lists from one reader and tuples from the other."""
    return tuple(value) if isinstance(value, list | tuple) else value


def test_placeholders_survive_translation() -> None:
    for message in catalog("el"):
        if message.id and "%(" in str(message.id):
            assert sorted(_placeholders(str(message.id))) == sorted(_placeholders(str(message.string))), message.id


def _placeholders(text: str) -> list[str]:
    import re

    return re.findall(r"%\(\w+\)[sd]", text)


def test_source_strings_are_extracted() -> None:
    """Every visible string passes through gettext: a sample from templates, Python and lazy labels."""
    ids = template_ids()
    assert {"How can we help you today?", "This field is required.", "Back office"} <= ids


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("el-GR,el;q=0.9,en;q=0.8", "el"),
        ("en-US,en;q=0.9", "en"),
        ("de-DE,el;q=0.5,en;q=0.4", "el"),
        ("de-DE,fr;q=0.8", "en"),
        ("en;q=0.2,el;q=0.9", "el"),
        ("", "en"),
        ("el;q=abc,en", "en"),
    ],
)
def test_browser_preference_is_negotiated_by_quality(header: str, expected: str) -> None:
    assert i18n.negotiate(header) == expected


def test_dates_and_numbers_follow_the_locale() -> None:
    moment = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
    with i18n.using_locale("el"):
        assert i18n.format_number(1234567.5) == "1.234.567,5"
        assert "Μαρ" in i18n.format_datetime(moment, "Europe/Athens")
        assert "12:30" in i18n.format_datetime(moment, "Europe/Athens")  # UTC+2 in winter
    with i18n.using_locale("en"):
        assert i18n.format_number(1234567.5) == "1,234,567.5"
        assert "Mar" in i18n.format_date(moment)
