"""Images and attachments of knowledge-base articles, checked and stored as case attachments are.

The same checks (`attachments.check_uploads`: type sniffed from the bytes, an allow-list, size and count limits,
executable names refused) and the same kind of store, in a folder of its own (`kb/` inside the attachments
folder) so that the case attachments' orphan sweep, which knows only `Attachment` rows, never sees these files.

A file is as visible as its article: a published article's files to its audience, a draft's or an archived
article's to staff only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import structlog

from portal.db.kb_tables import ArticleFile, ArticleStatus
from portal.search.documents import Clearance, visible_audiences
from portal.services import knowledge
from portal.services.attachments import (
    SWEEP_AGE,
    SWEEP_INTERVAL,
    AttachmentStore,
    LocalAttachmentStore,
    Upload,
    check_uploads,
    is_inline_image,
    new_key,
)
from portal.services.kb_index import KnowledgeSearch
from portal.settings import CaseSettings

log = structlog.get_logger("portal.kb_files")

SUBFOLDER = "kb"


def article_store(store: AttachmentStore) -> AttachmentStore:
    """Where article files live, beside the case attachments of `store` (the app's) but apart from them."""
    if isinstance(store, LocalAttachmentStore):
        return LocalAttachmentStore(store.root / SUBFOLDER)
    raise TypeError(f"no place for article files in {type(store).__name__}")


@dataclass(frozen=True)
class ArticleFileInfo:
    id: int
    article_id: int
    filename: str
    content_type: str
    size: int
    storage_key: str

    @property
    def url(self) -> str:
        return f"/kb/files/{self.id}/{quote(self.filename, safe='')}"

    @property
    def inline(self) -> bool:
        """An image a browser only draws (PNG, JPEG, GIF, WebP): shown in the page; anything else downloads."""
        return is_inline_image(self.content_type)

    @property
    def markdown(self) -> str:
        """What an author pastes into the body: an image for images, a link for anything else."""
        label = "".join(char for char in self.filename.rpartition(".")[0] or self.filename if char not in "[]\\")
        return f"![{label}]({self.url})" if self.inline else f"[{label}]({self.url})"


_COLUMNS = (
    ArticleFile.id,
    ArticleFile.article.as_alias("article_id"),
    ArticleFile.filename,
    ArticleFile.content_type,
    ArticleFile.size,
    ArticleFile.storage_key,
)


def _info(row: dict[str, Any]) -> ArticleFileInfo:
    return ArticleFileInfo(
        id=row["id"],
        article_id=row["article_id"],
        filename=row["filename"],
        content_type=row["content_type"],
        size=row["size"],
        storage_key=row["storage_key"],
    )


async def add(
    store: AttachmentStore,
    article_id: int,
    uploads: Sequence[Upload],
    *,
    limits: CaseSettings,
    uploaded_by: int | None,
) -> list[ArticleFileInfo]:
    """Check every upload (`AttachmentRejected` for the first problem, nothing stored), then store them all."""
    checked = check_uploads(uploads, limits)
    added = []
    for file in checked:
        key = new_key()
        await store.write(key, file.data)
        try:
            row = await ArticleFile.insert(
                ArticleFile(
                    article=article_id,
                    filename=file.filename,
                    content_type=file.content_type,
                    size=file.size,
                    sha256=file.sha256,
                    storage_key=key,
                    uploaded_by=uploaded_by,
                )
            ).returning(ArticleFile.id)
        except BaseException:
            await store.delete(key)  # no row will ever name these bytes
            raise
        added.append(ArticleFileInfo(row[0]["id"], article_id, file.filename, file.content_type, file.size, key))
    return added


async def of_article(article_id: int) -> list[ArticleFileInfo]:
    rows = await ArticleFile.select(*_COLUMNS).where(ArticleFile.article == article_id).order_by(ArticleFile.id)
    return [_info(row) for row in rows]


async def get(file_id: int) -> ArticleFileInfo | None:
    row = await ArticleFile.select(*_COLUMNS).where(ArticleFile.id == file_id).first()
    return None if row is None else _info(row)


async def visible_to(clearance: Clearance, file_id: int) -> ArticleFileInfo | None:
    """The file if a viewer of `clearance` may read its article, else None (staff: every article's files)."""
    row = await (
        ArticleFile.select(
            *_COLUMNS,
            ArticleFile.article.status.as_alias("status"),
            ArticleFile.article.audience.as_alias("audience"),
        )
        .where(ArticleFile.id == file_id)
        .first()
    )
    if row is None:
        return None
    if clearance == "staff":
        return _info(row)
    if row["status"] != ArticleStatus.published or row["audience"] not in visible_audiences(clearance):
        return None
    return _info(row)


async def remove(store: AttachmentStore, article_id: int, file_id: int) -> bool:
    """Delete one of the article's files (row and bytes); False when the article has no such file."""
    row = await (
        ArticleFile.select(ArticleFile.storage_key)
        .where((ArticleFile.id == file_id) & (ArticleFile.article == article_id))
        .first()
    )
    if row is None:
        return False
    await ArticleFile.delete().where(ArticleFile.id == file_id)
    await store.delete(row["storage_key"])
    return True


async def sweep_orphans(store: AttachmentStore, older_than: timedelta = SWEEP_AGE) -> int:
    """Delete stored bytes no `ArticleFile` names any more (their article was deleted); returns how many."""
    keys = await store.keys_older_than(older_than)
    deleted = 0
    for start in range(0, len(keys), 500):
        batch = keys[start : start + 500]
        known = await ArticleFile.select(ArticleFile.storage_key).where(ArticleFile.storage_key.is_in(batch))
        for key in set(batch) - {row["storage_key"] for row in known}:
            await store.delete(key)
            deleted += 1
    if deleted:
        log.info("orphaned article files deleted", count=deleted)
    return deleted


__all__ = ["ArticleFileInfo", "add", "article_store", "get", "of_article", "remove", "sweep_orphans", "visible_to"]


async def sweep_periodically(store: AttachmentStore, interval: float = SWEEP_INTERVAL) -> None:
    """Run by every server process: bytes whose article was deleted (or whose upload failed half-way) go."""
    while True:
        try:
            await sweep_orphans(store)
        except Exception:  # a full disk or a database restart must not end the loop for good
            log.exception("sweeping orphaned article files failed")
        await asyncio.sleep(interval)


async def delete_article(
    store: AttachmentStore, article_id: int, *, actor_id: int | None, search: KnowledgeSearch | None = None
) -> None:
    """Delete an article with its files: rows go with the article (cascade), then the bytes. Bytes left behind
    by a crash in between are the sweep's (`sweep_orphans`)."""
    files = await of_article(article_id)
    await knowledge.delete(article_id, actor_id=actor_id, search=search)
    for file in files:
        await store.delete(file.storage_key)
