"""Two-factor authentication with time-based one-time codes (RFC 6238) and single-use recovery codes.

The TOTP secret is stored encrypted with a key derived from the portal's secret, so a copy of the database
alone does not let anyone generate codes. Recovery codes are kept only as keyed hashes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets
from datetime import UTC, datetime

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken

from portal.db.tables import RecoveryCode, User
from portal.settings import Settings

RECOVERY_CODE_COUNT = 10
ACCEPTED_DRIFT = 1  # time steps either side of now: phones whose clocks are 30 s off still work


class TwoFactorKeys:
    """Everything that needs the portal's secret: the secret box and the recovery-code hash key."""

    def __init__(self, settings: Settings) -> None:
        self._box = Fernet(base64.urlsafe_b64encode(settings.derived_key("two-factor-secret")))
        self._code_key = settings.derived_key("two-factor-recovery")
        self.issuer = settings.public_url.split("://", 1)[-1].split("/")[0]

    def seal(self, secret: str) -> str:
        return self._box.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str | None:
        try:
            return self._box.decrypt(sealed.encode()).decode()
        except InvalidToken:  # sealed under another secret key: the user must enrol again
            return None

    def code_hash(self, code: str) -> str:
        return hmac.new(self._code_key, normalise(code).encode(), hashlib.sha256).hexdigest()


def normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The enrolment QR code as inline SVG markup (no image library, no external request)."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, border=2, xmldecl=False, svgns=True, title="QR")
    return buffer.getvalue().decode()


def matching_step(secret: str, code: str, now: datetime | None = None) -> int | None:
    """The time step `code` belongs to, within the accepted drift; None if it matches none."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now or datetime.now(UTC))
    code = normalise(code)
    for step in (current, current - ACCEPTED_DRIFT, current + ACCEPTED_DRIFT):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


async def enable(
    user_id: int, secret: str, code: str, keys: TwoFactorKeys, now: datetime | None = None
) -> list[str] | None:
    """Turn two-factor on once the user proves their app has `secret`; returns fresh recovery codes."""
    step = matching_step(secret, code, now)
    if step is None:
        return None
    await User.update(
        {User.totp_secret: keys.seal(secret), User.totp_enabled_at: datetime.now(UTC), User.totp_last_step: step}
    ).where(User.id == user_id)
    return await replace_recovery_codes(user_id, keys)


async def disable(user_id: int) -> None:
    await User.update({User.totp_secret: None, User.totp_enabled_at: None, User.totp_last_step: None}).where(
        User.id == user_id
    )
    await RecoveryCode.delete().where(RecoveryCode.user == user_id)


async def verify(user_id: int, code: str, keys: TwoFactorKeys, now: datetime | None = None) -> bool:
    """True for a current code not used before, or an unused recovery code (which is then spent)."""
    row = await User.select(User.totp_secret, User.totp_last_step).where(User.id == user_id).first()
    if row is None or row["totp_secret"] is None:
        return False
    secret = keys.open(row["totp_secret"])
    step = matching_step(secret, code, now) if secret else None
    if step is not None:
        # Accepting a step marks it used in the same statement, so a code replayed (or sent twice at
        # once) is refused: only one UPDATE can move the last step forward to it.
        accepted = await (
            User.update({User.totp_last_step: step})
            .where((User.id == user_id) & (User.totp_last_step.is_null() | (User.totp_last_step < step)))
            .returning(User.id)
        )
        return bool(accepted)
    return await _spend_recovery_code(user_id, code, keys)


async def replace_recovery_codes(user_id: int, keys: TwoFactorKeys) -> list[str]:
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODE_COUNT)]
    await RecoveryCode.delete().where(RecoveryCode.user == user_id)
    await RecoveryCode.insert(*[RecoveryCode(user=user_id, code_hash=keys.code_hash(code)) for code in codes])
    return codes


async def remaining_recovery_codes(user_id: int) -> int:
    count: int = await RecoveryCode.count().where((RecoveryCode.user == user_id) & RecoveryCode.used_at.is_null())
    return count


async def _spend_recovery_code(user_id: int, code: str, keys: TwoFactorKeys) -> bool:
    spent = await (
        RecoveryCode.update({RecoveryCode.used_at: datetime.now(UTC)})
        .where(
            (RecoveryCode.user == user_id)
            & (RecoveryCode.code_hash == keys.code_hash(code))
            & RecoveryCode.used_at.is_null()
        )
        .returning(RecoveryCode.id)
    )
    return bool(spent)
