"""Users: creating them, signing them in, and the identity a request carries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from piccolo.query.functions.aggregate import Count

from portal.db.tables import Role, User
from portal.services.passwords import hash_password, needs_rehash, verify_password


@dataclass(frozen=True, slots=True)
class CurrentUser:
    """Who is signed in, as every request sees it."""

    id: int
    email: str
    name: str
    role: Role
    locale: str
    account_id: int | None
    session_epoch: int = 0
    email_verified: bool = False
    two_factor_enabled: bool = False

    @property
    def is_staff(self) -> bool:
        return self.role.is_staff

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else self.email

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> CurrentUser:
        return cls(
            id=row["id"],
            email=row["email"],
            name=row["name"],
            role=Role(row["role"]),
            locale=row["locale"],
            account_id=row["account"],
            session_epoch=row["session_epoch"],
            email_verified=row["email_verified_at"] is not None,
            two_factor_enabled=row["totp_enabled_at"] is not None,
        )


class EmailTaken(ValueError):
    """A user with this email already exists."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def create_user(
    *,
    email: str,
    name: str,
    password: str | None,
    role: Role,
    locale: str = "en",
    account_id: int | None = None,
) -> CurrentUser:
    email = normalise_email(email)
    if await User.exists().where(User.email == email):
        raise EmailTaken(email)
    user = User(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password) if password else None,
        role=role.value,
        locale=locale,
        account=account_id,
    )
    await user.save()
    created = await get_active(user.id)
    assert created is not None
    return created


async def get_active(user_id: int) -> CurrentUser | None:
    row = await User.select().where((User.id == user_id) & (User.is_active.eq(True))).first()
    return CurrentUser.from_row(row) if row else None


async def authenticate(email: str, password: str) -> CurrentUser | None:
    """The user these credentials belong to, or None; the same work is done whether or not the email exists."""
    row = await User.select().where(User.email == normalise_email(email)).first()
    hashed = row["password_hash"] if row and row["is_active"] else None
    if not verify_password(hashed, password) or row is None:
        return None
    changes: dict[Any, Any] = {User.last_login_at: datetime.now(UTC)}
    if needs_rehash(hashed):  # type: ignore[arg-type]
        changes[User.password_hash] = hash_password(password)
    await User.update(changes).where(User.id == row["id"])
    return CurrentUser.from_row(row)


async def count_by_role() -> dict[Role, int]:
    rows = await User.select(User.role, Count(alias="n")).where(User.is_active.eq(True)).group_by(User.role)
    return {Role(row["role"]): row["n"] for row in rows}
