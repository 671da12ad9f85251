from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from portal.db.tables import RecoveryCode, Role, User
from portal.services import two_factor
from portal.services.two_factor import TwoFactorKeys
from portal.settings import Settings
from tests.factories import make_user


@pytest.fixture
def keys(settings: Settings) -> TwoFactorKeys:
    return TwoFactorKeys(settings)


async def enrolled(keys: TwoFactorKeys, moment: datetime) -> tuple[int, str, list[str]]:
    user = await make_user(Role.contact)
    secret = two_factor.new_secret()
    enrolled_at = moment - timedelta(minutes=5)
    codes = await two_factor.enable(user.id, secret, pyotp.TOTP(secret).at(enrolled_at), keys, now=enrolled_at)
    assert codes is not None
    return user.id, secret, codes


async def test_enrolment_needs_a_code_from_the_app(migrated_database: str, keys: TwoFactorKeys) -> None:
    user = await make_user(Role.contact)
    secret = two_factor.new_secret()
    assert (
        await two_factor.enable(user.id, secret, "000000" if pyotp.TOTP(secret).now() != "000000" else "111111", keys)
        is None
    )
    codes = await two_factor.enable(user.id, secret, pyotp.TOTP(secret).now(), keys)
    assert codes is not None
    assert len(codes) == 10
    row = await User.select(User.totp_secret, User.totp_enabled_at).where(User.id == user.id).first()
    assert row is not None
    assert row["totp_enabled_at"] is not None
    assert secret not in row["totp_secret"]  # stored sealed
    assert keys.open(row["totp_secret"]) == secret


async def test_a_current_code_works_once(migrated_database: str, keys: TwoFactorKeys) -> None:
    now = datetime.now(UTC)
    user_id, secret, _ = await enrolled(keys, now)
    code = pyotp.TOTP(secret).at(now)
    assert await two_factor.verify(user_id, code, keys, now=now)
    assert not await two_factor.verify(user_id, code, keys, now=now)  # replayed


async def test_the_same_code_sent_twice_at_once_is_accepted_once(migrated_database: str, keys: TwoFactorKeys) -> None:
    now = datetime.now(UTC)
    user_id, secret, _ = await enrolled(keys, now)
    code = pyotp.TOTP(secret).at(now)
    results = await asyncio.gather(*(two_factor.verify(user_id, code, keys, now=now) for _ in range(5)))
    assert results.count(True) == 1


async def test_a_code_from_a_phone_thirty_seconds_off_is_accepted_but_not_older(
    migrated_database: str, keys: TwoFactorKeys
) -> None:
    now = datetime.now(UTC)
    user_id, secret, _ = await enrolled(keys, now)
    assert await two_factor.verify(user_id, pyotp.TOTP(secret).at(now - timedelta(seconds=30)), keys, now=now)
    assert not await two_factor.verify(user_id, pyotp.TOTP(secret).at(now - timedelta(minutes=3)), keys, now=now)


async def test_recovery_codes_work_once_each(migrated_database: str, keys: TwoFactorKeys) -> None:
    user_id, _, codes = await enrolled(keys, datetime.now(UTC))
    assert await two_factor.verify(user_id, codes[0].upper(), keys)  # typed in capitals: still fine
    assert not await two_factor.verify(user_id, codes[0], keys)
    assert await two_factor.remaining_recovery_codes(user_id) == 9
    stored = await RecoveryCode.select(RecoveryCode.code_hash).where(RecoveryCode.user == user_id)
    assert all(code not in row["code_hash"] for row in stored for code in codes)


async def test_disabling_removes_the_secret_and_the_codes(migrated_database: str, keys: TwoFactorKeys) -> None:
    user_id, _, codes = await enrolled(keys, datetime.now(UTC))
    await two_factor.disable(user_id)
    assert not await two_factor.verify(user_id, codes[1], keys)
    assert await two_factor.remaining_recovery_codes(user_id) == 0


def test_qr_code_is_inline_svg() -> None:
    svg = two_factor.qr_svg(two_factor.provisioning_uri(two_factor.new_secret(), "a@example.com", "portal.example"))
    assert svg.startswith("<svg")
    assert "<script" not in svg
