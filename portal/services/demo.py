"""Demo data: a few companies, their contacts, and staff, so every part of the portal has something to show."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from portal.db.tables import Account, AccountKind, Role, SharingMode, User
from portal.services import demo_cases, demo_sla, demo_support, users
from portal.services.attachment_store import LocalAttachmentStore
from portal.services.mail import Mailer
from portal.settings import AuthSettings, Settings

TERMS_VERSION = AuthSettings().terms_version  # the version a fresh install asks for
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
    "Ελένη Ιωάννου": None,  # a private person
}

# Each account shares its cases differently, so the team pages show every rule (see services/access.py).
DEMO_SHARING = {
    "Acme Hellas S.A.": SharingMode.admins_only,
    "Olympus Trading": SharingMode.all_contacts,
    "Ελένη Ιωάννου": SharingMode.own,
}
DEMO_PERSON_ACCOUNTS = {"Ελένη Ιωάννου"}

# Signed up with an @acme.example address: flagged to staff as a likely Acme contact, not linked.
DEMO_LIKELY_CONTACTS = {"dimitra@acme.example": "Acme Hellas S.A."}

DEMO_LOGINS = [
    DemoLogin("admin@portal.example", "Alex Admin", Role.admin, "en"),
    DemoLogin("manager@portal.example", "Ελένη Παπαδοπούλου", Role.manager, "el"),
    DemoLogin("agent@portal.example", "Νίκος Γεωργίου", Role.agent, "el"),
    DemoLogin("agent2@portal.example", "Sam Support", Role.agent, "en"),
    DemoLogin("maria@acme.example", "Μαρία Κωνσταντίνου", Role.account_admin, "el", "Acme Hellas S.A."),
    DemoLogin("john@acme.example", "John Carter", Role.contact, "en", "Acme Hellas S.A."),
    DemoLogin("kostas@olympus.example", "Κώστας Δημητρίου", Role.contact, "el", "Olympus Trading"),
    DemoLogin("prospect@mail.example", "Pat Prospect", Role.prospect, "en"),
    DemoLogin("anna@olympus.example", "Anna Olympus", Role.account_admin, "en", "Olympus Trading"),
    DemoLogin("eleni@ioannou.example", "Ελένη Ιωάννου", Role.account_admin, "el", "Ελένη Ιωάννου"),
    DemoLogin("dimitra@acme.example", "Δήμητρα Νικολάου", Role.prospect, "el"),
]


async def load(on_step: Callable[[str], None] = lambda _: None, *, settings: Settings | None = None) -> list[DemoLogin]:
    """Create the demo data, skipping anything already there, so running it twice changes nothing.

    With `settings`, demo cases too (they queue emails and may store files, which need the settings).
    """
    account_ids: dict[str, int] = {}
    for name, domain in DEMO_ACCOUNTS.items():
        row = await Account.select(Account.id).where(Account.name == name).first()
        if row is None:
            kind = AccountKind.person if name in DEMO_PERSON_ACCOUNTS else AccountKind.company
            account = Account(name=name, domain=domain, kind=kind.value, sharing_mode=DEMO_SHARING[name].value)
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
            # Demo people have confirmed their addresses, and agreed to the terms, as real customers would have;
            # otherwise every demo login would open on "please confirm your email".
            changes: dict[Any, Any] = {
                User.email_verified_at: datetime.now(UTC),
                User.terms_version: TERMS_VERSION,
                User.terms_accepted_at: datetime.now(UTC),
            }
            if likely := DEMO_LIKELY_CONTACTS.get(login.email):
                changes[User.likely_account] = account_ids[likely]
            await User.update(changes).where(User.email == login.email)
        on_step(login.email)
    await demo_support.load()  # products, categories, teams, canned responses
    await demo_sla.load_contracts()  # before the cases, which take their SLA from them
    if settings is not None:
        await demo_cases.load(mailer=Mailer(settings), store=LocalAttachmentStore(settings.attachments_dir))
        await demo_sla.age_cases()
    return DEMO_LOGINS


def step_count() -> int:
    return len(DEMO_ACCOUNTS) + len(DEMO_LOGINS)
