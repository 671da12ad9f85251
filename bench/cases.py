"""Synthetic support data for `bench.generate --cases N`: agents and teams, products and categories, cases with
their messages and tags.

Cases are the big family (100,000 on SQLite, 1,000,000 on PostgreSQL), so their rows skip Piccolo's objects
and go in as plain tuples: `executemany` on SQLite, `COPY` on PostgreSQL (see `Generator.bulk`), with ids
assigned here so messages and tags can name their case without reading anything back.

The shape follows a busy help desk: accounts are unequal (a few large customers open most cases), cases are
spread over three years with ids rising with creation time, most old cases are closed while recent ones are
still being worked, and a long tail of cases waits on the customer or is on hold. The queue therefore holds
a few percent of all cases, ordered by an SLA due time that about one active case in ten does not have.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from piccolo.query.functions.aggregate import Max

from bench.generate import Generator, random_moment, random_person
from portal.db.tables import (
    Case,
    CaseMessage,
    CaseStatus,
    CaseTag,
    Category,
    Priority,
    Product,
    Role,
    SupportTeam,
    TeamMembership,
    User,
)

CASE_SPREAD = timedelta(days=3 * 365)  # how far back the oldest case was opened
STAFF_DOMAIN = "support.portal.example"
CASE_CHUNK = 20_000  # cases generated (with their messages and tags) before they are inserted
CASES_PER_AGENT = 2_500  # the default number of agents: one per this many cases, at least 5, at most 200
ACCOUNT_SKEW = 1.1  # Zipf exponent of cases per account: the largest customers open most cases
SLA_FIRST_RESPONSE = {"low": 24, "normal": 8, "high": 4, "urgent": 1}  # hours
SLA_RESOLUTION = {"low": 240, "normal": 120, "high": 48, "urgent": 8}  # hours

TEAMS = ["Service desk", "Hardware", "Software", "Network", "Billing", "Field service", "Complaints"]
PRODUCTS = [
    ("LASER-200", "Laser printer 200", "Εκτυπωτής laser 200"),
    ("LASER-400", "Laser printer 400", "Εκτυπωτής laser 400"),
    ("INK-90", "Inkjet 90", "Inkjet 90"),
    ("ROUTER-X", "Router X", "Δρομολογητής X"),
    ("FIBER-1G", "Fibre 1 Gbit/s", "Οπτική ίνα 1 Gbit/s"),
    ("CLOUD-ERP", "Cloud ERP", "Cloud ERP"),
    ("POS-7", "POS terminal 7", "Τερματικό POS 7"),
    ("BACKUP", "Managed backup", "Διαχειριζόμενα αντίγραφα ασφαλείας"),
    ("VOIP", "Business telephony", "Επιχειρηματική τηλεφωνία"),
    ("LAPTOP-14", "Laptop 14", "Φορητός 14"),
    ("SCAN-5", "Document scanner 5", "Σαρωτής εγγράφων 5"),
    ("SUPPORT+", "Support plus", "Υποστήριξη plus"),
]  # fmt: skip
GENERAL_CATEGORIES = [
    ("billing", "Billing", "Τιμολόγηση"), ("delivery", "Delivery", "Παράδοση"),
    ("installation", "Installation", "Εγκατάσταση"), ("account", "My account", "Ο λογαριασμός μου"),
    ("other", "Other", "Άλλο"),
]  # fmt: skip
PRODUCT_CATEGORIES = [("fault", "Fault", "Βλάβη"), ("setup", "Setup", "Ρύθμιση")]
TAGS = ["vip", "outage", "warranty", "follow-up", "escalated", "refund", "on-site", "security", "billing", "docs"]

# (weight, value) tables, drawn with `_weighted`.
TYPES = [(45, "question"), (30, "incident"), (20, "service_request"), (5, "complaint")]
PRIORITIES = [(20, "low"), (55, "normal"), (20, "high"), (5, "urgent")]
CHANNELS = [(60, "portal"), (25, "email"), (10, "phone"), (5, "api")]
ACTIVE = [(15, "new"), (45, "open"), (25, "waiting_on_customer"), (15, "on_hold")]
PRIORITY_RANK = {priority.value: rank for rank, priority in enumerate(Priority)}

SUBJECTS_EN = [
    "{product} does not start", "Error message on {product}", "Question about my invoice",
    "How do I set up {product}?", "Request for an on-site visit", "{product} is slow since the update",
    "Delivery has not arrived", "Change the contact person on our account", "Complaint about the last visit",
    "Cannot sign in to {product}", "Replacement part for {product}", "Need a copy of the contract",
]  # fmt: skip
SUBJECTS_EL = [
    "Το {product} δεν ξεκινά", "Μήνυμα σφάλματος στο {product}", "Ερώτηση για το τιμολόγιό μου",
    "Πώς ρυθμίζω το {product};", "Αίτημα για επίσκεψη τεχνικού", "Το {product} είναι αργό μετά την ενημέρωση",
    "Η παραγγελία δεν έχει παραδοθεί", "Αλλαγή υπευθύνου επικοινωνίας", "Παράπονο για την τελευταία επίσκεψη",
    "Δεν μπορώ να συνδεθώ στο {product}", "Ανταλλακτικό για το {product}", "Χρειάζομαι αντίγραφο της σύμβασης",
]  # fmt: skip
SENTENCES_EN = [
    "Since this morning the device shows a red light and nothing happens.",
    "We already restarted it twice, as the guide suggests.",
    "Could you tell us when a technician can come?",
    "The problem affects three people in the accounts department.",
    "I attach the error message we see on the screen.",
    "It worked fine until last Friday's update.",
    "Please call me on my mobile if you need more details.",
    "The serial number is on the sticker at the back.",
    "We need this solved before the end of the month.",
    "Thank you for the quick answer last time.",
]
SENTENCES_EL = [
    "Από το πρωί η συσκευή δείχνει κόκκινη ένδειξη και δεν ανταποκρίνεται.",
    "Την επανεκκινήσαμε ήδη δύο φορές, όπως λέει ο οδηγός.",
    "Μπορείτε να μας πείτε πότε μπορεί να έρθει τεχνικός;",
    "Το πρόβλημα αφορά τρία άτομα στο λογιστήριο.",
    "Επισυνάπτω το μήνυμα σφάλματος που βλέπουμε στην οθόνη.",
    "Λειτουργούσε κανονικά μέχρι την ενημέρωση της περασμένης Παρασκευής.",
    "Καλέστε με στο κινητό αν χρειάζεστε περισσότερες λεπτομέρειες.",
    "Ο σειριακός αριθμός είναι στο αυτοκόλλητο στο πίσω μέρος.",
    "Χρειαζόμαστε λύση πριν από το τέλος του μήνα.",
    "Ευχαριστούμε για τη γρήγορη απάντηση την προηγούμενη φορά.",
]
REPLIES_EN = [
    "Thank you for reporting this. Could you send us a photo of the display?",
    "We have scheduled a technician for tomorrow between 9:00 and 13:00.",
    "A firmware update fixes this; the steps are in the article linked below.",
    "We credited the difference to your account; it will appear on the next invoice.",
    "Could you confirm that the issue is solved so that we can close the case?",
]
REPLIES_EL = [
    "Ευχαριστούμε για την αναφορά. Μπορείτε να μας στείλετε μια φωτογραφία της οθόνης;",
    "Προγραμματίσαμε επίσκεψη τεχνικού για αύριο μεταξύ 9:00 και 13:00.",
    "Μια ενημέρωση υλικολογισμικού το διορθώνει· τα βήματα είναι στο άρθρο παρακάτω.",
    "Πιστώσαμε τη διαφορά στον λογαριασμό σας· θα εμφανιστεί στο επόμενο τιμολόγιο.",
    "Μπορείτε να επιβεβαιώσετε ότι το θέμα λύθηκε ώστε να κλείσουμε την υπόθεση;",
]
NOTES = [
    "Customer called, waiting for the part from the warehouse.",
    "Checked the logs: same fault as last month, see the linked case.",
    "Escalated to second level; do not promise a date yet.",
    "VIP customer, the account manager asked to be kept informed.",
]

CASE_COLUMNS = (
    "id", "number", "type", "status", "priority", "priority_rank", "subject", "description", "channel",
    "product", "category", "account", "requester", "assignee", "team", "created_at", "updated_at",
    "last_public_at", "first_response_at", "resolved_at", "closed_at", "first_response_due_at",
    "resolution_due_at", "due_at",
)  # fmt: skip
MESSAGE_COLUMNS = ("id", "case", "author", "kind", "body", "via", "created_at")
TAG_COLUMNS = ("id", "case", "tag", "key")


def _weighted(rng: random.Random, table: Sequence[tuple[int, str]]) -> str:
    return rng.choices([value for _, value in table], weights=[weight for weight, _ in table])[0]


def _texts(rng: random.Random, sentences: Sequence[str], count: int, per_text: tuple[int, int]) -> list[str]:
    """A pool of `count` texts made of a few sentences each: drawn once, reused by every row (cheap)."""
    return [" ".join(rng.sample(sentences, rng.randint(*per_text))) for _ in range(count)]


@dataclass(frozen=True, slots=True)
class Texts:
    en: list[str]
    el: list[str]


@dataclass(frozen=True, slots=True)
class Catalog:
    product_ids: list[int]
    product_names: dict[int, tuple[str, str]]  # id -> (English, Greek)
    general_categories: list[int]
    categories_by_product: dict[int, list[int]]


@dataclass(frozen=True, slots=True)
class Staff:
    agent_ids: list[int]
    team_ids: list[int]
    members: dict[int, list[int]]  # team id -> agent ids
    sample_agent_email: str


async def generate_catalog(gen: Generator) -> Catalog:
    """Products and categories: a few general categories, and a fault and a setup category per product."""
    suffix = await _next_suffix(Product)
    product_ids = await gen.insert(
        "products",
        Product,
        (Product(code=f"{code}{suffix}", name_en=en, name_el=el) for code, en, el in PRODUCTS),
        len(PRODUCTS),
    )
    names = {pid: (en, el) for pid, (_, en, el) in zip(product_ids, PRODUCTS, strict=True)}
    general = await gen.insert(
        "categories",
        Category,
        (Category(code=f"{code}{suffix}", name_en=en, name_el=el) for code, en, el in GENERAL_CATEGORIES),
        len(GENERAL_CATEGORIES),
    )
    per_product = [(pid, code, en, el) for pid in product_ids for code, en, el in PRODUCT_CATEGORIES]
    ids = await gen.insert(
        "categories",
        Category,
        (
            Category(code=f"{code}-{pid}{suffix}", name_en=en, name_el=el, product=pid)
            for pid, code, en, el in per_product
        ),
        len(per_product),
    )
    by_product: dict[int, list[int]] = {}
    for (pid, *_), category_id in zip(per_product, ids, strict=True):
        by_product.setdefault(pid, []).append(category_id)
    return Catalog(product_ids, names, general, by_product)


async def generate_staff(gen: Generator, agents: int, password_hash: str) -> Staff:
    """Agents (and one manager per team) in teams: everyone in one team, one in three in a second."""
    suffix = await _next_suffix(SupportTeam)
    team_ids = await gen.insert(
        "teams", SupportTeam, (SupportTeam(name=f"{name}{suffix}") for name in TEAMS), len(TEAMS)
    )
    first = await _next_id(User)

    def rows() -> Iterator[User]:
        for number in range(first, first + agents):
            person = random_person(gen.rng)
            yield User(
                email=f"{person.email_local}.{number}@{STAFF_DOMAIN}",
                name=person.name,
                password_hash=password_hash,
                role=(Role.manager if number - first < max(1, agents // 20) else Role.agent).value,
                locale=person.locale,
                created_at=gen.now - CASE_SPREAD,
                email_verified_at=gen.now - CASE_SPREAD,
            )

    agent_ids = await gen.insert("agents", User, rows(), agents)
    members: dict[int, list[int]] = {team: [] for team in team_ids}
    for index, agent in enumerate(agent_ids):
        teams = [team_ids[index % len(team_ids)]]
        if gen.rng.random() < 1 / 3:
            teams.append(gen.rng.choice([team for team in team_ids if team != teams[0]]))
        for team in teams:
            members[team].append(agent)
    memberships = [(team, agent) for team, agents_of in members.items() for agent in agents_of]
    await gen.insert(
        "team memberships",
        TeamMembership,
        (TeamMembership(team=team, user=agent, key=f"{team}:{agent}") for team, agent in memberships),
        len(memberships),
    )
    sample = await User.select(User.email).where(User.id == agent_ids[-1]).first()
    return Staff(agent_ids, team_ids, members, sample["email"] if sample else "")


async def generate_cases(
    gen: Generator,
    count: int,
    contacts: dict[int, list[int]],
    catalog: Catalog,
    staff: Staff,
) -> tuple[int, int]:
    """`count` cases of the accounts in `contacts` (account id -> its contacts' user ids), with messages and
    tags; returns the first and last case id."""
    rng, now = gen.rng, gen.now
    first_case = await _next_id(Case)
    message_id = await _next_id(CaseMessage)
    tag_id = await _next_id(CaseTag)
    accounts = sorted(account for account, users in contacts.items() if users)
    rng.shuffle(accounts)  # which accounts are the big ones: not simply the oldest
    cumulative = _cumulative([1 / (rank + 10) ** ACCOUNT_SKEW for rank in range(len(accounts))])
    texts = Texts(en=_texts(rng, SENTENCES_EN, 400, (2, 5)), el=_texts(rng, SENTENCES_EL, 400, (2, 5)))
    start, step = now - CASE_SPREAD, CASE_SPREAD / max(count, 1)
    making = 0.0  # seconds spent building rows in Python, apart from inserting them
    # In chunks, each chunk's cases before their messages and tags, so every foreign key points at a row
    # that exists and memory stays flat at a million cases.
    for chunk_start in range(0, count, CASE_CHUNK):
        started = time.perf_counter()
        cases: list[tuple[Any, ...]] = []
        messages: list[tuple[Any, ...]] = []
        tags: list[tuple[Any, ...]] = []
        for offset in range(chunk_start, min(chunk_start + CASE_CHUNK, count)):
            case_id = first_case + offset
            created = start + step * offset + timedelta(seconds=rng.uniform(0, step.total_seconds()))
            account = accounts[_pick(rng, cumulative)]
            users = contacts[account]
            requester = users[0] if len(users) == 1 or rng.random() < 0.6 else rng.choice(users)
            row, case_messages = _case(rng, case_id, created, now, account, requester, catalog, staff, texts)
            cases.append(row)
            for message in case_messages:
                messages.append((message_id, *message))
                message_id += 1
            if rng.random() < 0.3:
                for tag in rng.sample(TAGS, rng.randint(1, 2)):
                    tags.append((tag_id, case_id, tag, f"{case_id}:{tag}"))
                    tag_id += 1
        making += time.perf_counter() - started
        await gen.bulk("cases", Case, CASE_COLUMNS, cases, total=count)
        await gen.bulk("case messages", CaseMessage, MESSAGE_COLUMNS, messages)
        await gen.bulk("case tags", CaseTag, TAG_COLUMNS, tags)
    gen.tally["building case rows"] = (0, making)
    return first_case, first_case + count - 1


def _case(
    rng: random.Random,
    case_id: int,
    created: datetime,
    now: datetime,
    account: int,
    requester: int,
    catalog: Catalog,
    staff: Staff,
    texts: Texts,
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """One case row and its messages (without their ids)."""
    age_days = (now - created).total_seconds() / 86_400
    active = rng.random() < 0.9 * math.exp(-age_days / 20) + 0.02  # recent cases, and a long tail
    status = _weighted(rng, ACTIVE) if active else ("resolved" if age_days < 10 or rng.random() < 0.03 else "closed")
    if status == "new" and age_days > 2 and rng.random() < 0.8:
        status = "open"  # few cases stay untouched for days
    priority = _weighted(rng, PRIORITIES)
    kind = _weighted(rng, TYPES)
    greek = rng.random() < 0.6
    product = rng.choice(catalog.product_ids) if rng.random() < 0.7 else None
    category: int | None = None
    if rng.random() < 0.8:
        options = catalog.general_categories + (catalog.categories_by_product.get(product, []) if product else [])
        category = rng.choice(options)
    if product:
        product_name = catalog.product_names[product][1 if greek else 0]
    else:
        product_name = "το προϊόν" if greek else "the product"
    subject = rng.choice(SUBJECTS_EL if greek else SUBJECTS_EN).format(product=product_name)[:200]
    description = rng.choice(texts.el if greek else texts.en)
    team = rng.choice(staff.team_ids) if rng.random() < 0.9 else None
    assigned = rng.random() < (0.3 if status == "new" else 0.97 if not active else 0.85)
    assignee = rng.choice((staff.members[team] if team else None) or staff.agent_ids) if assigned else None

    first_response_due = created + timedelta(hours=SLA_FIRST_RESPONSE[priority])
    resolution_due = created + timedelta(hours=SLA_RESOLUTION[priority])
    horizon = min(now, created + timedelta(days=rng.uniform(0.05, 2 if active else 12)))
    replies = 0 if status == "new" else min(1 + int(rng.expovariate(1 / 2.2)), 12)
    moments = sorted(random_moment(rng, created, horizon) for _ in range(replies))
    case_messages: list[tuple[Any, ...]] = []
    last_public = created
    first_response = None
    replies_pool = REPLIES_EL if greek else REPLIES_EN
    for index, moment in enumerate(moments):
        internal = index > 0 and rng.random() < 0.2
        from_staff = internal or index % 2 == 0
        author = (assignee or rng.choice(staff.agent_ids)) if from_staff else requester
        if internal:
            body = rng.choice(NOTES)
        elif from_staff:
            body = rng.choice(replies_pool)
        else:
            body = rng.choice(texts.el if greek else texts.en)
        if from_staff and not internal and first_response is None:
            first_response = moment
        if not internal:
            last_public = moment
        via = "portal" if not from_staff and rng.random() < 0.8 else "email" if not from_staff else "portal"
        case_messages.append((case_id, author, "internal" if internal else "public", body, via, moment))

    updated = max([created, *moments])
    resolved_at = closed_at = None
    if not active:
        resolved_at = updated + timedelta(hours=rng.uniform(0.5, 48))
        closed_at = resolved_at + timedelta(days=7) if status == "closed" else None
        updated = min(now, closed_at or resolved_at)
        resolved_at = min(resolved_at, updated)
    due_at = None
    if active and rng.random() >= 0.1:  # one active case in ten has no SLA (no contract, no default policy)
        if status == CaseStatus.waiting_on_customer and rng.random() < 0.5:
            due_at = None  # the clock is paused while the customer answers
        else:
            due_at = first_response_due if first_response is None else resolution_due
    row = (
        case_id, f"C-{created.year}-{case_id:06d}", kind, status, priority, PRIORITY_RANK[priority], subject,
        description, _weighted(rng, CHANNELS), product, category, account, requester, assignee, team, created,
        updated, last_public, first_response, resolved_at, closed_at, first_response_due, resolution_due, due_at,
    )  # fmt: skip
    return row, case_messages


def _cumulative(weights: Sequence[float]) -> list[float]:
    total, running, out = sum(weights), 0.0, []
    for weight in weights:
        running += weight
        out.append(running / total)
    return out


def _pick(rng: random.Random, cumulative: list[float]) -> int:
    """Index drawn with the weights behind `cumulative` (binary search: a million draws in about a second)."""
    target, low, high = rng.random(), 0, len(cumulative) - 1
    while low < high:
        middle = (low + high) // 2
        if cumulative[middle] < target:
            low = middle + 1
        else:
            high = middle
    return low


async def _next_id(table: Any) -> int:
    row = await table.select(Max(table.id, alias="top")).first()
    return int((row or {}).get("top") or 0) + 1


async def _next_suffix(table: Any) -> str:
    """ "" the first time, then "-2", "-3"...: unique names and codes when generating with --append."""
    count = await table.count()
    return "" if not count else f"-{count // max(len(TEAMS), 1) + 2}-{count}"
