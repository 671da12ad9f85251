"""Knowledge-base articles: writing, publishing and their version history.

Every change is one write transaction: the article row and, for a save or a restore, its new `ArticleVersion`;
for a publish, unpublish, archive or delete, a domain event naming who did it (`article.published`, ...).
The search index is told after the commit (`KnowledgeSearch.refresh`, which never fails the caller), so a
published article's edit, an unpublish or a delete is searchable, or gone, as soon as the call returns.

An article is one language; its translation is the article with the same slug in the other language.
Categories live in `kb_categories` and are importable from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from portal.db.kb_tables import Article, ArticleAudience, ArticleStatus, ArticleVersion
from portal.i18n import gettext as _
from portal.plugins import outbox
from portal.plugins.events import ArticleArchived, ArticleDeleted, ArticlePublished, ArticleUnpublished
from portal.search.documents import AUDIENCES, LANGUAGES
from portal.services.accounts import locking, typed_text, valid_id
from portal.services.kb_categories import (
    CategoryInput,
    CategoryInputError,
    CategoryNotFound,
    KbInputError,
    category_id_of,
    category_tree,
    save_category,
    slug_error,
)
from portal.services.kb_index import KnowledgeSearch
from portal.services.kb_markdown import render
from portal.services.refusals import is_unique_violation
from portal.services.registration import transaction

__all__ = [
    "ArticleInput",
    "ArticleInputError",
    "ArticleNotFound",
    "CategoryInput",
    "CategoryInputError",
    "CategoryNotFound",
    "archive",
    "category_tree",
    "delete",
    "describe_note",
    "publish",
    "restore",
    "save",
    "save_category",
    "translation_of",
    "unpublish",
    "version",
    "versions",
]

SLUG_MAX = 120
TITLE_MAX = 200
SUMMARY_MAX = 500
BODY_MAX = 100_000
WORD_MAX = 100  # one tag or product
WORDS_MAX = 20  # tags or products per article
IMPORTED = "imported"  # the note of a version written by `portal kb import`
RESTORED = "restored version "  # + the number restored


class ArticleInputError(KbInputError):
    """Field errors of an article (`errors`: field name -> message in the user's language)."""


class ArticleNotFound(LookupError):
    pass


@dataclass(frozen=True)
class ArticleInput:
    slug: str
    language: str
    title: str
    summary: str = ""
    body: str = ""
    category: str | None = None  # the category's slug
    tags: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    audience: str = ArticleAudience.public.value

    @property
    def key(self) -> str:
        return f"{self.slug}:{self.language}"

    def validate(self) -> ArticleInput:
        """The input trimmed and normalised, or `ArticleInputError` naming each bad field. The checks that need
        the database (category exists, slug free in this language) are made by `save`."""
        clean = replace(
            self,
            slug=typed_text(self.slug).lower(),
            language=typed_text(self.language).lower(),
            title=typed_text(self.title),
            summary=" ".join(typed_text(self.summary).split()),
            body=self.body.replace("\x00", "").replace("\r\n", "\n").strip("\n") + "\n",
            category=typed_text(self.category or "").lower() or None,
            tags=_words(self.tags),
            products=_words(self.products),
            audience=typed_text(self.audience).lower(),
        )
        errors: dict[str, str] = {}
        if (problem := slug_error(clean.slug, SLUG_MAX)) is not None:
            errors["slug"] = problem
        if clean.language not in LANGUAGES:
            errors["language"] = _("Choose one of the languages offered.")
        if not clean.title:
            errors["title"] = _("This field is required.")
        for name, text, maximum in (
            ("title", clean.title, TITLE_MAX),
            ("summary", clean.summary, SUMMARY_MAX),
            ("body", clean.body, BODY_MAX),
        ):
            if len(text) > maximum and name not in errors:
                errors[name] = _("Use at most %(count)d characters.") % {"count": maximum}
        if not clean.body.strip():
            errors["body"] = _("This field is required.")
        for name, words in (("tags", clean.tags), ("products", clean.products)):
            if len(words) > WORDS_MAX or any(len(word) > WORD_MAX or "," in word for word in words):
                errors[name] = _("Give at most %(count)d entries, each without commas.") % {"count": WORDS_MAX}
        if clean.audience not in AUDIENCES:
            errors["audience"] = _("Choose one of the audiences offered.")
        if errors:
            raise ArticleInputError(errors)
        return clean


def _words(values: list[str]) -> list[str]:
    return list(dict.fromkeys(word for word in (typed_text(value) for value in values) if word))


# --- Saving -------------------------------------------------------------------------------------------------------


async def save(
    data: ArticleInput,
    *,
    actor_id: int | None,
    article_id: int | None = None,
    note: str = "",
    search: KnowledgeSearch | None = None,
) -> int:
    """Create an article (a draft) or change the one of `article_id`, appending a version either way; returns
    the article's id. A published article stays published and is refreshed in the index."""
    clean = data.validate()
    async with transaction():
        saved_id, keys = await write_article(clean, actor_id=actor_id, article_id=article_id, note=note)
    await _refresh(search, keys)
    return saved_id


async def write_article(
    clean: ArticleInput,
    *,
    actor_id: int | None,
    article_id: int | None,
    note: str,
    updated_at: datetime | None = None,
) -> tuple[int, list[str]]:
    """The write of `save`, inside the caller's transaction: the article and its new version. Returns the id
    and the index keys to refresh after the commit: none for a draft, the old key too when a published
    article's slug or language changed."""
    category = None
    if clean.category is not None:
        category = await category_id_of(clean.category)
        if category is None:
            raise ArticleInputError({"category": _("Choose one of the categories offered.")})
    taken = Article.exists().where(Article.key == clean.key)
    if article_id is not None:
        taken = taken.where(Article.id != article_id)
    if await taken:
        raise ArticleInputError({"slug": _("An article with this address already exists in this language.")})
    now = updated_at or datetime.now(UTC)
    body_html = render(clean.body)
    values: dict[Any, Any] = {
        Article.key: clean.key,
        Article.slug: clean.slug,
        Article.language: clean.language,
        Article.title: clean.title,
        Article.summary: clean.summary,
        Article.body: clean.body,
        Article.body_html: body_html,
        Article.category: category,
        Article.tags: clean.tags,
        Article.products: clean.products,
        Article.audience: clean.audience,
        Article.updated_at: now,
    }
    keys: list[str] = []
    try:
        if article_id is None:
            row = Article({**values, Article.author: actor_id, Article.created_at: now, Article.version: 1})
            article_id = int((await Article.insert(row).returning(Article.id))[0]["id"])
            number = 1
        else:
            current = await _locked(article_id)
            number = current["version"] + 1
            if current["status"] == ArticleStatus.published:
                keys = [clean.key, current["key"]]
            await Article.update({**values, Article.version: number}).where(Article.id == article_id)
    except Exception as exc:  # a concurrent save took the key between the check and the write
        if is_unique_violation(exc):
            raise ArticleInputError(
                {"slug": _("An article with this address already exists in this language.")}
            ) from exc
        raise
    await ArticleVersion.insert(
        ArticleVersion(
            article=article_id,
            number=number,
            key=f"{article_id}:{number}",
            title=clean.title,
            summary=clean.summary,
            body=clean.body,
            category=category,
            tags=clean.tags,
            products=clean.products,
            audience=clean.audience,
            author=actor_id,
            note=typed_text(note)[:200],
            created_at=now,
        )
    )
    return article_id, list(dict.fromkeys(keys))


async def _locked(article_id: int) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await locking(Article.select(Article.id, Article.key, Article.status, Article.version, Article.published_at))
        .where(Article.id == article_id)
        .first()
        if valid_id(article_id)
        else None
    )
    if row is None:
        raise ArticleNotFound(article_id)
    return row


async def _refresh(search: KnowledgeSearch | None, keys: list[str]) -> None:
    if search is not None and keys:
        await search.refresh(keys)


# --- Publishing ---------------------------------------------------------------------------------------------------


_STATUS_EVENTS = {
    ArticleStatus.published: ArticlePublished,
    ArticleStatus.draft: ArticleUnpublished,
    ArticleStatus.archived: ArticleArchived,
}


async def publish(article_id: int, *, actor_id: int | None, search: KnowledgeSearch | None = None) -> None:
    """Make the article visible to its audience; `published_at` is set the first time."""
    await _set_status(article_id, ArticleStatus.published, actor_id, search)


async def unpublish(article_id: int, *, actor_id: int | None, search: KnowledgeSearch | None = None) -> None:
    """Back to a draft: gone from the site and the search, kept with its history."""
    await _set_status(article_id, ArticleStatus.draft, actor_id, search)


async def archive(article_id: int, *, actor_id: int | None, search: KnowledgeSearch | None = None) -> None:
    """Retire the article: gone from the site and the search, kept with its history."""
    await _set_status(article_id, ArticleStatus.archived, actor_id, search)


async def _set_status(
    article_id: int, status: ArticleStatus, actor: int | None, search: KnowledgeSearch | None
) -> None:
    """The change and, if the status did change, its event naming the `actor`, in one transaction."""
    async with transaction():
        current = await _locked(article_id)
        key = await _apply_status(current, status)
        if current["status"] != status:
            await outbox.record(_STATUS_EVENTS[status](article_id=article_id, actor_id=actor))
    await _refresh(search, [key])


async def set_status(article_id: int, status: ArticleStatus, *, now: datetime | None = None) -> str:
    """The status change inside the caller's transaction; returns the article's index key."""
    return await _apply_status(await _locked(article_id), status, now)


async def _apply_status(current: dict[str, Any], status: ArticleStatus, now: datetime | None = None) -> str:
    values: dict[Any, Any] = {Article.status: status}
    if status == ArticleStatus.published and current["published_at"] is None:
        values[Article.published_at] = now or datetime.now(UTC)
    await Article.update(values).where(Article.id == current["id"])
    return str(current["key"])


async def delete(article_id: int, *, actor_id: int | None, search: KnowledgeSearch | None = None) -> None:
    """Delete the article with its versions, files' records and feedback; deflection records keep their counts."""
    async with transaction():
        key = (await _locked(article_id))["key"]
        await Article.delete().where(Article.id == article_id)
        await outbox.record(ArticleDeleted(article_id=article_id, actor_id=actor_id, key=key))
    await _refresh(search, [key])


# --- Versions -----------------------------------------------------------------------------------------------------


def describe_note(note: str) -> str:
    """A version's note for people: the notes the portal writes itself in the reader's language."""
    if note == IMPORTED:
        return _("Imported from the knowledge_base folder")
    if note.startswith(RESTORED) and note.removeprefix(RESTORED).isascii() and note.removeprefix(RESTORED).isdigit():
        return _("Restored version %(number)d") % {"number": int(note.removeprefix(RESTORED))}
    return note


async def versions(article_id: int) -> list[dict[str, Any]]:
    """The article's versions, newest first: number, title, note (as written and described), author's name,
    created_at."""
    rows = (
        await ArticleVersion.select(
            ArticleVersion.number,
            ArticleVersion.title,
            ArticleVersion.note,
            ArticleVersion.created_at,
            ArticleVersion.author,
            ArticleVersion.author.name.as_alias("author_name"),
        )
        .where(ArticleVersion.article == article_id)
        .order_by(ArticleVersion.number, ascending=False)
    )
    for row in rows:
        row["note_display"] = describe_note(row["note"])
    return rows


async def version(article_id: int, number: int) -> dict[str, Any] | None:
    """One version in full (title, summary, body, category id and slug, tags, products, audience, note, author,
    created_at), or None."""
    if not valid_id(article_id) or not valid_id(number):
        return None
    row: dict[str, Any] | None = (
        await ArticleVersion.select(
            *ArticleVersion.all_columns(),
            ArticleVersion.category.slug.as_alias("category_slug"),
            ArticleVersion.author.name.as_alias("author_name"),
        )
        .where((ArticleVersion.article == article_id) & (ArticleVersion.number == number))
        .output(load_json=True)
        .first()
    )
    if row is not None:
        row["note_display"] = describe_note(row["note"])
    return row


async def restore(article_id: int, number: int, *, actor_id: int | None, search: KnowledgeSearch | None = None) -> int:
    """Save version `number` again as the newest; returns the new version's number. The article keeps its slug,
    language and status."""
    old = await version(article_id, number)
    if old is None:
        raise ArticleNotFound(f"{article_id}:{number}")
    current = await Article.select(Article.slug, Article.language).where(Article.id == article_id).first()
    if current is None:
        raise ArticleNotFound(article_id)
    data = ArticleInput(
        slug=current["slug"],
        language=current["language"],
        title=old["title"],
        summary=old["summary"],
        body=old["body"],
        category=old["category_slug"],  # None when that category was deleted since
        tags=list(old["tags"] or []),
        products=list(old["products"] or []),
        audience=old["audience"],
    )
    await save(data, actor_id=actor_id, article_id=article_id, note=f"{RESTORED}{number}", search=search)
    newest = await Article.select(Article.version).where(Article.id == article_id).first()
    assert newest is not None
    return int(newest["version"])


# --- Translations -------------------------------------------------------------------------------------------------


async def translation_of(article: int | dict[str, Any], *, published_only: bool = False) -> dict[str, Any] | None:
    """The same article in the other language (id, key, slug, language, title, status, audience), or None.
    `article` is an id or a row with `slug` and `language`."""
    if isinstance(article, int):
        row = await Article.select(Article.slug, Article.language).where(Article.id == article).first()
        if row is None:
            return None
        article = row
    query = Article.select(
        Article.id, Article.key, Article.slug, Article.language, Article.title, Article.status, Article.audience
    ).where((Article.slug == article["slug"]) & (Article.language != article["language"]))
    if published_only:
        query = query.where(Article.status == ArticleStatus.published)
    found: dict[str, Any] | None = await query.order_by(Article.language).first()
    return found
