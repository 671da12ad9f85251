"""`portal kb import`: the knowledge base on disk (see `kb_files`) into the database, then the search index.

Idempotent: categories are matched by slug, articles by key ("<slug>:<language>"). A file whose content is what
the database holds already makes no new version, so importing twice changes nothing; a changed file becomes a
new version noted "imported". Imported articles are published: the files are their source. A bad file is
reported and skipped; the others are imported all the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from portal.db.kb_tables import Article, ArticleStatus, KbCategory
from portal.services import knowledge
from portal.services.kb_categories import KbInputError
from portal.services.kb_files import (
    KbFileError,
    SeedArticle,
    SeedCategory,
    article_paths,
    read_article,
    read_categories,
)
from portal.services.kb_index import KnowledgeSearch
from portal.services.registration import transaction

ImportProgress = Callable[[int, int], None]  # (files done, files in all), after each file


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0  # a new version, or published again
    unchanged: int = 0
    categories_created: int = 0
    categories_updated: int = 0
    errors: list[str] = field(default_factory=list)  # "<path>: <what is wrong>", one per bad file
    indexed: int | None = None  # articles in the rebuilt search index; None when it was not rebuilt

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.categories_created or self.categories_updated)


def default_root() -> Path:
    """`knowledge_base/` in the working directory, else the one beside the portal's source (a checkout)."""
    here = Path("knowledge_base")
    return here if here.is_dir() else Path(__file__).resolve().parents[2] / "knowledge_base"


async def import_directory(
    root: Path, *, progress: ImportProgress | None = None, search: KnowledgeSearch | None = None
) -> ImportReport:
    """Import `root`'s categories and articles. `KbFileError` only when `root` is not a folder; every other
    problem is one line of the report. With `search`, the index is rebuilt at the end when anything changed
    (and made usable in any case)."""
    paths = article_paths(root)
    report = ImportReport()
    try:
        await _import_categories(read_categories(root), report)
    except KbFileError as exc:  # the articles whose categories exist already can still be imported
        report.errors.append(str(exc))
    seen: dict[str, Path] = {}
    for done, path in enumerate(paths, start=1):
        try:
            article = read_article(path)
            if article.key in seen:
                raise KbFileError(path, f"same slug and language as {seen[article.key]}")
            seen[article.key] = path
            await _import_article(article, report)
        except KbFileError as exc:
            report.errors.append(str(exc))
        except KbInputError as exc:
            problems = "; ".join(f"{name}: {message}" for name, message in exc.errors.items())
            report.errors.append(f"{path}: {problems}")
        if progress is not None:
            progress(done, len(paths))
    if search is not None:
        if report.changed:
            report.indexed = await search.rebuild()
        else:
            await search.open()  # rebuilds only a missing or damaged index
    return report


async def _import_categories(categories: list[SeedCategory], report: ImportReport) -> None:
    """Upsert by slug, parents first (as `read_categories` orders them), in one transaction."""
    async with transaction():
        ids: dict[str, int] = {}
        for category in categories:
            values: dict[Any, Any] = {
                KbCategory.parent: ids.get(category.parent) if category.parent else None,
                KbCategory.name_en: category.name_en,
                KbCategory.name_el: category.name_el,
                KbCategory.description_en: category.description_en,
                KbCategory.description_el: category.description_el,
                KbCategory.position: category.position,
            }
            existing = await KbCategory.select().where(KbCategory.slug == category.slug).first()
            if existing is None:
                row = KbCategory({KbCategory.slug: category.slug, **values})
                ids[category.slug] = int((await KbCategory.insert(row).returning(KbCategory.id))[0]["id"])
                report.categories_created += 1
                continue
            ids[category.slug] = existing["id"]
            if any(existing[column._meta.name] != value for column, value in values.items()):
                await KbCategory.update(values).where(KbCategory.id == existing["id"])
                report.categories_updated += 1


async def _import_article(article: SeedArticle, report: ImportReport) -> None:
    clean = knowledge.ArticleInput(
        slug=article.slug,
        language=article.language,
        title=article.title,
        summary=article.summary,
        body=article.body,
        category=article.category,
        tags=list(article.tags),
        products=list(article.products),
        audience=article.audience,
    ).validate()
    dated = datetime.combine(article.updated, time(), tzinfo=UTC)
    async with transaction():
        existing = await (
            Article.select(*Article.all_columns(), Article.category.slug.as_alias("category_slug"))
            .where(Article.key == article.key)
            .output(load_json=True)
            .first()
        )
        if existing is None:
            article_id, _ = await knowledge.write_article(
                clean, actor_id=None, article_id=None, note=knowledge.IMPORTED, updated_at=dated
            )
            await knowledge.set_status(article_id, ArticleStatus.published, now=dated)
            report.created += 1
            return
        same = _content(existing) == _content_of(clean)
        if same and existing["status"] == ArticleStatus.published:
            report.unchanged += 1
            return
        if not same:
            await knowledge.write_article(clean, actor_id=None, article_id=existing["id"], note=knowledge.IMPORTED)
        await knowledge.set_status(existing["id"], ArticleStatus.published)
        report.updated += 1


def _content(row: dict[str, Any]) -> tuple[Any, ...]:
    return (
        row["title"],
        row["summary"],
        row["body"],
        row["category_slug"],
        list(row["tags"] or []),
        list(row["products"] or []),
        row["audience"],
    )


def _content_of(clean: knowledge.ArticleInput) -> tuple[Any, ...]:
    return (clean.title, clean.summary, clean.body, clean.category, clean.tags, clean.products, clean.audience)
