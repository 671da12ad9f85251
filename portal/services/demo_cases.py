"""Demo cases: a few in every state, in both languages, so the customer pages and the staff queue have a story.

They are opened through the case services, as a customer would open them, so the demo also has the emails,
events and timeline rows real use leaves behind. Loading twice changes nothing: a demo user with cases is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.db.tables import Case, CaseStatus, CaseType, Category, Priority, Product, SupportTeam, User
from portal.services import case_actions, cases
from portal.services.attachment_store import AttachmentStore
from portal.services.case_actions import CaseChanges
from portal.services.mail import Mailer
from portal.services.users import CurrentUser

AGENT = "agent@portal.example"
AGENT2 = "agent2@portal.example"


@dataclass(frozen=True)
class DemoCase:
    requester: str
    type: CaseType
    subject: str
    description: str
    product: str | None = None
    category: str | None = None
    priority: Priority = Priority.normal
    assignee: str | None = None
    team: str | None = None
    tags: tuple[str, ...] = ()
    # (author email, text, internal) in order; the last status is set after them
    conversation: tuple[tuple[str, str, bool], ...] = ()
    status: CaseStatus | None = None


DEMO_CASES = [
    DemoCase(
        "maria@acme.example",
        CaseType.incident,
        "Το τηλεφωνικό κέντρο δεν δέχεται εισερχόμενες κλήσεις",
        "Από σήμερα το πρωί καμία εισερχόμενη κλήση δεν φτάνει στα εσωτερικά μας. Οι εξερχόμενες λειτουργούν.",
        product="cloud-pbx",
        category="call-routing",
        priority=Priority.high,
        assignee=AGENT,
        team="Network specialists",
        tags=("outage",),
        conversation=(
            (AGENT, "Ελέγχουμε τη δρομολόγηση του αριθμού σας. Θα σας ενημερώσουμε μέσα στην επόμενη ώρα.", False),
            (AGENT, "Ο κανόνας δρομολόγησης άλλαξε στην αναβάθμιση της Δευτέρας· ελέγχω το ιστορικό.", True),
        ),
        status=CaseStatus.open,
    ),
    DemoCase(
        "john@acme.example",
        CaseType.question,
        "How do I add a new extension for a colleague?",
        "We hired someone new and need an extension with voicemail for them.",
        product="cloud-pbx",
        assignee=AGENT2,
        team="First line",
        conversation=((AGENT2, "Happy to help. Which number range would you like the new extension in?", False),),
        status=CaseStatus.waiting_on_customer,
    ),
    DemoCase(
        "kostas@olympus.example",
        CaseType.service_request,
        "Μεταφορά της γραμμής σε νέα διεύθυνση",
        "Μετακομίζουμε στις 15 του μήνα και θέλουμε να μεταφερθεί η σύνδεση στο νέο γραφείο.",
        product="fibre-broadband",
        category="account-changes",
        team="First line",
    ),
    DemoCase(
        "anna@olympus.example",
        CaseType.complaint,
        "The technician missed our appointment twice",
        "We waited all morning on two days and nobody came or called.",
        product="field-service",
        priority=Priority.high,
        assignee=AGENT,
        tags=("escalated",),
        conversation=(
            (
                AGENT,
                "We are sorry. A senior technician visited today and the line works; we credited the visit.",
                False,
            ),
            ("anna@olympus.example", "Thank you, confirmed working.", False),
        ),
        status=CaseStatus.resolved,
    ),
    DemoCase(
        "eleni@ioannou.example",
        CaseType.incident,
        "Η σύνδεση πέφτει κάθε βράδυ",
        "Κάθε βράδυ μετά τις 22:00 η σύνδεση διακόπτεται για λίγα λεπτά.",
        product="fibre-broadband",
        category="technical-fault",
        assignee=AGENT,
        team="Network specialists",
        conversation=((AGENT, "Καταγράφουμε τη γραμμή σας για μία εβδομάδα ώστε να βρούμε την αιτία.", False),),
        status=CaseStatus.on_hold,
    ),
    DemoCase(
        "prospect@mail.example",
        CaseType.question,
        "Do you cover Thessaloniki?",
        "I'm moving my office to Thessaloniki. Is fibre available in Kalamaria?",
        product="fibre-broadband",
    ),
    DemoCase(
        "john@acme.example",
        CaseType.incident,
        "Invoice for October shows the wrong plan",
        "We were charged for the Business 500 plan but we have Business 200.",
        category="billing",
        assignee=AGENT2,
        conversation=((AGENT2, "You are right; a credit note is on its way.", False),),
        status=CaseStatus.closed,
    ),
]


async def _user(email: str) -> CurrentUser | None:
    row = await User.select().where(User.email == email).first()
    return CurrentUser.from_row(row) if row else None


async def _id(table: type[Product] | type[Category], code: str | None) -> int | None:
    if code is None:
        return None
    row = await table.select(table.id).where(table.code == code).first()
    return row["id"] if row else None


async def load(*, mailer: Mailer, store: AttachmentStore) -> None:
    for demo in DEMO_CASES:
        requester = await _user(demo.requester)
        if requester is None or await Case.exists().where(
            (Case.requester == requester.id) & (Case.subject == demo.subject)
        ):
            continue
        new = cases.NewCase(
            type=demo.type,
            subject=demo.subject,
            description=demo.description,
            priority=demo.priority if demo.priority in cases.allowed_priorities(requester) else None,
            product_id=await _id(Product, demo.product),
            category_id=await _id(Category, demo.category),
        )
        ref = await cases.open_case(requester, new, mailer=mailer, store=store)
        manager = await _user("manager@portal.example")
        assignee = await _user(demo.assignee) if demo.assignee else None
        team = await SupportTeam.select(SupportTeam.id).where(SupportTeam.name == demo.team).first()
        if manager is not None:
            await case_actions.change(
                manager,
                ref.id,
                CaseChanges(
                    priority=demo.priority,
                    assignee_id=assignee.id if assignee else None,
                    team_id=team["id"] if team else None,
                    tags=list(demo.tags),
                ),
                mailer=mailer,
            )
        for author_email, text, internal in demo.conversation:
            author = await _user(author_email)
            if author is not None:
                await cases.reply(author, ref.id, text, mailer=mailer, store=store, internal=internal)
        if demo.status is not None and manager is not None:
            await case_actions.change(manager, ref.id, CaseChanges(status=demo.status), mailer=mailer)
