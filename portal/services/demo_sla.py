"""Demo data for the SLA: business calendars (Athens office hours with Greek holidays, New York, round the clock),
policies, contracts of the demo customers, and two demo cases aged until they breach.

Like the rest of the demo it skips what is already there, so loading twice changes nothing. Load the contracts
before the demo cases (`load_contracts`), so the cases take their SLA from them; age the cases after
(`age_cases`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from portal.db.sla_tables import BusinessCalendar, CaseSla, SlaPolicy, SupportContract
from portal.db.tables import Account, Case, CaseStatus, Product, User
from portal.services import contract_admin, sla
from portal.services.contract_admin import CalendarInput, ContractInput, PolicyInput

GREEK_HOLIDAYS = """2026-01-01 Πρωτοχρονιά
2026-01-06 Θεοφάνια
2026-02-23 Καθαρά Δευτέρα
2026-03-25 25η Μαρτίου
2026-04-10 Μεγάλη Παρασκευή
2026-04-13 Δευτέρα του Πάσχα
2026-05-01 Πρωτομαγιά
2026-06-01 Αγίου Πνεύματος
2026-08-15 Κοίμηση της Θεοτόκου
2026-10-28 28η Οκτωβρίου
2026-12-25 Χριστούγεννα
2026-12-26 Σύναξη της Θεοτόκου
2027-01-01 Πρωτοχρονιά
2027-01-06 Θεοφάνια"""

OFFICE_HOURS = dict.fromkeys(range(5), "09:00-17:00")
CALENDARS = [
    CalendarInput("Athens office", "Europe/Athens", hours=OFFICE_HOURS, holidays=GREEK_HOLIDAYS),
    CalendarInput("New York office", "America/New_York", hours=OFFICE_HOURS),
    CalendarInput("Round the clock", "UTC", always_open=True),
]
HOUR = 60
STANDARD_TARGETS = {
    "low_first_response": 16 * HOUR,
    "low_resolution": 80 * HOUR,
    "normal_first_response": 8 * HOUR,
    "normal_resolution": 40 * HOUR,
    "high_first_response": 4 * HOUR,
    "high_resolution": 24 * HOUR,
    "urgent_first_response": 1 * HOUR,
    "urgent_resolution": 8 * HOUR,
}
# name: (calendar, is default, targets in business minutes)
POLICIES = {
    "Standard": ("Athens office", True, STANDARD_TARGETS),
    "Gold 24/7": ("Round the clock", False, {key: value // 4 for key, value in STANDARD_TARGETS.items()}),
    "Silver (New York hours)": ("New York office", False, {key: value // 2 for key, value in STANDARD_TARGETS.items()}),
}
# account: (contract name, level, policy, valid from, valid until, entitled contacts, products)
CONTRACTS = [
    ("Acme Hellas S.A.", "Acme Gold support", "Gold", "Gold 24/7", date(2026, 1, 1), None, "", ()),
    (
        "Olympus Trading",
        "Olympus PBX care",
        "Silver",
        "Silver (New York hours)",
        date(2026, 1, 1),
        date(2027, 12, 31),
        "kostas@olympus.example",
        ("cloud-pbx",),
    ),
    ("Ελένη Ιωάννου", "Home fibre care", "Basic", "Standard", date(2024, 1, 1), date(2025, 12, 31), "", ()),
]
AGED_SUBJECT_COUNT = 2  # the oldest open unanswered demo cases, started this long ago, breach
AGED_BY = timedelta(days=10)


async def load_contracts() -> None:
    calendars: dict[str, int] = {}
    for calendar in CALENDARS:
        row = await BusinessCalendar.select(BusinessCalendar.id).where(BusinessCalendar.name == calendar.name).first()
        calendars[calendar.name] = row["id"] if row else await contract_admin.create_calendar(calendar)
    policies: dict[str, int] = {}
    for name, (calendar_name, default, targets) in POLICIES.items():
        row = await SlaPolicy.select(SlaPolicy.id).where(SlaPolicy.name == name).first()
        policies[name] = (
            row["id"]
            if row
            else await contract_admin.create_policy(PolicyInput(name, calendars[calendar_name], default, 75, targets))
        )
    for account_name, name, level, policy, start, end, emails, products in CONTRACTS:
        account = await Account.select(Account.id).where(Account.name == account_name).first()
        if account is None or await SupportContract.exists().where(SupportContract.name == name):
            continue
        known = await User.select(User.email).where(User.email.is_in([e for e in emails.split() if e] or [""]))
        product_rows = await Product.select(Product.id).where(Product.code.is_in(list(products) or [""]))
        await contract_admin.create_contract(
            ContractInput(
                account_id=account["id"],
                name=name,
                level=level,
                policy_id=policies[policy],
                valid_from=start,
                valid_until=end,
                contact_emails="\n".join(row["email"] for row in known),
                product_ids=[row["id"] for row in product_rows],
            )
        )


async def age_cases(now: datetime | None = None) -> None:
    """Start the clocks of the oldest open, unanswered demo cases long ago, and let the SLA check record their
    breaches, so the queue and the KPIs have breached cases to show."""
    now = now or datetime.now(UTC)
    if await CaseSla.exists().where(CaseSla.first_response_breached_at.is_not_null()):
        return
    rows = (
        await Case.select(Case.id)
        .where(Case.status.is_in([CaseStatus.new, CaseStatus.open]) & Case.first_response_at.is_null())
        .order_by(Case.id)
        .limit(AGED_SUBJECT_COUNT)
    )
    for row in rows:
        await sla.restart(row["id"], now - AGED_BY)
    await sla.check_clocks(now)
