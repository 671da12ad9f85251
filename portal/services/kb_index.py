"""The knowledge base's search, as the web handlers and the CLI use it: async, fed from the database.

`KnowledgeSearch` wraps a `SearchBackend` (the whoosh index on local disk) and runs its blocking calls in a
worker thread. Several server processes may share one index directory: the backend lets one write at a time and
every reader sees each commit.

Keeping the index current never fails the request that changed an article: when an update cannot be written
(the index is locked by a long rebuild, the disk is full, the index is damaged), the keys are remembered as
*dirty*, in this process and in a `dirty` file in the index directory (so another process, or this one after a
restart, still knows), and the next `refresh` or the periodic `catch_up` writes them.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import secrets
import warnings
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread

from portal.db.kb_tables import Article, ArticleStatus, KbCategory
from portal.search.backend import Progress
from portal.search.documents import Clearance, SearchDocument, SearchQuery, SearchResults
from portal.search.whoosh_backend import WhooshBackend, open_or_rebuild
from portal.services.users import CurrentUser
from portal.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

DIRTY_FILE = "dirty"  # keys whose index update failed, one per line; "*" means "rebuild everything"
EVERYTHING = "*"
CATCH_UP_INTERVAL = 60.0  # seconds between a server process's looks for dirty keys


def clearance_of(user: CurrentUser | None) -> Clearance:
    """What a viewer may read: anonymous visitors public articles; anyone signed in (a customer's contact or a
    prospect) customers' articles too; staff everything, internal articles included."""
    if user is None:
        return "anonymous"
    return "staff" if user.is_staff else "customer"


# --- Articles as search documents -------------------------------------------------------------------------

_COLUMNS: tuple[Any, ...] = (
    Article.id,
    Article.key,
    Article.slug,
    Article.language,
    Article.title,
    Article.summary,
    Article.body,
    Article.tags,
    Article.products,
    Article.audience,
    Article.status,
    Article.updated_at,
    Article.category.slug.as_alias("category_slug"),
)


async def document_for(row: dict[str, Any]) -> SearchDocument:
    """An Article row (a dict from `Article.select`) as the index takes it. With a `category_slug` key (the
    joined category's slug, as `documents_from_database` selects it) no query is needed."""
    if "category_slug" in row:
        category = row["category_slug"]
    elif row.get("category") is not None:
        category = await _category_slug(row["category"])
    else:
        category = None
    updated: datetime = row["updated_at"]
    return SearchDocument(
        id=row["key"],
        slug=row["slug"],
        language=row["language"],
        title=row["title"],
        summary=row["summary"] or "",
        body=row["body"] or "",
        tags=list(_json_list(row["tags"])),
        products=list(_json_list(row["products"])),
        category=category or "",
        audience=row["audience"],
        updated=updated if updated.tzinfo is not None else updated.replace(tzinfo=UTC),
    )


async def documents_from_database(keys: Iterable[str] | None = None) -> list[SearchDocument]:
    """Published articles (all of them, or those of `keys`) as search documents."""
    query = Article.select(*_COLUMNS).where(Article.status == ArticleStatus.published)
    if keys is not None:
        wanted = sorted(set(keys))
        if not wanted:
            return []
        query = query.where(Article.key.is_in(wanted))
    rows = await query.order_by(Article.id).output(load_json=True)
    return [await document_for(row) for row in rows]


async def _category_slug(category_id: int) -> str | None:
    row = await KbCategory.select(KbCategory.slug).where(KbCategory.id == category_id).first()
    return None if row is None else row["slug"]


def _json_list(value: Any) -> list[str]:
    if isinstance(value, str):  # a JSON column read without load_json
        value = json.loads(value or "[]")
    return [str(item) for item in value or []]


# --- The service ------------------------------------------------------------------------------------------


class KnowledgeSearch:
    """Search, suggestions and index upkeep for the knowledge base. One per process (`app.state.search`)."""

    def __init__(self, index_dir: Path, *, write_timeout: float = 30.0, snippet_chars: int = 240) -> None:
        self.index_dir = index_dir
        self.write_timeout = write_timeout
        self.snippet_chars = snippet_chars
        self.backend = WhooshBackend(index_dir, write_timeout=write_timeout, snippet_chars=snippet_chars)
        self._dirty: set[str] = set()

    @classmethod
    def from_settings(cls, settings: Settings) -> KnowledgeSearch:
        return cls(
            settings.search_index_dir,
            write_timeout=settings.search.write_timeout,
            snippet_chars=settings.search.snippet_chars,
        )

    # --- Opening ------------------------------------------------------------------------------------------

    async def open(self) -> None:
        """Make sure there is a usable index: a missing, damaged or outdated one is rebuilt from the database.
        Run at start-up, before the first search."""

        def check_or_rebuild() -> WhooshBackend:
            return open_or_rebuild(
                self.index_dir,
                lambda: anyio.from_thread.run(documents_from_database),
                write_timeout=self.write_timeout,
            )

        backend = await anyio.to_thread.run_sync(check_or_rebuild)
        backend.snippet_chars = self.snippet_chars
        self.backend = backend

    # --- Reading ------------------------------------------------------------------------------------------

    async def search(self, query: SearchQuery) -> SearchResults:
        empty = SearchResults(hits=[], total=0, page=query.page, page_size=query.page_size)
        return await self._read(lambda: self.backend.search(query), empty)

    async def suggest(self, prefix: str, clearance: Clearance, limit: int = 8) -> list[str]:
        return await self._read(lambda: self.backend.suggest(prefix, clearance, limit), [])

    async def did_you_mean(self, text: str, clearance: Clearance) -> str | None:
        return await self._read(lambda: self.backend.did_you_mean(text, clearance), None)

    async def _read(self, call: Callable[[], T], unavailable: T) -> T:
        try:
            return await anyio.to_thread.run_sync(call)
        except Exception:
            # The index went missing or was damaged after start-up (garbage in a file surfaces as almost any
            # exception). Rebuild it if that is the cause, then answer; anything else is a real bug.
            if await anyio.to_thread.run_sync(self._usable):
                raise
            log.exception("search index at %s unusable; rebuilding it", self.index_dir)
        _collect_unclosed_files()
        try:
            await self.rebuild()
        except Exception:  # another process holds the lock (rebuilding it, most likely): answer "nothing" now
            log.exception("search index at %s could not be rebuilt; answering without it", self.index_dir)
            self._mark_dirty({EVERYTHING})
            return unavailable
        return await anyio.to_thread.run_sync(call)

    # --- Writing ------------------------------------------------------------------------------------------

    async def refresh(self, keys: Iterable[str]) -> None:
        """Bring these articles ("<slug>:<language>") up to date in the index: published ones are (re)indexed,
        any other (draft, archived, deleted) removed. Never raises for the index's sake: a failed update is
        marked dirty and written by the next refresh or `catch_up`."""
        wanted = set(keys) | self._take_dirty()
        if not wanted:
            return
        if EVERYTHING in wanted:
            await self._rebuild_or_mark()
            return
        failed = False
        try:
            documents = await documents_from_database(wanted)
            gone = wanted - {document.id for document in documents}
            await anyio.to_thread.run_sync(self._write, documents, gone)
        except Exception:  # IndexBusy, OSError, a damaged index: the caller's change is saved all the same
            log.exception("search index update failed for %s; will retry", sorted(wanted))
            # A missing or damaged index takes no updates at all: the next catch-up rebuilds it instead.
            usable = await anyio.to_thread.run_sync(self._usable)
            self._mark_dirty(wanted if usable else {EVERYTHING})
            failed = True
        if failed:
            _collect_unclosed_files()

    def _usable(self) -> bool:
        try:
            return self.backend.store.check() is None
        except Exception:
            return False

    def _write(self, documents: list[SearchDocument], gone: set[str]) -> None:
        if documents:
            self.backend.index(documents)
        if gone:
            self.backend.delete(sorted(gone))

    async def catch_up(self) -> bool:
        """Write updates that failed before (in any process sharing the directory). True when there were any."""
        pending = self._take_dirty()
        if not pending:
            return False
        await self.refresh(pending)
        return True

    async def rebuild(self, progress: Progress | None = None) -> int:
        """Index every published article afresh and switch to it at once. Returns the number indexed."""
        covered = self._take_dirty()  # this rebuild writes them; keys marked from here on wait for the next refresh
        try:
            documents = await documents_from_database()
            count = await anyio.to_thread.run_sync(lambda: self.backend.rebuild(documents, progress))
        except BaseException:
            if covered:
                self._mark_dirty(covered)
            raise
        return count

    async def _rebuild_or_mark(self) -> None:
        try:
            await self.rebuild()
        except Exception:
            log.exception("search index rebuild failed; will retry")
            self._mark_dirty({EVERYTHING})

    # --- Dirty marks --------------------------------------------------------------------------------------

    @property
    def dirty(self) -> frozenset[str]:
        """Keys waiting for an index update, in this process and in the shared directory."""
        path = self.index_dir / DIRTY_FILE
        try:
            shared = set(path.read_text(encoding="utf-8").split())
        except OSError:
            shared = set()
        return frozenset(self._dirty | shared)

    def _mark_dirty(self, keys: set[str]) -> None:
        """Record keys in the shared file, so whichever process catches up first writes them; in this process's
        memory only when the file cannot be written."""
        try:  # appends of a few lines are atomic enough between processes (O_APPEND)
            self.index_dir.mkdir(parents=True, exist_ok=True)
            with (self.index_dir / DIRTY_FILE).open("a", encoding="utf-8") as file:
                file.write("".join(f"{key}\n" for key in sorted(keys)))
        except OSError:
            log.warning("cannot record dirty search keys in %s; kept in memory only", self.index_dir)
            self._dirty |= keys

    def _take_dirty(self) -> set[str]:
        """Claim the dirty keys: this process's, and the shared file's (renamed first, so that two processes
        never both take the same lines and a key marked meanwhile lands in a fresh file)."""
        taken, self._dirty = self._dirty, set()
        path = self.index_dir / DIRTY_FILE
        claim = self.index_dir / f".{DIRTY_FILE}-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            os.replace(path, claim)
        except OSError:  # no such file: nothing marked
            return taken
        try:
            taken |= set(claim.read_text(encoding="utf-8").split())
            claim.unlink()
        except OSError:
            log.warning("cannot read dirty search keys from %s", claim)
        return taken


def _collect_unclosed_files() -> None:
    """whoosh leaves the file it failed to read open; once the exception is gone, close it quietly here rather
    than have a ResourceWarning surface later, far from its cause."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


async def catch_up_periodically(search: KnowledgeSearch, interval: float = CATCH_UP_INTERVAL) -> None:
    """Every server process runs this: dirty keys are claimed by one of them and written."""
    while True:
        await anyio.sleep(interval)
        try:
            await search.catch_up()
        except Exception:  # a database outage must not end the loop
            log.exception("search index catch-up failed")
