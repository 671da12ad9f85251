"""Password strength, free-mail domains and the attempt counter, without HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar.stores.file import FileStore

from portal.services.email_domains import is_free_mail, likely_account_id
from portal.services.passwords import strength_problem
from portal.services.throttle import Limit, Throttle
from tests.factories import make_account


@pytest.mark.parametrize(
    "domain", ["gmail.com", "outlook.com", "yahoo.gr", "gmx.de", "gmx.net", "proton.me", "icloud.com"]
)
def test_free_mail_domains_are_recognised(domain: str) -> None:
    assert is_free_mail(domain)


@pytest.mark.parametrize("domain", ["acme.example", "gmxtrading.gr", "company.com"])
def test_company_domains_are_not_free_mail(domain: str) -> None:
    assert not is_free_mail(domain)


async def test_likely_account_ignores_free_mail(migrated_database: str) -> None:
    account = await make_account(domain="acme.example")
    await make_account(domain="gmail.com")
    assert await likely_account_id("Someone@ACME.example") == account.id
    assert await likely_account_id("someone@gmail.com") is None
    assert await likely_account_id("someone@unknown.example") is None


@pytest.mark.parametrize(
    ("password", "weak"),
    [
        ("short", True),
        ("qwertyuiop", True),
        ("zzzzzzzzzzzz", True),
        ("maria.k.2024", True),  # built from the email address below
        ("correct horse battery staple", False),
        ("Τρία άσχετα λόγια", False),
    ],
)
def test_password_strength(password: str, weak: bool) -> None:
    assert (strength_problem(password, email="maria.k@example.com", name="Maria K") is not None) is weak


async def test_throttle_counts_per_key_in_a_sliding_window(tmp_path: Path) -> None:
    throttle = Throttle(FileStore(tmp_path, create_directories=True))
    limit = Limit("test", count=2, seconds=60)
    assert [await throttle.hit(limit, "a@example.com") for _ in range(3)] == [True, True, False]
    assert await throttle.hit(limit, "b@example.com")
    assert await throttle.used(limit, "A@example.com ") == 3  # keys are normalised
