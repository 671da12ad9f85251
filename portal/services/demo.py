"""Demo data: a few companies, their contacts, and staff, so every part of the portal has something to show."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from portal.db.tables import Account, Role, User
from portal.services import users

DEMO_PASSWORD = "portal-demo"  # noqa: S105  (printed for anyone trying the demo; demo mode only)


@dataclass(frozen=True)
class DemoLogin:
    email: str
    name: str
    role: Role
    locale: str
    account: str | None = None


DEMO_ACCOUNTS = {
    "Acme Hellas S.A.": "acme.example",
    "Olympus Trading": "olympus.example",
}

DEMO_LOGINS = [
    DemoLogin("admin@portal.example", "Alex Admin", Role.admin, "en"),
    DemoLogin("manager@portal.example", "Ελένη Παπαδοπούλου", Role.manager, "el"),
    DemoLogin("agent@portal.example", "Νίκος Γεωργίου", Role.agent, "el"),
    DemoLogin("agent2@portal.example", "Sam Support", Role.agent, "en"),
    DemoLogin("maria@acme.example", "Μαρία Κωνσταντίνου", Role.account_admin, "el", "Acme Hellas S.A."),
    DemoLogin("john@acme.example", "John Carter", Role.contact, "en", "Acme Hellas S.A."),
    DemoLogin("kostas@olympus.example", "Κώστας Δημητρίου", Role.contact, "el", "Olympus Trading"),
    DemoLogin("prospect@mail.example", "Pat Prospect", Role.prospect, "en"),
]


async def load(on_step: Callable[[str], None] = lambda _: None) -> list[DemoLogin]:
    """Create the demo data, skipping anything already there, so running it twice changes nothing."""
    account_ids: dict[str, int] = {}
    for name, domain in DEMO_ACCOUNTS.items():
        row = await Account.select(Account.id).where(Account.name == name).first()
        if row is None:
            account = Account(name=name, domain=domain)
            await account.save()
            row = {"id": account.id}
        account_ids[name] = row["id"]
        on_step(name)
    for login in DEMO_LOGINS:
        if not await User.exists().where(User.email == login.email):
            await users.create_user(
                email=login.email,
                name=login.name,
                password=DEMO_PASSWORD,
                role=login.role,
                locale=login.locale,
                account_id=account_ids[login.account] if login.account else None,
            )
        on_step(login.email)
    return DEMO_LOGINS


def step_count() -> int:
    return len(DEMO_ACCOUNTS) + len(DEMO_LOGINS)
