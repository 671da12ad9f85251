"""The whoosh index on disk: schema, generations, atomic swap on rebuild, and a writer that waits its turn.

Layout under the configured directory:

    current -> ix-20261123T174501-3fa2c1d0     a symbolic link, replaced atomically by a rebuild
    ix-20261123T174501-3fa2c1d0/               the index in use
    ix-20261120T093000-77aa01bc/               the one before, kept until the next rebuild

Every process resolves `current` before it searches or writes, so all of them move to a rebuilt index at
once. The previous generation is kept so that a process still reading it (or waiting for its lock) is not
pulled from under; it notices the new link on its next call.
"""

from __future__ import annotations

import gc
import logging
import os
import secrets
import shutil
import time
import warnings
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from whoosh import index as whoosh_index
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, LockError
from whoosh.query.qcore import Every
from whoosh.searching import Searcher
from whoosh.util.filelock import try_for
from whoosh.writing import IndexWriter

from portal.search.analysis import completion_analyzer, text_analyzer, word_analyzer
from portal.search.backend import Progress
from portal.search.documents import AUDIENCES, SearchDocument

log = logging.getLogger(__name__)

T = TypeVar("T")

LINK = "current"
PREFIX = "ix-"
BATCH = 1_000  # documents between progress reports


class IndexBusy(RuntimeError):
    """Another process held the index's write lock longer than `write_timeout`; try again later."""


def make_schema() -> Schema:
    """Ranked fields are stemmed; `words_*` (spelling) and `complete_*` (as you type) are per audience, so that
    a viewer's suggestions can only come from words of documents of audiences they may see."""
    text = text_analyzer()
    per_audience: dict[str, Any] = {}
    for audience in AUDIENCES:
        per_audience[f"words_{audience}"] = TEXT(analyzer=word_analyzer(), phrase=False)
        per_audience[f"complete_{audience}"] = TEXT(analyzer=completion_analyzer(), phrase=False)
    return Schema(
        id=ID(stored=True, unique=True),
        slug=STORED(),
        language=ID(stored=True),
        audience=ID(stored=True),
        category=ID(stored=True),
        products=KEYWORD(stored=True, commas=True, scorable=False),
        title=TEXT(analyzer=text, stored=True),
        tags=TEXT(analyzer=text, phrase=False),
        summary=TEXT(analyzer=text, stored=True, phrase=False),
        body=TEXT(analyzer=text, stored=True, phrase=False),  # stored for highlighting; no positions: no phrases
        updated=DATETIME(stored=True),
        **per_audience,
    )


def schema_signature(schema: Schema) -> tuple[tuple[str, tuple[tuple[str, str | None], ...]], ...]:
    """Field names with their analysis chains (filter classes, tokenizer pattern). whoosh's `Schema.__eq__`
    ignores analysers, and an index keeps analysing new documents with the chain pickled into it, so an index
    written with another chain must be rebuilt rather than mixed with this one."""

    def chain(field: Any) -> tuple[tuple[str, str | None], ...]:
        items = getattr(getattr(field, "analyzer", None), "items", ())
        return tuple(
            (type(item).__name__, getattr(getattr(item, "expression", None), "pattern", None)) for item in items
        )

    return tuple((name, chain(schema[name])) for name in sorted(schema.names()))


SCHEMA_SIGNATURE = schema_signature(make_schema())


def fields_of(document: SearchDocument) -> dict[str, Any]:
    plain = " ".join([document.title, " ".join(document.tags), document.summary, document.body])
    return {
        "id": document.id,
        "slug": document.slug,
        "language": document.language,
        "audience": document.audience,
        "category": document.category,
        "products": ",".join(document.products),
        "title": document.title,
        "tags": " ".join(document.tags),
        "summary": document.summary,
        "body": document.body,
        "updated": document.updated,
        f"words_{document.audience}": plain,
        f"complete_{document.audience}": plain,
    }


def consistently(read: Callable[[], T], folder: str) -> T:
    """`read()` of an index that another process may be committing to, without its lock.

    whoosh finds the newest generation by listing the folder, then opens its table of contents and segments;
    a commit in between renames in a newer table and deletes the listed one (and segments a merge replaced),
    so the open fails with FileNotFoundError although the index is fine. A file of the generation read is
    only deleted once a newer generation exists, so when the newest generation moved on, read that one; when
    it did not, the file is really missing and the error stands.
    """
    storage: Any = FileStorage(folder)  # type: ignore[no-untyped-call]
    toc: Any = TOC
    while True:
        seen = toc._latest_generation(storage, whoosh_index._DEF_INDEX_NAME)
        try:
            return read()
        except FileNotFoundError:
            if toc._latest_generation(storage, whoosh_index._DEF_INDEX_NAME) == seen:
                raise


class IndexStore:
    """The directory of index generations; knows which one is current and how to replace it."""

    def __init__(self, root: Path, write_timeout: float = 30.0) -> None:
        self.root = root
        self.write_timeout = write_timeout

    def current_name(self) -> str | None:
        try:
            return os.readlink(self.root / LINK)
        except (FileNotFoundError, NotADirectoryError):
            return None

    def open(self, name: str) -> whoosh_index.FileIndex:
        ix = consistently(lambda: whoosh_index.open_dir(str(self.root / name)), str(self.root / name))
        if schema_signature(consistently(lambda: ix.schema, str(self.root / name))) != SCHEMA_SIGNATURE:
            raise whoosh_index.IndexError(f"index {name} has another schema; rebuild it")  # an older version's
        return ix

    def searcher(self, name: str, index: whoosh_index.FileIndex) -> Searcher:
        """A searcher on the newest commit; `ix.searcher()` would sleep and retry where `consistently` knows."""
        ix: Any = index

        def read() -> Searcher:
            toc = ix._read_toc()
            reader = ix._reader(ix.storage, toc.schema, toc.segments, toc.generation)
            return Searcher(reader, fromindex=ix)

        return consistently(read, str(self.root / name))

    def check(self) -> str | None:
        """Why the current index cannot serve searches (missing, unreadable, old schema), or None when it can.

        Garbage in an index file can surface as almost any exception (struct, pickle, zlib, EOF, KeyError...)
        depending on which byte it hit, so everything is caught here and only here.
        """
        name = self.current_name()
        if name is None:
            return "no index yet"
        # whoosh leaves the file it failed to read open; collect it here so the ResourceWarning does not
        # surface later, far from its cause.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                ix = self.open(name)
                with self.searcher(name, ix) as searcher:
                    for hit in searcher.search(Every(), limit=3):  # type: ignore[no-untyped-call]
                        hit.fields()
                    for field in ("title", "body", "words_public"):
                        next(iter(searcher.lexicon(field)), None)
            except Exception as exc:
                problem = f"{type(exc).__name__}: {exc}"
                del exc
                gc.collect()
                return problem
        return None

    def writer(self, ix: whoosh_index.FileIndex) -> IndexWriter:
        try:
            return ix.writer(timeout=self.write_timeout, delay=0.05)
        except LockError as exc:
            raise IndexBusy(f"the search index at {self.root} stayed locked for {self.write_timeout} s") from exc

    def rebuild(self, documents: Iterable[SearchDocument], progress: Progress | None = None) -> tuple[str, int]:
        """Build a new generation, point `current` at it, drop all but it and the one it replaced.

        The old index's write lock is held throughout, so an edit made during the rebuild waits and then lands
        in the new index (the writer re-checks `current` after it gets the lock) instead of being lost in the
        old one.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        name = f"{PREFIX}{stamp}-{secrets.token_hex(4)}"
        old_name = self.current_name()
        old_lock = self._lock_current(old_name)
        try:
            (self.root / name).mkdir()
            ix = whoosh_index.create_in(str(self.root / name), make_schema())
            count = 0
            writer = ix.writer(limitmb=256)
            try:
                for document in documents:
                    writer.add_document(**fields_of(document))
                    count += 1
                    if progress is not None and count % BATCH == 0:
                        progress(count)
            except BaseException:
                writer.cancel()
                raise
            writer.commit(optimize=True)
            if progress is not None:
                progress(count)
            temporary = self.root / f".{name}.link"
            temporary.symlink_to(name)
            os.replace(temporary, self.root / LINK)
        finally:
            if old_lock is not None:
                old_lock.release()
        self._remove_generations(keep={name, old_name})
        log.info("search index rebuilt: %s documents in %s", count, name)
        return name, count

    def _lock_current(self, name: str | None) -> Any:
        if name is None or not (self.root / name).is_dir():
            return None
        # The lock a whoosh writer of that index takes (`FileIndex.lock`), without reading the index itself,
        # which may be the corrupt one being replaced.
        storage: Any = FileStorage(str(self.root / name))  # type: ignore[no-untyped-call]
        lock = storage.lock(f"{whoosh_index._DEF_INDEX_NAME}_WRITELOCK")
        if not try_for(lock.acquire, timeout=self.write_timeout, delay=0.05):
            raise IndexBusy(f"the search index at {self.root} stayed locked for {self.write_timeout} s")
        return lock

    def _remove_generations(self, keep: set[str | None]) -> None:
        for path in self.root.glob(f"{PREFIX}*"):
            if path.name not in keep and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
        for path in self.root.glob(f".{PREFIX}*.link"):  # left by a rebuild that died before the swap
            if time.time() - path.lstat().st_mtime > 3600:
                path.unlink(missing_ok=True)
