from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-23T19:30:39:531807"
VERSION = "1.38.0"
DESCRIPTION = "Composite indexes for case lists, the staff queue and case pages"

# (name, table, columns[, condition of a partial index]): each serves one family of queries, measured in bench/README.md ("Cases"). The same
# statements are valid on SQLite and PostgreSQL; "case" is quoted because it is a keyword in both.
ACTIVE = "\"status\" IN ('new', 'open', 'waiting_on_customer', 'on_hold')"
INDEXES = [
    # A customer's cases, newest change first, in keyset pages: own cases (the scope always names the account
    # too, and with (requester, ...) alone PostgreSQL misjudged how the two correlate: a 137 ms bitmap scan and
    # sort at 1,000,000 cases instead of 0.1 ms), or the account's.
    ("support_case_account_requester_updated_at_id", "support_case", '"account", "requester", "updated_at", "id"'),
    ("support_case_account_updated_at_id", "support_case", '"account", "updated_at", "id"'),
    # The staff queue in SLA order: mine or unassigned (assignee IS NULL), my teams', one status.
    ("support_case_assignee_due_at_id", "support_case", '"assignee", "due_at", "id"'),
    ("support_case_team_due_at_id", "support_case", '"team", "due_at", "id"'),
    ("support_case_status_due_at_id", "support_case", '"status", "due_at", "id"'),
    # The queue's tab counts (cases still being worked per view), read from the index alone.
    ("support_case_assignee_status", "support_case", '"assignee", "status"'),
    ("support_case_team_status", "support_case", '"team", "status"'),
    # A case page's conversation, in order.
    ("case_message_case_created_at_id", "case_message", '"case", "created_at", "id"'),
    # The follow-up cases a case page lists (without it, a scan of every case per page view).
    ("support_case_follows", "support_case", '"follows"'),
    # Unread marks and the navigation's unread counts: one user's view of one case, looked up per case.
    ("case_view_case_user", "case_view", '"case", "user", "seen_at"'),
    # The queue's usual views cover only cases still being worked, a small part of all cases after a few years:
    # partial indexes over just those rows keep the default and "all" views, and the priority sort, to a few ms.
    ("support_case_active_due", "support_case", '"due_at", "id"', ACTIVE),
    ("support_case_active_assignee_due", "support_case", '"assignee", "due_at", "id"', ACTIVE),
    ("support_case_active_team_due", "support_case", '"team", "due_at", "id"', ACTIVE),
    ("support_case_active_priority", "support_case", '"priority_rank" DESC, "id"', ACTIVE),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for name, table, columns, *where in INDEXES:
            condition = f" WHERE {where[0]}" if where else ""
            await engine.run_ddl(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({columns}){condition}')

    async def drop_indexes():
        engine = engine_finder()
        for name, *_ in INDEXES:
            await engine.run_ddl(f'DROP INDEX IF EXISTS "{name}"')

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)

    return manager
