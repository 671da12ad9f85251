"""Fill a database with synthetic, plausible data for benchmarks: `python -m bench.generate --accounts N ...`.

One `generate_<family>` function per table family (accounts, users; later cases, leads, articles), each
inserting in batches of `--batch-size` rows, one write transaction per batch, so millions of rows take
seconds and a running server is never locked out for long. `generate` calls them in dependency order.

Names mix Greek and English the way a Greek CRM's customers do; everything is drawn from a seeded random
generator, so the same `--seed` gives the same names (timestamps are relative to the time of the run).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any, TypeVar

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.query.functions.aggregate import Max
from piccolo.table import Table
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table as RichTable

from portal.db import engine as db_engine
from portal.db.tables import Account, AccountKind, Case, CaseMessage, CaseTag, Role, User
from portal.services.passwords import hash_password

# Synthetic users sign in with this; printed in the summary. Benchmark data only, never a real database.
DEFAULT_PASSWORD = "bench-password"  # noqa: S105
DEFAULT_SEED = 20_240_601
DEFAULT_BATCH_SIZE = 1_000  # rows per INSERT, fewer for wide tables (see MAX_BOUND_VALUES)
BULK_BATCH_SIZE = 10_000  # rows per executemany (SQLite) or COPY (PostgreSQL) in `Generator.bulk`
MAX_BOUND_VALUES = 32_766  # per statement: SQLite's limit (asyncpg allows 32,767); one per column per row
FALLBACK_MAIL_DOMAIN = "mail.example"  # private persons have no company domain
SPREAD = timedelta(days=5 * 365)  # how far back synthetic accounts were created

console = Console(stderr=True)
T = TypeVar("T")

# --- Name material ---------------------------------------------------------------------------------------
# (Greek spelling, Latin transliteration for email addresses)
GREEK_MALE_FIRST = [
    ("Γιώργος", "giorgos"), ("Νίκος", "nikos"), ("Κώστας", "kostas"), ("Δημήτρης", "dimitris"),
    ("Γιάννης", "giannis"), ("Παναγιώτης", "panagiotis"), ("Βασίλης", "vasilis"), ("Χρήστος", "christos"),
    ("Αντώνης", "antonis"), ("Μιχάλης", "michalis"), ("Σπύρος", "spyros"), ("Θανάσης", "thanasis"),
]  # fmt: skip
GREEK_FEMALE_FIRST = [
    ("Μαρία", "maria"), ("Ελένη", "eleni"), ("Κατερίνα", "katerina"), ("Σοφία", "sofia"),
    ("Αναστασία", "anastasia"), ("Δήμητρα", "dimitra"), ("Γεωργία", "georgia"), ("Ιωάννα", "ioanna"),
    ("Βασιλική", "vasiliki"), ("Χριστίνα", "christina"), ("Αγγελική", "angeliki"), ("Ευαγγελία", "evangelia"),
]  # fmt: skip
# (masculine form, feminine form, transliteration)
GREEK_SURNAMES = [
    ("Παπαδόπουλος", "Παπαδοπούλου", "papadopoulos"), ("Γεωργίου", "Γεωργίου", "georgiou"),
    ("Δημητρίου", "Δημητρίου", "dimitriou"), ("Κωνσταντίνου", "Κωνσταντίνου", "konstantinou"),
    ("Ιωάννου", "Ιωάννου", "ioannou"), ("Νικολάου", "Νικολάου", "nikolaou"),
    ("Παπαδάκης", "Παπαδάκη", "papadakis"), ("Βλάχος", "Βλάχου", "vlachos"),
    ("Οικονόμου", "Οικονόμου", "oikonomou"), ("Μακρής", "Μακρή", "makris"),
    ("Καραγιάννης", "Καραγιάννη", "karagiannis"), ("Πετρόπουλος", "Πετροπούλου", "petropoulos"),
    ("Χατζηδάκης", "Χατζηδάκη", "chatzidakis"), ("Αλεξίου", "Αλεξίου", "alexiou"),
]  # fmt: skip
ENGLISH_FIRST = [
    "James", "Oliver", "Daniel", "Thomas", "Michael", "David", "Peter", "Mark",
    "Emma", "Sophie", "Laura", "Hannah", "Charlotte", "Grace", "Alice", "Helen",
]  # fmt: skip
ENGLISH_SURNAMES = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Walker",
    "Wright", "Carter", "Hughes", "Bennett", "Clarke", "Turner", "Harris", "Cooper",
]  # fmt: skip
# (Greek, English, slug)
COMPANY_STEMS = [
    ("Αιγαίο", "Aegean", "aegean"), ("Όλυμπος", "Olympus", "olympus"), ("Ερμής", "Hermes", "hermes"),
    ("Αθηνά", "Athena", "athena"), ("Ποσειδών", "Poseidon", "poseidon"), ("Κρήτη", "Crete", "crete"),
    ("Ιόνιο", "Ionian", "ionian"), ("Δελφοί", "Delphi", "delphi"), ("Πήγασος", "Pegasus", "pegasus"),
    ("Αρκαδία", "Arcadia", "arcadia"), ("Ήλιος", "Helios", "helios"), ("Δωδώνη", "Dodoni", "dodoni"),
    ("Νέστωρ", "Nestor", "nestor"), ("Θεσσαλία", "Thessaly", "thessaly"),
    ("Μακεδονία", "Macedonia", "macedonia"),
]  # fmt: skip
COMPANY_ACTIVITIES = [
    ("Τεχνική", "Engineering", "tech"), ("Εμπορική", "Trading", "trading"),
    ("Πληροφορική", "Software", "soft"), ("Μεταφορική", "Logistics", "logistics"),
    ("Τροφίμων", "Foods", "foods"), ("Ενεργειακή", "Energy", "energy"),
    ("Ασφαλιστική", "Insurance", "insurance"), ("Κατασκευαστική", "Construction", "build"),
    ("Τουριστική", "Travel", "travel"), ("Ιατρική", "Medical", "medical"),
]  # fmt: skip
GREEK_LEGAL_FORMS = ["Α.Ε.", "Ε.Π.Ε.", "Ο.Ε.", "Ι.Κ.Ε."]
ENGLISH_LEGAL_FORMS = ["S.A.", "Ltd", "Hellas S.A.", "Group"]


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    email_local: str  # ASCII, without the running number
    locale: str


def random_person(rng: random.Random) -> Person:
    """About six in ten Greek (written in Greek, speaking Greek), the rest English."""
    if rng.random() < 0.6:
        female = rng.random() < 0.5
        first, first_latin = rng.choice(GREEK_FEMALE_FIRST if female else GREEK_MALE_FIRST)
        masculine, feminine, last_latin = rng.choice(GREEK_SURNAMES)
        return Person(f"{first} {feminine if female else masculine}", f"{first_latin}.{last_latin}", "el")
    first_en, last_en = rng.choice(ENGLISH_FIRST), rng.choice(ENGLISH_SURNAMES)
    return Person(f"{first_en} {last_en}", f"{first_en}.{last_en}".lower(), "en")


def random_company(rng: random.Random, number: int) -> tuple[str, str]:
    """A company name and its (reserved `.example`) domain; the number keeps domains distinct."""
    greek_stem, english_stem, stem_slug = rng.choice(COMPANY_STEMS)
    greek_activity, english_activity, activity_slug = rng.choice(COMPANY_ACTIVITIES)
    if rng.random() < 0.5:
        name = f"{greek_stem} {greek_activity} {rng.choice(GREEK_LEGAL_FORMS)}"
    else:
        name = f"{english_stem} {english_activity} {rng.choice(ENGLISH_LEGAL_FORMS)}"
    return name, f"{stem_slug}-{activity_slug}-{number}.example"


def random_moment(rng: random.Random, after: datetime, before: datetime) -> datetime:
    span = max((before - after).total_seconds(), 0.0)
    return after + timedelta(seconds=rng.uniform(0, span))


# --- Batched insertion -----------------------------------------------------------------------------------


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


@dataclass
class Generator:
    """What every `generate_<family>` function shares: randomness, database, progress bar and tally."""

    rng: random.Random
    engine: Engine[Any]
    progress: Progress
    batch_size: int
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    tally: dict[str, tuple[int, float]] = field(default_factory=dict)  # family -> (rows, seconds)
    tasks: dict[str, Any] = field(default_factory=dict)  # family -> its progress bar (for `bulk`)
    samples: list[tuple[str, str]] = field(default_factory=list)  # (who, email) to print at the end

    async def insert(self, family: str, table: type[Table], rows: Iterable[Table], total: int) -> list[int]:
        """Insert `rows` in batches, one write transaction each, and return the new primary keys in order."""
        task = self.progress.add_task(f"Inserting {family}", total=total)
        started = time.perf_counter()
        ids: list[int] = []
        per_batch = max(1, min(self.batch_size, MAX_BOUND_VALUES // len(table._meta.columns)))
        for batch in chunked(rows, per_batch):
            async with db_engine.write_transaction(self.engine):
                inserted = await table.insert(*batch)
            ids.extend(row[table._meta.primary_key._meta.db_column_name] for row in inserted)
            self.progress.advance(task, len(batch))
        rows_before, seconds_before = self.tally.get(family, (0, 0.0))
        self.tally[family] = (rows_before + len(ids), seconds_before + time.perf_counter() - started)
        return ids

    async def bulk(
        self,
        family: str,
        table: type[Table],
        columns: Sequence[str],
        rows: Sequence[tuple[Any, ...]],
        total: int | None = None,
    ) -> None:
        """Insert plain tuples, ids included, as fast as the database takes them: `executemany` on SQLite,
        `COPY` on PostgreSQL, `BULK_BATCH_SIZE` rows per write transaction. For the big families, where building
        a Piccolo object per row would cost more than the database; may be called again for the same family
        (one chunk at a time), which adds to its progress bar and tally."""
        if family not in self.tasks:
            self.tasks[family] = self.progress.add_task(f"Inserting {family}", total=total)
        task = self.tasks[family]
        started = time.perf_counter()
        name = table._meta.tablename
        for batch in chunked(rows, BULK_BATCH_SIZE):
            if isinstance(self.engine, PostgresEngine):
                async with self.engine.transaction() as transaction:
                    await transaction.connection.copy_records_to_table(name, records=batch, columns=list(columns))
            else:
                names = ", ".join(f'"{column}"' for column in columns)
                placeholders = ", ".join("?" * len(columns))
                sql = f'INSERT INTO "{name}" ({names}) VALUES ({placeholders})'  # noqa: S608 (names from tables.py)
                async with db_engine.write_transaction(self.engine) as transaction:
                    await transaction.connection.executemany(sql, batch)
            self.progress.advance(task, len(batch))
        if rows and isinstance(self.engine, PostgresEngine):  # the ids were ours: move the sequence past them
            top = f'(SELECT max(id) FROM "{name}")'  # noqa: S608 (the name is from tables.py)
            await self.engine.run_ddl(f"""SELECT setval(pg_get_serial_sequence('"{name}"', 'id'), {top})""")
        rows_before, seconds_before = self.tally.get(family, (0, 0.0))
        self.tally[family] = (rows_before + len(rows), seconds_before + time.perf_counter() - started)

    @contextlib.asynccontextmanager
    async def without_indexes(self, tables: Sequence[type[Table]]) -> AsyncIterator[None]:
        """Drop the plain (not unique) indexes of `tables` while loading, and build them again after: one
        sorted build per index costs a fraction of keeping a dozen indexes up to date row by row. Unique
        indexes stay, as they enforce constraints. If the run dies in between, the indexes are gone: the
        benchmark's database is a throw-away one (`python -m portal migrate` does not bring them back)."""
        names = {table._meta.tablename for table in tables}
        if isinstance(self.engine, PostgresEngine):
            query = (
                "SELECT i.tablename AS table_name, i.indexname AS name, i.indexdef AS sql FROM pg_indexes i "
                "JOIN pg_class c ON c.relname = i.indexname JOIN pg_index x ON x.indexrelid = c.oid "
                "WHERE NOT x.indisunique AND i.schemaname = 'public'"
            )
        else:
            query = (
                "SELECT tbl_name AS table_name, name, sql FROM sqlite_master "
                "WHERE type = 'index' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'"
            )
        indexes = [index for index in await self.engine.run_ddl(query) if index["table_name"] in names]
        for index in indexes:
            await self.engine.run_ddl(f'DROP INDEX "{index["name"]}"')
        try:
            yield
        finally:
            task = self.progress.add_task("Building indexes", total=len(indexes))
            started = time.perf_counter()
            for index in indexes:
                await self.engine.run_ddl(index["sql"])
                self.progress.advance(task)
            self.tally["building indexes"] = (0, time.perf_counter() - started)


async def next_number(table: type[Table]) -> int:
    """One past the highest primary key, so appended rows get fresh, unique names and domains."""
    row = await table.select(Max(table._meta.primary_key, alias="top")).first()
    return int((row or {}).get("top") or 0) + 1


# --- Table families --------------------------------------------------------------------------------------


async def generate_accounts(gen: Generator, count: int) -> list[int]:
    """Customers: nine in ten companies with a domain, one in ten private persons without."""
    first_number = await next_number(Account)
    oldest = gen.now - SPREAD

    def rows() -> Iterator[Account]:
        for number in range(first_number, first_number + count):
            if gen.rng.random() < 0.1:
                kind, (name, domain) = AccountKind.person, (random_person(gen.rng).name, None)
            else:
                kind, (name, domain) = AccountKind.company, random_company(gen.rng, number)
            yield Account(name=name, kind=kind.value, domain=domain, created_at=random_moment(gen.rng, oldest, gen.now))

    return await gen.insert("accounts", Account, rows(), count)


@dataclass(frozen=True, slots=True)
class SampleLogin:
    email: str
    password: str


async def generate_users(
    gen: Generator, account_ids: Sequence[int], per_account: int, password: str
) -> SampleLogin | None:
    """Customer contacts, `per_account` for every account; returns one active login for `bench.load`."""
    # argon2 is deliberately slow (tens of milliseconds and tens of MiB per hash, to make guessing expensive):
    # hashing per user would turn seconds into hours. Every synthetic user gets this one hash; a real portal
    # never shares salts, but for load tests the stored bytes only need to verify.
    password_hash = hash_password(password)
    first_number = await next_number(User)
    accounts: dict[int, dict[str, Any]] = {}
    for batch in chunked(account_ids, gen.batch_size):
        query = Account.select(Account.id, Account.created_at, Account.domain).where(Account.id.is_in(batch))
        accounts.update((row["id"], row) for row in await query)
    sample: list[SampleLogin] = []

    def rows() -> Iterator[User]:
        number = first_number
        for account_id in account_ids:
            account = accounts.get(account_id, {})
            since = _aware(account.get("created_at")) or gen.now - SPREAD
            domain = account.get("domain") or FALLBACK_MAIL_DOMAIN
            for _ in range(per_account):
                person = random_person(gen.rng)
                joined = random_moment(gen.rng, since, gen.now)
                active = gen.rng.random() >= 0.02
                email = f"{person.email_local}.{number}@{domain}"
                if active and not sample:
                    sample.append(SampleLogin(email, password))
                yield User(
                    email=email,
                    name=person.name,
                    password_hash=password_hash,
                    role=Role.contact.value,
                    locale=person.locale,
                    is_active=active,
                    account=account_id,
                    created_at=joined,
                    email_verified_at=joined,  # contacts linked to an account have confirmed their address
                    last_login_at=random_moment(gen.rng, joined, gen.now) if gen.rng.random() < 0.7 else None,
                )
                number += 1

    await gen.insert("users", User, rows(), len(account_ids) * per_account)
    return sample[0] if sample else None


def _aware(value: Any) -> datetime | None:
    """Timestamps as the engine returns them (SQLite: maybe naive or text) as aware datetimes."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


# --- Orchestration ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    database_url: str
    accounts: int
    users_per_account: int
    seed: int
    password: str
    batch_size: int
    append: bool
    cases: int = 0
    agents: int | None = None  # None: one per CASES_PER_AGENT cases


class NotEmpty(RuntimeError):
    """The database already holds accounts and `--append` was not given."""


async def generate(plan: Plan, progress: Progress) -> tuple[Generator, SampleLogin | None]:
    engine = db_engine.bind(plan.database_url)
    if not await db_engine.start(engine, pool_min_size=1, pool_max_size=2):
        raise RuntimeError(f"Database {plan.database_url} is not reachable.")
    try:
        pending = await db_engine.pending_migrations()
        task = progress.add_task("Migrating", total=len(pending))
        await db_engine.migrate(on_applied=lambda _: progress.advance(task))
        existing = await Account.count()
        if existing and not plan.append:
            raise NotEmpty(f"The database already has {existing:,} accounts; pass --append to add more.")
        gen = Generator(rng=random.Random(plan.seed), engine=engine, progress=progress, batch_size=plan.batch_size)
        account_ids = await generate_accounts(gen, plan.accounts)
        sample = await generate_users(gen, account_ids, plan.users_per_account, plan.password)
        if plan.cases:
            await generate_support(gen, plan)
        # Later families go here, in dependency order.
        return gen, sample
    finally:
        await db_engine.stop(engine)


async def generate_support(gen: Generator, plan: Plan) -> None:
    """Catalogue, staff, cases with messages and tags (`bench.cases`), then fresh planner statistics."""
    from bench import cases  # imports this module: a top-level import here would be circular

    agents = plan.agents or max(5, min(200, plan.cases // cases.CASES_PER_AGENT))
    catalog = await cases.generate_catalog(gen)
    staff = await cases.generate_staff(gen, agents, hash_password(plan.password))
    gen.samples.append(("agent", staff.sample_agent_email))
    contacts: dict[int, list[int]] = {}
    rows = await User.select(User.id, User.account).where(
        (User.role == Role.contact.value) & (User.is_active == True) & User.account.is_not_null()  # noqa: E712
    )
    for row in rows:
        contacts.setdefault(row["account"], []).append(row["id"])
    if not contacts:
        raise RuntimeError("Cases need accounts with contacts: generate some with --accounts.")
    async with gen.without_indexes([Case, CaseMessage, CaseTag]):
        await cases.generate_cases(gen, plan.cases, contacts, catalog, staff)
    task = gen.progress.add_task("Analysing", total=1)
    started = time.perf_counter()
    # The planner's statistics: without them SQLite guesses, and PostgreSQL waits for autovacuum.
    await gen.engine.run_ddl("ANALYZE")
    gen.progress.advance(task)
    gen.tally["analyse"] = (0, time.perf_counter() - started)


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description:<20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def print_summary(gen: Generator, sample: SampleLogin | None, seconds: float, plan: Plan) -> None:
    table = RichTable(title=f"Generated into {plan.database_url} (seed {plan.seed})")
    table.add_column("Family")
    table.add_column("Rows", justify="right")
    table.add_column("Seconds", justify="right")
    table.add_column("Rows/s", justify="right")
    for family, (rows, family_seconds) in gen.tally.items():
        rate = rows / family_seconds if family_seconds else 0.0
        table.add_row(family, f"{rows:,}", f"{family_seconds:.2f}", f"{rate:,.0f}")
    total_rows = sum(rows for rows, _ in gen.tally.values())
    table.add_row("total (with migrating)", f"{total_rows:,}", f"{seconds:.2f}", "", style="bold")
    out = Console()
    out.print(table)
    if sample is not None:
        out.print(f"Sign in as [bold]{sample.email}[/bold] with password [bold]{sample.password}[/bold]")
        out.print(
            f"  python -m bench.load --sign-in '{sample.email}:{sample.password}' --url /account",
            soft_wrap=True,
        )
    for who, email in gen.samples:
        out.print(f"An {who}: [bold]{email}[/bold] (same password)")
    if plan.cases:
        out.print("Load on the case pages: python -m bench.cases_load (it finds its own sign-ins; see bench/README.md)")


def parse_args(argv: Sequence[str] | None = None) -> Plan:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, required=True, help="Accounts (customers) to create.")
    parser.add_argument("--users-per-account", type=int, default=2, help="Contact users per account (default 2).")
    parser.add_argument(
        "--database-url",
        help="sqlite:///PATH or postgresql://...; default: DATABASE_URL, else the portal's settings.",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"Random seed (default {DEFAULT_SEED}).")
    parser.add_argument("--password", default=DEFAULT_PASSWORD, help="Password of every synthetic user.")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="Rows per INSERT.")
    parser.add_argument("--append", action="store_true", help="Add to a database that already has accounts.")
    parser.add_argument("--cases", type=int, default=0, help="Support cases, with messages and tags (default 0).")
    parser.add_argument("--agents", type=int, help="Staff agents (default: one per 2,500 cases, 5 to 200).")
    args = parser.parse_args(argv)
    if args.accounts < 0 or args.users_per_account < 0 or args.batch_size < 1 or args.cases < 0:
        parser.error("--accounts, --users-per-account and --cases must be >= 0, --batch-size >= 1")
    if args.agents is not None and args.agents < 1:
        parser.error("--agents must be >= 1")
    return Plan(
        database_url=args.database_url or _default_database_url(),
        accounts=args.accounts,
        users_per_account=args.users_per_account,
        seed=args.seed,
        password=args.password,
        batch_size=args.batch_size,
        append=args.append,
        cases=args.cases,
        agents=args.agents,
    )


def _default_database_url() -> str:
    from portal.settings import Settings  # reads DATABASE_URL, PORTAL_* and portal.toml

    return Settings().database_url


def main(argv: Sequence[str] | None = None) -> int:
    plan = parse_args(argv)
    started = time.perf_counter()
    try:
        with progress_bar() as progress:
            gen, sample = asyncio.run(generate(plan, progress))
    except NotEmpty as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    print_summary(gen, sample, time.perf_counter() - started, plan)
    return 0


if __name__ == "__main__":
    sys.exit(main())
