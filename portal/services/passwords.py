"""Password hashing with argon2id (argon2-cffi's RFC 9106 low-memory profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from portal.i18n import gettext as _

_hasher = PasswordHasher()

# Verified against when the user does not exist, so a missing account costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("portal-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


MIN_LENGTH = 10
MAX_LENGTH = 1024

# The most used passwords that are long enough to pass the length rule; a breached-password list would be
# better, and can replace this set without changing callers.
_COMMON = frozenset(
    {
        "1234567890",
        "12345678910",
        "0123456789",
        "1111111111",
        "0000000000",
        "qwertyuiop",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "qwerty123456",
        "password12",
        "password123",
        "password1234",
        "passw0rd123",
        "iloveyou123",
        "abcdefghij",
        "abc1234567",
        "letmein123",
        "welcome123",
        "administrator",
        "football123",
        "monkey12345",
        "qwertyuiop123",
        "asdfghjkl1",
        "zxcvbnm123",
        "superman123",
        "sunshine123",
        "princess123",
    }
)


def strength_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why this password is too weak, in the user's language, or None.

    Length matters most (NIST SP 800-63B): at least 10 characters, not a well-known password, not built from the
    user's own email or name, not one character repeated.
    """
    lowered = password.lower()
    if len(password) < MIN_LENGTH:
        return _("Use at least %(count)d characters.") % {"count": MIN_LENGTH}
    if len(password) > MAX_LENGTH:
        return _("Use at most %(count)d characters.") % {"count": MAX_LENGTH}
    if lowered in _COMMON or len(set(lowered)) < 4:
        return _("This password is too easy to guess. A few unrelated words make a strong one.")
    local_part = email.partition("@")[0].lower()
    own_words = [word for word in [local_part, *name.lower().split()] if len(word) >= 4]
    if any(word in lowered and len(lowered) - len(word) < 6 for word in own_words):
        return _("Do not build your password from your name or email address.")
    return None
